import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Origin } from '../wire/attributes/types.js';
import { AttrStore } from './attr-store.js';
import { defaultDecisionOptions, noMultipath, selectMultipath, selectTop, type DecisionOptions, type MultipathOptions } from './best-path.js';
import { LocRib, PathSet, bestOf, multipathOf, pathsOf } from './loc-rib.js';
import { parsePrefixKey } from './prefix-key.js';
import { Route } from './route.js';
import { asPath, ipv4Unicast, makeRoute } from './test-support.js';

const key = parsePrefixKey('172.17.254.1/32');
const mp8: MultipathOptions = { ebgpMaximumPaths: 8, ibgpMaximumPaths: 8, allowMultipleAs: false };

test('one route is stored as itself; a second makes a PathSet; back to one stores the Route again', () => {
  const loc = new LocRib(ipv4Unicast, true, defaultDecisionOptions, mp8);
  const a = makeRoute({ peer: '172.17.0.21', peerAs: 64522 });
  const b = makeRoute({ peer: '172.17.0.22', peerAs: 64522 });
  loc.register(a);
  loc.register(b);
  loc.apply(key, a, undefined);
  assert.equal(loc.get(key), a);
  assert.equal(loc.reason(key), 'only-path');
  loc.apply(key, b, undefined);
  const set = loc.get(key);
  assert.ok(set instanceof PathSet);
  assert.equal(bestOf(set), a);
  assert.deepEqual(multipathOf(set), [a, b]);
  // The router ID defaults to the peer address in these routes: .21 < .22.
  assert.equal(loc.reason(key), 'router-id');
  loc.apply(key, undefined, a);
  assert.equal(loc.get(key), b);
  loc.apply(key, undefined, b);
  assert.equal(loc.get(key), undefined);
  assert.equal(loc.size, 0);
  assert.equal(loc.routeCount, 0);
});

test('removing a route the prefix does not hold is a broken invariant', () => {
  const loc = new LocRib(ipv4Unicast, true, defaultDecisionOptions, noMultipath);
  assert.throws(() => loc.apply(key, undefined, makeRoute({})), /does not hold/);
});

test('an unreachable only route is held but is not best', () => {
  const loc = new LocRib(ipv4Unicast, true, defaultDecisionOptions, noMultipath);
  const dead = makeRoute({ isReachable: false });
  loc.register(dead);
  loc.apply(key, dead, undefined);
  assert.equal(bestOf(loc.get(key)), undefined);
  assert.deepEqual(multipathOf(loc.get(key)), []);
  assert.equal(loc.reason(key), undefined);
});

// Operations on one prefix: add a route of a peer, replace it with other attributes, or
// withdraw it. After each, the incremental state must equal a full selection.
const peerCount = 5;
type Op = { readonly peer: number; readonly variant: number | undefined };
const opArb: fc.Arbitrary<Op> = fc.record({ peer: fc.integer({ min: 0, max: peerCount - 1 }), variant: fc.option(fc.integer({ min: 0, max: 11 }), { nil: undefined, freq: 4 }) });

function variantRoute(store: AttrStore, peer: number, variant: number): Route {
  const neighborAs = 65001 + (variant % 2);
  return makeRoute(
    {
      peer: `10.0.0.${peer + 1}`,
      routerId: `0.0.0.${(variant * 7 + peer) % 3}`,
      peerAs: neighborAs,
      isEbgp: variant % 5 !== 0,
      attributes: { asPath: asPath(neighborAs, ...(variant % 3 === 0 ? [1] : [])), origin: variant % 4 === 0 ? Origin.incomplete : Origin.igp, ...(variant % 6 < 3 ? { med: variant % 3 } : {}) },
    },
    store,
  );
}

const optionsArb: fc.Arbitrary<DecisionOptions> = fc.record({ alwaysCompareMed: fc.boolean(), missingMedAsWorst: fc.boolean() }).map((o) => ({ ...defaultDecisionOptions, ...o }));
const multipathArb: fc.Arbitrary<MultipathOptions> = fc.record({ ebgpMaximumPaths: fc.integer({ min: 1, max: 3 }), ibgpMaximumPaths: fc.integer({ min: 1, max: 3 }), allowMultipleAs: fc.boolean() });

test('property: incremental selection equals a full selection after every add, replace and withdraw', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), optionsArb, multipathArb, (ops, options, multipath) => {
      const store = new AttrStore();
      const loc = new LocRib(ipv4Unicast, true, options, multipath);
      const held = new Map<number, Route>();
      for (const op of ops) {
        const old = held.get(op.peer);
        if (op.variant === undefined) {
          if (old === undefined) continue;
          loc.apply(key, undefined, old);
          loc.unregister(old);
          held.delete(op.peer);
        } else {
          const route = variantRoute(store, op.peer, op.variant);
          loc.register(route);
          loc.apply(key, route, old);
          if (old !== undefined) loc.unregister(old);
          held.set(op.peer, route);
        }
        const paths = [...held.values()];
        const value = loc.get(key);
        assert.deepEqual(new Set(pathsOf(value)), new Set(paths));
        assert.equal(loc.routeCount, paths.length);
        const top = selectTop(paths, options);
        const best = top?.attrs.isReachable === true ? top : undefined;
        assert.equal(bestOf(value), best);
        assert.deepEqual(multipathOf(value), top === undefined ? [] : selectMultipath(top, paths, options, multipath));
      }
    }),
    { numRuns: 400 },
  );
});

test('property: any insertion order of a set of routes gives the same best and multipath set', () => {
  const routesArb = fc.uniqueArray(fc.record({ peer: fc.integer({ min: 0, max: 7 }), variant: fc.integer({ min: 0, max: 11 }) }), { minLength: 1, maxLength: 8, selector: (r) => r.peer });
  fc.assert(
    fc.property(routesArb.chain((specs) => fc.tuple(fc.constant(specs), fc.shuffledSubarray(specs, { minLength: specs.length }))), optionsArb, multipathArb, ([specs, shuffled], options, multipath) => {
      const store = new AttrStore();
      const routes = new Map(specs.map((s) => [s.peer, variantRoute(store, s.peer, s.variant)]));
      const one = new LocRib(ipv4Unicast, true, options, multipath);
      const two = new LocRib(ipv4Unicast, true, options, multipath);
      // Each Loc-RIB gives the routes its own ids: register before each apply.
      for (const s of specs) {
        one.register(routes.get(s.peer)!);
        one.apply(key, routes.get(s.peer), undefined);
      }
      assert.equal(one.routes.size, specs.length);
      const again = new Map(specs.map((s) => [s.peer, variantRoute(store, s.peer, s.variant)]));
      for (const s of shuffled) {
        two.register(again.get(s.peer)!);
        two.apply(key, again.get(s.peer), undefined);
      }
      const peerOf = (r: Route | undefined) => r?.peer.address;
      assert.equal(peerOf(bestOf(two.get(key))), peerOf(bestOf(one.get(key))));
      assert.deepEqual(multipathOf(two.get(key)).map(peerOf), multipathOf(one.get(key)).map(peerOf));
      assert.equal(two.reason(key), one.reason(key));
    }),
    { numRuns: 300 },
  );
});
