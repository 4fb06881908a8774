// The routing policy as the API edits it (GoBGP v3's AddDefinedSet, AddStatement,
// AddPolicy, AddPolicyAssignment and their Delete/List/Set): defined sets, a table of
// named statements, policies naming statements, and assignments, held as API messages.
// Each change makes a new state that is compiled by src/policy (the configuration's own
// reader, fed gobgpd's configuration keys) before it is put in force, so a bad request
// changes nothing; its error names the request field.

import { isIPv4, isIPv6 } from 'node:net';
import { PolicyConfigError, parseApplyPolicy, parseDefinedSets, parsePolicyDefinitions, type ApplyPolicySettings } from '../policy/config.js';
import { Disposition, type Policy } from '../policy/policy.js';
import { communityText, parseCommunity, parseLargeCommunity, type DefinedSets } from '../policy/sets.js';
import { ApiError } from './backend.js';
import {
  AsPathLengthType,
  CommunityActionType,
  DefinedType,
  MatchSetType,
  MedActionType,
  RouteAction,
  type Actions,
  type CommunityActionMessage,
  type Conditions,
  type DefinedSet,
  type MatchSet,
  type PolicyAssignmentMessage,
  type PolicyMessage,
  type StatementMessage,
} from './apipb.js';

export type PolicyDefault = 'accept' | 'reject';

/** One direction of an assignment: policies by name, in order. */
export interface AssignmentState {
  readonly policies: readonly string[];
  readonly defaultAction: PolicyDefault;
}

/** Where policies apply: "global", a neighbor address, or "peer-group NAME" (from the configuration file only). */
export interface AssignmentTarget {
  readonly import?: AssignmentState;
  readonly export?: AssignmentState;
}

/** The whole routing policy. Statements are shared by name between policies, as in gobgpd. */
export interface PolicyState {
  readonly definedSets: readonly DefinedSet[];
  readonly statements: readonly StatementMessage[];
  readonly policies: readonly { readonly name: string; readonly statements: readonly string[] }[];
  readonly assignments: ReadonlyMap<string, AssignmentTarget>;
}

export const emptyPolicyState: PolicyState = { definedSets: [], statements: [], policies: [], assignments: new Map() };

/** A state compiled by src/policy: what the daemon puts in force. */
export interface CompiledPolicy {
  readonly definedSets: DefinedSets;
  readonly policies: ReadonlyMap<string, Policy>;
  /** By assignment target ("global", an address, "peer-group NAME"). */
  readonly settings: ReadonlyMap<string, ApplyPolicySettings>;
}

type Table = Record<string, unknown>;

const supportedSetTypes: Readonly<Record<number, { readonly list: string; readonly nameKey: string; readonly membersKey: string; readonly isBgp: boolean }>> = {
  [DefinedType.prefix]: { list: 'prefix-sets', nameKey: 'prefix-set-name', membersKey: 'prefix-list', isBgp: false },
  [DefinedType.neighbor]: { list: 'neighbor-sets', nameKey: 'neighbor-set-name', membersKey: 'neighbor-info-list', isBgp: false },
  [DefinedType.asPath]: { list: 'as-path-sets', nameKey: 'as-path-set-name', membersKey: 'as-path-list', isBgp: true },
  [DefinedType.community]: { list: 'community-sets', nameKey: 'community-set-name', membersKey: 'community-list', isBgp: true },
  [DefinedType.extCommunity]: { list: 'ext-community-sets', nameKey: 'ext-community-set-name', membersKey: 'ext-community-list', isBgp: true },
  [DefinedType.largeCommunity]: { list: 'large-community-sets', nameKey: 'large-community-set-name', membersKey: 'large-community-list', isBgp: true },
};

const setTypeNames: Readonly<Record<number, string>> = { 0: 'PREFIX', 1: 'NEIGHBOR', 2: 'TAG', 3: 'AS_PATH', 4: 'COMMUNITY', 5: 'EXT_COMMUNITY', 6: 'LARGE_COMMUNITY', 7: 'NEXT_HOP' };

function invalid(field: string, message: string, cause?: unknown): ApiError {
  return new ApiError('invalid-argument', message, field, cause === undefined ? undefined : { cause });
}

// ---- API messages to gobgpd's configuration keys

/** A defined set as its `defined-sets` entry; throws for a kind tsbgpd has no sets of. */
function setToConfig(ds: DefinedSet, field: string): { readonly kind: (typeof supportedSetTypes)[number]; readonly table: Table } {
  const type = ds.defined_type ?? DefinedType.prefix;
  const kind = supportedSetTypes[type];
  if (kind === undefined) throw invalid(`${field}.defined_type`, `${setTypeNames[type] ?? type} sets are not supported by tsbgpd (expected PREFIX, NEIGHBOR, AS_PATH, COMMUNITY, EXT_COMMUNITY or LARGE_COMMUNITY)`);
  const members: unknown[] =
    type === DefinedType.prefix
      ? (ds.prefixes ?? []).map((p) => {
          const entry: Table = { 'ip-prefix': p.ip_prefix ?? '' };
          if ((p.mask_length_min ?? 0) !== 0 || (p.mask_length_max ?? 0) !== 0) entry['masklength-range'] = `${p.mask_length_min ?? 0}..${p.mask_length_max ?? 0}`;
          return entry;
        })
      : [...(ds.list ?? [])];
  return { kind, table: { [kind.nameKey]: ds.name ?? '', [kind.membersKey]: members } };
}

