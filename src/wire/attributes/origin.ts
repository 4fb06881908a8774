// ORIGIN (RFC 4271 4.3, 5.1.1): well-known mandatory, one octet.
// RFC 7606 7.1: a length other than 1 or an undefined value is treat-as-withdraw.

import { ErrorAction, UpdateSubcode } from '../errors.js';
import { AttrFlag, AttrType, Origin, type PathAttributes } from './types.js';
import { expectLength, malformed, type AttributeRow } from './row.js';

export const originRow: AttributeRow = {
  typeCode: AttrType.origin,
  name: 'ORIGIN',
  flags: AttrFlag.transitive,
  action: ErrorAction.treatAsWithdraw,
  flagsAction: ErrorAction.treatAsWithdraw,
  decode(r, _ctx, _flags, into) {
    expectLength(r, 1, 'ORIGIN');
    const value = r.u8('ORIGIN');
    // RFC 4271 6.3 names this case with its own subcode.
    if (value > Origin.incomplete) throw malformed(UpdateSubcode.invalidOriginAttribute, `undefined ORIGIN value ${value}`);
    into.attrs.origin = value as Origin;
  },
  valueLength: (a: PathAttributes) => (a.origin === undefined ? -1 : 1),
  encode(a, w) {
    w.u8(a.origin!);
  },
};
