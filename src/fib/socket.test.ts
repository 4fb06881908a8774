// The netlink socket addon when the kernel overflows a notification socket (ENOBUFS):
// the loss is reported, and the socket goes on delivering what comes after. libuv turns
// the socket error into UV_EBADF and stops polling; the addon must poll again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Netns, scriptPath } from './testing/netns.js';

test('after a receive overflow (ENOBUFS is reported), notifications still arrive', () => {
  const ns = Netns.create('nlovf');
  try {
    const out = execFileSync('ip', ['netns', 'exec', ns.name, process.execPath, scriptPath('overflow-probe.js')], { encoding: 'utf8', timeout: 30_000 });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { errors: string[]; after: number; late: number };
    assert.ok(r.errors.includes('ENOBUFS'), `errors reported: ${r.errors.join(', ') || 'none'}`);
    assert.ok(r.late >= 1, `no notification after the overflow: ${out}`);
  } finally {
    ns.delete();
  }
});

test('the own-route filter drops only our protocol\'s unicast additions in our table', () => {
  const ns = Netns.create('nlflt');
  try {
    const out = execFileSync('ip', ['netns', 'exec', ns.name, process.execPath, scriptPath('own-route-filter-probe.js')], { encoding: 'utf8', timeout: 30_000 });
    const seen = JSON.parse(out.trim().split('\n').at(-1)!) as string[];
    assert.deepEqual(seen, [
      // 10.1.0.1/32 proto bgp in main: its additions (and the replace) are dropped.
      'add 10.1.0.2/32 4 254',
      'add 10.1.0.3/32 186 100',
      'add 10.1.0.4/32 186 254',
      'del 10.1.0.1/32 186 254',
    ]);
  } finally {
    ns.delete();
  }
});
