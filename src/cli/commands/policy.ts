// `tsbgp policy` and the `policy` verbs of `global` and `neighbor`: defined sets,
// statements, policies and their assignment, listed in gobgp's text (or -j JSON) and
// changed with gobgp's verbs (AddDefinedSet, AddPolicy, AddPolicyAssignment and their
// Delete/Set forms). Statements' conditions and actions are listed here; they are
// written with `gobgp policy statement NAME add ...` or the configuration file.

import { isIP } from 'node:net';
import { DefinedType, MedActionType, RouteAction, type DefinedSet, type PolicyAssignmentMessage, type PolicyMessage, type StatementMessage } from '../../api/apipb.js';
import { UsageError } from '../args.js';
import { ApiCallError, exitOk, type Command, type CommandContext } from '../command.js';
import { apiMessageJson, jsonLine, type Json } from '../json.js';

export const policyUsage = `Usage: tsbgp policy [NAME]
       tsbgp policy add NAME STATEMENT... | del NAME
       tsbgp policy statement [NAME]
       tsbgp policy prefix|neighbor|as-path|community|ext-community|large-community [NAME]
       tsbgp policy prefix add|del NAME [PREFIX [MIN..MAX]]
       tsbgp policy neighbor|as-path|community|ext-community|large-community add|del NAME [VALUE...]
       tsbgp global policy [import|export] [add|del|set POLICY... [default accept|reject]]
       tsbgp neighbor ADDRESS policy [import|export] [add|del|set POLICY... [default accept|reject]]
`;

const help = `${policyUsage}
  policy [NAME]            routing policies and their statements (ListPolicy)
  policy add NAME STMT...  a policy of existing statements (AddPolicy); del removes it
  policy statement [NAME]  statements (ListStatement)
  policy SET-TYPE [NAME]   defined sets of that type (ListDefinedSet)
  policy SET-TYPE add ...  members added to a set, made if new (AddDefinedSet); del
                           removes the members named, or the whole set without any
  global policy            policies assigned to the global RIB: every peer's unless
                           the peer has its own (ListPolicyAssignment)
  neighbor ADDR policy     policies assigned to one neighbor (tsbgpd applies them to
                           every peer, not only route-server clients)
  ... policy DIR add|del|set   assign (AddPolicyAssignment), unassign, or replace the
                           list; "default accept|reject" sets what no statement decides

Changes take effect at once: import policies run again over what peers sent, exports
are re-sent. Statements are written with the stock gobgp CLI
(gobgp policy statement NAME add condition|action ...) or in the configuration file.
The text is gobgp's; -j prints JSON (gobgp's shapes).
`;

/** Set types by the word gobgp uses, with the column title of its listing. */
const setTypes: Readonly<Record<string, { readonly type: number; readonly title: string }>> = {
  prefix: { type: DefinedType.prefix, title: 'PREFIX' },
  neighbor: { type: DefinedType.neighbor, title: 'ADDRESS' },
  'as-path': { type: DefinedType.asPath, title: 'AS-PATH' },
  community: { type: DefinedType.community, title: 'COMMUNITY' },
  'ext-community': { type: DefinedType.extCommunity, title: 'EXT-COMMUNITY' },
  'large-community': { type: DefinedType.largeCommunity, title: 'LARGE-COMMUNITY' },
};

const directions: Readonly<Record<string, number>> = { import: 1, export: 2 };

// ---- gobgp's text

/** `gobgp policy prefix`: a NAME column, then each member on its own line. */
export function formatDefinedSets(sets: readonly DefinedSet[], title: string): string {
  const width = Math.max(4, ...sets.map((s) => (s.name ?? '').length));
  const lines = [`${'NAME'.padEnd(width)}  ${title}`];
  for (const s of sets) {
    const members = (s.defined_type ?? 0) === DefinedType.prefix ? (s.prefixes ?? []).map((p) => `${p.ip_prefix ?? ''} ${p.mask_length_min ?? 0}..${p.mask_length_max ?? 0}`) : (s.list ?? []);
    members.forEach((m, i) => lines.push(`${(i === 0 ? (s.name ?? '') : '').padEnd(width)}  ${m}`));
    if (members.length === 0) lines.push(`${(s.name ?? '').padEnd(width)}  `);
  }
  return lines.join('\n') + '\n';
}

