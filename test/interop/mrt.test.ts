// MRT against the reference: gobgpd and BIRD exchange routes on loopback (IPv4 and IPv6,
// ADD-PATH, a 4-octet AS) with their own MRT dumps on (gobgpd `[[mrt-dump]]` table and
// updates, BIRD `protocol mrt` table dumps and `mrtdump` messages); a third peer is
// `tsbgp mrt replay` announcing a RIB dump written here. Every dump is then printed by
// `tsbgp mrt print` and `bgpdump -m`: the outputs must be identical, line by line.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Scope, allocLoopback, freePort, requireBinary, runCommand, waitFor, repoRoot } from './harness.js';
import { parseAddress, parsePrefix, Afi } from '../../src/lib/address.js';
import { NlriList } from '../../src/wire/nlri.js';
import { encodePeerIndexTable, encodeRibRecord, type RibEntryInput } from '../../src/mrt/writer.js';
import { replayMrt } from '../../src/mrt/replay.js';

const run = promisify(execFile);

let scope: Scope | undefined;
let dumps: string | undefined;
after(async () => {
  await scope?.cleanup();
  if (dumps !== undefined && process.env['TSBGP_INTEROP_KEEP'] === undefined) await rm(dumps, { recursive: true, force: true });
});

/**
 * gobgpd formats its whole file-name with Go's time layout, so every digit of the path
 * ("1" month, "5" second...) would change: the dumps go to a directory named with
 * letters that are no layout element.
 */
function layoutFreeDir(): string {
  const letters = 'qwxyzk';
  return join(tmpdir(), `tsbgp-mrt-${[...randomBytes(10)].map((b) => letters[b % letters.length]).join('')}`);
}

const birdAs = 4200000002;
const gobgpAs = 65001;
const replayAs = 65010;

/** The RIB dump the replay peer announces: AS_SET, aggregator, atomic aggregate, communities, IPv6. */
function replayDump(): Buffer {
  const t = 1700000000;
  const v4 = (asns: number[], extra: Partial<RibEntryInput['attributes']> = {}): RibEntryInput => ({
    peerIndex: 0,
    originatedTime: t,
    attributes: { origin: 0, asPath: [{ type: 2, asns: [replayAs, ...asns] }], nextHop: parseAddress('172.17.0.30'), ...extra },
  });
  const v6: RibEntryInput = {
    peerIndex: 0,
    originatedTime: t,
    attributes: { origin: 2, asPath: [{ type: 2, asns: [replayAs, 64600] }], med: 7, mpReach: { afi: Afi.ipv6, safi: 1, nextHop: parseAddress('2001:db8::30'), nlri: NlriList.empty(Afi.ipv6) } },
  };
  return Buffer.concat([
    encodePeerIndexTable(t, parseAddress('10.0.0.30'), '', [{ bgpId: parseAddress('10.0.0.30'), address: parseAddress('172.17.0.30'), asn: replayAs, isAs4: false }]),
    encodeRibRecord(t, 0, parsePrefix('203.0.113.0/24'), 1, [v4([64500, 64501], { communities: [(64500 << 16) | 10, 0xffffff02], med: 30 })]),
    encodeRibRecord(t, 1, parsePrefix('203.0.114.0/23'), 1, [v4([64502], { aggregator: { asn: 64502, address: parseAddress('10.9.9.9') }, isAtomicAggregate: true })]),
    encodeRibRecord(t, 2, parsePrefix('198.18.0.0/15'), 1, [{ ...v4([]), attributes: { ...v4([]).attributes, asPath: [{ type: 2, asns: [replayAs, 64503] }, { type: 1, asns: [64504, 64505] }] } }]),
    encodeRibRecord(t, 3, parsePrefix('2001:db8:300::/40'), 1, [v6]),
  ]);
}

