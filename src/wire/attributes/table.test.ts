// RFC 7606 handling of malformed UPDATEs, one crafted message per class: the action,
// the NOTIFICATION code/subcode/data of the fault, and what happens to the attribute
// and the NLRI.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader } from '../reader.js';
import { WireError, ErrorAction, NotifyCode, UpdateSubcode } from '../errors.js';
import { as4Context, defaultContext, familyKey, type CodecContext } from '../context.js';
import { decodeUpdate, type UpdateMessage } from '../update.js';
import { formatPrefix } from '../../lib/address.js';
import { AttrType } from './types.js';

/** One attribute: flags, type, 1- or 2-octet length (by the Extended Length bit), value. */
function attr(flags: number, type: number, value: readonly number[]): number[] {
  const len = value.length;
  return (flags & 0x10) !== 0 ? [flags, type, len >> 8, len & 0xff, ...value] : [flags, type, len, ...value];
}

const origin = attr(0x40, 1, [0]);
const asPath4 = attr(0x40, 2, [2, 1, 0, 0, 0xfd, 0xe9]); // AS_SEQUENCE 65001, 4-octet
const asPath2 = attr(0x40, 2, [2, 1, 0xfd, 0xe9]); // AS_SEQUENCE 65001, 2-octet
const nextHop = attr(0x40, 3, [192, 0, 2, 1]);
const nlri = [24, 198, 51, 100, 16, 10, 1]; // 198.51.100.0/24, 10.1.0.0/16
/** MP_REACH_NLRI IPv6 unicast, next hop 2001:db8::1, 2001:db8:1::/48. */
const mpReachValue = [0, 2, 1, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 1];

function body(attrs: readonly number[][], nlriField: readonly number[] = nlri, withdrawn: readonly number[] = []): Reader {
  const section = attrs.flat();
  const bytes = Uint8Array.from([withdrawn.length >> 8, withdrawn.length & 0xff, ...withdrawn, section.length >> 8, section.length & 0xff, ...section, ...nlriField]);
  return new Reader(bytes);
}

function decode(attrs: readonly number[][], ctx: CodecContext = as4Context, nlriField: readonly number[] = nlri): UpdateMessage {
  return decodeUpdate(body(attrs, nlriField), ctx);
}

/** Asserts one fault with this action and subcode whose data is `data`. */
function assertFault(msg: UpdateMessage, action: ErrorAction, subcode: number, data?: readonly number[]): void {
  assert.equal(msg.action, action, `faults: ${msg.faults.map((f) => f.message).join('; ')}`);
  const fault = msg.faults.find((f) => f.action === action && f.subcode === subcode);
  assert.ok(fault, `no fault with action ${action} and subcode ${subcode} in: ${msg.faults.map((f) => f.message).join('; ')}`);
  assert.equal(fault.code, NotifyCode.updateMessage);
  if (data !== undefined) assert.deepStrictEqual([...fault.data], data);
}

/** Treat-as-withdraw keeps the NLRI readable: the RIB withdraws exactly these. */
function assertNlriKept(msg: UpdateMessage): void {
  assert.deepStrictEqual([...msg.nlri].map((n) => formatPrefix(n.prefix)), ['198.51.100.0/24', '10.1.0.0/16']);
}

function assertThrows(fn: () => unknown, subcode: number, data?: readonly number[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof WireError, `expected a WireError, got ${String(e)}`);
    assert.equal(e.code, NotifyCode.updateMessage);
    assert.equal(e.subcode, subcode, e.message);
    assert.equal(e.action, ErrorAction.sessionReset);
    if (data !== undefined) assert.deepStrictEqual([...e.data], data);
    return true;
  });
}

test('a well-formed UPDATE has no fault', () => {
  const msg = decode([origin, asPath4, nextHop]);
  assert.deepStrictEqual(msg.faults, []);
  assert.equal(msg.action, undefined);
  assertNlriKept(msg);
});

test('ORIGIN of bad length or undefined value is treat-as-withdraw (RFC 7606 7.1)', () => {
  const long = attr(0x40, 1, [0, 0]);
  const m1 = decode([long, asPath4, nextHop]);
  assertFault(m1, ErrorAction.treatAsWithdraw, UpdateSubcode.attributeLengthError, long);
  assertNlriKept(m1);
  const bad = attr(0x40, 1, [3]);
  const m2 = decode([bad, asPath4, nextHop]);
  assertFault(m2, ErrorAction.treatAsWithdraw, UpdateSubcode.invalidOriginAttribute, bad);
  assert.equal(m2.attributes.origin, undefined);
  // Malformed is not missing: no second fault for the same attribute.
  assert.equal(m2.faults.length, 1);
});

