// Decoding of one MRT record body (RFC 6396 4.2-4.4, RFC 8050 3-4) into the shapes of
// types.ts, on top of the BGP codec: UPDATEs through decodeMessage, RIB attributes
// through the attribute table, with the abbreviated MP_REACH_NLRI of RIB entries
// (RFC 6396 4.3.4) taken out first since the table reads only the full form.

import { Afi, type Prefix } from '../lib/address.js';
import { Reader, type OverrunError } from '../wire/reader.js';
import { familyKey, type CodecContext } from '../wire/context.js';
import { decodeAttributes } from '../wire/attributes/table.js';
import { AttrFlag, AttrType, type PathAttributes } from '../wire/attributes/types.js';
import { decodeMessage } from '../wire/message.js';
import { WireError } from '../wire/errors.js';
import { Bgp4mpSubtype, MrtError, MrtType, PeerTypeBit, TableDumpV2Subtype, type Bgp4mpPeering, type MrtHeader, type MrtPeer, type MrtRecord, type RibEntry, type RibNextHop } from './types.js';

const overrun: OverrunError = (detail) => new WireError(0, 0, detail);

/** What a reader carries from record to record: the last PEER_INDEX_TABLE (RFC 6396 4.3.1). */
export interface DecodeState {
  peers: readonly MrtPeer[] | undefined;
}

/** Every family's NLRI with path identifiers: a BGP4MP ADDPATH subtype (RFC 8050 3). */
const addPathContext: CodecContext = {
  isAs4: true,
  addPath: new Set([familyKey(Afi.ipv4, 1), familyKey(Afi.ipv4, 2), familyKey(Afi.ipv6, 1), familyKey(Afi.ipv6, 2)]),
  isExtendedMessage: true,
};
const contexts: readonly CodecContext[] = [
  { isAs4: false, addPath: new Set(), isExtendedMessage: true },
  { isAs4: true, addPath: new Set(), isExtendedMessage: true },
  { ...addPathContext, isAs4: false },
  addPathContext,
];
const ribContext = contexts[1]!;

function contextFor(isAs4: boolean, isAddPath: boolean): CodecContext {
  return contexts[(isAddPath ? 2 : 0) + (isAs4 ? 1 : 0)]!;
}

/** Reads a prefix of `afi` as "length, significant octets" (RFC 6396 4.3.2). */
function readPrefix(r: Reader, afi: Afi): Prefix {
  const length = r.u8('prefix length');
  const max = afi === Afi.ipv4 ? 32 : 128;
  if (length > max) throw new MrtError(`prefix length ${length} exceeds ${max}`);
  const addr = new Uint8Array(afi === Afi.ipv4 ? 4 : 16);
  addr.set(r.bytes((length + 7) >> 3, 'prefix'));
  return { afi, length, addr };
}

/**
 * Splits a RIB entry's attribute section: MP_REACH_NLRI, abbreviated (next hop length
 * and next hop, RFC 6396 4.3.4) or full, is read here; the rest goes to the table.
 */
function decodeRibAttributes(section: Uint8Array, ctx: CodecContext): { attributes: PathAttributes; attributeBytes: Uint8Array; mpNextHop?: RibEntry['mpNextHop'] } {
  const r = new Reader(section, 0, section.length, overrun);
  let mpStart = -1;
  let mpEnd = -1;
  let mpValue: Uint8Array | undefined;
  while (!r.isEmpty) {
    const start = r.offset;
    const flags = r.u8('attribute flags');
    const type = r.u8('attribute type');
    const length = (flags & AttrFlag.extendedLength) !== 0 ? r.u16('attribute length') : r.u8('attribute length');
    const value = r.bytes(length, `attribute type ${type}`);
    if (type === AttrType.mpReach && mpValue === undefined) {
      mpStart = start;
      mpEnd = r.offset;
      mpValue = value;
    }
  }
  let rest = section;
  let mpNextHop: RibEntry['mpNextHop'];
  if (mpValue !== undefined) {
    rest = new Uint8Array(section.length - (mpEnd - mpStart));
    rest.set(section.subarray(0, mpStart));
    rest.set(section.subarray(mpEnd), mpStart);
    mpNextHop = readMpNextHop(mpValue);
  }
  const decoded = decodeAttributes(rest, ctx, false);
  return mpNextHop === undefined ? { attributes: decoded.attributes, attributeBytes: rest } : { attributes: decoded.attributes, attributeBytes: rest, mpNextHop };
}

/**
 * The next hop of a RIB entry's MP_REACH_NLRI. The abbreviated form starts with the
 * next hop length, never 0; the full form with an AFI, whose first octet is 0.
 */
