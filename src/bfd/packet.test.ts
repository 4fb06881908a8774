// The BFD Control packet codec against FRR bfdd's bytes (fixtures/frr-bfdd.ts), the
// discard rules of RFC 5880 6.8.6, and properties: any valid packet round-trips, any
// damaged input fails with BfdPacketError only. fast-check prints its seed on failure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BfdPacketError, decodeBfdControl, encodeBfdControl, diagName, type BfdControlPacket, type BfdPacketFault, type BfdAuth } from './packet.js';
import * as frr from './fixtures/frr-bfdd.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

const base: BfdControlPacket = {
  diag: 0,
  state: 'Up',
  isPoll: false,
  isFinal: false,
  isControlPlaneIndependent: false,
  isDemand: false,
  detectMult: 3,
  myDiscriminator: 0x4622fad4,
  yourDiscriminator: 0xb8380852,
  desiredMinTxUs: 300_000,
  requiredMinRxUs: 300_000,
  requiredMinEchoRxUs: 50_000,
};

const cases: readonly { readonly name: string; readonly hex: string; readonly packet: BfdControlPacket }[] = [
  { name: 'Down, slow rates, no remote yet', hex: frr.frrDown4, packet: { ...base, state: 'Down', yourDiscriminator: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 1_000_000 } },
  { name: 'Down over IPv6', hex: frr.frrDown6, packet: { ...base, state: 'Down', myDiscriminator: 0x414d3658, yourDiscriminator: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 1_000_000 } },
  { name: 'Init', hex: frr.frrInit4, packet: { ...base, state: 'Init', myDiscriminator: 0xb8380852, yourDiscriminator: 0x4622fad4, desiredMinTxUs: 1_000_000, requiredMinRxUs: 1_000_000 } },
  { name: 'Up with Poll', hex: frr.frrUpPoll4, packet: { ...base, isPoll: true } },
  { name: 'Up with Final', hex: frr.frrUpFinal4, packet: { ...base, isFinal: true, myDiscriminator: 0xb8380852, yourDiscriminator: 0x4622fad4 } },
  { name: 'Up', hex: frr.frrUp4, packet: base },
  { name: 'Up over IPv6', hex: frr.frrUp6, packet: { ...base, myDiscriminator: 0xf7961ca7, yourDiscriminator: 0x414d3658 } },
  { name: 'Poll for a new Desired Min TX', hex: frr.frrPollTx200, packet: { ...base, isPoll: true, desiredMinTxUs: 200_000 } },
  { name: 'AdminDown', hex: frr.frrAdminDown, packet: { ...base, state: 'AdminDown', myDiscriminator: 0xb8380852, yourDiscriminator: 0x4622fad4 } },
  { name: 'Down, diag Neighbor Signaled Session Down', hex: frr.frrDownNeighborSignaled, packet: { ...base, state: 'Down', diag: 3, yourDiscriminator: 0, desiredMinTxUs: 200_000 } },
];

for (const c of cases) {
  test(`FRR bfdd: ${c.name}: bytes -> packet -> same bytes`, () => {
    const decoded = decodeBfdControl(bytes(c.hex));
    assert.deepEqual(decoded, c.packet);
    assert.equal(hex(encodeBfdControl(decoded)), c.hex);
  });
}

test('diag names', () => {
  assert.equal(diagName(1), 'control-detection-time-expired');
  assert.equal(diagName(3), 'neighbor-signaled-session-down');
  assert.equal(diagName(7), 'administratively-down');
  assert.equal(diagName(31), 'diag-31');
});

/** Applies `edit` to FRR's Up packet. */
function damaged(edit: (b: Uint8Array) => Uint8Array | void): Uint8Array {
  const b = bytes(frr.frrUp4);
  return edit(b) ?? b;
}

