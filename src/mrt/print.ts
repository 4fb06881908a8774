// Text of MRT records, one line per route or message: the `bgpdump -m` format (the
// reference is Debian's bgpdump 1.6.2: same fields, order and spelling, including its
// defaults for missing attributes), and a JSON form with the same content.

import { Afi, formatAddress } from '../lib/address.js';
import { AsSegmentType, type AsPathSegment, type PathAttributes } from '../wire/attributes/types.js';
import type { NlriList } from '../wire/nlri.js';
import type { MessageRecord, MrtPeer, MrtRecord, RibRecord, StateChangeRecord, TableDumpRecord } from './types.js';

/**
 * IPv6 text as bgpdump writes it (a BSD inet_ntop): RFC 5952 zero compression, and the
 * IPv4-compatible and IPv4-mapped forms ("::1.2.3.4", "::ffff:1.2.3.4") dotted.
 */
export function formatIpv6(addr: Uint8Array): string {
  let zeros = true;
  for (let i = 0; i < 10; i++) if (addr[i] !== 0) zeros = false;
  if (zeros) {
    const w5 = (addr[10]! << 8) | addr[11]!;
    const w6 = (addr[12]! << 8) | addr[13]!;
    const tail = `${addr[12]}.${addr[13]}.${addr[14]}.${addr[15]}`;
    if (w5 === 0xffff) return `::ffff:${tail}`;
    // "::" and "::1" stay as they are (the run would cover the seventh word).
    if (w5 === 0 && w6 !== 0) return `::${tail}`;
  }
  return formatAddress(addr);
}

function formatIp(addr: Uint8Array): string {
  return addr.length === 4 ? `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}` : formatIpv6(addr);
}

const noAddress = '255.255.255.255';

/** bgpdump's AS_PATH text: sequences spaced, {set}, (confed sequence), [confed set]. */
export function formatAsPath(segments: readonly AsPathSegment[] | undefined): string {
  if (segments === undefined) return '';
  let out = '';
  let previous: number = AsSegmentType.sequence;
  let isSpaced = false;
  for (const seg of segments) {
    if (previous !== AsSegmentType.sequence) out += closing(previous);
    if (isSpaced) out += ' ';
    if (seg.type !== AsSegmentType.sequence) out += opening(seg.type);
    isSpaced = false;
    const separator = seg.type === AsSegmentType.set || seg.type === AsSegmentType.confedSet ? ',' : ' ';
    for (const asn of seg.asns) {
      if (isSpaced) out += separator;
      else isSpaced = true;
      out += asn;
    }
    previous = seg.type;
  }
  if (segments.length > 0 && previous !== AsSegmentType.sequence) out += closing(previous);
  return out;
}

function opening(type: number): string {
  return type === AsSegmentType.set ? '{' : type === AsSegmentType.confedSet ? '[' : type === AsSegmentType.confedSequence ? '(' : ' ';
}

function closing(type: number): string {
  return type === AsSegmentType.set ? '}' : type === AsSegmentType.confedSet ? ']' : type === AsSegmentType.confedSequence ? ')' : ' ';
}

/** bgpdump's community text, without its leading space; well-known names as it spells them. */
export function formatCommunities(communities: readonly number[]): string {
  const parts: string[] = [];
  for (const c of communities) {
    if (c === 0xffffff01) parts.push('no-export');
    else if (c === 0xffffff02) parts.push('no-advertise');
    else if (c === 0xffffff03) parts.push('local-AS');
    else parts.push(`${c >>> 16}:${c & 0xffff}`);
  }
  return parts.join(' ');
}

function describeOrigin(origin: number | undefined): string {
  return origin === 0 ? 'IGP' : origin === 1 ? 'EGP' : 'INCOMPLETE';
}

/** A 32-bit value as C's %d prints it (bgpdump uses %d for two fields of one line). */
function signed(n: number): number {
  return n | 0;
}

/**
 * The fields after the next hop, shared by every announcement line:
 * "LOCAL_PREF|MED|COMMUNITIES|AG|AGGREGATOR|".
 */
