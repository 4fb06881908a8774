// Which learned routes go to which peer and with what attributes (RFC 4271 5.1, 9.2;
// RFC 1997 well-known communities): one labelled case per rule; ADD-PATH send (RFC 7911)
// against a real RIB.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress, parseAddress, parsePrefix } from '../lib/address.js';
import { AsSegmentType, WellKnownCommunity } from '../wire/attributes/types.js';
import { asPath, ipv4Unicast, ipv6Unicast, makeRoute, makeTestUpdate, peerInfo } from '../rib/test-support.js';
import { Rib, type PathChange } from '../rib/rib.js';
import { prefixKey } from '../rib/prefix-key.js';
import type { PeerRoute } from '../session/announce.js';
import { isReflectionLoop, learnedRouteFor, learnedRoutes, pathChangesFor, sentKey, type PropagationTarget } from './propagate.js';

const prefix = parsePrefix('10.10.1.0/24');
const ebgpPeer: PropagationTarget = { address: '192.0.2.20', peerAs: 65020, isEbgp: true, localAs: 65001, localAddress: '192.0.2.1', families: new Set([ipv4Unicast, ipv6Unicast]) };
const ibgpPeer: PropagationTarget = { ...ebgpPeer, address: '192.0.2.30', peerAs: 65001, isEbgp: false };
const fromEbgp = makeRoute({ peer: '192.0.2.10', peerAs: 65010, nextHop: '192.0.2.10', attributes: { asPath: asPath(65010), med: 50, communities: [0xfde80001] } });
const go = (route = fromEbgp, target = ebgpPeer) => learnedRouteFor(ipv4Unicast, prefix, '10.10.1.0/24', route, target);

test('to an external peer: our AS prepended, next hop ours, no MED, no LOCAL_PREF, communities kept', () => {
  const r = go()!;
  assert.deepEqual(r.attributes.asPath, [{ type: AsSegmentType.sequence, asns: [65001, 65010] }]);
  assert.equal(formatAddress(r.nextHop), '192.0.2.1');
  assert.equal(r.attributes.med, undefined);
  assert.equal(r.attributes.localPref, undefined);
  assert.deepEqual(r.attributes.communities, [0xfde80001]);
});

test('to an internal peer: AS path and next hop unchanged, MED kept, LOCAL_PREF 100 by default', () => {
  const r = go(fromEbgp, ibgpPeer)!;
  assert.deepEqual(r.attributes.asPath, asPath(65010));
  assert.equal(formatAddress(r.nextHop), '192.0.2.10');
  assert.equal(r.attributes.med, 50);
  assert.equal(r.attributes.localPref, 100);
});

test('not sent: back to its source, internal to internal, our own, NO_ADVERTISE, NO_EXPORT to external, a loop, a family not negotiated', () => {
  assert.equal(go(fromEbgp, { ...ebgpPeer, address: '192.0.2.10', peerAs: 65010 }), undefined, 'split horizon');
  const fromIbgp = makeRoute({ peer: '192.0.2.31', peerAs: 65001, isEbgp: false, attributes: { asPath: [] } });
  assert.equal(go(fromIbgp, ibgpPeer), undefined, 'RFC 4271 9.2: no iBGP to iBGP');
  assert.notEqual(go(fromIbgp, ebgpPeer), undefined, 'iBGP-learned goes to external peers');
  assert.equal(go(makeRoute({ isLocal: true }), ebgpPeer), undefined, 'local routes are the originate code\'s');
  assert.equal(go(makeRoute({ attributes: { communities: [WellKnownCommunity.noAdvertise] } }), ibgpPeer), undefined);
  assert.equal(go(makeRoute({ attributes: { communities: [WellKnownCommunity.noExport] } }), ebgpPeer), undefined);
  assert.notEqual(go(makeRoute({ attributes: { communities: [WellKnownCommunity.noExport] } }), ibgpPeer), undefined, 'NO_EXPORT stays inside the AS');
  assert.equal(go(makeRoute({ peerAs: 65030, attributes: { asPath: asPath(65030, 65020) } }), ebgpPeer), undefined, "the peer's AS is in the path");
  assert.equal(go(fromEbgp, { ...ebgpPeer, families: new Set([ipv6Unicast]) }), undefined);
  assert.equal(go(fromEbgp, { ...ebgpPeer, localAddress: '2001:db8::1' }), undefined, 'no IPv4 next hop of ours');
});

