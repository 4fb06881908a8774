// Which learned routes go to which peer and with what attributes (RFC 4271 5.1, 9.2;
// RFC 1997 well-known communities): one labelled case per rule.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress, parsePrefix } from '../lib/address.js';
import { AsSegmentType, WellKnownCommunity } from '../wire/attributes/types.js';
import { asPath, ipv4Unicast, ipv6Unicast, makeRoute } from '../rib/test-support.js';
import { isReflectionLoop, learnedRouteFor, type PropagationTarget } from './propagate.js';

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
