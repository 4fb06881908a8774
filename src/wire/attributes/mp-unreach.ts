// MP_UNREACH_NLRI (RFC 4760 4): AFI, SAFI, withdrawn routes (with path identifiers per
// ADD-PATH family, RFC 7911 3). Empty, it is the End-of-RIB marker of RFC 4724 2.
// Malformed: AFI/SAFI disable once the AFI/SAFI is known (RFC 4760 7, RFC 7606 7.12),
// session reset before that. Families this codec does not parse go to `unknown` (see
// mp-reach.ts).

import { Reader } from '../reader.js';
import { ErrorAction, UpdateSubcode, WireError } from '../errors.js';
import { familyKey } from '../context.js';
import { NlriList } from '../nlri.js';
import { AttrFlag, AttrType } from './types.js';
import { malformed, valueOverrun, type AttributeRow } from './row.js';
import { isParsedFamily, keepUnparsed, nlriLengthFor } from './mp-reach.js';

export const mpUnreachRow: AttributeRow = {
  typeCode: AttrType.mpUnreach,
  name: 'MP_UNREACH_NLRI',
  flags: AttrFlag.optional,
  action: ErrorAction.afiSafiDisable,
  flagsAction: ErrorAction.treatAsWithdraw,
  decode(r, ctx, flags, into) {
    if (r.remaining < 3) throw malformed(UpdateSubcode.optionalAttributeError, `MP_UNREACH_NLRI of length ${r.remaining} has no AFI/SAFI`, ErrorAction.sessionReset);
    const value = r.rest();
    const v = new Reader(value, 0, value.length, valueOverrun);
    const afi = v.u16('AFI');
    const safi = v.u8('SAFI');
    if (!isParsedFamily(afi, safi)) {
      keepUnparsed(into, flags, AttrType.mpUnreach, value);
      return;
    }
    const key = familyKey(afi, safi);
    try {
      const withdrawn = NlriList.decode(v, afi, ctx.addPath.has(key), UpdateSubcode.optionalAttributeError, ErrorAction.afiSafiDisable);
      into.attrs.mpUnreach = { afi, safi, withdrawn };
    } catch (e) {
      if (e instanceof WireError) (into.disabledFamilies ??= []).push(key);
      throw e;
    }
  },
  valueLength(a, ctx) {
    const mp = a.mpUnreach;
    return mp === undefined ? -1 : 3 + nlriLengthFor(mp.withdrawn, ctx.addPath.has(familyKey(mp.afi, mp.safi)));
  },
  encode(a, w, ctx) {
    const mp = a.mpUnreach!;
    if (mp.withdrawn.afi !== mp.afi) throw new RangeError(`MP_UNREACH_NLRI of AFI ${mp.afi} holds NLRI of AFI ${mp.withdrawn.afi}`);
    w.u16(mp.afi).u8(mp.safi);
    mp.withdrawn.withPathId(ctx.addPath.has(familyKey(mp.afi, mp.safi))).encode(w);
  },
};
