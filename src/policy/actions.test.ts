import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddress } from '../lib/address.js';
import { AsSegmentType, type PathAttributes } from '../wire/attributes/types.js';
import { AsPathPrependAction, CommunityAction, ExtCommunityAction, LargeCommunityAction, NextHopAction, SetLocalPrefAction, SetMedAction, prependAs, type Action } from './actions.js';
import type { PolicyRoute } from './route.js';
import { CommunityMatcher, ExtCommunityMatcher, LargeCommunityMatcher, parseCommunityMember, parseExtCommunity, parseExtCommunityMember, parseLargeCommunityMember } from './sets.js';
import { makeContext, makeRoute, sequence } from './test-support.js';

const ctx = makeContext('172.17.0.21', '172.17.0.1', '2001:db8::ff');
const comm = (high: number, low: number): number => high * 65536 + low;

function run(action: Action, attributes: PathAttributes, prefix = '10.0.0.0/8', nextHop?: string): { before: PolicyRoute; after: PolicyRoute } {
  const before = makeRoute(prefix, attributes, nextHop);
  return { before, after: action.apply(before, ctx) };
}

test('set-med sets, adds and subtracts, held within 0 to 2^32-1', () => {
  assert.equal(run(new SetMedAction('set', 100), { med: 5 }).after.attributes.med, 100);
  assert.equal(run(new SetMedAction('add', 10), { med: 5 }).after.attributes.med, 15);
  assert.equal(run(new SetMedAction('add', -10), { med: 25 }).after.attributes.med, 15);
  assert.equal(run(new SetMedAction('add', 10), {}).after.attributes.med, 10, 'a missing MED counts 0');
  assert.equal(run(new SetMedAction('add', -10), { med: 5 }).after.attributes.med, 0);
  assert.equal(run(new SetMedAction('add', 10), { med: 4294967290 }).after.attributes.med, 4294967295);
  const same = run(new SetMedAction('set', 5), { med: 5 });
  assert.equal(same.after, same.before, 'no change, same route object');
});

test('set-local-pref', () => {
  const r = run(new SetLocalPrefAction(200), { localPref: 100, med: 1 });
  assert.deepEqual(r.after.attributes, { localPref: 200, med: 1 });
  assert.equal(r.before.attributes.localPref, 100, 'the input is not written');
  const same = run(new SetLocalPrefAction(100), { localPref: 100 });
  assert.equal(same.after, same.before);
});

test('set-community add, remove and replace', () => {
  const base = { communities: [comm(65001, 1), comm(65002, 2)] };
  assert.deepEqual(run(new CommunityAction('add', [comm(65003, 3), comm(65001, 1)]), base).after.attributes.communities, [comm(65001, 1), comm(65002, 2), comm(65003, 3)]);
  assert.deepEqual(run(new CommunityAction('add', [comm(65003, 3)]), {}).after.attributes.communities, [comm(65003, 3)]);
  const noAdd = run(new CommunityAction('add', [comm(65001, 1)]), base);
  assert.equal(noAdd.after, noAdd.before, 'adding present values changes nothing');
  const remove = new CommunityAction('remove', [], new CommunityMatcher(['^65001:.*$'].map(parseCommunityMember)));
  assert.deepEqual(run(remove, base).after.attributes.communities, [comm(65002, 2)]);
  const removeAll = new CommunityAction('remove', [], new CommunityMatcher(['65001:1', '65002:2'].map(parseCommunityMember)));
  assert.equal('communities' in run(removeAll, base).after.attributes, false, 'the attribute goes with its last value');
  const noRemove = run(remove, { communities: [comm(7, 7)] });
  assert.equal(noRemove.after, noRemove.before);
  assert.deepEqual(run(new CommunityAction('replace', [comm(9, 9)]), base).after.attributes.communities, [comm(9, 9)]);
  assert.equal('communities' in run(new CommunityAction('replace', []), base).after.attributes, false, 'replace with nothing removes them all');
  const sameReplace = run(new CommunityAction('replace', [comm(65001, 1), comm(65002, 2)]), base);
  assert.equal(sameReplace.after, sameReplace.before);
});

test('set-ext-community add, remove and replace', () => {
  const a = parseExtCommunity('RT:65001:1');
  const b = parseExtCommunity('RT:65002:2');
  const c = parseExtCommunity('SoO:65003:3');
  const base = { extCommunities: [a, b] };
  assert.deepEqual(run(new ExtCommunityAction('add', [c, Uint8Array.from(a)]), base).after.attributes.extCommunities, [a, b, c]);
  const remove = new ExtCommunityAction('remove', [], new ExtCommunityMatcher(['RT:^65001:.*$'].map(parseExtCommunityMember)));
  assert.deepEqual(run(remove, base).after.attributes.extCommunities, [b]);
  assert.deepEqual(run(new ExtCommunityAction('replace', [c]), base).after.attributes.extCommunities, [c]);
  assert.equal('extCommunities' in run(new ExtCommunityAction('replace', []), base).after.attributes, false);
  const same = run(new ExtCommunityAction('add', [Uint8Array.from(b)]), base);
  assert.equal(same.after, same.before);
});

