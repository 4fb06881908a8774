// Rib.markLlgrStale (RFC 9494 4.3) on its own: received and accepted routes re-marked,
// import policy outcomes kept (LOCAL_PREF it set still counts, rejected stays rejected),
// NO_LLGR set by policy honoured, ADD-PATH paths of one prefix giving one change, the
// attribute sets shared and freed, and the routes still swept as stale.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WellKnownCommunity } from '../wire/attributes/types.js';
import { prefixKey } from './prefix-key.js';
import { parsePrefix } from '../lib/address.js';
import { Rib, type RibChange } from './rib.js';
import type { ImportPolicy } from './import-policy.js';
import { ipv4Unicast, makeTestUpdate, peerInfo, scenarioAttributes } from './test-support.js';

const a = peerInfo({ address: '172.17.0.21', peerAs: 64522 });
const llgr = WellKnownCommunity.llgrStale;

/** Sets LOCAL_PREF 300 on 10.1.1.0/24, rejects 10.1.2.0/24, tags 10.1.3.0/24 NO_LLGR. */
const policy: ImportPolicy = {
  isPassThrough: false,
  apply: (route) => {
    if (route.key === prefixKey(parsePrefix('10.1.1.0/24'))) return { ...route, attributes: { ...route.attributes, localPref: 300 } };
    if (route.key === prefixKey(parsePrefix('10.1.2.0/24'))) return undefined;
    if (route.key === prefixKey(parsePrefix('10.1.3.0/24'))) return { ...route, attributes: { ...route.attributes, communities: [WellKnownCommunity.noLlgr] } };
    return route;
  },
};

test('import policy outcomes survive the re-marking; NO_LLGR set by policy removes the route', () => {
  const rib = new Rib({ importPolicy: () => policy });
  rib.onEstablished(a);
  rib.onUpdate(a, makeTestUpdate({ nlri: ['10.1.1.0/24', '10.1.2.0/24', '10.1.3.0/24', '10.1.4.0/24'], attributes: scenarioAttributes('172.17.0.21') }));
  assert.deepEqual(rib.markLlgrStale(a, ipv4Unicast), { kept: 0, dropped: 0 }, 'nothing stale yet');
  rib.markStale(a);
  const setsBefore = rib.attrStore.size;
  assert.deepEqual(rib.markLlgrStale(a, ipv4Unicast), { kept: 3, dropped: 1 });
  const one = rib.get('10.1.1.0/24')!.best!;
  assert.equal(one.attrs.isLlgrStale, true);
  assert.equal(one.attrs.localPref, 300, 'the LOCAL_PREF our policy set on an eBGP route still counts');
  assert.deepEqual(one.attrs.attributes.communities, [llgr]);
  assert.equal(rib.get('10.1.2.0/24'), undefined, 'rejected before, rejected still');
  assert.equal(rib.peerCounts(a, ipv4Unicast).accepted, 2);
  assert.equal(rib.get('10.1.3.0/24'), undefined);
  assert.equal(rib.get('10.1.4.0/24')!.best!.attrs.isLlgrStale, true);
  const held: boolean[] = [];
  rib.forEachAdjRibIn(a, ipv4Unicast, (_k, route, isStale) => held.push(route.attrs.isLlgrStale && isStale));
  assert.deepEqual(held, [true, true, true], 'held as received, with LLGR_STALE, still stale');
  assert.ok(rib.attrStore.size <= setsBefore + 2, 'one set per distinct set re-marked');
  // A reapply sees LLGR_STALE on the received routes: the outcome keeps it.
  rib.reapplyImport(a);
  assert.equal(rib.get('10.1.1.0/24')!.best!.attrs.isLlgrStale, true);
  assert.equal(rib.sweepStale(a.address, ipv4Unicast), 3);
  assert.equal(rib.prefixCount(ipv4Unicast), 0);
  assert.equal(rib.attrStore.size, 0, 'every set freed');
});

test('ADD-PATH: two paths of one prefix re-marked give one change for it', () => {
  const p = peerInfo({ address: '172.17.0.21', peerAs: 64522, addPath: true });
  const rib = new Rib();
  const changes: RibChange[] = [];
  rib.subscribe((c) => changes.push(...c));
  rib.onEstablished(p);
  rib.onUpdate(p, makeTestUpdate({ hasPathId: true, nlri: [{ prefix: '10.1.1.0/24', pathId: 1 }, { prefix: '10.1.1.0/24', pathId: 2 }], attributes: scenarioAttributes('172.17.0.21') }));
  rib.markStale(p);
  changes.length = 0;
  assert.deepEqual(rib.markLlgrStale(p, ipv4Unicast), { kept: 2, dropped: 0 });
  assert.equal(changes.length, 1);
  assert.deepEqual(rib.get('10.1.1.0/24')!.paths.map((r) => r.attrs.isLlgrStale), [true, true]);
  // Announced again: fresh, without LLGR_STALE, replacing the stale path of its id.
  rib.onUpdate(p, makeTestUpdate({ hasPathId: true, nlri: [{ prefix: '10.1.1.0/24', pathId: 1 }], attributes: scenarioAttributes('172.17.0.21') }));
  assert.equal(rib.peerCounts(p, ipv4Unicast).stale, 1);
  assert.equal(rib.get('10.1.1.0/24')!.best!.attrs.isLlgrStale, false);
});
