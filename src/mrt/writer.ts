// Encoding of MRT records (RFC 6396 2, 4.3, 4.4; RFC 8050 for ADD-PATH): what tsbgpd's
// dumps and the tests and benchmark write. RIB entries carry their attributes with
// 4-octet AS numbers and MP_REACH_NLRI in its abbreviated form (RFC 6396 4.3.4).

import { Afi, type Prefix } from '../lib/address.js';
import { Writer } from '../wire/writer.js';
import { as4Context, type CodecContext } from '../wire/context.js';
import { encodeAttributes } from '../wire/attributes/table.js';
import { AttrFlag, AttrType, type PathAttributes } from '../wire/attributes/types.js';
import { Bgp4mpSubtype, MrtError, MrtType, PeerTypeBit, TableDumpV2Subtype, type Bgp4mpPeering, type MrtPeer } from './types.js';

/** Writes the common header (and microseconds of BGP4MP_ET) and back-fills the length. */
function begin(timestamp: number, type: number, subtype: number, sizeHint: number, microseconds?: number): { w: Writer; lengthAt: number } {
  const w = new Writer(sizeHint + 16);
  w.u32(timestamp).u16(type).u16(subtype);
  const lengthAt = w.reserve(4);
  if (microseconds !== undefined) w.u32(microseconds);
  return { w, lengthAt };
}

function end(r: { w: Writer; lengthAt: number }): Uint8Array {
  r.w.fill(r.lengthAt, 4);
  return r.w.finish();
}

/** A PEER_INDEX_TABLE record (RFC 6396 4.3.1). */
export function encodePeerIndexTable(timestamp: number, collectorId: Uint8Array, viewName: string, peers: readonly MrtPeer[]): Uint8Array {
  if (peers.length > 0xffff) throw new MrtError(`a PEER_INDEX_TABLE holds at most 65535 peers, not ${peers.length}`);
  const rec = begin(timestamp, MrtType.tableDumpV2, TableDumpV2Subtype.peerIndexTable, 16 + peers.length * 32);
  const name = Buffer.from(viewName, 'utf8');
  rec.w.bytes(collectorId).u16(name.length).bytes(name).u16(peers.length);
  for (const p of peers) {
    const isIpv6 = p.address.length === 16;
    const isAs4 = p.isAs4 || p.asn > 0xffff;
    rec.w.u8((isIpv6 ? PeerTypeBit.ipv6 : 0) | (isAs4 ? PeerTypeBit.as4 : 0)).bytes(p.bgpId).bytes(p.address);
    if (isAs4) rec.w.u32(p.asn);
    else rec.w.u16(p.asn);
  }
  return end(rec);
}

/** One path of a RIB record to write. */
export interface RibEntryInput {
  readonly peerIndex: number;
  readonly originatedTime: number;
  readonly pathId?: number;
  /** Attributes; an `mpReach` is written abbreviated (its next hop only). */
  readonly attributes: PathAttributes;
}

function ribSubtype(afi: number, safi: number, isAddPath: boolean): number {
  if (afi === Afi.ipv4 && safi === 1) return isAddPath ? TableDumpV2Subtype.ribIpv4UnicastAddPath : TableDumpV2Subtype.ribIpv4Unicast;
  if (afi === Afi.ipv4 && safi === 2) return isAddPath ? TableDumpV2Subtype.ribIpv4MulticastAddPath : TableDumpV2Subtype.ribIpv4Multicast;
  if (afi === Afi.ipv6 && safi === 1) return isAddPath ? TableDumpV2Subtype.ribIpv6UnicastAddPath : TableDumpV2Subtype.ribIpv6Unicast;
  if (afi === Afi.ipv6 && safi === 2) return isAddPath ? TableDumpV2Subtype.ribIpv6MulticastAddPath : TableDumpV2Subtype.ribIpv6Multicast;
  throw new MrtError(`no RIB subtype for AFI ${afi} SAFI ${safi}`);
}