function tail(a: PathAttributes, isSigned: boolean): string {
  const localPref = a.localPref ?? 0;
  const med = a.med ?? 0;
  const communities = a.communities === undefined ? '' : formatCommunities(a.communities);
  const aggregator = a.aggregator === undefined ? '' : `${a.aggregator.asn} ${formatIp(a.aggregator.address)}`;
  return `${isSigned ? signed(localPref) : localPref}|${isSigned ? signed(med) : med}|${communities}|${a.isAtomicAggregate === true ? 'AG' : 'NAG'}|${aggregator}|`;
}

/** Formats records as `bgpdump -m` lines; keeps the PEER_INDEX_TABLE between records. */
export class BgpdumpFormatter {
  private peers: readonly MrtPeer[] = [];

  /** The lines of one record, each ending in "\n" ("" for records bgpdump prints nothing of). */
  format(record: MrtRecord): string {
    switch (record.kind) {
      case 'peer-index-table':
        this.peers = record.peers;
        return '';
      case 'rib':
        return this.rib(record);
      case 'table-dump':
        return tableDump(record);
      case 'state-change':
        return stateChange(record);
      case 'message':
        return message(record);
      case 'unknown':
        return '';
    }
  }

  private rib(r: RibRecord): string {
    const time = String(r.header.timestamp);
    const prefix = `${formatIp(r.prefix.addr)}/${r.prefix.length}`;
    const head = r.isAddPath ? 'TABLE_DUMP2_AP|' : 'TABLE_DUMP2|';
    let out = '';
    for (const e of r.entries) {
      const peer = this.peers[e.peerIndex];
      const peerText = peer === undefined ? `|0|` : `${formatIp(peer.address)}|${peer.asn}|`;
      const a = e.attributes;
      // bgpdump takes an MP_REACH_NLRI next hop only in its abbreviated form or for IPv6
      // unicast; otherwise NEXT_HOP, and 255.255.255.255 when there is none.
      const mp = e.mpNextHop;
      const isMpHop = mp !== undefined && (mp.afi === undefined || (mp.afi === Afi.ipv6 && mp.safi === 1));
      const nextHop = isMpHop ? formatIpv6(widen(mp.nextHop)) : a.nextHop === undefined ? noAddress : formatIp(a.nextHop);
      const rest = `${formatAsPath(a.asPath)}|${describeOrigin(a.origin)}|${nextHop}|${tail(a, false)}\n`;
      out += `${head}${time}|B|${peerText}${prefix}|${r.isAddPath ? `${e.pathId ?? 0}|` : ''}${rest}`;
    }
    return out;
  }
}

/** A 4-byte next hop where bgpdump reads 16 (its abbreviated MP_REACH_NLRI is IPv6 only). */
function widen(addr: Uint8Array): Uint8Array {
  if (addr.length === 16) return addr;
  const out = new Uint8Array(16);
  out.set(addr);
  return out;
}

function tableDump(r: TableDumpRecord): string {
  const a = r.attributes;
  const mp = r.mpNextHop;
  const isMpHop = mp !== undefined && (mp.afi === undefined || (mp.afi === Afi.ipv6 && mp.safi === 1));
  const nextHop = isMpHop ? formatIpv6(widen(mp.nextHop)) : a.nextHop === undefined ? noAddress : formatIp(a.nextHop);
  return `TABLE_DUMP|${r.header.timestamp}|B|${formatIp(r.peerAddress)}|${r.peerAs}|${formatIp(r.prefix.addr)}/${r.prefix.length}|${formatAsPath(a.asPath)}|${describeOrigin(a.origin)}|${nextHop}|${tail(a, false)}\n`;
}

function timeOf(r: { header: { timestamp: number; microseconds?: number } }): string {
  const us = r.header.microseconds;
  return us === undefined ? String(r.header.timestamp) : `${r.header.timestamp}.${String(us).padStart(6, '0')}`;
}

