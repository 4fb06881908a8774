// The text `tsbgp` prints for the speaker and its routes, in the layout of GoBGP's
// `gobgp` CLI (3.x) so that scripts and habits carry over: `global`, the RIB tables,
// `global rib summary` and the monitor lines. Peers are in format-peer.ts.

import type { GetTableResponse, Global } from '../api/apipb.js';
import { asPathOf, nextHopOf, type AsSegmentView, type AttributeView, type ExtCommunityView, type PathView } from './path-view.js';

/** Right- and left-justified text, as printf's %Ns and %-Ns. */
export const padStart = (text: string, width: number): string => text.padStart(width);
export const padEnd = (text: string, width: number): string => text.padEnd(width);

/** How long ago `sinceSec` was: "HH:MM:SS", with "Nd " in front past a day. */
export function formatTimedelta(sinceSec: number, nowSec: number): string {
  const delta = Math.trunc(nowSec) - Math.trunc(sinceSec);
  let rest = Math.abs(delta);
  const secs = rest % 60;
  rest = Math.floor(rest / 60);
  const mins = rest % 60;
  rest = Math.floor(rest / 60);
  const hours = rest % 24;
  const days = Math.floor(rest / 24);
  const two = (n: number): string => String(n).padStart(2, '0');
  const clock = `${two(hours)}:${two(mins)}:${two(secs)}`;
  return `${delta < 0 ? '-' : ''}${days > 0 ? `${days}d ` : ''}${clock}`;
}