const discards: readonly { readonly name: string; readonly input: Uint8Array; readonly fault: BfdPacketFault }[] = [
  { name: 'empty', input: new Uint8Array(0), fault: 'truncated' },
  { name: 'version 0', input: damaged((b) => void (b[0] = 0x00)), fault: 'badVersion' },
  { name: 'version 2', input: damaged((b) => void (b[0] = 0x40)), fault: 'badVersion' },
  { name: 'Length 23', input: damaged((b) => void (b[3] = 23)), fault: 'badLength' },
  { name: 'A bit with Length 24', input: damaged((b) => void (b[1]! |= 0x04)), fault: 'badLength' },
  { name: 'Length beyond the payload', input: damaged((b) => void (b[3] = 40)), fault: 'truncated' },
  { name: 'cut short', input: damaged((b) => b.subarray(0, 20)), fault: 'truncated' },
  { name: 'Detect Mult 0', input: damaged((b) => void (b[2] = 0)), fault: 'zeroDetectMult' },
  { name: 'Multipoint', input: damaged((b) => void (b[1]! |= 0x01)), fault: 'multipoint' },
  { name: 'My Discriminator 0', input: damaged((b) => b.fill(0, 4, 8)), fault: 'zeroMyDiscriminator' },
  { name: 'Your Discriminator 0 in Up', input: damaged((b) => b.fill(0, 8, 12)), fault: 'zeroYourDiscriminator' },
  { name: 'Your Discriminator 0 in Init', input: damaged((b) => void (b.fill(0, 8, 12), (b[1] = 0x80))), fault: 'zeroYourDiscriminator' },
];

for (const d of discards) {
  test(`discarded (RFC 5880 6.8.6): ${d.name}`, () => {
    assert.throws(() => decodeBfdControl(d.input), (err: unknown) => err instanceof BfdPacketError && err.fault === d.fault);
  });
}

test('Your Discriminator 0 is fine in Down and AdminDown', () => {
  for (const state of [0x40, 0x00]) {
    const b = damaged((x) => void (x.fill(0, 8, 12), (x[1] = state)));
    assert.equal(decodeBfdControl(b).yourDiscriminator, 0);
  }
});

test('bytes after Length are not part of the packet', () => {
  const b = new Uint8Array([...bytes(frr.frrUp4), 0xde, 0xad]);
  assert.deepEqual(decodeBfdControl(b), base);
});

// RFC 5880 4.2: the authentication section is read (so its fault can be named), the
// manager then refuses it since tsbgp uses no authentication.
test('authentication sections: parsed, checked and re-encoded', () => {
  const sha1: BfdAuth = { type: 'keyedSha1', keyId: 7, sequence: 0x01020304, digest: new Uint8Array(20).fill(0xab) };
  const password: BfdAuth = { type: 'simplePassword', keyId: 1, password: new TextEncoder().encode('secret') };
  for (const auth of [sha1, password]) {
    const b = encodeBfdControl({ ...base, auth });
    assert.equal(b[3], b.length);
    assert.equal(b[1]! & 0x04, 0x04);
    assert.deepEqual(decodeBfdControl(b), { ...base, auth });
  }
  const md5 = encodeBfdControl({ ...base, auth: { type: 'keyedMd5', keyId: 1, sequence: 9, digest: new Uint8Array(16) } });
  assert.equal(hex(md5.subarray(24, 32)), '0218010000000009');
});

