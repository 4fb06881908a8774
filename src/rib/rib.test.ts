import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatAddress, parseAddress } from '../lib/address.js';
import { ManualClock } from '../lib/clock.js';
import { ErrorAction, NotifyCode, UpdateSubcode, WireError } from '../wire/errors.js';
import { AttrType, Origin } from '../wire/attributes/types.js';
import type { RibChange } from './loc-rib.js';
import { parsePrefixKey, formatPrefixKey } from './prefix-key.js';
import { Rib, familyOfMpAttribute, type RibOptions } from './rib.js';
import type { Route } from './route.js';
import { asPath, ipv4Unicast, ipv6Unicast, makeTestUpdate, peerInfo, scenarioAttributes } from './test-support.js';

const vip = '172.17.254.1/32';
const node1 = peerInfo({ address: '172.17.0.21', peerAs: 64522 });
const node2 = peerInfo({ address: '172.17.0.22', peerAs: 64522 });
const node3 = peerInfo({ address: '172.17.0.23', peerAs: 64522 });
const nodes = [node1, node2, node3];
const multipath: RibOptions = { multipath: { ebgpMaximumPaths: 64, ibgpMaximumPaths: 64, allowMultipleAs: false } };

function ribWithFeed(options: RibOptions = multipath): { rib: Rib; batches: RibChange[][] } {
  const rib = new Rib(options);
  const batches: RibChange[][] = [];
  rib.subscribe((changes) => batches.push([...changes]));
  return { rib, batches };
}

const hops = (routes: readonly Route[]): string[] => routes.map((r) => formatAddress(r.nextHop));
const announce = (nextHop: string, nlri: readonly string[] = [vip]) => makeTestUpdate({ nlri, attributes: scenarioAttributes(nextHop) });

test('scenario: three nodes announce the VIP -> one multipath set of three next hops', () => {
  const { rib, batches } = ribWithFeed();
  // Order as gobgp monitor showed it: .23, .21, .22.
  for (const n of [node3, node1, node2]) {
    rib.onEstablished(n);
    rib.onUpdate(n, announce(n.address));
  }
  assert.equal(batches.length, 3);
  const last = batches[2]!;
  assert.equal(last.length, 1);
  assert.equal(formatPrefixKey(last[0]!.key), vip);
  assert.deepEqual(hops(last[0]!.multipath), ['172.17.0.21', '172.17.0.22', '172.17.0.23']);
  assert.equal(last[0]!.best?.peer.address, '172.17.0.21');
  assert.deepEqual(hops(last[0]!.previousMultipath), ['172.17.0.21', '172.17.0.23']);
  const entry = rib.get(vip)!;
  assert.deepEqual(hops(entry.multipath), ['172.17.0.21', '172.17.0.22', '172.17.0.23']);
  assert.equal(entry.reason, 'router-id');
  assert.equal(entry.paths.length, 3);
  // The first announcement made the prefix appear: previous best undefined.
  assert.equal(batches[0]![0]!.previousBest, undefined);
  assert.deepEqual(batches[0]![0]!.previousMultipath, []);
});

test('scenario: one node withdraws -> one event with two next hops; all withdraw -> best undefined', () => {
  const { rib, batches } = ribWithFeed();
  for (const n of nodes) rib.onUpdate(n, announce(n.address));
  batches.length = 0;
  rib.onUpdate(node1, makeTestUpdate({ withdrawn: [vip] }));
  assert.equal(batches.length, 1);
  assert.equal(batches[0]!.length, 1);
  assert.deepEqual(hops(batches[0]![0]!.multipath), ['172.17.0.22', '172.17.0.23']);
  assert.equal(batches[0]![0]!.previousBest?.peer.address, '172.17.0.21');
  rib.onUpdate(node2, makeTestUpdate({ withdrawn: [vip] }));
  rib.onUpdate(node3, makeTestUpdate({ withdrawn: [vip] }));
  assert.equal(batches.length, 3);
  const gone = batches[2]![0]!;
  assert.equal(gone.best, undefined);
  assert.deepEqual(gone.multipath, []);
  assert.deepEqual(hops(gone.previousMultipath), ['172.17.0.23']);
  assert.equal(rib.get(vip), undefined);
  assert.equal(rib.prefixCount(ipv4Unicast), 0);
  assert.equal(rib.attrStore.size, 0);
});

