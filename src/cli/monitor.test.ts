// `tsbgp monitor` against the scenario (../shared/SCENARIO.md) and against gobgp's
// `monitor`: the same lines for the same WatchEvent stream (arrival stamps masked and
// checked to lie within the test), withdrawals when a session drops, JSON lines, and
// a clean end of the stream on SIGTERM / SIGINT.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../lib/clock.js';
import type { ApiServer } from '../api/server.js';
import { scenarioBackend, scenarioRoute, type FakeBackend } from '../api/fake-backend.js';
import { runCli, type CliIo } from './main.js';
import { richBackend } from './testing/backends.js';
import { killAll, maskTimes, startServer, startStreaming, watchers } from './testing/harness.js';

let backend: FakeBackend;
let server: ApiServer;
let port: number;

before(async () => {
  backend = richBackend(systemClock.wallNow());
  ({ server, port } = await startServer(backend));
});

after(async () => {
  killAll();
  await server.close();
});

const stamp = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) /;

/** Every line starts with a UTC stamp within [fromMs, now] (whole seconds). */
function assertStamps(lines: readonly string[], fromMs: number): void {
  const toMs = systemClock.wallNow();
  for (const line of lines) {
    const m = stamp.exec(line);
    assert.ok(m !== null, line);
    const at = Date.parse(m[1]!);
    assert.ok(at >= Math.floor(fromMs / 1000) * 1000 && at <= toMs, `${m[1]} outside the test's time`);
  }
}

test('monitor adj-in prints the scenario lines exactly', async () => {
  const scenario = scenarioBackend(systemClock.wallNow());
  const { server: own, port: ownPort } = await startServer(scenario);
  let out = '';
  let interrupt: (() => void) | undefined;
  let onLine: () => void = () => undefined;
  const io: CliIo = {
    out: (t) => {
      out += t;
      onLine();
    },
    err: (t) => assert.fail(t),
    readStdin: async () => '',
    onInterrupt: (handler) => {
      interrupt = handler;
      return () => (interrupt = undefined);
    },
  };
  try {
    // The stamp is when a line arrives: held at the scenario's moment.
    const exit = runCli(['-p', String(ownPort), 'monitor', 'adj-in'], io, () => Date.parse('2019-07-27T07:32:17Z'));
    await watchers(scenario, 1);
    const lines = new Promise<void>((resolve) => (onLine = () => out.split('\n').length > 3 && resolve()));
    for (const node of ['172.17.0.23', '172.17.0.21', '172.17.0.22']) scenario.emitRoutes('adj-in', [{ route: scenarioRoute(node, systemClock.wallNow(), false), isWithdraw: false }]);
    await lines;
    assert.equal(
      out,
      '2019-07-27T07:32:17Z [ROUTE] 172.17.254.1/32 via 172.17.0.23 aspath [64522] attrs [{Origin: ?}]\n' +
        '2019-07-27T07:32:17Z [ROUTE] 172.17.254.1/32 via 172.17.0.21 aspath [64522] attrs [{Origin: ?}]\n' +
        '2019-07-27T07:32:17Z [ROUTE] 172.17.254.1/32 via 172.17.0.22 aspath [64522] attrs [{Origin: ?}]\n',
    );
    const unwatched = scenario.nextUnwatch();
    assert.ok(interrupt !== undefined, 'monitor registers for Ctrl-C');
    interrupt();
    assert.equal(await exit, 0);
    await unwatched;
    assert.equal(scenario.watcherCount, 0);
  } finally {
    await own.close();
  }
});

