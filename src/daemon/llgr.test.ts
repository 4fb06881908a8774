// Long-lived graceful restart as helper (RFC 9494) against a real RIB on a manual clock:
// the restart time running out moves the routes to LLGR_STALE (depreferenced, NO_LLGR
// ones removed), the long-lived stale time drops them, End-of-RIB after the peer is back
// sweeps what it did not announce again, and a peer back without LLGR loses them at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { parseAddress, parsePrefix } from '../lib/address.js';
import { WellKnownCommunity, type PathAttributes } from '../wire/attributes/types.js';
import { Rib, type RibChange } from '../rib/rib.js';
import type { PeerInfo } from '../rib/sink.js';
import { ipv4Unicast, ipv6Unicast, makeTestUpdate, peerInfo, scenarioAttributes } from '../rib/test-support.js';
import { localOpen, negotiate, type LocalOffer, type Negotiated } from '../session/capabilities.js';
import { GracefulRestartHelper, longLivedOffer, longLivedTimes } from './graceful-restart.js';
import type { GracefulRestartConfig } from './neighbor-options-config.js';
import { learnedRouteFor, type PropagationTarget } from './propagate.js';

const config: GracefulRestartConfig = { isEnabled: true, restartTimeSec: 120, staleRoutesTimeSec: 300, isHelperOnly: false, longLived: [{ family: ipv4Unicast, staleTimeSec: 3600 }] };
const ours: LocalOffer = {
  localAs: 64512,
  peerAs: 64522,
  routerId: parseAddress('10.0.0.1'),
  holdTimeSec: 90,
  families: [ipv4Unicast, ipv6Unicast],
  gracefulRestart: { restartTimeSec: 120 },
  longLivedGracefulRestart: longLivedOffer(config),
};

/** What our side negotiates with a peer offering GR (restart time as given) and LLGR for IPv4 unicast (unless `llgrSec` is undefined). */
function negotiated(restartTimeSec: number, llgrSec: number | undefined, isForwardingPreserved = true): Negotiated {
  const peer: LocalOffer = {
    localAs: 64522,
    peerAs: 64512,
    routerId: parseAddress('172.17.0.21'),
    holdTimeSec: 90,
    families: [ipv4Unicast, ipv6Unicast],
    gracefulRestart: { restartTimeSec, isForwardingPreserved, families: [ipv4Unicast, ipv6Unicast] },
    ...(llgrSec === undefined ? {} : { longLivedGracefulRestart: { families: [{ family: ipv4Unicast, staleTimeSec: llgrSec }] } }),
  };
  const open = localOpen(peer);
  // The F bit of the peer's LLGR capability (localCapabilities never sets it: we keep no forwarding state).
  const capabilities = open.capabilities.map((c) => (c.kind === 'long-lived-graceful-restart' ? { ...c, families: c.families.map((f) => ({ ...f, isForwardingPreserved })) } : c));
  return negotiate(ours, { ...open, capabilities });
}

const peerA = '172.17.0.21';
const peerB = '172.17.0.22';

interface Setup {
  readonly clock: ManualClock;
  readonly rib: Rib;
  readonly helper: GracefulRestartHelper;
  readonly info: PeerInfo;
  readonly other: PeerInfo;
  readonly drops: string[];
  readonly changes: RibChange[];
}

/** Peer A sends three routes (one with NO_LLGR), peer B one of the same prefixes, less preferred (longer AS_PATH). */
function setup(restartTimeSec = 90, hasLlgr = true): Setup {
  const clock = new ManualClock();
  const rib = new Rib({ clock });
  const drops: string[] = [];
  const changes: RibChange[] = [];
  rib.subscribe((c) => changes.push(...c));
  const helper = new GracefulRestartHelper({
    clock,
    logger: silentLogger,
    rib,
    drop: (info, reason) => {
      drops.push(reason);
      rib.onPeerDown(info, reason);
    },
  });
  const info = peerInfo({ address: peerA, peerAs: 64522 });
  const other = peerInfo({ address: peerB, peerAs: 64523 });
  rib.onEstablished(info);
  rib.onEstablished(other);
  helper.onEstablished(info, negotiated(restartTimeSec, hasLlgr ? 600 : undefined), config);
  rib.onUpdate(info, makeTestUpdate({ nlri: ['10.1.1.0/24', '10.1.2.0/24'], attributes: scenarioAttributes(peerA) }));
  const noLlgr: PathAttributes = { ...scenarioAttributes(peerA), communities: [WellKnownCommunity.noLlgr] };
  rib.onUpdate(info, makeTestUpdate({ nlri: ['10.1.3.0/24'], attributes: noLlgr }));
  const longer: PathAttributes = { ...scenarioAttributes(peerB), asPath: [{ type: 2, asns: [64523, 64999, 64998] }] };
  rib.onUpdate(other, makeTestUpdate({ nlri: ['10.1.1.0/24'], attributes: longer }));
  changes.length = 0;
  return { clock, rib, helper, info, other, drops, changes };
}