test('a duplicate announcement or a withdrawal of an unknown prefix publishes nothing', () => {
  const { rib, batches } = ribWithFeed();
  rib.onUpdate(node1, announce('172.17.0.21'));
  rib.onUpdate(node1, announce('172.17.0.21'));
  rib.onUpdate(node1, makeTestUpdate({ withdrawn: ['10.0.0.0/8'] }));
  assert.equal(batches.length, 1);
  // A worse route from another peer changes neither best nor (without multipath) the set.
  const quiet = ribWithFeed({});
  quiet.rib.onUpdate(node1, announce('172.17.0.21'));
  quiet.rib.onUpdate(node2, makeTestUpdate({ nlri: [vip], attributes: { ...scenarioAttributes('172.17.0.22'), asPath: asPath(64522, 1) } }));
  assert.equal(quiet.batches.length, 1);
  assert.equal(quiet.rib.get(vip)!.paths.length, 2);
});

test('maximum-paths is honoured; without multipath the set is the best alone', () => {
  const limited = ribWithFeed({ multipath: { ebgpMaximumPaths: 2 } });
  for (const n of nodes) limited.rib.onUpdate(n, announce(n.address));
  assert.deepEqual(hops(limited.rib.get(vip)!.multipath), ['172.17.0.21', '172.17.0.22']);
  // .23 beyond the limit changed nothing: two events only (.21 alone, then .21 + .22).
  assert.equal(limited.batches.length, 2);
  limited.rib.onUpdate(node2, makeTestUpdate({ withdrawn: [vip] }));
  assert.deepEqual(hops(limited.rib.get(vip)!.multipath), ['172.17.0.21', '172.17.0.23']);
  const off = ribWithFeed({});
  for (const n of nodes) off.rib.onUpdate(n, announce(n.address));
  assert.deepEqual(hops(off.rib.get(vip)!.multipath), ['172.17.0.21']);
});

test('allow-multiple-as lets eBGP routes of different neighbouring ASes share the set', () => {
  const other = peerInfo({ address: '172.17.0.30', peerAs: 64530 });
  const otherUpdate = makeTestUpdate({ nlri: [vip], attributes: { origin: Origin.incomplete, asPath: asPath(64530), nextHop: parseAddress('172.17.0.30') } });
  const strict = new Rib(multipath);
  strict.onUpdate(node1, announce('172.17.0.21'));
  strict.onUpdate(other, otherUpdate);
  assert.deepEqual(hops(strict.get(vip)!.multipath), ['172.17.0.21']);
  const relaxed = new Rib({ multipath: { ebgpMaximumPaths: 8, allowMultipleAs: true } });
  relaxed.onUpdate(node1, announce('172.17.0.21'));
  relaxed.onUpdate(other, otherUpdate);
  assert.deepEqual(hops(relaxed.get(vip)!.multipath), ['172.17.0.21', '172.17.0.30']);
});

test('onPeerDown removes every route of the peer, in every family, with one event per prefix', () => {
  const { rib, batches } = ribWithFeed();
  for (const n of nodes) rib.onUpdate(n, announce(n.address, [vip, '172.17.254.2/32']));
  rib.onUpdate(node1, makeTestUpdate({ attributes: scenarioAttributes('172.17.0.21'), mpReach: { nextHop: '2001:db8::21', nlri: ['2001:db8:254::1/128'] } }));
  batches.length = 0;
  rib.onPeerDown(node1, 'hold timer expired');
  assert.equal(batches.length, 1);
  assert.deepEqual(batches[0]!.map((c) => formatPrefixKey(c.key)).sort(), ['172.17.254.1/32', '172.17.254.2/32', '2001:db8:254::1/128']);
  assert.deepEqual(hops(rib.get(vip)!.multipath), ['172.17.0.22', '172.17.0.23']);
  assert.equal(rib.peerCounts(node1, ipv4Unicast).received, 0);
  assert.equal(rib.prefixCount(ipv6Unicast), 0);
  assert.deepEqual(rib.peerAddresses().sort(), ['172.17.0.22', '172.17.0.23']);
});