function definedSetsConfig(sets: readonly DefinedSet[], field: (i: number) => string): Table {
  const top: Table = { 'prefix-sets': [], 'neighbor-sets': [] };
  const bgp: Table = { 'as-path-sets': [], 'community-sets': [], 'ext-community-sets': [], 'large-community-sets': [] };
  sets.forEach((ds, i) => {
    const { kind, table } = setToConfig(ds, field(i));
    ((kind.isBgp ? bgp : top)[kind.list] as unknown[]).push(table);
  });
  return { ...top, 'bgp-defined-sets': bgp };
}

const matchOptions: Readonly<Record<number, string>> = { [MatchSetType.any]: 'any', [MatchSetType.all]: 'all', [MatchSetType.invert]: 'invert' };

function matchSet(m: MatchSet | null | undefined, key: string, field: string): Table | undefined {
  if (m === null || m === undefined || (m.name ?? '') === '') return undefined;
  const option = matchOptions[m.type ?? 0];
  if (option === undefined) throw invalid(`${field}.type`, `expected ANY, ALL or INVERT, got ${m.type}`);
  return { [key]: m.name, 'match-set-options': option };
}

function conditionsToConfig(c: Conditions | null | undefined, field: string): Table | undefined {
  if (c === null || c === undefined) return undefined;
  const out: Table = {};
  const bgp: Table = {};
  const prefix = matchSet(c.prefix_set, 'prefix-set', `${field}.prefix_set`);
  if (prefix !== undefined) out['match-prefix-set'] = prefix;
  const neighbor = matchSet(c.neighbor_set, 'neighbor-set', `${field}.neighbor_set`);
  if (neighbor !== undefined) out['match-neighbor-set'] = neighbor;
  const asPath = matchSet(c.as_path_set, 'as-path-set', `${field}.as_path_set`);
  if (asPath !== undefined) bgp['match-as-path-set'] = asPath;
  const community = matchSet(c.community_set, 'community-set', `${field}.community_set`);
  if (community !== undefined) bgp['match-community-set'] = community;
  const ext = matchSet(c.ext_community_set, 'ext-community-set', `${field}.ext_community_set`);
  if (ext !== undefined) bgp['match-ext-community-set'] = ext;
  const large = matchSet(c.large_community_set, 'large-community-set', `${field}.large_community_set`);
  if (large !== undefined) bgp['match-large-community-set'] = large;
  if (c.as_path_length !== null && c.as_path_length !== undefined) {
    const operator = ({ [AsPathLengthType.eq]: 'eq', [AsPathLengthType.ge]: 'ge', [AsPathLengthType.le]: 'le' } as Record<number, string>)[c.as_path_length.type ?? 0];
    if (operator === undefined) throw invalid(`${field}.as_path_length.type`, `expected EQ, GE or LE, got ${c.as_path_length.type}`);
    bgp['as-path-length'] = { operator, value: c.as_path_length.length ?? 0 };
  }
  // gobgp sends -1 for "no RPKI condition"; 0 is proto3's unset.
  if ((c.rpki_result ?? 0) > 0) throw invalid(`${field}.rpki_result`, 'RPKI conditions are not supported by tsbgpd');
  if ((c.route_type ?? 0) !== 0) throw invalid(`${field}.route_type`, 'route-type conditions are not supported by tsbgpd yet');
  if ((c.next_hop_in_list ?? []).length > 0) throw invalid(`${field}.next_hop_in_list`, 'next-hop-in-list conditions are not supported by tsbgpd yet');
  if ((c.afi_safi_in ?? []).length > 0) throw invalid(`${field}.afi_safi_in`, 'afi-safi-in conditions are not supported by tsbgpd yet');
  if (Object.keys(bgp).length > 0) out['bgp-conditions'] = bgp;
  return Object.keys(out).length === 0 ? undefined : out;
}

const communityOps: Readonly<Record<number, string>> = { [CommunityActionType.add]: 'add', [CommunityActionType.remove]: 'remove', [CommunityActionType.replace]: 'replace' };

function communityAction(a: CommunityActionMessage | null | undefined, methodKey: string, field: string): Table | undefined {
  if (a === null || a === undefined) return undefined;
  const op = communityOps[a.type ?? 0];
  if (op === undefined) throw invalid(`${field}.type`, `expected ADD, REMOVE or REPLACE, got ${a.type}`);
  return { options: op, [methodKey]: { 'communities-list': [...(a.communities ?? [])] } };
}