test('routes with the same attributes share a signature (one UPDATE); others do not', () => {
  const other = makeRoute({ peer: '192.0.2.11', peerAs: 65011 });
  assert.equal(go()!.signature, go()!.signature);
  assert.notEqual(go()!.signature, go(other)!.signature);
});

test('route reflection (RFC 4456 8): client routes to everyone, non-client routes to clients only; ORIGINATOR_ID and CLUSTER_LIST set', () => {
  const cluster = Uint8Array.of(10, 0, 0, 99);
  const reflection = { clusterIdOf: (a: string) => (a === '192.0.2.31' || a === '192.0.2.32' ? cluster : undefined), clusterId: Uint8Array.of(10, 0, 0, 1) };
  const client = { ...ibgpPeer, address: '192.0.2.32', isRouteReflectorClient: true };
  const fromClient = makeRoute({ peer: '192.0.2.31', routerId: '10.9.9.31', peerAs: 65001, isEbgp: false, nextHop: '192.0.2.31', attributes: { asPath: [], localPref: 200 } });
  const fromNonClient = makeRoute({ peer: '192.0.2.40', routerId: '10.9.9.40', peerAs: 65001, isEbgp: false, attributes: { asPath: [] } });
  const reflect = (route: typeof fromClient, target: PropagationTarget) => learnedRouteFor(ipv4Unicast, prefix, '10.10.1.0/24', route, target, reflection);
  const toNonClient = reflect(fromClient, ibgpPeer)!;
  assert.deepEqual([...toNonClient.attributes.originatorId!], [10, 9, 9, 31]);
  assert.deepEqual(toNonClient.attributes.clusterList!.map((id) => [...id]), [[10, 0, 0, 99]]);
  assert.equal(formatAddress(toNonClient.nextHop), '192.0.2.31', 'next hop unchanged');
  assert.equal(toNonClient.attributes.localPref, 200);
  assert.notEqual(reflect(fromNonClient, client), undefined, 'non-client to client');
  assert.equal(reflect(fromNonClient, ibgpPeer), undefined, 'non-client to non-client: no');
  // An ORIGINATOR_ID already there is kept; our CLUSTER_ID goes in front.
  const reflected = makeRoute({ peer: '192.0.2.31', peerAs: 65001, isEbgp: false, attributes: { asPath: [], originatorId: Uint8Array.of(10, 7, 7, 7), clusterList: [Uint8Array.of(10, 0, 0, 5)] } });
  const again = reflect(reflected, ibgpPeer)!;
  assert.deepEqual([...again.attributes.originatorId!], [10, 7, 7, 7]);
  assert.deepEqual(again.attributes.clusterList!.map((id) => [...id]), [[10, 0, 0, 99], [10, 0, 0, 5]]);
  // Towards an external peer neither attribute goes.
  const out = reflect(reflected, ebgpPeer)!;
  assert.equal(out.attributes.originatorId, undefined);
  assert.equal(out.attributes.clusterList, undefined);
});

test('loop check on receipt: our ORIGINATOR_ID or one of our CLUSTER_IDs', () => {
  const routerId = Uint8Array.of(10, 0, 0, 1);
  assert.equal(isReflectionLoop({ originatorId: Uint8Array.of(10, 0, 0, 1) }, routerId, [routerId]), true);
  assert.equal(isReflectionLoop({ clusterList: [Uint8Array.of(10, 0, 0, 5), Uint8Array.of(10, 0, 0, 99)] }, routerId, [routerId, Uint8Array.of(10, 0, 0, 99)]), true);
  assert.equal(isReflectionLoop({ originatorId: Uint8Array.of(10, 0, 0, 2), clusterList: [Uint8Array.of(10, 0, 0, 5)] }, routerId, [routerId]), false);
});

