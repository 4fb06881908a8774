import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './backend.js';
import { CommunityActionType, DefinedType, MatchSetType, MedActionType, RouteAction } from './apipb.js';
import {
  addDefinedSet,
  addPolicy,
  addPolicyAssignment,
  addStatement,
  assignmentForListing,
  compilePolicyState,
  definedSetForListing,
  deleteDefinedSet,
  deletePolicy,
  deletePolicyAssignment,
  deleteStatement,
  emptyPolicyState,
  policyStateFromConfig,
  statementForListing,
  type PolicyState,
} from './policy-store.js';
import { Disposition } from '../policy/policy.js';

function rejects(fn: () => unknown, code: string, field: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.field, field);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

function built(): PolicyState {
  let s = addDefinedSet(emptyPolicyState, { defined_type: DefinedType.prefix, name: 'p1', prefixes: [{ ip_prefix: '10.0.0.0/8', mask_length_min: 16, mask_length_max: 24 }] }, 'defined_set');
  s = addDefinedSet(s, { defined_type: DefinedType.community, name: 'c1', list: ['65000:100'] }, 'defined_set');
  s = addStatement(s, { name: 's1', conditions: { prefix_set: { name: 'p1', type: MatchSetType.any } } }, 'statement');
  s = addStatement(s, { name: 's1', actions: { route_action: RouteAction.reject, med: { type: MedActionType.replace, value: 5 } } }, 'statement');
  s = addPolicy(s, { name: 'pol', statements: [{ name: 's1' }] }, true, 'policy');
  return addPolicyAssignment(s, 'global', { name: 'global', direction: 1, policies: [{ name: 'pol' }], default_action: RouteAction.reject }, 'assignment');
}

test('a state built step by step compiles to the policies and assignment it lists', () => {
  const s = built();
  const compiled = compilePolicyState(s);
  const pol = compiled.policies.get('pol');
  assert.equal(pol?.statements.length, 1);
  assert.equal(pol.statements[0]!.name, 's1');
  assert.equal(pol.statements[0]!.disposition, Disposition.reject);
  assert.equal(pol.statements[0]!.conditions.length, 1);
  const global = compiled.settings.get('global');
  assert.deepEqual(global?.importPolicies?.map((p) => p.name), ['pol']);
  assert.equal(global?.defaultImport, Disposition.reject);
  const listed = assignmentForListing(s, 'global', 'import', s.assignments.get('global')!.import!);
  assert.equal(listed.default_action, RouteAction.reject);
  assert.deepEqual(listed.policies?.map((p) => p.statements?.map((x) => x.name)), [['s1']]);
});

test('AddDefinedSet appends members to a set of the same name and type; listing shows gobgpd\'s forms', () => {
  let s = addDefinedSet(emptyPolicyState, { defined_type: DefinedType.prefix, name: 'p', prefixes: [{ ip_prefix: '10.0.0.0/8' }] }, 'defined_set');
  s = addDefinedSet(s, { defined_type: DefinedType.prefix, name: 'p', prefixes: [{ ip_prefix: '192.168.0.0/16' }, { ip_prefix: '10.0.0.0/8' }] }, 'defined_set');
  assert.deepEqual(definedSetForListing(s.definedSets[0]!).prefixes, [
    { ip_prefix: '10.0.0.0/8', mask_length_min: 8, mask_length_max: 8 },
    { ip_prefix: '192.168.0.0/16', mask_length_min: 16, mask_length_max: 16 },
  ]);
  const forms = (type: number, list: string[]): string[] | undefined => definedSetForListing({ defined_type: type, name: 'x', list }).list;
  assert.deepEqual(forms(DefinedType.community, ['65000:100', 'no-export', '65000:.*']), ['^65000:100$', '^65535:65281$', '65000:.*']);
  assert.deepEqual(forms(DefinedType.extCommunity, ['RT:65000:1', 'soo:1.2.3.4:5']), ['rt:^65000:1$', 'soo:^1.2.3.4:5$']);
  assert.deepEqual(forms(DefinedType.largeCommunity, ['1:2:3', '^4:.*:6$']), ['^1:2:3$', '^4:.*:6$']);
  assert.deepEqual(forms(DefinedType.neighbor, ['10.0.0.1', '2001:db8::1', '10.0.0.0/24']), ['10.0.0.1/32', '2001:db8::1/128', '10.0.0.0/24']);
});

