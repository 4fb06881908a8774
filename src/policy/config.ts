// Reads gobgpd's policy keys from the plain objects a TOML or YAML parser gives
// (`defined-sets`, `policy-definitions`, `apply-policy` of global, neighbors and peer
// groups) into compiled sets and policies. Every value is checked; an error names the
// key path (`policy-definitions[0].statements[1].actions.bgp-actions.set-med`) so the
// configuration loader can add the file and line.

import { isIPv4, isIPv6 } from 'node:net';
import { AddressError, addressBits, afiOf, parseAddress, parsePrefix, type Prefix } from '../lib/address.js';
import { AsPathPrependAction, CommunityAction, ExtCommunityAction, LargeCommunityAction, NextHopAction, SetLocalPrefAction, SetMedAction, type Action, type CommunityOperation } from './actions.js';
import {
  AsPathCondition,
  AsPathLengthCondition,
  CommunityCondition,
  ExtCommunityCondition,
  LargeCommunityCondition,
  NeighborCondition,
  PrefixCondition,
  type Condition,
  type LengthOperator,
  type MatchOption,
} from './conditions.js';
import { Disposition, Policy, PolicyAssignment, Statement, type PeerPolicies } from './policy.js';
import {
  AsPathSet,
  CommunityMatcher,
  CommunitySet,
  ExtCommunityMatcher,
  ExtCommunitySet,
  LargeCommunityMatcher,
  LargeCommunitySet,
  NeighborSet,
  PrefixSet,
  SetMemberError,
  parseCommunity,
  parseCommunityMember,
  parseExtCommunity,
  parseExtCommunityMember,
  parseLargeCommunity,
  parseLargeCommunityMember,
  parseLengthRange,
  type DefinedSets,
  type PrefixSetEntry,
} from './sets.js';

/** An operator fault in the policy configuration, at `keyPath`. */
export class PolicyConfigError extends Error {
  override readonly name = 'PolicyConfigError';

  constructor(
    /** The key as gobgpd names it: `defined-sets.prefix-sets[0].prefix-list[2].ip-prefix`. */
    readonly keyPath: string,
    /** What is wrong, e.g. `expected "any" or "invert", got "all"`. */
    readonly problem: string,
    /** What the key takes, when the fault is a wrong value. */
    readonly expected?: string,
    /** The value found, when the fault is a wrong value. */
    readonly got?: unknown,
    options?: ErrorOptions,
  ) {
    super(`${keyPath}: ${problem}`, options);
  }
}

type Table = Readonly<Record<string, unknown>>;

/** The keys of a table: those tsbgpd implements, and those gobgpd knows that it does not. */
interface KeySet {
  readonly supported: readonly string[];
  readonly known?: readonly string[];
}