const matchTypes = ['any', 'all', 'invert'];
const communityTypes = ['add', 'remove', 'replace'];
const lengthTypes = ['=', '>=', '<='];

/** A statement as gobgp prints it, each line indented by `indent`. */
export function formatStatement(s: StatementMessage, indent: string): string {
  const out = [`${indent}StatementName ${s.name ?? ''}:`, `${indent}  Conditions:`];
  const c = s.conditions ?? {};
  const set = (label: string, m: { type?: number; name?: string } | null | undefined, trailer = ''): void => {
    if ((m?.name ?? '') !== '') out.push(`${indent}    ${label}: ${matchTypes[m?.type ?? 0] ?? 'any'} ${m?.name}${trailer}`);
  };
  // gobgp writes a space after the prefix set's name, and only there.
  set('PrefixSet', c.prefix_set, ' ');
  set('NeighborSet', c.neighbor_set);
  set('AsPathSet', c.as_path_set);
  set('CommunitySet', c.community_set);
  set('ExtCommunitySet', c.ext_community_set);
  set('LargeCommunitySet', c.large_community_set);
  if (c.as_path_length !== null && c.as_path_length !== undefined) out.push(`${indent}    AsPathLength: ${lengthTypes[c.as_path_length.type ?? 0] ?? '='}${c.as_path_length.length ?? 0}`);
  out.push(`${indent}  Actions:`);
  const a = s.actions ?? {};
  const community = (label: string, v: { type?: number; communities?: string[] } | null | undefined): void => {
    if (v !== null && v !== undefined) out.push(`${indent}     ${label}:  ${communityTypes[v.type ?? 0] ?? 'add'}[${(v.communities ?? []).join(', ')}]`);
  };
  community('Community', a.community);
  community('ExtCommunity', a.ext_community);
  community('LargeCommunity', a.large_community);
  if (a.med !== null && a.med !== undefined) {
    const v = a.med.value ?? 0;
    out.push(`${indent}     MED:  ${a.med.type === MedActionType.replace ? v : v >= 0 ? `+${v}` : v}`);
  }
  if (a.local_pref !== null && a.local_pref !== undefined) out.push(`${indent}     LocalPref:  ${a.local_pref.value ?? 0}`);
  if (a.as_prepend !== null && a.as_prepend !== undefined) {
    out.push(`${indent}     ASPathPrepend:  prepend ${a.as_prepend.use_left_most === true ? 'last-as' : (a.as_prepend.asn ?? 0)} ${a.as_prepend.repeat ?? 0} times`);
  }
  if (a.nexthop !== null && a.nexthop !== undefined) out.push(`${indent}     Nexthop:  ${a.nexthop.self === true ? 'self' : a.nexthop.unchanged === true ? 'unchanged' : (a.nexthop.address ?? '')}`);
  if (a.route_action === RouteAction.accept) out.push(`${indent}     accept`);
  if (a.route_action === RouteAction.reject) out.push(`${indent}     reject`);
  return out.join('\n') + '\n';
}

export function formatPolicy(p: PolicyMessage, indent: string): string {
  return `${indent}Name ${p.name ?? ''}:\n${(p.statements ?? []).map((s) => formatStatement(s, `${indent}    `)).join('')}`;
}

/**
 * `gobgp global policy`: both directions indented under their titles; with one
 * direction asked for, gobgp prints the same without the indent.
 */
