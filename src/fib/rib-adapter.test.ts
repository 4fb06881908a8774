// The RIB change feed mapped to FIB desired states: multipath next hops once each, best
// first; a prefix without a best route is removed; local routes and non-unicast stay out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Afi, Safi, formatAddress, formatPrefix, parseAddress, parsePrefix } from '../lib/address.js';
import type { AttrSet } from '../rib/attr-store.js';
import type { RibChange } from '../rib/rib.js';
import { prefixKey } from '../rib/prefix-key.js';
import { RibPeer, Route } from '../rib/route.js';
import { familyKey } from '../wire/context.js';
import { connectRibToFib, fibRoutesOf } from './rib-adapter.js';
import type { FibRoute } from './fib.js';

function peer(address: string, isLocal = false): RibPeer {
  return new RibPeer(address, isLocal ? new Uint8Array(0) : parseAddress(address), 64522, 1, true, isLocal);
}

function route(nextHop: string, from: RibPeer): Route {
  // The adapter reads only the next hop of the attributes.
  const attrs = { nextHop: nextHop === '' ? new Uint8Array(0) : parseAddress(nextHop) } as unknown as AttrSet;
  return new Route(attrs, from, 0, 0);
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