test('malformed AS_PATH is treat-as-withdraw (RFC 7606 7.2)', () => {
  const cases = {
    overrun: [2, 3, 0, 0, 0xfd, 0xe9],
    'zero-length segment': [2, 0],
    'unknown segment type': [5, 1, 0, 0, 0xfd, 0xe9],
    'one octet left': [2, 1, 0, 0, 0xfd, 0xe9, 2],
  };
  for (const [name, value] of Object.entries(cases)) {
    const bad = attr(0x40, 2, value);
    const msg = decode([origin, bad, nextHop]);
    assertFault(msg, ErrorAction.treatAsWithdraw, UpdateSubcode.malformedAsPath, bad);
    assert.equal(msg.attributes.asPath, undefined, name);
    assertNlriKept(msg);
  }
});

test('NEXT_HOP, MED, LOCAL_PREF of bad length are treat-as-withdraw (RFC 7606 7.3-7.5)', () => {
  for (const bad of [attr(0x40, 3, [1, 2, 3, 4, 5]), attr(0x80, 4, [0, 0, 1]), attr(0x40, 5, [0, 0, 0, 0, 1])]) {
    const list = bad[1] === AttrType.nextHop ? [origin, asPath4, bad] : [origin, asPath4, nextHop, bad];
    const msg = decode(list);
    assertFault(msg, ErrorAction.treatAsWithdraw, UpdateSubcode.attributeLengthError, bad);
    assertNlriKept(msg);
  }
});

test('ATOMIC_AGGREGATE and AGGREGATOR of bad length are attribute discard (RFC 7606 7.6, 7.7)', () => {
  const atomic = attr(0x40, 6, [1]);
  const m1 = decode([origin, asPath4, nextHop, atomic]);
  assertFault(m1, ErrorAction.attributeDiscard, UpdateSubcode.attributeLengthError, atomic);
  assert.equal(m1.attributes.isAtomicAggregate, undefined);
  assert.equal(m1.attributes.origin, 0);
  // An AGGREGATOR of 2-octet length on a 4-octet session.
  const agg = attr(0xc0, 7, [0xfd, 0xe9, 192, 0, 2, 1]);
  const m2 = decode([origin, asPath4, nextHop, agg]);
  assertFault(m2, ErrorAction.attributeDiscard, UpdateSubcode.attributeLengthError, agg);
  assert.equal(m2.attributes.aggregator, undefined);
  assert.deepStrictEqual(m2.attributes.nextHop, Uint8Array.of(192, 0, 2, 1));
});

test('COMMUNITIES, EXTENDED and LARGE communities of bad length are treat-as-withdraw (RFC 7606 7.8, 7.14; RFC 8092 6)', () => {
  const cases = [attr(0xc0, 8, [0, 0, 0, 1, 0, 0]), attr(0xc0, 8, []), attr(0xc0, 16, [0, 2, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0]), attr(0xc0, 32, [0, 0, 0, 1, 0, 0, 0, 2, 0, 0])];
  for (const bad of cases) {
    const msg = decode([origin, asPath4, nextHop, bad]);
    assertFault(msg, ErrorAction.treatAsWithdraw, UpdateSubcode.attributeLengthError, bad);
    assertNlriKept(msg);
  }
});

test('ORIGINATOR_ID and CLUSTER_LIST malformed are treat-as-withdraw (RFC 7606 7.9, 7.10)', () => {
  for (const bad of [attr(0x80, 9, [1, 2, 3]), attr(0x80, 10, [1, 2, 3, 4, 5, 6]), attr(0x80, 10, [])]) {
    const msg = decode([origin, asPath4, nextHop, bad]);
    assertFault(msg, ErrorAction.treatAsWithdraw, UpdateSubcode.attributeLengthError, bad);
  }
});

