import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdjRibIn } from './adj-rib-in.js';
import { parsePrefixKey, type PrefixKey } from './prefix-key.js';
import { Pool } from './prefix-table.js';
import type { Route } from './route.js';
import { ipv4Unicast, ipv6Unicast, makeRoute as makeBareRoute, type RouteSpec } from './test-support.js';

// Routes live in their family's pool; the Adj-RIB-In stores their ids.
const pool = new Pool<Route>();
function makeRoute(spec: RouteSpec): Route {
  const r = makeBareRoute(spec);
  r.id = pool.add(r);
  return r;
}

const k1 = parsePrefixKey('10.0.0.0/8');
const k2 = parsePrefixKey('10.1.0.0/16');

function all(adj: AdjRibIn): [PrefixKey, number][] {
  const out: [PrefixKey, number][] = [];
  adj.forEach((r, k) => out.push([k, r.pathId]));
  return out.sort((a, b) => Number(a[0]) - Number(b[0]) || a[1] - b[1]);
}

test('put replaces the route of the same prefix and returns it; remove takes it out', () => {
  const adj = new AdjRibIn(ipv4Unicast, true, pool);
  const a = makeRoute({});
  const b = makeRoute({ attributes: { med: 1 } });
  assert.equal(adj.put(k1, a), undefined);
  assert.equal(adj.put(k1, b), a);
  assert.equal(adj.size, 1);
  assert.equal(adj.find(k1, 0), b);
  assert.equal(adj.remove(k1, 0), b);
  assert.equal(adj.remove(k1, 0), undefined);
  assert.equal(adj.size, 0);
});

test('ADD-PATH: path ids of one prefix are separate routes', () => {
  const adj = new AdjRibIn(ipv4Unicast, true, pool);
  const p1 = makeRoute({ pathId: 1 });
  const p2 = makeRoute({ pathId: 2 });
  const p3 = makeRoute({ pathId: 3 });
  adj.put(k1, p1);
  adj.put(k1, p2);
  adj.put(k1, p3);
  adj.put(k2, p1);
  assert.equal(adj.size, 4);
  assert.equal(adj.find(k1, 2), p2);
  assert.equal(adj.find(k1, 4), undefined);
  const p2b = makeRoute({ pathId: 2, attributes: { med: 5 } });
  assert.equal(adj.put(k1, p2b), p2);
  assert.equal(adj.remove(k1, 1), p1);
  assert.equal(adj.remove(k1, 3), p3);
  assert.equal(adj.find(k1, 2), p2b);
  assert.deepEqual(all(adj), [
    [k1, 2],
    [k2, 1],
  ]);
});

test('stale routes stay findable, are refreshed by put and swept otherwise', () => {
  const adj = new AdjRibIn(ipv6Unicast, false, pool);
  const x = parsePrefixKey('2001:db8::/32');
  const y = parsePrefixKey('2001:db8:1::/48');
  const rx = makeRoute({});
  const ry = makeRoute({});
  adj.put(x, rx);
  adj.put(y, ry);
  adj.markStale();
  assert.equal(adj.staleSize, 2);
  assert.equal(adj.size, 2);
  assert.equal(adj.isStale(x, rx), true);
  assert.equal(adj.find(x, 0), rx);
  // Announced again: fresh, and the stale copy is what it replaced.
  const rx2 = makeRoute({ attributes: { med: 3 } });
  assert.equal(adj.put(x, rx2), rx);
  assert.equal(adj.isStale(x, rx2), false);
  assert.equal(adj.staleSize, 1);
  const swept: [PrefixKey, readonly Route[]][] = [];
  adj.sweepStale((k, routes) => swept.push([k, routes]));
  assert.deepEqual(swept, [[y, [ry]]]);
  assert.equal(adj.size, 1);
  assert.equal(adj.staleSize, 0);
});

test('marking stale twice keeps the older stale routes', () => {
  const adj = new AdjRibIn(ipv4Unicast, true, pool);
  const a = makeRoute({});
  const b = makeRoute({});
  adj.put(k1, a);
  adj.markStale();
  adj.put(k2, b);
  adj.markStale();
  assert.equal(adj.staleSize, 2);
  assert.equal(adj.remove(k1, 0), a);
  assert.equal(adj.staleSize, 1);
  assert.equal(adj.size, 1);
});

test('drain visits every prefix with its routes and empties the table', () => {
  const adj = new AdjRibIn(ipv4Unicast, true, pool);
  adj.put(k1, makeRoute({ pathId: 1 }));
  adj.put(k1, makeRoute({ pathId: 2 }));
  adj.put(k2, makeRoute({}));
  adj.markStale();
  adj.put(k2, makeRoute({ attributes: { med: 1 } }));
  const seen: number[] = [];
  adj.drain((_k, routes) => seen.push(routes.length));
  assert.deepEqual(seen.sort(), [1, 2]);
  assert.equal(adj.size, 0);
  assert.equal(adj.staleSize, 0);
});

test('keys names each prefix once and routesAt gives its fresh routes, then its stale ones', () => {
  const adj = new AdjRibIn(ipv4Unicast, true, pool);
  const stale1 = makeRoute({ pathId: 1 });
  const stale2 = makeRoute({ pathId: 2 });
  const other = makeRoute({});
  adj.put(k1, stale1);
  adj.put(k1, stale2);
  adj.put(k2, other);
  adj.markStale();
  // ADD-PATH: path 3 of k1 arrives fresh while paths 1 and 2 are still stale.
  const fresh3 = makeRoute({ pathId: 3 });
  adj.put(k1, fresh3);
  assert.deepEqual(adj.keys().sort((a, b) => Number(a) - Number(b)), [k1, k2]);
  assert.deepEqual(adj.routesAt(k1), [fresh3, stale1, stale2]);
  assert.deepEqual(adj.routesAt(k2), [other]);
  assert.deepEqual(adj.routesAt(parsePrefixKey('192.0.2.0/24')), []);
});
