// Routes of the management API (apipb.Path, its NLRI and path attributes packed as
// google.protobuf.Any) read into plain values for the text and JSON printers. Reading
// never fails: an attribute this CLI cannot decode is kept by its type name, so a
// listing from a newer server still prints.

import { unpackAny } from '../api/convert.js';
import type { AnyMessage, Path } from '../api/apipb.js';

type Obj = Readonly<Record<string, unknown>>;

/** An extended community (RFC 4360) as the API carries it. */
export type ExtCommunityView =
  | { readonly kind: 'two-octet-as' | 'four-octet-as'; readonly type: number; readonly subType: number; readonly asn: number; readonly localAdmin: number }
  | { readonly kind: 'ipv4-address'; readonly type: number; readonly subType: number; readonly address: string; readonly localAdmin: number }
  /** `value` is the 7 octets after the type octet (sub-type included). */
  | { readonly kind: 'opaque'; readonly type: number; readonly value: Uint8Array }
  | { readonly kind: 'other'; readonly typeName: string };

export interface AsSegmentView {
  /** RFC 4271 / RFC 5065 segment type: 1 set, 2 sequence, 3 confed sequence, 4 confed set. */
  readonly type: number;
  readonly asns: readonly number[];
}

/** One path attribute, tagged by its type code (RFC 4271 4.3). */
export type AttributeView =
  | { readonly code: 1; readonly origin: number }
  | { readonly code: 2; readonly segments: readonly AsSegmentView[] }
  | { readonly code: 3; readonly nextHop: string }
  | { readonly code: 4; readonly med: number }
  | { readonly code: 5; readonly localPref: number }
  | { readonly code: 6 }
  | { readonly code: 7; readonly asn: number; readonly address: string }
  | { readonly code: 8; readonly communities: readonly number[] }
  | { readonly code: 9; readonly id: string }
  | { readonly code: 10; readonly ids: readonly string[] }
  | { readonly code: 14; readonly afi: number; readonly safi: number; readonly nextHops: readonly string[]; readonly prefixes: readonly string[] }
  | { readonly code: 15; readonly afi: number; readonly safi: number; readonly prefixes: readonly string[] }
  | { readonly code: 16; readonly communities: readonly ExtCommunityView[] }
  | { readonly code: 32; readonly communities: readonly (readonly [number, number, number])[] }
  /** An attribute the server passed on undecoded. */
  | { readonly code: 'unknown'; readonly typeCode: number; readonly flags: number; readonly value: Uint8Array }
  /** An Any of a message this CLI does not know; `typeName` is its apipb name. */
  | { readonly code: 'other'; readonly typeName: string };

/** One route as the printers need it. */
export interface PathView {
  readonly prefix: string;
  readonly attributes: readonly AttributeView[];
  /** Seconds since the Unix epoch when the route arrived. */
  readonly ageSec: number;
  readonly isBest: boolean;
  readonly isStale: boolean;
  readonly isWithdraw: boolean;
  readonly identifier: number;
  readonly sourceId: string;
  readonly neighborIp: string;
}

const num = (o: Obj, key: string): number => (typeof o[key] === 'number' ? (o[key] as number) : 0);
const str = (o: Obj, key: string): string => (typeof o[key] === 'string' ? (o[key] as string) : '');
const list = (o: Obj, key: string): readonly unknown[] => (Array.isArray(o[key]) ? (o[key] as unknown[]) : []);
const objOf = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});
const bytesOf = (o: Obj, key: string): Uint8Array => (o[key] instanceof Uint8Array ? (o[key] as Uint8Array) : new Uint8Array(0));

function anyOf(v: unknown): AnyMessage {
  const o = objOf(v);
  return { type_url: str(o, 'type_url'), value: bytesOf(o, 'value') };
}

function shortName(any: AnyMessage): string {
  return any.type_url.slice(any.type_url.lastIndexOf('/') + 1).replace(/^apipb\./, '');
}

/** Unpacks an Any; undefined when its type is not one of the API's messages. */
function tryUnpack(any: AnyMessage): { readonly name: string; readonly value: Obj } | undefined {
  try {
    return unpackAny(any, 'any');
  } catch {
    // An Any this CLI's protos do not declare: the caller shows it by name.
    return undefined;
  }
}

/** "a.b.c.d/len" of an apipb.IPAddressPrefix; the type name in braces otherwise. */
export function prefixText(any: AnyMessage | null | undefined): string {
  if (any === null || any === undefined) return '';
  const u = tryUnpack(any);
  if (u === undefined || u.name !== 'IPAddressPrefix') return `{${shortName(any)}}`;
  return `${str(u.value, 'prefix')}/${num(u.value, 'prefix_len')}`;
}

/** RFC 4360 2: the high-order bit 0x40 of the type marks a non-transitive community. */
const nonTransitive = 0x40;

