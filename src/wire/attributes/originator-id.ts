// ORIGINATOR_ID (RFC 4456 8): optional non-transitive, a 4-octet BGP Identifier.
// RFC 7606 7.9: a length other than 4 is treat-as-withdraw.

import { ErrorAction } from '../errors.js';
import { AttrFlag, AttrType } from './types.js';
import { expectLength, type AttributeRow } from './row.js';

export const originatorIdRow: AttributeRow = {
  typeCode: AttrType.originatorId,
  name: 'ORIGINATOR_ID',
  flags: AttrFlag.optional,
  action: ErrorAction.treatAsWithdraw,
  flagsAction: ErrorAction.treatAsWithdraw,
  decode(r, _ctx, _flags, into) {
    expectLength(r, 4, 'ORIGINATOR_ID');
    into.attrs.originatorId = r.copy(4, 'ORIGINATOR_ID');
  },
  valueLength: (a) => (a.originatorId === undefined ? -1 : 4),
  encode(a, w) {
    if (a.originatorId!.length !== 4) throw new RangeError(`ORIGINATOR_ID must be 4 bytes, got ${a.originatorId!.length}`);
    w.bytes(a.originatorId!);
  },
};
