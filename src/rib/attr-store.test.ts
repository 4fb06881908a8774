import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddress } from '../lib/address.js';
import { AsSegmentType, Origin } from '../wire/attributes/types.js';
import { AttrStore, asPathLength, neighborAs } from './attr-store.js';
import { attrKeyOf, scenarioAttributes } from './test-support.js';

test('equal attribute bytes and next hop share one set; the last release frees it', () => {
  const store = new AttrStore();
  const attributes = scenarioAttributes('172.17.0.21');
  const a = store.intern(attrKeyOf(attributes), attributes, parseAddress('172.17.0.21'), undefined, true);
  const b = store.intern(Uint8Array.from(attrKeyOf(attributes)), { ...attributes }, parseAddress('172.17.0.21'), undefined, true);
  assert.equal(a, b);
  store.retain(a);
  store.retain(b);
  assert.equal(store.size, 1);
  store.release(a);
  assert.equal(store.size, 1);
  store.release(b);
  assert.equal(store.size, 0);
  assert.equal(store.find(a.key), undefined);
  assert.throws(() => store.release(a), /released more often than retained/);
});

test('the MP next hop, the link-local next hop and eBGP-ness are part of the key', () => {
  const store = new AttrStore();
  const attributes = { origin: Origin.igp, asPath: [] };
  const key = attrKeyOf(attributes);
  const base = store.intern(key, attributes, parseAddress('2001:db8::1'), undefined, true);
  assert.notEqual(store.intern(key, attributes, parseAddress('2001:db8::2'), undefined, true), base);
  assert.notEqual(store.intern(key, attributes, parseAddress('2001:db8::1'), parseAddress('fe80::1'), true), base);
  assert.notEqual(store.intern(key, attributes, parseAddress('2001:db8::1'), undefined, false), base);
  assert.equal(store.intern(key, attributes, parseAddress('2001:db8::1'), undefined, true), base);
});

test('an unused set can be dropped; a held one cannot', () => {
  const store = new AttrStore();
  const attributes = scenarioAttributes('172.17.0.21');
  const a = store.intern(attrKeyOf(attributes), attributes, parseAddress('172.17.0.21'), undefined, true);
  store.dropIfUnused(a);
  assert.equal(store.size, 0);
  const b = store.intern(attrKeyOf(attributes), attributes, parseAddress('172.17.0.21'), undefined, true);
  store.retain(b);
  store.dropIfUnused(b);
  assert.equal(store.size, 1);
});

test('the set keeps no MP attribute (it would hold a whole UPDATE\'s NLRI) and copies the next hop', () => {
  const store = new AttrStore();
  const nextHop = parseAddress('2001:db8::1');
  const attributes = { origin: Origin.igp, mpUnreach: { afi: 2, safi: 1, withdrawn: undefined as never } };
  const set = store.intern(attrKeyOf(attributes), attributes, nextHop, undefined, true);
  assert.equal('mpUnreach' in set.attributes, false);
  nextHop[15] = 9;
  assert.equal(set.nextHop[15], 1);
});

test('decision inputs: LOCAL_PREF ignored from eBGP, ORIGINATOR_ID as a number, CLUSTER_LIST length', () => {
  const store = new AttrStore();
  const attributes = { origin: Origin.egp, localPref: 300, med: 7, originatorId: parseAddress('10.0.0.9'), clusterList: [parseAddress('1.1.1.1')] };
  const ebgp = store.intern(attrKeyOf(attributes), attributes, parseAddress('10.0.0.1'), undefined, true);
  const ibgp = store.intern(attrKeyOf(attributes), attributes, parseAddress('10.0.0.1'), undefined, false);
  assert.equal(ebgp.localPref, undefined);
  assert.equal(ibgp.localPref, 300);
  assert.equal(ibgp.originatorId, 0x0a000009);
  assert.equal(ibgp.clusterListLength, 1);
  assert.equal(ibgp.origin, Origin.egp);
  assert.equal(ibgp.med, 7);
});

test('AS_PATH length: a set counts one, confederation segments none; the neighbouring AS skips them', () => {
  const path = [
    { type: AsSegmentType.confedSequence, asns: [64600, 64601] },
    { type: AsSegmentType.sequence, asns: [65001, 65002] },
    { type: AsSegmentType.set, asns: [1, 2, 3] },
    { type: AsSegmentType.confedSet, asns: [64602] },
  ];
  assert.equal(asPathLength(path), 3);
  assert.equal(neighborAs(path), 65001);
  assert.equal(neighborAs([]), 0);
  assert.equal(neighborAs(undefined), 0);
  assert.equal(neighborAs([{ type: AsSegmentType.set, asns: [1, 2] }]), 0);
});

test('local attributes are keyed by content: the same attributes give the same set', () => {
  const store = new AttrStore();
  const a = store.internLocal({ origin: Origin.igp, communities: [1, 2], nextHop: parseAddress('10.0.0.1') }, parseAddress('10.0.0.1'));
  const b = store.internLocal({ nextHop: parseAddress('10.0.0.1'), communities: [1, 2], origin: Origin.igp }, parseAddress('10.0.0.1'));
  const c = store.internLocal({ origin: Origin.igp, communities: [2, 1], nextHop: parseAddress('10.0.0.1') }, parseAddress('10.0.0.1'));
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.equal(a.isEbgp, false);
});

test('reachability is asked once per set and changes are reported, not applied', () => {
  let asked = 0;
  const store = new AttrStore((nh) => {
    asked++;
    return nh[3] !== 99;
  });
  const attributes = { origin: Origin.igp };
  const up = store.intern(attrKeyOf(attributes), attributes, parseAddress('10.0.0.1'), undefined, true);
  const down = store.intern(attrKeyOf(attributes), attributes, parseAddress('10.0.0.99'), undefined, true);
  store.intern(attrKeyOf(attributes), attributes, parseAddress('10.0.0.1'), undefined, true);
  assert.equal(asked, 2);
  assert.equal(up.isReachable, true);
  assert.equal(down.isReachable, false);
  const changed = store.reachabilityChanges(() => true);
  assert.deepEqual(changed, [down]);
  assert.equal(down.isReachable, false);
});