test('MP_REACH_NLRI malformed past its AFI/SAFI disables the family (RFC 7606 7.11, RFC 4760 7)', () => {
  const badNextHop = attr(0x80, 14, [0, 2, 1, 5, 1, 2, 3, 4, 5, 0]);
  const m1 = decode([badNextHop, origin, asPath4], as4Context, []);
  assertFault(m1, ErrorAction.afiSafiDisable, UpdateSubcode.optionalAttributeError, badNextHop);
  assert.deepStrictEqual(m1.disabledFamilies, [familyKey(2, 1)]);
  assert.equal(m1.attributes.mpReach, undefined);
  const badPrefix = attr(0x80, 14, [...mpReachValue.slice(0, 21), 129, ...new Array<number>(17).fill(0)]);
  const m2 = decode([badPrefix, origin, asPath4], as4Context, []);
  assertFault(m2, ErrorAction.afiSafiDisable, UpdateSubcode.optionalAttributeError, badPrefix);
  assert.deepStrictEqual(m2.disabledFamilies, [familyKey(2, 1)]);
});

test('MP_REACH_NLRI or MP_UNREACH_NLRI too short for AFI/SAFI resets the session (RFC 7606 5.3)', () => {
  const short = attr(0x80, 14, [0, 2]);
  assertThrows(() => decode([short, origin, asPath4], as4Context, []), UpdateSubcode.optionalAttributeError, short);
  assertThrows(() => decode([attr(0x80, 15, [0])], as4Context, []), UpdateSubcode.optionalAttributeError);
});

test('MP_UNREACH_NLRI with a bad prefix disables the family (RFC 7606 7.12)', () => {
  const bad = attr(0x80, 15, [0, 1, 1, 33, 10, 0, 0, 0, 0]);
  const msg = decode([bad], as4Context, []);
  assertFault(msg, ErrorAction.afiSafiDisable, UpdateSubcode.optionalAttributeError, bad);
  assert.deepStrictEqual(msg.disabledFamilies, [familyKey(1, 1)]);
});

test('an MP attribute of a family not parsed here is kept whole, outside attrKey', () => {
  // AFI 1 SAFI 128 (L3VPN): the session decides whether it was negotiated.
  const vpn = attr(0x80, 14, [0, 1, 128, 12, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1, 0]);
  const msg = decode([vpn, origin, asPath4], as4Context, []);
  assert.deepStrictEqual(msg.faults, []);
  assert.deepStrictEqual(msg.attributes.unknown, [{ flags: 0x80, typeCode: 14, value: Uint8Array.from(vpn.slice(3)) }]);
  assert.deepStrictEqual([...msg.attrKey], [...origin, ...asPath4]);
});

test('malformed AS4_PATH and AS4_AGGREGATOR are attribute discard (RFC 6793 6)', () => {
  const asPathTrans = attr(0x40, 2, [2, 2, 0xfd, 0xe9, 0x5b, 0xa0]); // 65001 AS_TRANS
  const badAs4Path = attr(0xc0, 17, [2, 2, 0, 0, 0xfd, 0xe9]);
  const m1 = decode([origin, asPathTrans, nextHop, badAs4Path], defaultContext);
  assertFault(m1, ErrorAction.attributeDiscard, UpdateSubcode.malformedAsPath, badAs4Path);
  assert.deepStrictEqual(m1.attributes.asPath, [{ type: 2, asns: [65001, 23456] }]);
  assert.equal(m1.action, ErrorAction.attributeDiscard);
  const aggTrans = attr(0xc0, 7, [0x5b, 0xa0, 192, 0, 2, 1]);
  const badAs4Agg = attr(0xc0, 18, [0xfa, 0x56, 0xea, 1, 192, 0, 2]);
  const m2 = decode([origin, asPath2, nextHop, aggTrans, badAs4Agg], defaultContext);
  assertFault(m2, ErrorAction.attributeDiscard, UpdateSubcode.attributeLengthError, badAs4Agg);
  assert.deepStrictEqual(m2.attributes.aggregator, { asn: 23456, address: Uint8Array.of(192, 0, 2, 1) });
});

test('AS4_PATH confederation segments are dropped and the rest used (RFC 6793 6)', () => {
  const asPathTrans = attr(0x40, 2, [2, 2, 0xfd, 0xe9, 0x5b, 0xa0]);
  const as4Path = attr(0xc0, 17, [3, 1, 0, 0, 0, 9, 2, 2, 0, 0, 0xfd, 0xe9, 0xfa, 0x56, 0xea, 1]);
  const msg = decode([origin, asPathTrans, nextHop, as4Path], defaultContext);
  assert.equal(msg.action, ErrorAction.attributeDiscard);
  assert.deepStrictEqual(msg.attributes.asPath, [{ type: 2, asns: [65001, 4200000001] }]);
});

