import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAddress } from '../lib/address.js';
import { AsSegmentType, Origin, WellKnownCommunity } from '../wire/attributes/types.js';
import {
  DecisionStep,
  compareRoutes,
  decide,
  defaultDecisionOptions,
  explainBest,
  selectMultipath,
  selectTop,
  type DecisionOptions,
  type MultipathOptions,
} from './best-path.js';
import type { Route } from './route.js';
import { asPath, makeRoute } from './test-support.js';

interface Case {
  readonly label: string;
  readonly winner: Route;
  readonly loser: Route;
  readonly step: DecisionStep;
  readonly options?: Partial<DecisionOptions>;
}

const ibgp = { isEbgp: false, peerAs: 64512 } as const;

// One case per step: the two routes tie on every earlier step and differ at this one,
// and the loser is better at some later step, so only this step can give the verdict.
const cases: readonly Case[] = [
  {
    label: 'an unreachable next hop loses whatever else it has',
    winner: makeRoute({ peer: '10.0.0.2', ...ibgp, attributes: { localPref: 100 } }),
    loser: makeRoute({ peer: '10.0.0.1', ...ibgp, attributes: { localPref: 500 }, isReachable: false }),
    step: DecisionStep.nextHopReachable,
  },
  {
    label: 'a route carrying LLGR_STALE loses to one without it, whatever its LOCAL_PREF (RFC 9494 4.3)',
    winner: makeRoute({ peer: '10.0.0.2', ...ibgp, attributes: { localPref: 100 } }),
    loser: makeRoute({ peer: '10.0.0.1', ...ibgp, attributes: { localPref: 500, communities: [WellKnownCommunity.llgrStale] } }),
    step: DecisionStep.llgrStale,
  },
  {
    label: 'higher LOCAL_PREF wins over a shorter AS_PATH',
    winner: makeRoute({ peer: '10.0.0.2', ...ibgp, attributes: { localPref: 200, asPath: asPath(1, 2, 3) } }),
    loser: makeRoute({ peer: '10.0.0.1', ...ibgp, attributes: { localPref: 150, asPath: asPath(1) } }),
    step: DecisionStep.localPref,
  },
  {
    label: 'LOCAL_PREF from an eBGP peer is ignored (RFC 4271 5.1.5): it counts as the default',
    winner: makeRoute({ peer: '10.0.0.2', ...ibgp, attributes: { localPref: 150, asPath: asPath(1, 2, 3) } }),
    loser: makeRoute({ peer: '10.0.0.1', peerAs: 65001, attributes: { localPref: 500, asPath: asPath(65001) } }),
    step: DecisionStep.localPref,
  },
  {
    label: 'a missing LOCAL_PREF counts as the configured default',
    winner: makeRoute({ peer: '10.0.0.2', ...ibgp, attributes: { asPath: asPath(1, 2, 3) } }),
    loser: makeRoute({ peer: '10.0.0.1', ...ibgp, attributes: { localPref: 90, asPath: asPath(1) } }),
    step: DecisionStep.localPref,
  },
  {
    label: 'a locally originated route wins over a learned one',
    winner: makeRoute({ isLocal: true, attributes: { asPath: asPath(1, 2) } }),
    loser: makeRoute({ peer: '10.0.0.1', ...ibgp, attributes: { asPath: [] } }),
    step: DecisionStep.localOrigin,
  },
  {
    label: 'the shorter AS_PATH wins',
    winner: makeRoute({ peer: '10.0.0.2', attributes: { asPath: asPath(65001, 1), origin: Origin.incomplete } }),
    loser: makeRoute({ peer: '10.0.0.1', attributes: { asPath: asPath(65001, 1, 2), origin: Origin.igp } }),
    step: DecisionStep.asPathLength,
  },
  {
    label: 'an AS_SET counts as one AS',
    winner: makeRoute({ peer: '10.0.0.2', attributes: { asPath: [{ type: AsSegmentType.sequence, asns: [65001] }, { type: AsSegmentType.set, asns: [1, 2, 3, 4] }] } }),
    loser: makeRoute({ peer: '10.0.0.1', attributes: { asPath: asPath(65001, 1, 2) } }),
    step: DecisionStep.asPathLength,
  },
  {
    label: 'confederation segments do not count (RFC 5065 5.3)',
    winner: makeRoute({ peer: '10.0.0.2', attributes: { asPath: [{ type: AsSegmentType.confedSequence, asns: [64600, 64601, 64602] }, { type: AsSegmentType.sequence, asns: [65001] }] } }),
    loser: makeRoute({ peer: '10.0.0.1', attributes: { asPath: asPath(65001, 1) } }),
    step: DecisionStep.asPathLength,
  },
  {
    label: 'the lower ORIGIN wins',
    winner: makeRoute({ peer: '10.0.0.2', attributes: { origin: Origin.egp, med: 50 } }),
    loser: makeRoute({ peer: '10.0.0.1', attributes: { origin: Origin.incomplete, med: 0 } }),
    step: DecisionStep.origin,
  },
  {
    label: 'the lower MED wins between routes from one neighbouring AS',
    winner: makeRoute({ peer: '10.0.0.2', attributes: { med: 10 } }),
    loser: makeRoute({ peer: '10.0.0.1', attributes: { med: 20 } }),
    step: DecisionStep.med,
  },
  {
    label: 'a missing MED is 0 (RFC 4271 9.1.2.2 c)',
    winner: makeRoute({ peer: '10.0.0.2', attributes: {} }),
    loser: makeRoute({ peer: '10.0.0.1', attributes: { med: 1 } }),
    step: DecisionStep.med,
  },
  {
    label: 'missing-as-worst: a missing MED loses',
    winner: makeRoute({ peer: '10.0.0.2', attributes: { med: 4000 } }),
    loser: makeRoute({ peer: '10.0.0.1', attributes: {} }),
    step: DecisionStep.med,
    options: { missingMedAsWorst: true },
  },
  {
    label: 'always-compare-med compares MED across neighbouring ASes',
    winner: makeRoute({ peer: '10.0.0.2', peerAs: 65002, attributes: { med: 10 } }),
    loser: makeRoute({ peer: '10.0.0.1', peerAs: 65001, attributes: { med: 20 } }),
    step: DecisionStep.med,
    options: { alwaysCompareMed: true },
  },
  {
    label: 'MED is not compared across neighbouring ASes: the router ID decides',
    winner: makeRoute({ peer: '10.0.0.1', peerAs: 65001, attributes: { med: 20 } }),
    loser: makeRoute({ peer: '10.0.0.2', peerAs: 65002, attributes: { med: 10 } }),
    step: DecisionStep.routerId,
  },
  {
    label: 'eBGP wins over iBGP',
    winner: makeRoute({ peer: '10.0.0.2', peerAs: 65001, attributes: { asPath: asPath(65001) } }),
    loser: makeRoute({ peer: '10.0.0.1', ...ibgp, attributes: { asPath: asPath(65001) } }),
    step: DecisionStep.ebgpOverIbgp,
  },
  {
    label: 'prefer-oldest: the older eBGP route wins over a lower router ID',
    winner: makeRoute({ peer: '10.0.0.2', tick: 1 }),
    loser: makeRoute({ peer: '10.0.0.1', tick: 5 }),
    step: DecisionStep.oldest,
    options: { preferOldest: true },
  },
  {
    label: 'the lower router ID wins',
    winner: makeRoute({ peer: '10.0.0.2', routerId: '1.1.1.1' }),
    loser: makeRoute({ peer: '10.0.0.1', routerId: '2.2.2.2' }),
    step: DecisionStep.routerId,
  },
  {
    label: 'ORIGINATOR_ID stands for the router ID (RFC 4456 9)',
    winner: makeRoute({ peer: '10.0.0.2', ...ibgp, routerId: '9.9.9.9', attributes: { originatorId: parseAddress('0.0.0.5') } }),
    loser: makeRoute({ peer: '10.0.0.1', ...ibgp, routerId: '1.1.1.1' }),
    step: DecisionStep.routerId,
  },
  {
    label: 'the shorter CLUSTER_LIST wins',
    winner: makeRoute({ peer: '10.0.0.2', ...ibgp, attributes: { originatorId: parseAddress('7.7.7.7'), clusterList: [parseAddress('1.0.0.1')] } }),
    loser: makeRoute({ peer: '10.0.0.1', ...ibgp, attributes: { originatorId: parseAddress('7.7.7.7'), clusterList: [parseAddress('1.0.0.1'), parseAddress('1.0.0.2')] } }),
    step: DecisionStep.clusterListLength,
  },
  {
    label: 'the lower peer address wins',
    winner: makeRoute({ peer: '10.0.0.1', routerId: '5.5.5.5' }),
    loser: makeRoute({ peer: '10.0.0.2', routerId: '5.5.5.5' }),
    step: DecisionStep.peerAddress,
  },
  {
    label: 'two ADD-PATH routes of one peer: the lower path id wins',
    winner: makeRoute({ peer: '10.0.0.1', pathId: 1 }),
    loser: makeRoute({ peer: '10.0.0.1', pathId: 2 }),
    step: DecisionStep.pathId,
  },
];