test('treat-as-withdraw: every NLRI of the UPDATE is withdrawn, the announced ones included', () => {
  const { rib, batches } = ribWithFeed();
  rib.onUpdate(node1, announce('172.17.0.21', [vip, '172.17.254.2/32']));
  rib.onUpdate(node1, makeTestUpdate({ attributes: scenarioAttributes('172.17.0.21'), mpReach: { nextHop: '2001:db8::21', nlri: ['2001:db8::/32'] } }));
  batches.length = 0;
  const fault = new WireError(NotifyCode.updateMessage, UpdateSubcode.malformedAsPath, 'bad AS_PATH', new Uint8Array(0), ErrorAction.treatAsWithdraw);
  rib.onUpdate(node1, { ...makeTestUpdate({ nlri: [vip], attributes: scenarioAttributes('172.17.0.99'), mpReach: { nextHop: '2001:db8::99', nlri: ['2001:db8::/32'] } }), action: ErrorAction.treatAsWithdraw, faults: [fault] });
  assert.equal(batches.length, 1);
  assert.deepEqual(batches[0]!.map((c) => [formatPrefixKey(c.key), c.best]), [
    [vip, undefined],
    ['2001:db8::/32', undefined],
  ]);
  assert.equal(rib.get('172.17.254.2/32')?.best?.peer.address, '172.17.0.21');
});

test('afi-safi-disable withdraws the family named by the faulty MP attribute and ignores it afterwards', () => {
  const rib = new Rib();
  rib.onEstablished(node1);
  rib.onUpdate(node1, makeTestUpdate({ attributes: scenarioAttributes('172.17.0.21'), nlri: [vip], mpReach: { nextHop: '2001:db8::21', nlri: ['2001:db8::/32'] } }));
  // The fault's data is the MP_UNREACH_NLRI attribute: flags, type, length, AFI 2, SAFI 1, ...
  const data = Uint8Array.of(0x80, AttrType.mpUnreach, 4, 0, 2, 1, 0xff);
  assert.equal(familyOfMpAttribute(data), ipv6Unicast);
  const fault = new WireError(NotifyCode.updateMessage, UpdateSubcode.optionalAttributeError, 'bad MP_UNREACH_NLRI', data, ErrorAction.afiSafiDisable);
  rib.onUpdate(node1, { ...makeTestUpdate({}), action: ErrorAction.afiSafiDisable, faults: [fault] });
  assert.equal(rib.prefixCount(ipv6Unicast), 0);
  assert.equal(rib.get(vip)?.best?.peer.address, '172.17.0.21');
  rib.onUpdate(node1, makeTestUpdate({ attributes: scenarioAttributes('172.17.0.21'), mpReach: { nextHop: '2001:db8::21', nlri: ['2001:db8::/32'] } }));
  assert.equal(rib.prefixCount(ipv6Unicast), 0);
  // A new session starts with every family on again.
  rib.onEstablished(node1);
  rib.onUpdate(node1, makeTestUpdate({ attributes: scenarioAttributes('172.17.0.21'), mpReach: { nextHop: '2001:db8::21', nlri: ['2001:db8::/32'] } }));
  assert.equal(rib.prefixCount(ipv6Unicast), 1);
});

test('ADD-PATH: two path ids from one peer are two routes; withdrawing one leaves the other', () => {
  const { rib, batches } = ribWithFeed();
  const rr = peerInfo({ address: '10.0.0.1', peerAs: 64512, addPath: true });
  const attributes = { origin: Origin.igp, asPath: asPath(65001), nextHop: parseAddress('10.9.0.1'), localPref: 100 };
  rib.onUpdate(rr, makeTestUpdate({ hasPathId: true, nlri: [{ prefix: vip, pathId: 1 }], attributes }));
  rib.onUpdate(rr, makeTestUpdate({ hasPathId: true, nlri: [{ prefix: vip, pathId: 2 }], attributes: { ...attributes, nextHop: parseAddress('10.9.0.2') } }));
  assert.equal(rib.peerCounts(rr, ipv4Unicast).received, 2);
  const entry = rib.get(vip)!;
  assert.equal(entry.paths.length, 2);
  assert.deepEqual(hops(entry.multipath), ['10.9.0.1', '10.9.0.2']);
  assert.equal(entry.reason, 'path-id');
  rib.onUpdate(rr, makeTestUpdate({ hasPathId: true, withdrawn: [{ prefix: vip, pathId: 1 }] }));
  assert.deepEqual(hops(rib.get(vip)!.multipath), ['10.9.0.2']);
  assert.equal(batches.length, 3);
  // Both path ids in one UPDATE: one event for the prefix.
  batches.length = 0;
  rib.onUpdate(rr, makeTestUpdate({ hasPathId: true, nlri: [{ prefix: '10.0.0.0/8', pathId: 1 }, { prefix: '10.0.0.0/8', pathId: 2 }], attributes }));
  assert.equal(batches.length, 1);
  assert.equal(batches[0]!.length, 1);
  // Both routes tie through eBGP-over-iBGP: both are in the set (same next hop twice).
  assert.deepEqual(hops(batches[0]![0]!.multipath), ['10.9.0.1', '10.9.0.1']);
  assert.equal(rib.get('10.0.0.0/8')!.paths.length, 2);
});

