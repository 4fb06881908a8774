// Compact keys for prefixes, the RIB's table keys: an IPv4 prefix is one JS number and an
// IPv6 prefix one 17-character latin1 string, so a full table needs no Prefix object per
// route. Both sort as (address, length), i.e. a prefix before the more specific ones inside it.

import { Afi, AddressError, formatAddress, parsePrefix, type Prefix } from '../lib/address.js';

/**
 * IPv4: `address * 64 + length`, an integer below 2^38 (exact in a double). IPv6: the 16
 * address bytes then the length, each as one char code 0-255. `typeof key` tells the family.
 */
export type PrefixKey = number | string;

/** Bytes in an IPv6 key: 16 address bytes and the length. */
const ipv6KeyLength = 17;

/**
 * The key of an IPv4 prefix given as its significant bytes, as NLRI carries it:
 * `bytes[offset .. offset + ceil(length/8))`, bits past `length` already zero.
 */
export function ipv4KeyRaw(bytes: Uint8Array, offset: number, length: number): number {
  let addr: number;
  switch ((length + 7) >> 3) {
    case 0:
      addr = 0;
      break;
    case 1:
      addr = bytes[offset]! << 24;
      break;
    case 2:
      addr = (bytes[offset]! << 24) | (bytes[offset + 1]! << 16);
      break;
    case 3:
      addr = (bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8);
      break;
    default:
      addr = (bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
  }
  // `>>> 0` makes the address unsigned before it is scaled: 128.0.0.0 and up would be negative.
  return (addr >>> 0) * 64 + length;
}

const scratch = new Uint8Array(16);

/** The key of an IPv6 prefix given as its significant bytes (see `ipv4KeyRaw`). */
export function ipv6KeyRaw(bytes: Uint8Array, offset: number, length: number): string {
  const n = (length + 7) >> 3;
  const s = scratch;
  for (let i = 0; i < 16; i++) s[i] = i < n ? bytes[offset + i]! : 0;
  return String.fromCharCode(s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!, s[6]!, s[7]!, s[8]!, s[9]!, s[10]!, s[11]!, s[12]!, s[13]!, s[14]!, s[15]!, length);
}

/** The key of a prefix (host bits must already be zero, as `parsePrefix` leaves them). */
export function prefixKey(prefix: Prefix): PrefixKey {
  if (prefix.afi === Afi.ipv4) return ipv4KeyRaw(prefix.addr, 0, prefix.length);
  return ipv6KeyRaw(prefix.addr, 0, prefix.length);
}

/** The key of a prefix written as text ("10.0.0.0/8", "2001:db8::/32"). */
export function parsePrefixKey(text: string): PrefixKey {
  return prefixKey(parsePrefix(text));
}

/** The address family of a key. */
export function keyAfi(key: PrefixKey): Afi {
  return typeof key === 'number' ? Afi.ipv4 : Afi.ipv6;
}

/** Prefix length of a key. */
export function keyLength(key: PrefixKey): number {
  return typeof key === 'number' ? key % 64 : key.charCodeAt(16);
}

/** The prefix a key stands for. */
export function keyToPrefix(key: PrefixKey): Prefix {
  if (typeof key === 'number') {
    if (!Number.isInteger(key) || key < 0 || key % 64 > 32 || key >= 2 ** 38) throw new AddressError(`not an IPv4 prefix key: ${key}`);
    const addr = Math.floor(key / 64);
    return { afi: Afi.ipv4, length: key % 64, addr: Uint8Array.of(addr >>> 24, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff) };
  }
  if (key.length !== ipv6KeyLength || key.charCodeAt(16) > 128) throw new AddressError(`not an IPv6 prefix key: ${JSON.stringify(key)}`);
  const addr = new Uint8Array(16);
  for (let i = 0; i < 16; i++) addr[i] = key.charCodeAt(i);
  return { afi: Afi.ipv6, length: key.charCodeAt(16), addr };
}

/** "addr/len" for a key. */
export function formatPrefixKey(key: PrefixKey): string {
  const p = keyToPrefix(key);
  return `${formatAddress(p.addr)}/${p.length}`;
}

/** Orders keys as their prefixes: by address, then length; IPv4 before IPv6. */
export function comparePrefixKeys(a: PrefixKey, b: PrefixKey): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
