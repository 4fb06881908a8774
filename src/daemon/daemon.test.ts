// Two daemons in one process over loopback TCP (127.0.0.1 and 127.0.0.2, free high
// ports): sessions come up, originated routes arrive with the right attributes, a
// reload withdraws and restarts by difference, and stop() sends the shutdown
// communication. Real sockets, so waits are bounded polls of the collected log lines.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { parseConfig, type DaemonConfig } from './config.js';
import { Daemon, normalizeRemoteAddress } from './daemon.js';
import { collector, freePort, waitFor, type LogLine } from './testing.js';

const line = (lines: readonly LogLine[], msg: string, match: Readonly<Record<string, unknown>> = {}): LogLine | undefined =>
  lines.find((l) => l.msg === msg && Object.entries(match).every(([k, v]) => l[k] === v));

function configA(portA: number, portB: number, originate: string, holdTime = 90): DaemonConfig {
  return parseConfig(
    `[global.config]
as = 65001
router-id = "10.0.0.1"
port = ${portA}
local-address-list = ["127.0.0.1"]
[[neighbors]]
[neighbors.config]
neighbor-address = "127.0.0.2"
peer-as = 65002
[neighbors.transport.config]
local-address = "127.0.0.1"
remote-port = ${portB}
[neighbors.timers.config]
hold-time = ${holdTime}
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "ipv4-unicast"
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "ipv6-unicast"
${originate}`,
    'toml',
    'a.toml',
  );
}

function configB(portA: number, portB: number): DaemonConfig {
  return parseConfig(
    `global:
  config: { as: 65002, router-id: 10.0.0.2, port: ${portB}, local-address-list: [127.0.0.2] }
neighbors:
  - config: { neighbor-address: 127.0.0.1, peer-as: 65001 }
    transport: { config: { local-address: 127.0.0.2, remote-port: ${portA}, passive-mode: true } }
    afi-safis:
      - config: { afi-safi-name: ipv4-unicast }
      - config: { afi-safi-name: ipv6-unicast }
`,
    'yaml',
    'b.yaml',
  );
}

const routes = `
[[originate]]
prefix = "172.17.254.1/32"
origin = "incomplete"
communities = ["65001:100"]
[[originate]]
prefix = "172.17.254.2/32"
origin = "incomplete"
communities = ["65001:100"]
[[originate]]
prefix = "2001:db8:1::/48"
next-hop = "2001:db8::1"
`;

const daemons: Daemon[] = [];
after(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
});

test('accepted connections are matched by address, IPv4-mapped IPv6 unmapped', () => {
  assert.equal(normalizeRemoteAddress('::ffff:127.0.0.2'), '127.0.0.2');
  assert.equal(normalizeRemoteAddress('2001:DB8:0::1'), '2001:db8::1');
  assert.equal(normalizeRemoteAddress(undefined), undefined);
});

