// AGGREGATOR (RFC 4271 4.3, 5.1.7) and AS4_AGGREGATOR (RFC 6793 4.2.2): the AS and
// BGP Identifier of the speaker that aggregated the route. On a 2-octet session a
// 4-octet AS travels as AS_TRANS in AGGREGATOR plus AS4_AGGREGATOR.
// Malformed: attribute discard for both (RFC 7606 7.7, RFC 6793 6).

import { ErrorAction, UpdateSubcode } from '../errors.js';
import { AttrFlag, AttrType, asTrans, type Aggregator } from './types.js';
import { expectLength, malformed, type AttributeDraft, type AttributeRow } from './row.js';

function checkAddress(agg: Aggregator): Uint8Array {
  if (agg.address.length !== 4) throw new RangeError(`an AGGREGATOR address must be 4 bytes, got ${agg.address.length}`);
  return agg.address;
}

export const aggregatorRow: AttributeRow = {
  typeCode: AttrType.aggregator,
  name: 'AGGREGATOR',
  flags: AttrFlag.optional | AttrFlag.transitive,
  action: ErrorAction.attributeDiscard,
  flagsAction: ErrorAction.treatAsWithdraw,
  decode(r, ctx, _flags, into) {
    expectLength(r, ctx.isAs4 ? 8 : 6, 'AGGREGATOR');
    const asn = ctx.isAs4 ? r.u32('AGGREGATOR AS') : r.u16('AGGREGATOR AS');
    into.attrs.aggregator = { asn, address: r.copy(4, 'AGGREGATOR address') };
  },
  valueLength: (a, ctx) => (a.aggregator === undefined ? -1 : ctx.isAs4 ? 8 : 6),
  encode(a, w, ctx) {
    const agg = a.aggregator!;
    if (ctx.isAs4) w.u32(agg.asn);
    else w.u16(agg.asn > 0xffff ? asTrans : agg.asn);
    w.bytes(checkAddress(agg));
  },
};

export const as4AggregatorRow: AttributeRow = {
  typeCode: AttrType.as4Aggregator,
  name: 'AS4_AGGREGATOR',
  flags: AttrFlag.optional | AttrFlag.transitive,
  action: ErrorAction.attributeDiscard,
  // RFC 6793 6 chose attribute discard for a malformed AS4_AGGREGATOR, flags included.
  flagsAction: ErrorAction.attributeDiscard,
  decode(r, ctx, _flags, into) {
    // RFC 6793 6: never sent between 4-octet speakers; discard it (and log).
    if (ctx.isAs4) throw malformed(UpdateSubcode.optionalAttributeError, 'AS4_AGGREGATOR on a 4-octet session');
    expectLength(r, 8, 'AS4_AGGREGATOR');
    into.as4Aggregator = { asn: r.u32('AS4_AGGREGATOR AS'), address: r.copy(4, 'AS4_AGGREGATOR address') };
  },
  valueLength: (a, ctx) => (ctx.isAs4 || a.aggregator === undefined || a.aggregator.asn <= 0xffff ? -1 : 8),
  encode(a, w) {
    const agg = a.aggregator!;
    w.u32(agg.asn).bytes(checkAddress(agg));
  },
};

/**
 * RFC 6793 4.2.3 for a 2-octet session: an AGGREGATOR holding an AS other than
 * AS_TRANS means an old speaker aggregated, so AS4_AGGREGATOR and AS4_PATH are stale
 * and ignored (returns false); otherwise AS4_AGGREGATOR, if any, replaces it. An
 * AGGREGATOR of AS_TRANS without AS4_AGGREGATOR is kept: nothing better is known.
 */
export function mergeAs4Aggregator(into: AttributeDraft): boolean {
  const agg = into.attrs.aggregator;
  if (agg === undefined) return true;
  if (agg.asn !== asTrans) return false;
  if (into.as4Aggregator !== undefined) into.attrs.aggregator = into.as4Aggregator;
  return true;
}