function actionsToConfig(a: Actions | null | undefined, field: string): Table | undefined {
  if (a === null || a === undefined) return undefined;
  const out: Table = {};
  const bgp: Table = {};
  const disposition = a.route_action ?? RouteAction.none;
  if (disposition === RouteAction.accept) out['route-disposition'] = 'accept-route';
  else if (disposition === RouteAction.reject) out['route-disposition'] = 'reject-route';
  else if (disposition !== RouteAction.none) throw invalid(`${field}.route_action`, `expected NONE, ACCEPT or REJECT, got ${disposition}`);
  const community = communityAction(a.community, 'set-community-method', `${field}.community`);
  if (community !== undefined) bgp['set-community'] = community;
  const ext = communityAction(a.ext_community, 'set-ext-community-method', `${field}.ext_community`);
  if (ext !== undefined) bgp['set-ext-community'] = ext;
  const large = communityAction(a.large_community, 'set-large-community-method', `${field}.large_community`);
  if (large !== undefined) bgp['set-large-community'] = large;
  if (a.med !== null && a.med !== undefined) {
    const v = a.med.value ?? 0;
    if (a.med.type === MedActionType.replace) bgp['set-med'] = String(v);
    else if (a.med.type === MedActionType.mod || a.med.type === undefined) bgp['set-med'] = v < 0 ? String(v) : `+${v}`;
    else throw invalid(`${field}.med.type`, `expected MOD or REPLACE, got ${a.med.type}`);
  }
  if (a.local_pref !== null && a.local_pref !== undefined) bgp['set-local-pref'] = a.local_pref.value ?? 0;
  if (a.as_prepend !== null && a.as_prepend !== undefined) {
    // gobgp 3.10's CLI sends "last-as" as AS 0 without use_left_most; AS 0 is never prepended (RFC 7607).
    const isLastAs = a.as_prepend.use_left_most === true || (a.as_prepend.asn ?? 0) === 0;
    bgp['set-as-path-prepend'] = { as: isLastAs ? 'last-as' : String(a.as_prepend.asn ?? 0), 'repeat-n': a.as_prepend.repeat ?? 0 };
  }
  if (a.nexthop !== null && a.nexthop !== undefined) {
    bgp['set-next-hop'] = a.nexthop.self === true ? 'self' : a.nexthop.unchanged === true ? 'unchanged' : (a.nexthop.address ?? '');
  }
  if (Object.keys(bgp).length > 0) out['bgp-actions'] = bgp;
  return Object.keys(out).length === 0 ? undefined : out;
}

function statementToConfig(s: StatementMessage, field: string): Table {
  const out: Table = { name: s.name ?? '' };
  const conditions = conditionsToConfig(s.conditions, `${field}.conditions`);
  if (conditions !== undefined) out['conditions'] = conditions;
  const actions = actionsToConfig(s.actions, `${field}.actions`);
  if (actions !== undefined) out['actions'] = actions;
  return out;
}

/**
 * gobgpd's key path of an error in a lone item turned into the request's field: the
 * configuration keys these functions wrote, back to the message fields they came from.
 */
const keyToField: readonly (readonly [RegExp, string])[] = [
  [/^\.(prefix|neighbor|as-path|community|ext-community|large-community)-set-name/, '.name'],
  [/^\.prefix-list(\[\d+\])\.ip-prefix/, '.prefixes$1.ip_prefix'],
  [/^\.prefix-list(\[\d+\])\.masklength-range/, '.prefixes$1.mask_length_max'],
  [/^\.prefix-list/, '.prefixes'],
  [/^\.(?:neighbor-info|as-path|community|ext-community|large-community)-list(\[\d+\])?/, '.list$1'],
  [/^\.conditions\.match-(prefix|neighbor)-set\.match-set-options/, '.conditions.$1_set.type'],
  [/^\.conditions\.match-(prefix|neighbor)-set(\.\S*)?/, '.conditions.$1_set.name'],
  [/^\.conditions\.bgp-conditions\.match-(as-path|community|ext-community|large-community)-set\.match-set-options/, '.conditions.$1_set.type'],
  [/^\.conditions\.bgp-conditions\.match-(as-path|community|ext-community|large-community)-set(\.\S*)?/, '.conditions.$1_set.name'],
  [/^\.conditions\.bgp-conditions\.as-path-length\.operator/, '.conditions.as_path_length.type'],
  [/^\.conditions\.bgp-conditions\.as-path-length(\.\S*)?/, '.conditions.as_path_length.length'],
  [/^\.actions\.route-disposition/, '.actions.route_action'],
  [/^\.actions\.bgp-actions\.set-(community|ext-community|large-community)\.options/, '.actions.$1.type'],
  [/^\.actions\.bgp-actions\.set-(community|ext-community|large-community)\.\S*?(\[\d+\])?$/, '.actions.$1.communities$2'],
  [/^\.actions\.bgp-actions\.set-med/, '.actions.med.value'],
  [/^\.actions\.bgp-actions\.set-local-pref/, '.actions.local_pref.value'],
  [/^\.actions\.bgp-actions\.set-as-path-prepend\.as$/, '.actions.as_prepend.asn'],
  [/^\.actions\.bgp-actions\.set-as-path-prepend\.repeat-n/, '.actions.as_prepend.repeat'],
  [/^\.actions\.bgp-actions\.set-next-hop/, '.actions.nexthop.address'],
  [/^\.name/, '.name'],
];

function fieldOf(keyPath: string, base: string, field: string): string {
  if (!keyPath.startsWith(base)) return field;
  const rest = keyPath.slice(base.length);
  for (const [pattern, replacement] of keyToField) {
    const m = pattern.exec(rest);
    if (m !== null) return field + m[0].replace(pattern, replacement).replaceAll('-', '_');
  }
  return field;
}

/** Runs `compile`, turning a configuration error at `base` into INVALID_ARGUMENT at `field`. */
function asRequestError<T>(compile: () => T, base: string, field: string): T {
  try {
    return compile();
  } catch (e) {
    if (e instanceof PolicyConfigError) throw invalid(fieldOf(e.keyPath, base, field), e.problem, e);
    throw e;
  }
}

// ---- checks of single items

/** The gobgpd form of a set's members (as its ListDefinedSet shows them), checked. */
export function checkDefinedSet(ds: DefinedSet, field: string): void {
  if ((ds.name ?? '') === '') throw invalid(`${field}.name`, 'expected a set name, got none');
  const { kind } = setToConfig(ds, field);
  asRequestError(() => parseDefinedSets(definedSetsConfig([ds], () => field)), `defined-sets.${kind.isBgp ? 'bgp-defined-sets.' : ''}${kind.list}[0]`, field);
}