test('set-large-community add, remove and replace', () => {
  const base = { largeCommunities: [[65001, 1, 1], [65002, 2, 2]] as [number, number, number][] };
  assert.deepEqual(run(new LargeCommunityAction('add', [[65003, 3, 3], [65001, 1, 1]]), base).after.attributes.largeCommunities, [[65001, 1, 1], [65002, 2, 2], [65003, 3, 3]]);
  const remove = new LargeCommunityAction('remove', [], new LargeCommunityMatcher(['65002:2:2'].map(parseLargeCommunityMember)));
  assert.deepEqual(run(remove, base).after.attributes.largeCommunities, [[65001, 1, 1]]);
  assert.deepEqual(run(new LargeCommunityAction('replace', [[1, 2, 3]]), base).after.attributes.largeCommunities, [[1, 2, 3]]);
  const same = run(new LargeCommunityAction('replace', [[65001, 1, 1], [65002, 2, 2]]), base);
  assert.equal(same.after, same.before);
});

test('set-as-path-prepend with an AS and with last-as', () => {
  assert.deepEqual(run(new AsPathPrependAction(65005, 3), { asPath: sequence(65001, 65002) }).after.attributes.asPath, sequence(65005, 65005, 65005, 65001, 65002));
  assert.deepEqual(run(new AsPathPrependAction('last-as', 2), { asPath: sequence(65001, 65002) }).after.attributes.asPath, sequence(65001, 65001, 65001, 65002));
  assert.deepEqual(run(new AsPathPrependAction(65005, 1), {}).after.attributes.asPath, sequence(65005));
  // A leading AS_SET gets a new AS_SEQUENCE in front of it.
  const set = [{ type: AsSegmentType.set, asns: [1, 2] }];
  assert.deepEqual(run(new AsPathPrependAction(65005, 1), { asPath: set }).after.attributes.asPath, [...sequence(65005), ...set]);
  const none = run(new AsPathPrependAction('last-as', 2), { asPath: [] });
  assert.equal(none.after, none.before, 'last-as of an empty path changes nothing');
  const setFirst = run(new AsPathPrependAction('last-as', 2), { asPath: set });
  assert.equal(setFirst.after, setFirst.before, 'last-as needs a leading AS_SEQUENCE');
});

test('prepending past 255 ASes opens another AS_SEQUENCE (RFC 4271 4.3)', () => {
  const path = prependAs(sequence(...new Array<number>(250).fill(1)), 7, 10);
  assert.equal(path.length, 2);
  assert.equal(path[0]!.asns.length, 5);
  assert.equal(path[1]!.asns.length, 255);
  assert.deepEqual(path.flatMap((s) => s.asns).slice(0, 11), [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 1]);
});

test('set-next-hop self and a given address, of the route\'s family', () => {
  const self = new NextHopAction('self');
  const v4 = run(self, { nextHop: parseAddress('192.0.2.1') }, '10.0.0.0/8', '192.0.2.1');
  assert.deepEqual(v4.after.nextHop, parseAddress('172.17.0.1'));
  assert.deepEqual(v4.after.attributes.nextHop, parseAddress('172.17.0.1'), 'NEXT_HOP follows for IPv4');
  const v6 = run(self, {}, '2001:db8:1::/48', '2001:db8::1');
  assert.deepEqual(v6.after.nextHop, parseAddress('2001:db8::ff'));
  assert.equal(v6.after.attributes, v6.before.attributes, 'IPv6 next hops are not in the attributes');
  const given = run(new NextHopAction(parseAddress('172.17.0.2')), { nextHop: parseAddress('192.0.2.1') }, '10.0.0.0/8', '192.0.2.1');
  assert.deepEqual(given.after.nextHop, parseAddress('172.17.0.2'));
  const otherFamily = run(new NextHopAction(parseAddress('172.17.0.2')), {}, '2001:db8:1::/48');
  assert.equal(otherFamily.after, otherFamily.before, 'an IPv4 address is not an IPv6 route\'s next hop');
  const same = run(new NextHopAction(parseAddress('192.0.2.1')), {}, '10.0.0.0/8', '192.0.2.1');
  assert.equal(same.after, same.before);
  const noSelf = new NextHopAction('self').apply(makeRoute('10.0.0.0/8'), { neighbor: parseAddress('172.17.0.21') });
  assert.deepEqual(noSelf.nextHop, parseAddress('192.0.2.1'), 'without a local address "self" changes nothing');
});
