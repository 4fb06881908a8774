// Checking and converting the arguments of API requests: neighbor addresses, tables and
// families, prefixes to look up, soft reset directions. A bad argument is an ApiError
// naming its field (the gRPC status INVALID_ARGUMENT).

import { isIP } from 'node:net';
import { AddressError, Afi, parsePrefix, type Prefix } from '../lib/address.js';
import { familyName, familyOf, type FamilyKey } from '../wire/context.js';
import { ApiError, type RouteRemoval, type SoftResetDirection, type TableKind, type TableQuery } from './backend.js';
import { addressFromApi, familyFromApi } from './convert.js';
import { SoftResetDirection as ApiSoftResetDirection, TableType } from './apipb.js';

/** The ListPath and GetTable table types tsbgpd serves (no VRF tables). */
const tableKinds: Readonly<Record<number, TableKind>> = {
  [TableType.global]: 'global',
  [TableType.local]: 'local',
  [TableType.adjIn]: 'adj-in',
  [TableType.adjOut]: 'adj-out',
};

/** A neighbor address of a request; "all" where `isAllAllowed` (every peer). */
export function peerAddress(address: string | undefined, field: string, iface?: string, isAllAllowed = false): string {
  const text = address ?? '';
  if (text === '' && iface !== undefined && iface !== '') throw new ApiError('invalid-argument', 'unnumbered (interface) peers are not supported; give the neighbor address', 'interface');
  if (text === '') throw new ApiError('invalid-argument', 'expected a neighbor address, got none', field);
  if (isAllAllowed && text === 'all') return text;
  addressFromApi(text, field);
  return text;
}

/** RFC 9003 2: a Shutdown Communication is at most 255 octets of UTF-8. */
export function communication(text: string | undefined): string {
  const value = text ?? '';
  const length = Buffer.byteLength(value, 'utf8');
  if (length > 255) throw new ApiError('invalid-argument', `expected at most 255 octets (RFC 9003), got ${length}`, 'communication');
  return value;
}

export function softDirection(direction: number | undefined): SoftResetDirection {
  switch (direction ?? ApiSoftResetDirection.in) {
    case ApiSoftResetDirection.in:
      return 'in';
    case ApiSoftResetDirection.out:
      return 'out';
    case ApiSoftResetDirection.both:
      return 'both';
    default:
      throw new ApiError('invalid-argument', `expected IN, OUT or BOTH, got ${direction}`, 'direction');
  }
}

export function checkIpFamily(family: FamilyKey, field: string): void {
  const { afi, safi } = familyOf(family);
  if ((afi !== Afi.ipv4 && afi !== Afi.ipv6) || (safi !== 1 && safi !== 2)) throw new ApiError('invalid-argument', `expected ipv4/ipv6 unicast or multicast, got ${familyName(family)}`, field);
}

export function tableQuery(tableType: number | undefined, family: { afi?: number; safi?: number } | null | undefined, name: string | undefined): TableQuery {
  const table = tableKinds[tableType ?? TableType.global];
  if (table === undefined) throw new ApiError('invalid-argument', `expected GLOBAL, LOCAL, ADJ_IN or ADJ_OUT, got ${tableType}${tableType === TableType.vrf ? ' (VRF tables are not supported)' : ''}`, 'table_type');
  const key = familyFromApi(family);
  checkIpFamily(key, 'family');
  const neighbor = name ?? '';
  if (table === 'adj-in' || table === 'adj-out') {
    if (neighbor === '') throw new ApiError('invalid-argument', `the ${table} table needs a neighbor address`, 'name');
    addressFromApi(neighbor, 'name');
  } else if (neighbor !== '') {
    addressFromApi(neighbor, 'name');
  }
  return neighbor === '' ? { table, family: key } : { table, family: key, neighbor };
}

export function checkGlobalTable(tableType: number | undefined, vrf: string | undefined): void {
  if ((tableType ?? TableType.global) !== TableType.global) throw new ApiError('invalid-argument', `only the GLOBAL table takes paths, got ${tableType}`, 'table_type');
  if (vrf !== undefined && vrf !== '') throw new ApiError('invalid-argument', 'VRFs are not supported', 'vrf_id');
}

export function removalOf(family: FamilyKey, prefix: Prefix, pathId: number | undefined): RouteRemoval {
  return pathId === undefined || pathId === 0 ? { family, prefix } : { family, prefix, pathId };
}

/** A lookup prefix as text: "a.b.c.d/len", or a bare address (a host prefix). */
export function lookupPrefix(text: string, field: string, afi: number): { prefix: Prefix; isAddress: boolean } {
  try {
    const isAddress = !text.includes('/');
    const prefix = isAddress ? parsePrefix(`${text}/${isIP(text) === 6 ? 128 : 32}`) : parsePrefix(text, true);
    if (prefix.afi !== afi) throw new ApiError('invalid-argument', `"${text}" is not of the requested family`, field);
    return { prefix, isAddress };
  } catch (e) {
    if (e instanceof AddressError) throw new ApiError('invalid-argument', `expected a prefix or an address, got "${text}"`, field, { cause: e });
    throw e;
  }
}
