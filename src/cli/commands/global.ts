// `tsbgp global`: the speaker's settings (GetBgp), its RIB (see rib.ts), routes added
// and removed by hand (AddPath / DeletePath, RFC 4271 path attributes; IPv6 in
// MP_REACH_NLRI, RFC 4760), and its policy assignment (see policy.ts).

import { Afi, formatAddress, formatPrefix, type Prefix } from '../../lib/address.js';
import { NlriList } from '../../wire/nlri.js';
import { AsSegmentType, Origin, type AsPathSegment, type PathAttributes } from '../../wire/attributes/types.js';
import { attributesToAny, prefixToAny } from '../../api/convert.js';
import { TableType } from '../../api/apipb.js';
import { afiName, parseAddressArg, parseFamily, parseNumberArg, parsePrefixArg, UsageError, type IpAfi } from '../args.js';
import { exitOk, type Command, type CommandContext } from '../command.js';
import { communityByName, formatGlobal } from '../format.js';
import { jsonLine, apiMessageJson } from '../json.js';
import { showTable } from './rib.js';
import { showAssignment } from './policy.js';

export const globalUsage = `Usage: tsbgp global [-j]
       tsbgp global rib [-a ipv4|ipv6] [-j] [PREFIX|ADDRESS [longer-prefixes|shorter-prefixes]]
       tsbgp global rib [-a ipv4|ipv6] [-j] summary
       tsbgp global rib add PREFIX nexthop ADDRESS [origin igp|egp|incomplete] [aspath ASPATH]
                        [med N] [local-pref N] [community COMMUNITY[,COMMUNITY...]]
       tsbgp global rib del PREFIX
       tsbgp global rib [-a ipv4|ipv6] del all
       tsbgp global policy [import|export] [add|del|set POLICY... [default accept|reject]]
`;

const help = `${globalUsage}
  global                 the speaker's AS, router ID, listening port and multipath setting
  global rib             the best and other paths of every prefix ("*>" best, "S" stale);
                         an ADDRESS shows the longest prefix holding it
  global rib summary     how many destinations and paths the table holds
  global rib add         originate a route: ASPATH is AS numbers separated by commas, a
                         {set} in braces ("65001,65002,{65003,65004}"); COMMUNITY is AS:N
                         or a well-known name (no-export, no-advertise, blackhole, ...).
                         Without origin the route is incomplete ("?"), as with gobgp.
  global rib del         withdraw a route added with "add"; "del all" every one of the family
  global policy          the global import/export policy assignment (ListPolicyAssignment);
                         add, del and set change it (see tsbgp policy --help)

The family is that of the PREFIX or ADDRESS given, else -a (default ipv4).
`;

const originNames: Readonly<Record<string, Origin>> = { igp: Origin.igp, egp: Origin.egp, incomplete: Origin.incomplete };
const maxAsn = 0xffffffff;

/** "65001,65002,{65003,65004}" (commas or spaces) as AS_PATH segments (RFC 4271 4.3). */
export function parseAsPath(text: string): AsPathSegment[] {
  const segments: AsPathSegment[] = [];
  let sequence: number[] = [];
  const flush = (): void => {
    if (sequence.length > 0) segments.push({ type: AsSegmentType.sequence, asns: sequence });
    sequence = [];
  };
  const asn = (t: string): number => parseNumberArg(t, 'aspath', maxAsn, globalUsage);
  for (const token of text.match(/\{[^}]*\}|[^\s,{}]+|[{}]/g) ?? []) {
    if (token.startsWith('{')) {
      if (!token.endsWith('}')) throw new UsageError(`aspath: unbalanced braces in "${text}"`, globalUsage);
      flush();
      const set = token.slice(1, -1).split(/[\s,]+/).filter((t) => t !== '');
      if (set.length === 0) throw new UsageError(`aspath: empty set in "${text}"`, globalUsage);
      segments.push({ type: AsSegmentType.set, asns: set.map(asn) });
    } else {
      if (token === '}') throw new UsageError(`aspath: unbalanced braces in "${text}"`, globalUsage);
      sequence.push(asn(token));
    }
  }
  flush();
  return segments;
}

/** "65000:100,no-export" as RFC 1997 community values. */
export function parseCommunities(text: string): number[] {
  return text.split(',').map((t) => {
    const named = communityByName.get(t);
    if (named !== undefined) return named;
    const m = /^(\d+):(\d+)$/.exec(t);
    if (m !== null && Number(m[1]) <= 0xffff && Number(m[2]) <= 0xffff) return Number(m[1]) * 0x10000 + Number(m[2]);
    if (/^\d+$/.test(t) && Number(t) <= 0xffffffff) return Number(t);
    throw new UsageError(`community: expected AS:N (each 0 to 65535) or a name such as no-export, got "${t}"`, globalUsage);
  });
}

const addKeywords = ['nexthop', 'origin', 'aspath', 'med', 'local-pref', 'community'] as const;
type AddKeyword = (typeof addKeywords)[number];

function familyFor(prefix: Prefix, explicit: IpAfi | undefined): IpAfi {
  const afi = prefix.afi === Afi.ipv4 ? Afi.ipv4 : Afi.ipv6;
  if (explicit !== undefined && explicit !== afi) throw new UsageError(`${formatPrefix(prefix)} is not an ${afiName(explicit)} prefix`, globalUsage);
  return afi;
}

