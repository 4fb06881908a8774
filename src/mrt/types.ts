// MRT numbers and decoded records (RFC 6396 2-5, RFC 8050 for ADD-PATH): the tables of
// types and subtypes, and the record shapes the reader yields and the writer takes.

import type { Afi } from '../lib/address.js';
import type { PathAttributes } from '../wire/attributes/types.js';
import type { Message } from '../wire/message.js';

/** MRT types (RFC 6396 4, IANA "MRT Types"). */
export const MrtType = {
  tableDump: 12,
  tableDumpV2: 13,
  bgp4mp: 16,
  bgp4mpEt: 17,
} as const;

/** TABLE_DUMP subtypes are the AFI of the entry (RFC 6396 4.2). */
export const TableDumpSubtype = { ipv4: 1, ipv6: 2 } as const;

/** TABLE_DUMP_V2 subtypes (RFC 6396 4.3, RFC 8050 4). */
export const TableDumpV2Subtype = {
  peerIndexTable: 1,
  ribIpv4Unicast: 2,
  ribIpv4Multicast: 3,
  ribIpv6Unicast: 4,
  ribIpv6Multicast: 5,
  ribGeneric: 6,
  ribIpv4UnicastAddPath: 8,
  ribIpv4MulticastAddPath: 9,
  ribIpv6UnicastAddPath: 10,
  ribIpv6MulticastAddPath: 11,
  ribGenericAddPath: 12,
} as const;

/** BGP4MP and BGP4MP_ET subtypes (RFC 6396 4.4, RFC 8050 3). */
export const Bgp4mpSubtype = {
  stateChange: 0,
  message: 1,
  messageAs4: 4,
  stateChangeAs4: 5,
  messageLocal: 6,
  messageAs4Local: 7,
  messageAddPath: 8,
  messageAs4AddPath: 9,
  messageLocalAddPath: 10,
  messageAs4LocalAddPath: 11,
} as const;

/** Peer Type bits of a PEER_INDEX_TABLE entry (RFC 6396 4.3.1). */
export const PeerTypeBit = { ipv6: 0x01, as4: 0x02 } as const;

/** BGP FSM states as BGP4MP_STATE_CHANGE numbers them (RFC 6396 4.4.1). */
export const Bgp4mpState = { idle: 1, connect: 2, active: 3, openSent: 4, openConfirm: 5, established: 6 } as const;

/** The common header (RFC 6396 2), with the microseconds of an _ET type (RFC 6396 3). */
export interface MrtHeader {
  /** Seconds since the epoch. */
  readonly timestamp: number;
  readonly type: number;
  readonly subtype: number;
  /** Set for the _ET types only. */
  readonly microseconds?: number;
  /** Offset of the record's first byte in the (decompressed) stream. */
  readonly offset: number;
}

/** One peer of a PEER_INDEX_TABLE (RFC 6396 4.3.1). */
export interface MrtPeer {
  readonly bgpId: Uint8Array;
  /** 4 or 16 bytes. */
  readonly address: Uint8Array;
  readonly asn: number;
  readonly isAs4: boolean;
}

export interface PeerIndexTableRecord {
  readonly kind: 'peer-index-table';
  readonly header: MrtHeader;
  readonly collectorId: Uint8Array;
  readonly viewName: string;
  readonly peers: readonly MrtPeer[];
}

/** A RIB entry's MP_REACH_NLRI next hop, given in the abbreviated form (RFC 6396 4.3.4). */
export interface RibNextHop {
  readonly nextHop: Uint8Array;
  readonly linkLocalNextHop?: Uint8Array;
}

/** One path of a RIB record (RFC 6396 4.3.4, RFC 8050 4). */
export interface RibEntry {
  readonly peerIndex: number;
  readonly originatedTime: number;
  /** Present in the ADDPATH subtypes only. */
  readonly pathId?: number;
  readonly attributes: PathAttributes;
  /** The attribute section as dumped, without MP_REACH_NLRI: equal bytes, equal attributes. */
  readonly attributeBytes: Uint8Array;
  /**
   * MP_REACH_NLRI, when the entry has one: its next hop (abbreviated form or full), and
   * whether it was the full form with AFI/SAFI (some dumpers write that).
   */
  readonly mpNextHop?: RibNextHop & { readonly afi?: number; readonly safi?: number };
}

/** A RIB_* record of TABLE_DUMP_V2 (RFC 6396 4.3.2, 4.3.3). */
export interface RibRecord {
  readonly kind: 'rib';
  readonly header: MrtHeader;
  readonly afi: number;
  readonly safi: number;
  readonly sequence: number;
  readonly prefix: { readonly afi: Afi; readonly length: number; readonly addr: Uint8Array };
  readonly isAddPath: boolean;
  readonly entries: readonly RibEntry[];
}

/** A TABLE_DUMP (version 1) record (RFC 6396 4.2). */
export interface TableDumpRecord {
  readonly kind: 'table-dump';
  readonly header: MrtHeader;
  readonly viewNumber: number;
  readonly sequence: number;
  readonly prefix: { readonly afi: Afi; readonly length: number; readonly addr: Uint8Array };
  readonly status: number;
  readonly originatedTime: number;
  readonly peerAddress: Uint8Array;
  readonly peerAs: number;
  readonly attributes: PathAttributes;
  readonly mpNextHop?: RibNextHop & { readonly afi?: number; readonly safi?: number };
}

/** The addresses and AS numbers of a BGP4MP record (RFC 6396 4.4). */
export interface Bgp4mpPeering {
  readonly peerAs: number;
  readonly localAs: number;
  readonly interfaceIndex: number;
  readonly afi: number;
  readonly peerAddress: Uint8Array;
  readonly localAddress: Uint8Array;
}

export interface StateChangeRecord {
  readonly kind: 'state-change';
  readonly header: MrtHeader;
  readonly peering: Bgp4mpPeering;
  readonly isAs4: boolean;
  readonly oldState: number;
  readonly newState: number;
}

/** A BGP4MP_MESSAGE* record (RFC 6396 4.4.2-4.4.6, RFC 8050 3). */
export interface MessageRecord {
  readonly kind: 'message';
  readonly header: MrtHeader;
  readonly peering: Bgp4mpPeering;
  readonly isAs4: boolean;
  /** A _LOCAL subtype: a message the dumper sent, not one it received. */
  readonly isLocal: boolean;
  readonly isAddPath: boolean;
  /** The BGP message as recorded, header included. */
  readonly bytes: Uint8Array;
  readonly message: Message;
}

/** A record of a type or subtype this reader does not decode, kept whole. */
export interface UnknownRecord {
  readonly kind: 'unknown';
  readonly header: MrtHeader;
  readonly body: Uint8Array;
}

export type MrtRecord = PeerIndexTableRecord | RibRecord | TableDumpRecord | StateChangeRecord | MessageRecord | UnknownRecord;

/** A record that could not be read: where, and why. The reader goes on when it can. */
export interface MrtFault {
  readonly kind: 'fault';
  /** Offset of the record in the (decompressed) stream. */
  readonly offset: number;
  readonly message: string;
  /** False when nothing more can be read (a cut file, a length past any sane size). */
  readonly isRecoverable: boolean;
}

/** An MRT record cannot be decoded or encoded; `offset` is the record's when known. */
export class MrtError extends Error {
  override readonly name = 'MrtError';
}
