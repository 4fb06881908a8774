// What a peer's Adj-RIB-In costs in memory, estimated without walking it: a fixed cost per
// route held, by address family, plus the attribute sets the peer's routes made the
// store create (attr-store.ts charges each set to one peer). The figures are heap bytes
// measured with bench/rib-memory.ts on Node 20 (`node --expose-gc dist/bench/rib-memory.js`).

import { Afi } from '../lib/address.js';
import type { FamilyKey } from '../wire/context.js';

/**
 * An IPv4 route: the Route object, its slots in the Adj-RIB-In and the Loc-RIB tables,
 * and its key's slot in the typed-array tables. bench/rib-ingest.js (`--only one`, a
 * million routes) prints 100 bytes/route, bench/rib-memory.js 95; rounded up to a
 * multiple of 8. A route for a prefix other peers also hold costs more (220 to 265
 * bytes: the Loc-RIB entry becomes a list); that share is not charged, so a peer is
 * charged as if it were alone. Measure again when the tables change.
 */
export const ipv4RouteBytes = 104;
/** An IPv6 route: the same with a longer key (bench/rib-memory.js: 108 bytes/route, 228 to 271 shared). */
export const ipv6RouteBytes = 112;
/**
 * An attribute set beyond its routes: the AttrSet, its decoded attributes, the next hop
 * copy, the key string (the attribute bytes and 7 to 35 characters of next hops) and
 * the store's map entry. bench/rib-memory.js gives 1,086 bytes for a 27-byte attrKey,
 * 1,529 for 146, 2,368 for 426, 4,769 for 1,228: about 1 KiB plus 3 bytes per key
 * character (within 4 %).
 */
export const attrSetFixedBytes = 1024;
export const attrSetBytesPerKeyChar = 3;

/** The estimated cost of one route held in `family`. */
export function routeBytes(family: FamilyKey): number {
  return family >> 8 === Afi.ipv4 ? ipv4RouteBytes : ipv6RouteBytes;
}

/** The estimated cost of an attribute set whose store key is `keyLength` characters long. */
export function attrSetBytes(keyLength: number): number {
  return attrSetFixedBytes + attrSetBytesPerKeyChar * keyLength;
}