test('AS4_PATH and AS4_AGGREGATOR between 4-octet speakers are discarded (RFC 6793 6)', () => {
  const as4Path = attr(0xc0, 17, [2, 1, 0, 0, 0, 9]);
  const msg = decode([origin, asPath4, nextHop, as4Path], as4Context);
  assertFault(msg, ErrorAction.attributeDiscard, UpdateSubcode.optionalAttributeError, as4Path);
  assert.deepStrictEqual(msg.attributes.asPath, [{ type: 2, asns: [65001] }]);
});

test('flags in conflict with the type are treat-as-withdraw unless the attribute says otherwise (RFC 7606 3.c)', () => {
  const optionalOrigin = attr(0xc0, 1, [0]);
  const m1 = decode([optionalOrigin, asPath4, nextHop]);
  assertFault(m1, ErrorAction.treatAsWithdraw, UpdateSubcode.attributeFlagsError, optionalOrigin);
  assertNlriKept(m1);
  const partialNextHop = attr(0x60, 3, [192, 0, 2, 1]);
  assertFault(decode([origin, asPath4, partialNextHop]), ErrorAction.treatAsWithdraw, UpdateSubcode.attributeFlagsError, partialNextHop);
  // AS4_PATH: RFC 6793 6 makes any malformation attribute discard.
  const wellKnownAs4Path = attr(0x40, 17, [2, 1, 0, 0, 0, 9]);
  const m3 = decode([origin, asPath2, nextHop, wellKnownAs4Path], defaultContext);
  assertFault(m3, ErrorAction.attributeDiscard, UpdateSubcode.attributeFlagsError, wellKnownAs4Path);
  assert.deepStrictEqual(m3.attributes.asPath, [{ type: 2, asns: [65001] }]);
});

test('a repeated attribute keeps the first (RFC 7606 3.g)', () => {
  const c1 = attr(0xc0, 8, [0, 0, 0, 1]);
  const c2 = attr(0xc0, 8, [0, 0, 0, 2]);
  const msg = decode([origin, asPath4, nextHop, c1, c2]);
  assertFault(msg, ErrorAction.attributeDiscard, UpdateSubcode.malformedAttributeList, c2);
  assert.deepStrictEqual(msg.attributes.communities, [1]);
});

test('a repeated MP attribute resets the session (RFC 7606 3.g)', () => {
  const mp = attr(0x80, 14, mpReachValue);
  assertThrows(() => decode([mp, origin, asPath4, mp], as4Context, []), UpdateSubcode.malformedAttributeList, mp);
  const unreach = attr(0x80, 15, [0, 2, 1]);
  assertThrows(() => decode([unreach, unreach], as4Context, []), UpdateSubcode.malformedAttributeList);
});

test('an unknown well-known attribute resets the session (RFC 4271 6.3)', () => {
  const unknown = attr(0x40, 99, [1, 2]);
  assertThrows(() => decode([origin, asPath4, nextHop, unknown]), UpdateSubcode.unrecognizedWellKnownAttribute, unknown);
});

test('unknown optional attributes are kept with their flags, in wire order', () => {
  const transitive = attr(0xe0, 99, [1, 2]);
  const nonTransitive = attr(0x90, 40, [3]);
  const msg = decode([origin, asPath4, nextHop, transitive, nonTransitive]);
  assert.deepStrictEqual(msg.faults, []);
  assert.deepStrictEqual(msg.attributes.unknown, [
    { flags: 0xe0, typeCode: 99, value: Uint8Array.of(1, 2) },
    { flags: 0x80, typeCode: 40, value: Uint8Array.of(3) },
  ]);
});

