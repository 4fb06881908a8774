import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatAddress, parseAddress } from '../lib/address.js';
import type { PathAttributes } from '../wire/attributes/types.js';
import type { ImportPolicy, ImportRoute } from './import-policy.js';
import type { RibChange } from './loc-rib.js';
import { formatPrefixKey, parsePrefixKey } from './prefix-key.js';
import { Rib } from './rib.js';
import type { Route } from './route.js';
import { ipv4Unicast, ipv6Unicast, makeTestUpdate, peerInfo, scenarioAttributes } from './test-support.js';

const vip = '172.17.254.1/32';
const node1 = peerInfo({ address: '172.17.0.21', peerAs: 64522 });
const node2 = peerInfo({ address: '172.17.0.22', peerAs: 64522 });
const announce = (nextHop: string, nlri: readonly string[] = [vip], extra: PathAttributes = {}) => makeTestUpdate({ nlri, attributes: { ...scenarioAttributes(nextHop), ...extra } });

/** A policy from a function, counting its calls. */
function policyOf(fn: (r: ImportRoute) => ImportRoute | undefined, isPassThrough = false): ImportPolicy & { calls: number } {
  const p = {
    calls: 0,
    isPassThrough,
    apply: (r: ImportRoute) => {
      p.calls++;
      return fn(r);
    },
  };
  return p;
}

const rejectPrefix = (prefix: string) => policyOf((r) => (r.key === parsePrefixKey(prefix) ? undefined : r));
const setAttributes = (extra: PathAttributes) => policyOf((r) => ({ ...r, attributes: { ...r.attributes, ...extra } }));

function ribWithFeed(policies: ReadonlyMap<string, ImportPolicy>): { rib: Rib; batches: RibChange[][] } {
  const rib = new Rib({ importPolicy: (info) => policies.get(info.address) });
  const batches: RibChange[][] = [];
  rib.subscribe((changes) => batches.push([...changes]));
  return { rib, batches };
}

/** The peer's Adj-RIB-In: prefix -> 'filtered' | 'as received' | 'changed'. */
function adjIn(rib: Rib, peer: string, family = ipv4Unicast): Record<string, string> {
  const out: Record<string, string> = {};
  rib.forEachAdjRibIn(peer, family, (key, route, _isStale, accepted) => {
    out[formatPrefixKey(key)] = accepted === undefined ? 'filtered' : accepted === route ? 'as received' : 'changed';
  });
  return out;
}

test('a rejected route stays in the Adj-RIB-In, filtered, and never reaches the Loc-RIB', () => {
  const { rib, batches } = ribWithFeed(new Map([[node1.address, rejectPrefix('10.2.0.0/24')]]));
  rib.onEstablished(node1);
  rib.onUpdate(node1, announce('172.17.0.21', ['10.1.0.0/24', '10.2.0.0/24']));
  assert.deepEqual(batches.map((b) => b.map((c) => formatPrefixKey(c.key))), [['10.1.0.0/24']]);
  assert.equal(rib.get('10.2.0.0/24'), undefined);
  assert.equal(rib.get('10.1.0.0/24')?.best?.peer.address, node1.address);
  assert.deepEqual(adjIn(rib, node1.address), { '10.1.0.0/24': 'as received', '10.2.0.0/24': 'filtered' });
  assert.deepEqual(rib.peerCounts(node1, ipv4Unicast), { received: 2, accepted: 1, stale: 0 });
  assert.equal(rib.routeCount(ipv4Unicast), 1);
  // Withdrawing the filtered route changes nothing in the Loc-RIB; the set goes with the last route.
  rib.onUpdate(node1, makeTestUpdate({ withdrawn: ['10.2.0.0/24'] }));
  assert.equal(batches.length, 1);
  assert.deepEqual(rib.peerCounts(node1, ipv4Unicast), { received: 1, accepted: 1, stale: 0 });
  rib.onUpdate(node1, announce('172.17.0.21', ['10.2.0.0/24']));
  rib.onPeerDown(node1, 'test');
  assert.equal(batches.length, 2);
  assert.equal(rib.prefixCount(ipv4Unicast), 0);
  assert.equal(rib.attrStore.size, 0);
});