test('a prefix both withdrawn and announced in one UPDATE ends up announced, in one event', () => {
  const { rib, batches } = ribWithFeed();
  rib.onUpdate(node1, makeTestUpdate({ withdrawn: [vip], nlri: [vip], attributes: scenarioAttributes('172.17.0.21') }));
  assert.equal(batches.length, 1);
  assert.equal(batches[0]!.length, 1);
  assert.equal(batches[0]![0]!.best?.peer.address, '172.17.0.21');
  // With a route already there: withdraw + same announce cancel out, no event.
  rib.onUpdate(node1, makeTestUpdate({ withdrawn: [vip], nlri: [vip], attributes: { ...scenarioAttributes('172.17.0.21'), med: 5 } }));
  assert.equal(batches.length, 2);
  assert.equal(batches[1]![0]!.previousBest?.attrs.med, undefined);
  assert.equal(batches[1]![0]!.best?.attrs.med, 5);
});

test('attribute interning: two UPDATEs with identical attributes share one set; refcount frees it', () => {
  const rib = new Rib();
  rib.onUpdate(node1, announce('172.17.0.21', ['10.0.0.0/8']));
  rib.onUpdate(node1, announce('172.17.0.21', ['10.1.0.0/16', '10.2.0.0/16']));
  assert.equal(rib.attrStore.size, 1);
  const a = rib.get('10.0.0.0/8')!.best!;
  const b = rib.get('10.2.0.0/16')!.best!;
  assert.equal(a.attrs, b.attrs);
  assert.equal(a.attrs.refCount, 3);
  rib.onUpdate(node1, makeTestUpdate({ withdrawn: ['10.0.0.0/8', '10.1.0.0/16'] }));
  assert.equal(a.attrs.refCount, 1);
  // A change of attributes moves the route to a new set and frees the old one.
  rib.onUpdate(node1, makeTestUpdate({ nlri: ['10.2.0.0/16'], attributes: { ...scenarioAttributes('172.17.0.21'), med: 1 } }));
  assert.equal(rib.attrStore.size, 1);
  assert.equal(a.attrs.refCount, 0);
  assert.equal(rib.attrStore.find(a.attrs.key), undefined);
});

test('graceful restart: markStale keeps routes, re-announced ones are fresh, End-of-RIB sweeps the rest', () => {
  const { rib, batches } = ribWithFeed();
  rib.onUpdate(node1, announce('172.17.0.21', [vip, '172.17.254.2/32', '172.17.254.3/32']));
  batches.length = 0;
  rib.markStale(node1);
  assert.equal(rib.peerCounts(node1, ipv4Unicast).stale, 3);
  assert.equal(batches.length, 0);
  rib.onEstablished(node1);
  // Same attributes again: no event, no longer stale.
  rib.onUpdate(node1, announce('172.17.0.21', [vip]));
  // New attributes: an event.
  rib.onUpdate(node1, makeTestUpdate({ nlri: ['172.17.254.2/32'], attributes: { ...scenarioAttributes('172.17.0.21'), med: 9 } }));
  assert.equal(batches.length, 1);
  const stale: string[] = [];
  rib.forEachAdjRibIn(node1, ipv4Unicast, (key, _r, isStale) => isStale && stale.push(formatPrefixKey(key)));
  assert.deepEqual(stale, ['172.17.254.3/32']);
  rib.onEndOfRib(node1, ipv4Unicast);
  assert.equal(rib.hasEndOfRib(node1, ipv4Unicast), true);
  assert.equal(batches.length, 2);
  assert.deepEqual(batches[1]!.map((c) => [formatPrefixKey(c.key), c.best]), [['172.17.254.3/32', undefined]]);
  assert.deepEqual(rib.peerCounts(node1, ipv4Unicast), { received: 2, accepted: 2, stale: 0 });
  assert.equal(rib.attrStore.size, 2);
});