const keys = {
  definedSets: { supported: ['prefix-sets', 'neighbor-sets', 'bgp-defined-sets'], known: ['tag-sets'] },
  prefixSet: { supported: ['prefix-set-name', 'prefix-list'] },
  prefixEntry: { supported: ['ip-prefix', 'masklength-range'] },
  neighborSet: { supported: ['neighbor-set-name', 'neighbor-info-list'] },
  bgpDefinedSets: { supported: ['community-sets', 'ext-community-sets', 'as-path-sets', 'large-community-sets'] },
  asPathSet: { supported: ['as-path-set-name', 'as-path-list'] },
  communitySet: { supported: ['community-set-name', 'community-list'] },
  extCommunitySet: { supported: ['ext-community-set-name', 'ext-community-list'] },
  largeCommunitySet: { supported: ['large-community-set-name', 'large-community-list'] },
  policy: { supported: ['name', 'statements'] },
  statement: { supported: ['name', 'conditions', 'actions'] },
  conditions: { supported: ['match-prefix-set', 'match-neighbor-set', 'bgp-conditions'], known: ['call-policy', 'match-tag-set', 'install-protocol-eq', 'igp-conditions'] },
  matchPrefixSet: { supported: ['prefix-set', 'match-set-options'] },
  matchNeighborSet: { supported: ['neighbor-set', 'match-set-options'] },
  bgpConditions: {
    supported: ['match-as-path-set', 'match-community-set', 'match-ext-community-set', 'match-large-community-set', 'as-path-length'],
    known: ['med-eq', 'origin-eq', 'next-hop-in-list', 'afi-safi-in-list', 'local-pref-eq', 'community-count', 'route-type', 'rpki-validation-result'],
  },
  matchAsPathSet: { supported: ['as-path-set', 'match-set-options'] },
  matchCommunitySet: { supported: ['community-set', 'match-set-options'] },
  matchExtCommunitySet: { supported: ['ext-community-set', 'match-set-options'] },
  matchLargeCommunitySet: { supported: ['large-community-set', 'match-set-options'] },
  asPathLength: { supported: ['operator', 'value'] },
  actions: { supported: ['route-disposition', 'bgp-actions'], known: ['igp-actions'] },
  bgpActions: {
    supported: ['set-med', 'set-local-pref', 'set-next-hop', 'set-as-path-prepend', 'set-community', 'set-ext-community', 'set-large-community'],
    known: ['set-route-origin'],
  },
  prepend: { supported: ['as', 'repeat-n'] },
  setCommunity: { supported: ['options', 'set-community-method'] },
  setCommunityMethod: { supported: ['communities-list'], known: ['community-set-ref'] },
  setExtCommunity: { supported: ['options', 'set-ext-community-method'] },
  setExtCommunityMethod: { supported: ['communities-list'], known: ['ext-community-set-ref'] },
  setLargeCommunity: { supported: ['options', 'set-large-community-method'] },
  setLargeCommunityMethod: { supported: ['communities-list'] },
  applyPolicy: { supported: ['config'], known: ['state'] },
  applyPolicyConfig: { supported: ['import-policy-list', 'default-import-policy', 'export-policy-list', 'default-export-policy'], known: ['in-policy-list', 'default-in-policy'] },
} satisfies Record<string, KeySet>;

const maxUint32 = 4294967295;

function describe(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return String(value);
  if (typeof value === 'object') return 'a table';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** `a` + `b` = `a.b` (the daemon's key paths). */
function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function fail(path: string, expected: string, got: unknown): never {
  throw new PolicyConfigError(path, `expected ${expected}, got ${describe(got)}`, expected, got);
}

function failWith(path: string, problem: string): never {
  throw new PolicyConfigError(path, problem);
}

/**
 * A table with its keys checked. gobgpd keys tsbgpd does not implement are errors even
 * where the daemon would only warn: skipping a condition or an action changes which
 * routes pass and how, so the policy would not be the one written.
 */
function table(value: unknown, path: string, keySet: KeySet): Table {
  if (!isTable(value)) fail(path, 'a table', value);
  for (const key of Object.keys(value)) {
    if (keySet.supported.includes(key)) continue;
    if (keySet.known?.includes(key) === true) failWith(child(path, key), 'not supported by tsbgpd yet (a policy that skipped it would pass routes other than those written)');
    failWith(child(path, key), 'unknown key');
  }
  return value;
}

function optionalTable(parent: Table, key: string, path: string, keySet: KeySet): Table | undefined {
  const v = parent[key];
  return v === undefined ? undefined : table(v, child(path, key), keySet);
}

function array(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) fail(path, 'an array', value);
  return value;
}

function optionalArray(parent: Table, key: string, path: string): readonly unknown[] {
  const v = parent[key];
  return v === undefined ? [] : array(v, child(path, key));
}

function string(value: unknown, path: string, what = 'a string'): string {
  if (typeof value !== 'string') fail(path, what, value);
  return value;
}

/** A string, or a non-negative integer where YAML or TOML turned a bare number into one. */
function text(value: unknown, path: string, what: string): string {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return String(value);
  if (typeof value !== 'string') fail(path, what, value);
  return value;
}

function integer(value: unknown, path: string, min: number, max: number, what = `an integer from ${min} to ${max}`): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(path, what, value);
  return value;
}

function name(parent: Table, key: string, path: string, what: string): string {
  const p = child(path, key);
  if (parent[key] === undefined) failWith(p, `missing (${what})`);
  const n = string(parent[key], p);
  if (n === '') fail(p, 'a non-empty name', n);
  return n;
}

/** Runs a member parser, turning its complaint into an error at `path`. */
function member<T>(parse: (s: string) => T, value: string, path: string): T {
  try {
    return parse(value);
  } catch (err) {
    if (err instanceof SetMemberError) throw new PolicyConfigError(path, `expected ${err.expected}, got ${describe(value)}`, err.expected, value, { cause: err });
    throw err;
  }
}

