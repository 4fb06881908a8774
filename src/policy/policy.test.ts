import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Afi, maskAddress, parseAddress, parsePrefix } from '../lib/address.js';
import { prefixKey } from '../rib/prefix-key.js';
import { AsSegmentType, type PathAttributes } from '../wire/attributes/types.js';
import { SetLocalPrefAction, SetMedAction } from './actions.js';
import { AsPathCondition, AsPathLengthCondition, CommunityCondition, NeighborCondition, PrefixCondition, type Condition } from './conditions.js';
import { Disposition, Policy, PolicyAssignment, Statement, acceptAll } from './policy.js';
import type { PolicyRoute } from './route.js';
import { AsPathSet, CommunitySet, NeighborSet, PrefixSet, parseLengthRange } from './sets.js';
import { makeContext, makeRoute, sequence } from './test-support.js';

const ctx = makeContext('172.17.0.21');
const lb = new PrefixSet('lb', [{ prefix: parsePrefix('172.17.254.0/24'), ...parseLengthRange('24..32') }]);
const inLb = new PrefixCondition(lb, 'any');
const accept = (name: string, conditions: Condition[], actions = [] as SetMedAction[]): Statement => new Statement(name, conditions, actions, Disposition.accept);
const reject = (name: string, conditions: Condition[]): Statement => new Statement(name, conditions, [], Disposition.reject);

test('an empty assignment accepts every route as it is', () => {
  const route = makeRoute('10.0.0.0/8', { med: 1 });
  assert.equal(acceptAll.apply(route, ctx), route);
  assert.equal(acceptAll.isPassThrough, true);
  assert.equal(new PolicyAssignment([], Disposition.reject).apply(route, ctx), undefined, 'default reject');
});

test('the default disposition decides routes no statement decides', () => {
  const policy = new Policy('p', [accept('s1', [inLb])]);
  const strict = new PolicyAssignment([policy], Disposition.reject);
  const loose = new PolicyAssignment([policy], Disposition.accept);
  assert.ok(strict.apply(makeRoute('172.17.254.1/32'), ctx));
  assert.equal(strict.apply(makeRoute('10.0.0.0/8'), ctx), undefined);
  assert.ok(loose.apply(makeRoute('10.0.0.0/8'), ctx));
  assert.equal(strict.evaluate(makeRoute('10.0.0.0/8'), ctx).decidedBy, undefined);
  assert.equal(strict.evaluate(makeRoute('172.17.254.1/32'), ctx).decidedBy, 's1');
});

test('statements run in order and the first disposition wins', () => {
  const policy = new Policy('p', [reject('deny-lb', [inLb]), accept('all', [])]);
  const a = new PolicyAssignment([policy], Disposition.reject);
  assert.equal(a.apply(makeRoute('172.17.254.1/32'), ctx), undefined);
  assert.ok(a.apply(makeRoute('10.0.0.0/8'), ctx));
  const swapped = new PolicyAssignment([new Policy('q', [accept('all', []), reject('deny-lb', [inLb])])], Disposition.reject);
  assert.ok(swapped.apply(makeRoute('172.17.254.1/32'), ctx));
});

test('a statement without a disposition applies its actions and goes on to the next one', () => {
  const policy = new Policy('p', [
    new Statement('med', [], [new SetMedAction('add', 100)], Disposition.none),
    new Statement('more-med', [inLb], [new SetMedAction('add', 10)], Disposition.none),
    new Statement('reject-high-med', [], [], Disposition.none),
  ]);
  const a = new PolicyAssignment([policy], Disposition.accept);
  const out = a.evaluate(makeRoute('172.17.254.1/32', { med: 1 }), ctx);
  assert.equal(out.accepted, true);
  assert.equal(out.attributes.med, 111, 'both statements changed it, the default accepted the result');
  const rejecting = new PolicyAssignment([policy], Disposition.reject);
  assert.equal(rejecting.apply(makeRoute('172.17.254.1/32', { med: 1 }), ctx), undefined);
});

test('an undecided route goes on to the next policy with the changes made so far', () => {
  const first = new Policy('first', [new Statement('lp', [], [new SetLocalPrefAction(200)], Disposition.none)]);
  const second = new Policy('second', [new Statement('med', [inLb], [new SetMedAction('set', 5)], Disposition.accept), reject('rest', [])]);
  const a = new PolicyAssignment([first, second], Disposition.accept);
  const r = a.evaluate(makeRoute('172.17.254.9/32'), ctx);
  assert.equal(r.accepted, true);
  assert.equal(r.attributes.localPref, 200);
  assert.equal(r.attributes.med, 5);
  assert.equal(r.decidedBy, 'med');
  assert.equal(a.apply(makeRoute('10.9.0.0/16'), ctx), undefined, 'the second policy rejects the rest');
  const order = new PolicyAssignment([second, first], Disposition.accept);
  assert.equal(order.evaluate(makeRoute('172.17.254.9/32'), ctx).attributes.localPref, undefined, 'a decision ends the chain: later policies do not run');
});