/** Compiles one statement against the sets of `state`; errors name `field`. */
export function checkStatement(state: PolicyState, s: StatementMessage, field: string): void {
  const sets = compileSets(state);
  asRequestError(() => parsePolicyDefinitions([{ name: '_check', statements: [statementToConfig(s, field)] }], sets), 'policy-definitions[0].statements[0]', field);
}

function compileSets(state: PolicyState): DefinedSets {
  return asRequestError(() => parseDefinedSets(definedSetsConfig(state.definedSets, (i) => `defined_sets[${i}]`)), 'defined-sets', 'defined_sets');
}

/**
 * The whole state compiled. Each item was checked as it came, so what fails here is a
 * reference between items; the error says which.
 */
export function compilePolicyState(state: PolicyState): CompiledPolicy {
  const definedSets = compileSets(state);
  const statements = new Map(state.statements.map((s) => [s.name ?? '', s]));
  const policies = new Map<string, Policy>();
  // One policy at a time: gobgpd lets policies share a statement, which one
  // policy-definitions list (one statement namespace) would refuse.
  for (const p of state.policies) {
    const config = { name: p.name, statements: p.statements.map((n, i) => statementToConfig(statements.get(n) ?? failMissing(n, `policies[${p.name}].statements[${i}]`), `statements[${n}]`)) };
    const one = asRequestError(() => parsePolicyDefinitions([config], definedSets), 'policy-definitions[0]', `policy ${p.name}`);
    policies.set(p.name, one.get(p.name)!);
  }
  const settings = new Map<string, ApplyPolicySettings>();
  for (const [target, a] of state.assignments) {
    const config: Table = {};
    if (a.import !== undefined) {
      config['import-policy-list'] = [...a.import.policies];
      config['default-import-policy'] = `${a.import.defaultAction}-route`;
    }
    if (a.export !== undefined) {
      config['export-policy-list'] = [...a.export.policies];
      config['default-export-policy'] = `${a.export.defaultAction}-route`;
    }
    settings.set(target, asRequestError(() => parseApplyPolicy({ config }, 'apply-policy', policies), 'apply-policy', `assignment ${target}`));
  }
  return { definedSets, policies, settings };
}

function failMissing(name: string, field: string): never {
  throw new ApiError('failed-precondition', `statement ${JSON.stringify(name)} is not defined`, field);
}

// ---- changes (gobgpd's semantics)

function sameSetType(a: DefinedSet, type: number, name: string): boolean {
  return (a.defined_type ?? 0) === type && a.name === name;
}

function prefixKeyOf(p: { ip_prefix?: string; mask_length_min?: number; mask_length_max?: number }): string {
  return `${p.ip_prefix ?? ''} ${p.mask_length_min ?? 0} ${p.mask_length_max ?? 0}`;
}

/** AddDefinedSet: a new set, or the members added to the set of that name. */
export function addDefinedSet(state: PolicyState, ds: DefinedSet, field: string): PolicyState {
  checkDefinedSet(ds, field);
  const type = ds.defined_type ?? 0;
  const existing = state.definedSets.find((d) => sameSetType(d, type, ds.name ?? ''));
  const normalized: DefinedSet = { defined_type: type, name: ds.name ?? '', list: [...(ds.list ?? [])], prefixes: (ds.prefixes ?? []).map((p) => ({ ...p })) };
  if (existing === undefined) {
    if (type === DefinedType.prefix) checkPrefixFamily(normalized, field);
    return { ...state, definedSets: [...state.definedSets, normalized] };
  }
  const list = [...(existing.list ?? [])];
  for (const m of normalized.list ?? []) if (!list.includes(m)) list.push(m);
  const prefixes = [...(existing.prefixes ?? [])];
  for (const p of normalized.prefixes ?? []) if (!prefixes.some((q) => prefixKeyOf(q) === prefixKeyOf(p))) prefixes.push(p);
  const merged: DefinedSet = { ...existing, list, prefixes };
  if (type === DefinedType.prefix) checkPrefixFamily(merged, field);
  return { ...state, definedSets: state.definedSets.map((d) => (d === existing ? merged : d)) };
}

/** A prefix set holds one address family (as gobgpd). */
function checkPrefixFamily(ds: DefinedSet, field: string): void {
  const families = new Set((ds.prefixes ?? []).map((p) => ((p.ip_prefix ?? '').includes(':') ? 6 : 4)));
  if (families.size > 1) throw invalid(`${field}.prefixes`, `IPv4 and IPv6 prefixes mixed in prefix set ${JSON.stringify(ds.name)}: a prefix set holds one family (as gobgpd)`);
}

/** The names of the sets the statements use, as "TYPE name". */
function setsInUse(state: PolicyState): Set<string> {
  const used = new Set<string>();
  const note = (type: number, m: MatchSet | null | undefined): void => {
    if (m?.name !== undefined && m.name !== '') used.add(`${type} ${m.name}`);
  };
  for (const s of state.statements) {
    const c = s.conditions;
    if (c === null || c === undefined) continue;
    note(DefinedType.prefix, c.prefix_set);
    note(DefinedType.neighbor, c.neighbor_set);
    note(DefinedType.asPath, c.as_path_set);
    note(DefinedType.community, c.community_set);
    note(DefinedType.extCommunity, c.ext_community_set);
    note(DefinedType.largeCommunity, c.large_community_set);
  }
  return used;
}