/** Notes that `key` is named at `path`, refusing a name seen before. */
function claimName(seenAt: Map<string, string>, key: string, path: string, what: string): void {
  const earlier = seenAt.get(key);
  if (earlier !== undefined) failWith(path, `duplicate ${what} ${JSON.stringify(key)} (also ${earlier})`);
  seenAt.set(key, path);
}

/** Adds a named item, refusing a second of the same name. */
function addNamed<T>(map: Map<string, T>, seenAt: Map<string, string>, key: string, value: T, path: string, what: string): void {
  claimName(seenAt, key, path, what);
  map.set(key, value);
}

// ---- defined-sets

/** Reads `defined-sets` (absent: no sets). */
export function parseDefinedSets(value: unknown, path = 'defined-sets'): DefinedSets {
  const prefixSets = new Map<string, PrefixSet>();
  const neighborSets = new Map<string, NeighborSet>();
  const asPathSets = new Map<string, AsPathSet>();
  const communitySets = new Map<string, CommunitySet>();
  const extCommunitySets = new Map<string, ExtCommunitySet>();
  const largeCommunitySets = new Map<string, LargeCommunitySet>();
  const sets: DefinedSets = { prefixSets, neighborSets, asPathSets, communitySets, extCommunitySets, largeCommunitySets };
  if (value === undefined) return sets;
  const ds = table(value, path, keys.definedSets);

  const seen = new Map<string, string>();
  optionalArray(ds, 'prefix-sets', path).forEach((item, i) => {
    const p = `${child(path, 'prefix-sets')}[${i}]`;
    const t = table(item, p, keys.prefixSet);
    const setName = name(t, 'prefix-set-name', p, 'the name statements refer to');
    const entries = optionalArray(t, 'prefix-list', p).map((e, j) => readPrefixEntry(e, `${child(p, 'prefix-list')}[${j}]`));
    const namePath = child(p, 'prefix-set-name');
    const families = new Set(entries.map((e) => e.prefix.afi));
    if (families.size > 1) failWith(child(p, 'prefix-list'), 'IPv4 and IPv6 prefixes mixed: a prefix set holds one family (as gobgpd); use a set per family');
    addNamed(prefixSets, seen, setName, new PrefixSet(setName, entries), namePath, 'prefix set');
  });

  seen.clear();
  optionalArray(ds, 'neighbor-sets', path).forEach((item, i) => {
    const p = `${child(path, 'neighbor-sets')}[${i}]`;
    const t = table(item, p, keys.neighborSet);
    const setName = name(t, 'neighbor-set-name', p, 'the name statements refer to');
    const entries = optionalArray(t, 'neighbor-info-list', p).map((e, j) => readNeighborEntry(e, `${child(p, 'neighbor-info-list')}[${j}]`));
    addNamed(neighborSets, seen, setName, new NeighborSet(setName, entries), child(p, 'neighbor-set-name'), 'neighbor set');
  });

  const bgpPath = child(path, 'bgp-defined-sets');
  const bgp = optionalTable(ds, 'bgp-defined-sets', path, keys.bgpDefinedSets);
  if (bgp === undefined) return sets;
  const readList = <S>(listKey: string, keySet: KeySet, nameKey: string, membersKey: string, what: string, map: Map<string, S>, make: (n: string, members: string[], membersPath: string) => S): void => {
    const names = new Map<string, string>();
    optionalArray(bgp, listKey, bgpPath).forEach((item, i) => {
      const p = `${child(bgpPath, listKey)}[${i}]`;
      const t = table(item, p, keySet);
      const setName = name(t, nameKey, p, 'the name statements refer to');
      const membersPath = child(p, membersKey);
      const members = optionalArray(t, membersKey, p).map((m, j) => text(m, `${membersPath}[${j}]`, 'a string'));
      addNamed(map, names, setName, make(setName, members, membersPath), child(p, nameKey), what);
    });
  };
  // Members are checked one by one first, so an error names the member's own index.
  const each = (members: readonly string[], membersPath: string, parse: (s: string) => unknown): void => members.forEach((m, j) => member(parse, m, `${membersPath}[${j}]`));
  readList('as-path-sets', keys.asPathSet, 'as-path-set-name', 'as-path-list', 'as-path set', asPathSets, (n, m, mp) => {
    each(m, mp, (s) => new AsPathSet(n, [s]));
    return new AsPathSet(n, m);
  });
  readList('community-sets', keys.communitySet, 'community-set-name', 'community-list', 'community set', communitySets, (n, m, mp) => {
    each(m, mp, parseCommunityMember);
    return new CommunitySet(n, m);
  });
  readList('ext-community-sets', keys.extCommunitySet, 'ext-community-set-name', 'ext-community-list', 'ext-community set', extCommunitySets, (n, m, mp) => {
    each(m, mp, parseExtCommunityMember);
    return new ExtCommunitySet(n, m);
  });
  readList('large-community-sets', keys.largeCommunitySet, 'large-community-set-name', 'large-community-list', 'large-community set', largeCommunitySets, (n, m, mp) => {
    each(m, mp, parseLargeCommunityMember);
    return new LargeCommunitySet(n, m);
  });
  return sets;
}

