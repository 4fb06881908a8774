// tsbgp's display commands against the stock gobgp CLI (Debian gobgpd 3.10.0's
// `gobgp`): both run against one API server over the same fake backend and must print
// the same text and the same JSON. Times that depend on the moment of printing (Age,
// Up/Down, "up for") are masked, and checked to differ by no more than the time the
// two runs took.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../lib/clock.js';
import type { ApiServer } from '../api/server.js';
import { richBackend } from './testing/backends.js';
import { durations, killAll, maskTimes, run, startServer } from './testing/harness.js';

let server: ApiServer;
let port: number;

before(async () => {
  ({ server, port } = await startServer(richBackend(systemClock.wallNow())));
});

after(async () => {
  killAll();
  await server.close();
});

/** Runs both on `args`; returns gobgp's and tsbgp's output, and the seconds the runs spanned. */
async function both(args: readonly string[]): Promise<{ gobgp: string; tsbgp: string; spanSec: number }> {
  const startMs = systemClock.wallNow();
  const [g, t] = await Promise.all([run('gobgp', ['-p', String(port), ...args]), run('tsbgp', ['-p', String(port), ...args])]);
  const spanSec = Math.ceil((systemClock.wallNow() - startMs) / 1000) + 1;
  assert.equal(g.code, 0, `gobgp ${args.join(' ')}: ${g.stdout}${g.stderr}`);
  assert.equal(t.code, 0, `tsbgp ${args.join(' ')}: ${t.stderr}`);
  assert.equal(t.stderr, '');
  return { gobgp: g.stdout, tsbgp: t.stdout, spanSec };
}

async function sameText(...args: string[]): Promise<string> {
  const { gobgp, tsbgp, spanSec } = await both(args);
  assert.equal(maskTimes(tsbgp), maskTimes(gobgp), `tsbgp ${args.join(' ')}`);
  const [dg, dt] = [durations(gobgp), durations(tsbgp)];
  assert.equal(dt.length, dg.length);
  dt.forEach((d, i) => assert.ok(Math.abs(d - dg[i]!) <= spanSec, `time ${i}: tsbgp ${d} s, gobgp ${dg[i]} s, runs within ${spanSec} s`));
  return tsbgp;
}

async function sameJson(...args: string[]): Promise<unknown> {
  const { gobgp, tsbgp } = await both(['-j', ...args]);
  const parsed = JSON.parse(tsbgp) as unknown;
  assert.deepEqual(parsed, JSON.parse(gobgp), `tsbgp -j ${args.join(' ')}`);
  return parsed;
}

test('global: the same four lines (gobgp leaves the last without its newline)', async () => {
  const { gobgp, tsbgp } = await both(['global']);
  assert.equal(tsbgp, `${gobgp}\n`);
  assert.equal(tsbgp, 'AS:        64512\nRouter-ID: 172.17.0.1\nListening Port: 179, Addresses: 0.0.0.0\nMultipath: enabled\n');
});

test('neighbor: the table of peers in every state', async () => {
  const out = await sameText('neighbor');
  assert.match(out, /^172\.17\.0\.30 +64530 +never Idle +\|/m);
  assert.match(out, /^172\.17\.0\.31 +64531 +\d\d:\d\d:\d\d Idle\(Admin\) \|/m);
  assert.match(out, /^172\.17\.0\.40 +64512 3d 00:00:\d\d Establ +\| +4 +3$/m);
});

test('neighbor ADDRESS: session, capabilities and counters of each peer', async () => {
  for (const address of ['172.17.0.21', '172.17.0.30', '172.17.0.31', '172.17.0.32', '172.17.0.40', '2001:db8::2']) await sameText('neighbor', address);
  const v6 = await sameText('neighbor', '2001:db8::2');
  assert.match(v6, /^ {4}graceful-restart:\tadvertised and received\n {8}Local: restart time 120 sec, notification flag set\n\t {4}ipv4-unicast, forward flag set\n/m);
});

test('global rib: every attribute, best and stale marks, both families, lookups', async () => {
  const rib = await sameText('global', 'rib');
  assert.match(rib, /^\*> 172\.17\.254\.1\/32 +172\.17\.0\.21 +64522 +\d\d:\d\d:\d\d +\[\{Origin: \?\}\]$/m);
  assert.match(rib, /^S\*>192\.168\.100\.0\/24 /m);
  assert.match(rib, /\{Extcomms: \[65000:100\], \[10\.0\.0\.1:7\], \[1\.0:5\], \[0\]\}/);
  await sameText('global', 'rib', '-a', 'ipv6');
  await sameText('global', 'rib', '172.17.254.1');
  await sameText('global', 'rib', '10.20.0.0/16');
  await sameText('global', 'rib', '10.0.0.0/8', 'longer-prefixes');
  await sameText('global', 'rib', '10.20.0.0/16', 'shorter-prefixes');
  assert.equal(await sameText('global', 'rib', '10.99.0.0/16'), 'Network not in table\n');
  await sameText('global', 'rib', 'summary');
  await sameText('global', 'rib', '-a', 'ipv6', 'summary');
});

test('neighbor ADDRESS adj-in, adj-out, local: the ID column, no Age in adj-out, the family of the address', async () => {
  const adjIn = await sameText('neighbor', '172.17.0.40', 'adj-in');
  assert.match(adjIn, /^ {3}ID {2}Network/);
  assert.match(await sameText('neighbor', '172.17.0.40', 'adj-out'), /^ {3}ID {2}Network +Next Hop +AS_PATH +Attrs$/m);
  await sameText('neighbor', '172.17.0.40', 'local');
  assert.match(await sameText('neighbor', '2001:db8::2', 'adj-in'), /^ {3}1 {3}2001:db8:100::\/48 /m);
  await sameText('neighbor', '2001:db8::2', 'adj-in', '-a', 'ipv4');
  await sameText('neighbor', '172.17.0.40', 'adj-in', '10.20.0.0/16');
  await sameText('neighbor', '172.17.0.40', 'adj-in', 'summary');
  assert.equal(await sameText('neighbor', '172.17.0.21', 'adj-out'), 'Network not in table\n');
});

test('-j: the same JSON as gobgp -j for each display command', async () => {
  assert.deepEqual(await sameJson('global'), { asn: 64512, router_id: '172.17.0.1', listen_port: 179, listen_addresses: ['0.0.0.0'], families: [65537, 131073], use_multiple_paths: true });
  const peers = await sameJson('neighbor');
  assert.ok(Array.isArray(peers) && peers.length === 8);
  await sameJson('neighbor', '2001:db8::2');
  const rib = (await sameJson('global', 'rib')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(rib), ['10.0.0.0/8', '10.20.0.0/16', '172.17.254.1/32', '192.168.100.0/24']);
  await sameJson('global', 'rib', '-a', 'ipv6');
  await sameJson('global', 'rib', 'summary');
  await sameJson('neighbor', '172.17.0.40', 'adj-in');
  await sameJson('neighbor', '172.17.0.40', 'adj-out');
  await sameJson('neighbor', '2001:db8::2', 'adj-in');
  assert.deepEqual(await sameJson('global', 'rib', '10.99.0.0/16'), {});
});

test('-j prints the JSON text of gobgp byte for byte where no time is involved', async () => {
  for (const args of [['global'], ['global', 'rib'], ['neighbor', '172.17.0.40', 'adj-in'], ['global', 'rib', 'summary']]) {
    const { gobgp, tsbgp } = await both(['-j', ...args]);
    assert.equal(tsbgp.trimEnd(), gobgp.trimEnd(), args.join(' '));
  }
});
