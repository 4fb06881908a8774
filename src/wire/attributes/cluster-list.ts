// CLUSTER_LIST (RFC 4456 8): optional non-transitive, a list of 4-octet cluster ids.
// RFC 7606 7.10: a length that is not a non-zero multiple of 4 is treat-as-withdraw.

import { ErrorAction } from '../errors.js';
import { AttrFlag, AttrType } from './types.js';
import { expectMultiple, type AttributeRow } from './row.js';

export const clusterListRow: AttributeRow = {
  typeCode: AttrType.clusterList,
  name: 'CLUSTER_LIST',
  flags: AttrFlag.optional,
  action: ErrorAction.treatAsWithdraw,
  flagsAction: ErrorAction.treatAsWithdraw,
  decode(r, _ctx, _flags, into) {
    expectMultiple(r, 4, 'CLUSTER_LIST');
    // One copy; the ids are views into it.
    const all = r.copy(r.remaining, 'CLUSTER_LIST');
    const ids: Uint8Array[] = [];
    for (let i = 0; i < all.length; i += 4) ids.push(all.subarray(i, i + 4));
    into.attrs.clusterList = ids;
  },
  valueLength: (a) => (a.clusterList === undefined ? -1 : a.clusterList.length * 4),
  encode(a, w) {
    for (const id of a.clusterList!) {
      if (id.length !== 4) throw new RangeError(`a CLUSTER_LIST id must be 4 bytes, got ${id.length}`);
      w.bytes(id);
    }
  },
};
