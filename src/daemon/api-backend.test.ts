// The management API over a running daemon, in one process on loopback: the scenario's
// router (127.0.0.1, AS 64512, a dynamic-neighbors range, multipath) with its API on a
// free port, and three speakers (127.0.0.2-4, AS 64522) announcing 172.17.254.1/32 with
// next hops 172.17.0.21-23. Checked through ApiClient as a gobgp user would see it:
// peers, tables, the watch feeds (a dropped session's withdrawals included), routes
// added through the API reaching the speakers, and the peer operations.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { formatPrefix, parsePrefix } from '../lib/address.js';
import { ApiClient, type Watch } from '../api/client.js';
import { ApiServer } from '../api/server.js';
import { packAny, prefixFromAny, prefixToAny, unpackAny } from '../api/convert.js';
import { LookupType, PeerEventType, SessionState, TableType, WatchFilterType, type Path, type WatchEventResponse } from '../api/apipb.js';
import { parseConfig, type DaemonConfig } from './config.js';
import { Daemon } from './daemon.js';
import { DaemonApiBackend } from './api-backend.js';
import { collector, freePort, waitFor, type LogLine } from './testing.js';

const line = (lines: readonly LogLine[], msg: string, match: Readonly<Record<string, unknown>> = {}): LogLine | undefined =>
  lines.find((l) => l.msg === msg && Object.entries(match).every(([k, v]) => l[k] === v));