/** DeleteDefinedSet: the whole set (`all`, refused while a statement uses it) or the members listed. */
export function deleteDefinedSet(state: PolicyState, ds: DefinedSet, isAll: boolean, field: string): PolicyState {
  const type = ds.defined_type ?? 0;
  const name = ds.name ?? '';
  const existing = state.definedSets.find((d) => sameSetType(d, type, name));
  if (existing === undefined) throw new ApiError('not-found', `no ${setTypeNames[type] ?? type} set ${JSON.stringify(name)}`, `${field}.name`);
  if (isAll) {
    if (setsInUse(state).has(`${type} ${name}`)) throw new ApiError('failed-precondition', `defined set ${name} is in use by a statement`, `${field}.name`);
    return { ...state, definedSets: state.definedSets.filter((d) => d !== existing) };
  }
  const drop = new Set(ds.list ?? []);
  const dropPrefixes = (ds.prefixes ?? []).map((p) => p.ip_prefix ?? '');
  const rangeOf = new Set((ds.prefixes ?? []).filter((p) => (p.mask_length_max ?? 0) !== 0).map(prefixKeyOf));
  const list = (existing.list ?? []).filter((m) => !drop.has(m));
  const prefixes = (existing.prefixes ?? []).filter((p) => {
    if (!dropPrefixes.includes(p.ip_prefix ?? '')) return true;
    // A prefix named with a range removes only that range; without one, every range of the prefix.
    const ranged = (ds.prefixes ?? []).filter((q) => q.ip_prefix === p.ip_prefix && (q.mask_length_max ?? 0) !== 0);
    return ranged.length > 0 && !rangeOf.has(prefixKeyOf(p));
  });
  return { ...state, definedSets: state.definedSets.map((d) => (d === existing ? { ...existing, list, prefixes } : d)) };
}

const conditionKeys = ['prefix_set', 'neighbor_set', 'as_path_length', 'as_path_set', 'community_set', 'ext_community_set', 'large_community_set'] as const;
const actionKeys = ['community', 'med', 'as_prepend', 'ext_community', 'nexthop', 'local_pref', 'large_community'] as const;

function isSet(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'object' && 'name' in v) return (v as MatchSet).name !== undefined && (v as MatchSet).name !== '';
  return true;
}

/** A statement with only the members that are set (what listing shows, and what merging compares). */
function trimStatement(s: StatementMessage): StatementMessage {
  // gobgpd's "no RPKI condition" is -1 (0 would read as NONE, a condition).
  const conditions: Conditions = { rpki_result: -1 };
  for (const k of conditionKeys) if (isSet(s.conditions?.[k])) (conditions as Record<string, unknown>)[k] = s.conditions![k];
  const actions: Actions = {};
  for (const k of actionKeys) if (isSet(s.actions?.[k])) (actions as Record<string, unknown>)[k] = s.actions![k];
  const route = s.actions?.route_action ?? RouteAction.none;
  if (route !== RouteAction.none) actions.route_action = route;
  return { name: s.name ?? '', conditions, actions };
}

/** AddStatement: a new statement, or conditions and actions added to the one of that name (none may be set already). */
export function addStatement(state: PolicyState, s: StatementMessage, field: string): PolicyState {
  const name = s.name ?? '';
  if (name === '') throw invalid(`${field}.name`, 'expected a statement name, got none');
  // Before trimming: a condition tsbgpd cannot evaluate is refused, never dropped.
  statementToConfig(s, field);
  const incoming = trimStatement(s);
  const existing = state.statements.find((x) => x.name === name);
  let next: StatementMessage = incoming;
  if (existing !== undefined) {
    const conditions: Record<string, unknown> = { ...existing.conditions };
    for (const [k, v] of Object.entries(incoming.conditions ?? {})) {
      if (k === 'rpki_result') continue;
      if (conditions[k] !== undefined) throw new ApiError('already-exists', `condition ${k} is already set in statement ${name}`, `${field}.conditions.${k}`);
      conditions[k] = v;
    }
    const actions: Record<string, unknown> = { ...existing.actions };
    for (const [k, v] of Object.entries(incoming.actions ?? {})) {
      if (actions[k] !== undefined) throw new ApiError('already-exists', `${k === 'route_action' ? 'route action' : `action ${k}`} is already set in statement ${name}`, `${field}.actions.${k}`);
      actions[k] = v;
    }
    next = { name, conditions: conditions as Conditions, actions: actions as Actions };
  }
  checkStatement(state, next, field);
  return { ...state, statements: existing === undefined ? [...state.statements, next] : state.statements.map((x) => (x === existing ? next : x)) };
}

/** DeleteStatement: the whole statement (`all`, refused while a policy uses it) or the conditions and actions given. */
export function deleteStatement(state: PolicyState, s: StatementMessage, isAll: boolean, field: string): PolicyState {
  const name = s.name ?? '';
  const existing = state.statements.find((x) => x.name === name);
  if (existing === undefined) throw new ApiError('not-found', `no statement ${JSON.stringify(name)}`, `${field}.name`);
  if (isAll) {
    const user = state.policies.find((p) => p.statements.includes(name));
    if (user !== undefined) throw new ApiError('failed-precondition', `statement ${name} is in use by policy ${user.name}`, `${field}.name`);
    return { ...state, statements: state.statements.filter((x) => x !== existing) };
  }
  const given = trimStatement(s);
  const conditions: Record<string, unknown> = { ...existing.conditions };
  for (const k of Object.keys(given.conditions ?? {})) if (k !== 'rpki_result') delete conditions[k];
  const actions: Record<string, unknown> = { ...existing.actions };
  for (const k of Object.keys(given.actions ?? {})) delete actions[k];
  const next: StatementMessage = { name, conditions: conditions as Conditions, actions: actions as Actions };
  return { ...state, statements: state.statements.map((x) => (x === existing ? next : x)) };
}