test('a LOCAL_PREF set on import wins the best path over a lower router ID; a received one from eBGP still counts for nothing', () => {
  // node1 (lower router ID) would win; it also sends LOCAL_PREF 300, which eBGP ignores (RFC 4271 5.1.5).
  const { rib } = ribWithFeed(new Map([[node2.address, setAttributes({ localPref: 200 })]]));
  rib.onUpdate(node1, announce('172.17.0.21', [vip], { localPref: 300 }));
  rib.onUpdate(node2, announce('172.17.0.22'));
  const entry = rib.get(vip)!;
  assert.equal(entry.best?.peer.address, node2.address);
  assert.equal(entry.reason, 'local-pref');
  assert.equal(entry.best?.attrs.localPref, 200);
  assert.equal(entry.best?.attrs.attributes.localPref, 200);
  assert.equal(entry.paths.find((r) => r.peer.address === node1.address)?.attrs.localPref, undefined);
  // The Adj-RIB-In keeps node2's route as received, with the changed one beside it.
  const held: Route[] = [];
  rib.forEachAdjRibIn(node2, ipv4Unicast, (_k, route, _s, accepted) => {
    held.push(route);
    assert.notEqual(accepted, route);
    assert.equal(accepted, entry.best);
  });
  assert.equal(held.length, 1);
  assert.equal(held[0]!.attrs.attributes.localPref, undefined);
  assert.equal(held[0]!.receivedTick, entry.best?.receivedTick);
  // A policy on the eBGP route that leaves LOCAL_PREF alone keeps the received one out too.
  rib.setImportPolicy(node1, setAttributes({ med: 7 }));
  rib.reapplyImport(node1);
  const changed = rib.get(vip)!.paths.find((r) => r.peer.address === node1.address)!;
  assert.equal(changed.attrs.med, 7);
  assert.equal(changed.attrs.localPref, undefined);
  assert.equal(rib.get(vip)!.best?.peer.address, node2.address);
});

test('a pass-through policy is never called and a policy returning the route itself allocates nothing', () => {
  const passThrough = policyOf((r) => r, true);
  const same = policyOf((r) => r);
  const { rib } = ribWithFeed(new Map<string, ImportPolicy>([[node1.address, passThrough], [node2.address, same]]));
  rib.onEstablished(node1);
  rib.onEstablished(node2);
  const prefixes = Array.from({ length: 50 }, (_, i) => `10.0.${i}.0/24`);
  rib.onUpdate(node1, announce('172.17.0.21', prefixes));
  rib.onUpdate(node2, announce('172.17.0.22', prefixes));
  assert.equal(passThrough.calls, 0);
  assert.equal(same.calls, 50);
  // One set per peer, as without any policy; the Loc-RIB holds the Adj-RIB-In's own routes.
  assert.equal(rib.attrStore.size, 2);
  for (const peer of [node1, node2]) {
    let count = 0;
    rib.forEachAdjRibIn(peer, ipv4Unicast, (key, route, _s, accepted) => {
      assert.equal(accepted, route);
      assert.ok(rib.entry(ipv4Unicast, key)!.paths.includes(route));
      count++;
    });
    assert.equal(count, 50);
  }
  assert.equal(rib.routeCount(ipv4Unicast), 100);
});

test('routes one policy changes alike share one interned set, freed with the last of them', () => {
  const policy = setAttributes({ med: 77, communities: [0xfc000000 + 77] });
  const { rib } = ribWithFeed(new Map([[node1.address, policy]]));
  const prefixes = Array.from({ length: 20 }, (_, i) => `10.1.${i}.0/24`);
  rib.onUpdate(node1, announce('172.17.0.21', prefixes.slice(0, 10)));
  rib.onUpdate(node1, announce('172.17.0.21', prefixes.slice(10)));
  // The received set and one changed set (the second UPDATE found it by content).
  assert.equal(rib.attrStore.size, 2);
  const best = rib.get(prefixes[0]!)!.best!;
  assert.equal(best.attrs.med, 77);
  assert.deepEqual(best.attrs.attributes.communities, [0xfc00004d]);
  assert.equal(best.attrs.refCount, 20);
  assert.equal(rib.get(prefixes[19]!)!.best!.attrs, best.attrs);
  rib.onUpdate(node1, makeTestUpdate({ withdrawn: prefixes.slice(0, 15) }));
  assert.equal(best.attrs.refCount, 5);
  rib.onPeerDown(node1, 'test');
  assert.equal(rib.attrStore.size, 0);
  assert.equal(rib.routeCount(ipv4Unicast), 0);
});