function readPrefixEntry(value: unknown, path: string): PrefixSetEntry {
  const t = table(value, path, keys.prefixEntry);
  const prefixPath = child(path, 'ip-prefix');
  if (t['ip-prefix'] === undefined) failWith(prefixPath, 'missing (e.g. "172.17.254.0/24")');
  const prefixText = string(t['ip-prefix'], prefixPath);
  let prefix: Prefix;
  try {
    prefix = parsePrefix(prefixText);
  } catch (err) {
    if (!(err instanceof AddressError)) throw err;
    throw new PolicyConfigError(prefixPath, `expected a prefix "address/length" with the host bits zero (${err.message}), got ${describe(prefixText)}`, 'a prefix', prefixText, { cause: err });
  }
  if (t['masklength-range'] === undefined) return { prefix, minLength: prefix.length, maxLength: prefix.length };
  const rangePath = child(path, 'masklength-range');
  const { minLength, maxLength } = member(parseLengthRange, string(t['masklength-range'], rangePath), rangePath);
  const bits = addressBits(prefix.afi);
  if (minLength > maxLength || maxLength > bits || maxLength < prefix.length) {
    fail(rangePath, `"MIN..MAX" with MIN <= MAX and MAX from ${prefix.length} (the prefix length) to ${bits}`, t['masklength-range']);
  }
  return { prefix, minLength, maxLength };
}

function readNeighborEntry(value: unknown, path: string): Prefix {
  const what = 'an IP address or prefix (e.g. "172.17.0.21" or "172.17.0.0/24")';
  const s = string(value, path, what);
  try {
    if (isIPv4(s) || isIPv6(s)) {
      const addr = parseAddress(s);
      return { afi: afiOf(addr), length: addr.length * 8, addr };
    }
    // gobgpd reads these with Go's ParseCIDR, which masks host bits away.
    return parsePrefix(s, true);
  } catch (err) {
    if (!(err instanceof AddressError)) throw err;
    throw new PolicyConfigError(path, `expected ${what}, got ${describe(s)}`, what, s, { cause: err });
  }
}

// ---- policy-definitions

/** Reads `policy-definitions` against the defined sets; policies by name, in configuration order. */
export function parsePolicyDefinitions(value: unknown, sets: DefinedSets, path = 'policy-definitions'): ReadonlyMap<string, Policy> {
  const policies = new Map<string, Policy>();
  if (value === undefined) return policies;
  const seenPolicies = new Map<string, string>();
  // Statement names are one namespace across policies in gobgpd (its statement table).
  const seenStatements = new Map<string, string>();
  array(value, path).forEach((item, i) => {
    const p = `${path}[${i}]`;
    const t = table(item, p, keys.policy);
    const policyName = name(t, 'name', p, 'the name apply-policy lists refer to');
    const statements = optionalArray(t, 'statements', p).map((s, j) => {
      const sp = `${child(p, 'statements')}[${j}]`;
      const statement = readStatement(s, sp, policyName, j, sets);
      claimName(seenStatements, statement.name, child(sp, 'name'), 'statement name');
      return statement;
    });
    addNamed(policies, seenPolicies, policyName, new Policy(policyName, statements), child(p, 'name'), 'policy');
  });
  return policies;
}