/**
 * AddPolicy: statements named (`referExisting`) or given in full (added to the statement
 * table); a policy of that name gets them appended.
 */
export function addPolicy(state: PolicyState, p: PolicyMessage, referExisting: boolean, field: string): PolicyState {
  const name = p.name ?? '';
  if (name === '') throw invalid(`${field}.name`, 'expected a policy name, got none');
  let next = state;
  const names: string[] = [];
  (p.statements ?? []).forEach((s, i) => {
    const sf = `${field}.statements[${i}]`;
    const sName = s.name === undefined || s.name === '' ? `${name}_stmt${i}` : s.name;
    const known = next.statements.some((x) => x.name === sName);
    if (referExisting) {
      if (!known) throw new ApiError('not-found', `no statement ${JSON.stringify(sName)}`, `${sf}.name`);
    } else {
      if (known) throw new ApiError('already-exists', `statement ${sName} is already defined`, `${sf}.name`);
      next = addStatement(next, { ...s, name: sName }, sf);
    }
    if (names.includes(sName)) throw invalid(`${sf}.name`, `statement ${sName} is listed twice`);
    names.push(sName);
  });
  const existing = next.policies.find((x) => x.name === name);
  if (existing === undefined) return { ...next, policies: [...next.policies, { name, statements: names }] };
  const dup = names.find((n) => existing.statements.includes(n));
  if (dup !== undefined) throw new ApiError('already-exists', `statement ${dup} is already in policy ${name}`, `${field}.statements`);
  return { ...next, policies: next.policies.map((x) => (x === existing ? { name, statements: [...existing.statements, ...names] } : x)) };
}

/** DeletePolicy: the whole policy (`all`; out of every assignment too, as gobgpd) or the statements listed. */
export function deletePolicy(state: PolicyState, p: PolicyMessage, isAll: boolean, isStatementKept: boolean, field: string): PolicyState {
  const name = p.name ?? '';
  const existing = state.policies.find((x) => x.name === name);
  if (existing === undefined) throw new ApiError('not-found', `no policy ${JSON.stringify(name)}`, `${field}.name`);
  if (!isAll) {
    const drop = new Set((p.statements ?? []).map((s) => s.name ?? ''));
    return { ...state, policies: state.policies.map((x) => (x === existing ? { name, statements: x.statements.filter((n) => !drop.has(n)) } : x)) };
  }
  const policies = state.policies.filter((x) => x !== existing);
  const stillUsed = new Set(policies.flatMap((x) => x.statements));
  const statements = isStatementKept ? state.statements : state.statements.filter((s) => !existing.statements.includes(s.name ?? '') || stillUsed.has(s.name ?? ''));
  const without = (a: AssignmentState | undefined): AssignmentState | undefined => (a === undefined ? undefined : { ...a, policies: a.policies.filter((n) => n !== name) });
  const assignments = new Map([...state.assignments].map(([k, a]) => [k, withDirections(without(a.import), without(a.export))]));
  return { ...state, statements, policies, assignments };
}

function withDirections(imp: AssignmentState | undefined, exp: AssignmentState | undefined): AssignmentTarget {
  return { ...(imp === undefined ? {} : { import: imp }), ...(exp === undefined ? {} : { export: exp }) };
}

export type Direction = 'import' | 'export';

function directionOf(a: PolicyAssignmentMessage, field: string): Direction {
  if (a.direction === 1) return 'import';
  if (a.direction === 2) return 'export';
  throw invalid(`${field}.direction`, `expected IMPORT or EXPORT, got ${a.direction ?? 0}`);
}

function defaultOf(a: PolicyAssignmentMessage, field: string): PolicyDefault | undefined {
  const d = a.default_action ?? RouteAction.none;
  if (d === RouteAction.none) return undefined;
  if (d === RouteAction.accept) return 'accept';
  if (d === RouteAction.reject) return 'reject';
  throw invalid(`${field}.default_action`, `expected NONE, ACCEPT or REJECT, got ${d}`);
}

function policyNamesOf(state: PolicyState, a: PolicyAssignmentMessage, field: string): string[] {
  return (a.policies ?? []).map((p, i) => {
    const n = p.name ?? '';
    if (!state.policies.some((x) => x.name === n)) throw new ApiError('not-found', `no policy ${JSON.stringify(n)}`, `${field}.policies[${i}].name`);
    return n;
  });
}

function updateAssignment(state: PolicyState, target: string, direction: Direction, next: AssignmentState): PolicyState {
  const assignments = new Map(state.assignments);
  const old = assignments.get(target) ?? {};
  assignments.set(target, direction === 'import' ? withDirections(next, old.export) : withDirections(old.import, next));
  return { ...state, assignments };
}

function currentAssignment(state: PolicyState, target: string, direction: Direction): AssignmentState {
  return state.assignments.get(target)?.[direction] ?? { policies: [], defaultAction: 'accept' };
}

/** AddPolicyAssignment: the policies appended, the default replaced when one is given. */
export function addPolicyAssignment(state: PolicyState, target: string, a: PolicyAssignmentMessage, field: string): PolicyState {
  const direction = directionOf(a, field);
  const names = policyNamesOf(state, a, field);
  const old = currentAssignment(state, target, direction);
  const dup = names.find((n) => old.policies.includes(n));
  if (dup !== undefined) throw new ApiError('already-exists', `policy ${dup} is already assigned to ${target} ${direction}`, `${field}.policies`);
  return updateAssignment(state, target, direction, { policies: [...old.policies, ...names], defaultAction: defaultOf(a, field) ?? old.defaultAction });
}

