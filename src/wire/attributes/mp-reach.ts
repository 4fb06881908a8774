// MP_REACH_NLRI (RFC 4760 3): AFI, SAFI, next hop, reserved octet, NLRI. Next hops:
// IPv4 4 octets; IPv6 16, or 32 with the link-local address (RFC 2545 3); IPv4 NLRI
// over an IPv6 next hop of 16 or 32 octets (RFC 8950 3). Path identifiers per
// ADD-PATH family (RFC 7911 3).
// Malformed: AFI/SAFI disable once the AFI/SAFI is known (RFC 4760 7, RFC 7606 7.11),
// session reset before that (RFC 7606 5.3: its NLRI cannot be located).
// A family whose NLRI this codec does not parse is kept whole in `unknown`: a peer sends
// only the families negotiated, and judging that is the session's business, not the
// decoder's.

import { Afi } from '../../lib/address.js';
import { Reader } from '../reader.js';
import { ErrorAction, UpdateSubcode, WireError } from '../errors.js';
import { familyKey, type CodecContext } from '../context.js';
import { NlriList } from '../nlri.js';
import { AttrFlag, AttrType, type MpReach } from './types.js';
import { malformed, valueOverrun, type AttributeDraft, type AttributeRow } from './row.js';

/** Families whose NLRI this codec parses: IPv4/IPv6 unicast and multicast. */
export function isParsedFamily(afi: number, safi: number): afi is Afi {
  return (afi === Afi.ipv4 || afi === Afi.ipv6) && (safi === 1 || safi === 2);
}

/** The NLRI's encoded length once its path identifiers match what `ctx` says. */
export function nlriLengthFor(nlri: NlriList, hasPathId: boolean): number {
  if (nlri.hasPathId === hasPathId) return nlri.byteLength;
  return nlri.byteLength + (hasPathId ? 4 : -4) * nlri.count;
}

/** RFC 4760 3, RFC 2545 3, RFC 8950 3: the next hop lengths each AFI accepts. */
function isValidNextHopLength(afi: Afi, length: number): boolean {
  return length === 16 || length === 32 || (afi === Afi.ipv4 && length === 4);
}

/** Stores an MP attribute of a family we do not parse, value as received. */
export function keepUnparsed(into: AttributeDraft, flags: number, typeCode: number, value: Uint8Array): void {
  (into.attrs.unknown ??= []).push({ flags: flags & (AttrFlag.optional | AttrFlag.transitive | AttrFlag.partial), typeCode, value: new Uint8Array(value) });
}

function decodeMpReach(v: Reader, afi: Afi, safi: number, ctx: CodecContext): MpReach {
  const nextHopLength = v.u8('next hop length');
  if (!isValidNextHopLength(afi, nextHopLength)) {
    // RFC 7606 7.11: the NLRI cannot be located past a next hop of the wrong length.
    throw malformed(UpdateSubcode.optionalAttributeError, `MP_REACH_NLRI next hop of length ${nextHopLength} for AFI ${afi}`, ErrorAction.afiSafiDisable);
  }
  const nextHop = v.copy(nextHopLength === 4 ? 4 : 16, 'next hop');
  const linkLocalNextHop = nextHopLength === 32 ? v.copy(16, 'link-local next hop') : undefined;
  // RFC 4760 3: the reserved octet (once the SNPA count) is ignored on receipt.
  v.skipBytes(1, 'reserved octet');
  const nlri = NlriList.decode(v, afi, ctx.addPath.has(familyKey(afi, safi)), UpdateSubcode.optionalAttributeError, ErrorAction.afiSafiDisable);
  return linkLocalNextHop === undefined ? { afi, safi, nextHop, nlri } : { afi, safi, nextHop, linkLocalNextHop, nlri };
}

export const mpReachRow: AttributeRow = {
  typeCode: AttrType.mpReach,
  name: 'MP_REACH_NLRI',
  flags: AttrFlag.optional,
  action: ErrorAction.afiSafiDisable,
  flagsAction: ErrorAction.treatAsWithdraw,
  decode(r, ctx, flags, into) {
    if (r.remaining < 3) throw malformed(UpdateSubcode.optionalAttributeError, `MP_REACH_NLRI of length ${r.remaining} has no AFI/SAFI`, ErrorAction.sessionReset);
    const value = r.rest();
    const v = new Reader(value, 0, value.length, valueOverrun);
    const afi = v.u16('AFI');
    const safi = v.u8('SAFI');
    if (!isParsedFamily(afi, safi)) {
      keepUnparsed(into, flags, AttrType.mpReach, value);
      return;
    }
    try {
      into.attrs.mpReach = decodeMpReach(v, afi, safi, ctx);
    } catch (e) {
      if (e instanceof WireError) (into.disabledFamilies ??= []).push(familyKey(afi, safi));
      throw e;
    }
  },
  valueLength(a, ctx) {
    const mp = a.mpReach;
    if (mp === undefined) return -1;
    const nextHopLength = mp.nextHop.length + (mp.linkLocalNextHop === undefined ? 0 : 16);
    return 5 + nextHopLength + nlriLengthFor(mp.nlri, ctx.addPath.has(familyKey(mp.afi, mp.safi)));
  },
  encode(a, w, ctx) {
    const mp = a.mpReach!;
    if (mp.nlri.afi !== mp.afi) throw new RangeError(`MP_REACH_NLRI of AFI ${mp.afi} holds NLRI of AFI ${mp.nlri.afi}`);
    if (mp.nextHop.length !== 4 && mp.nextHop.length !== 16) throw new RangeError(`MP_REACH_NLRI next hop of ${mp.nextHop.length} bytes`);
    if (mp.linkLocalNextHop !== undefined && (mp.linkLocalNextHop.length !== 16 || mp.nextHop.length !== 16)) throw new RangeError('a link-local next hop goes with a 16-byte global one');
    w.u16(mp.afi).u8(mp.safi);
    w.u8(mp.nextHop.length + (mp.linkLocalNextHop === undefined ? 0 : 16)).bytes(mp.nextHop);
    if (mp.linkLocalNextHop !== undefined) w.bytes(mp.linkLocalNextHop);
    w.u8(0);
    mp.nlri.withPathId(ctx.addPath.has(familyKey(mp.afi, mp.safi))).encode(w);
  },
};