function extCommunityView(any: AnyMessage): ExtCommunityView {
  const u = tryUnpack(any);
  if (u === undefined) return { kind: 'other', typeName: shortName(any) };
  const v = u.value;
  const type = (base: number): number => base | (v['is_transitive'] === true ? 0 : nonTransitive);
  switch (u.name) {
    case 'TwoOctetAsSpecificExtended':
      return { kind: 'two-octet-as', type: type(0x00), subType: num(v, 'sub_type'), asn: num(v, 'asn'), localAdmin: num(v, 'local_admin') };
    case 'IPv4AddressSpecificExtended':
      return { kind: 'ipv4-address', type: type(0x01), subType: num(v, 'sub_type'), address: str(v, 'address'), localAdmin: num(v, 'local_admin') };
    case 'FourOctetAsSpecificExtended':
      return { kind: 'four-octet-as', type: type(0x02), subType: num(v, 'sub_type'), asn: num(v, 'asn'), localAdmin: num(v, 'local_admin') };
    case 'UnknownExtended':
      return { kind: 'opaque', type: num(v, 'type'), value: bytesOf(v, 'value') };
    default:
      return { kind: 'other', typeName: u.name };
  }
}

/** One attribute Any as a view. */
export function attributeView(any: AnyMessage): AttributeView {
  const u = tryUnpack(any);
  if (u === undefined) return { code: 'other', typeName: shortName(any) };
  const v = u.value;
  const family = objOf(v['family']);
  switch (u.name) {
    case 'OriginAttribute':
      return { code: 1, origin: num(v, 'origin') };
    case 'AsPathAttribute':
      return { code: 2, segments: list(v, 'segments').map((s) => ({ type: num(objOf(s), 'type'), asns: list(objOf(s), 'numbers').map((n) => (typeof n === 'number' ? n : 0)) })) };
    case 'NextHopAttribute':
      return { code: 3, nextHop: str(v, 'next_hop') };
    case 'MultiExitDiscAttribute':
      return { code: 4, med: num(v, 'med') };
    case 'LocalPrefAttribute':
      return { code: 5, localPref: num(v, 'local_pref') };
    case 'AtomicAggregateAttribute':
      return { code: 6 };
    case 'AggregatorAttribute':
      return { code: 7, asn: num(v, 'asn'), address: str(v, 'address') };
    case 'CommunitiesAttribute':
      return { code: 8, communities: list(v, 'communities').map((n) => (typeof n === 'number' ? n : 0)) };
    case 'OriginatorIdAttribute':
      return { code: 9, id: str(v, 'id') };
    case 'ClusterListAttribute':
      return { code: 10, ids: list(v, 'ids').map((s) => (typeof s === 'string' ? s : '')) };
    case 'MpReachNLRIAttribute':
      return {
        code: 14,
        afi: num(family, 'afi'),
        safi: num(family, 'safi'),
        nextHops: list(v, 'next_hops').map((s) => (typeof s === 'string' ? s : '')),
        prefixes: list(v, 'nlris').map((n) => prefixText(anyOf(n))),
      };
    case 'MpUnreachNLRIAttribute':
      return { code: 15, afi: num(family, 'afi'), safi: num(family, 'safi'), prefixes: list(v, 'nlris').map((n) => prefixText(anyOf(n))) };
    case 'ExtendedCommunitiesAttribute':
      return { code: 16, communities: list(v, 'communities').map((c) => extCommunityView(anyOf(c))) };
    case 'LargeCommunitiesAttribute':
      return { code: 32, communities: list(v, 'communities').map((c) => [num(objOf(c), 'global_admin'), num(objOf(c), 'local_data1'), num(objOf(c), 'local_data2')] as const) };
    case 'UnknownAttribute':
      return { code: 'unknown', typeCode: num(v, 'type'), flags: num(v, 'flags'), value: bytesOf(v, 'value') };
    default:
      return { code: 'other', typeName: u.name };
  }
}

/** An apipb.Path as a view. */
export function pathView(path: Path): PathView {
  return {
    prefix: prefixText(path.nlri),
    attributes: (path.pattrs ?? []).map(attributeView),
    ageSec: path.age?.seconds ?? 0,
    isBest: path.best === true,
    isStale: path.stale === true,
    isWithdraw: path.is_withdraw === true,
    identifier: path.identifier ?? 0,
    sourceId: path.source_id ?? '',
    neighborIp: path.neighbor_ip ?? '',
  };
}

/** The NEXT_HOP attribute, else the first next hop of MP_REACH_NLRI (RFC 4760 3). */
export function nextHopOf(p: PathView): string | undefined {
  for (const a of p.attributes) if (a.code === 3) return a.nextHop;
  for (const a of p.attributes) if (a.code === 14 && a.nextHops.length > 0) return a.nextHops[0];
  return undefined;
}

export function asPathOf(p: PathView): readonly AsSegmentView[] {
  for (const a of p.attributes) if (a.code === 2) return a.segments;
  return [];
}