test('route server client (RFC 7947 2): no AS of ours, next hop and MED as received', () => {
  const r = go(fromEbgp, { ...ebgpPeer, isRouteServerClient: true })!;
  assert.deepEqual(r.attributes.asPath, asPath(65010));
  assert.equal(formatAddress(r.nextHop), '192.0.2.10');
  assert.equal(r.attributes.med, 50);
});

// ---- ADD-PATH send (RFC 7911): several paths per prefix, each under a lasting identifier.

const addPathPrefix = '10.10.9.0/24';
const sources = [
  { address: '192.0.2.11', as: 65011, path: [65011] },
  { address: '192.0.2.12', as: 65012, path: [65012, 65100] },
  { address: '192.0.2.13', as: 65013, path: [65013, 65100, 65101] },
];

/** A RIB holding the prefix from the three sources: best .11 (shortest AS path), then .12, then .13. */
function threePaths(): { rib: Rib; changes: PathChange[]; send: (i: number, path?: number[]) => void; withdraw: (i: number) => void } {
  const rib = new Rib({ localAs: 65001 });
  const changes: PathChange[] = [];
  rib.subscribePaths((c) => changes.push(...c));
  const info = sources.map((s) => peerInfo({ address: s.address, peerAs: s.as, localAs: 65001 }));
  info.forEach((i) => rib.onEstablished(i));
  const send = (i: number, path = sources[i]!.path): void => rib.onUpdate(info[i]!, makeTestUpdate({ nlri: [addPathPrefix], attributes: { origin: 0, asPath: asPath(...path), nextHop: parseAddress(sources[i]!.address) } }));
  const withdraw = (i: number): void => rib.onUpdate(info[i]!, makeTestUpdate({ withdrawn: [addPathPrefix] }));
  sources.forEach((_s, i) => send(i));
  return { rib, changes, send, withdraw };
}

const addPathPeer: PropagationTarget = { ...ebgpPeer, addPathSend: new Map([[ipv4Unicast, 2]]) };
const firstHop = (r: PeerRoute): number | undefined => r.attributes.asPath?.[0]?.asns[1];
/** What the daemon does with a batch: sent brought in line (no export policy here). */
function apply(sent: Map<string, PeerRoute>, c: { readonly announce: readonly PeerRoute[]; readonly withdraw: readonly string[] }): void {
  for (const key of c.withdraw) sent.delete(key);
  for (const r of c.announce) sent.set(sentKey(r), r);
}

test('ADD-PATH send-max 2 of 3 paths: the best two in decision order, distinct identifiers', () => {
  const { rib } = threePaths();
  const routes = learnedRoutes(rib, addPathPeer, new Set());
  assert.equal(routes.length, 2);
  assert.deepEqual(routes.map(firstHop), [65011, 65012], 'best first, then the next in decision order');
  assert.deepEqual(routes.map((r) => r.pathId), [1, 2]);
  assert.deepEqual(routes.map(sentKey), [`${addPathPrefix}#1`, `${addPathPrefix}#2`]);
  assert.deepEqual(routes.map((r) => formatAddress(r.nextHop)), ['192.0.2.1', '192.0.2.1'], 'eBGP rules on each path');
});

test('ADD-PATH: the best path withdrawn, the third takes its freed identifier (an implicit replace); then all withdrawn', () => {
  const { rib, changes, withdraw } = threePaths();
  const sent = new Map(learnedRoutes(rib, addPathPeer, new Set()).map((r) => [sentKey(r), r]));
  changes.length = 0;
  withdraw(0);
  assert.equal(changes.length, 1, 'one path change for the prefix');
  const c = pathChangesFor(rib, changes, addPathPeer, sent, new Set());
  assert.deepEqual(c.withdraw, []);
  const byId = new Map(c.announce.map((r) => [r.pathId, firstHop(r)]));
  assert.deepEqual([...byId].sort(), [[1, 65013], [2, 65012]], '.12 keeps identifier 2, .13 gets 1');
  apply(sent, c);
  changes.length = 0;
  withdraw(1);
  withdraw(2);
  const gone = pathChangesFor(rib, changes, addPathPeer, sent, new Set());
  assert.deepEqual(gone.announce, []);
  assert.deepEqual([...gone.withdraw].sort(), [`${addPathPrefix}#1`, `${addPathPrefix}#2`]);
});

