// The Adj-RIB-In memory estimate as the RIB keeps it: routes in and out by family, each
// attribute set charged once to the peer whose route made it and credited back when the
// store forgets it, stale routes counted until swept, back to 0 when the peer is gone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.js';
import { parseAddress } from '../lib/address.js';
import { WellKnownCommunity, type PathAttributes } from '../wire/attributes/types.js';
import { AttrCharge, AttrStore } from './attr-store.js';
import { attrSetBytes, ipv4RouteBytes, ipv6RouteBytes, routeBytes } from './memory-estimate.js';
import { Rib } from './rib.js';
import { asPath, attrKeyOf, ipv4Unicast, ipv6Unicast, makeTestUpdate, peerInfo } from './test-support.js';

const a = peerInfo({ address: '192.0.2.1', peerAs: 65001 });
const b = peerInfo({ address: '192.0.2.2', peerAs: 65002 });
const prefixes = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `10.0.${from + i}.0/24`);

function attributes(nextHop: string, ...asns: number[]): PathAttributes {
  return { origin: 0, asPath: asPath(...asns), nextHop: parseAddress(nextHop) };
}

/** What a received IPv4 set costs: its key is eBGP flag, next hop length, next hop, no link-local, then the attribute bytes. */
function ipv4SetBytes(attrs: PathAttributes): number {
  return attrSetBytes(2 + 4 + 1 + attrKeyOf(attrs).length);
}

function rib(): Rib {
  return new Rib({ clock: new ManualClock() });
}

test('routes in and out: a fixed cost per route by family, the set while a route holds it', () => {
  const r = rib();
  r.onEstablished(a);
  assert.equal(r.adjRibInBytes(a), 0);
  const attrs = attributes('192.0.2.1', 65001);
  r.onUpdate(a, makeTestUpdate({ nlri: prefixes(0, 3), attributes: attrs }));
  assert.equal(r.adjRibInBytes(a), 3 * ipv4RouteBytes + ipv4SetBytes(attrs));
  assert.equal(r.adjRibInRouteCount(a), 3);
  // The same routes again change nothing.
  r.onUpdate(a, makeTestUpdate({ nlri: prefixes(0, 3), attributes: attrs }));
  assert.equal(r.adjRibInBytes(a), 3 * ipv4RouteBytes + ipv4SetBytes(attrs));
  r.onUpdate(a, makeTestUpdate({ mpReach: { nextHop: '2001:db8::1', nlri: ['2001:db8::/48', '2001:db8:1::/48'] }, attributes: { origin: 0, asPath: asPath(65001) } }));
  const v6Set = attrSetBytes(2 + 16 + 1 + attrKeyOf({ origin: 0, asPath: asPath(65001) }).length);
  assert.equal(r.adjRibInBytes(a), 3 * ipv4RouteBytes + ipv4SetBytes(attrs) + 2 * ipv6RouteBytes + v6Set);
  assert.equal(r.adjRibInRouteCount(a), 5);
  r.onUpdate(a, makeTestUpdate({ withdrawn: prefixes(0, 2) }));
  assert.equal(r.adjRibInBytes(a), ipv4RouteBytes + ipv4SetBytes(attrs) + 2 * ipv6RouteBytes + v6Set);
  // The last route of a set takes the set with it.
  r.onUpdate(a, makeTestUpdate({ withdrawn: prefixes(2, 1), mpUnreach: { withdrawn: ['2001:db8::/48', '2001:db8:1::/48'] } }));
  assert.equal(r.adjRibInBytes(a), 0);
  assert.equal(r.adjRibInRouteCount(a), 0);
  assert.equal(r.attrStore.size, 0);
});

test('IPv6 routes cost more than IPv4 ones (longer keys)', () => {
  assert.ok(ipv6RouteBytes > ipv4RouteBytes);
  assert.equal(routeBytes(ipv4Unicast), ipv4RouteBytes);
  assert.equal(routeBytes(ipv6Unicast), ipv6RouteBytes);
});

test('a set shared by two peers is charged once, to the peer that made it, until the store forgets it', () => {
  const r = rib();
  r.onEstablished(a);
  r.onEstablished(b);
  // Same attribute bytes, same next hop, both external: one set.
  const shared = attributes('192.0.2.9', 65100);
  r.onUpdate(a, makeTestUpdate({ nlri: prefixes(0, 2), attributes: shared }));
  r.onUpdate(b, makeTestUpdate({ nlri: prefixes(0, 3), attributes: shared }));
  assert.equal(r.attrStore.size, 1);
  assert.equal(r.adjRibInBytes(a), 2 * ipv4RouteBytes + ipv4SetBytes(shared));
  assert.equal(r.adjRibInBytes(b), 3 * ipv4RouteBytes, 'b holds the set a made: not charged again');
  // a lets go of its routes; the set lives on in b's, still charged to a.
  r.onUpdate(a, makeTestUpdate({ withdrawn: prefixes(0, 2) }));
  assert.equal(r.adjRibInBytes(a), ipv4SetBytes(shared));
  r.onUpdate(b, makeTestUpdate({ withdrawn: prefixes(0, 3) }));
  assert.equal(r.adjRibInBytes(a), 0, 'credited to a when the store forgot the set');
  assert.equal(r.adjRibInBytes(b), 0);
});