const bestPeer = (rib: Rib, prefix: string): string | undefined => rib.get(prefix)?.best?.peer.address;
const isLlgrStale = (rib: Rib, prefix: string): boolean | undefined => rib.get(prefix)?.paths.find((p) => p.peer.address === peerA)?.attrs.isLlgrStale;
const staleOf = (rib: Rib): number => rib.peerCounts(peerA, ipv4Unicast).stale;

test('negotiation: LLGR families both sides list, with the peer\'s stale time capped by ours', () => {
  const n = negotiated(90, 7200);
  assert.deepEqual([...(n.longLivedGracefulRestart ?? new Map())], [[ipv4Unicast, { staleTimeSec: 7200, isForwardingPreserved: true }]]);
  assert.deepEqual([...longLivedTimes(n, config)], [[ipv4Unicast, 3600]], 'ours (3600 s) is the most we keep');
  assert.deepEqual([...longLivedTimes(negotiated(90, 60), config)], [[ipv4Unicast, 60]]);
  assert.equal(negotiated(90, undefined).longLivedGracefulRestart, undefined, 'the peer sent no LLGR capability');
  assert.equal(longLivedTimes(n, { ...config, longLived: [] }).size, 0, 'not configured on our side');
  const caps = localOpen(ours).capabilities;
  assert.deepEqual(
    caps.find((c) => c.kind === 'long-lived-graceful-restart'),
    { kind: 'long-lived-graceful-restart', families: [{ afi: 1, safi: 1, isForwardingPreserved: false, staleTimeSec: 3600 }] },
  );
  const { gracefulRestart: _gr, ...withoutGr } = ours;
  assert.equal(localOpen(withoutGr).capabilities.some((c) => c.kind === 'long-lived-graceful-restart'), false, 'RFC 9494 3: only beside Graceful Restart');
});

test('restart time expiry with LLGR: routes kept with LLGR_STALE and lose to a route without it; NO_LLGR ones go', () => {
  const { clock, rib, helper, info, drops, changes } = setup();
  assert.equal(bestPeer(rib, '10.1.1.0/24'), peerA, 'shorter AS_PATH wins while fresh');
  assert.equal(helper.onPeerDown(info, 'TcpConnectionFails', 'connection closed by peer'), true);
  clock.advance(89_999);
  assert.equal(isLlgrStale(rib, '10.1.1.0/24'), false, 'still in the ordinary restart time');
  assert.equal(bestPeer(rib, '10.1.1.0/24'), peerA);
  clock.advance(1);
  assert.deepEqual(drops, []);
  assert.equal(helper.isRestarting(peerA), true);
  assert.equal(isLlgrStale(rib, '10.1.1.0/24'), true);
  assert.ok(rib.get('10.1.2.0/24')?.best?.attrs.attributes.communities?.includes(WellKnownCommunity.llgrStale));
  assert.equal(bestPeer(rib, '10.1.1.0/24'), peerB, 'RFC 9494 4.3: the LLGR-stale route is depreferenced');
  assert.equal(rib.get('10.1.1.0/24')?.reason, 'llgr-stale');
  assert.equal(bestPeer(rib, '10.1.2.0/24'), peerA, 'an LLGR-stale route with no rival stays best');
  assert.equal(rib.get('10.1.3.0/24'), undefined, 'NO_LLGR: removed when the long-lived phase starts');
  assert.equal(staleOf(rib), 2, 'the kept routes are still stale');
  // One change per prefix: the new best for .1, the re-marked route for .2, the removal of .3.
  assert.deepEqual(changes.map((c) => c.best?.peer.address ?? 'none').sort(), [peerA, peerB, 'none'].sort());
});

test('the long-lived stale time running out while the peer is down drops its routes', () => {
  const { clock, rib, helper, info, drops } = setup();
  helper.onPeerDown(info, 'TcpConnectionFails', 'closed');
  clock.advance(90_000);
  clock.advance(599_999);
  assert.equal(bestPeer(rib, '10.1.2.0/24'), peerA);
  clock.advance(1);
  assert.deepEqual(drops, ['long-lived graceful restart: stale time expired']);
  assert.equal(rib.get('10.1.2.0/24'), undefined);
  assert.equal(bestPeer(rib, '10.1.1.0/24'), peerB);
  assert.equal(helper.isRestarting(peerA), false);
});

test('a restart time of 0 with LLGR goes long-lived at once; a GR-only family is dropped', () => {
  const { rib, helper, info } = setup(0);
  rib.onUpdate(info, makeTestUpdate({ mpReach: { nextHop: '2001:db8::21', nlri: ['2001:db8:1::/48'] }, attributes: scenarioAttributes(peerA) }));
  assert.equal(helper.onPeerDown(info, 'TcpConnectionFails', 'closed'), true);
  assert.equal(isLlgrStale(rib, '10.1.2.0/24'), true);
  assert.equal(rib.get('2001:db8:1::/48'), undefined, 'IPv6 has GR but no LLGR, and the restart time is 0');
  const { helper: h2, info: i2 } = setup(0, false);
  assert.equal(h2.onPeerDown(i2, 'TcpConnectionFails', 'closed'), false, 'restart time 0 and no LLGR: nothing kept');
});