test('missing well-known attributes with NLRI are treat-as-withdraw (RFC 7606 3.d)', () => {
  const m1 = decode([asPath4, nextHop]);
  assertFault(m1, ErrorAction.treatAsWithdraw, UpdateSubcode.missingWellKnownAttribute, [AttrType.origin]);
  assertNlriKept(m1);
  const m2 = decode([origin, asPath4]);
  assertFault(m2, ErrorAction.treatAsWithdraw, UpdateSubcode.missingWellKnownAttribute, [AttrType.nextHop]);
  // NEXT_HOP is not needed when the routes are in MP_REACH_NLRI only (RFC 4760 3)...
  assert.deepStrictEqual(decode([attr(0x80, 14, mpReachValue), origin, asPath4], as4Context, []).faults, []);
  // ...but ORIGIN and AS_PATH are.
  const m3 = decode([attr(0x80, 14, mpReachValue), origin], as4Context, []);
  assertFault(m3, ErrorAction.treatAsWithdraw, UpdateSubcode.missingWellKnownAttribute, [AttrType.asPath]);
  assert.equal(m3.attributes.mpReach?.nlri.count, 1);
});

test('an UPDATE without NLRI needs no mandatory attribute', () => {
  assert.deepStrictEqual(decode([attr(0x80, 15, [0, 2, 1])], as4Context, []).faults, []);
  assert.deepStrictEqual(decode([], as4Context, []).faults, []);
  assert.deepStrictEqual(decode([attr(0x80, 4, [0, 0, 0, 1])], as4Context, []).faults, []);
});

test('an attribute running past the section is treat-as-withdraw, NLRI found by the total length (RFC 7606 4)', () => {
  const section = [...origin, ...asPath4, ...nextHop, 0xc0, 8, 8, 0, 0, 0, 1];
  const bytes = Uint8Array.from([0, 0, 0, section.length, ...section, ...nlri]);
  const msg = decodeUpdate(new Reader(bytes), as4Context);
  assertFault(msg, ErrorAction.treatAsWithdraw, UpdateSubcode.attributeLengthError, [0xc0, 8, 8, 0, 0, 0, 1]);
  assertNlriKept(msg);
  assert.equal(msg.attributes.origin, 0);
});

test('too few octets left for an attribute header is treat-as-withdraw (RFC 7606 4)', () => {
  for (const tail of [[0x40, 1], [0x50, 1, 0]]) {
    const section = [...origin, ...asPath4, ...nextHop, ...tail];
    const msg = decodeUpdate(new Reader(Uint8Array.from([0, 0, 0, section.length, ...section, ...nlri])), as4Context);
    assertFault(msg, ErrorAction.treatAsWithdraw, UpdateSubcode.malformedAttributeList, tail);
    assertNlriKept(msg);
  }
});

test('an MP attribute running past the section resets the session (RFC 7606 4, 5.3)', () => {
  const section = [...origin, ...asPath4, 0x80, 14, 40, ...mpReachValue];
  assertThrows(() => decodeUpdate(new Reader(Uint8Array.from([0, 0, 0, section.length, ...section])), as4Context), UpdateSubcode.attributeLengthError);
});

test('lengths past the message and unparseable NLRI fields reset the session (RFC 4271 6.3, RFC 7606 5.3)', () => {
  assertThrows(() => decodeUpdate(new Reader(Uint8Array.of(0, 9, 24, 10, 0, 0)), as4Context), UpdateSubcode.malformedAttributeList);
  assertThrows(() => decodeUpdate(new Reader(Uint8Array.of(0, 0, 0, 40, 0x40, 1, 1, 0)), as4Context), UpdateSubcode.malformedAttributeList);
  assertThrows(() => decode([origin, asPath4, nextHop], as4Context, [33, 10, 0, 0, 0, 0]), UpdateSubcode.invalidNetworkField);
  assertThrows(() => decode([origin, asPath4, nextHop], as4Context, [24, 10, 0]), UpdateSubcode.invalidNetworkField);
  assertThrows(() => decodeUpdate(body([], [], [8]), as4Context), UpdateSubcode.invalidNetworkField);
});

test('the UPDATE takes the strongest action of its faults (RFC 7606 3.h)', () => {
  const msg = decode([origin, asPath4, nextHop, attr(0x40, 6, [1]), attr(0x80, 4, [0])]);
  assert.equal(msg.faults.length, 2);
  assert.equal(msg.action, ErrorAction.treatAsWithdraw);
  assert.equal(msg.attributes.isAtomicAggregate, undefined);
});

test('the Partial bit of a known optional transitive attribute is kept (RFC 4271 5)', () => {
  const msg = decode([origin, asPath4, nextHop, attr(0xe0, 8, [0, 0, 0, 1])]);
  assert.deepStrictEqual(msg.faults, []);
  assert.deepStrictEqual(msg.attributes.partial, [AttrType.communities]);
});