test('a next hop set on import is the route\'s next hop; an IPv6 route keeps its link-local next hop only with its own', () => {
  const hop4 = parseAddress('192.0.2.99');
  const policy = policyOf((r) => (r.nextHop.length === 4 ? { ...r, nextHop: hop4, attributes: { ...r.attributes, nextHop: hop4 } } : { ...r, attributes: { ...r.attributes, med: 1 } }));
  const { rib } = ribWithFeed(new Map([[node1.address, policy]]));
  rib.onUpdate(node1, announce('172.17.0.21', ['10.9.0.0/16']));
  assert.equal(formatAddress(rib.get('10.9.0.0/16')!.best!.nextHop), '192.0.2.99');
  rib.onUpdate(node1, makeTestUpdate({ attributes: scenarioAttributes('172.17.0.21'), mpReach: { nextHop: '2001:db8::21', nlri: ['2001:db8:9::/48'] } }));
  const v6 = rib.get('2001:db8:9::/48')!.best!;
  assert.equal(formatAddress(v6.nextHop), '2001:db8::21');
  assert.equal(v6.attrs.med, 1);
  assert.deepEqual(adjIn(rib, node1.address, ipv6Unicast), { '2001:db8:9::/48': 'changed' });
});

test('reapplyImport runs a changed policy over the Adj-RIB-In as received, with one event per prefix changed', () => {
  const { rib, batches } = ribWithFeed(new Map());
  rib.onEstablished(node1);
  rib.onEstablished(node2);
  rib.onUpdate(node1, announce('172.17.0.21', [vip, '10.1.0.0/24', '10.2.0.0/24']));
  rib.onUpdate(node2, announce('172.17.0.22', [vip]));
  assert.equal(rib.get(vip)!.best?.peer.address, node1.address);
  batches.length = 0;

  // Reject one prefix and prefer node1 less than node2: set, then reapply.
  const policy = policyOf((r) => (r.key === parsePrefixKey('10.2.0.0/24') ? undefined : { ...r, attributes: { ...r.attributes, med: 5 } }));
  assert.equal(rib.setImportPolicy(node1, policy), true);
  assert.equal(batches.length, 0, 'setting a policy alone changes nothing');
  assert.equal(rib.reapplyImport(node1), 3);
  assert.equal(batches.length, 1);
  const changes = new Map(batches[0]!.map((c) => [formatPrefixKey(c.key), c]));
  assert.deepEqual([...changes.keys()].sort(), ['10.1.0.0/24', '10.2.0.0/24', vip]);
  assert.equal(changes.get('10.2.0.0/24')!.best, undefined);
  assert.equal(changes.get('10.1.0.0/24')!.best?.attrs.med, 5);
  // Same neighbouring AS: the lower MED (node2's none, 0) now wins.
  assert.equal(changes.get(vip)!.best?.peer.address, node2.address);
  assert.equal(rib.get(vip)!.reason, 'med');
  assert.deepEqual(adjIn(rib, node1.address), { [vip]: 'changed', '10.1.0.0/24': 'changed', '10.2.0.0/24': 'filtered' });
  const sets = rib.attrStore.size;

  // The same policy again: nothing changes, nothing is published, nothing leaks.
  batches.length = 0;
  assert.equal(rib.reapplyImport(node1), 0);
  assert.equal(batches.length, 0);
  assert.equal(rib.attrStore.size, sets);

  // No policy: everything as received again.
  rib.setImportPolicy(node1, undefined);
  assert.equal(rib.reapplyImport(node1), 3);
  assert.deepEqual(adjIn(rib, node1.address), { [vip]: 'as received', '10.1.0.0/24': 'as received', '10.2.0.0/24': 'as received' });
  assert.equal(rib.get(vip)!.best?.peer.address, node1.address);
  assert.equal(rib.get('10.2.0.0/24')!.best?.attrs.med, undefined);
  assert.equal(rib.attrStore.size, 2);
  assert.equal(rib.reapplyImport('192.0.2.99'), 0);
  assert.equal(rib.setImportPolicy('192.0.2.99', policy), false);
});

