// LARGE_COMMUNITY (RFC 8092): optional transitive, a list of three 32-bit numbers.
// RFC 8092 6: a length that is not a non-zero multiple of 12 is treat-as-withdraw.

import { ErrorAction } from '../errors.js';
import { AttrFlag, AttrType, type LargeCommunity } from './types.js';
import { expectMultiple, type AttributeRow } from './row.js';

export const largeCommunitiesRow: AttributeRow = {
  typeCode: AttrType.largeCommunities,
  name: 'LARGE_COMMUNITY',
  flags: AttrFlag.optional | AttrFlag.transitive,
  action: ErrorAction.treatAsWithdraw,
  flagsAction: ErrorAction.treatAsWithdraw,
  decode(r, _ctx, _flags, into) {
    expectMultiple(r, 12, 'LARGE_COMMUNITY');
    const n = r.remaining / 12;
    const list = new Array<LargeCommunity>(n);
    for (let i = 0; i < n; i++) list[i] = [r.u32('global administrator'), r.u32('local data part 1'), r.u32('local data part 2')];
    into.attrs.largeCommunities = list;
  },
  valueLength: (a) => (a.largeCommunities === undefined ? -1 : a.largeCommunities.length * 12),
  encode(a, w) {
    for (const [g, l1, l2] of a.largeCommunities!) w.u32(g).u32(l1).u32(l2);
  },
};
