// RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE (rtnetlink(7), include/uapi/linux/rtnetlink.h):
// struct rtmsg, the route attributes the FIB writes or reads, and RTA_MULTIPATH with its
// rtnexthop entries. Built the way iproute2 builds them; fixtures/ip-route.ts holds what
// `ip` sent for the same routes and the tests compare bytes.

import { Afi, type Prefix } from '../lib/address.js';
import { AddressFamily, NetlinkError, align4, NlmFlag, NlReader, NlWriter, RtmType, type NlMessage } from './netlink.js';

/** Route attribute types (RTA_*). */
export const RtaType = {
  dst: 1,
  src: 2,
  iif: 3,
  oif: 4,
  gateway: 5,
  priority: 6,
  prefSrc: 7,
  metrics: 8,
  multipath: 9,
  flow: 11,
  cacheInfo: 12,
  table: 15,
  mark: 16,
  via: 18,
  pref: 20,
  expires: 23,
  nhId: 30,
} as const;

/** Route types (RTN_*). */
export const RouteType = { unspec: 0, unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9 } as const;

/** Route scopes (RT_SCOPE_*). */
export const RouteScope = { universe: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;

/** Well-known routing tables (RT_TABLE_*). */
export const RouteTable = { unspec: 0, default: 253, main: 254, local: 255 } as const;

/** Route protocols (RTPROT_*, /etc/iproute2/rt_protos) the FIB meets. */
export const RouteProtocol = { unspec: 0, redirect: 1, kernel: 2, boot: 3, static: 4, zebra: 11, bird: 12, dhcp: 16, bgp: 186 } as const;

/** rtnexthop flags (RTNH_F_*). */
export const NextHopFlag = { dead: 1, pervasive: 2, onlink: 4, offload: 8, linkDown: 16, unresolved: 32, trap: 64 } as const;

/** The only rtm_flags bit the FIB looks at: a cached clone is not a table entry. */
const RTM_F_CLONED = 0x200;

const RTNH_LEN = 8;

/** One next hop of a kernel route. */
export interface KernelNextHop {
  /** Gateway address (4 or 16 bytes); undefined for a directly connected route. */
  readonly gateway: Uint8Array | undefined;
  /** Output interface; 0 lets the kernel find it from the gateway. */
  readonly ifindex: number;
  /** ECMP weight, 1 to 256 (rtnh_hops + 1). */
  readonly weight: number;
  /** RTNH_F_* bits. */
  readonly flags: number;
}

/** A route as rtnetlink carries it. */
export interface KernelRoute {
  readonly dst: Prefix;
  readonly table: number;
  readonly protocol: number;
  readonly scope: number;
  readonly type: number;
  /** RTA_PRIORITY; part of the route's key together with table, dst and TOS. */
  readonly metric: number;
  readonly tos: number;
  /** One entry for a single-path route; several for RTA_MULTIPATH; none for e.g. blackhole. */
  readonly nextHops: readonly KernelNextHop[];
  readonly prefSrc: Uint8Array | undefined;
  /** rtm_flags. */
  readonly flags: number;
}

/** What a route request says: add (fails if present), replace (creates or swaps in one step) or delete. */
export type RouteOp = 'add' | 'replace' | 'delete';

function familyOf(afi: Afi): number {
  return afi === Afi.ipv4 ? AddressFamily.inet : AddressFamily.inet6;
}

function afiOfFamily(family: number): Afi | undefined {
  if (family === AddressFamily.inet) return Afi.ipv4;
  if (family === AddressFamily.inet6) return Afi.ipv6;
  return undefined;
}

function writeRtmsg(w: NlWriter, route: KernelRoute, isDelete: boolean): void {
  // iproute2 puts tables above 255 only in RTA_TABLE and leaves rtm_table unspecified.
  const isWideTable = route.table > 255;
  w.u8(familyOf(route.dst.afi))
    .u8(route.dst.length)
    .u8(0)
    .u8(route.tos)
    .u8(isWideTable ? RouteTable.unspec : route.table)
    .u8(route.protocol)
    // A delete matches any scope and type, as `ip route del` asks.
    .u8(isDelete ? RouteScope.nowhere : route.scope)
    .u8(isDelete ? RouteType.unspec : route.type)
    .u32(0);
  w.attrBytes(RtaType.dst, route.dst.addr);
  w.attrU32(RtaType.priority, route.metric);
  if (isWideTable) w.attrU32(RtaType.table, route.table);
}

function writeNextHops(w: NlWriter, nextHops: readonly KernelNextHop[]): void {
  if (nextHops.length === 1 && nextHops[0]!.weight === 1 && nextHops[0]!.flags === 0) {
    const nh = nextHops[0]!;
    if (nh.gateway !== undefined) w.attrBytes(RtaType.gateway, nh.gateway);
    if (nh.ifindex !== 0) w.attrU32(RtaType.oif, nh.ifindex);
    return;
  }
  const mp = w.beginAttr(RtaType.multipath);
  for (const nh of nextHops) {
    if (nh.weight < 1 || nh.weight > 256) throw new RangeError(`next hop weight ${nh.weight} is outside 1-256`);
    const at = w.beginRaw();
    w.u16(0).u8(nh.flags).u8(nh.weight - 1).u32(nh.ifindex);
    if (nh.gateway !== undefined) w.attrBytes(RtaType.gateway, nh.gateway);
    w.endRaw(at);
  }
  w.endAttr(mp);
}

/**
 * Appends one route request to `w` (a batch may hold many). `replace` is
 * NLM_F_CREATE|NLM_F_REPLACE, so a multipath set changes in one operation; `add` is
 * NLM_F_CREATE|NLM_F_EXCL like `ip route add`. Returns the message's offset in `w`.
 */
export function encodeRouteRequest(w: NlWriter, op: RouteOp, route: KernelRoute, seq: number, flags = NlmFlag.request | NlmFlag.ack): number {
  const isDelete = op === 'delete';
  const opFlags = op === 'add' ? NlmFlag.create | NlmFlag.exclusive : op === 'replace' ? NlmFlag.create | NlmFlag.replace : 0;
  const at = w.beginMessage(isDelete ? RtmType.delRoute : RtmType.newRoute, flags | opFlags, seq);
  writeRtmsg(w, route, isDelete);
  if (!isDelete) writeNextHops(w, route.nextHops);
  w.endMessage(at);
  return at;
}

/** Appends an RTM_GETROUTE dump request for one family (or both with `unspec`). */
export function encodeRouteDump(w: NlWriter, family: number, seq: number): number {
  const at = w.beginMessage(RtmType.getRoute, NlmFlag.request | NlmFlag.dump, seq);
  w.u8(family).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0);
  w.endMessage(at);
  return at;
}