test('graceful restart with a policy: stale routes keep their outcome and the sweep frees every copy', () => {
  const policy = policyOf((r) => (r.key === parsePrefixKey('10.2.0.0/24') ? undefined : { ...r, attributes: { ...r.attributes, med: 3 } }));
  const { rib } = ribWithFeed(new Map([[node1.address, policy]]));
  rib.onEstablished(node1);
  rib.onUpdate(node1, announce('172.17.0.21', ['10.1.0.0/24', '10.2.0.0/24', '10.3.0.0/24']));
  rib.markStale(node1);
  rib.onEstablished(node1);
  rib.onUpdate(node1, announce('172.17.0.21', ['10.1.0.0/24']));
  assert.equal(rib.get('10.3.0.0/24')?.best?.attrs.med, 3);
  assert.equal(rib.sweepStale(node1, ipv4Unicast), 2);
  assert.deepEqual(rib.peerCounts(node1, ipv4Unicast), { received: 1, accepted: 1, stale: 0 });
  assert.equal(rib.prefixCount(ipv4Unicast), 1);
  assert.equal(rib.get('10.1.0.0/24')?.best?.attrs.med, 3);
  // The received set and the changed one.
  assert.equal(rib.attrStore.size, 2);
});

test('property: a policy set later and reapplied gives the RIB that policy gives from the start', () => {
  const prefixes = ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24', '10.0.4.0/24'];
  const keys = prefixes.map((p) => parsePrefixKey(p));
  const peers = [node1, node2];
  // Three policies: reject some prefixes, change others, return the rest as they are.
  const policies: ((i: number, r: ImportRoute) => ImportRoute | undefined)[] = [
    (i, r) => (i % 3 === 0 ? undefined : { ...r, attributes: { ...r.attributes, med: (r.attributes.med ?? 0) + 1 } }),
    (i, r) => (i % 2 === 1 ? undefined : r),
    (i, r) => (i === 4 ? { ...r, attributes: { ...r.attributes, localPref: 300 } } : r),
  ];
  const policyFor = (n: number): ImportPolicy => policyOf((r) => policies[n]!(keys.indexOf(r.key), r));
  const op = fc.record({ peer: fc.integer({ min: 0, max: 1 }), prefix: fc.integer({ min: 0, max: 4 }), med: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }) });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), (ops, first, second) => {
      const late = new Rib({ importPolicy: () => policyFor(first) });
      const early = new Rib({ importPolicy: () => policyFor(second) });
      for (const rib of [late, early]) {
        for (const p of peers) rib.onEstablished(p);
        for (const o of ops) {
          const peer = peers[o.peer]!;
          const prefix = prefixes[o.prefix]!;
          // An op without a MED withdraws.
          rib.onUpdate(peer, o.med === undefined ? makeTestUpdate({ withdrawn: [prefix] }) : announce(peer.address, [prefix], { med: o.med }));
        }
      }
      for (const p of peers) {
        late.setImportPolicy(p, policyFor(second));
        late.reapplyImport(p);
      }
      const view = (rib: Rib) =>
        prefixes.map((p) => {
          const e = rib.get(p);
          return e === undefined ? null : { best: e.best?.peer.address, med: e.best?.attrs.med, localPref: e.best?.attrs.localPref, paths: e.paths.length, reason: e.reason };
        });
      assert.deepEqual(view(late), view(early));
      assert.equal(late.attrStore.size, early.attrStore.size);
      for (const p of peers) assert.deepEqual(late.peerCounts(p, ipv4Unicast), early.peerCounts(p, ipv4Unicast));
      for (const rib of [late, early]) {
        for (const p of peers) rib.onPeerDown(p, 'test');
        assert.equal(rib.attrStore.size, 0);
        assert.equal(rib.routeCount(ipv4Unicast), 0);
      }
    }),
    { numRuns: 150 },
  );
});