for (const c of cases) {
  test(`decision step ${c.step}: ${c.label}`, () => {
    const options = { ...defaultDecisionOptions, ...c.options };
    const forward = compareRoutes(c.winner, c.loser, options);
    const backward = compareRoutes(c.loser, c.winner, options);
    assert.equal(forward.winner, c.winner);
    assert.equal(forward.step, c.step);
    assert.equal(backward.winner, c.winner);
    assert.equal(backward.step, c.step);
    assert.equal(explainBest(c.winner, [c.loser, c.winner], options), c.step);
  });
}

test('every step has a case', () => {
  const covered = new Set(cases.map((c) => c.step));
  for (const step of Object.values(DecisionStep)) assert.ok(covered.has(step), `no case for ${step}`);
});

test('a route on its own is best for no reason but being the only one', () => {
  const r = makeRoute({});
  assert.equal(explainBest(r, [r], defaultDecisionOptions), 'only-path');
  assert.deepEqual(compareRoutes(r, r), { winner: undefined, step: undefined });
});

test('deterministic MED breaks the cycle A > B (MED) > C (router ID) > A (router ID) the same way in every order', () => {
  const a = makeRoute({ peer: '10.0.0.1', peerAs: 65001, routerId: '3.3.3.3', attributes: { med: 10 } });
  const b = makeRoute({ peer: '10.0.0.2', peerAs: 65001, routerId: '1.1.1.1', attributes: { med: 20 } });
  const c = makeRoute({ peer: '10.0.0.3', peerAs: 65002, routerId: '2.2.2.2' });
  // The cycle exists pairwise...
  assert.equal(compareRoutes(a, b).winner, a);
  assert.equal(compareRoutes(b, c).winner, b);
  assert.equal(compareRoutes(c, a).winner, c);
  // ...and grouping settles it: AS 65001's winner is A (MED), and C beats A.
  for (const order of [[a, b, c], [a, c, b], [b, a, c], [b, c, a], [c, a, b], [c, b, a]]) assert.equal(selectTop(order, defaultDecisionOptions), c);
  assert.equal(explainBest(c, [a, b, c], defaultDecisionOptions), DecisionStep.routerId);
});