function readMpNextHop(value: Uint8Array): RibNextHop & { afi?: number; safi?: number } {
  const v = new Reader(value, 0, value.length, overrun);
  let afi: number | undefined;
  let safi: number | undefined;
  if (value.length > 0 && value[0] === 0) {
    afi = v.u16('MP_REACH_NLRI AFI');
    safi = v.u8('MP_REACH_NLRI SAFI');
  }
  const length = v.u8('next hop length');
  if (length !== 4 && length !== 16 && length !== 32) throw new MrtError(`MP_REACH_NLRI next hop of length ${length}`);
  const nextHop = v.copy(length === 4 ? 4 : 16, 'next hop');
  const hop: RibNextHop & { afi?: number; safi?: number } = length === 32 ? { nextHop, linkLocalNextHop: v.copy(16, 'link-local next hop') } : { nextHop };
  return afi === undefined ? hop : { ...hop, afi, safi };
}

function ribFamily(subtype: number): { afi: Afi; safi: number; isAddPath: boolean } | undefined {
  switch (subtype) {
    case TableDumpV2Subtype.ribIpv4Unicast:
      return { afi: Afi.ipv4, safi: 1, isAddPath: false };
    case TableDumpV2Subtype.ribIpv4Multicast:
      return { afi: Afi.ipv4, safi: 2, isAddPath: false };
    case TableDumpV2Subtype.ribIpv6Unicast:
      return { afi: Afi.ipv6, safi: 1, isAddPath: false };
    case TableDumpV2Subtype.ribIpv6Multicast:
      return { afi: Afi.ipv6, safi: 2, isAddPath: false };
    case TableDumpV2Subtype.ribIpv4UnicastAddPath:
      return { afi: Afi.ipv4, safi: 1, isAddPath: true };
    case TableDumpV2Subtype.ribIpv4MulticastAddPath:
      return { afi: Afi.ipv4, safi: 2, isAddPath: true };
    case TableDumpV2Subtype.ribIpv6UnicastAddPath:
      return { afi: Afi.ipv6, safi: 1, isAddPath: true };
    case TableDumpV2Subtype.ribIpv6MulticastAddPath:
      return { afi: Afi.ipv6, safi: 2, isAddPath: true };
    default:
      return undefined;
  }
}

function decodeRibEntries(r: Reader, count: number, isAddPath: boolean, state: DecodeState): RibEntry[] {
  const entries: RibEntry[] = [];
  for (let i = 0; i < count; i++) {
    const peerIndex = r.u16('peer index');
    if (state.peers === undefined) throw new MrtError('RIB record before any PEER_INDEX_TABLE');
    if (peerIndex >= state.peers.length) throw new MrtError(`peer index ${peerIndex} not in the PEER_INDEX_TABLE of ${state.peers.length} peers`);
    const originatedTime = r.u32('originated time');
    const pathId = isAddPath ? r.u32('path identifier') : undefined;
    const length = r.u16('attribute length');
    const { attributes, attributeBytes, mpNextHop } = decodeRibAttributes(r.bytes(length, 'attributes'), ribContext);
    const entry: RibEntry = { peerIndex, originatedTime, attributes, attributeBytes };
    entries.push(pathId === undefined ? (mpNextHop === undefined ? entry : { ...entry, mpNextHop }) : mpNextHop === undefined ? { ...entry, pathId } : { ...entry, pathId, mpNextHop });
  }
  return entries;
}

function decodeTableDumpV2(header: MrtHeader, r: Reader, state: DecodeState): MrtRecord {
  if (header.subtype === TableDumpV2Subtype.peerIndexTable) {
    const collectorId = r.copy(4, 'collector BGP ID');
    const viewName = Buffer.from(r.bytes(r.u16('view name length'), 'view name')).toString('utf8');
    const count = r.u16('peer count');
    const peers: MrtPeer[] = [];
    for (let i = 0; i < count; i++) {
      const peerType = r.u8('peer type');
      const bgpId = r.copy(4, 'peer BGP ID');
      const address = r.copy((peerType & PeerTypeBit.ipv6) !== 0 ? 16 : 4, 'peer address');
      const isAs4 = (peerType & PeerTypeBit.as4) !== 0;
      peers.push({ bgpId, address, asn: isAs4 ? r.u32('peer AS') : r.u16('peer AS'), isAs4 });
    }
    r.expectEmpty('PEER_INDEX_TABLE');
    state.peers = peers;
    return { kind: 'peer-index-table', header, collectorId, viewName, peers };
  }
  const isGeneric = header.subtype === TableDumpV2Subtype.ribGeneric || header.subtype === TableDumpV2Subtype.ribGenericAddPath;
  if (isGeneric) {
    const sequence = r.u32('sequence number');
    const afi = r.u16('AFI');
    const safi = r.u8('SAFI');
    const isAddPath = header.subtype === TableDumpV2Subtype.ribGenericAddPath;
    // RFC 6396 4.3.3: the NLRI as in MP_REACH_NLRI; only the IP families are parsed here.
    if ((afi !== Afi.ipv4 && afi !== Afi.ipv6) || (safi !== 1 && safi !== 2)) return { kind: 'unknown', header, body: new Uint8Array(0) };
    const prefix = readPrefix(r, afi);
    const entries = decodeRibEntries(r, r.u16('entry count'), isAddPath, state);
    r.expectEmpty('RIB_GENERIC');
    return { kind: 'rib', header, afi, safi, sequence, prefix, isAddPath, entries };
  }
  const family = ribFamily(header.subtype);
  if (family === undefined) return { kind: 'unknown', header, body: r.rest() };
  const sequence = r.u32('sequence number');
  const prefix = readPrefix(r, family.afi);
  const entries = decodeRibEntries(r, r.u16('entry count'), family.isAddPath, state);
  r.expectEmpty('RIB record');
  return { kind: 'rib', header, afi: family.afi, safi: family.safi, sequence, prefix, isAddPath: family.isAddPath, entries };
}

