// MULTI_EXIT_DISC (RFC 4271 4.3, 5.1.4): optional non-transitive, 4 octets.
// RFC 7606 7.4: a length other than 4 is treat-as-withdraw.

import { ErrorAction } from '../errors.js';
import { AttrFlag, AttrType } from './types.js';
import { expectLength, type AttributeRow } from './row.js';

export const medRow: AttributeRow = {
  typeCode: AttrType.med,
  name: 'MULTI_EXIT_DISC',
  flags: AttrFlag.optional,
  action: ErrorAction.treatAsWithdraw,
  flagsAction: ErrorAction.treatAsWithdraw,
  decode(r, _ctx, _flags, into) {
    expectLength(r, 4, 'MULTI_EXIT_DISC');
    into.attrs.med = r.u32('MULTI_EXIT_DISC');
  },
  valueLength: (a) => (a.med === undefined ? -1 : 4),
  encode(a, w) {
    w.u32(a.med!);
  },
};