const mpOn: MultipathOptions = { ebgpMaximumPaths: 8, ibgpMaximumPaths: 8, allowMultipleAs: false };

test('multipath: equal routes through eBGP-over-iBGP share the set, best first, then tie-break order', () => {
  const r1 = makeRoute({ peer: '172.17.0.21', peerAs: 64522 });
  const r2 = makeRoute({ peer: '172.17.0.22', peerAs: 64522 });
  const r3 = makeRoute({ peer: '172.17.0.23', peerAs: 64522 });
  const longer = makeRoute({ peer: '172.17.0.24', peerAs: 64522, attributes: { asPath: asPath(64522, 1) } });
  const set = selectMultipath(r2, [r3, longer, r1, r2], defaultDecisionOptions, mpOn);
  assert.deepEqual(set, [r2, r1, r3]);
  assert.deepEqual(selectMultipath(r1, [r3, r1, r2], defaultDecisionOptions, { ...mpOn, ebgpMaximumPaths: 2 }), [r1, r2]);
  assert.deepEqual(selectMultipath(r1, [r3, r1, r2], defaultDecisionOptions, { ...mpOn, ebgpMaximumPaths: 1 }), [r1]);
  assert.deepEqual(selectMultipath(r1, [r3, r1, r2], defaultDecisionOptions, { ...mpOn, ebgpMaximumPaths: 0 }), [r1]);
});