function gobgpdConfig(g: string, gPort: number, b: string, bPort: number, r: string, dir: string): string {
  const addPaths = ['    [neighbors.afi-safis.add-paths.config]', '      receive = true', '      send-max = 4'];
  return [
    '[global.config]',
    `  as = ${gobgpAs}`,
    `  router-id = "${g}"`,
    `  port = ${gPort}`,
    `  local-address-list = ["${g}"]`,
    '[[neighbors]]',
    '  [neighbors.config]',
    `    neighbor-address = "${b}"`,
    `    peer-as = ${birdAs}`,
    '  [neighbors.timers.config]',
    '    connect-retry = 3',
    '    idle-hold-time-after-reset = 3',
    '  [neighbors.transport.config]',
    `    local-address = "${g}"`,
    `    remote-port = ${bPort}`,
    '  [neighbors.add-paths.config]',
    '    receive = true',
    '    send-max = 4',
    '  [[neighbors.afi-safis]]',
    '    [neighbors.afi-safis.config]',
    '      afi-safi-name = "ipv4-unicast"',
    ...addPaths,
    '  [[neighbors.afi-safis]]',
    '    [neighbors.afi-safis.config]',
    '      afi-safi-name = "ipv6-unicast"',
    ...addPaths,
    '[[neighbors]]',
    '  [neighbors.config]',
    `    neighbor-address = "${r}"`,
    `    peer-as = ${replayAs}`,
    '  [neighbors.transport.config]',
    `    local-address = "${g}"`,
    '    passive-mode = true',
    '  [[neighbors.afi-safis]]',
    '    [neighbors.afi-safis.config]',
    '      afi-safi-name = "ipv4-unicast"',
    '  [[neighbors.afi-safis]]',
    '    [neighbors.afi-safis.config]',
    '      afi-safi-name = "ipv6-unicast"',
    '[[mrt-dump]]',
    '  [mrt-dump.config]',
    '    dump-type = "updates"',
    `    file-name = "${dir}/gobgpd-updates.mrt"`,
    '[[mrt-dump]]',
    '  [mrt-dump.config]',
    '    dump-type = "table"',
    `    file-name = "${dir}/gobgpd-table.mrt"`,
    // gobgpd raises anything shorter to 60 s.
    '    dump-interval = 60',
    '',
  ].join('\n');
}

function birdConfig(b: string, bPort: number, g: string, gPort: number, dir: string): string {
  return [
    `router id ${b};`,
    `mrtdump "${dir}/bird-messages.mrt";`,
    'mrtdump protocols { states, messages };',
    'protocol device { }',
    'protocol static static4 {',
    '  ipv4;',
    '  route 10.10.0.0/16 blackhole;',
    '  route 10.20.1.0/24 blackhole { bgp_community.add((65002,7)); bgp_med = 50; };',
    '  route 10.20.2.0/24 blackhole { bgp_community.add((65535,65281)); bgp_large_community.add((4200000002,1,2)); bgp_path.prepend(64999); };',
    '}',
    'protocol static static6 {',
    '  ipv6;',
    '  route 2001:db8:10::/48 blackhole;',
    '  route 2001:db8:20::/64 blackhole { bgp_community.add((65002,9)); };',
    '}',
    'protocol bgp peer1 {',
    `  local ${b} port ${bPort} as ${birdAs};`,
    `  neighbor ${g} port ${gPort} as ${gobgpAs};`,
    '  multihop;',
    '  strict bind yes;',
    '  connect delay time 1;',
    '  connect retry time 3;',
    '  error wait time 1, 5;',
    '  mrtdump all;',
    '  ipv4 { import all; export all; next hop address 172.17.0.22; add paths on; };',
    '  ipv6 { import all; export all; next hop address 2001:db8::22; add paths on; };',
    '}',
    'protocol mrt dump4 {',
    '  table master4;',
    `  filename "${dir}/bird-table4-%s.mrt";`,
    '  period 5;',
    '}',
    'protocol mrt dump6 {',
    '  table master6;',
    `  filename "${dir}/bird-table6-%s.mrt";`,
    '  period 5;',
    '}',
    '',
  ].join('\n');
}

async function tsbgpPrint(file: string): Promise<{ out: string; code: number; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(repoRoot, 'bin/tsbgp.js'), 'mrt', 'print', file], { maxBuffer: 64 * 1024 * 1024 });
    return { out: stdout, code: 0, err: stderr };
  } catch (e) {
    const x = e as { stdout: string; stderr: string; code: number };
    return { out: x.stdout, code: x.code, err: x.stderr };
  }
}