function readStatement(value: unknown, path: string, policyName: string, index: number, sets: DefinedSets): Statement {
  const t = table(value, path, keys.statement);
  // gobgpd names an unnamed statement after its policy and position.
  const statementName = t['name'] === undefined || t['name'] === '' ? `${policyName}_stmt${index}` : string(t['name'], child(path, 'name'));
  const conditions = readConditions(t, path, sets);
  const { actions, disposition } = readActions(t, path);
  return new Statement(statementName, conditions, actions, disposition);
}

function matchOption<T extends MatchOption>(t: Table, path: string, allowed: readonly T[]): T {
  const p = child(path, 'match-set-options');
  const v = t['match-set-options'];
  if (v === undefined) return allowed[0]!;
  const found = allowed.find((a) => a === v);
  if (found === undefined) fail(p, allowed.map((a) => JSON.stringify(a)).join(', ').replace(/, ([^,]*)$/, ' or $1'), v);
  return found;
}

/** The set a condition names, with an error listing the defined ones if it is unknown. */
function lookup<S>(map: ReadonlyMap<string, S>, t: Table, key: string, path: string, what: string): S {
  const p = child(path, key);
  if (t[key] === undefined) failWith(p, `missing (the name of a ${what})`);
  const setName = string(t[key], p);
  const found = map.get(setName);
  if (found !== undefined) return found;
  const defined = [...map.keys()].map((k) => JSON.stringify(k)).join(', ');
  failWith(p, `unknown ${what} ${JSON.stringify(setName)} (${defined === '' ? `no ${what} defined` : `defined: ${defined}`})`);
}

function readConditions(statement: Table, statementPath: string, sets: DefinedSets): Condition[] {
  const path = child(statementPath, 'conditions');
  const c = optionalTable(statement, 'conditions', statementPath, keys.conditions);
  if (c === undefined) return [];
  const out: Condition[] = [];
  const mp = optionalTable(c, 'match-prefix-set', path, keys.matchPrefixSet);
  if (mp !== undefined) {
    const p = child(path, 'match-prefix-set');
    out.push(new PrefixCondition(lookup(sets.prefixSets, mp, 'prefix-set', p, 'prefix set'), matchOption(mp, p, ['any', 'invert'] as const)));
  }
  const mn = optionalTable(c, 'match-neighbor-set', path, keys.matchNeighborSet);
  if (mn !== undefined) {
    const p = child(path, 'match-neighbor-set');
    out.push(new NeighborCondition(lookup(sets.neighborSets, mn, 'neighbor-set', p, 'neighbor set'), matchOption(mn, p, ['any', 'invert'] as const)));
  }
  const bgpPath = child(path, 'bgp-conditions');
  const bgp = optionalTable(c, 'bgp-conditions', path, keys.bgpConditions);
  if (bgp === undefined) return out;
  const all = ['any', 'all', 'invert'] as const;
  const ma = optionalTable(bgp, 'match-as-path-set', bgpPath, keys.matchAsPathSet);
  if (ma !== undefined) {
    const p = child(bgpPath, 'match-as-path-set');
    out.push(new AsPathCondition(lookup(sets.asPathSets, ma, 'as-path-set', p, 'as-path set'), matchOption(ma, p, all)));
  }
  const mc = optionalTable(bgp, 'match-community-set', bgpPath, keys.matchCommunitySet);
  if (mc !== undefined) {
    const p = child(bgpPath, 'match-community-set');
    out.push(new CommunityCondition(lookup(sets.communitySets, mc, 'community-set', p, 'community set'), matchOption(mc, p, all)));
  }
  const me = optionalTable(bgp, 'match-ext-community-set', bgpPath, keys.matchExtCommunitySet);
  if (me !== undefined) {
    const p = child(bgpPath, 'match-ext-community-set');
    out.push(new ExtCommunityCondition(lookup(sets.extCommunitySets, me, 'ext-community-set', p, 'ext-community set'), matchOption(me, p, all)));
  }
  const ml = optionalTable(bgp, 'match-large-community-set', bgpPath, keys.matchLargeCommunitySet);
  if (ml !== undefined) {
    const p = child(bgpPath, 'match-large-community-set');
    out.push(new LargeCommunityCondition(lookup(sets.largeCommunitySets, ml, 'large-community-set', p, 'large-community set'), matchOption(ml, p, all)));
  }
  const len = optionalTable(bgp, 'as-path-length', bgpPath, keys.asPathLength);
  if (len !== undefined) {
    const p = child(bgpPath, 'as-path-length');
    const operators: Readonly<Record<string, LengthOperator>> = { eq: 'eq', ge: 'ge', le: 'le', 'attribute-eq': 'eq', 'attribute-ge': 'ge', 'attribute-le': 'le' };
    const opPath = child(p, 'operator');
    if (len['operator'] === undefined) failWith(opPath, 'missing ("eq", "ge" or "le")');
    const op = typeof len['operator'] === 'string' ? operators[len['operator']] : undefined;
    if (op === undefined) fail(opPath, '"eq", "ge" or "le"', len['operator']);
    const valuePath = child(p, 'value');
    if (len['value'] === undefined) failWith(valuePath, 'missing (the AS_PATH length to compare with)');
    out.push(new AsPathLengthCondition(op, integer(len['value'], valuePath, 0, maxUint32)));
  }
  return out;
}