function decodeTableDump(header: MrtHeader, r: Reader): MrtRecord {
  const afi = header.subtype === 1 ? Afi.ipv4 : header.subtype === 2 ? Afi.ipv6 : undefined;
  if (afi === undefined) return { kind: 'unknown', header, body: r.rest() };
  const size = afi === Afi.ipv4 ? 4 : 16;
  const viewNumber = r.u16('view number');
  const sequence = r.u16('sequence number');
  const addr = r.copy(size, 'prefix');
  const length = r.u8('prefix length');
  if (length > size * 8) throw new MrtError(`prefix length ${length} exceeds ${size * 8}`);
  const status = r.u8('status');
  const originatedTime = r.u32('originated time');
  const peerAddress = r.copy(size, 'peer address');
  const peerAs = r.u16('peer AS');
  const { attributes, mpNextHop } = decodeRibAttributes(r.bytes(r.u16('attribute length'), 'attributes'), contexts[0]!);
  r.expectEmpty('TABLE_DUMP record');
  const rec = { kind: 'table-dump' as const, header, viewNumber, sequence, prefix: { afi, length, addr }, status, originatedTime, peerAddress, peerAs, attributes };
  return mpNextHop === undefined ? rec : { ...rec, mpNextHop };
}

function readPeering(r: Reader, isAs4: boolean): Bgp4mpPeering {
  const peerAs = isAs4 ? r.u32('peer AS') : r.u16('peer AS');
  const localAs = isAs4 ? r.u32('local AS') : r.u16('local AS');
  const interfaceIndex = r.u16('interface index');
  const afi = r.u16('address family');
  if (afi !== Afi.ipv4 && afi !== Afi.ipv6) throw new MrtError(`BGP4MP address family ${afi} is neither IPv4 nor IPv6`);
  const size = afi === Afi.ipv4 ? 4 : 16;
  return { peerAs, localAs, interfaceIndex, afi, peerAddress: r.copy(size, 'peer address'), localAddress: r.copy(size, 'local address') };
}

function decodeBgp4mp(header: MrtHeader, r: Reader): MrtRecord {
  const s = header.subtype;
  if (s === Bgp4mpSubtype.stateChange || s === Bgp4mpSubtype.stateChangeAs4) {
    const isAs4 = s === Bgp4mpSubtype.stateChangeAs4;
    const peering = readPeering(r, isAs4);
    const oldState = r.u16('old state');
    const newState = r.u16('new state');
    r.expectEmpty('BGP4MP_STATE_CHANGE');
    return { kind: 'state-change', header, peering, isAs4, oldState, newState };
  }
  const isAs4 = s === Bgp4mpSubtype.messageAs4 || s === Bgp4mpSubtype.messageAs4Local || s === Bgp4mpSubtype.messageAs4AddPath || s === Bgp4mpSubtype.messageAs4LocalAddPath;
  const isLocal = s === Bgp4mpSubtype.messageLocal || s === Bgp4mpSubtype.messageAs4Local || s === Bgp4mpSubtype.messageLocalAddPath || s === Bgp4mpSubtype.messageAs4LocalAddPath;
  const isAddPath = s >= Bgp4mpSubtype.messageAddPath && s <= Bgp4mpSubtype.messageAs4LocalAddPath;
  const isMessage = isAs4 || isLocal || isAddPath || s === Bgp4mpSubtype.message;
  if (!isMessage) return { kind: 'unknown', header, body: r.rest() };
  const peering = readPeering(r, isAs4);
  const bytes = r.rest();
  const message = decodeMessage(bytes, contextFor(isAs4, isAddPath));
  return { kind: 'message', header, peering, isAs4, isLocal, isAddPath, bytes, message };
}

/**
 * Decodes a record body. Throws MrtError or WireError for a body that does not parse;
 * the caller reports it with the record's offset and goes on with the next record.
 */
export function decodeRecord(header: MrtHeader, body: Uint8Array, state: DecodeState): MrtRecord {
  const r = new Reader(body, 0, body.length, overrun);
  switch (header.type) {
    case MrtType.tableDumpV2:
      return decodeTableDumpV2(header, r, state);
    case MrtType.tableDump:
      return decodeTableDump(header, r);
    case MrtType.bgp4mp:
    case MrtType.bgp4mpEt:
      return decodeBgp4mp(header, r);
    default:
      return { kind: 'unknown', header, body };
  }
}
