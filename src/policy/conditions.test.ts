import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrefix } from '../lib/address.js';
import { AsSegmentType } from '../wire/attributes/types.js';
import {
  AsPathCondition,
  AsPathLengthCondition,
  CommunityCondition,
  ExtCommunityCondition,
  LargeCommunityCondition,
  NeighborCondition,
  PrefixCondition,
  type Condition,
} from './conditions.js';
import { AsPathSet, CommunitySet, ExtCommunitySet, LargeCommunitySet, NeighborSet, PrefixSet, parseExtCommunity, parseLengthRange } from './sets.js';
import { makeContext, makeRoute, sequence } from './test-support.js';

const ctx = makeContext('172.17.0.21');
const comm = (high: number, low: number): number => high * 65536 + low;

function holds(c: Condition, prefix: string, attributes = {}, context = ctx): boolean {
  return c.matches(makeRoute(prefix, attributes), context);
}

const v4Set = new PrefixSet('lb', [{ prefix: parsePrefix('172.17.254.0/24'), ...parseLengthRange('24..32') }]);
const v4Exact = new PrefixSet('exact', [{ prefix: parsePrefix('10.33.0.0/16'), minLength: 16, maxLength: 16 }]);
const v6Set = new PrefixSet('lb6', [{ prefix: parsePrefix('2001:db8:254::/48'), ...parseLengthRange('48..128') }]);

test('match-prefix-set any: IPv4 with and without masklength-range', () => {
  assert.equal(holds(new PrefixCondition(v4Set, 'any'), '172.17.254.10/32'), true);
  assert.equal(holds(new PrefixCondition(v4Set, 'any'), '172.17.253.10/32'), false);
  assert.equal(holds(new PrefixCondition(v4Exact, 'any'), '10.33.0.0/16'), true);
  assert.equal(holds(new PrefixCondition(v4Exact, 'any'), '10.33.0.0/17'), false);
});

test('match-prefix-set any: IPv6', () => {
  assert.equal(holds(new PrefixCondition(v6Set, 'any'), '2001:db8:254::1/128'), true);
  assert.equal(holds(new PrefixCondition(v6Set, 'any'), '2001:db8:255::1/128'), false);
  assert.equal(holds(new PrefixCondition(v6Set, 'any'), '2001:db8::/32'), false);
});

test('match-prefix-set invert, including a route of the other family', () => {
  assert.equal(holds(new PrefixCondition(v4Set, 'invert'), '172.17.254.10/32'), false);
  assert.equal(holds(new PrefixCondition(v4Set, 'invert'), '10.0.0.0/8'), true);
  assert.equal(holds(new PrefixCondition(v4Set, 'invert'), '2001:db8:254::1/128'), true, 'an IPv6 route is not in an IPv4 set');
  assert.equal(holds(new PrefixCondition(v6Set, 'invert'), '2001:db8:254::1/128'), false);
});

test('match-neighbor-set any and invert, on the context\'s peer', () => {
  const k8s = new NeighborSet('k8s', [parsePrefix('172.17.0.0/24')]);
  assert.equal(holds(new NeighborCondition(k8s, 'any'), '10.0.0.0/8'), true);
  assert.equal(holds(new NeighborCondition(k8s, 'any'), '10.0.0.0/8', {}, makeContext('172.17.1.5')), false);
  assert.equal(holds(new NeighborCondition(k8s, 'invert'), '10.0.0.0/8'), false);
  assert.equal(holds(new NeighborCondition(k8s, 'invert'), '10.0.0.0/8', {}, makeContext('172.17.1.5')), true);
  assert.equal(holds(new NeighborCondition(k8s, 'any'), '10.0.0.0/8', {}, { neighbor: new Uint8Array(0) }), false, 'a local route has no peer');
});

test('an empty neighbor set matches every peer, inverted or not (gobgpd documents this)', () => {
  const empty = new NeighborSet('none', []);
  assert.equal(holds(new NeighborCondition(empty, 'any'), '10.0.0.0/8'), true);
  assert.equal(holds(new NeighborCondition(empty, 'invert'), '10.0.0.0/8'), true);
});

test('match-as-path-set any / all / invert with each regular expression form', () => {
  const attrs = { asPath: sequence(65001, 65002, 65003) };
  const forms: [string, boolean][] = [
    ['^65001_', true],
    ['_65003$', true],
    ['_65002_', true],
    ['^65002$', false],
    ['^65001_[0-9]+_65003$', true],
  ];
  for (const [source, expected] of forms) {
    const set = new AsPathSet(source, [source]);
    assert.equal(holds(new AsPathCondition(set, 'any'), '10.0.0.0/8', attrs), expected, `any ${source}`);
    assert.equal(holds(new AsPathCondition(set, 'invert'), '10.0.0.0/8', attrs), !expected, `invert ${source}`);
  }
  const two = new AsPathSet('two', ['^65001_', '_65009_']);
  assert.equal(holds(new AsPathCondition(two, 'any'), '10.0.0.0/8', attrs), true);
  assert.equal(holds(new AsPathCondition(two, 'all'), '10.0.0.0/8', attrs), false);
  assert.equal(holds(new AsPathCondition(two, 'all'), '10.0.0.0/8', { asPath: sequence(65001, 65009) }), true);
  assert.equal(holds(new AsPathCondition(two, 'any'), '10.0.0.0/8', {}), false, 'no AS_PATH');
});

