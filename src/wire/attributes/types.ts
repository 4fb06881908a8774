// The decoded path attributes of an UPDATE (RFC 4271 4.3, 5). One field per known
// attribute; the rows that decode and encode them live beside this file, one per
// attribute, in the table of attributes/table.ts.

import type { NlriList } from '../nlri.js';

/** Attribute type codes (IANA "BGP Path Attributes"). */
export const AttrType = {
  origin: 1,
  asPath: 2,
  nextHop: 3,
  med: 4,
  localPref: 5,
  atomicAggregate: 6,
  aggregator: 7,
  communities: 8,
  originatorId: 9,
  clusterList: 10,
  mpReach: 14,
  mpUnreach: 15,
  extCommunities: 16,
  as4Path: 17,
  as4Aggregator: 18,
  largeCommunities: 32,
} as const;

/** Attribute flag bits (RFC 4271 4.3). */
export const AttrFlag = {
  optional: 0x80,
  transitive: 0x40,
  partial: 0x20,
  extendedLength: 0x10,
} as const;

/** The 2-octet AS that stands for a 4-octet one on a 2-octet session (RFC 6793 9). */
export const asTrans = 23456;

export const Origin = { igp: 0, egp: 1, incomplete: 2 } as const;
export type Origin = (typeof Origin)[keyof typeof Origin];

/** AS_PATH segment types (RFC 4271 4.3, RFC 5065 3). */
export const AsSegmentType = {
  set: 1,
  sequence: 2,
  confedSequence: 3,
  confedSet: 4,
} as const;
export type AsSegmentType = (typeof AsSegmentType)[keyof typeof AsSegmentType];

export interface AsPathSegment {
  readonly type: AsSegmentType;
  readonly asns: readonly number[];
}

export interface Aggregator {
  readonly asn: number;
  /** IPv4 address, 4 bytes. */
  readonly address: Uint8Array;
}

export interface MpReach {
  readonly afi: number;
  readonly safi: number;
  /** Global next hop (4 or 16 bytes). */
  readonly nextHop: Uint8Array;
  /** IPv6 link-local next hop when the field holds 32 bytes (RFC 2545 3). */
  readonly linkLocalNextHop?: Uint8Array;
  readonly nlri: NlriList;
}

export interface MpUnreach {
  readonly afi: number;
  readonly safi: number;
  readonly withdrawn: NlriList;
}

/** A large community (RFC 8092): three 32-bit numbers. */
export type LargeCommunity = readonly [number, number, number];

/**
 * An attribute this implementation does not know, kept as it came (RFC 4271 5); also an
 * MP_REACH_NLRI / MP_UNREACH_NLRI of a family whose NLRI this codec does not parse.
 */
export interface UnknownAttribute {
  /** Optional, Transitive and Partial bits as received (Extended Length is the encoder's). */
  readonly flags: number;
  readonly typeCode: number;
  readonly value: Uint8Array;
}

/**
 * The attributes of one UPDATE. AS numbers are 4-octet values whatever the session:
 * for a 2-octet session the decoder has already merged AS4_PATH / AS4_AGGREGATOR
 * (RFC 6793 4.2.3) and the encoder splits them again.
 */
export interface PathAttributes {
  readonly origin?: Origin;
  readonly asPath?: readonly AsPathSegment[];
  /** NEXT_HOP attribute, IPv4 (4 bytes). */
  readonly nextHop?: Uint8Array;
  readonly med?: number;
  readonly localPref?: number;
  readonly isAtomicAggregate?: boolean;
  readonly aggregator?: Aggregator;
  /** RFC 1997 communities, each a 32-bit value (high 16 bits the AS). */
  readonly communities?: readonly number[];
  readonly originatorId?: Uint8Array;
  readonly clusterList?: readonly Uint8Array[];
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  /** RFC 4360 extended communities, 8 bytes each. */
  readonly extCommunities?: readonly Uint8Array[];
  readonly largeCommunities?: readonly LargeCommunity[];
  /** Unknown optional attributes, in the order received. */
  readonly unknown?: readonly UnknownAttribute[];
  /**
   * Type codes of known optional transitive attributes that came with the Partial bit
   * set, ascending: RFC 4271 5 forbids clearing it when the route is passed on.
   */
  readonly partial?: readonly number[];
}

/** Well-known communities (RFC 1997, RFC 3765, RFC 7999, RFC 8326). */
export const WellKnownCommunity = {
  gracefulShutdown: 0xffff0000,
  acceptOwn: 0xffff0001,
  llgrStale: 0xffff0006,
  noLlgr: 0xffff0007,
  blackhole: 0xffff029a,
  noExport: 0xffffff01,
  noAdvertise: 0xffffff02,
  noExportSubconfed: 0xffffff03,
  noPeer: 0xffffff04,
} as const;