test('every condition of a statement must hold', () => {
  const k8s = new NeighborSet('k8s', [parsePrefix('172.17.0.0/24')]);
  const s = accept('both', [inLb, new NeighborCondition(k8s, 'any')]);
  const a = new PolicyAssignment([new Policy('p', [s])], Disposition.reject);
  assert.ok(a.apply(makeRoute('172.17.254.1/32'), ctx));
  assert.equal(a.apply(makeRoute('172.17.254.1/32'), makeContext('10.1.1.1')), undefined);
  assert.equal(a.apply(makeRoute('10.0.0.0/8'), ctx), undefined);
});

test('a reject discards the changes of the statements before it', () => {
  const policy = new Policy('p', [new Statement('lp', [], [new SetLocalPrefAction(300)], Disposition.none), reject('no', [])]);
  const r = new PolicyAssignment([policy]).evaluate(makeRoute('10.0.0.0/8', { localPref: 100 }), ctx);
  assert.equal(r.accepted, false);
});

const arbAttributes: fc.Arbitrary<PathAttributes> = fc.record(
  {
    med: fc.integer({ min: 0, max: 4294967295 }),
    localPref: fc.integer({ min: 0, max: 4294967295 }),
    asPath: fc.array(fc.integer({ min: 1, max: 70000 }), { maxLength: 6 }).map((asns) => [{ type: AsSegmentType.sequence, asns }]),
    communities: fc.array(fc.integer({ min: 0, max: 4294967295 }), { maxLength: 5 }),
  },
  { requiredKeys: [] },
);

const arbRoute: fc.Arbitrary<PolicyRoute> = fc
  .tuple(fc.integer({ min: 0, max: 32 }), fc.uint8Array({ minLength: 4, maxLength: 4 }), arbAttributes)
  .map(([length, bytes, attributes]) => {
    // Mostly inside 172.0.0.0/8, so the 172.17.254.0/24 set matches now and then.
    bytes[0] = 172;
    if (bytes[1]! < 128) bytes[1] = 17;
    if (bytes[2]! < 128) bytes[2] = 254;
    return { key: prefixKey({ afi: Afi.ipv4, length, addr: maskAddress(bytes, length) }), attributes, nextHop: parseAddress('192.0.2.1') };
  });

test('policies without actions return the very same route and attributes objects (property)', () => {
  const conditions: Condition[] = [
    inLb,
    new PrefixCondition(lb, 'invert'),
    new AsPathCondition(new AsPathSet('a', ['_65001_', '^1[0-9]*$']), 'any'),
    new AsPathLengthCondition('le', 3),
    new CommunityCondition(new CommunitySet('c', ['^65001:.*$', '1:1']), 'invert'),
  ];
  const arbStatement = fc.tuple(fc.subarray(conditions), fc.constantFrom(Disposition.none, Disposition.accept, Disposition.reject)).map(([cs, d]) => new Statement('s', cs, [], d));
  const arbPolicy = fc.array(arbStatement, { maxLength: 4 }).map((ss) => new Policy('p', ss));
  fc.assert(
    fc.property(fc.array(arbPolicy, { maxLength: 3 }), fc.constantFrom(Disposition.accept, Disposition.reject), arbRoute, (policies, d, route) => {
      const a = new PolicyAssignment(policies, d);
      const out = a.apply(route, ctx);
      if (out !== undefined) assert.equal(out, route);
      const verdict = a.evaluate(route, ctx);
      assert.equal(verdict.attributes, route.attributes);
      assert.equal(verdict.nextHop, route.nextHop);
      assert.equal(verdict.accepted, out !== undefined);
    }),
    { numRuns: 300 },
  );
});

test('actions that set what is already there keep the same objects too (property)', () => {
  fc.assert(
    fc.property(arbRoute, (route) => {
      const actions = [];
      if (route.attributes.med !== undefined) actions.push(new SetMedAction('set', route.attributes.med), new SetMedAction('add', 0));
      if (route.attributes.localPref !== undefined) actions.push(new SetLocalPrefAction(route.attributes.localPref));
      const a = new PolicyAssignment([new Policy('p', [new Statement('s', [], actions, Disposition.accept)])]);
      assert.equal(a.apply(route, ctx), route);
    }),
    { numRuns: 200 },
  );
});

test('routes keep their AS path object through conditions that read it', () => {
  const path = sequence(65001, 65002);
  const route = makeRoute('10.0.0.0/8', { asPath: path });
  const a = new PolicyAssignment([new Policy('p', [accept('s', [new AsPathCondition(new AsPathSet('a', ['^65001_65002$']), 'any')])])], Disposition.reject);
  assert.equal(a.apply(route, ctx)?.attributes.asPath, path);
});
