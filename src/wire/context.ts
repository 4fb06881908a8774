// What a session negotiated that changes how messages are encoded or decoded.
// Decoders and encoders take it as `ctx`; they hold no other peer state.

import type { Afi, Safi } from '../lib/address.js';

/** A number naming one AFI/SAFI pair, usable as a Set or Map key. */
export type FamilyKey = number;

export function familyKey(afi: Afi | number, safi: Safi | number): FamilyKey {
  return (afi << 8) | safi;
}

export function familyOf(key: FamilyKey): { afi: number; safi: number } {
  return { afi: key >> 8, safi: key & 0xff };
}

/** ipv4-unicast / ipv6-unicast, the gobgpd spelling; other pairs as "afi-N-safi-M". */
export function familyName(key: FamilyKey): string {
  const { afi, safi } = familyOf(key);
  const a = afi === 1 ? 'ipv4' : afi === 2 ? 'ipv6' : `afi-${afi}`;
  const s = safi === 1 ? 'unicast' : safi === 2 ? 'multicast' : `safi-${safi}`;
  return `${a}-${s}`;
}

export interface CodecContext {
  /** Four-octet AS numbers negotiated (RFC 6793): AS_PATH and AGGREGATOR carry 4 octets. */
  readonly isAs4: boolean;
  /** Families whose NLRI carry a path identifier in this direction (RFC 7911). */
  readonly addPath: ReadonlySet<FamilyKey>;
  /** Extended Message negotiated (RFC 8654): messages up to 65535 octets. */
  readonly isExtendedMessage: boolean;
}

/** The context before anything is negotiated: what an OPEN is read with. */
export const defaultContext: CodecContext = {
  isAs4: false,
  addPath: new Set(),
  isExtendedMessage: false,
};

/** The usual context of a modern session: 4-octet AS, nothing else. */
export const as4Context: CodecContext = { ...defaultContext, isAs4: true };