test('two daemons: routes, reload by difference, shutdown communication', async () => {
  const portA = await freePort('127.0.0.1');
  const portB = await freePort('127.0.0.2');
  const a = collector();
  const b = collector();
  const daemonA = new Daemon(configA(portA, portB, routes), { logger: a.logger, hostname: 'a.test', shutdownMessage: 'maintenance window' });
  const daemonB = new Daemon(configB(portA, portB), { logger: b.logger, hostname: 'b.test' });
  daemons.push(daemonA, daemonB);
  await daemonB.start();
  await daemonA.start();
  assert.ok(line(a.lines, 'tsbgpd started', { as: 65001, routerId: '10.0.0.1' }));
  assert.deepEqual(line(a.lines, 'tsbgpd started')!['listen'], [`127.0.0.1:${portA}`]);

  await waitFor('A established', () => line(a.lines, 'session state', { peer: '127.0.0.2', to: 'Established' }));
  await waitFor('B established', () => line(b.lines, 'session state', { peer: '127.0.0.1', to: 'Established' }));

  // eBGP: AS_PATH is our AS; IPv4 next hop is our end of the connection; IPv6 the configured one.
  const r1 = await waitFor('172.17.254.1/32 at B', () => line(b.lines, 'route received', { prefix: '172.17.254.1/32' }));
  assert.deepEqual({ ...r1, time: undefined }, { time: undefined, level: 'debug', msg: 'route received', peer: '127.0.0.1', prefix: '172.17.254.1/32', nextHop: '127.0.0.1', asPath: '65001', origin: '?' });
  const r6 = await waitFor('2001:db8:1::/48 at B', () => line(b.lines, 'route received', { prefix: '2001:db8:1::/48' }));
  assert.equal(r6['nextHop'], '2001:db8::1');
  assert.equal(r6['asPath'], '65001');
  assert.equal(r6['origin'], 'i');
  assert.ok(line(b.lines, 'route received', { prefix: '172.17.254.2/32', nextHop: '127.0.0.1' }));
  await waitFor('End-of-RIB IPv4 at B', () => line(b.lines, 'end of rib', { peer: '127.0.0.1', family: 'ipv4-unicast' }));
  await waitFor('End-of-RIB IPv6 at B', () => line(b.lines, 'end of rib', { peer: '127.0.0.1', family: 'ipv6-unicast' }));
  // Both IPv4 routes share their attributes, so one UPDATE carried them (plus one IPv6, two EoR).
  assert.ok(line(a.lines, 'routes sent', { peer: '127.0.0.2', announced: 3, updates: 4 }));

  // Reload: one IPv4 and the IPv6 route removed, one IPv4 route's MED changed.
  const fewer = `
[[originate]]
prefix = "172.17.254.1/32"
origin = "incomplete"
communities = ["65001:100"]
med = 7
`;
  const summary = daemonA.reload(configA(portA, portB, fewer));
  assert.equal(summary.routesRemoved, 2);
  assert.equal(summary.routesChanged, 1);
  assert.equal(summary.neighborsRestarted, 0);
  assert.ok(line(a.lines, 'config reloaded', { removed: 2, routesChanged: 1 }));
  await waitFor('withdrawal of 172.17.254.2/32', () => line(b.lines, 'route withdrawn', { peer: '127.0.0.1', prefix: '172.17.254.2/32' }));
  await waitFor('withdrawal of 2001:db8:1::/48', () => line(b.lines, 'route withdrawn', { peer: '127.0.0.1', prefix: '2001:db8:1::/48' }));
  const received = () => b.lines.filter((l) => l.msg === 'route received' && l['prefix'] === '172.17.254.1/32');
  await waitFor('re-announcement of 172.17.254.1/32', () => (received().length === 2 ? true : undefined));
  assert.equal(line(b.lines, 'route withdrawn', { prefix: '172.17.254.1/32' }), undefined);

  // A changed neighbor setting restarts that session with Cease / Other Configuration Change.
  const restart = daemonA.reload(configA(portA, portB, fewer, 30));
  assert.equal(restart.neighborsRestarted, 1);
  await waitFor('Other Configuration Change at B', () => line(b.lines, 'notification received', { peer: '127.0.0.1', code: 6, subcode: 6 }));
  const established = () => b.lines.filter((l) => l.msg === 'session state' && l['to'] === 'Established').length;
  await waitFor('B established again', () => (established() === 2 ? true : undefined));

  // Shutdown: every peer gets Cease / Administrative Shutdown with the communication (RFC 9003).
  await daemonA.stop();
  const n = await waitFor('shutdown communication at B', () => line(b.lines, 'notification received', { peer: '127.0.0.1', code: 6, subcode: 2 }));
  assert.equal(n['communication'], 'maintenance window');
  await daemonB.stop();
});

test('a connection from an address that is not a neighbor is closed at once', async () => {
  const portA = await freePort('127.0.0.1');
  const portB = await freePort('127.0.0.2');
  const a = collector();
  const daemonA = new Daemon(configA(portA, portB, ''), { logger: a.logger, hostname: 'a.test' });
  daemons.push(daemonA);
  await daemonA.start();
  const { connect } = await import('node:net');
  const closed = await new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port: portA, localAddress: '127.0.0.3' });
    s.on('error', () => undefined);
    s.on('close', () => resolve(true));
  });
  assert.ok(closed);
  assert.ok(line(a.lines, 'connection refused', { reason: 'not a configured neighbor' }));
  await daemonA.stop();
});

