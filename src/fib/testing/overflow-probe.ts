// Run inside a network namespace by socket.test.ts: lets the kernel overflow a route
// notification socket (the event loop held while 2,000 routes are added), then checks
// that notifications still arrive afterwards. Prints one JSON line: {"errors": [errno
// names], "after": datagrams received after the overflow was reported, "late":
// datagrams received after one more route was added 300 ms later}.

import { execFileSync, execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRouteSocket } from '../socket.js';
import { RtnlGroup } from '../netlink.js';

const dir = mkdtempSync(join(tmpdir(), 'tsbgp-overflow-'));
const batch = join(dir, 'routes');
const lines: string[] = [];
for (let i = 0; i < 2000; i++) lines.push(`route add 10.${100 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}/32 dev lo`);
writeFileSync(batch, lines.join('\n') + '\n');

// The smallest buffer the kernel allows: a few notifications fill it.
const socket = openRouteSocket({ receiveBufferBytes: 4096 });
const errors: string[] = [];
let after = 0;
let late = 0;
let isLate = false;
socket.listen(
  () => {
    if (errors.length > 0) after++;
    if (isLate) late++;
  },
  (e) => errors.push(e.code),
);
socket.join(RtnlGroup.ipv4Route);
// Held synchronously: the notifications queue up in the kernel and overflow the socket.
execFileSync('ip', ['-batch', batch]);
setTimeout(() => {
  // The overflow has been reported by now; a change made later must still be seen.
  isLate = true;
  execFile('ip', ['route', 'add', '10.200.0.1/32', 'dev', 'lo'], () => {
    setTimeout(() => {
      process.stdout.write(JSON.stringify({ errors, after, late }) + '\n');
      socket.close();
      rmSync(dir, { recursive: true, force: true });
    }, 500);
  });
}, 300);