const dispositions: Readonly<Record<string, Disposition>> = { 'accept-route': Disposition.accept, 'reject-route': Disposition.reject, none: Disposition.none };

function readActions(statement: Table, statementPath: string): { actions: Action[]; disposition: Disposition } {
  const path = child(statementPath, 'actions');
  const a = optionalTable(statement, 'actions', statementPath, keys.actions);
  if (a === undefined) return { actions: [], disposition: Disposition.none };
  let disposition: Disposition = Disposition.none;
  if (a['route-disposition'] !== undefined) {
    const v = a['route-disposition'];
    const found = typeof v === 'string' ? dispositions[v] : undefined;
    if (found === undefined) fail(child(path, 'route-disposition'), '"accept-route", "reject-route" or "none"', v);
    disposition = found;
  }
  const bgpPath = child(path, 'bgp-actions');
  const bgp = optionalTable(a, 'bgp-actions', path, keys.bgpActions);
  if (bgp === undefined) return { actions: [], disposition };
  const actions: Action[] = [];
  // gobgpd's order of modifications: communities, MED, LOCAL_PREF, prepend, next hop.
  const community = readCommunityAction(bgp, bgpPath, 'set-community', keys.setCommunity, 'set-community-method', keys.setCommunityMethod, (op, list, p) => {
    if (op === 'remove') return new CommunityAction(op, [], new CommunityMatcher(list.map((s, i) => member(parseCommunityMember, s, `${p}[${i}]`))));
    return new CommunityAction(op, list.map((s, i) => member(parseCommunity, s, `${p}[${i}]`)));
  });
  if (community !== undefined) actions.push(community);
  const ext = readCommunityAction(bgp, bgpPath, 'set-ext-community', keys.setExtCommunity, 'set-ext-community-method', keys.setExtCommunityMethod, (op, list, p) => {
    if (op === 'remove') return new ExtCommunityAction(op, [], new ExtCommunityMatcher(list.map((s, i) => member(parseExtCommunityMember, s, `${p}[${i}]`))));
    return new ExtCommunityAction(op, list.map((s, i) => member(parseExtCommunity, s, `${p}[${i}]`)));
  });
  if (ext !== undefined) actions.push(ext);
  const large = readCommunityAction(bgp, bgpPath, 'set-large-community', keys.setLargeCommunity, 'set-large-community-method', keys.setLargeCommunityMethod, (op, list, p) => {
    if (op === 'remove') return new LargeCommunityAction(op, [], new LargeCommunityMatcher(list.map((s, i) => member(parseLargeCommunityMember, s, `${p}[${i}]`))));
    return new LargeCommunityAction(op, list.map((s, i) => member(parseLargeCommunity, s, `${p}[${i}]`)));
  });
  if (large !== undefined) actions.push(large);
  if (bgp['set-med'] !== undefined) actions.push(readMed(bgp['set-med'], child(bgpPath, 'set-med')));
  if (bgp['set-local-pref'] !== undefined) {
    const value = integer(bgp['set-local-pref'], child(bgpPath, 'set-local-pref'), 0, maxUint32);
    // As gobgpd: 0 is the unset value of the key, not a LOCAL_PREF to write.
    if (value !== 0) actions.push(new SetLocalPrefAction(value));
  }
  const prepend = optionalTable(bgp, 'set-as-path-prepend', bgpPath, keys.prepend);
  if (prepend !== undefined) actions.push(readPrepend(prepend, child(bgpPath, 'set-as-path-prepend')));
  if (bgp['set-next-hop'] !== undefined) actions.push(readNextHop(bgp['set-next-hop'], child(bgpPath, 'set-next-hop')));
  return { actions, disposition };
}