test('ADD-PATH: a changed path keeps its identifier; a path change below the best is seen', () => {
  const { rib, changes, send } = threePaths();
  const sent = new Map(learnedRoutes(rib, addPathPeer, new Set()).map((r) => [sentKey(r), r]));
  const bestChanges: unknown[] = [];
  rib.subscribe((c) => bestChanges.push(...c));
  changes.length = 0;
  send(1, [65012, 65200]);
  assert.equal(bestChanges.length, 0, 'the best route did not change');
  const c = pathChangesFor(rib, changes, addPathPeer, sent, new Set());
  const second = c.announce.find((r) => r.pathId === 2)!;
  assert.deepEqual(second.attributes.asPath, [{ type: AsSegmentType.sequence, asns: [65001, 65012, 65200] }]);
  assert.notEqual(second.signature, sent.get(`${addPathPrefix}#2`)!.signature, 'announced again');
  assert.equal(c.announce.find((r) => r.pathId === 1)!.signature, sent.get(`${addPathPrefix}#1`)!.signature, 'the best unchanged');
});

test('ADD-PATH: the peer\'s own path is not sent back, the next ones are', () => {
  const { rib } = threePaths();
  const routes = learnedRoutes(rib, { ...addPathPeer, address: '192.0.2.11', peerAs: 65011 }, new Set());
  assert.deepEqual(routes.map(firstHop), [65012, 65013]);
});

test('without ADD-PATH send: the best route only, no identifier; path changes below the best mean nothing', () => {
  const { rib, changes, send } = threePaths();
  const routes = learnedRoutes(rib, ebgpPeer, new Set());
  assert.equal(routes.length, 1);
  assert.equal(routes[0]!.pathId, undefined);
  assert.equal(sentKey(routes[0]!), addPathPrefix);
  changes.length = 0;
  send(2, [65013]);
  assert.deepEqual(pathChangesFor(rib, changes, ebgpPeer, new Map(), new Set()), { announce: [], withdraw: [] });
});

test('rankedPaths: the multipath set first, then decision order; routes `accept` refuses left out', () => {
  const rib = new Rib({ localAs: 65001, multipath: { ebgpMaximumPaths: 4 } });
  const peers = ['192.0.2.11', '192.0.2.12', '192.0.2.13'].map((address) => peerInfo({ address, peerAs: 65010, localAs: 65001 }));
  peers.forEach((p) => rib.onEstablished(p));
  const path = [[65010], [65010, 65100], [65010]];
  peers.forEach((p, i) => rib.onUpdate(p, makeTestUpdate({ nlri: [addPathPrefix], attributes: { origin: 0, asPath: asPath(...path[i]!), nextHop: parseAddress(p.address) } })));
  const key = prefixKey(parsePrefix(addPathPrefix));
  const ranked = rib.rankedPaths(ipv4Unicast, key, 3).map((r) => r.peer.address);
  assert.deepEqual(ranked, ['192.0.2.11', '192.0.2.13', '192.0.2.12'], 'multipath .11 and .13, then .12');
  assert.deepEqual(rib.rankedPaths(ipv4Unicast, key, 3, (r) => r.peer.address !== '192.0.2.11').map((r) => r.peer.address), ['192.0.2.13', '192.0.2.12']);
  assert.deepEqual(rib.rankedPaths(ipv4Unicast, key, 1).map((r) => r.peer.address), ['192.0.2.11']);
});