test('tsbgp mrt print equals bgpdump -m on the dumps of gobgpd and BIRD', { timeout: 180_000 }, async () => {
  requireBinary('bgpdump');
  const gobgpd = requireBinary('gobgpd');
  const gobgp = requireBinary('gobgp');
  const bird = requireBinary('bird');
  scope = await Scope.create('mrt');
  const s = scope;
  const dir = layoutFreeDir();
  dumps = dir;
  await mkdir(dir);
  const [g, b, r] = [allocLoopback(), allocLoopback(), allocLoopback()];
  const [gPort, bPort, apiPort] = [await freePort(g), await freePort(b), await freePort(g)];
  await writeFile(s.path('gobgpd.toml'), gobgpdConfig(g, gPort, b, bPort, r, dir));
  await writeFile(s.path('bird.conf'), birdConfig(b, bPort, g, gPort, dir));
  await writeFile(s.path('replay.mrt'), replayDump());
  const gobgpdProc = s.spawn('gobgpd', { command: gobgpd, args: ['-f', s.path('gobgpd.toml'), '-t', 'toml', '--api-hosts', `${g}:${apiPort}`, '--pprof-disable'] });
  const birdSocket = s.path('bird.ctl');
  const birdProc = s.spawn('bird', { command: bird, args: ['-f', '-c', s.path('bird.conf'), '-s', birdSocket, '-P', s.path('bird.pid')] });
  const gobgpCli = (args: string[]): Promise<string> => runCommand(gobgp, ['-u', g, '-p', String(apiPort), ...args]);
  await waitFor(async () => /BGP state = established/i.test(await gobgpCli(['neighbor', b])), { timeoutMs: 30_000, what: 'gobgpd and BIRD Established', scope: s });

  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const replaying = replayMrt({ file: s.path('replay.mrt'), address: g, port: gPort, localAddress: r, peerIndex: 0, isRealtime: false, log: () => undefined, holdUntil: held });
  try {
    // BIRD's dumps hold the replayed routes (via gobgpd, with ADD-PATH), gobgpd's the routes of BIRD.
    const dumped = async (prefix: string, what: string): Promise<boolean> => {
      for (const f of await readdir(dir)) if (f.startsWith(prefix) && (await tsbgpPrint(join(dir, f))).out.includes(what)) return true;
      return false;
    };
    await waitFor(() => dumped('bird-table4-', '|198.18.0.0/15|'), { timeoutMs: 30_000, intervalMs: 1000, what: 'a BIRD table dump holding the replayed routes', scope: s });
    await waitFor(() => dumped('gobgpd-updates', '|2001:db8:20::/64|'), { timeoutMs: 30_000, intervalMs: 1000, what: "gobgpd's update dump holding BIRD's IPv6 routes", scope: s });
    // gobgpd writes its table every 60 s (its minimum); BIRD's every 5 s.
    const hasTable = async (): Promise<boolean> => {
      const files = await readdir(dir);
      const size = async (f: string): Promise<number> => (files.includes(f) ? (await stat(join(dir, f))).size : 0);
      return (await size('gobgpd-table.mrt')) > 0 && files.some((f) => f.startsWith('bird-table4-')) && files.some((f) => f.startsWith('bird-table6-'));
    };
    await waitFor(hasTable, { timeoutMs: 90_000, intervalMs: 1000, what: "gobgpd's and BIRD's table dumps", scope: s });
  } finally {
    release();
    await replaying;
  }
  // Stopped daemons have flushed their files; what is compared no longer moves.
  await gobgpdProc.kill();
  await birdProc.kill();

  const files = (await readdir(dir)).filter((f) => f.endsWith('.mrt')).sort();
  let all = '';
  for (const f of files) {
    const path = join(dir, f);
    const reference = (await run('bgpdump', ['-m', path], { maxBuffer: 64 * 1024 * 1024 })).stdout;
    const ours = await tsbgpPrint(path);
    assert.equal(ours.code, 0, `${f}: tsbgp mrt print failed: ${ours.err}`);
    assert.equal(ours.out, reference, `${f}: tsbgp mrt print differs from bgpdump -m`);
    all += ours.out;
  }
  // What the comparison covered.
  for (const want of [/^TABLE_DUMP2_AP\|/m, /^TABLE_DUMP2\|/m, /^BGP4MP_AP\|\d+\|A\|/m, /^BGP4MP\|\d+\|A\|/m, /^BGP4MP\|\d+\|STATE\|/m, /\|4200000002\|/, /\|2001:db8:300::\/40\|/, /\|2001:db8:10::\/48\|/, /\{64504,64505\}/, /\|AG\|64502 10\.9\.9\.9\|/, /no-advertise/]) {
    assert.match(all, want);
  }
});