function readCommunityAction(
  bgp: Table,
  bgpPath: string,
  key: string,
  keySet: KeySet,
  methodKey: string,
  methodKeySet: KeySet,
  make: (op: CommunityOperation, list: readonly string[], listPath: string) => Action,
): Action | undefined {
  const t = optionalTable(bgp, key, bgpPath, keySet);
  if (t === undefined) return undefined;
  const path = child(bgpPath, key);
  const optionsPath = child(path, 'options');
  if (t['options'] === undefined) failWith(optionsPath, 'missing ("add", "remove" or "replace")');
  // gobgpd reads the option case-insensitively; its own documentation writes "ADD".
  const op = typeof t['options'] === 'string' ? t['options'].toLowerCase() : undefined;
  if (op !== 'add' && op !== 'remove' && op !== 'replace') fail(optionsPath, '"add", "remove" or "replace"', t['options']);
  const methodPath = child(path, methodKey);
  const method = optionalTable(t, methodKey, path, methodKeySet);
  const listPath = child(methodPath, 'communities-list');
  const list = method === undefined ? [] : optionalArray(method, 'communities-list', methodPath).map((v, i) => text(v, `${listPath}[${i}]`, 'a string'));
  // "replace" with an empty list removes the attribute; an empty add or remove is a slip.
  if (list.length === 0 && op !== 'replace') failWith(listPath, `missing: "${op}" needs at least one value`);
  return make(op, list, listPath);
}

function readMed(value: unknown, path: string): SetMedAction {
  const what = '"VALUE" to set, "+VALUE" or "-VALUE" to add or subtract (0 to 4294967295)';
  const s = text(value, path, what);
  const m = /^([+-]?)(\d{1,10})$/.exec(s);
  if (m === null || Number(m[2]) > maxUint32) fail(path, what, value);
  const n = Number(m[2]);
  if (m[1] === '') return new SetMedAction('set', n);
  return new SetMedAction('add', m[1] === '-' ? -n : n);
}

function readPrepend(t: Table, path: string): AsPathPrependAction {
  const asPath = child(path, 'as');
  if (t['as'] === undefined) failWith(asPath, 'missing (an AS number, or "last-as")');
  const what = `an AS number from 1 to ${maxUint32}, or "last-as"`;
  const asText = text(t['as'], asPath, what);
  let asn: number | 'last-as';
  if (asText === 'last-as') asn = 'last-as';
  else {
    if (!/^\d{1,10}$/.test(asText) || Number(asText) < 1 || Number(asText) > maxUint32) fail(asPath, what, t['as']);
    asn = Number(asText);
  }
  const repeatPath = child(path, 'repeat-n');
  if (t['repeat-n'] === undefined) failWith(repeatPath, 'missing (how many times to prepend, 1 to 255)');
  return new AsPathPrependAction(asn, integer(t['repeat-n'], repeatPath, 1, 255));
}

function readNextHop(value: unknown, path: string): NextHopAction {
  const what = '"self" or an IP address';
  const s = string(value, path, what);
  if (s.toLowerCase() === 'self') return new NextHopAction('self');
  if (s.toLowerCase() === 'unchanged' || s.toLowerCase() === 'peer-address') failWith(path, `"${s}" is not supported by tsbgpd yet (use "self" or an address)`);
  if (!isIPv4(s) && !isIPv6(s)) fail(path, what, value);
  const addr = parseAddress(s);
  if (addr.every((b) => b === 0)) fail(path, `${what} other than the unspecified address`, value);
  return new NextHopAction(addr);
}

// ---- apply-policy

type DefaultDisposition = typeof Disposition.accept | typeof Disposition.reject;

/**
 * What one `apply-policy.config` writes; a key left out is undefined and is taken from
 * the next layer (neighbor, then peer group, then global, then gobgpd's defaults).
 */
export interface ApplyPolicySettings {
  readonly importPolicies?: readonly Policy[];
  readonly defaultImport?: DefaultDisposition;
  readonly exportPolicies?: readonly Policy[];
  readonly defaultExport?: DefaultDisposition;
}

