// EXTENDED COMMUNITIES (RFC 4360): optional transitive, a list of 8-octet values.
// RFC 7606 7.14: a length that is not a non-zero multiple of 8 is treat-as-withdraw.

import { ErrorAction } from '../errors.js';
import { AttrFlag, AttrType } from './types.js';
import { expectMultiple, type AttributeRow } from './row.js';

export const extCommunitiesRow: AttributeRow = {
  typeCode: AttrType.extCommunities,
  name: 'EXTENDED_COMMUNITIES',
  flags: AttrFlag.optional | AttrFlag.transitive,
  action: ErrorAction.treatAsWithdraw,
  flagsAction: ErrorAction.treatAsWithdraw,
  decode(r, _ctx, _flags, into) {
    expectMultiple(r, 8, 'EXTENDED_COMMUNITIES');
    // One copy; the communities are views into it.
    const all = r.copy(r.remaining, 'EXTENDED_COMMUNITIES');
    const list: Uint8Array[] = [];
    for (let i = 0; i < all.length; i += 8) list.push(all.subarray(i, i + 8));
    into.attrs.extCommunities = list;
  },
  valueLength: (a) => (a.extCommunities === undefined ? -1 : a.extCommunities.length * 8),
  encode(a, w) {
    for (const c of a.extCommunities!) {
      if (c.length !== 8) throw new RangeError(`an extended community must be 8 bytes, got ${c.length}`);
      w.bytes(c);
    }
  },
};
