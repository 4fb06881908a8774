// NEXT_HOP (RFC 4271 4.3, 5.1.3): well-known, an IPv4 address; mandatory only with
// NLRI in the NLRI field (RFC 4760 3). RFC 7606 7.3: a length other than 4 is
// treat-as-withdraw. Whether the address is usable (martian, own address) is the
// RIB's question, not the decoder's.

import { ErrorAction } from '../errors.js';
import { AttrFlag, AttrType } from './types.js';
import { expectLength, type AttributeRow } from './row.js';

export const nextHopRow: AttributeRow = {
  typeCode: AttrType.nextHop,
  name: 'NEXT_HOP',
  flags: AttrFlag.transitive,
  action: ErrorAction.treatAsWithdraw,
  flagsAction: ErrorAction.treatAsWithdraw,
  decode(r, _ctx, _flags, into) {
    expectLength(r, 4, 'NEXT_HOP');
    into.attrs.nextHop = r.copy(4, 'NEXT_HOP');
  },
  valueLength: (a) => (a.nextHop === undefined ? -1 : 4),
  encode(a, w) {
    if (a.nextHop!.length !== 4) throw new RangeError(`NEXT_HOP must be 4 bytes, got ${a.nextHop!.length}`);
    w.bytes(a.nextHop!);
  },
};