test('monitor adj-in: the lines of gobgp, and withdrawals when a session drops; SIGTERM ends it cleanly', async () => {
  const base = backend.watcherCount;
  const from = systemClock.wallNow();
  const t = startStreaming('tsbgp', ['-p', String(port), 'monitor', 'adj-in']);
  const g = startStreaming('gobgp', ['-p', String(port), 'monitor', 'adj-in']);
  try {
    await watchers(backend, base + 2);
    const routes = backend.routes.filter((r) => r.source.address !== '172.17.0.21');
    backend.emitRoutes('adj-in', routes.map((route) => ({ route, isWithdraw: false })));
    // 172.17.0.22 goes down: its session ends and its routes are withdrawn.
    const peer = backend.peers.get('172.17.0.22')!;
    backend.emit({ kind: 'peer', peer: { ...peer, state: 'Idle', session: undefined, downSinceMs: systemClock.wallNow() } });
    const gone = routes.filter((r) => r.source.address === '172.17.0.22');
    backend.emitRoutes('adj-in', gone.map((route) => ({ route, isWithdraw: true })));
    const count = routes.length + gone.length;
    const [tLines, gLines] = await Promise.all([t.lines(count), g.lines(count)]);
    assert.deepEqual(tLines.map(maskTimes), gLines.map(maskTimes));
    assertStamps(tLines, from);
    assert.match(tLines.at(-1)!, / \[DELROUTE\] 172\.17\.254\.1\/32 via 172\.17\.0\.22 aspath \[64522\] attrs \[\{Origin: \?\}\]$/);
    assert.ok(tLines.some((l) => l.includes('[ROUTE] 2001:db8:100::/48 via 2001:db8::2 aspath [65002] attrs [{Origin: i} {Communities: 65002:1}]')));
    const unwatched = backend.nextUnwatch();
    const end = await t.stop('SIGTERM');
    assert.equal(end.code, 0, end.stderr);
    assert.equal(end.stderr, '');
    await unwatched;
  } finally {
    await g.stop('SIGKILL');
  }
});

test('monitor global rib, with and without --current: the lines of gobgp; SIGINT ends it cleanly', async () => {
  const base = backend.watcherCount;
  const t = startStreaming('tsbgp', ['-p', String(port), 'monitor', 'global', 'rib', '--current']);
  const g = startStreaming('gobgp', ['-p', String(port), 'monitor', 'global', 'rib', '--current']);
  try {
    await watchers(backend, base + 2);
    const best = backend.routes.filter((r) => r.isBest || r.isMultipath);
    backend.emitRoutes('best', [{ route: best[0]!, isWithdraw: true }]);
    const count = best.length + 1;
    const [tLines, gLines] = await Promise.all([t.lines(count), g.lines(count)]);
    assert.deepEqual(tLines.map(maskTimes), gLines.map(maskTimes));
    assert.match(tLines.at(-1)!, /\[DELROUTE\]/);
    const end = await t.stop('SIGINT');
    assert.equal(end.code, 0, end.stderr);
  } finally {
    await g.stop('SIGKILL');
  }
});

test('monitor neighbor ADDRESS: the lines of gobgp; without an address, every peer (gobgp prints none)', async () => {
  const base = backend.watcherCount;
  const one = startStreaming('tsbgp', ['-p', String(port), 'monitor', 'neighbor', '172.17.0.23']);
  const all = startStreaming('tsbgp', ['-p', String(port), 'monitor', 'neighbor']);
  const g = startStreaming('gobgp', ['-p', String(port), 'monitor', 'neighbor', '172.17.0.23']);
  try {
    await watchers(backend, base + 3);
    for (const address of ['172.17.0.22', '172.17.0.23']) {
      const peer = backend.peers.get(address)!;
      backend.emit({ kind: 'peer', peer: { ...peer, state: 'Idle', isAdminDown: true, session: undefined } });
      backend.emit({ kind: 'peer', peer });
    }
    const [oneLines, allLines, gLines] = await Promise.all([one.lines(2), all.lines(4), g.lines(2)]);
    assert.deepEqual(oneLines.map(maskTimes), gLines.map(maskTimes));
    assert.deepEqual(oneLines.map(maskTimes), ['YYYY-MM-DDTHH:MM:SSZ [NEIGH] 172.17.0.23 fsm: IDLE admin: DOWN', 'YYYY-MM-DDTHH:MM:SSZ [NEIGH] 172.17.0.23 fsm: ESTABLISHED admin: UP']);
    assert.deepEqual(
      allLines.map((l) => l.replace(stamp, '')),
      ['[NEIGH] 172.17.0.22 fsm: IDLE admin: DOWN', '[NEIGH] 172.17.0.22 fsm: ESTABLISHED admin: UP', '[NEIGH] 172.17.0.23 fsm: IDLE admin: DOWN', '[NEIGH] 172.17.0.23 fsm: ESTABLISHED admin: UP'],
    );
  } finally {
    await Promise.all([one.stop('SIGTERM'), all.stop('SIGTERM'), g.stop('SIGKILL')]);
  }
});