function readAddress(r: NlReader, size: number, what: string): Uint8Array {
  if (r.remaining !== size) throw new NetlinkError(`${what} has ${r.remaining} bytes, expected ${size}`);
  return r.copy(size, what);
}

function decodeMultipath(r: NlReader, size: number): KernelNextHop[] {
  const out: KernelNextHop[] = [];
  while (r.remaining >= RTNH_LEN) {
    const len = r.u16('rtnh_len');
    if (len < RTNH_LEN) throw new NetlinkError(`rtnexthop length ${len}`);
    const entry = r.take(len - 2, 'rtnexthop', align4(len) - len);
    const flags = entry.u8('rtnh_flags');
    const hops = entry.u8('rtnh_hops');
    const ifindex = entry.u32('rtnh_ifindex');
    let gateway: Uint8Array | undefined;
    entry.attributes((type, value) => {
      if (type === RtaType.gateway) gateway = readAddress(value, size, 'RTA_GATEWAY');
    });
    out.push({ gateway, ifindex, weight: hops + 1, flags });
  }
  return out;
}

/**
 * Decodes an RTM_NEWROUTE / RTM_DELROUTE (a dump reply or a notification). Returns
 * undefined for what the FIB never handles: families other than IPv4/IPv6, and cached
 * clones.
 */
export function decodeRoute(msg: NlMessage): KernelRoute | undefined {
  const r = msg.body;
  const family = r.u8('rtm_family');
  const dstLength = r.u8('rtm_dst_len');
  r.skipBytes(1, 'rtm_src_len');
  const tos = r.u8('rtm_tos');
  let table = r.u8('rtm_table');
  const protocol = r.u8('rtm_protocol');
  const scope = r.u8('rtm_scope');
  const type = r.u8('rtm_type');
  const flags = r.u32('rtm_flags');
  const afi = afiOfFamily(family);
  if (afi === undefined || (flags & RTM_F_CLONED) !== 0) return undefined;
  const size = afi === Afi.ipv4 ? 4 : 16;
  if (dstLength > size * 8) throw new NetlinkError(`rtm_dst_len ${dstLength} is too long for the family`);
  let dst: Uint8Array = new Uint8Array(size);
  let metric = 0;
  let gateway: Uint8Array | undefined;
  let ifindex = 0;
  let multipath: KernelNextHop[] | undefined;
  let prefSrc: Uint8Array | undefined;
  r.attributes((attr, value) => {
    switch (attr) {
      case RtaType.dst:
        dst = readAddress(value, size, 'RTA_DST');
        break;
      case RtaType.gateway:
        gateway = readAddress(value, size, 'RTA_GATEWAY');
        break;
      case RtaType.oif:
        ifindex = value.u32('RTA_OIF');
        break;
      case RtaType.priority:
        metric = value.u32('RTA_PRIORITY');
        break;
      case RtaType.table:
        table = value.u32('RTA_TABLE');
        break;
      case RtaType.prefSrc:
        prefSrc = readAddress(value, size, 'RTA_PREFSRC');
        break;
      case RtaType.multipath:
        multipath = decodeMultipath(value, size);
        break;
    }
  });
  // A single-path route keeps its next hop's RTNH_F_* bits in the low byte of rtm_flags.
  const nextHops = multipath ?? (gateway !== undefined || ifindex !== 0 ? [{ gateway, ifindex, weight: 1, flags: flags & 0xff }] : []);
  return { dst: { afi, length: dstLength, addr: dst }, table, protocol, scope, type, metric, tos, nextHops, prefSrc, flags };
}