export function formatAssignments(assignments: readonly PolicyAssignmentMessage[], isOneDirection: boolean): string {
  const indent = isOneDirection ? '' : '    ';
  return assignments
    .map((a) => {
      const title = a.direction === 2 ? 'Export policy:' : 'Import policy:';
      const def = a.default_action === RouteAction.reject ? 'REJECT' : a.default_action === RouteAction.accept ? 'ACCEPT' : 'NONE';
      return `${title}\n${indent}Default: ${def}\n${(a.policies ?? []).map((p) => formatPolicy(p, indent)).join('')}`;
    })
    .join('');
}

function printJson(ctx: CommandContext, items: readonly unknown[], type: string): void {
  ctx.io.out(jsonLine(items.map((i) => apiMessageJson(i, type)) as Json));
}

// ---- verbs

/** `... policy [import|export] [add|del|set POLICY... [default accept|reject]]` of "global" or a neighbor address. */
export async function showAssignment(ctx: CommandContext, name: string, args: readonly string[], usage: string): Promise<number> {
  const [dirWord, verb, ...rest] = args;
  const direction = dirWord === undefined ? 0 : directions[dirWord];
  if (direction === undefined) throw new UsageError(`expected import or export, got "${dirWord}"`, usage);
  const title = `${name === 'global' ? 'global' : `neighbor ${name}`} policy${dirWord === undefined ? '' : ` ${dirWord}`}`;
  if (verb === undefined) {
    const list = await ctx.connection.call(title, (api) => api.listPolicyAssignment({ name, direction }));
    if (ctx.isJson) printJson(ctx, list, 'apipb.PolicyAssignment');
    else ctx.io.out(formatAssignments(list, direction !== 0));
    return exitOk;
  }
  if (verb !== 'add' && verb !== 'del' && verb !== 'set') throw new UsageError(`expected add, del or set, got "${verb}"`, usage);
  const names = [...rest];
  let defaultAction: number = RouteAction.none;
  const at = names.indexOf('default');
  if (at >= 0) {
    const word = names[at + 1];
    if (word !== 'accept' && word !== 'reject') throw new UsageError(`"default" takes accept or reject, got ${word === undefined ? 'nothing' : `"${word}"`}`, usage);
    if (names.length > at + 2) throw new UsageError(`unexpected "${names[at + 2]}" after the default`, usage);
    defaultAction = word === 'accept' ? RouteAction.accept : RouteAction.reject;
    names.splice(at, 2);
  }
  if (verb !== 'del' && names.length === 0 && defaultAction === RouteAction.none) throw new UsageError(`${verb} needs policy names or a default`, usage);
  const assignment: PolicyAssignmentMessage = { name, direction, policies: names.map((n) => ({ name: n })), default_action: defaultAction };
  const what = `${title} ${verb}`;
  if (verb === 'add') await ctx.connection.call(what, (api) => api.addPolicyAssignment({ assignment }));
  else if (verb === 'set') await ctx.connection.call(what, (api) => api.setPolicyAssignment({ assignment }));
  else await ctx.connection.call(what, (api) => api.deletePolicyAssignment({ assignment, all: names.length === 0 }));
  if (ctx.isJson) ctx.io.out(jsonLine({}));
  return exitOk;
}