test('invalid members are refused with the request field', () => {
  rejects(() => addDefinedSet(emptyPolicyState, { defined_type: DefinedType.prefix, name: 'p', prefixes: [{ ip_prefix: '10.0.0.0/8' }, { ip_prefix: '10.0.0.1/33' }] }, 'defined_set'), 'invalid-argument', 'defined_set.prefixes[1].ip_prefix');
  rejects(() => addDefinedSet(emptyPolicyState, { defined_type: DefinedType.prefix, name: 'p', prefixes: [{ ip_prefix: '10.0.0.0/8', mask_length_min: 4, mask_length_max: 2 }] }, 'defined_set'), 'invalid-argument', 'defined_set.prefixes[0].mask_length_max');
  rejects(() => addDefinedSet(emptyPolicyState, { defined_type: DefinedType.community, name: 'c', list: ['65000:1', '70000:1'] }, 'defined_set'), 'invalid-argument', 'defined_set.list[1]');
  rejects(() => addDefinedSet(emptyPolicyState, { defined_type: DefinedType.tag, name: 't', list: ['1'] }, 'defined_set'), 'invalid-argument', 'defined_set.defined_type');
  rejects(() => addDefinedSet(emptyPolicyState, { defined_type: DefinedType.prefix, name: '' }, 'defined_set'), 'invalid-argument', 'defined_set.name');
  const mixed = addDefinedSet(emptyPolicyState, { defined_type: DefinedType.prefix, name: 'p', prefixes: [{ ip_prefix: '10.0.0.0/8' }] }, 'defined_set');
  rejects(() => addDefinedSet(mixed, { defined_type: DefinedType.prefix, name: 'p', prefixes: [{ ip_prefix: '2001:db8::/32' }] }, 'defined_set'), 'invalid-argument', 'defined_set.prefixes');
});

test('statements: unknown sets, a second route action and bad values are refused with the field', () => {
  const s = built();
  rejects(() => addStatement(s, { name: 's2', conditions: { prefix_set: { name: 'nosuch' } } }, 'statement'), 'invalid-argument', 'statement.conditions.prefix_set.name', /unknown prefix set "nosuch"/);
  rejects(() => addStatement(s, { name: 's2', conditions: { prefix_set: { name: 'p1', type: MatchSetType.all } } }, 'statement'), 'invalid-argument', 'statement.conditions.prefix_set.type');
  rejects(() => addStatement(s, { name: 's1', actions: { route_action: RouteAction.accept } }, 'statement'), 'already-exists', 'statement.actions.route_action');
  rejects(() => addStatement(s, { name: 's2', actions: { community: { type: CommunityActionType.add, communities: ['x:y'] } } }, 'statement'), 'invalid-argument', 'statement.actions.community.communities[0]');
  rejects(() => addStatement(s, { name: 's2', actions: { nexthop: { address: 'nowhere' } } }, 'statement'), 'invalid-argument', 'statement.actions.nexthop.address');
  rejects(() => addStatement(s, { name: 's2', conditions: { next_hop_in_list: ['10.0.0.1'] } }, 'statement'), 'invalid-argument', 'statement.conditions.next_hop_in_list');
  rejects(() => addStatement(s, { name: '' }, 'statement'), 'invalid-argument', 'statement.name');
});

test('listing a statement shows only what is set, with gobgpd\'s "no RPKI condition"', () => {
  const listed = statementForListing(built().statements[0]!);
  assert.deepEqual(listed, {
    name: 's1',
    conditions: { rpki_result: -1, prefix_set: { name: 'p1', type: MatchSetType.any } },
    actions: { med: { type: MedActionType.replace, value: 5 }, route_action: RouteAction.reject },
  });
});

test('deletions: sets and statements in use are kept; a deleted policy leaves its assignments', () => {
  const s = built();
  rejects(() => deleteDefinedSet(s, { defined_type: DefinedType.prefix, name: 'p1' }, true, 'defined_set'), 'failed-precondition', 'defined_set.name');
  rejects(() => deleteStatement(s, { name: 's1' }, true, 'statement'), 'failed-precondition', 'statement.name');
  rejects(() => deletePolicy(s, { name: 'nosuch' }, true, false, 'policy'), 'not-found', 'policy.name');
  const unused = deleteDefinedSet(s, { defined_type: DefinedType.community, name: 'c1' }, true, 'defined_set');
  assert.deepEqual(unused.definedSets.map((d) => d.name), ['p1']);
  const gone = deletePolicy(s, { name: 'pol' }, true, false, 'policy');
  assert.deepEqual(gone.policies, []);
  assert.deepEqual(gone.statements, [], 'its statements go too unless preserved');
  assert.deepEqual(gone.assignments.get('global')?.import?.policies, []);
  assert.equal(deletePolicy(s, { name: 'pol' }, true, true, 'policy').statements.length, 1);
  const trimmed = deleteStatement(s, { name: 's1', actions: { med: { value: 0 } } }, false, 'statement');
  assert.equal(trimmed.statements[0]!.actions?.med, undefined);
  assert.equal(trimmed.statements[0]!.actions?.route_action, RouteAction.reject);
  const unassigned = deletePolicyAssignment(s, 'global', { direction: 1, policies: [{ name: 'pol' }] }, false, 'assignment');
  assert.deepEqual(unassigned.assignments.get('global')?.import, { policies: [], defaultAction: 'reject' });
  rejects(() => deletePolicyAssignment(unassigned, 'global', { direction: 1, policies: [{ name: 'pol' }] }, false, 'assignment'), 'not-found', 'assignment.policies[0].name');
  rejects(() => addPolicyAssignment(s, 'global', { direction: 0, policies: [] }, 'assignment'), 'invalid-argument', 'assignment.direction');
});