function stateChange(r: StateChangeRecord): string {
  const name = r.header.microseconds === undefined ? 'BGP4MP' : 'BGP4MP_ET';
  return `${name}|${timeOf(r)}|STATE|${formatIp(r.peering.peerAddress)}|${r.peering.peerAs}|${r.oldState}|${r.newState}\n`;
}

/** BGP4MP, BGP4MP_ET, with _LOCAL and _AP as bgpdump names them. */
function messageFormat(r: MessageRecord): string {
  return `BGP4MP${r.header.microseconds === undefined ? '' : '_ET'}${r.isLocal ? '_LOCAL' : ''}${r.isAddPath ? '_AP' : ''}`;
}

function forEachPrefix(list: NlriList, visit: (text: string, pathId: number) => void): void {
  const isV4 = list.afi === Afi.ipv4;
  const addr = new Uint8Array(isV4 ? 4 : 16);
  list.forEachRaw((bytes, offset, length, pathId) => {
    addr.fill(0);
    addr.set(bytes.subarray(offset, offset + ((length + 7) >> 3)));
    visit(`${isV4 ? formatIp(addr) : formatIpv6(addr)}/${length}`, pathId);
  });
}

function message(r: MessageRecord): string {
  const m = r.message;
  if (m.type !== 'update') return '';
  const head = `${messageFormat(r)}|${timeOf(r)}|`;
  // bgpdump names the peer of the session in both directions: the first address and AS.
  const peer = `${formatIp(r.peering.peerAddress)}|${r.peering.peerAs}|`;
  const ap = r.isAddPath;
  const a = m.attributes;
  let out = '';
  const withdraw = (list: NlriList): void => {
    forEachPrefix(list, (p, id) => {
      out += `${head}W|${peer}${p}${ap ? `|${id}` : ''}\n`;
    });
  };
  // RFC 4271 4.3 fields first, then MP_UNREACH_NLRI; bgpdump's order, IPv4 before IPv6.
  withdraw(m.withdrawn);
  const unreach = a.mpUnreach;
  if (unreach !== undefined && unreach.afi === Afi.ipv4) withdraw(unreach.withdrawn);
  if (unreach !== undefined && unreach.afi === Afi.ipv6) withdraw(unreach.withdrawn);
  const pathText = `${formatAsPath(a.asPath)}|${describeOrigin(a.origin)}|`;
  if (m.nlri.count > 0) {
    const rest = `${a.nextHop === undefined ? noAddress : formatIp(a.nextHop)}|${tail(a, false)}\n`;
    forEachPrefix(m.nlri, (p, id) => {
      out += `${head}A|${peer}${p}|${ap ? `${id}|` : ''}${pathText}${rest}`;
    });
  }
  const reach = a.mpReach;
  if (reach !== undefined && reach.nlri.count > 0) {
    // bgpdump prints IPv4 MP next hops and the LOCAL_PREF and MED of those lines with %d.
    const isV4 = reach.afi === Afi.ipv4;
    const rest = `${isV4 ? formatIp(reach.nextHop.subarray(0, 4)) : formatIpv6(reach.nextHop)}|${tail(a, isV4)}\n`;
    forEachPrefix(reach.nlri, (p, id) => {
      out += `${head}A|${peer}${p}|${ap ? `${id}|` : ''}${pathText}${rest}`;
    });
  }
  return out;
}

/** A record as JSON lines with the fields of the text form (one object per route). */
export class JsonFormatter {
  private peers: readonly MrtPeer[] = [];