test('a port that is in use fails start with the address in the message', async () => {
  const portA = await freePort('127.0.0.1');
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(portA, '127.0.0.1', resolve));
  try {
    const daemon = new Daemon(configA(portA, 1, ''), { logger: collector().logger });
    await assert.rejects(daemon.start(), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${portA}`));
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});

// ---- the router role: dynamic neighbors from a range, the RIB's multipath set ----

/** rt-01 on 127.0.0.1: no neighbor known in advance but 127.0.0.5, ranges per peer group. */
function routerConfig(port: number, options: { holdTime?: number; withSubRange?: boolean } = {}): DaemonConfig {
  return parseConfig(
    `[global.config]
as = 64512
router-id = "172.17.0.1"
port = ${port}
local-address-list = ["127.0.0.1"]
[global.use-multiple-paths.config]
enabled = true
[[peer-groups]]
[peer-groups.config]
peer-group-name = "k8s"
peer-as = 64522
[peer-groups.timers.config]
hold-time = ${options.holdTime ?? 90}
[[peer-groups]]
[peer-groups.config]
peer-group-name = "other"
peer-as = 64523
[[dynamic-neighbors]]
[dynamic-neighbors.config]
prefix = "127.0.0.0/8"
peer-group = "k8s"
${options.withSubRange === false ? '' : '[[dynamic-neighbors]]\n[dynamic-neighbors.config]\nprefix = "127.0.0.16/28"\npeer-group = "other"\n'}
[[neighbors]]
[neighbors.config]
neighbor-address = "127.0.0.5"
peer-as = 64530
[neighbors.transport.config]
passive-mode = true
`,
    'toml',
    'rt.toml',
  );
}

/** A speaker that connects to the router and announces the service address with `nextHop`. */
function speakerConfig(address: string, as: number, routerPort: number, nextHop: string | undefined): DaemonConfig {
  return parseConfig(
    `[global.config]
as = ${as}
router-id = "${address}"
port = -1
[[neighbors]]
[neighbors.config]
neighbor-address = "127.0.0.1"
peer-as = 64512
[neighbors.transport.config]
local-address = "${address}"
remote-port = ${routerPort}
[neighbors.timers.config]
connect-retry = 1
idle-hold-time-after-reset = 1
${nextHop === undefined ? '' : `[[originate]]\nprefix = "172.17.254.1/32"\nnext-hop = "${nextHop}"\norigin = "incomplete"\n`}`,
    'toml',
    `${address}.toml`,
  );
}

test('the router: sessions from ranges (longest match, static wins), multipath in the RIB, departures leave nothing, reload by range', async () => {
  const port = await freePort('127.0.0.1');
  const r = collector();
  const router = new Daemon(routerConfig(port), { logger: r.logger, hostname: 'rt.test' });
  daemons.push(router);
  await router.start();
  const nodes = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((address, i) => {
    const c = collector();
    const d = new Daemon(speakerConfig(address, 64522, port, `172.17.0.${21 + i}`), { logger: c.logger, hostname: `node${i}.test` });
    daemons.push(d);
    return { address, d, lines: c.lines };
  });
  const s = collector();
  const staticSpeaker = new Daemon(speakerConfig('127.0.0.5', 64530, port, undefined), { logger: s.logger });
  const o = collector();
  const otherSpeaker = new Daemon(speakerConfig('127.0.0.17', 64523, port, undefined), { logger: o.logger });
  daemons.push(staticSpeaker, otherSpeaker);
  for (const n of nodes) await n.d.start();
  await staticSpeaker.start();
  await otherSpeaker.start();

  for (const address of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.17']) {
    await waitFor(`${address} Established at the router`, () => (router.sessionOf(address)?.state === 'Established' ? true : undefined));
  }
  // The /28 is longer than the /8: .17 has group "other"; .5 is the configured neighbor.
  const views = new Map(router.dynamicSessions.map((v) => [v.address, v]));
  assert.deepEqual([...views.keys()].sort(), ['127.0.0.17', '127.0.0.2', '127.0.0.3', '127.0.0.4']);
  assert.deepEqual(views.get('127.0.0.17'), { address: '127.0.0.17', range: '127.0.0.16/28', peerGroup: 'other', state: 'Established' });
  assert.equal(views.get('127.0.0.2')!.range, '127.0.0.0/8');
  assert.ok(line(r.lines, 'dynamic neighbor accepted', { peer: '127.0.0.3', range: '127.0.0.0/8', peerGroup: 'k8s', peerAs: 64522 }));

  // The RIB: one best path, three next hops, published as the routes came.
  const bestPaths = (): LogLine[] => r.lines.filter((l) => l.msg === 'best path' && l['prefix'] === '172.17.254.1/32');
  const lastSet = (): string[] => (bestPaths().at(-1)?.['multipath'] as string[] | undefined) ?? [];
  await waitFor('three next hops', () => (lastSet().length === 3 ? true : undefined));
  assert.deepEqual([...lastSet()].sort(), ['172.17.0.21', '172.17.0.22', '172.17.0.23']);
  assert.deepEqual(router.rib.get('172.17.254.1/32')!.multipath.map((route) => route.peer.address).sort(), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
  assert.ok(line(r.lines, 'route received', { peer: '127.0.0.2', prefix: '172.17.254.1/32', nextHop: '172.17.0.21', asPath: '64522', origin: '?' }), 'the route log still writes its lines');

  // A withdrawal: one event, the set without that next hop.
  const before = bestPaths().length;
  nodes[0]!.d.reload(speakerConfig('127.0.0.2', 64522, port, undefined));
  await waitFor('withdrawal at the router', () => line(r.lines, 'route withdrawn', { peer: '127.0.0.2', prefix: '172.17.254.1/32' }));
  await waitFor('the new set', () => (bestPaths().length > before ? true : undefined));
  assert.equal(bestPaths().length, before + 1);
  assert.deepEqual([...lastSet()].sort(), ['172.17.0.22', '172.17.0.23']);

  // A speaker leaves: its session and its routes go, and its dynamic session with them.
  await nodes[1]!.d.stop();
  await waitFor('127.0.0.3 removed', () => line(r.lines, 'dynamic neighbor removed', { peer: '127.0.0.3' }));
  assert.equal(router.sessionOf('127.0.0.3'), undefined);
  assert.deepEqual(lastSet(), ['172.17.0.23']);
  assert.equal(router.rib.get('172.17.254.1/32')!.paths.length, 1);

  // Reload: the /28 goes (Peer De-configured; .17 then falls in the /8, whose AS it does
  // not have, so it does not come back), and the k8s hold time changes (Other
  // Configuration Change: the speakers reconnect and get the new setting).
  const summary = router.reload(routerConfig(port, { holdTime: 30, withSubRange: false }));
  assert.equal(summary.dynamicNeighborsRemoved, 1);
  assert.equal(summary.peerGroupsChanged, 1);
  assert.equal(summary.dynamicSessionsRemoved, 1);
  assert.equal(summary.dynamicSessionsReset, 2);
  await waitFor('Peer De-configured at .17', () => line(o.lines, 'notification received', { peer: '127.0.0.1', code: 6, subcode: 3 }));
  await waitFor('Other Configuration Change at .4', () => line(nodes[2]!.lines, 'notification received', { peer: '127.0.0.1', code: 6, subcode: 6 }));
  await waitFor('.4 back with hold time 30', () => (router.sessionOf('127.0.0.4')?.state === 'Established' && router.sessionOf('127.0.0.4')?.config.holdTimeSec === 30 ? true : undefined));
  assert.equal(router.sessionOf('127.0.0.5')?.state, 'Established', 'the configured neighbor is not touched');
  await waitFor('the route of .4 again', () => (lastSet().length === 1 && lastSet()[0] === '172.17.0.23' && router.rib.get('172.17.254.1/32')!.paths.length === 1 ? true : undefined));

  await Promise.all([router.stop(), ...nodes.map((n) => n.d.stop()), staticSpeaker.stop(), otherSpeaker.stop()]);
  assert.deepEqual(router.dynamicSessions, []);
});
