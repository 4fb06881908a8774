// Between tsbgp's types and the GoBGP v3 API messages: path attributes and NLRI as
// google.protobuf.Any of apipb.*Attribute / apipb.IPAddressPrefix (both ways), routes as
// apipb.Path, peers as apipb.Peer, capabilities as apipb.*Capability. A malformed
// request becomes an ApiError naming the field.

import protobuf from 'protobufjs';
import { AddressError, Afi, formatAddress, formatPrefix, maskAddress, parseAddress, parsePrefix, type Prefix } from '../lib/address.js';
import { NlriList } from '../wire/nlri.js';
import { Writer } from '../wire/writer.js';
import { as4Context, familyKey, familyOf, type FamilyKey } from '../wire/context.js';
import { encodeAttributes } from '../wire/attributes/table.js';
import { AttrFlag, AttrType, Origin, type Aggregator, type AsPathSegment, type AsSegmentType, type LargeCommunity, type MpReach, type MpUnreach, type PathAttributes, type UnknownAttribute } from '../wire/attributes/types.js';
import type { Capability } from '../wire/capability-types.js';
import type { SessionState as FsmState } from '../session/session.js';
import { ApiError, type GlobalConfig, type GlobalStatus, type MessageCounters, type PeerConfig, type PeerGroupConfig, type PeerStatus, type RouteInput, type RouteView } from './backend.js';
import { AdminState, PeerType, SessionState, type AnyMessage, type DynamicNeighborMessage, type Family, type Global, type Message, type Path, type Peer, type PeerGroupMessage, type Timestamp } from './apipb.js';
import { apiRoot } from './protos.js';

export const typeUrlPrefix = 'type.googleapis.com/';

type Obj = Readonly<Record<string, unknown>>;

// ---- Any

function messageType(typeName: string): protobuf.Type | undefined {
  const found = apiRoot().lookup(typeName);
  return found instanceof protobuf.Type ? found : undefined;
}

/**
 * Drops scalar fields holding proto3 defaults. protobufjs writes any field that is set,
 * even to 0; Go's encoder leaves defaults out, and gobgpd's bytes are what we match.
 */
function withoutDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDefaults);
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const isDefault = v === 0 || v === false || v === '' || v === undefined || v === null || (v instanceof Uint8Array && v.length === 0) || (Array.isArray(v) && v.length === 0);
    if (!isDefault) out[k] = withoutDefaults(v);
  }
  return out;
}

/** Packs `value` (fields as in the .proto) as an Any of apipb.<typeName>. */
export function packAny(typeName: string, value: object): AnyMessage {
  const type = messageType(`apipb.${typeName}`);
  if (type === undefined) throw new Error(`apipb.${typeName} is not declared in the API's proto files`);
  const message = type.fromObject(withoutDefaults(value) as Record<string, unknown>);
  return { type_url: typeUrlPrefix + `apipb.${typeName}`, value: type.encode(message).finish() };
}

/** Unpacks an Any of an apipb message: its short name ("OriginAttribute") and fields. */
export function unpackAny(any: AnyMessage | null | undefined, field: string): { readonly name: string; readonly value: Obj } {
  if (any === null || any === undefined) throw new ApiError('invalid-argument', 'missing', field);
  const url = any.type_url;
  const full = url.startsWith(typeUrlPrefix) ? url.slice(typeUrlPrefix.length) : '';
  const type = full.startsWith('apipb.') ? messageType(full) : undefined;
  if (type === undefined) throw new ApiError('invalid-argument', `unsupported type "${url}"`, field);
  let decoded: protobuf.Message;
  try {
    decoded = type.decode(any.value);
  } catch (e) {
    throw new ApiError('invalid-argument', `${full} does not decode: ${(e as Error).message}`, field, { cause: e });
  }
  const value: Obj = type.toObject(decoded, { longs: Number, enums: Number, defaults: true, arrays: true });
  return { name: full.slice('apipb.'.length), value };
}

function num(o: Obj, key: string): number {
  const v = o[key];
  return typeof v === 'number' ? v : 0;
}

function str(o: Obj, key: string): string {
  const v = o[key];
  return typeof v === 'string' ? v : '';
}

function bool(o: Obj, key: string): boolean {
  return o[key] === true;
}

function bytesOf(o: Obj, key: string): Uint8Array {
  const v = o[key];
  return v instanceof Uint8Array ? Uint8Array.from(v) : new Uint8Array(0);
}

function list(o: Obj, key: string): readonly unknown[] {
  const v = o[key];
  return Array.isArray(v) ? v : [];
}

function objOf(v: unknown): Obj {
  return typeof v === 'object' && v !== null ? (v as Obj) : {};
}

function anyOf(v: unknown): AnyMessage {
  const o = objOf(v);
  return { type_url: str(o, 'type_url'), value: bytesOf(o, 'value') };
}

// ---- addresses, prefixes, families