test('prefix members delete by prefix, or by prefix and range', () => {
  let s = addDefinedSet(emptyPolicyState, { defined_type: DefinedType.prefix, name: 'p', prefixes: [{ ip_prefix: '10.0.0.0/8', mask_length_min: 8, mask_length_max: 16 }, { ip_prefix: '10.0.0.0/8', mask_length_min: 24, mask_length_max: 32 }, { ip_prefix: '11.0.0.0/8' }] }, 'defined_set');
  s = deleteDefinedSet(s, { defined_type: DefinedType.prefix, name: 'p', prefixes: [{ ip_prefix: '10.0.0.0/8', mask_length_min: 24, mask_length_max: 32 }] }, false, 'defined_set');
  assert.equal(s.definedSets[0]!.prefixes?.length, 2);
  s = deleteDefinedSet(s, { defined_type: DefinedType.prefix, name: 'p', prefixes: [{ ip_prefix: '10.0.0.0/8' }] }, false, 'defined_set');
  assert.deepEqual(s.definedSets[0]!.prefixes?.map((p) => p.ip_prefix), ['11.0.0.0/8']);
});

test('AddPolicy with statements in full adds them to the table and names unnamed ones', () => {
  const s = addPolicy(built(), { name: 'inline', statements: [{ actions: { route_action: RouteAction.accept } }] }, false, 'policy');
  assert.deepEqual(s.policies.at(-1), { name: 'inline', statements: ['inline_stmt0'] });
  rejects(() => addPolicy(s, { name: 'other', statements: [{ name: 's1' }] }, false, 'policy'), 'already-exists', 'policy.statements[0].name');
  rejects(() => addPolicy(s, { name: 'other', statements: [{ name: 'nosuch' }] }, true, 'policy'), 'not-found', 'policy.statements[0].name');
});

test('a state read from the configuration file\'s keys lists as the API would have built it', () => {
  const s = policyStateFromConfig(
    {
      'prefix-sets': [{ 'prefix-set-name': 'ps', 'prefix-list': [{ 'ip-prefix': '10.0.0.0/8', 'masklength-range': '8..24' }] }],
      'bgp-defined-sets': { 'community-sets': [{ 'community-set-name': 'cs', 'community-list': ['65000:1'] }] },
    },
    [
      {
        name: 'pol',
        statements: [
          {
            conditions: { 'match-prefix-set': { 'prefix-set': 'ps', 'match-set-options': 'invert' }, 'bgp-conditions': { 'as-path-length': { operator: 'ge', value: 3 } } },
            actions: { 'route-disposition': 'accept-route', 'bgp-actions': { 'set-med': '+5', 'set-as-path-prepend': { as: 'last-as', 'repeat-n': 2 }, 'set-community': { options: 'ADD', 'set-community-method': { 'communities-list': ['65000:9'] } } } },
          },
        ],
      },
    ],
    new Map(),
  );
  assert.deepEqual(definedSetForListing(s.definedSets[1]!), { defined_type: DefinedType.community, name: 'cs', list: ['^65000:1$'], prefixes: [] });
  assert.deepEqual(s.definedSets[0]!.prefixes, [{ ip_prefix: '10.0.0.0/8', mask_length_min: 8, mask_length_max: 24 }]);
  assert.deepEqual(s.policies, [{ name: 'pol', statements: ['pol_stmt0'] }]);
  assert.deepEqual(statementForListing(s.statements[0]!), {
    name: 'pol_stmt0',
    conditions: { rpki_result: -1, prefix_set: { name: 'ps', type: MatchSetType.invert }, as_path_length: { type: 1, length: 3 } },
    actions: { community: { type: CommunityActionType.add, communities: ['65000:9'] }, med: { type: MedActionType.mod, value: 5 }, as_prepend: { asn: 0, repeat: 2, use_left_most: true }, route_action: RouteAction.accept },
  });
  assert.equal(compilePolicyState(s).policies.get('pol')?.statements[0]?.actions.length, 3);
});