/** SetPolicyAssignment: the policies and default replaced. */
export function setPolicyAssignment(state: PolicyState, target: string, a: PolicyAssignmentMessage, field: string): PolicyState {
  const direction = directionOf(a, field);
  return updateAssignment(state, target, direction, { policies: policyNamesOf(state, a, field), defaultAction: defaultOf(a, field) ?? 'accept' });
}

/** DeletePolicyAssignment: every policy and the default (`all`), or the policies listed. */
export function deletePolicyAssignment(state: PolicyState, target: string, a: PolicyAssignmentMessage, isAll: boolean, field: string): PolicyState {
  const direction = directionOf(a, field);
  const old = currentAssignment(state, target, direction);
  if (isAll) return updateAssignment(state, target, direction, { policies: [], defaultAction: 'accept' });
  const names = (a.policies ?? []).map((p, i) => {
    const n = p.name ?? '';
    if (!old.policies.includes(n)) throw new ApiError('not-found', `policy ${JSON.stringify(n)} is not assigned to ${target} ${direction}`, `${field}.policies[${i}].name`);
    return n;
  });
  return updateAssignment(state, target, direction, { policies: old.policies.filter((n) => !names.includes(n)), defaultAction: old.defaultAction });
}

// ---- listing, in gobgpd's forms

/** A set's members as gobgpd lists them: exact communities as anchored expressions, addresses as host prefixes. */
export function definedSetForListing(ds: DefinedSet): DefinedSet {
  const type = ds.defined_type ?? 0;
  const list = (ds.list ?? []).map((m) => memberForListing(type, m));
  const prefixes = (ds.prefixes ?? []).map((p) => {
    const length = Number((p.ip_prefix ?? '').split('/')[1] ?? 0);
    const hasRange = (p.mask_length_min ?? 0) !== 0 || (p.mask_length_max ?? 0) !== 0;
    return { ip_prefix: p.ip_prefix ?? '', mask_length_min: hasRange ? (p.mask_length_min ?? 0) : length, mask_length_max: hasRange ? (p.mask_length_max ?? 0) : length };
  });
  return { defined_type: type, name: ds.name ?? '', list, prefixes };
}

function memberForListing(type: number, m: string): string {
  try {
    switch (type) {
      case DefinedType.neighbor:
        return isIPv4(m) ? `${m}/32` : isIPv6(m) ? `${m}/128` : m;
      case DefinedType.community:
        return /^\d+(:\d+)?$/.test(m) || /^[a-z_-]+$/i.test(m) ? `^${communityText(parseCommunity(m))}$` : m;
      case DefinedType.extCommunity: {
        const colon = m.indexOf(':');
        const rest = m.slice(colon + 1);
        return colon > 0 && /^[\d.]+:\d+$/.test(rest) ? `${m.slice(0, colon).toLowerCase()}:^${rest}$` : m;
      }
      case DefinedType.largeCommunity:
        return /^\d+:\d+:\d+$/.test(m) ? `^${parseLargeCommunity(m).join(':')}$` : m;
      default:
        return m;
    }
  } catch {
    // Checked when added; an expression that only looks like a value stays as written.
    return m;
  }
}

/** A statement as ListStatement and ListPolicy give it. */
export function statementForListing(s: StatementMessage): StatementMessage {
  return trimStatement(s);
}

/** An assignment as ListPolicyAssignment gives it: the policies in full. */
export function assignmentForListing(state: PolicyState, target: string, direction: Direction, a: AssignmentState): PolicyAssignmentMessage {
  const statements = new Map(state.statements.map((s) => [s.name ?? '', s]));
  return {
    name: target,
    direction: direction === 'import' ? 1 : 2,
    policies: a.policies.map((n) => policyForListing(state, n, statements)),
    default_action: a.defaultAction === 'accept' ? RouteAction.accept : RouteAction.reject,
  };
}

export function policyForListing(state: PolicyState, name: string, statements = new Map(state.statements.map((s) => [s.name ?? '', s]))): PolicyMessage {
  const p = state.policies.find((x) => x.name === name);
  return { name, statements: (p?.statements ?? []).map((n) => statementForListing(statements.get(n) ?? { name: n })) };
}

// ---- from the configuration file's keys

function asTable(v: unknown): Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Table) : {};
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function textOf(v: unknown): string {
  return typeof v === 'bigint' || typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '';
}

const optionNumbers: Readonly<Record<string, number>> = { any: MatchSetType.any, all: MatchSetType.all, invert: MatchSetType.invert };

function matchFromConfig(t: unknown, key: string): MatchSet | undefined {
  const m = asTable(t);
  if (m[key] === undefined) return undefined;
  return { name: textOf(m[key]), type: optionNumbers[textOf(m['match-set-options']) || 'any'] ?? 0 };
}

function communityFromConfig(t: unknown, methodKey: string): CommunityActionMessage | undefined {
  const c = asTable(t);
  if (c['options'] === undefined) return undefined;
  const op = textOf(c['options']).toLowerCase();
  return { type: op === 'remove' ? CommunityActionType.remove : op === 'replace' ? CommunityActionType.replace : CommunityActionType.add, communities: asList(asTable(c[methodKey])['communities-list']).map(textOf) };
}