/** Parses an address from a request, as `bytes` (4 or 16) if given. */
export function addressFromApi(text: string, field: string, bytes?: 4 | 16): Uint8Array {
  let addr: Uint8Array;
  try {
    addr = parseAddress(text);
  } catch (e) {
    if (e instanceof AddressError) throw new ApiError('invalid-argument', `expected an IP address, got "${text}"`, field, { cause: e });
    throw e;
  }
  if (bytes !== undefined && addr.length !== bytes) throw new ApiError('invalid-argument', `expected an ${bytes === 4 ? 'IPv4' : 'IPv6'} address, got "${text}"`, field);
  return addr;
}

export function familyToApi(key: FamilyKey): Family {
  return familyOf(key);
}

/** The family of a request; absent means IPv4 unicast, as gobgpd takes it. */
export function familyFromApi(family: Family | null | undefined): FamilyKey {
  if (family === null || family === undefined) return familyKey(Afi.ipv4, 1);
  return familyKey(family.afi ?? 0, family.safi ?? 0);
}

/** Global.families numbers a family AFI << 16 | SAFI. */
export function familyToGlobal(key: FamilyKey): number {
  const { afi, safi } = familyOf(key);
  return afi * 0x10000 + safi;
}

export function familyFromGlobal(value: number): FamilyKey {
  return familyKey(Math.floor(value / 0x10000), value & 0xffff);
}

/** NLRI of IPv4/IPv6 unicast and multicast: apipb.IPAddressPrefix. */
export function prefixToAny(prefix: Prefix): AnyMessage {
  return packAny('IPAddressPrefix', { prefix_len: prefix.length, prefix: formatAddress(prefix.addr) });
}

export function prefixFromAny(any: AnyMessage | null | undefined, field: string): Prefix {
  const { name, value } = unpackAny(any, field);
  if (name !== 'IPAddressPrefix') throw new ApiError('invalid-argument', `expected apipb.IPAddressPrefix, got apipb.${name}`, field);
  const addr = addressFromApi(str(value, 'prefix'), `${field}.prefix`);
  const length = num(value, 'prefix_len');
  if (length > addr.length * 8) throw new ApiError('invalid-argument', `expected 0 to ${addr.length * 8}, got ${length}`, `${field}.prefix_len`);
  return { afi: addr.length === 4 ? Afi.ipv4 : Afi.ipv6, length, addr: maskAddress(addr, length) };
}

function prefixesFromAny(items: readonly unknown[], afi: number, field: string): Prefix[] {
  return items.map((item, i) => {
    const p = prefixFromAny(anyOf(item), `${field}[${i}]`);
    if (p.afi !== afi) throw new ApiError('invalid-argument', `a prefix of AFI ${p.afi} in a family of AFI ${afi}`, `${field}[${i}]`);
    return p;
  });
}

export function timestampOf(wallMs: number): Timestamp {
  const seconds = Math.floor(wallMs / 1000);
  return { seconds, nanos: Math.round((wallMs - seconds * 1000) * 1e6) };
}

// ---- path attributes

const extendedType = { twoOctetAs: 0x00, ipv4Address: 0x01, fourOctetAs: 0x02 } as const;
/** RFC 4360 3: the bit of the type octet that marks an extended community non-transitive. */
const nonTransitiveBit = 0x40;

