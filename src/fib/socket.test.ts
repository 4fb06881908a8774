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