/** A statement of the configuration file (already checked by the loader) as an API message. */
function statementFromConfig(raw: unknown, name: string): StatementMessage {
  const t = asTable(raw);
  const c = asTable(t['conditions']);
  const bgpC = asTable(c['bgp-conditions']);
  const conditions: Conditions = {};
  const put = <K extends keyof Conditions>(k: K, v: Conditions[K] | undefined): void => {
    if (v !== undefined) conditions[k] = v;
  };
  put('prefix_set', matchFromConfig(c['match-prefix-set'], 'prefix-set'));
  put('neighbor_set', matchFromConfig(c['match-neighbor-set'], 'neighbor-set'));
  put('as_path_set', matchFromConfig(bgpC['match-as-path-set'], 'as-path-set'));
  put('community_set', matchFromConfig(bgpC['match-community-set'], 'community-set'));
  put('ext_community_set', matchFromConfig(bgpC['match-ext-community-set'], 'ext-community-set'));
  put('large_community_set', matchFromConfig(bgpC['match-large-community-set'], 'large-community-set'));
  const len = asTable(bgpC['as-path-length']);
  if (len['operator'] !== undefined) {
    const op = textOf(len['operator']).replace('attribute-', '');
    put('as_path_length', { type: op === 'ge' ? AsPathLengthType.ge : op === 'le' ? AsPathLengthType.le : AsPathLengthType.eq, length: Number(textOf(len['value'])) });
  }
  const a = asTable(t['actions']);
  const bgpA = asTable(a['bgp-actions']);
  const actions: Actions = {};
  const disposition = textOf(a['route-disposition']);
  if (disposition === 'accept-route') actions.route_action = RouteAction.accept;
  if (disposition === 'reject-route') actions.route_action = RouteAction.reject;
  const community = communityFromConfig(bgpA['set-community'], 'set-community-method');
  if (community !== undefined) actions.community = community;
  const ext = communityFromConfig(bgpA['set-ext-community'], 'set-ext-community-method');
  if (ext !== undefined) actions.ext_community = ext;
  const large = communityFromConfig(bgpA['set-large-community'], 'set-large-community-method');
  if (large !== undefined) actions.large_community = large;
  if (bgpA['set-med'] !== undefined) {
    const med = textOf(bgpA['set-med']);
    actions.med = /^[+-]/.test(med) ? { type: MedActionType.mod, value: Number(med) } : { type: MedActionType.replace, value: Number(med) };
  }
  if (bgpA['set-local-pref'] !== undefined && Number(textOf(bgpA['set-local-pref'])) !== 0) actions.local_pref = { value: Number(textOf(bgpA['set-local-pref'])) };
  const prepend = asTable(bgpA['set-as-path-prepend']);
  if (prepend['as'] !== undefined) {
    const as = textOf(prepend['as']);
    actions.as_prepend = as === 'last-as' ? { asn: 0, repeat: Number(textOf(prepend['repeat-n'])), use_left_most: true } : { asn: Number(as), repeat: Number(textOf(prepend['repeat-n'])) };
  }
  if (bgpA['set-next-hop'] !== undefined) {
    const nh = textOf(bgpA['set-next-hop']);
    actions.nexthop = nh.toLowerCase() === 'self' ? { self: true } : { address: nh };
  }
  return { name, conditions, actions };
}

/** The configuration file's `defined-sets` and `policy-definitions` (as its loader checked them) as a state. */
export function policyStateFromConfig(definedSets: unknown, policyDefinitions: unknown, assignments: ReadonlyMap<string, AssignmentTarget>): PolicyState {
  const sets: DefinedSet[] = [];
  const ds = asTable(definedSets);
  const bgp = asTable(ds['bgp-defined-sets']);
  for (const [type, kind] of Object.entries(supportedSetTypes)) {
    for (const item of asList((kind.isBgp ? bgp : ds)[kind.list])) {
      const t = asTable(item);
      const name = textOf(t[kind.nameKey]);
      if (Number(type) === DefinedType.prefix) {
        const prefixes = asList(t[kind.membersKey]).map((e) => {
          const entry = asTable(e);
          const range = /^(\d+)\.\.(\d+)$/.exec(textOf(entry['masklength-range']));
          return range === null ? { ip_prefix: textOf(entry['ip-prefix']) } : { ip_prefix: textOf(entry['ip-prefix']), mask_length_min: Number(range[1]), mask_length_max: Number(range[2]) };
        });
        sets.push({ defined_type: DefinedType.prefix, name, list: [], prefixes });
      } else {
        sets.push({ defined_type: Number(type), name, list: asList(t[kind.membersKey]).map(textOf), prefixes: [] });
      }
    }
  }
  const statements: StatementMessage[] = [];
  const policies: { name: string; statements: string[] }[] = [];
  for (const item of asList(policyDefinitions)) {
    const t = asTable(item);
    const name = textOf(t['name']);
    const names = asList(t['statements']).map((s, j) => {
      const sName = textOf(asTable(s)['name']) || `${name}_stmt${j}`;
      statements.push(statementFromConfig(s, sName));
      return sName;
    });
    policies.push({ name, statements: names });
  }
  return { definedSets: sets, statements, policies, assignments };
}

/** An ApplyPolicySettings layer as an assignment (a direction it does not write is left out). */
export function assignmentFromSettings(s: ApplyPolicySettings): AssignmentTarget {
  const dir = (policies: readonly Policy[] | undefined, d: number | undefined): AssignmentState | undefined =>
    policies === undefined && d === undefined ? undefined : { policies: (policies ?? []).map((p) => p.name), defaultAction: d === Disposition.reject ? 'reject' : 'accept' };
  return withDirections(dir(s.importPolicies, s.defaultImport), dir(s.exportPolicies, s.defaultExport));
}