test('sweepStale removes what was not announced again; a second sweep finds nothing', () => {
  const rib = new Rib();
  rib.onUpdate(node1, announce('172.17.0.21', [vip]));
  rib.markStale(node1, [ipv4Unicast]);
  assert.equal(rib.get(vip)?.best?.peer.address, '172.17.0.21');
  assert.equal(rib.sweepStale(node1, ipv4Unicast), 1);
  assert.equal(rib.sweepStale(node1, ipv4Unicast), 0);
  assert.equal(rib.get(vip), undefined);
  assert.equal(rib.attrStore.size, 0);
});

test('locally originated routes win over learned ones and can be withdrawn', () => {
  const { rib, batches } = ribWithFeed({ routerId: '172.17.0.1', localAs: 64512 });
  rib.onUpdate(node1, announce('172.17.0.21'));
  rib.originate(vip, { origin: Origin.igp, asPath: [], nextHop: parseAddress('172.17.0.1') });
  const entry = rib.get(vip)!;
  assert.equal(entry.best?.peer.isLocal, true);
  assert.equal(entry.reason, 'local-origin');
  // Originating the same attributes again changes nothing.
  rib.originate(vip, { origin: Origin.igp, asPath: [], nextHop: parseAddress('172.17.0.1') });
  assert.equal(batches.length, 2);
  assert.equal(rib.peerCounts('local', ipv4Unicast).received, 1);
  rib.withdrawLocal(vip);
  assert.equal(rib.get(vip)?.best?.peer.address, '172.17.0.21');
  assert.equal(batches.length, 3);
  assert.throws(() => rib.originate('172.17.254.1/33', {}), /bad prefix length/);
});

test('IPv6 through MP_REACH / MP_UNREACH with the MP next hop', () => {
  const rib = new Rib();
  rib.onUpdate(node1, makeTestUpdate({ attributes: scenarioAttributes('172.17.0.21'), mpReach: { nextHop: '2001:db8::21', nlri: ['2001:db8:254::1/128', '2001:db8::/32'] } }));
  assert.equal(formatAddress(rib.get('2001:db8:254::1/128')!.best!.nextHop), '2001:db8::21');
  assert.deepEqual([...rib.entries(ipv6Unicast)].map((e) => e.prefix), ['2001:db8::/32', '2001:db8:254::1/128']);
  rib.onUpdate(node1, makeTestUpdate({ mpUnreach: { withdrawn: ['2001:db8::/32'] } }));
  assert.equal(rib.prefixCount(ipv6Unicast), 1);
});

test('queries: entries in prefix order, forEachBest, O(1) counts', () => {
  const rib = new Rib();
  rib.onUpdate(node1, announce('172.17.0.21', ['192.168.0.0/16', '10.0.0.0/8', '172.17.254.1/32', '10.0.0.0/24']));
  rib.onUpdate(node2, announce('172.17.0.22', ['10.0.0.0/8']));
  assert.deepEqual([...rib.entries(ipv4Unicast)].map((e) => e.prefix), ['10.0.0.0/8', '10.0.0.0/24', '172.17.254.1/32', '192.168.0.0/16']);
  let visited = 0;
  rib.forEachBest(ipv4Unicast, () => visited++);
  assert.equal(visited, 4);
  assert.equal(rib.prefixCount(ipv4Unicast), 4);
  assert.equal(rib.routeCount(ipv4Unicast), 5);
  assert.deepEqual(rib.peerCounts(node2, ipv4Unicast), { received: 1, accepted: 1, stale: 0 });
  assert.deepEqual(rib.peerCounts('192.0.2.99', ipv4Unicast), { received: 0, accepted: 0, stale: 0 });
  assert.equal(rib.entry(ipv4Unicast, parsePrefixKey('10.0.0.0/8'))!.paths.length, 2);
});

