// COMMUNITIES (RFC 1997): optional transitive, a list of 32-bit values.
// RFC 7606 7.8: a length that is not a non-zero multiple of 4 is treat-as-withdraw.

import { ErrorAction } from '../errors.js';
import { AttrFlag, AttrType } from './types.js';
import { expectMultiple, type AttributeRow } from './row.js';

export const communitiesRow: AttributeRow = {
  typeCode: AttrType.communities,
  name: 'COMMUNITIES',
  flags: AttrFlag.optional | AttrFlag.transitive,
  action: ErrorAction.treatAsWithdraw,
  flagsAction: ErrorAction.treatAsWithdraw,
  decode(r, _ctx, _flags, into) {
    expectMultiple(r, 4, 'COMMUNITIES');
    const n = r.remaining >> 2;
    const list = new Array<number>(n);
    for (let i = 0; i < n; i++) list[i] = r.u32('community');
    into.attrs.communities = list;
  },
  valueLength: (a) => (a.communities === undefined ? -1 : a.communities.length * 4),
  encode(a, w) {
    for (const c of a.communities!) w.u32(c);
  },
};
