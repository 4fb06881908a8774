import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.js';
import { AdjRibIn } from './adj-rib-in.js';
import { Pool } from './prefix-table.js';
import type { Route } from './route.js';
import type { RibChange } from './loc-rib.js';
import { formatPrefixKey, parsePrefixKey, type PrefixKey } from './prefix-key.js';
import { Rib } from './rib.js';
import { ipv4Unicast, ipv6Unicast, makeRoute, makeTestUpdate, peerInfo, scenarioAttributes } from './test-support.js';

const big = peerInfo({ address: '172.17.0.21', peerAs: 64522 });
const other = peerInfo({ address: '172.17.0.22', peerAs: 64523 });

/** `count` distinct /24s under 10/8, as text. */
function prefixes(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(`10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`);
  return out;
}

function sliceRib(prefixesPerSlice: number): { rib: Rib; clock: ManualClock; changes: RibChange[]; batches: number[] } {
  const clock = new ManualClock();
  const rib = new Rib({ clock, removalSlice: { prefixes: prefixesPerSlice } });
  const changes: RibChange[] = [];
  const batches: number[] = [];
  rib.subscribe((c) => {
    changes.push(...c);
    batches.push(c.length);
  });
  return { rib, clock, changes, batches };
}

test('a peer down removes a large table in slices, each from its own timer, one change per prefix', () => {
  const { rib, clock, changes, batches } = sliceRib(100);
  const list = prefixes(1000);
  rib.onUpdate(big, makeTestUpdate({ nlri: list, attributes: scenarioAttributes(big.address), mpReach: { nextHop: '2001:db8::21', nlri: ['2001:db8:1::/48', '2001:db8:2::/48'] } }));
  rib.onUpdate(other, makeTestUpdate({ nlri: list.slice(0, 10), attributes: scenarioAttributes(other.address) }));
  changes.length = 0;
  batches.length = 0;

  rib.onPeerDown(big, 'hold timer expired');
  // The peer is forgotten at once; its routes leave slice by slice.
  assert.deepEqual(rib.peerAddresses(), [other.address]);
  assert.equal(rib.peerCounts(big, ipv4Unicast).received, 0);
  assert.equal(rib.pendingRemovals, 1002 - 100);
  // Of the 100 prefixes gone from the peer, those the other peer has stay.
  const left = rib.prefixCount(ipv4Unicast);
  assert.ok(left >= 900 && left <= 910, `${left} prefixes left`);
  assert.equal(clock.pendingCount, 1);
  clock.advance(0);
  // Each slice its own timer callback and its own batch of changes: IPv4, then IPv6.
  assert.deepEqual(batches, [...Array<number>(10).fill(100), 2]);
  assert.equal(clock.pendingCount, 0);
  assert.equal(rib.prefixCount(ipv4Unicast), 10);
  assert.equal(rib.prefixCount(ipv6Unicast), 0);
  assert.equal(rib.routeCount(ipv4Unicast), 10);
  // Each prefix changed once: gone, or (the ten the other peer has) moved to the other peer.
  const seen = new Set(changes.map((c) => `${c.family} ${formatPrefixKey(c.key)}`));
  assert.equal(seen.size, changes.length);
  assert.equal(changes.length, 1002);
  assert.equal(changes.filter((c) => c.best?.peer.address === other.address).length, 10);
});

test('a peer that comes back while its old routes are being removed keeps its new ones', () => {
  const { rib, clock } = sliceRib(50);
  const list = prefixes(400);
  rib.onUpdate(big, makeTestUpdate({ nlri: list, attributes: scenarioAttributes(big.address) }));
  rib.onPeerDown(big, 'connection reset');
  assert.ok(rib.pendingRemovals > 0);
  rib.onEstablished(big);
  rib.onUpdate(big, makeTestUpdate({ nlri: list.slice(0, 300), attributes: scenarioAttributes(big.address) }));
  assert.equal(rib.peerCounts(big, ipv4Unicast).received, 300);
  for (let turns = 0; turns < 100 && rib.pendingRemovals > 0; turns++) clock.advance(0);
  assert.equal(rib.pendingRemovals, 0);
  assert.equal(rib.prefixCount(ipv4Unicast), 300);
  assert.equal(rib.routeCount(ipv4Unicast), 300);
  assert.equal(rib.get(list[299]!)?.best?.peer.address, big.address);
  assert.equal(rib.get(list[300]!), undefined);
});

test('settle finishes pending removals at once and cancels the timer', () => {
  const { rib, clock, changes } = sliceRib(10);
  rib.onUpdate(big, makeTestUpdate({ nlri: prefixes(95), attributes: scenarioAttributes(big.address) }));
  changes.length = 0;
  rib.onPeerDown(big, 'admin down');
  assert.equal(rib.prefixCount(ipv4Unicast), 85);
  rib.settle();
  assert.equal(rib.prefixCount(ipv4Unicast), 0);
  assert.equal(rib.pendingRemovals, 0);
  assert.equal(clock.pendingCount, 0);
  assert.equal(changes.length, 95);
  assert.ok(changes.every((c) => c.best === undefined));
});