test('as-path-length eq / ge / le, counting an AS_SET as one', () => {
  const attrs = { asPath: [...sequence(1, 2), { type: AsSegmentType.set, asns: [3, 4, 5] }] };
  assert.equal(holds(new AsPathLengthCondition('eq', 3), '10.0.0.0/8', attrs), true);
  assert.equal(holds(new AsPathLengthCondition('eq', 2), '10.0.0.0/8', attrs), false);
  assert.equal(holds(new AsPathLengthCondition('ge', 3), '10.0.0.0/8', attrs), true);
  assert.equal(holds(new AsPathLengthCondition('ge', 4), '10.0.0.0/8', attrs), false);
  assert.equal(holds(new AsPathLengthCondition('le', 3), '10.0.0.0/8', attrs), true);
  assert.equal(holds(new AsPathLengthCondition('le', 2), '10.0.0.0/8', attrs), false);
  assert.equal(holds(new AsPathLengthCondition('eq', 0), '10.0.0.0/8', {}), true);
});

test('match-community-set any / all / invert', () => {
  const set = new CommunitySet('c', ['65001:100', '^65002:.*$']);
  const both = { communities: [comm(65001, 100), comm(65002, 5)] };
  const one = { communities: [comm(65001, 100), comm(1, 1)] };
  const none = { communities: [comm(1, 1)] };
  const cases: [string, object, boolean, boolean, boolean][] = [
    ['both members', both, true, true, false],
    ['one member', one, true, false, false],
    ['no member', none, false, false, true],
    ['no attribute', {}, false, false, true],
  ];
  for (const [label, attrs, any, all, invert] of cases) {
    assert.equal(holds(new CommunityCondition(set, 'any'), '10.0.0.0/8', attrs), any, `any: ${label}`);
    assert.equal(holds(new CommunityCondition(set, 'all'), '10.0.0.0/8', attrs), all, `all: ${label}`);
    assert.equal(holds(new CommunityCondition(set, 'invert'), '10.0.0.0/8', attrs), invert, `invert: ${label}`);
  }
});

test('match-ext-community-set any / all / invert', () => {
  const set = new ExtCommunitySet('e', ['RT:65001:100', 'SoO:65001:1']);
  const both = { extCommunities: [parseExtCommunity('RT:65001:100'), parseExtCommunity('SoO:65001:1')] };
  const one = { extCommunities: [parseExtCommunity('RT:65001:100')] };
  const none = { extCommunities: [parseExtCommunity('RT:65001:1')] };
  const cases: [string, object, boolean, boolean, boolean][] = [
    ['both members', both, true, true, false],
    ['one member', one, true, false, false],
    ['no member', none, false, false, true],
    ['no attribute', {}, false, false, true],
  ];
  for (const [label, attrs, any, all, invert] of cases) {
    assert.equal(holds(new ExtCommunityCondition(set, 'any'), '10.0.0.0/8', attrs), any, `any: ${label}`);
    assert.equal(holds(new ExtCommunityCondition(set, 'all'), '10.0.0.0/8', attrs), all, `all: ${label}`);
    assert.equal(holds(new ExtCommunityCondition(set, 'invert'), '10.0.0.0/8', attrs), invert, `invert: ${label}`);
  }
});

test('match-large-community-set any / all / invert', () => {
  const set = new LargeCommunitySet('l', ['65001:0:1', '^65001:2:.*$']);
  const both = { largeCommunities: [[65001, 0, 1], [65001, 2, 9]] as const };
  const one = { largeCommunities: [[65001, 0, 1]] as const };
  const none = { largeCommunities: [[65001, 0, 2]] as const };
  const cases: [string, object, boolean, boolean, boolean][] = [
    ['both members', both, true, true, false],
    ['one member', one, true, false, false],
    ['no member', none, false, false, true],
    ['no attribute', {}, false, false, true],
  ];
  for (const [label, attrs, any, all, invert] of cases) {
    assert.equal(holds(new LargeCommunityCondition(set, 'any'), '10.0.0.0/8', attrs), any, `any: ${label}`);
    assert.equal(holds(new LargeCommunityCondition(set, 'all'), '10.0.0.0/8', attrs), all, `all: ${label}`);
    assert.equal(holds(new LargeCommunityCondition(set, 'invert'), '10.0.0.0/8', attrs), invert, `invert: ${label}`);
  }
});