test('malformed authentication sections: badAuthentication', () => {
  const withAuth = (section: number[]): Uint8Array => {
    const b = new Uint8Array([...bytes(frr.frrUp4), ...section]);
    b[1]! |= 0x04;
    b[3] = b.length;
    return b;
  };
  const bad = [
    [0, 4, 1, 0x41], // Auth Type 0 is reserved
    [9, 4, 1, 0x41], // unknown type
    [1, 3, 1], // simple password without a password
    [1, 9, 1, 0x41], // Auth Len past the packet
    [2, 8, 1, 0, 0, 0, 0, 1], // keyed MD5 without its digest
  ];
  for (const s of bad) assert.throws(() => decodeBfdControl(withAuth(s)), (err: unknown) => err instanceof BfdPacketError && err.fault === 'badAuthentication', JSON.stringify(s));
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const arbAuth: fc.Arbitrary<BfdAuth> = fc.oneof(
  fc.record({ type: fc.constant('simplePassword' as const), keyId: fc.integer({ min: 0, max: 255 }), password: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ type: fc.constantFrom('keyedMd5' as const, 'meticulousKeyedMd5' as const), keyId: fc.integer({ min: 0, max: 255 }), sequence: u32, digest: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
  fc.record({ type: fc.constantFrom('keyedSha1' as const, 'meticulousKeyedSha1' as const), keyId: fc.integer({ min: 0, max: 255 }), sequence: u32, digest: fc.uint8Array({ minLength: 20, maxLength: 20 }) }),
);

/** Any packet a valid sender may send (Your Discriminator 0 only in Down or AdminDown). */
const arbPacket: fc.Arbitrary<BfdControlPacket> = fc
  .record({
    diag: fc.integer({ min: 0, max: 31 }),
    state: fc.constantFrom('AdminDown' as const, 'Down' as const, 'Init' as const, 'Up' as const),
    isPoll: fc.boolean(),
    isFinal: fc.boolean(),
    isControlPlaneIndependent: fc.boolean(),
    isDemand: fc.boolean(),
    detectMult: fc.integer({ min: 1, max: 255 }),
    myDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
    yourDiscriminator: u32,
    desiredMinTxUs: u32,
    requiredMinRxUs: u32,
    requiredMinEchoRxUs: u32,
    auth: fc.option(arbAuth, { nil: undefined }),
  })
  .map(({ auth, ...p }) => {
    const packet = p.state === 'Up' || p.state === 'Init' ? { ...p, yourDiscriminator: p.yourDiscriminator || 1 } : p;
    // fast-check's records have a null prototype; the decoder's objects do not.
    return auth === undefined ? { ...packet } : { ...packet, auth: { ...auth } };
  });

test('property: packet -> bytes -> same packet -> same bytes', () => {
  fc.assert(
    fc.property(arbPacket, (p) => {
      const b = encodeBfdControl(p);
      const decoded = decodeBfdControl(b);
      assert.deepEqual(decoded, p);
      assert.equal(hex(encodeBfdControl(decoded)), hex(b));
    }),
    { numRuns: 2000 },
  );
});

/** Decodes; a BfdPacketError is an accepted outcome, anything else fails the property. */
function decodeOrPacketError(b: Uint8Array): void {
  try {
    decodeBfdControl(b);
  } catch (err) {
    if (!(err instanceof BfdPacketError)) throw new Error(`not a BfdPacketError for ${hex(b)}`, { cause: err });
  }
}

test('property: truncated, corrupted or random input gives BfdPacketError or a packet, nothing else', () => {
  const arbDamaged = fc.oneof(
    arbPacket.chain((p) => {
      const b = encodeBfdControl(p);
      return fc.integer({ min: 0, max: b.length - 1 }).map((n) => b.subarray(0, n));
    }),
    arbPacket.chain((p) => {
      const b = encodeBfdControl(p);
      return fc.tuple(fc.integer({ min: 0, max: b.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([at, v]) => {
        const c = b.slice();
        c[at] = v;
        return c;
      });
    }),
    fc.uint8Array({ maxLength: 80 }),
  );
  fc.assert(fc.property(arbDamaged, decodeOrPacketError), { numRuns: 5000 });
});

test('property: a truncated packet is always refused', () => {
  fc.assert(
    fc.property(arbPacket, fc.nat(), (p, cut) => {
      const b = encodeBfdControl(p);
      const n = cut % b.length;
      assert.throws(() => decodeBfdControl(b.subarray(0, n)), BfdPacketError);
    }),
    { numRuns: 1000 },
  );
});