function u16At(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function u32At(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function extCommunityToAny(c: Uint8Array): AnyMessage {
  const base = c[0]! & ~nonTransitiveBit;
  const common = { is_transitive: (c[0]! & nonTransitiveBit) === 0, sub_type: c[1]! };
  switch (base) {
    case extendedType.twoOctetAs:
      return packAny('TwoOctetAsSpecificExtended', { ...common, asn: u16At(c, 2), local_admin: u32At(c, 4) });
    case extendedType.ipv4Address:
      return packAny('IPv4AddressSpecificExtended', { ...common, address: formatAddress(c.subarray(2, 6)), local_admin: u16At(c, 6) });
    case extendedType.fourOctetAs:
      return packAny('FourOctetAsSpecificExtended', { ...common, asn: u32At(c, 2), local_admin: u16At(c, 6) });
    default:
      return packAny('UnknownExtended', { type: c[0]!, value: c.subarray(1, 8) });
  }
}

function extCommunityFromAny(any: AnyMessage, field: string): Uint8Array {
  const { name, value } = unpackAny(any, field);
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  const head = (base: number): void => {
    out[0] = base | (bool(value, 'is_transitive') ? 0 : nonTransitiveBit);
    out[1] = num(value, 'sub_type');
  };
  switch (name) {
    case 'TwoOctetAsSpecificExtended':
      head(extendedType.twoOctetAs);
      view.setUint16(2, num(value, 'asn'));
      view.setUint32(4, num(value, 'local_admin'));
      return out;
    case 'IPv4AddressSpecificExtended':
      head(extendedType.ipv4Address);
      out.set(addressFromApi(str(value, 'address'), `${field}.address`, 4), 2);
      view.setUint16(6, num(value, 'local_admin'));
      return out;
    case 'FourOctetAsSpecificExtended':
      head(extendedType.fourOctetAs);
      view.setUint32(2, num(value, 'asn'));
      view.setUint16(6, num(value, 'local_admin'));
      return out;
    case 'UnknownExtended': {
      const rest = bytesOf(value, 'value');
      if (rest.length !== 7) throw new ApiError('invalid-argument', `expected the 7 octets after the type, got ${rest.length}`, `${field}.value`);
      out[0] = num(value, 'type');
      out.set(rest, 1);
      return out;
    }
    default:
      throw new ApiError('invalid-argument', `unsupported extended community apipb.${name}`, field);
  }
}

function familyMessage(afi: number, safi: number): Family {
  return { afi, safi };
}

function mpReachToAny(m: MpReach): AnyMessage {
  const nextHops = [formatAddress(m.nextHop)];
  if (m.linkLocalNextHop !== undefined) nextHops.push(formatAddress(m.linkLocalNextHop));
  return packAny('MpReachNLRIAttribute', { family: familyMessage(m.afi, m.safi), next_hops: nextHops, nlris: [...m.nlri].map((n) => prefixToAny(n.prefix)) });
}

function mpUnreachToAny(m: MpUnreach): AnyMessage {
  return packAny('MpUnreachNLRIAttribute', { family: familyMessage(m.afi, m.safi), nlris: [...m.withdrawn].map((n) => prefixToAny(n.prefix)) });
}

/**
 * The attributes as GoBGP lists them: one Any per attribute, in type code order.
 * `partial` has no place in the API and is left out.
 */
export function attributesToAny(a: PathAttributes): AnyMessage[] {
  const out: { typeCode: number; any: AnyMessage }[] = [];
  const add = (typeCode: number, any: AnyMessage): void => {
    out.push({ typeCode, any });
  };
  if (a.origin !== undefined) add(AttrType.origin, packAny('OriginAttribute', { origin: a.origin }));
  if (a.asPath !== undefined) add(AttrType.asPath, packAny('AsPathAttribute', { segments: a.asPath.map((s) => ({ type: s.type, numbers: s.asns })) }));
  if (a.nextHop !== undefined) add(AttrType.nextHop, packAny('NextHopAttribute', { next_hop: formatAddress(a.nextHop) }));
  if (a.med !== undefined) add(AttrType.med, packAny('MultiExitDiscAttribute', { med: a.med }));
  if (a.localPref !== undefined) add(AttrType.localPref, packAny('LocalPrefAttribute', { local_pref: a.localPref }));
  if (a.isAtomicAggregate === true) add(AttrType.atomicAggregate, packAny('AtomicAggregateAttribute', {}));
  if (a.aggregator !== undefined) add(AttrType.aggregator, packAny('AggregatorAttribute', { asn: a.aggregator.asn, address: formatAddress(a.aggregator.address) }));
  if (a.communities !== undefined) add(AttrType.communities, packAny('CommunitiesAttribute', { communities: a.communities }));
  if (a.originatorId !== undefined) add(AttrType.originatorId, packAny('OriginatorIdAttribute', { id: formatAddress(a.originatorId) }));
  if (a.clusterList !== undefined) add(AttrType.clusterList, packAny('ClusterListAttribute', { ids: a.clusterList.map(formatAddress) }));
  if (a.mpReach !== undefined) add(AttrType.mpReach, mpReachToAny(a.mpReach));
  if (a.mpUnreach !== undefined) add(AttrType.mpUnreach, mpUnreachToAny(a.mpUnreach));
  if (a.extCommunities !== undefined) add(AttrType.extCommunities, packAny('ExtendedCommunitiesAttribute', { communities: a.extCommunities.map(extCommunityToAny) }));
  if (a.largeCommunities !== undefined) {
    add(AttrType.largeCommunities, packAny('LargeCommunitiesAttribute', { communities: a.largeCommunities.map(([g, l1, l2]) => ({ global_admin: g, local_data1: l1, local_data2: l2 })) }));
  }
  for (const u of a.unknown ?? []) add(u.typeCode, packAny('UnknownAttribute', { flags: u.flags, type: u.typeCode, value: u.value }));
  // Stable sort: unknown attributes keep their order among themselves.
  return out.sort((x, y) => x.typeCode - y.typeCode).map((x) => x.any);
}

type Draft = { -readonly [K in keyof PathAttributes]: PathAttributes[K] };

const segmentTypes: ReadonlySet<number> = new Set([1, 2, 3, 4]);

/** The inverse of attributesToAny; `field` names the list in errors ("path.pattrs"). */
export function attributesFromAny(anys: readonly AnyMessage[], field: string): PathAttributes {
  const d: Draft = {};
  const unknown: UnknownAttribute[] = [];
  const seen = new Set<string>();
  anys.forEach((any, i) => {
    const at = `${field}[${i}]`;
    const { name, value } = unpackAny(any, at);
    if (name !== 'UnknownAttribute') {
      if (seen.has(name)) throw new ApiError('invalid-argument', `apipb.${name} given twice`, at);
      seen.add(name);
    }
    switch (name) {
      case 'OriginAttribute': {
        const origin = num(value, 'origin');
        if (origin !== Origin.igp && origin !== Origin.egp && origin !== Origin.incomplete) throw new ApiError('invalid-argument', `expected 0 (IGP), 1 (EGP) or 2 (INCOMPLETE), got ${origin}`, `${at}.origin`);
        d.origin = origin;
        return;
      }
      case 'AsPathAttribute':
        d.asPath = list(value, 'segments').map((s, j): AsPathSegment => {
          const seg = objOf(s);
          const type = num(seg, 'type');
          if (!segmentTypes.has(type)) throw new ApiError('invalid-argument', `expected a segment type 1 to 4, got ${type}`, `${at}.segments[${j}].type`);
          return { type: type as AsSegmentType, asns: list(seg, 'numbers').map((n) => (typeof n === 'number' ? n : 0)) };
        });
        return;
      case 'NextHopAttribute':
        d.nextHop = addressFromApi(str(value, 'next_hop'), `${at}.next_hop`, 4);
        return;
      case 'MultiExitDiscAttribute':
        d.med = num(value, 'med');
        return;
      case 'LocalPrefAttribute':
        d.localPref = num(value, 'local_pref');
        return;
      case 'AtomicAggregateAttribute':
        d.isAtomicAggregate = true;
        return;
      case 'AggregatorAttribute': {
        const aggregator: Aggregator = { asn: num(value, 'asn'), address: addressFromApi(str(value, 'address'), `${at}.address`, 4) };
        d.aggregator = aggregator;
        return;
      }
      case 'CommunitiesAttribute':
        d.communities = list(value, 'communities').map((n) => (typeof n === 'number' ? n : 0));
        return;
      case 'OriginatorIdAttribute':
        d.originatorId = addressFromApi(str(value, 'id'), `${at}.id`, 4);
        return;
      case 'ClusterListAttribute':
        d.clusterList = list(value, 'ids').map((id, j) => addressFromApi(typeof id === 'string' ? id : '', `${at}.ids[${j}]`, 4));
        return;
      case 'MpReachNLRIAttribute': {
        const { afi, safi } = ipFamilyOf(value, `${at}.family`);
        const hops = list(value, 'next_hops').map((h, j) => addressFromApi(typeof h === 'string' ? h : '', `${at}.next_hops[${j}]`));
        if (hops.length < 1 || hops.length > 2) throw new ApiError('invalid-argument', `expected 1 or 2 next hops, got ${hops.length}`, `${at}.next_hops`);
        const nlri = NlriList.from(prefixesFromAny(list(value, 'nlris'), afi, `${at}.nlris`), afi);
        const mp: MpReach = hops.length === 2 ? { afi, safi, nextHop: hops[0]!, linkLocalNextHop: hops[1]!, nlri } : { afi, safi, nextHop: hops[0]!, nlri };
        d.mpReach = mp;
        return;
      }
      case 'MpUnreachNLRIAttribute': {
        const { afi, safi } = ipFamilyOf(value, `${at}.family`);
        d.mpUnreach = { afi, safi, withdrawn: NlriList.from(prefixesFromAny(list(value, 'nlris'), afi, `${at}.nlris`), afi) };
        return;
      }
      case 'ExtendedCommunitiesAttribute':
        d.extCommunities = list(value, 'communities').map((c, j) => extCommunityFromAny(anyOf(c), `${at}.communities[${j}]`));
        return;
      case 'LargeCommunitiesAttribute':
        d.largeCommunities = list(value, 'communities').map((c): LargeCommunity => {
          const o = objOf(c);
          return [num(o, 'global_admin'), num(o, 'local_data1'), num(o, 'local_data2')];
        });
        return;
      case 'UnknownAttribute': {
        const typeCode = num(value, 'type');
        if (typeCode < 1 || typeCode > 255) throw new ApiError('invalid-argument', `expected a type code 1 to 255, got ${typeCode}`, `${at}.type`);
        const flags = num(value, 'flags') & (AttrFlag.optional | AttrFlag.transitive | AttrFlag.partial);
        unknown.push({ flags, typeCode, value: bytesOf(value, 'value') });
        return;
      }
      default:
        throw new ApiError('invalid-argument', `unsupported path attribute apipb.${name}`, at);
    }
  });
  if (unknown.length > 0) d.unknown = unknown;
  return d;
}

function ipFamilyOf(value: Obj, field: string): { afi: Afi; safi: number } {
  const f = objOf(value['family']);
  const afi = num(f, 'afi');
  const safi = num(f, 'safi');
  if ((afi !== Afi.ipv4 && afi !== Afi.ipv6) || (safi !== 1 && safi !== 2)) throw new ApiError('invalid-argument', `expected an IPv4 or IPv6 unicast or multicast family, got AFI ${afi} SAFI ${safi}`, field);
  return { afi, safi };
}

// ---- routes

/** The attributes of a route with its next hop where GoBGP puts it for the family. */
function routeAttributes(route: RouteView): PathAttributes {
  const { nextHop: _nh, mpReach: _r, mpUnreach: _u, ...rest } = route.attributes;
  const { afi, safi } = familyOf(route.family);
  if (route.nextHop.length === 0) return rest;
  // RFC 4271 5.1.3: IPv4 unicast carries NEXT_HOP; every other family (and IPv4 over an
  // IPv6 next hop, RFC 8950) carries it in MP_REACH_NLRI (RFC 4760 3).
  if (afi === Afi.ipv4 && safi === 1 && route.nextHop.length === 4) return { ...rest, nextHop: route.nextHop };
  const nlri = NlriList.from([route.prefix], route.prefix.afi);
  const mpReach: MpReach = route.linkLocalNextHop !== undefined ? { afi, safi, nextHop: route.nextHop, linkLocalNextHop: route.linkLocalNextHop, nlri } : { afi, safi, nextHop: route.nextHop, nlri };
  return { ...rest, mpReach };
}

export interface PathOptions {
  readonly isWithdraw?: boolean;
  readonly isNlriBinary?: boolean;
  readonly isAttributeBinary?: boolean;
  /** Only the binary forms (no Any NLRI and attributes). */
  readonly isOnlyBinary?: boolean;
}

/** A route as an apipb.Path. */
export function routeToPath(route: RouteView, options: PathOptions = {}): Path {
  const attrs = routeAttributes(route);
  const path: Path = {
    age: timestampOf(route.receivedAtMs),
    best: route.isBest,
    is_withdraw: options.isWithdraw === true,
    family: familyToApi(route.family),
    source_asn: route.source.peerAs,
    source_id: route.source.routerId,
    filtered: route.isFiltered === true,
    stale: route.isStale === true,
    is_from_external: route.source.isEbgp,
    neighbor_ip: route.source.address === 'local' ? '' : route.source.address,
    is_nexthop_invalid: route.isNextHopInvalid === true,
    identifier: route.pathId,
    local_identifier: route.localPathId ?? 0,
    multipath: route.isMultipath,
  };
  if (options.isOnlyBinary !== true) {
    path.nlri = prefixToAny(route.prefix);
    path.pattrs = attributesToAny(attrs);
  }
  if (route.uuid !== undefined) path.uuid = route.uuid;
  if (options.isNlriBinary === true || options.isOnlyBinary === true) path.nlri_binary = NlriList.from([route.prefix], route.prefix.afi).bytes;
  if (options.isAttributeBinary === true || options.isOnlyBinary === true) path.pattrs_binary = attributesToWire(attrs);
  return path;
}

/** Each attribute in its BGP wire form (RFC 4271 4.3), 4-octet AS numbers. */
export function attributesToWire(attrs: PathAttributes): Uint8Array[] {
  const w = new Writer();
  encodeAttributes(attrs, w, as4Context);
  const all = w.finish();
  const out: Uint8Array[] = [];
  for (let at = 0; at < all.length; ) {
    const isExtended = (all[at]! & AttrFlag.extendedLength) !== 0;
    const length = isExtended ? u16At(all, at + 2) : all[at + 2]!;
    const end = at + (isExtended ? 4 : 3) + length;
    out.push(all.slice(at, end));
    at = end;
  }
  return out;
}

/** An AddPath / DeletePath path as a route of the global table. */
export function pathToRouteInput(path: Path | null | undefined, field: string): RouteInput {
  if (path === null || path === undefined) throw new ApiError('invalid-argument', 'missing', field);
  const prefix = prefixFromAny(path.nlri, `${field}.nlri`);
  const attributes = attributesFromAny(path.pattrs ?? [], `${field}.pattrs`);
  const family = path.family === null || path.family === undefined ? familyKey(prefix.afi, 1) : familyFromApi(path.family);
  const { afi } = familyOf(family);
  if (afi !== prefix.afi) throw new ApiError('invalid-argument', `AFI ${afi} does not match the NLRI ${formatPrefix(prefix)}`, `${field}.family`);
  const { mpReach, mpUnreach: _u, ...rest } = attributes;
  const nextHop = attributes.nextHop ?? mpReach?.nextHop;
  if (nextHop === undefined) throw new ApiError('invalid-argument', 'a route needs a next hop (apipb.NextHopAttribute or apipb.MpReachNLRIAttribute)', `${field}.pattrs`);
  const route: RouteInput = { family, prefix, attributes: rest, nextHop, pathId: path.identifier ?? 0 };
  return mpReach?.linkLocalNextHop !== undefined ? { ...route, linkLocalNextHop: mpReach.linkLocalNextHop } : route;
}

// ---- peers

const sessionStateNumber: Readonly<Record<FsmState, SessionState>> = {
  Idle: SessionState.idle,
  Connect: SessionState.connect,
  Active: SessionState.active,
  OpenSent: SessionState.openSent,
  OpenConfirm: SessionState.openConfirm,
  Established: SessionState.established,
};

export function sessionStateToApi(state: FsmState): SessionState {
  return sessionStateNumber[state];
}

function messageToApi(m: MessageCounters): Message {
  return {
    notification: m.notification,
    update: m.update,
    open: m.open,
    keepalive: m.keepalive,
    refresh: m.routeRefresh,
    discarded: m.discarded,
    total: m.total,
    withdraw_update: m.withdrawUpdate ?? 0,
    withdraw_prefix: m.withdrawPrefix ?? 0,
  };
}

/** RFC 4724 3 flag bits of the Graceful Restart capability, as GoBGP keeps them. */
const grFlag = { restarting: 0x08, notification: 0x04, forwarding: 0x80 } as const;
/** GoBGP gives no SAFI for the next hop of an extended next hop tuple; it reports unicast. */
const nextHopSafi = 1;

/** A capability as GoBGP reports it in PeerState.local_cap / remote_cap. */
export function capabilityToAny(c: Capability): AnyMessage {
  switch (c.kind) {
    case 'multiprotocol':
      return packAny('MultiProtocolCapability', { family: familyMessage(c.afi, c.safi) });
    case 'route-refresh':
      return packAny('RouteRefreshCapability', {});
    case 'route-refresh-old':
      return packAny('RouteRefreshCiscoCapability', {});
    case 'enhanced-route-refresh':
      return packAny('EnhancedRouteRefreshCapability', {});
    case 'four-octet-as':
      return packAny('FourOctetASNCapability', { asn: c.asn });
    case 'graceful-restart':
      return packAny('GracefulRestartCapability', {
        flags: (c.isRestarting ? grFlag.restarting : 0) | (c.isNotificationSupported ? grFlag.notification : 0),
        time: c.restartTimeSec,
        tuples: c.families.map((f) => ({ family: familyMessage(f.afi, f.safi), flags: f.isForwardingPreserved ? grFlag.forwarding : 0 })),
      });
    case 'long-lived-graceful-restart':
      return packAny('LongLivedGracefulRestartCapability', {
        tuples: c.families.map((f) => ({ family: familyMessage(f.afi, f.safi), flags: f.isForwardingPreserved ? grFlag.forwarding : 0, time: f.staleTimeSec })),
      });
    case 'add-path':
      return packAny('AddPathCapability', { tuples: c.families.map((f) => ({ family: familyMessage(f.afi, f.safi), mode: f.mode })) });
    case 'extended-next-hop':
      return packAny('ExtendedNexthopCapability', {
        tuples: c.entries.map((e) => ({ nlri_family: familyMessage(e.afi, e.safi), nexthop_family: familyMessage(e.nextHopAfi, nextHopSafi) })),
      });
    case 'fqdn':
      return packAny('FqdnCapability', { host_name: c.hostname, domain_name: c.domain });
    // GoBGP v3 has no message for these: it reports them as unknown, with the value.
    case 'extended-message':
      return packAny('UnknownCapability', { code: 6, value: new Uint8Array(0) });
    case 'role':
      return packAny('UnknownCapability', { code: 9, value: Uint8Array.of(c.role) });
    case 'unknown':
      return packAny('UnknownCapability', { code: c.code, value: c.value });
  }
}

/** A peer with every nested part `gobgp neighbor` reads. */
export function peerToApi(p: PeerStatus): Peer {
  const type = p.isEbgp ? PeerType.external : PeerType.internal;
  const isEstablished = p.state === 'Established';
  const timersState: NonNullable<NonNullable<Peer['timers']>['state']> = {
    connect_retry: p.connectRetrySec,
    hold_time: p.holdTimeSec,
    keepalive_interval: p.negotiatedKeepaliveSec ?? (isEstablished ? p.keepaliveSec : 0),
    negotiated_hold_time: p.negotiatedHoldTimeSec ?? (isEstablished ? p.holdTimeSec : 0),
  };
  // gobgp prints "never" without an uptime, and reads downtime for a peer not
  // Established whenever an uptime is there: never send one without the other.
  if (p.upSinceMs !== undefined) {
    timersState.uptime = timestampOf(p.upSinceMs);
    timersState.downtime = timestampOf(p.downSinceMs ?? p.upSinceMs);
  }
  return {
    apply_policy: {},
    conf: {
      description: p.description ?? '',
      local_asn: p.localAs,
      neighbor_address: p.address,
      peer_asn: p.peerAs,
      peer_group: p.peerGroup ?? '',
      type,
      admin_down: p.isAdminDown,
    },
    ebgp_multihop: { enabled: p.ebgpMultihopTtl !== undefined, multihop_ttl: p.ebgpMultihopTtl ?? 0 },
    route_reflector: { route_reflector_client: p.isRouteReflectorClient === true },
    state: {
      description: p.description ?? '',
      local_asn: p.localAs,
      messages: { received: messageToApi(p.received), sent: messageToApi(p.sent) },
      neighbor_address: p.address,
      peer_asn: p.peerAs,
      peer_group: p.peerGroup ?? '',
      type,
      queues: { input: 0, output: p.outQueue },
      session_state: sessionStateToApi(p.state),
      admin_state: p.isAdminDown ? AdminState.down : AdminState.up,
      out_q: p.outQueue,
      flops: p.flops,
      remote_cap: p.remoteCapabilities.map(capabilityToAny),
      local_cap: p.localCapabilities.map(capabilityToAny),
      router_id: p.session === undefined ? '' : formatAddress(p.session.routerId),
    },
    timers: {
      config: { connect_retry: p.connectRetrySec, hold_time: p.holdTimeSec, keepalive_interval: p.keepaliveSec, idle_hold_time_after_reset: p.idleHoldTimeAfterResetSec ?? 0 },
      state: timersState,
    },
    transport: {
      local_address: p.localAddress ?? '',
      local_port: p.localPort ?? 0,
      passive_mode: p.isPassive,
      remote_address: p.address,
      remote_port: p.remotePort ?? 0,
    },
    route_server: { route_server_client: p.isRouteServerClient === true },
    graceful_restart: {},
    afi_safis: p.families.map((f) => ({
      mp_graceful_restart: { config: {}, state: { end_of_rib_received: f.isEndOfRibReceived === true, end_of_rib_sent: f.isEndOfRibSent === true } },
      config: { family: familyToApi(f.family), enabled: f.isEnabled },
      state: { family: familyToApi(f.family), enabled: f.isEnabled, received: f.received, accepted: f.accepted, advertised: f.advertised },
      add_paths: { config: {}, state: { receive: f.isAddPathReceive === true, send_max: f.addPathSendMax ?? 0 } },
    })),
    ttl_security: {},
  };
}

function checkAsn(value: number | undefined, field: string, isRequired: boolean): number | undefined {
  if (value === undefined || value === 0) {
    if (isRequired) throw new ApiError('invalid-argument', 'expected an AS number 1 to 4294967295, got none', field);
    return undefined;
  }
  if (!Number.isInteger(value) || value < 1 || value > 0xffffffff) throw new ApiError('invalid-argument', `expected an AS number 1 to 4294967295, got ${value}`, field);
  return value;
}

/** An AddPeer request's peer as the backend's PeerConfig. */
export function peerConfigFromApi(peer: Peer | null | undefined, field: string): PeerConfig {
  if (peer === null || peer === undefined) throw new ApiError('invalid-argument', 'missing', field);
  const conf = peer.conf;
  if (conf === null || conf === undefined) throw new ApiError('invalid-argument', 'missing', `${field}.conf`);
  const address = conf.neighbor_address ?? '';
  addressFromApi(address, `${field}.conf.neighbor_address`);
  const peerGroup = conf.peer_group ?? '';
  // A member of a peer group may take its AS from the group.
  const peerAs = checkAsn(conf.peer_asn, `${field}.conf.peer_asn`, peerGroup === '') ?? 0;
  const out: { -readonly [K in keyof PeerConfig]: PeerConfig[K] } = { address, peerAs };
  const localAs = checkAsn(conf.local_asn, `${field}.conf.local_asn`, false);
  if (localAs !== undefined) out.localAs = localAs;
  if (conf.description) out.description = conf.description;
  if (peerGroup !== '') out.peerGroup = peerGroup;
  if (conf.auth_password) out.authPassword = conf.auth_password;
  if (conf.admin_down === true) out.isAdminDown = true;
  return { ...out, ...sharedSettingsFromApi(peer, field) };
}

/** The keys a neighbor and a peer group carry alike: transport, timers, multihop, families. */
type SharedSettings = Pick<PeerConfig, 'isPassive' | 'localAddress' | 'remotePort' | 'holdTimeSec' | 'keepaliveSec' | 'connectRetrySec' | 'ebgpMultihopTtl' | 'families'>;

function sharedSettingsFromApi(msg: Pick<Peer, 'transport' | 'timers' | 'ebgp_multihop' | 'afi_safis'>, field: string): SharedSettings {
  const out: { -readonly [K in keyof SharedSettings]: SharedSettings[K] } = {};
  const transport = msg.transport;
  if (transport) {
    if (transport.passive_mode === true) out.isPassive = true;
    if (transport.local_address) {
      addressFromApi(transport.local_address, `${field}.transport.local_address`);
      out.localAddress = transport.local_address;
    }
    if (transport.remote_port) {
      if (transport.remote_port > 0xffff) throw new ApiError('invalid-argument', `expected a port 1 to 65535, got ${transport.remote_port}`, `${field}.transport.remote_port`);
      out.remotePort = transport.remote_port;
    }
  }
  const timers = msg.timers?.config;
  if (timers) {
    // RFC 4271 4.2: a hold time is 0 or at least 3 seconds.
    if (timers.hold_time) {
      if (timers.hold_time < 3 || timers.hold_time > 0xffff) throw new ApiError('invalid-argument', `expected 0 or 3 to 65535 seconds, got ${timers.hold_time}`, `${field}.timers.config.hold_time`);
      out.holdTimeSec = timers.hold_time;
    }
    if (timers.keepalive_interval) out.keepaliveSec = timers.keepalive_interval;
    if (timers.connect_retry) out.connectRetrySec = timers.connect_retry;
  }
  if (msg.ebgp_multihop?.enabled === true) out.ebgpMultihopTtl = msg.ebgp_multihop.multihop_ttl || 255;
  const families = (msg.afi_safis ?? []).flatMap((a) => (a.config?.family ? [familyFromApi(a.config.family)] : []));
  if (families.length > 0) out.families = families;
  return out;
}

/** An AddPeerGroup / UpdatePeerGroup request's group as the backend's PeerGroupConfig. */
export function peerGroupConfigFromApi(group: PeerGroupMessage | null | undefined, field: string): PeerGroupConfig {
  if (group === null || group === undefined) throw new ApiError('invalid-argument', 'missing', field);
  const conf = group.conf;
  const name = conf?.peer_group_name ?? '';
  if (name === '') throw new ApiError('invalid-argument', 'expected a peer group name, got none', `${field}.conf.peer_group_name`);
  const out: { -readonly [K in keyof PeerGroupConfig]: PeerGroupConfig[K] } = { name };
  const peerAs = checkAsn(conf?.peer_asn, `${field}.conf.peer_asn`, false);
  if (peerAs !== undefined) out.peerAs = peerAs;
  const localAs = checkAsn(conf?.local_asn, `${field}.conf.local_asn`, false);
  if (localAs !== undefined) out.localAs = localAs;
  if (conf?.description) out.description = conf.description;
  if (conf?.auth_password) out.authPassword = conf.auth_password;
  return { ...out, ...sharedSettingsFromApi(group, field) };
}

/** An AddDynamicNeighbor request's range: a prefix (host bits zero) and a group name. */
export function dynamicNeighborFromApi(range: DynamicNeighborMessage | null | undefined, field: string): { readonly prefix: Prefix; readonly peerGroup: string } {
  if (range === null || range === undefined) throw new ApiError('invalid-argument', 'missing', field);
  const prefix = rangePrefixFromApi(range.prefix, `${field}.prefix`);
  const peerGroup = range.peer_group ?? '';
  if (peerGroup === '') throw new ApiError('invalid-argument', 'expected the name of the peer group whose settings the range\'s peers take, got none', `${field}.peer_group`);
  return { prefix, peerGroup };
}

/** A dynamic-neighbors range as text: "address/length" with the host bits zero. */
export function rangePrefixFromApi(text: string | undefined, field: string): Prefix {
  const value = text ?? '';
  if (value === '') throw new ApiError('invalid-argument', 'expected a prefix "address/length" (e.g. "172.17.0.0/24"), got none', field);
  try {
    return parsePrefix(value);
  } catch (e) {
    if (e instanceof AddressError) throw new ApiError('invalid-argument', `expected a prefix "address/length" with the host bits zero, got "${value}" (${e.message})`, field, { cause: e });
    throw e;
  }
}

/** The speaker's settings as apipb.Global. */
export function globalToApi(g: GlobalStatus | undefined): Global {
  if (g === undefined) return {};
  return {
    asn: g.asn,
    router_id: g.routerId,
    listen_port: g.listenPort,
    listen_addresses: [...g.listenAddresses],
    families: g.families.map(familyToGlobal),
    use_multiple_paths: g.isMultipath,
  };
}

/** A StartBgp request's global as the backend's GlobalConfig. */
export function globalConfigFromApi(g: Global | null | undefined, field: string): GlobalConfig {
  if (g === null || g === undefined) throw new ApiError('invalid-argument', 'missing', field);
  const asn = checkAsn(g.asn, `${field}.asn`, true)!;
  const routerId = g.router_id ?? '';
  addressFromApi(routerId, `${field}.router_id`, 4);
  const out: { -readonly [K in keyof GlobalConfig]: GlobalConfig[K] } = { asn, routerId };
  const port = g.listen_port ?? 0;
  if (port !== 0) {
    if (port < -1 || port > 0xffff) throw new ApiError('invalid-argument', `expected -1 (do not listen) or a port 1 to 65535, got ${port}`, `${field}.listen_port`);
    out.listenPort = port;
  }
  const addresses = g.listen_addresses ?? [];
  addresses.forEach((a, i) => addressFromApi(a, `${field}.listen_addresses[${i}]`));
  if (addresses.length > 0) out.listenAddresses = addresses;
  if ((g.families ?? []).length > 0) out.families = g.families!.map(familyFromGlobal);
  if (g.use_multiple_paths === true) out.isMultipath = true;
  return out;
}
