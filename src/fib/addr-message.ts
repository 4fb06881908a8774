// RTM_NEWADDR / RTM_DELADDR (rtnetlink(7), include/uapi/linux/if_addr.h): struct
// ifaddrmsg and the attributes naming the address, enough to know which addresses and
// connected prefixes this host has on which interface.

import { Afi, maskAddress, type Prefix } from '../lib/address.js';
import { AddressFamily, NetlinkError, NlmFlag, NlWriter, RtmType, type NlMessage } from './netlink.js';

/** Address attribute types (IFA_*). */
export const IfaType = { address: 1, local: 2, label: 3, flags: 8 } as const;

/** An interface address. */
export interface AddrInfo {
  readonly ifindex: number;
  /** The local address (IFA_LOCAL, else IFA_ADDRESS). */
  readonly address: Uint8Array;
  /** The connected network: the address masked to its prefix length. */
  readonly prefix: Prefix;
  readonly scope: number;
}

/** Decodes an RTM_NEWADDR or RTM_DELADDR; undefined for families other than IPv4/IPv6. */
export function decodeAddr(msg: NlMessage): AddrInfo | undefined {
  const r = msg.body;
  const family = r.u8('ifa_family');
  const length = r.u8('ifa_prefixlen');
  r.skipBytes(1, 'ifa_flags');
  const scope = r.u8('ifa_scope');
  const ifindex = r.u32('ifa_index');
  const afi = family === AddressFamily.inet ? Afi.ipv4 : family === AddressFamily.inet6 ? Afi.ipv6 : undefined;
  if (afi === undefined) return undefined;
  const size = afi === Afi.ipv4 ? 4 : 16;
  let local: Uint8Array | undefined;
  let address: Uint8Array | undefined;
  r.attributes((type, value) => {
    if (type !== IfaType.local && type !== IfaType.address) return;
    if (value.remaining !== size) throw new NetlinkError(`address attribute ${type} has ${value.remaining} bytes, expected ${size}`);
    if (type === IfaType.local) local = value.copy(size);
    else address = value.copy(size);
  });
  // On point-to-point links IFA_ADDRESS is the peer and IFA_LOCAL ours.
  const own = local ?? address;
  if (own === undefined) throw new NetlinkError('address message without IFA_LOCAL or IFA_ADDRESS');
  if (length > size * 8) throw new NetlinkError(`ifa_prefixlen ${length} is too long for the family`);
  return { ifindex, address: own, prefix: { afi, length, addr: maskAddress(address ?? own, length) }, scope };
}

/** Appends an RTM_GETADDR dump request. */
export function encodeAddrDump(w: NlWriter, seq: number): number {
  const at = w.beginMessage(RtmType.getAddr, NlmFlag.request | NlmFlag.dump, seq);
  w.u8(AddressFamily.unspec).u8(0).u8(0).u8(0).u32(0);
  w.endMessage(at);
  return at;
}
