// RTM_NEWLINK / RTM_DELLINK (rtnetlink(7), include/uapi/linux/if_link.h): just enough of
// struct ifinfomsg and its attributes for next hop resolution: index, name, up or down.

import { NlmFlag, NlWriter, RtmType, AddressFamily, type NlMessage } from './netlink.js';

/** Interface attribute types (IFLA_*). */
export const IflaType = { address: 1, ifname: 3, mtu: 4, operState: 16 } as const;

/** RFC 2863 operational states as IFLA_OPERSTATE carries them (IF_OPER_*). */
export const OperState = { unknown: 0, notPresent: 1, down: 2, lowerLayerDown: 3, testing: 4, dormant: 5, up: 6 } as const;

/** Interface flag bits (IFF_*). */
export const IfFlag = { up: 0x1, loopback: 0x8, running: 0x40, lowerUp: 0x10000 } as const;

/** An interface as a link message describes it. */
export interface LinkInfo {
  readonly ifindex: number;
  readonly name: string;
  /** IFF_* bits. */
  readonly flags: number;
  /** IF_OPER_* (unknown when the message had none). */
  readonly operState: number;
  /** True if the interface can carry traffic: administratively up with carrier. */
  readonly isUp: boolean;
}

/** Decodes an RTM_NEWLINK or RTM_DELLINK. */
export function decodeLink(msg: NlMessage): LinkInfo {
  const r = msg.body;
  r.skipBytes(4, 'ifi_family, pad and ifi_type');
  const ifindex = r.u32('ifi_index');
  const flags = r.u32('ifi_flags');
  r.skipBytes(4, 'ifi_change');
  let name = '';
  let operState: number = OperState.unknown;
  r.attributes((type, value) => {
    if (type === IflaType.ifname) name = value.cString();
    else if (type === IflaType.operState) operState = value.u8('IFLA_OPERSTATE');
  });
  // Loopback and some virtual devices report "unknown" while working; the carrier bit decides.
  const isUp = (flags & IfFlag.up) !== 0 && (flags & IfFlag.lowerUp) !== 0 && (operState === OperState.up || operState === OperState.unknown);
  return { ifindex, name, flags, operState, isUp };
}

/** Appends an RTM_GETLINK dump request. */
export function encodeLinkDump(w: NlWriter, seq: number): number {
  const at = w.beginMessage(RtmType.getLink, NlmFlag.request | NlmFlag.dump, seq);
  w.u8(AddressFamily.unspec).u8(0).u16(0).u32(0).u32(0).u32(0);
  w.endMessage(at);
  return at;
}