test('stale and fresh routes of a restarting peer both go when it goes down, in slices', () => {
  const { rib, clock, changes } = sliceRib(7);
  const list = prefixes(60);
  rib.onUpdate(big, makeTestUpdate({ nlri: list, attributes: scenarioAttributes(big.address) }));
  rib.markStale(big);
  rib.onEstablished(big);
  rib.onUpdate(big, makeTestUpdate({ nlri: list.slice(0, 20), attributes: scenarioAttributes('172.17.0.99') }));
  changes.length = 0;
  rib.onPeerDown(big, 'restart failed');
  for (let turns = 0; turns < 100 && rib.pendingRemovals > 0; turns++) clock.advance(0);
  assert.equal(rib.prefixCount(ipv4Unicast), 0);
  assert.equal(rib.routeCount(ipv4Unicast), 0);
  assert.equal(rib.attrStore.size, 0);
  assert.equal(new Set(changes.map((c) => c.key)).size, 60);
  assert.ok(changes.every((c) => c.best === undefined));
});

test('a small table still leaves in the call itself, with no timer', () => {
  const { rib, clock } = sliceRib(32768);
  rib.onUpdate(big, makeTestUpdate({ nlri: prefixes(500), attributes: scenarioAttributes(big.address) }));
  rib.onPeerDown(big, 'down');
  assert.equal(rib.prefixCount(ipv4Unicast), 0);
  assert.equal(rib.pendingRemovals, 0);
  assert.equal(clock.pendingCount, 0);
});

test('AdjRibIn.detach moves everything out; drainSome empties the moved table in slices, fresh then stale', () => {
  const pool = new Pool<Route>();
  const route = (pathId: number): Route => {
    const r = makeRoute({ pathId });
    r.id = pool.add(r);
    return r;
  };
  const adj = new AdjRibIn(ipv4Unicast, true, pool);
  const keys = prefixes(30).map(parsePrefixKey);
  // 20 stale prefixes (one with two path ids), then 10 fresh ones.
  keys.slice(0, 20).forEach((k) => adj.put(k, route(1)));
  adj.put(keys[0]!, route(2));
  adj.markStale();
  keys.slice(20).forEach((k) => adj.put(k, route(1)));
  assert.equal(adj.size, 31);

  const moved = adj.detach();
  assert.equal(adj.size, 0);
  assert.equal(adj.staleSize, 0);
  assert.equal(moved.size, 31);
  assert.equal(moved.staleSize, 21);
  // The emptied table takes new routes while the moved one drains.
  adj.put(keys[0]!, route(1));
  assert.equal(adj.size, 1);

  const visited: { key: PrefixKey; pathIds: number[] }[] = [];
  const slices: number[] = [];
  for (let turn = 0; turn < 20 && moved.size > 0; turn++) {
    slices.push(moved.drainSome(4, (key, routes) => visited.push({ key, pathIds: routes.map((r) => r.pathId).sort() })));
  }
  assert.equal(moved.size, 0);
  assert.equal(moved.staleSize, 0);
  assert.deepEqual(slices, [4, 4, 4, 4, 4, 4, 4, 2]);
  assert.equal(visited.length, 30);
  // Fresh prefixes first.
  assert.deepEqual(new Set(visited.slice(0, 10).map((v) => v.key)), new Set(keys.slice(20)));
  assert.deepEqual(visited.find((v) => v.key === keys[0])?.pathIds, [1, 2]);
  assert.equal(adj.find(keys[0]!, 1)?.pathId, 1);
});

test('however slow the clock says a slice is, a small peer leaves within the call', () => {
  // A clock whose every reading is a second later: each slice is "over" at once.
  let nowMs = 0;
  const clock = new ManualClock();
  const slow = { now: () => (nowMs += 1000), wallNow: () => clock.wallNow(), after: (ms: number, fn: () => void) => clock.after(ms, fn) };
  const rib = new Rib({ clock: slow });
  rib.onUpdate(big, makeTestUpdate({ nlri: prefixes(600), attributes: scenarioAttributes(big.address), mpReach: { nextHop: '2001:db8::21', nlri: ['2001:db8:1::/48'] } }));
  rib.onPeerDown(big, 'down');
  assert.equal(rib.prefixCount(ipv4Unicast), 0);
  assert.equal(rib.prefixCount(ipv6Unicast), 0);
  assert.equal(clock.pendingCount, 0);
});

test('many peers down in one turn: once a slice\'s time is spent, the rest wait for the timer', async () => {
  // A clock whose time moves 15 ms at each reading: removing any table "takes" that long.
  const clock = new ManualClock();
  const slow = Object.assign(Object.create(clock) as ManualClock, {
    now: () => {
      clock.advance(15);
      return clock.now();
    },
  });
  const rib = new Rib({ clock: slow, removalSlice: { ms: 20 } });
  const peers = [21, 22, 23, 24].map((n) => peerInfo({ address: `172.17.0.${n}`, peerAs: 64522 }));
  for (const [i, p] of peers.entries()) rib.onUpdate(p, makeTestUpdate({ nlri: [`10.0.${i}.0/24`], attributes: scenarioAttributes(p.address) }));
  assert.equal(rib.prefixCount(ipv4Unicast), 4);
  for (const p of peers) rib.onPeerDown(p, 'link down');
  // The first ran now and spent more than a slice's 20 ms: the other three wait.
  assert.equal(rib.prefixCount(ipv4Unicast), 3);
  assert.equal(rib.pendingRemovals, 3);
  clock.advance(0);
  assert.equal(rib.prefixCount(ipv4Unicast), 0);
  // The next turn starts with nothing spent: a peer down is handled at once again.
  await new Promise((r) => setImmediate(r));
  rib.onUpdate(peers[0]!, makeTestUpdate({ nlri: ['10.9.0.0/24'], attributes: scenarioAttributes(peers[0]!.address) }));
  rib.onPeerDown(peers[0]!, 'again');
  assert.equal(rib.prefixCount(ipv4Unicast), 0);
});
