// IP addresses and prefixes: parsing, formatting and the address family numbers
// (IANA AFI, RFC 4760 SAFI). Addresses are kept as bytes (4 or 16) so the codec
// never converts to text on the hot path; text is made only for people.

import { isIPv4, isIPv6 } from 'node:net';

/** IANA Address Family Identifiers used by BGP. */
export const Afi = { ipv4: 1, ipv6: 2 } as const;
export type Afi = (typeof Afi)[keyof typeof Afi];

/** Subsequent Address Family Identifiers (RFC 4760). */
export const Safi = { unicast: 1, multicast: 2 } as const;
export type Safi = (typeof Safi)[keyof typeof Safi];

export type Family = 'ipv4' | 'ipv6';

/** Bytes in an address of the family. */
export function addressBytes(afi: Afi): 4 | 16 {
  return afi === Afi.ipv4 ? 4 : 16;
}

/** Bits in an address of the family. */
export function addressBits(afi: Afi): 32 | 128 {
  return afi === Afi.ipv4 ? 32 : 128;
}

/** An IP prefix. `addr` holds the full-width address with the host bits zero. */
export interface Prefix {
  readonly afi: Afi;
  readonly length: number;
  readonly addr: Uint8Array;
}

/** An IP address given in text was not valid. */
export class AddressError extends Error {
  override readonly name = 'AddressError';
}

/** Parses an IPv4 or IPv6 address into 4 or 16 bytes. */
export function parseAddress(text: string): Uint8Array {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  if (isIPv6(text)) return parseIPv6(text);
  throw new AddressError(`not an IP address: "${text}"`);
}

function parseIPv6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let body = text;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const lastColon = body.lastIndexOf(':');
  const tail = body.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseAddress(tail);
    body = body.slice(0, lastColon + 1) + (((v4[0]! << 8) | v4[1]!).toString(16)) + ':' + (((v4[2]! << 8) | v4[3]!).toString(16));
  }
  const [head, rest] = body.includes('::') ? body.split('::') as [string, string] : [body, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? headGroups : [...headGroups, ...new Array<string>(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** Formats 4 or 16 address bytes as text (RFC 5952 form for IPv6). */
export function formatAddress(addr: Uint8Array): string {
  if (addr.length === 4) return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}`;
  if (addr.length !== 16) throw new AddressError(`an address has 4 or 16 bytes, not ${addr.length}`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((addr[i]! << 8) | addr[i + 1]!);
  // RFC 5952 4.2: the longest run of two or more zero groups, first one on a tie, becomes "::".
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

/** The family of an address given as bytes. */
export function afiOf(addr: Uint8Array): Afi {
  return addr.length === 4 ? Afi.ipv4 : Afi.ipv6;
}

/** Parses "a.b.c.d/len" or "x::/len"; host bits must be zero unless `isLoose`. */
export function parsePrefix(text: string, isLoose = false): Prefix {
  const slash = text.indexOf('/');
  if (slash < 0) throw new AddressError(`not a prefix (no "/len"): "${text}"`);
  const addr = parseAddress(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  const length = Number(lenText);
  const bits = addr.length * 8;
  if (!/^\d{1,3}$/.test(lenText) || length > bits) throw new AddressError(`bad prefix length in "${text}": expected 0 to ${bits}`);
  const masked = maskAddress(addr, length);
  if (!isLoose && !bytesEqual(masked, addr)) throw new AddressError(`host bits set in "${text}"`);
  return { afi: afiOf(addr), length, addr: masked };
}

/** Formats a prefix as "addr/len". */
export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.addr)}/${p.length}`;
}

/** A copy of `addr` with every bit past `length` cleared. */
export function maskAddress(addr: Uint8Array, length: number): Uint8Array {
  const out = Uint8Array.from(addr);
  for (let bit = length; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return out;
}

/** True if `addr` lies inside `prefix`. */
export function prefixContains(prefix: Prefix, addr: Uint8Array): boolean {
  if (addr.length !== prefix.addr.length) return false;
  return bytesEqual(maskAddress(addr, prefix.length), prefix.addr);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Orders addresses numerically (IPv4 before IPv6). */
export function compareAddress(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