test('End-of-RIB after the reconnect sweeps the LLGR-stale routes not announced again; the long-lived timer stops', () => {
  const { clock, rib, helper, info, drops } = setup();
  helper.onPeerDown(info, 'TcpConnectionFails', 'closed');
  clock.advance(90_000);
  rib.onEstablished(info);
  helper.onEstablished(info, negotiated(90, 600), config);
  assert.equal(staleOf(rib), 2, 'LLGR with F again: the routes wait for End-of-RIB');
  clock.advance(300_000);
  assert.equal(staleOf(rib), 2, 'the stale-routes time is not theirs: the long-lived timer runs');
  rib.onUpdate(info, makeTestUpdate({ nlri: ['10.1.1.0/24'], attributes: scenarioAttributes(peerA) }));
  assert.equal(bestPeer(rib, '10.1.1.0/24'), peerA, 'announced again without LLGR_STALE: best again');
  assert.equal(isLlgrStale(rib, '10.1.1.0/24'), false);
  rib.onEndOfRib(info, ipv4Unicast);
  helper.onEndOfRib(info, ipv4Unicast);
  assert.equal(rib.get('10.1.2.0/24'), undefined);
  assert.equal(staleOf(rib), 0);
  helper.onEndOfRib(info, ipv6Unicast);
  assert.equal(helper.isRestarting(peerA), false);
  clock.advance(1_000_000);
  assert.equal(bestPeer(rib, '10.1.1.0/24'), peerA, 'no timer left to drop anything');
  assert.deepEqual(drops, []);
});

test('back without End-of-RIB: the long-lived stale time sweeps what is still stale', () => {
  const { clock, rib, helper, info, drops } = setup();
  helper.onPeerDown(info, 'TcpConnectionFails', 'closed');
  clock.advance(90_000);
  rib.onEstablished(info);
  helper.onEstablished(info, negotiated(90, 600), config);
  rib.onUpdate(info, makeTestUpdate({ nlri: ['10.1.1.0/24'], attributes: scenarioAttributes(peerA) }));
  clock.advance(600_000);
  assert.equal(rib.get('10.1.2.0/24'), undefined);
  assert.equal(bestPeer(rib, '10.1.1.0/24'), peerA, 'the route announced again stays');
  assert.deepEqual(drops, []);
});

test('a peer back without LLGR (or without its F bit) loses its LLGR-stale routes at once', () => {
  for (const [label, n] of [['no LLGR', negotiated(90, undefined)], ['LLGR without F', negotiated(90, 600, false)]] as const) {
    const { clock, rib, helper, info } = setup();
    helper.onPeerDown(info, 'TcpConnectionFails', 'closed');
    clock.advance(90_000);
    assert.equal(staleOf(rib), 2);
    rib.onEstablished(info);
    helper.onEstablished(info, n, config);
    assert.equal(staleOf(rib), 0, label);
    assert.equal(rib.get('10.1.2.0/24'), undefined, label);
    assert.equal(bestPeer(rib, '10.1.1.0/24'), peerB, label);
  }
});

test('forget cancels the long-lived timer and drops the routes', () => {
  const { clock, rib, helper, info, drops } = setup();
  helper.onPeerDown(info, 'TcpConnectionFails', 'closed');
  clock.advance(90_000);
  helper.forget(peerA, 'neighbor removed');
  assert.deepEqual(drops, ['neighbor removed']);
  clock.advance(1_000_000);
  assert.deepEqual(drops, ['neighbor removed']);
  assert.equal(rib.get('10.1.2.0/24'), undefined);
});

test('RFC 9494 4.5: an LLGR-stale best route goes only to peers that negotiated LLGR for the family', () => {
  const { clock, rib, helper, info } = setup();
  helper.onPeerDown(info, 'TcpConnectionFails', 'closed');
  clock.advance(90_000);
  const best = rib.get('10.1.2.0/24')!.best!;
  const target: PropagationTarget = { address: '192.0.2.30', peerAs: 65030, isEbgp: true, localAs: 64512, localAddress: '192.0.2.1', families: new Set([ipv4Unicast]) };
  const go = (t: PropagationTarget): boolean => learnedRouteFor(ipv4Unicast, parsePrefix('10.1.2.0/24'), '10.1.2.0/24', best, t) !== undefined;
  assert.equal(go(target), false, 'no LLGR negotiated');
  assert.equal(go({ ...target, llgrFamilies: new Set([ipv6Unicast]) }), false, 'LLGR for another family');
  const sent = learnedRouteFor(ipv4Unicast, parsePrefix('10.1.2.0/24'), '10.1.2.0/24', best, { ...target, llgrFamilies: new Set([ipv4Unicast]) });
  assert.ok(sent?.attributes.communities?.includes(WellKnownCommunity.llgrStale), 'sent with LLGR_STALE');
});
