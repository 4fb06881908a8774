// ATOMIC_AGGREGATE (RFC 4271 4.3, 5.1.6): well-known discretionary, no value.
// RFC 7606 7.6: a length other than 0 is attribute discard.

import { ErrorAction } from '../errors.js';
import { AttrFlag, AttrType } from './types.js';
import { expectLength, type AttributeRow } from './row.js';

export const atomicAggregateRow: AttributeRow = {
  typeCode: AttrType.atomicAggregate,
  name: 'ATOMIC_AGGREGATE',
  flags: AttrFlag.transitive,
  action: ErrorAction.attributeDiscard,
  flagsAction: ErrorAction.treatAsWithdraw,
  decode(r, _ctx, _flags, into) {
    expectLength(r, 0, 'ATOMIC_AGGREGATE');
    into.attrs.isAtomicAggregate = true;
  },
  valueLength: (a) => (a.isAtomicAggregate === true ? 0 : -1),
  encode() {},
};