test('multipath: other neighbouring ASes only with allow-multiple-as; MED must match within an AS', () => {
  const a = makeRoute({ peer: '10.0.0.1', peerAs: 65001 });
  const b = makeRoute({ peer: '10.0.0.2', peerAs: 65002 });
  const worseMed = makeRoute({ peer: '10.0.0.3', peerAs: 65001, attributes: { med: 5 } });
  assert.deepEqual(selectMultipath(a, [a, b, worseMed], defaultDecisionOptions, mpOn), [a]);
  assert.deepEqual(selectMultipath(a, [a, b, worseMed], defaultDecisionOptions, { ...mpOn, allowMultipleAs: true }), [a, b]);
});

test('multipath: eBGP and iBGP routes never share a set; an unreachable best gives none', () => {
  const e = makeRoute({ peer: '10.0.0.1', peerAs: 65001, attributes: { asPath: asPath(65001) } });
  const i = makeRoute({ peer: '10.0.0.2', isEbgp: false, peerAs: 64512, attributes: { asPath: asPath(65001) } });
  assert.deepEqual(selectMultipath(e, [e, i], defaultDecisionOptions, mpOn), [e]);
  const dead = makeRoute({ isReachable: false });
  assert.deepEqual(selectMultipath(dead, [dead], defaultDecisionOptions, mpOn), []);
});

// Small value ranges make ties, MED conflicts and equal-cost sets likely.
const routeArb = fc
  .record({
    peerIndex: fc.integer({ min: 1, max: 6 }),
    pathId: fc.integer({ min: 0, max: 1 }),
    neighborAs: fc.constantFrom(65001, 65002, 65003),
    asLength: fc.integer({ min: 1, max: 2 }),
    origin: fc.constantFrom(Origin.igp, Origin.incomplete),
    med: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
    localPref: fc.option(fc.constantFrom(100, 200), { nil: undefined }),
    isEbgp: fc.boolean(),
    isReachable: fc.boolean(),
    routerId: fc.integer({ min: 1, max: 3 }),
  })
  .map((s) =>
    makeRoute({
      peer: `10.0.0.${s.peerIndex}`,
      peerAs: s.isEbgp ? s.neighborAs : 64512,
      isEbgp: s.isEbgp,
      routerId: `0.0.0.${s.routerId}`,
      pathId: s.pathId,
      isReachable: s.isReachable,
      attributes: { asPath: asPath(...Array.from({ length: s.asLength }, (_, i) => (i === 0 ? s.neighborAs : 1))), origin: s.origin, ...(s.med !== undefined ? { med: s.med } : {}), ...(s.localPref !== undefined ? { localPref: s.localPref } : {}) },
    }),
  );
const distinctRoutes = fc.uniqueArray(routeArb, { minLength: 1, maxLength: 8, selector: (r) => `${r.peer.address}/${r.pathId}` });
const optionsArb = fc.record({ alwaysCompareMed: fc.boolean(), missingMedAsWorst: fc.boolean(), ignoreAsPathLength: fc.boolean() }).map((o) => ({ ...defaultDecisionOptions, ...o }));
const multipathArb = fc.record({ ebgpMaximumPaths: fc.integer({ min: 0, max: 4 }), ibgpMaximumPaths: fc.integer({ min: 0, max: 4 }), allowMultipleAs: fc.boolean() });

test('property: any order of the routes gives the same top route and multipath set', () => {
  fc.assert(
    fc.property(distinctRoutes.chain((routes) => fc.tuple(fc.constant(routes), fc.shuffledSubarray(routes, { minLength: routes.length }))), optionsArb, multipathArb, ([routes, shuffled], options, multipath) => {
      const top = selectTop(routes, options)!;
      assert.equal(selectTop(shuffled, options), top);
      assert.deepEqual(selectMultipath(top, shuffled, options, multipath), selectMultipath(top, routes, options, multipath));
      // The top is not beaten inside its own neighbouring AS...
      for (const r of routes) if (r.attrs.neighborAs === top.attrs.neighborAs || options.alwaysCompareMed) assert.ok(decide(top, r, options, true) <= 0);
      // ...and the multipath set holds the best first, within the limit.
      const mp = selectMultipath(top, routes, options, multipath);
      if (top.attrs.isReachable) assert.equal(mp[0], top);
      else assert.equal(mp.length, 0);
      assert.ok(mp.length <= Math.max(1, top.peer.isEbgp ? multipath.ebgpMaximumPaths : multipath.ibgpMaximumPaths));
    }),
    { numRuns: 400 },
  );
});