/** Writes the attributes of a RIB entry: the table's encoding plus an abbreviated MP_REACH_NLRI. */
export function writeRibAttributes(w: Writer, attributes: PathAttributes, ctx: CodecContext = as4Context): void {
  const at = w.reserve(2);
  const mp = attributes.mpReach;
  if (mp !== undefined) {
    const hopLength = mp.nextHop.length + (mp.linkLocalNextHop === undefined ? 0 : 16);
    w.u8(AttrFlag.optional).u8(AttrType.mpReach).u8(hopLength + 1).u8(hopLength).bytes(mp.nextHop);
    if (mp.linkLocalNextHop !== undefined) w.bytes(mp.linkLocalNextHop);
  }
  encodeAttributes(attributes, w, ctx, false);
  w.fill(at, 2);
}

/** A RIB_IPV4/IPV6_UNICAST/MULTICAST record, or its ADDPATH variant (RFC 6396 4.3.2, RFC 8050 4). */
export function encodeRibRecord(timestamp: number, sequence: number, prefix: Prefix, safi: number, entries: readonly RibEntryInput[], isAddPath = false): Uint8Array {
  if (entries.length > 0xffff) throw new MrtError(`a RIB record holds at most 65535 entries, not ${entries.length}`);
  const rec = begin(timestamp, MrtType.tableDumpV2, ribSubtype(prefix.afi, safi, isAddPath), 64 + entries.length * 64);
  const w = rec.w;
  w.u32(sequence).u8(prefix.length).bytes(prefix.addr.subarray(0, (prefix.length + 7) >> 3)).u16(entries.length);
  for (const e of entries) {
    w.u16(e.peerIndex).u32(e.originatedTime);
    if (isAddPath) w.u32(e.pathId ?? 0);
    writeRibAttributes(w, e.attributes);
  }
  return end(rec);
}

/** The BGP4MP subtype of a message record. */
export function messageSubtype(isAs4: boolean, isLocal: boolean, isAddPath: boolean): number {
  if (isAddPath) return isLocal ? (isAs4 ? Bgp4mpSubtype.messageAs4LocalAddPath : Bgp4mpSubtype.messageLocalAddPath) : isAs4 ? Bgp4mpSubtype.messageAs4AddPath : Bgp4mpSubtype.messageAddPath;
  return isLocal ? (isAs4 ? Bgp4mpSubtype.messageAs4Local : Bgp4mpSubtype.messageLocal) : isAs4 ? Bgp4mpSubtype.messageAs4 : Bgp4mpSubtype.message;
}

function writePeering(w: Writer, p: Bgp4mpPeering, isAs4: boolean): void {
  if (isAs4) w.u32(p.peerAs).u32(p.localAs);
  else w.u16(p.peerAs).u16(p.localAs);
  const size = p.afi === Afi.ipv4 ? 4 : 16;
  if (p.peerAddress.length !== size || p.localAddress.length !== size) throw new MrtError(`BGP4MP addresses of AFI ${p.afi} have ${size} octets`);
  w.u16(p.interfaceIndex).u16(p.afi).bytes(p.peerAddress).bytes(p.localAddress);
}

/** A BGP4MP(_ET) MESSAGE record holding `message` (header included). */
export function encodeMessageRecord(timestamp: number, peering: Bgp4mpPeering, message: Uint8Array, options: { isAs4?: boolean; isLocal?: boolean; isAddPath?: boolean; microseconds?: number } = {}): Uint8Array {
  const isAs4 = options.isAs4 ?? true;
  const type = options.microseconds === undefined ? MrtType.bgp4mp : MrtType.bgp4mpEt;
  const rec = begin(timestamp, type, messageSubtype(isAs4, options.isLocal === true, options.isAddPath === true), 48 + message.length, options.microseconds);
  writePeering(rec.w, peering, isAs4);
  rec.w.bytes(message);
  return end(rec);
}

/** A BGP4MP(_ET) STATE_CHANGE(_AS4) record (RFC 6396 4.4.1). */
export function encodeStateChange(timestamp: number, peering: Bgp4mpPeering, oldState: number, newState: number, options: { isAs4?: boolean; microseconds?: number } = {}): Uint8Array {
  const isAs4 = options.isAs4 ?? true;
  const type = options.microseconds === undefined ? MrtType.bgp4mp : MrtType.bgp4mpEt;
  const rec = begin(timestamp, type, isAs4 ? Bgp4mpSubtype.stateChangeAs4 : Bgp4mpSubtype.stateChange, 48, options.microseconds);
  writePeering(rec.w, peering, isAs4);
  rec.w.u16(oldState).u16(newState);
  return end(rec);
}