test('monitor neighbor --current starts with each peer state', async () => {
  const t = startStreaming('tsbgp', ['-p', String(port), 'monitor', 'neighbor', '--current']);
  try {
    const lines = await t.lines(backend.peers.size);
    assert.deepEqual(
      lines.map((l) => l.replace(stamp, '').replace(/ fsm: .*/, '')),
      [...backend.listPeers()].map((p) => `[NEIGH] ${p.address}`),
    );
    assert.match(lines[0]!, /\[NEIGH\] 172\.17\.0\.21 fsm: ESTABLISHED admin: UP$/);
  } finally {
    await t.stop('SIGTERM');
  }
});

test('monitor -j: one JSON line per server message, as gobgp -j prints them', async () => {
  const base = backend.watcherCount;
  const t = startStreaming('tsbgp', ['-j', '-p', String(port), 'monitor', 'adj-in']);
  const g = startStreaming('gobgp', ['-j', '-p', String(port), 'monitor', 'adj-in']);
  const tn = startStreaming('tsbgp', ['-j', '-p', String(port), 'monitor', 'neighbor', '172.17.0.21']);
  const gn = startStreaming('gobgp', ['-j', '-p', String(port), 'monitor', 'neighbor', '172.17.0.21']);
  try {
    await watchers(backend, base + 4);
    backend.emitRoutes('adj-in', backend.routes.slice(0, 3).map((route) => ({ route, isWithdraw: false })));
    backend.emitRoutes('adj-in', [{ route: backend.routes[3]!, isWithdraw: true }]);
    backend.emit({ kind: 'peer', peer: { ...backend.peers.get('172.17.0.21')!, state: 'Active' } });
    const [tLines, gLines, tnLines, gnLines] = await Promise.all([t.lines(2), g.lines(2), tn.lines(1), gn.lines(1)]);
    assert.deepEqual(tLines.map((l) => JSON.parse(l) as unknown), gLines.map((l) => JSON.parse(l) as unknown));
    assert.equal((JSON.parse(tLines[0]!) as unknown[]).length, 3);
    assert.equal((JSON.parse(tLines[1]!) as { withdrawal?: boolean }[])[0]!.withdrawal, true);
    assert.deepEqual(JSON.parse(tnLines[0]!), JSON.parse(gnLines[0]!));
    assert.equal((JSON.parse(tnLines[0]!) as { state: { session_state: number } }).state.session_state, 3);
  } finally {
    await Promise.all([t.stop('SIGTERM'), tn.stop('SIGTERM'), g.stop('SIGKILL'), gn.stop('SIGKILL')]);
  }
});

test('a monitor whose server goes away says so and exits 1', async () => {
  const own = richBackend(systemClock.wallNow());
  const { server: ownServer, port: ownPort } = await startServer(own);
  const t = startStreaming('tsbgp', ['-p', String(ownPort), 'monitor', 'adj-in']);
  try {
    await watchers(own, 1);
    await ownServer.close();
    const end = await t.ended;
    assert.equal(end.code, 1);
    assert.equal(end.stderr, `tsbgp: monitor adj-in: the server at 127.0.0.1:${ownPort} ended the stream\n`);
  } finally {
    await t.stop('SIGKILL');
  }
});