  format(record: MrtRecord): string {
    switch (record.kind) {
      case 'peer-index-table':
        this.peers = record.peers;
        return `${JSON.stringify({ type: 'PEER_INDEX_TABLE', offset: record.header.offset, time: record.header.timestamp, collectorId: formatIp(record.collectorId), viewName: record.viewName, peers: record.peers.map((p) => ({ bgpId: formatIp(p.bgpId), address: formatIp(p.address), as: p.asn })) })}\n`;
      case 'rib': {
        let out = '';
        for (const e of record.entries) {
          const peer = this.peers[e.peerIndex];
          const mp = e.mpNextHop;
          out += `${JSON.stringify({
            type: record.isAddPath ? 'TABLE_DUMP2_AP' : 'TABLE_DUMP2',
            offset: record.header.offset,
            time: record.header.timestamp,
            afi: record.afi,
            safi: record.safi,
            peer: peer === undefined ? null : formatIp(peer.address),
            peerAs: peer?.asn ?? null,
            prefix: `${formatIp(record.prefix.addr)}/${record.prefix.length}`,
            ...(e.pathId === undefined ? {} : { pathId: e.pathId }),
            originatedTime: e.originatedTime,
            ...attributesJson(e.attributes, mp === undefined ? undefined : mp.nextHop),
          })}\n`;
        }
        return out;
      }
      case 'table-dump':
        return `${JSON.stringify({ type: 'TABLE_DUMP', offset: record.header.offset, time: record.header.timestamp, peer: formatIp(record.peerAddress), peerAs: record.peerAs, prefix: `${formatIp(record.prefix.addr)}/${record.prefix.length}`, originatedTime: record.originatedTime, ...attributesJson(record.attributes, record.mpNextHop?.nextHop) })}\n`;
      case 'state-change':
        return `${JSON.stringify({ type: record.header.microseconds === undefined ? 'BGP4MP' : 'BGP4MP_ET', offset: record.header.offset, time: timeOf(record), kind: 'STATE', peer: formatIp(record.peering.peerAddress), peerAs: record.peering.peerAs, local: formatIp(record.peering.localAddress), localAs: record.peering.localAs, oldState: record.oldState, newState: record.newState })}\n`;
      case 'message':
        return messageJson(record);
      case 'unknown':
        return `${JSON.stringify({ type: 'UNKNOWN', offset: record.header.offset, time: record.header.timestamp, mrtType: record.header.type, subtype: record.header.subtype, length: record.body.length })}\n`;
    }
  }
}

function attributesJson(a: PathAttributes, mpNextHop: Uint8Array | undefined): Record<string, unknown> {
  const hop = a.mpReach?.nextHop ?? mpNextHop ?? a.nextHop;
  return {
    asPath: formatAsPath(a.asPath),
    origin: describeOrigin(a.origin),
    nextHop: hop === undefined ? null : formatIp(hop),
    localPref: a.localPref ?? null,
    med: a.med ?? null,
    communities: a.communities === undefined ? [] : formatCommunities(a.communities).split(' '),
    largeCommunities: (a.largeCommunities ?? []).map((c) => c.join(':')),
    atomicAggregate: a.isAtomicAggregate === true,
    aggregator: a.aggregator === undefined ? null : `${a.aggregator.asn} ${formatIp(a.aggregator.address)}`,
  };
}

function messageJson(r: MessageRecord): string {
  const m = r.message;
  const base = { type: messageFormat(r), offset: r.header.offset, time: timeOf(r), peer: formatIp(r.peering.peerAddress), peerAs: r.peering.peerAs, local: formatIp(r.peering.localAddress), localAs: r.peering.localAs };
  if (m.type !== 'update') return `${JSON.stringify({ ...base, kind: m.type.toUpperCase() })}\n`;
  let out = '';
  const lists: { list: NlriList; isWithdraw: boolean }[] = [{ list: m.withdrawn, isWithdraw: true }];
  if (m.attributes.mpUnreach !== undefined) lists.push({ list: m.attributes.mpUnreach.withdrawn, isWithdraw: true });
  lists.push({ list: m.nlri, isWithdraw: false });
  if (m.attributes.mpReach !== undefined) lists.push({ list: m.attributes.mpReach.nlri, isWithdraw: false });
  const attrs = attributesJson(m.attributes, undefined);
  for (const { list, isWithdraw } of lists) {
    forEachPrefix(list, (prefix, pathId) => {
      out += `${JSON.stringify({ ...base, kind: isWithdraw ? 'W' : 'A', prefix, ...(r.isAddPath ? { pathId } : {}), ...(isWithdraw ? {} : attrs) })}\n`;
    });
  }
  return out;
}
