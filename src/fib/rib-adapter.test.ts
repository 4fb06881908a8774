// The RIB change feed mapped to FIB desired states: multipath next hops once each, best
// first; a prefix without a best route is removed; local routes and non-unicast stay out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Afi, Safi, formatAddress, formatPrefix, parseAddress, parsePrefix } from '../lib/address.js';
import type { AttrSet } from '../rib/attr-store.js';
import type { RibChange } from '../rib/rib.js';
import { prefixKey } from '../rib/prefix-key.js';
import { RibPeer, createRoute, type Route } from '../rib/route.js';
import { familyKey } from '../wire/context.js';
import { connectRibToFib, fibRoutesOf } from './rib-adapter.js';
import type { FibRoute } from './fib.js';

function peer(address: string, isLocal = false): RibPeer {
  return new RibPeer(address, isLocal ? new Uint8Array(0) : parseAddress(address), 64522, 1, true, isLocal);
}

function route(nextHop: string, from: RibPeer): Route {
  // The adapter reads only the next hop of the attributes.
  const attrs = { nextHop: nextHop === '' ? new Uint8Array(0) : parseAddress(nextHop) } as unknown as AttrSet;
  return createRoute(attrs, from, 0, 0);
}

function change(prefix: string, multipath: Route[], safi: number = Safi.unicast): RibChange {
  const p = parsePrefix(prefix);
  return { family: familyKey(p.afi, safi), key: prefixKey(p), best: multipath[0], multipath, previousBest: undefined, previousMultipath: [] };
}

const show = (rs: FibRoute[]) => rs.map((r) => [formatPrefix(r.prefix), r.nextHops.map(formatAddress)]);

test('a multipath set becomes one desired route with each next hop once, best first', () => {
  const n1 = peer('172.17.0.21');
  const n2 = peer('172.17.0.22');
  const n3 = peer('172.17.0.23');
  const out = fibRoutesOf([change('172.17.254.1/32', [route('172.17.0.22', n2), route('172.17.0.21', n1), route('172.17.0.23', n3), route('172.17.0.21', n3)])]);
  assert.deepEqual(show(out), [['172.17.254.1/32', ['172.17.0.22', '172.17.0.21', '172.17.0.23']]]);
});

test('no best route means remove; IPv6 keys map back to their prefix', () => {
  const out = fibRoutesOf([change('172.17.254.1/32', []), change('2001:db8:254::/48', [route('2001:db8::21', peer('2001:db8::21'))])]);
  assert.deepEqual(show(out), [
    ['172.17.254.1/32', []],
    ['2001:db8:254::/48', ['2001:db8::21']],
  ]);
  assert.equal(out[1]!.prefix.afi, Afi.ipv6);
});

test('local routes give no next hop; multicast families are left out', () => {
  const out = fibRoutesOf([change('10.0.0.0/8', [route('', peer('local', true))]), change('10.1.0.0/16', [route('172.17.0.21', peer('172.17.0.21'))], Safi.multicast)]);
  assert.deepEqual(show(out), [['10.0.0.0/8', []]]);
});

test('connectRibToFib forwards each batch of changes and unsubscribes', () => {
  let listener: ((c: readonly RibChange[]) => void) | undefined;
  const got: FibRoute[][] = [];
  const stop = connectRibToFib(
    {
      subscribe: (l) => {
        listener = l;
        return () => (listener = undefined);
      },
    },
    { updateMany: (routes) => void got.push([...routes]) },
  );
  listener!([change('172.17.254.1/32', [route('172.17.0.21', peer('172.17.0.21'))])]);
  assert.deepEqual(got.map(show), [[['172.17.254.1/32', ['172.17.0.21']]]]);
  stop();
  assert.equal(listener, undefined);
});

test('thousands of random announcements, withdrawals and peer downs: what the FIB is told equals the Loc-RIB', async () => {
  const { Rib } = await import('../rib/rib.js');
  const { makeTestUpdate, peerInfo, scenarioAttributes } = await import('../rib/test-support.js');
  const { ManualClock } = await import('../lib/clock.js');
  const fc = (await import('fast-check')).default;
  const peers = ['172.17.0.21', '172.17.0.22', '172.17.0.23'].map((address) => peerInfo({ address, peerAs: 64522 }));
  const pool = Array.from({ length: 60 }, (_, i) => `10.${i >> 4}.${i & 15}.0/24`);
  const op = fc.oneof(
    fc.record({ kind: fc.constant('announce' as const), peer: fc.nat(2), prefixes: fc.uniqueArray(fc.nat(59), { minLength: 1, maxLength: 8 }), med: fc.nat(2) }),
    fc.record({ kind: fc.constant('withdraw' as const), peer: fc.nat(2), prefixes: fc.uniqueArray(fc.nat(59), { minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('down' as const), peer: fc.nat(2) }),
  );
  fc.assert(
    fc.property(fc.array(op, { minLength: 200, maxLength: 400 }), (ops) => {
      const clock = new ManualClock();
      const rib = new Rib({ clock, multipath: { ebgpMaximumPaths: 8 }, removalSlice: { prefixes: 7 } });
      const kernel = new Map<string, string>();
      const stop = connectRibToFib(rib, {
        updateMany: (routes: Iterable<FibRoute>) => {
          for (const r of routes) {
            if (r.nextHops.length === 0) kernel.delete(formatPrefix(r.prefix));
            else kernel.set(formatPrefix(r.prefix), r.nextHops.map(formatAddress).sort().join(','));
          }
        },
      });
      for (const o of ops) {
        const p = peers[o.peer]!;
        // A peer comes back with a new session after going down (the RIB forgets it).
        if (o.kind === 'announce') rib.onUpdate(p, makeTestUpdate({ nlri: o.prefixes.map((i) => pool[i]!), attributes: { ...scenarioAttributes(p.address), med: o.med } }));
        else if (o.kind === 'withdraw') rib.onUpdate(p, makeTestUpdate({ withdrawn: o.prefixes.map((i) => pool[i]!) }));
        else rib.onPeerDown(p, 'down');
        // Removals left to the timer run between operations now and then, as they would.
        if (ops.indexOf(o) % 5 === 0) clock.advance(0);
      }
      rib.settle();
      const loc = new Map<string, string>();
      rib.forEachBest(familyKey(1, 1), (key, _best, multipath) => {
        loc.set(formatPrefix(fibRoutesOf([{ family: familyKey(1, 1), key, best: _best, multipath, previousBest: undefined, previousMultipath: [] }])[0]!.prefix), multipath.map((r) => formatAddress(r.nextHop)).sort().join(','));
      });
      stop();
      assert.deepEqual(kernel, loc);
    }),
    { numRuns: 20 },
  );
});