test('a peer flooding distinct attribute sets is charged for each', () => {
  const r = rib();
  r.onEstablished(a);
  let expected = 0;
  for (let i = 0; i < 50; i++) {
    const attrs = attributes('192.0.2.1', 65001, 64512 + i);
    r.onUpdate(a, makeTestUpdate({ nlri: prefixes(i, 1), attributes: attrs }));
    expected += ipv4RouteBytes + ipv4SetBytes(attrs);
  }
  assert.equal(r.adjRibInBytes(a), expected);
  assert.ok(r.adjRibInBytes(a) > 50 * 1024);
  // Re-announced with one shared set: the 50 old sets go, one new one comes.
  const one = attributes('192.0.2.1', 65001);
  r.onUpdate(a, makeTestUpdate({ nlri: prefixes(0, 50), attributes: one }));
  assert.equal(r.adjRibInBytes(a), 50 * ipv4RouteBytes + ipv4SetBytes(one));
});

test('stale routes count until swept; LLGR-stale sets are charged like the sets they come from', () => {
  const r = rib();
  r.onEstablished(a);
  const attrs = attributes('192.0.2.1', 65001);
  r.onUpdate(a, makeTestUpdate({ nlri: prefixes(0, 4), attributes: attrs }));
  const full = r.adjRibInBytes(a);
  r.markStale(a);
  assert.equal(r.adjRibInBytes(a), full, 'stale routes are still held');
  assert.equal(r.adjRibInRouteCount(a), 4);
  r.markLlgrStale(a, ipv4Unicast);
  // The routes moved to the set with LLGR_STALE (keyed by the old key and one mark); the old set went.
  assert.equal(r.adjRibInBytes(a), 4 * ipv4RouteBytes + attrSetBytes(2 + 4 + 1 + attrKeyOf(attrs).length + 1));
  // Back up: two announced again, the rest swept.
  r.onEstablished(a);
  r.onUpdate(a, makeTestUpdate({ nlri: prefixes(0, 2), attributes: attrs }));
  r.sweepStale(a, ipv4Unicast);
  assert.equal(r.adjRibInBytes(a), 2 * ipv4RouteBytes + ipv4SetBytes(attrs));
});

test('the estimate is back to 0 once a downed peer\'s routes have left, and a peer coming back starts from 0', () => {
  const r = new Rib({ clock: new ManualClock(), removalSlice: { prefixes: 2 } });
  r.onEstablished(a);
  r.onEstablished(b);
  for (let i = 0; i < 10; i++) r.onUpdate(a, makeTestUpdate({ nlri: prefixes(i, 1), attributes: attributes('192.0.2.1', 65001, 64600 + i) }));
  r.onUpdate(b, makeTestUpdate({ nlri: prefixes(0, 2), attributes: attributes('192.0.2.2', 65002) }));
  const bBefore = r.adjRibInBytes(b);
  r.onPeerDown(a);
  assert.equal(r.adjRibInRouteCount(a), 0, 'the peer is forgotten at once');
  assert.ok(r.pendingRemovals > 0, 'its routes leave in slices');
  assert.ok(r.adjRibInBytes(a) > 0, 'sets still alive stay charged');
  r.settle();
  assert.equal(r.adjRibInBytes(a), 0);
  assert.equal(r.adjRibInBytes(b), bBefore, 'the other peer untouched');
  r.onEstablished(a);
  assert.equal(r.adjRibInBytes(a), 0);
});

test('sets import policy makes are charged to the peer whose routes made them', () => {
  const r = new Rib({
    clock: new ManualClock(),
    importPolicy: () => ({ isPassThrough: false, apply: (route) => ({ ...route, attributes: { ...route.attributes, communities: [WellKnownCommunity.noExport] } }) }),
  });
  r.onEstablished(a);
  const attrs = attributes('192.0.2.1', 65001);
  r.onUpdate(a, makeTestUpdate({ nlri: prefixes(0, 2), attributes: attrs }));
  assert.equal(r.attrStore.size, 2);
  assert.ok(r.adjRibInBytes(a) > 2 * ipv4RouteBytes + ipv4SetBytes(attrs), 'the changed set too');
  r.onUpdate(a, makeTestUpdate({ withdrawn: prefixes(0, 2) }));
  assert.equal(r.adjRibInBytes(a), 0);
});

test('attribute store: charged once when made, credited once when forgotten', () => {
  const store = new AttrStore();
  const charge = new AttrCharge();
  const attrs = attributes('192.0.2.1', 65001);
  const key = attrKeyOf(attrs);
  const nextHop = parseAddress('192.0.2.1');
  assert.equal(store.hasReceived(key, nextHop, undefined, true), false);
  const set = store.intern(key, attrs, nextHop, undefined, true, charge);
  assert.equal(store.hasReceived(key, nextHop, undefined, true), true);
  assert.equal(store.hasReceived(key, nextHop, undefined, false), false, 'eBGP-ness is part of the key');
  assert.equal(charge.bytes, attrSetBytes(set.key.length));
  assert.equal(store.intern(key, attrs, nextHop, undefined, true, new AttrCharge()), set);
  assert.equal(charge.bytes, attrSetBytes(set.key.length), 'found, not made: no new charge');
  // Unused: dropped, credited; dropping again credits nothing more.
  store.dropIfUnused(set);
  store.dropIfUnused(set);
  assert.equal(charge.bytes, 0);
  const again = store.intern(key, attrs, nextHop, undefined, true, charge);
  store.retain(again);
  store.retain(again);
  store.release(again);
  assert.equal(charge.bytes, attrSetBytes(again.key.length));
  store.release(again);
  assert.equal(charge.bytes, 0);
  assert.equal(store.size, 0);
});