function routerConfig(port: number): DaemonConfig {
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
[[dynamic-neighbors]]
[dynamic-neighbors.config]
prefix = "127.0.0.0/29"
peer-group = "k8s"
[[originate]]
prefix = "10.98.0.0/24"
next-hop = "192.0.2.98"
`,
    'toml',
    'rt.toml',
  );
}

function speakerConfig(address: string, routerPort: number, nextHop: string, asn = 64522): DaemonConfig {
  return parseConfig(
    `[global.config]
as = ${asn}
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
[[originate]]
prefix = "172.17.254.1/32"
next-hop = "${nextHop}"
origin = "incomplete"
`,
    'toml',
    `${address}.toml`,
  );
}

const ipv4 = { afi: 1, safi: 1 };
const service = '172.17.254.1/32';
const speakerAddresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4'] as const;
const nextHops = ['172.17.0.21', '172.17.0.22', '172.17.0.23'] as const;

let router: Daemon;
let routerLog: LogLine[];
let speakers: { address: string; daemon: Daemon; lines: LogLine[] }[];
let server: ApiServer;
let client: ApiClient;
const adjInEvents: { path: Path; at: number }[] = [];
let adjInWatch: Watch;

/** The NEXT_HOP (or MP_REACH next hop) and AS numbers of an API path. */
function describePath(path: Path): { prefix: string; nextHop: string; asns: number[]; origin: number | undefined } {
  let nextHop = '';
  const asns: number[] = [];
  let origin: number | undefined;
  for (const [i, any] of (path.pattrs ?? []).entries()) {
    const { name, value } = unpackAny(any, `pattrs[${i}]`);
    if (name === 'NextHopAttribute') nextHop = String(value['next_hop']);
    if (name === 'MpReachNLRIAttribute') nextHop = String((value['next_hops'] as string[])[0]);
    if (name === 'OriginAttribute') origin = Number(value['origin']);
    if (name === 'AsPathAttribute') for (const seg of value['segments'] as { numbers: number[] }[]) asns.push(...seg.numbers);
  }
  return { prefix: formatPrefix(prefixFromAny(path.nlri, 'nlri')), nextHop, asns, origin };
}

async function rejection(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as grpc.ServiceError;
  }
  assert.fail('expected the call to fail');
}

before(async () => {
  const port = await freePort('127.0.0.1');
  const r = collector();
  routerLog = r.lines;
  router = new Daemon(routerConfig(port), { logger: r.logger, hostname: 'rt.test' });
  await router.start();
  server = await ApiServer.start(new DaemonApiBackend(router, { logger: r.logger }), { hosts: '127.0.0.1:0', logger: r.logger });
  client = new ApiClient({ target: `127.0.0.1:${server.endpoints[0]!.port}`, timeoutMs: 5000 });
  // Watching before the speakers come: every route is seen as it arrives.
  adjInWatch = client.watchEvent({ table: { filters: [{ type: WatchFilterType.adjIn }] } }, (e: WatchEventResponse) => {
    for (const path of e.table?.paths ?? []) adjInEvents.push({ path, at: Date.now() });
  });
  await waitFor('the watch registered', () => r.lines.some((l) => l.msg === 'api call' && l['method'] === 'WatchEvent'));
  speakers = speakerAddresses.map((address, i) => {
    const c = collector();
    return { address, daemon: new Daemon(speakerConfig(address, port, nextHops[i]!), { logger: c.logger, hostname: `node${i}.test` }), lines: c.lines };
  });
  for (const s of speakers) await s.daemon.start();
  for (const s of speakers) await waitFor(`${s.address} Established`, () => router.sessionOf(s.address)?.state === 'Established');
  await waitFor('three paths', () => router.rib.get(service)?.paths.length === 3);
});

after(async () => {
  adjInWatch?.cancel();
  client?.close();
  await server?.close();
  await Promise.all([router?.stop(), ...(speakers ?? []).map((s) => s.daemon.stop())]);
});

test('GetBgp: the AS, router ID, listening port and address, multipath', async () => {
  const { global } = await client.getBgp();
  assert.equal(global?.asn, 64512);
  assert.equal(global?.router_id, '172.17.0.1');
  assert.equal(global?.listen_port, router.listenAddresses[0]!.port);
  assert.deepEqual(global?.listen_addresses, ['127.0.0.1']);
  assert.equal(global?.use_multiple_paths, true);
});

test('ListPeer: the three dynamic neighbors Established, with timers and counts', async () => {
  const peers = await client.listPeer();
  assert.deepEqual(peers.map((p) => p.conf?.neighbor_address), [...speakerAddresses]);
  for (const p of peers) {
    assert.equal(p.state?.session_state, SessionState.established);
    assert.equal(p.conf?.peer_asn, 64522);
    assert.equal(p.conf?.local_asn, 64512);
    assert.equal(p.conf?.peer_group, 'k8s');
    assert.equal(p.state?.router_id, p.conf?.neighbor_address);
    assert.equal(p.timers?.state?.negotiated_hold_time, 90);
    assert.equal(p.timers?.state?.keepalive_interval, 30);
    assert.ok((p.timers?.state?.uptime?.seconds ?? 0) > 1_600_000_000, 'uptime is a wall-clock timestamp');
    const v4 = p.afi_safis?.find((a) => a.state?.family?.afi === 1);
    assert.equal(v4?.state?.received, 1);
    assert.equal(v4?.state?.accepted, 1);
    // The router's [[originate]] route went to each of them.
    assert.equal(v4?.state?.advertised, 1);
    assert.ok((p.state?.messages?.received?.update ?? 0) >= 1);
    assert.ok((p.state?.remote_cap ?? []).length > 0);
  }
  const one = await client.listPeer({ address: '127.0.0.3' });
  assert.equal(one.length, 1);
});

test('ListPath global: the service address with three next hops, one best, the multipath set; the local route', async () => {
  const [dest] = await client.listPath({ table_type: TableType.global, family: ipv4, prefixes: [{ prefix: service, type: LookupType.exact }] });
  assert.ok(dest !== undefined);
  assert.equal(dest.prefix, service);
  const paths = dest.paths ?? [];
  assert.equal(paths.length, 3);
  assert.equal(paths.filter((p) => p.best === true).length, 1);
  assert.equal(paths[0]!.best, true, 'best first');
  assert.ok(paths.every((p) => p.multipath === true));
  assert.deepEqual(paths.map((p) => describePath(p).nextHop).sort(), [...nextHops]);
  for (const p of paths) assert.deepEqual(describePath(p).asns, [64522]);
  const all = await client.listPath({ table_type: TableType.global, family: ipv4 });
  assert.deepEqual(all.map((d) => d.prefix), ['10.98.0.0/24', service]);
  const local = all[0]!.paths![0]!;
  assert.equal(local.neighbor_ip, '');
  assert.equal(describePath(local).nextHop, '192.0.2.98');
  // A bare address finds the longest prefix holding it, as `gobgp global rib 172.17.254.1`.
  const lookup = await client.listPath({ table_type: TableType.global, family: ipv4, prefixes: [{ prefix: '172.17.254.1' }] });
  assert.deepEqual(lookup.map((d) => d.prefix), [service]);
  const summary = await client.getTable({ table_type: TableType.global, family: ipv4 });
  assert.equal(summary.num_destination, 2);
  assert.equal(summary.num_path, 4);
});

test('ListPath adj-in and adj-out per neighbor; an unknown neighbor is NOT_FOUND', async () => {
  for (const [i, address] of speakerAddresses.entries()) {
    const adjIn = await client.listPath({ table_type: TableType.adjIn, family: ipv4, name: address });
    assert.equal(adjIn.length, 1);
    assert.deepEqual(describePath(adjIn[0]!.paths![0]!), { prefix: service, nextHop: nextHops[i], asns: [64522], origin: 2 });
    assert.equal(adjIn[0]!.paths![0]!.neighbor_ip, address);
    const adjOut = await client.listPath({ table_type: TableType.adjOut, family: ipv4, name: address });
    assert.deepEqual(adjOut.map((d) => describePath(d.paths![0]!)), [{ prefix: '10.98.0.0/24', nextHop: '192.0.2.98', asns: [64512], origin: 0 }]);
  }
  const counts = await client.getTable({ table_type: TableType.adjIn, family: ipv4, name: '127.0.0.2' });
  assert.equal(counts.num_path, 1);
  assert.equal(counts.num_accepted, 1);
  const missing = await rejection(client.listPath({ table_type: TableType.adjIn, family: ipv4, name: '127.0.0.7' }));
  assert.equal(missing.code, grpc.status.NOT_FOUND);
  assert.match(missing.details, /no neighbor 127\.0\.0\.7/);
});

test('WatchEvent adj-in: each route as it arrived', () => {
  const routes = adjInEvents.filter((e) => e.path.is_withdraw !== true).map((e) => describePath(e.path));
  assert.deepEqual(routes.map((r) => r.nextHop).sort(), [...nextHops]);
  for (const r of routes) assert.deepEqual(r, { ...r, prefix: service, asns: [64522], origin: 2 });
});

test('AddPath: the route is originated, reaches the speakers, survives a reload, and DeletePath withdraws it', async () => {
  const best: Path[] = [];
  const bestWatch = client.watchEvent({ table: { filters: [{ type: WatchFilterType.best }] } }, (e) => best.push(...(e.table?.paths ?? [])));
  try {
    await waitFor('the best watch', () => routerLog.filter((l) => l.msg === 'api call' && l['method'] === 'WatchEvent').length >= 2);
    const path = {
      family: ipv4,
      nlri: prefixToAny(parsePrefix('10.99.0.0/24')),
      pattrs: [packAny('OriginAttribute', { origin: 0 }), packAny('NextHopAttribute', { next_hop: '192.0.2.1' }), packAny('CommunitiesAttribute', { communities: [(64512 << 16) | 7] })],
    };
    const { uuid } = await client.addPath({ table_type: TableType.global, path });
    assert.equal(uuid?.length, 16);
    for (const s of speakers) {
      await waitFor(`10.99.0.0/24 at ${s.address}`, () => line(s.lines, 'route received', { prefix: '10.99.0.0/24', nextHop: '192.0.2.1', asPath: '64512', origin: 'i' }));
    }
    const [dest] = await client.listPath({ table_type: TableType.global, family: ipv4, prefixes: [{ prefix: '10.99.0.0/24', type: LookupType.exact }] });
    assert.equal(dest?.paths?.[0]?.best, true);
    assert.deepEqual(dest?.paths?.[0]?.uuid, uuid);
    await waitFor('a best-path event for 10.99.0.0/24', () => best.find((p) => describePath(p).prefix === '10.99.0.0/24' && p.is_withdraw !== true));
    const peer = (await client.listPeer({ address: '127.0.0.2' }))[0]!;
    assert.equal(peer.afi_safis?.find((a) => a.state?.family?.afi === 1)?.state?.advertised, 2);

    // SIGHUP re-reads the file: the API's route is not in it, and stays.
    router.reload(routerConfig(router.listenAddresses[0]!.port));
    assert.ok(router.localRoutes.some((r) => r.prefixText === '10.99.0.0/24' && r.source === 'api'));
    assert.equal(line(speakers[0]!.lines, 'route withdrawn', { prefix: '10.99.0.0/24' }), undefined);

    const fromConfig = await rejection(client.deletePath({ table_type: TableType.global, family: ipv4, path: { family: ipv4, nlri: prefixToAny(parsePrefix('10.98.0.0/24')) } }));
    assert.equal(fromConfig.code, grpc.status.FAILED_PRECONDITION);
    assert.match(fromConfig.details, /\[\[originate\]\] route of the configuration file/);

    await client.deletePath({ table_type: TableType.global, family: ipv4, path: { family: ipv4, nlri: prefixToAny(parsePrefix('10.99.0.0/24')) } });
    for (const s of speakers) await waitFor(`withdrawal at ${s.address}`, () => line(s.lines, 'route withdrawn', { prefix: '10.99.0.0/24' }));
    await waitFor('a best-path withdrawal', () => best.find((p) => describePath(p).prefix === '10.99.0.0/24' && p.is_withdraw === true));
    assert.equal(router.rib.get('10.99.0.0/24'), undefined);
  } finally {
    bestWatch.cancel();
  }
});

test('soft reset: out sends the routes again, in asks the peer for its routes (ROUTE-REFRESH)', async () => {
  const s = speakers[2]!;
  const received = (): number => s.lines.filter((l) => l.msg === 'route received' && l['prefix'] === '10.98.0.0/24').length;
  const before = received();
  await client.resetPeer({ address: s.address, soft: true, direction: 1 });
  await waitFor('10.98.0.0/24 again', () => received() === before + 1);
  const mark = routerLog.length;
  await client.resetPeer({ address: s.address, soft: true, direction: 0 });
  const entry = routerLog.slice(mark).find((l) => l.msg === 'soft reset in' && l['peer'] === s.address);
  assert.ok(entry !== undefined, 'soft reset in logged');
  assert.equal(entry['how'], 'route-refresh');
  await waitFor('the speaker answers the refresh', () => s.lines.slice().some((l) => l.msg === 'route refresh received'));
});

test('ResetPeer: Cease / Administrative Reset with the communication; the speaker comes back', async () => {
  const s = speakers[2]!;
  await client.resetPeer({ address: s.address, communication: 'maintenance' });
  const n = await waitFor('the Cease at the speaker', () => line(s.lines, 'notification received', { code: 6, subcode: 4 }));
  assert.equal(n['communication'], 'maintenance');
  await waitFor('Established again', () => router.sessionOf(s.address)?.state === 'Established', 10_000);
});

test('ShutdownPeer: the session goes down with a withdrawal of its routes on the watch, stays down, EnablePeer brings it back', async () => {
  const s = speakers[0]!;
  const peerEvents: WatchEventResponse[] = [];
  const peerWatch = client.watchEvent({ peer: {} }, (e) => peerEvents.push(e));
  try {
    await waitFor('the peer watch', () => peerEvents.some((e) => e.peer?.type === PeerEventType.endOfInit));
    const from = adjInEvents.length;
    await client.shutdownPeer({ address: s.address, communication: 'going down' });
    const n = await waitFor('the Cease at the speaker', () => line(s.lines, 'notification received', { code: 6, subcode: 2 }));
    assert.equal(n['communication'], 'going down');
    // gobgpd prints nothing here; tsbgpd withdraws the routes the session had sent.
    const withdrawn = await waitFor('the withdrawal on the adj-in watch', () => adjInEvents.slice(from).find((e) => e.path.is_withdraw === true));
    assert.deepEqual(describePath(withdrawn.path), { prefix: service, nextHop: nextHops[0], asns: [64522], origin: 2 });
    assert.equal(withdrawn.path.neighbor_ip, s.address);
    await waitFor('an Idle event', () => peerEvents.find((e) => e.peer?.type === PeerEventType.state && e.peer.peer?.conf?.neighbor_address === s.address && e.peer.peer.state?.session_state === SessionState.idle));
    // The speaker retries every second; the router refuses while the neighbor is down.
    await new Promise((r) => setTimeout(r, 2500));
    const [down] = await client.listPeer({ address: s.address });
    assert.equal(down?.state?.session_state, SessionState.idle);
    assert.equal(down?.state?.admin_state, 1);
    assert.equal(down?.state?.flops, 1);
    assert.equal(router.rib.get(service)?.paths.length, 2);
    await client.enablePeer({ address: s.address });
    await waitFor('Established again', () => router.sessionOf(s.address)?.state === 'Established', 10_000);
    await waitFor('its route again', () => router.rib.get(service)?.paths.length === 3);
  } finally {
    peerWatch.cancel();
  }
});

test('AddPeer / DeletePeer: a static neighbor checked as the file is; duplicates and dynamic ones refused', async () => {
  const peer = { conf: { neighbor_address: '127.0.0.9', peer_asn: 64599 }, transport: { passive_mode: true } };
  await client.addPeer({ peer });
  const [added] = await client.listPeer({ address: '127.0.0.9' });
  assert.equal(added?.conf?.peer_asn, 64599);
  assert.equal(added?.transport?.passive_mode, true);
  assert.equal((await rejection(client.addPeer({ peer }))).code, grpc.status.ALREADY_EXISTS);
  const bad = await rejection(client.addPeer({ peer: { conf: { neighbor_address: '127.0.0.10', peer_asn: 64599 }, timers: { config: { hold_time: 30, keepalive_interval: 40 } } } }));
  assert.equal(bad.code, grpc.status.INVALID_ARGUMENT);
  assert.match(bad.details, /peer\.timers\.config\.keepalive-interval: expected an integer from 1 to the hold-time \(30\), got 40/);
  const group = await rejection(client.addPeer({ peer: { conf: { neighbor_address: '127.0.0.11', peer_group: 'none' } } }));
  assert.match(group.details, /unknown peer group "none"/);
  // A neighbor added through the API stays across a reload of the file.
  router.reload(routerConfig(router.listenAddresses[0]!.port));
  assert.equal((await client.listPeer({ address: '127.0.0.9' })).length, 1);
  await client.deletePeer({ address: '127.0.0.9' });
  assert.equal((await client.listPeer({ address: '127.0.0.9' })).length, 0);
  assert.equal((await rejection(client.deletePeer({ address: '127.0.0.9' }))).code, grpc.status.NOT_FOUND);
  assert.equal((await rejection(client.deletePeer({ address: speakerAddresses[1] }))).code, grpc.status.FAILED_PRECONDITION);
});

test('ListPeerGroup and ListDynamicNeighbor: the configuration\'s group and range', async () => {
  const groups = await client.listPeerGroup();
  assert.deepEqual(groups.map((g) => [g.conf?.peer_group_name, g.conf?.peer_asn, g.conf?.local_asn]), [['k8s', 64522, 64512]]);
  assert.ok((groups[0]!.info?.total_prefixes ?? 0) >= 1, 'the dynamic sessions are its members');
  assert.deepEqual(await client.listPeerGroup({ peer_group_name: 'nosuch' }), []);
  assert.deepEqual((await client.listDynamicNeighbor()).map((d) => [d.prefix, d.peer_group]), [['127.0.0.0/29', 'k8s']]);
});

test('policy calls: a neighbor\'s import policy filters its route at once; Accepted, GetTable and enable_filtered show it; removal restores it', async () => {
  const address = speakers[2]!.address;
  await waitFor(`${address} Established`, () => router.sessionOf(address)?.state === 'Established');
  await waitFor('its route', () => router.rib.get(service)?.paths.some((p) => p.peer.address === address) === true);
  const accepted = async (): Promise<number | undefined> => (await client.listPeer({ address }))[0]?.afi_safis?.find((a) => a.config?.family?.afi === 1)?.state?.accepted;
  await client.addDefinedSet({ defined_set: { defined_type: 0, name: 'svc', prefixes: [{ ip_prefix: service }] } });
  await client.addStatement({ statement: { name: 'drop-svc', conditions: { prefix_set: { name: 'svc' } }, actions: { route_action: 2 } } });
  await client.addPolicy({ policy: { name: 'imp', statements: [{ name: 'drop-svc' }] }, refer_existing_statements: true });
  await client.addPolicyAssignment({ assignment: { name: address, direction: 1, policies: [{ name: 'imp' }] } });
  assert.equal(router.rib.get(service)?.paths.some((p) => p.peer.address === address), false, 'gone from the Loc-RIB at once');
  assert.equal(router.rib.get(service)?.paths.length, 2, 'the other speakers\' paths stay');
  assert.equal(await accepted(), 0);
  const table = await client.getTable({ table_type: TableType.adjIn, name: address, family: { afi: 1, safi: 1 } });
  assert.deepEqual([table.num_path, table.num_accepted], [1, 0]);
  const plain = await client.listPath({ table_type: TableType.adjIn, name: address, family: { afi: 1, safi: 1 } });
  assert.deepEqual(plain.flatMap((d) => d.paths?.map((p) => p.filtered) ?? []), [false], 'adj-in is what the peer sent');
  const filtered = await client.listPath({ table_type: TableType.adjIn, name: address, family: { afi: 1, safi: 1 }, enable_filtered: true });
  assert.deepEqual(filtered.flatMap((d) => d.paths?.map((p) => p.filtered) ?? []), [true]);
  const listed = await client.listPolicyAssignment({ name: address, direction: 1 });
  assert.deepEqual(listed.map((a) => a.policies?.map((p) => p.name)), [['imp']]);
  const bad = await rejection(client.addPolicyAssignment({ assignment: { name: '127.0.0.99', direction: 1, policies: [{ name: 'imp' }] } }));
  assert.equal(bad.code, grpc.status.NOT_FOUND);
  await client.deletePolicyAssignment({ assignment: { name: address, direction: 1 }, all: true });
  assert.equal(router.rib.get(service)?.paths.some((p) => p.peer.address === address), true, 'back at once');
  assert.equal(await accepted(), 1);
});

test('AddPeerGroup and AddDynamicNeighbor: a new range accepts a speaker at once; UpdatePeerGroup moves its session onto the new settings; deleting the range drops it', async () => {
  const group = { conf: { peer_group_name: 'edge', peer_asn: 64530 }, timers: { config: { hold_time: 30 } } };
  await client.addPeerGroup({ peer_group: group });
  assert.equal((await rejection(client.addPeerGroup({ peer_group: group }))).code, grpc.status.ALREADY_EXISTS);
  const unnamed = await rejection(client.addPeerGroup({ peer_group: { conf: { peer_asn: 1 } } }));
  assert.equal(unnamed.code, grpc.status.INVALID_ARGUMENT);
  assert.match(unnamed.details, /peer_group\.conf\.peer_group_name/);
  const badTimers = await rejection(client.addPeerGroup({ peer_group: { conf: { peer_group_name: 'bad' }, timers: { config: { hold_time: 30, keepalive_interval: 40 } } } }));
  assert.match(badTimers.details, /peer_group\.timers\.config\.keepalive-interval: expected an integer from 1 to the hold-time \(30\), got 40/);
  assert.deepEqual((await client.listPeerGroup({ peer_group_name: 'edge' })).map((g) => [g.conf?.peer_asn, g.timers?.config?.hold_time]), [[64530, 30]]);

  const hostBits = await rejection(client.addDynamicNeighbor({ dynamic_neighbor: { prefix: '127.0.0.17/29', peer_group: 'edge' } }));
  assert.equal(hostBits.code, grpc.status.INVALID_ARGUMENT);
  assert.match(hostBits.details, /^dynamic_neighbor\.prefix: /);
  const unknown = await rejection(client.addDynamicNeighbor({ dynamic_neighbor: { prefix: '127.0.0.16/29', peer_group: 'nosuch' } }));
  assert.equal(unknown.code, grpc.status.INVALID_ARGUMENT);
  assert.match(unknown.details, /unknown peer group "nosuch"/);
  await client.addDynamicNeighbor({ dynamic_neighbor: { prefix: '127.0.0.16/29', peer_group: 'edge' } });
  assert.equal((await rejection(client.addDynamicNeighbor({ dynamic_neighbor: { prefix: '127.0.0.16/29', peer_group: 'edge' } }))).code, grpc.status.ALREADY_EXISTS);
  assert.deepEqual((await client.listDynamicNeighbor({ peer_group: 'edge' })).map((d) => d.prefix), ['127.0.0.16/29']);

  const address = '127.0.0.17';
  const c = collector();
  const edge = new Daemon(speakerConfig(address, router.listenAddresses[0]!.port, '172.17.0.27', 64530), { logger: c.logger, hostname: 'edge.test' });
  try {
    await edge.start();
    await waitFor(`${address} Established under the new range`, () => router.sessionOf(address)?.state === 'Established');
    const [peer] = await client.listPeer({ address });
    assert.deepEqual([peer?.conf?.peer_group, peer?.conf?.peer_asn, peer?.timers?.config?.hold_time], ['edge', 64530, 30]);

    const inUse = await rejection(client.deletePeerGroup({ name: 'edge' }));
    assert.equal(inUse.code, grpc.status.FAILED_PRECONDITION);
    assert.match(inUse.details, /used by dynamic-neighbors range 127\.0\.0\.16\/29/);
    assert.equal((await rejection(client.updatePeerGroup({ peer_group: { conf: { peer_group_name: 'nosuch', peer_asn: 1 } } }))).code, grpc.status.NOT_FOUND);
    const noAs = await rejection(client.updatePeerGroup({ peer_group: { conf: { peer_group_name: 'edge' } } }));
    assert.match(noAs.details, /^peer_group\.conf\.peer_asn: /);

    const first = router.sessionOf(address);
    const updated = await client.updatePeerGroup({ peer_group: { conf: { peer_group_name: 'edge', peer_asn: 64530 }, timers: { config: { hold_time: 60 } } }, do_soft_reset_in: true });
    assert.equal(updated.needs_soft_reset_in, false);
    assert.ok(line(routerLog, 'peer group updated', { peerGroup: 'edge', dynamicSessionsReset: 1 }));
    await waitFor('a new session with hold time 60', () => {
      const s = router.sessionOf(address);
      return s !== undefined && s !== first && s.state === 'Established';
    }, 15_000);
    assert.equal((await client.listPeer({ address }))[0]?.timers?.config?.hold_time, 60);

    const wrongGroup = await rejection(client.deleteDynamicNeighbor({ prefix: '127.0.0.16/29', peer_group: 'k8s' }));
    assert.equal(wrongGroup.code, grpc.status.INVALID_ARGUMENT);
    await client.deleteDynamicNeighbor({ prefix: '127.0.0.16/29', peer_group: 'edge' });
    assert.equal(router.sessionOf(address), undefined, 'its session is gone at once');
    assert.deepEqual(await client.listDynamicNeighbor({ peer_group: 'edge' }), []);
    assert.equal((await rejection(client.deleteDynamicNeighbor({ prefix: '127.0.0.16/29' }))).code, grpc.status.NOT_FOUND);
    await waitFor('the speaker sees the session down', () => edge.sessionOf('127.0.0.1')?.state !== 'Established');
  } finally {
    await edge.stop();
  }
  await client.deletePeerGroup({ name: 'edge' });
  assert.deepEqual(await client.listPeerGroup({ peer_group_name: 'edge' }), []);
  assert.equal((await rejection(client.deletePeerGroup({ name: 'edge' }))).code, grpc.status.NOT_FOUND);
});

test('UpdatePeer: a neighbor as ListPeer shows it, with a new AS, restarts its session; a description alone does not; dynamic and unknown ones refused', async () => {
  const address = '127.0.0.12';
  await client.addPeer({ peer: { conf: { neighbor_address: address, peer_asn: 64599 }, transport: { passive_mode: true } } });
  try {
    const [listed] = await client.listPeer({ address });
    const res = await client.updatePeer({ peer: { ...listed, conf: { ...listed!.conf, peer_asn: 64598 } }, do_soft_reset_in: true });
    assert.equal(res.needs_soft_reset_in, false);
    const [after] = await client.listPeer({ address });
    assert.deepEqual([after?.conf?.peer_asn, after?.conf?.local_asn, after?.transport?.passive_mode], [64598, 64512, true]);
    assert.ok(line(routerLog, 'neighbor updated', { peer: address, isRestarted: true }));
    await client.updatePeer({ peer: { ...after, conf: { ...after!.conf, description: 'rack 3' } } });
    assert.ok(line(routerLog, 'neighbor updated', { peer: address, isRestarted: false }));
    assert.equal((await client.listPeer({ address }))[0]?.conf?.description, 'rack 3');
    assert.equal((await rejection(client.updatePeer({ peer: { conf: { neighbor_address: '127.0.0.99', peer_asn: 1 } } }))).code, grpc.status.NOT_FOUND);
    const dynamic = await rejection(client.updatePeer({ peer: { conf: { neighbor_address: speakerAddresses[0], peer_asn: 64522 } } }));
    assert.equal(dynamic.code, grpc.status.FAILED_PRECONDITION);
    const bad = await rejection(client.updatePeer({ peer: { conf: { neighbor_address: address, peer_asn: 64598 }, timers: { config: { hold_time: 2 } } } }));
    assert.match(bad.details, /^peer\.timers\.config\.hold_time: /);
  } finally {
    await client.deletePeer({ address });
  }
});