async function definedSets(ctx: CommandContext, word: string, args: readonly string[]): Promise<number> {
  const { type, title } = setTypes[word]!;
  const [verb, name, ...members] = args;
  if (verb !== 'add' && verb !== 'del') {
    if (name !== undefined) throw new UsageError(`unexpected "${name}"`, policyUsage);
    const sets = await ctx.connection.call(`policy ${word}${verb === undefined ? '' : ` ${verb}`}`, (api) => api.listDefinedSet({ defined_type: type, name: verb ?? '' }));
    if (ctx.isJson) printJson(ctx, sets, 'apipb.DefinedSet');
    else ctx.io.out(sets.length === 0 ? 'Nothing defined yet\n' : formatDefinedSets(sets, title));
    return exitOk;
  }
  if (name === undefined) throw new UsageError(`policy ${word} ${verb} needs a set name`, policyUsage);
  const set: DefinedSet = { defined_type: type, name };
  if (type === DefinedType.prefix) {
    const [prefix, range, extra] = members;
    if (extra !== undefined) throw new UsageError(`unexpected "${extra}" (one prefix, and its MIN..MAX, per call)`, policyUsage);
    if (prefix !== undefined) {
      const m = range === undefined ? undefined : /^(\d{1,3})\.\.(\d{1,3})$/.exec(range);
      if (range !== undefined && (m === undefined || m === null)) throw new UsageError(`expected a length range MIN..MAX, got "${range}"`, policyUsage);
      set.prefixes = [{ ip_prefix: prefix, ...(m === undefined || m === null ? {} : { mask_length_min: Number(m[1]), mask_length_max: Number(m[2]) }) }];
    } else if (verb === 'add') throw new UsageError('policy prefix add needs a prefix', policyUsage);
  } else {
    if (verb === 'add' && members.length === 0) throw new UsageError(`policy ${word} add needs at least one value`, policyUsage);
    if (type === DefinedType.neighbor) for (const m of members) if (isIP(m.split('/')[0] ?? '') === 0) throw new UsageError(`expected an address or prefix, got "${m}"`, policyUsage);
    set.list = members;
  }
  const what = `policy ${word} ${verb} ${name}`;
  if (verb === 'add') await ctx.connection.call(what, (api) => api.addDefinedSet({ defined_set: set }));
  else await ctx.connection.call(what, (api) => api.deleteDefinedSet({ defined_set: set, all: members.length === 0 }));
  if (ctx.isJson) ctx.io.out(jsonLine({}));
  return exitOk;
}

async function run(ctx: CommandContext): Promise<number> {
  const [first, ...rest] = ctx.words;
  if (first !== undefined && first in setTypes) return definedSets(ctx, first, rest);
  if (first === 'statement') {
    if (rest.length > 1) throw new UsageError(`unexpected "${rest[1]}" (statements are edited with gobgp policy statement NAME add ...)`, policyUsage);
    const list = await ctx.connection.call(`policy statement${rest[0] === undefined ? '' : ` ${rest[0]}`}`, (api) => api.listStatement({ name: rest[0] ?? '' }));
    if (ctx.isJson) printJson(ctx, list, 'apipb.Statement');
    else if (list.length === 0 && rest[0] !== undefined) throw new ApiCallError(`not found ${rest[0]}`);
    else ctx.io.out(list.map((s) => formatStatement(s, '')).join(''));
    return exitOk;
  }
  if (first === 'add' || first === 'del') {
    const [name, ...statements] = rest;
    if (name === undefined) throw new UsageError(`policy ${first} needs a policy name`, policyUsage);
    const policy: PolicyMessage = { name, statements: statements.map((s) => ({ name: s })) };
    if (first === 'add') await ctx.connection.call(`policy add ${name}`, (api) => api.addPolicy({ policy, refer_existing_statements: true }));
    else await ctx.connection.call(`policy del ${name}`, (api) => api.deletePolicy({ policy, all: statements.length === 0, preserve_statements: true }));
    if (ctx.isJson) ctx.io.out(jsonLine({}));
    return exitOk;
  }
  if (rest.length > 0) throw new UsageError(`unexpected "${rest[0]}" (a set type is one of ${Object.keys(setTypes).join(', ')})`, policyUsage);
  const list = await ctx.connection.call(first === undefined ? 'policy' : `policy ${first}`, (api) => api.listPolicy({ name: first ?? '' }));
  if (ctx.isJson) printJson(ctx, list, 'apipb.Policy');
  else if (list.length === 0 && first !== undefined) throw new ApiCallError(`not found ${first}`);
  else ctx.io.out(list.map((p) => formatPolicy(p, '')).join(''));
  return exitOk;
}

export const policyCommand: Command = { name: 'policy', options: [], isRemote: true, usage: policyUsage, help, run };