test('next hops: unreachable routes are not best; revalidation publishes the changes', () => {
  let isDown = true;
  const rib = new Rib({ resolveNextHop: (nh) => !(isDown && nh[3] === 21) });
  const batches: RibChange[][] = [];
  rib.subscribe((c) => batches.push([...c]));
  rib.onUpdate(node1, announce('172.17.0.21'));
  assert.equal(batches.length, 0);
  assert.equal(rib.get(vip)!.best, undefined);
  rib.onUpdate(node2, announce('172.17.0.22'));
  assert.equal(rib.get(vip)!.best?.peer.address, '172.17.0.22');
  isDown = false;
  assert.equal(rib.revalidateNextHops(), 1);
  assert.equal(batches.length, 2);
  assert.equal(batches[1]![0]!.best?.peer.address, '172.17.0.21');
  assert.equal(batches[1]![0]!.previousBest?.peer.address, '172.17.0.22');
});

test('the ages of routes come from the clock, and prefer-oldest uses them', () => {
  const clock = new ManualClock(5000);
  const rib = new Rib({ clock, decision: { preferOldest: true } });
  rib.onUpdate(node2, announce('172.17.0.22'));
  clock.advance(1000);
  rib.onUpdate(node1, announce('172.17.0.21'));
  const entry = rib.get(vip)!;
  assert.equal(entry.best?.peer.address, '172.17.0.22');
  assert.equal(entry.reason, 'oldest');
  const newer = entry.paths.find((r) => r.peer.address === '172.17.0.21')!;
  assert.equal(newer.receivedTick, 10);
  clock.advance(2500);
  assert.equal(rib.ageMs(newer), 2500);
  assert.equal(rib.ageMs(entry.best!), 3500);
});

test('a listener error reaches the caller after every listener ran; the RIB is updated', () => {
  const rib = new Rib();
  let calls = 0;
  rib.subscribe(() => {
    throw new Error('listener failed');
  });
  const unsubscribe = rib.subscribe(() => calls++);
  assert.throws(() => rib.onUpdate(node1, announce('172.17.0.21')), /listener failed/);
  assert.equal(calls, 1);
  assert.equal(rib.prefixCount(ipv4Unicast), 1);
  unsubscribe();
});

// Routes of the property test: per peer a choice among a few attribute sets that tie,
// differ in MED (same or other neighbouring AS), AS_PATH length or ORIGIN.
const peerPool = Array.from({ length: 6 }, (_, i) => peerInfo({ address: `172.17.0.${21 + i}`, peerAs: i < 3 ? 64522 : 64523 + (i % 2), routerId: `1.0.0.${(i * 5) % 6}` }));
const variantAttributes = (peerAs: number, nextHop: string, v: number) => ({
  origin: v % 3 === 2 ? Origin.igp : Origin.incomplete,
  asPath: asPath(peerAs, ...(v === 4 ? [1] : [])),
  nextHop: parseAddress(nextHop),
  ...(v % 2 === 1 ? { med: v } : {}),
});

test('property: any arrival order of the routes gives the same best route and multipath set', () => {
  const routesArb = fc.uniqueArray(fc.record({ peer: fc.integer({ min: 0, max: peerPool.length - 1 }), variant: fc.integer({ min: 0, max: 5 }) }), { minLength: 1, maxLength: peerPool.length, selector: (r) => r.peer });
  const optionsArb = fc.record({
    decision: fc.record({ alwaysCompareMed: fc.boolean(), missingMedAsWorst: fc.boolean() }),
    multipath: fc.record({ ebgpMaximumPaths: fc.integer({ min: 0, max: 4 }), ibgpMaximumPaths: fc.integer({ min: 0, max: 4 }), allowMultipleAs: fc.boolean() }),
  });
  fc.assert(
    fc.property(routesArb.chain((specs) => fc.tuple(fc.constant(specs), fc.shuffledSubarray(specs, { minLength: specs.length }))), optionsArb, ([specs, shuffled], options) => {
      const outcome = (order: typeof specs) => {
        const rib = new Rib(options);
        let last: RibChange | undefined;
        rib.subscribe((changes) => (last = changes[changes.length - 1]));
        for (const s of order) {
          const peer = peerPool[s.peer]!;
          rib.onUpdate(peer, makeTestUpdate({ nlri: [vip], attributes: variantAttributes(peer.peerAs, peer.address, s.variant) }));
        }
        const entry = rib.get(vip)!;
        // The feed's last word agrees with the Loc-RIB.
        assert.equal(last?.best, entry.best);
        assert.deepEqual(last?.multipath, entry.multipath);
        return { best: entry.best?.peer.address, multipath: hops(entry.multipath), reason: entry.reason };
      };
      assert.deepEqual(outcome(shuffled), outcome(specs));
    }),
    { numRuns: 300 },
  );
});
