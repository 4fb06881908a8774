// Addresses as numbers for pool arithmetic: next free address, ranges, aggregation.
// IPv4 and IPv6 alike, as bigint (a /64 pool does not fit a double).

import { formatAddress, parseAddress } from '../lib/address.js';

/** The address (4 or 16 bytes) as an unsigned number. */
export function addressToBigInt(addr: Uint8Array): bigint {
  let n = 0n;
  for (const b of addr) n = (n << 8n) | BigInt(b);
  return n;
}

/** The number back to 4 (`isV6` false) or 16 bytes. */
export function bigIntToAddress(n: bigint, isV6: boolean): Uint8Array {
  const out = new Uint8Array(isV6 ? 16 : 4);
  let v = n;
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Text form of a numbered address. */
export function formatBigAddress(n: bigint, isV6: boolean): string {
  return formatAddress(bigIntToAddress(n, isV6));
}

/** The address text as {value, isV6}; throws AddressError on bad text. */
export function numberedAddress(text: string): { readonly value: bigint; readonly isV6: boolean } {
  const bytes = parseAddress(text);
  return { value: addressToBigInt(bytes), isV6: bytes.length === 16 };
}

/** A canonical text of an address (so "2001:DB8::1" and "2001:db8::1" compare equal). */
export function canonicalAddress(text: string): string {
  return formatAddress(parseAddress(text));
}
