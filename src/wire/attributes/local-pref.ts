// LOCAL_PREF (RFC 4271 4.3, 5.1.5): well-known, 4 octets. RFC 7606 7.5: a length
// other than 4 is treat-as-withdraw. Ignoring it from an eBGP peer (RFC 7606 7.5,
// RFC 4271 5.1.5) is the RIB's business: the decoder knows no peer.

import { ErrorAction } from '../errors.js';
import { AttrFlag, AttrType } from './types.js';
import { expectLength, type AttributeRow } from './row.js';

export const localPrefRow: AttributeRow = {
  typeCode: AttrType.localPref,
  name: 'LOCAL_PREF',
  flags: AttrFlag.transitive,
  action: ErrorAction.treatAsWithdraw,
  flagsAction: ErrorAction.treatAsWithdraw,
  decode(r, _ctx, _flags, into) {
    expectLength(r, 4, 'LOCAL_PREF');
    into.attrs.localPref = r.u32('LOCAL_PREF');
  },
  valueLength: (a) => (a.localPref === undefined ? -1 : 4),
  encode(a, w) {
    w.u32(a.localPref!);
  },
};