/** The UTC second of a wall-clock time, as the monitor lines start: 2019-07-27T07:32:17Z. */
export function formatStamp(wallMs: number): string {
  return new Date(wallMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `tsbgp global`. */
export function formatGlobal(g: Global): string {
  let out = `AS:        ${g.asn ?? 0}\nRouter-ID: ${g.router_id ?? ''}\n`;
  if ((g.listen_port ?? 0) > 0) out += `Listening Port: ${g.listen_port}, Addresses: ${(g.listen_addresses ?? []).join(', ')}\n`;
  // gobgp leaves this line without its newline; ours ends like every other line.
  if (g.use_multiple_paths === true) out += 'Multipath: enabled\n';
  return out;
}

const afiNames: Readonly<Record<number, string>> = { 1: 'AFI_IP', 2: 'AFI_IP6' };
const safiNames: Readonly<Record<number, string>> = { 1: 'SAFI_UNICAST', 2: 'SAFI_MULTICAST' };

/** `tsbgp global rib summary` and `neighbor ADDR adj-in summary`. */
export function formatSummary(afi: number, safi: number, t: GetTableResponse): string {
  return `Table afi:${afiNames[afi] ?? `AFI(${afi})`} safi:${safiNames[safi] ?? `SAFI(${safi})`}\nDestination: ${t.num_destination ?? 0}, Path: ${t.num_path ?? 0}\n`;
}

// ---- path attributes

/** AS_PATH as gobgp shows it: sequences spaced, {sets}, (confed sequences), [confed sets]. */
export function formatAsPath(segments: readonly AsSegmentView[]): string {
  return segments
    .map((s) => {
      switch (s.type) {
        case 1:
          return `{${s.asns.join(',')}}`;
        case 3:
          return `(${s.asns.join(' ')})`;
        case 4:
          return `[${s.asns.join(',')}]`;
        default:
          return s.asns.join(' ');
      }
    })
    .join(' ');
}

/** Well-known communities by the names gobgp prints (RFC 1997, 3765, 7999, 8326, draft names). */
const wellKnownNames: ReadonlyMap<number, string> = new Map([
  [0x00000000, 'internet'],
  [0xffff0000, 'planned-shut'],
  [0xffff0001, 'accept-own'],
  [0xffff0002, 'route-filter-translated-v4'],
  [0xffff0003, 'route-filter-v4'],
  [0xffff0004, 'route-filter-translated-v6'],
  [0xffff0005, 'route-filter-v6'],
  [0xffff0006, 'llgr-stale'],
  [0xffff0007, 'no-llgr'],
  [0xffff029a, 'blackhole'],
  [0xffffff01, 'no-export'],
  [0xffffff02, 'no-advertise'],
  [0xffffff03, 'no-export-subconfed'],
  [0xffffff04, 'no-peer'],
]);

/** Names accepted on the command line: the table above, reversed. */
export const communityByName: ReadonlyMap<string, number> = new Map([...wellKnownNames].map(([n, name]) => [name, n]));

export function formatCommunity(value: number): string {
  return wellKnownNames.get(value) ?? `${value >>> 16}:${value & 0xffff}`;
}

/** An extended community as gobgp shows it; the 4-octet AS in asdot (RFC 5396). */
export function formatExtCommunity(c: ExtCommunityView): string {
  switch (c.kind) {
    case 'two-octet-as':
      return `${c.asn}:${c.localAdmin}`;
    case 'ipv4-address':
      return `${c.address}:${c.localAdmin}`;
    case 'four-octet-as':
      return `${c.asn >>> 16}.${c.asn & 0xffff}:${c.localAdmin}`;
    case 'opaque': {
      // The 7 octets after the type, read as one big-endian number.
      let n = 0n;
      for (const b of c.value.subarray(0, 7)) n = (n << 8n) | BigInt(b);
      return n.toString();
    }
    case 'other':
      return c.typeName;
  }
}

/** Names gobgp gives attribute type codes it knows when showing one undecoded. */
const attrTypeNames: Readonly<Record<number, string>> = {
  1: 'ORIGIN',
  2: 'AS_PATH',
  3: 'NEXT_HOP',
  4: 'MULTI_EXIT_DISC',
  5: 'LOCAL_PREF',
  6: 'ATOMIC_AGGREGATE',
  7: 'AGGREGATOR',
  8: 'COMMUNITIES',
  9: 'ORIGINATOR_ID',
  10: 'CLUSTER_LIST',
  14: 'MP_REACH_NLRI',
  15: 'MP_UNREACH_NLRI',
  16: 'EXTENDED_COMMUNITIES',
  17: 'AS4_PATH',
  18: 'AS4_AGGREGATOR',
  22: 'PMSI_TUNNEL',
  23: 'TUNNEL_ENCAP',
  25: 'IP6_EXTENDED_COMMUNITIES',
  26: 'AIGP',
  29: 'LS',
  32: 'LARGE_COMMUNITY',
  40: 'PREFIX_SID',
};

/** Attribute flag bits (RFC 4271 4.3), lowest first as gobgp lists them. */
const flagNames: readonly (readonly [number, string])[] = [
  [0x10, 'EXTENDED_LENGTH'],
  [0x20, 'PARTIAL'],
  [0x40, 'TRANSITIVE'],
  [0x80, 'OPTIONAL'],
];

const originLetters: Readonly<Record<number, string>> = { 0: 'i', 1: 'e', 2: '?' };

/** Type codes the Attrs column leaves out: shown in their own columns, or merged into AS_PATH (RFC 6793). */
const hiddenCodes: ReadonlySet<number> = new Set([2, 3, 14, 17]);

function formatAttribute(a: AttributeView): string | undefined {
  switch (a.code) {
    case 1:
      return `{Origin: ${originLetters[a.origin] ?? String(a.origin)}}`;
    case 2:
    case 3:
    case 14:
      return undefined;
    case 4:
      return `{Med: ${a.med}}`;
    case 5:
      return `{LocalPref: ${a.localPref}}`;
    case 6:
      return '{AtomicAggregate}';
    case 7:
      return `{Aggregate: {AS: ${a.asn}, Address: ${a.address}}}`;
    case 8:
      return `{Communities: ${a.communities.map(formatCommunity).join(', ')}}`;
    case 9:
      return `{Originator: ${a.id}}`;
    case 10:
      return `{ClusterList: [${a.ids.join(' ')}]}`;
    case 15:
      return `{MpUnreach: [${a.prefixes.join(' ')}]}`;
    case 16:
      return `{Extcomms: ${a.communities.map((c) => `[${formatExtCommunity(c)}]`).join(', ')}}`;
    case 32:
      return `{LargeCommunity: [ ${a.communities.map((c) => c.join(':')).join(', ')}]}`;
    case 'unknown': {
      if (hiddenCodes.has(a.typeCode)) return undefined;
      const flags = flagNames.filter(([bit]) => (a.flags & bit) !== 0).map(([, name]) => name);
      const name = attrTypeNames[a.typeCode];
      return `{Flags: ${flags.join('|')}, Type: ${name === undefined ? `BGPAttrType(${a.typeCode})` : `BGP_ATTR_TYPE_${name}`}, Value: [${[...a.value].join(' ')}]}`;
    }
    case 'other':
      return `{${a.typeName}}`;
  }
}

/** The Attrs column: every attribute but AS_PATH and the next hop, in the order received. */
export function formatAttributes(p: PathView): string {
  return `[${p.attributes.flatMap((a) => formatAttribute(a) ?? []).join(' ')}]`;
}

// ---- tables and monitor lines

/** Which table a listing shows: the columns differ (gobgp's layouts). */
export type TableLayout = 'global' | 'adj-in' | 'adj-out';

/** A RIB listing, paths in the order given; "Network not in table" when empty. */
export function formatRib(paths: readonly PathView[], layout: TableLayout, nowSec: number): string {
  if (paths.length === 0) return 'Network not in table\n';
  const rows = paths.map((p) => ({ p, nextHop: nextHopOf(p) ?? 'fictitious', asPath: formatAsPath(asPathOf(p)) }));
  const widthOf = (texts: readonly string[]): number => Math.max(20, ...texts.map((t) => t.length));
  const wPrefix = widthOf(rows.map((r) => r.p.prefix));
  const wNextHop = widthOf(rows.map((r) => r.nextHop));
  const wAsPath = widthOf(rows.map((r) => r.asPath));
  const hasId = layout !== 'global';
  const hasAge = layout !== 'adj-out';
  const line = (mark: string, id: string, prefix: string, nextHop: string, asPath: string, age: string, attrs: string): string =>
    `${mark}${hasId ? `${padEnd(id, 3)} ` : ''}${padEnd(prefix, wPrefix)} ${padEnd(nextHop, wNextHop)} ${padEnd(asPath, wAsPath)} ${hasAge ? `${padEnd(age, 10)} ` : ''}${attrs}\n`;
  let out = line('   ', 'ID', 'Network', 'Next Hop', 'AS_PATH', 'Age', 'Attrs');
  for (const { p, nextHop, asPath } of rows) {
    const best = layout === 'global' ? (p.isBest ? '*>' : '* ') : '  ';
    const mark = p.isStale ? `S${best}` : `${best} `;
    out += line(mark, String(p.identifier), p.prefix, nextHop, asPath, formatTimedelta(p.ageSec, nowSec), formatAttributes(p));
  }
  return out;
}

/** One route event of `monitor adj-in` / `monitor global rib`. */
export function formatRouteEvent(p: PathView, wallMs: number): string {
  const kind = p.isWithdraw ? 'DELROUTE' : 'ROUTE';
  return `${formatStamp(wallMs)} [${kind}] ${p.prefix} via ${nextHopOf(p) ?? 'fictitious'} aspath [${formatAsPath(asPathOf(p))}] attrs ${formatAttributes(p)}\n`;
}