/** Reads an `apply-policy` table (global's, a neighbor's or a peer group's) at `path`. */
export function parseApplyPolicy(value: unknown, path: string, policies: ReadonlyMap<string, Policy>): ApplyPolicySettings {
  if (value === undefined) return {};
  const t = table(value, path, keys.applyPolicy);
  const cfgPath = child(path, 'config');
  const cfg = optionalTable(t, 'config', path, keys.applyPolicyConfig);
  if (cfg === undefined) return {};
  const list = (key: string): readonly Policy[] | undefined => {
    if (cfg[key] === undefined) return undefined;
    const p = child(cfgPath, key);
    const seen = new Map<string, string>();
    return array(cfg[key], p).map((v, i) => {
      const ip = `${p}[${i}]`;
      const n = string(v, ip, 'a policy name');
      const policy = policies.get(n);
      if (policy === undefined) {
        const defined = [...policies.keys()].map((k) => JSON.stringify(k)).join(', ');
        failWith(ip, `unknown policy ${JSON.stringify(n)} (${defined === '' ? 'no [[policy-definitions]] defined' : `defined: ${defined}`})`);
      }
      claimName(seen, n, ip, 'policy');
      return policy;
    });
  };
  const def = (key: string): DefaultDisposition | undefined => {
    const v = cfg[key];
    if (v === undefined) return undefined;
    if (v === 'accept-route') return Disposition.accept;
    if (v === 'reject-route') return Disposition.reject;
    fail(child(cfgPath, key), '"accept-route" or "reject-route"', v);
  };
  const out: { -readonly [K in keyof ApplyPolicySettings]: ApplyPolicySettings[K] } = {};
  const importPolicies = list('import-policy-list');
  const defaultImport = def('default-import-policy');
  const exportPolicies = list('export-policy-list');
  const defaultExport = def('default-export-policy');
  if (importPolicies !== undefined) out.importPolicies = importPolicies;
  if (defaultImport !== undefined) out.defaultImport = defaultImport;
  if (exportPolicies !== undefined) out.exportPolicies = exportPolicies;
  if (defaultExport !== undefined) out.defaultExport = defaultExport;
  return out;
}

/**
 * A peer's policies from its layers of settings, most specific first (neighbor, peer
 * group, global): each of the four keys comes from the first layer that writes it, else
 * gobgpd's default (no policies, accept-route). So a neighbor with its own import list
 * does not also run the global one, as a gobgpd route-server client's lists replace the
 * global ones; every peer gets this, not only route-server clients.
 */
export function peerPolicies(...layers: readonly (ApplyPolicySettings | undefined)[]): PeerPolicies {
  const pick = <K extends keyof ApplyPolicySettings>(key: K): ApplyPolicySettings[K] => {
    for (const layer of layers) if (layer?.[key] !== undefined) return layer[key];
    return undefined;
  };
  return {
    import: new PolicyAssignment(pick('importPolicies') ?? [], pick('defaultImport') ?? Disposition.accept),
    export: new PolicyAssignment(pick('exportPolicies') ?? [], pick('defaultExport') ?? Disposition.accept),
  };
}

/** The policy part of a configuration file. */
export interface PolicyConfig {
  readonly definedSets: DefinedSets;
  /** Policies by name, in configuration order. */
  readonly policies: ReadonlyMap<string, Policy>;
  /** `global.apply-policy`: the layer every peer falls back to. */
  readonly global: ApplyPolicySettings;
}

/**
 * Reads `defined-sets`, `policy-definitions` and `global.apply-policy` from the whole
 * parsed file (other keys are the daemon loader's). Neighbors' and peer groups'
 * `apply-policy` go through `parseApplyPolicy` with `policies`, then `peerPolicies`.
 */
export function parsePolicyConfig(top: unknown): PolicyConfig {
  if (!isTable(top)) fail('', 'a table', top);
  const definedSets = parseDefinedSets(top['defined-sets']);
  const policies = parsePolicyDefinitions(top['policy-definitions'], definedSets);
  const global = top['global'];
  const globalApply = isTable(global) ? parseApplyPolicy(global['apply-policy'], 'global.apply-policy', policies) : {};
  return { definedSets, policies, global: globalApply };
}