async function addRoute(ctx: CommandContext, args: readonly string[]): Promise<number> {
  if (args.length === 0) throw new UsageError('add needs a prefix', globalUsage);
  const prefix = parsePrefixArg(args[0]!, globalUsage);
  const afi = familyFor(prefix, parseFamily(ctx.values['address-family']));
  const given = new Map<AddKeyword, string>();
  for (let i = 1; i < args.length; i += 2) {
    const key = args[i]!;
    if (!(addKeywords as readonly string[]).includes(key)) throw new UsageError(`unknown route property "${key}" (expected ${addKeywords.join(', ')})`, globalUsage);
    if (given.has(key as AddKeyword)) throw new UsageError(`${key} given twice`, globalUsage);
    const value = args[i + 1];
    if (value === undefined) throw new UsageError(`${key} needs a value`, globalUsage);
    given.set(key as AddKeyword, value);
  }
  const nextHopText = given.get('nexthop');
  if (nextHopText === undefined) throw new UsageError('add needs "nexthop ADDRESS"', globalUsage);
  const nextHop = parseAddressArg(nextHopText, 'nexthop', globalUsage);
  if (nextHop.length !== (afi === Afi.ipv4 ? 4 : 16)) throw new UsageError(`nexthop: an ${afiName(afi)} route needs an ${afiName(afi)} next hop, got ${nextHopText}`, globalUsage);
  const originText = given.get('origin') ?? 'incomplete';
  const origin = originNames[originText];
  if (origin === undefined) throw new UsageError(`origin: expected igp, egp or incomplete, got "${originText}"`, globalUsage);
  const attrs: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = { origin };
  const asPath = given.get('aspath');
  if (asPath !== undefined) attrs.asPath = parseAsPath(asPath);
  // RFC 4271 5.1.3: IPv4 unicast carries NEXT_HOP; IPv6 goes in MP_REACH_NLRI (RFC 4760 3).
  if (afi === Afi.ipv4) attrs.nextHop = nextHop;
  else attrs.mpReach = { afi, safi: 1, nextHop, nlri: NlriList.from([prefix], afi) };
  const med = given.get('med');
  if (med !== undefined) attrs.med = parseNumberArg(med, 'med', 0xffffffff, globalUsage);
  const localPref = given.get('local-pref');
  if (localPref !== undefined) attrs.localPref = parseNumberArg(localPref, 'local-pref', 0xffffffff, globalUsage);
  const communities = given.get('community');
  if (communities !== undefined) attrs.communities = parseCommunities(communities);
  const res = await ctx.connection.call(`global rib add ${formatPrefix(prefix)}`, (api) =>
    api.addPath({ table_type: TableType.global, path: { nlri: prefixToAny(prefix), pattrs: attributesToAny(attrs), family: { afi, safi: 1 } } }),
  );
  if (ctx.isJson) ctx.io.out(jsonLine({ prefix: formatPrefix(prefix), nexthop: formatAddress(nextHop), uuid: uuidText(res.uuid) }));
  return exitOk;
}

function uuidText(bytes: Uint8Array | undefined): string {
  const hex = Buffer.from(bytes ?? new Uint8Array(0)).toString('hex');
  return hex.length === 32 ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : hex;
}

async function deleteRoute(ctx: CommandContext, args: readonly string[]): Promise<number> {
  if (args.length !== 1) throw new UsageError(args.length === 0 ? 'del needs a prefix, or "all"' : `unexpected "${args[1]}" after the prefix`, globalUsage);
  const explicit = parseFamily(ctx.values['address-family']);
  if (args[0] === 'all') {
    const afi = explicit ?? Afi.ipv4;
    await ctx.connection.call('global rib del all', (api) => api.deletePath({ table_type: TableType.global, family: { afi, safi: 1 } }));
  } else {
    const prefix = parsePrefixArg(args[0]!, globalUsage);
    const afi = familyFor(prefix, explicit);
    await ctx.connection.call(`global rib del ${formatPrefix(prefix)}`, (api) =>
      api.deletePath({ table_type: TableType.global, family: { afi, safi: 1 }, path: { nlri: prefixToAny(prefix), family: { afi, safi: 1 } } }),
    );
  }
  if (ctx.isJson) ctx.io.out(jsonLine({}));
  return exitOk;
}

async function run(ctx: CommandContext): Promise<number> {
  const [verb, ...rest] = ctx.words;
  switch (verb) {
    case undefined: {
      const res = await ctx.connection.call('global', (api) => api.getBgp());
      ctx.io.out(ctx.isJson ? jsonLine(apiMessageJson(res.global ?? {}, 'apipb.Global')) : formatGlobal(res.global ?? {}));
      return exitOk;
    }
    case 'rib':
      if (rest[0] === 'add') return addRoute(ctx, rest.slice(1));
      if (rest[0] === 'del') return deleteRoute(ctx, rest.slice(1));
      return showTable(ctx, { tableType: TableType.global, defaultAfi: Afi.ipv4, layout: 'global', title: 'global rib' }, rest, globalUsage);
    case 'policy':
      return showAssignment(ctx, 'global', rest, globalUsage);
    default:
      throw new UsageError(`unknown global subcommand "${verb}"`, globalUsage);
  }
}

export const globalCommand: Command = { name: 'global', options: ['address-family'], isRemote: true, usage: globalUsage, help, run };
