import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { parseAddress } from '../lib/address.js';
import { Rib } from '../rib/rib.js';
import { asPath, makeTestUpdate, peerInfo } from '../rib/test-support.js';
import { parseConfig } from './config.js';
import { formatGoTime } from './mrt-dump-config.js';
import { MrtDumper } from './mrt-dump.js';

let dir = '';
before(() => {
  // File names are Go time layouts: a digit 1-6 in the directory's name would be expanded.
  const letters = 'qwxyzk';
  dir = join(tmpdir(), `tsbgp-mrt-dump-${[...randomBytes(10)].map((b) => letters[b % letters.length]).join('')}`);
  mkdirSync(dir);
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function bgpdump(path: string): string {
  return execFileSync('bgpdump', ['-m', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('Go time layout in file names', () => {
  const date = new Date(Date.UTC(2026, 10, 5, 21, 4, 9));
  test('gobgpd documentation example', () => {
    assert.equal(formatGoTime('/tmp/log/20060102.1504.dump', date), '/tmp/log/20261105.2104.dump');
  });
  test('other elements, and text without any', () => {
    assert.equal(formatGoTime('rib.Jan-_2.15:04:05.dump', date), 'rib.Nov- 5.21:04:09.dump');
    assert.equal(formatGoTime('x/updates.mrt', date), 'x/updates.mrt');
    assert.equal(formatGoTime('06-1-2 3PM', date), '26-11-5 9PM');
  });
});

describe('[[mrt-dump]] configuration', () => {
  const base = '[global.config]\n  as = 64512\n  router-id = "10.0.0.1"\n';
  test('gobgpd keys are read', () => {
    const c = parseConfig(`${base}[[mrt-dump]]\n  [mrt-dump.config]\n    dump-type = "table"\n    file-name = "/tmp/t.dump"\n    dump-interval = 30\n[[mrt-dump]]\n  [mrt-dump.config]\n    dump-type = "updates"\n    file-name = "/tmp/log/20060102.1504.dump"\n    rotation-interval = 180\n`, 'toml', 'x.toml');
    assert.deepEqual(c.mrtDump, [
      { dumpType: 'table', fileName: '/tmp/t.dump', dumpIntervalSec: 30, rotationIntervalSec: 0 },
      { dumpType: 'updates', fileName: '/tmp/log/20060102.1504.dump', dumpIntervalSec: 0, rotationIntervalSec: 180 },
    ]);
  });
  test('a wrong dump-type names the key', () => {
    assert.throws(() => parseConfig(`${base}[[mrt-dump]]\n  [mrt-dump.config]\n    dump-type = "rib"\n    file-name = "/tmp/x"\n`, 'toml', 'x.toml'), /mrt-dump\[0\]\.config\.dump-type/);
  });
  test('an unknown key is refused', () => {
    assert.throws(() => parseConfig(`${base}[[mrt-dump]]\n  [mrt-dump.config]\n    dump-type = "table"\n    file-name = "/tmp/x"\n    period = 5\n`, 'toml', 'x.toml'), /period/);
  });
});

describe('the dumps tsbgpd writes', () => {
  const peer = peerInfo({ address: '192.0.2.1', peerAs: 4200000001, localAs: 64512 });
  const peer6 = peerInfo({ address: '2001:db8::1', peerAs: 65002, localAs: 64512, addPath: true });
  const v4 = makeTestUpdate({ nlri: ['10.1.0.0/16', '10.2.0.0/24'], attributes: { origin: 0, asPath: asPath(4200000001, 3356), nextHop: parseAddress('192.0.2.1'), med: 10, communities: [0xffffff01] } });
  const v6 = makeTestUpdate({ hasPathId: true, mpReach: { nextHop: '2001:db8::1', nlri: [{ prefix: '2001:db8:5::/48', pathId: 3 }] }, attributes: { origin: 2, asPath: asPath(65002) } });

  test('a table dump is read by bgpdump and lists the Loc-RIB', async () => {
    const clock = new ManualClock();
    const rib = new Rib({ clock, routerId: '10.0.0.1', localAs: 64512 });
    const file = join(dir, 'table-20060102.1504.dump');
    const dumper = new MrtDumper([{ dumpType: 'table', fileName: file, dumpIntervalSec: 60, rotationIntervalSec: 0 }], { rib, clock, logger: silentLogger, localAs: 64512, routerId: '10.0.0.1' });
    rib.onEstablished(peer);
    rib.onUpdate(peer, v4);
    rib.onEstablished(peer6);
    rib.onUpdate(peer6, v6);
    rib.originate('198.51.100.0/24', { origin: 0, asPath: [], nextHop: parseAddress('10.0.0.1') });
    const path = await dumper.dumpTable({ dumpType: 'table', fileName: file, dumpIntervalSec: 60, rotationIntervalSec: 0 });
    assert.match(path, /table-2019072\d\.\d{4}\.dump$/);
    const lines = bgpdump(path).trim().split('\n').sort();
    assert.equal(lines.length, 4);
    const t = Math.floor(clock.wallNow() / 1000);
    assert.deepEqual(lines, [
      `TABLE_DUMP2|${t}|B|0.0.0.0|64512|198.51.100.0/24||IGP|10.0.0.1|0|0||NAG||`,
      `TABLE_DUMP2|${t}|B|192.0.2.1|4200000001|10.1.0.0/16|4200000001 3356|IGP|192.0.2.1|0|10|no-export|NAG||`,
      `TABLE_DUMP2|${t}|B|192.0.2.1|4200000001|10.2.0.0/24|4200000001 3356|IGP|192.0.2.1|0|10|no-export|NAG||`,
      `TABLE_DUMP2|${t}|B|2001:db8::1|65002|2001:db8:5::/48|65002|INCOMPLETE|2001:db8::1|0|0||NAG||`,
    ]);
    await dumper.close();
  });

  test('an update dump is read by bgpdump, one line per route and session change', async () => {
    const clock = new ManualClock();
    const rib = new Rib({ clock, routerId: '10.0.0.1', localAs: 64512 });
    const file = join(dir, 'updates.mrt');
    const dumper = new MrtDumper([{ dumpType: 'updates', fileName: file, dumpIntervalSec: 0, rotationIntervalSec: 60 }], { rib, clock, logger: silentLogger, localAs: 64512, routerId: '10.0.0.1' });
    dumper.start();
    dumper.onEstablished(peer);
    dumper.onUpdate(peer, v4);
    dumper.onUpdate(peer6, v6);
    dumper.onPeerDown(peer);
    await dumper.close();
    const t = Math.floor(clock.wallNow() / 1000);
    assert.equal(
      bgpdump(file),
      [
        `BGP4MP|${t}|STATE|192.0.2.1|4200000001|5|6`,
        `BGP4MP|${t}|A|192.0.2.1|4200000001|10.1.0.0/16|4200000001 3356|IGP|192.0.2.1|0|10|no-export|NAG||`,
        `BGP4MP|${t}|A|192.0.2.1|4200000001|10.2.0.0/24|4200000001 3356|IGP|192.0.2.1|0|10|no-export|NAG||`,
        `BGP4MP_AP|${t}|A|2001:db8::1|65002|2001:db8:5::/48|3|65002|INCOMPLETE|2001:db8::1|0|0||NAG||`,
        `BGP4MP|${t}|STATE|192.0.2.1|4200000001|6|1`,
        '',
      ].join('\n'),
    );
  });

  test('rotation opens a new file named by the time', async () => {
    const clock = new ManualClock();
    const rib = new Rib({ clock, routerId: '10.0.0.1', localAs: 64512 });
    const sub = join(dir, 'rot');
    execFileSync('mkdir', ['-p', sub]);
    const dumper = new MrtDumper([{ dumpType: 'updates', fileName: join(sub, 'u.0405.mrt'), dumpIntervalSec: 0, rotationIntervalSec: 60 }], { rib, clock, logger: silentLogger, localAs: 64512, routerId: '10.0.0.1' });
    dumper.start();
    dumper.onUpdate(peer, v4);
    clock.advance(60_000);
    dumper.onUpdate(peer, v4);
    await dumper.close();
    assert.equal(readdirSync(sub).length, 2);
  });
});
