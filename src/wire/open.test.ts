import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader } from './reader.js';
import { headerLength } from './header.js';
import { WireError, NotifyCode, OpenSubcode } from './errors.js';
import { defaultContext } from './context.js';
import type { Capability } from './capability-types.js';
import { decodeOpen, encodeOpen, type OpenMessage } from './open.js';
import * as fixtures from './fixtures/open.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const decodeBytes = (b: Uint8Array): OpenMessage => decodeOpen(new Reader(b, headerLength, b.length), defaultContext);
const decodeHex = (hex: string): OpenMessage => decodeBytes(bytes(hex));
const encode = (msg: OpenMessage): Uint8Array => encodeOpen(msg, defaultContext);

const mp4: Capability = { kind: 'multiprotocol', afi: 1, safi: 1 };
const mp6: Capability = { kind: 'multiprotocol', afi: 2, safi: 1 };

test('gobgpd 3.10.0 OPEN decodes and re-encodes to the same bytes', () => {
  const open = decodeHex(fixtures.gobgpdOpen);
  assert.deepEqual(open, {
    type: 'open',
    version: 4,
    myAs: 65001,
    holdTime: 90,
    bgpId: Uint8Array.of(127, 0, 0, 11),
    capabilities: [
      { kind: 'route-refresh' },
      { kind: 'fqdn', hostname: 'vm', domain: '' },
      mp4,
      mp6,
      { kind: 'four-octet-as', asn: 65001 },
      {
        kind: 'graceful-restart',
        isRestarting: false,
        isNotificationSupported: true,
        restartTimeSec: 120,
        families: [
          { afi: 1, safi: 1, isForwardingPreserved: false },
          { afi: 2, safi: 1, isForwardingPreserved: false },
        ],
      },
      { kind: 'long-lived-graceful-restart', families: [{ afi: 1, safi: 1, isForwardingPreserved: false, staleTimeSec: 3600 }] },
      { kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
      { kind: 'add-path', families: [{ afi: 1, safi: 1, mode: 3 }] },
    ],
  } satisfies OpenMessage);
  assert.equal(hexOf(encode(open)), fixtures.gobgpdOpen);
});

test('BIRD 2.0.12 OPEN decodes and re-encodes to the same bytes', () => {
  const open = decodeHex(fixtures.birdOpen);
  assert.deepEqual(open, {
    type: 'open',
    version: 4,
    myAs: 65002,
    holdTime: 90,
    bgpId: Uint8Array.of(127, 0, 0, 12),
    capabilities: [
      mp4,
      mp6,
      { kind: 'route-refresh' },
      { kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
      { kind: 'extended-message' },
      { kind: 'role', role: 0 },
      {
        kind: 'graceful-restart',
        isRestarting: false,
        isNotificationSupported: false,
        restartTimeSec: 120,
        families: [
          { afi: 1, safi: 1, isForwardingPreserved: false },
          { afi: 2, safi: 1, isForwardingPreserved: false },
        ],
      },
      { kind: 'four-octet-as', asn: 65002 },
      { kind: 'add-path', families: [{ afi: 1, safi: 1, mode: 3 }] },
      { kind: 'enhanced-route-refresh' },
      {
        kind: 'long-lived-graceful-restart',
        families: [
          { afi: 1, safi: 1, isForwardingPreserved: false, staleTimeSec: 3600 },
          { afi: 2, safi: 1, isForwardingPreserved: false, staleTimeSec: 3600 },
        ],
      },
      { kind: 'fqdn', hostname: 'vm', domain: '' },
    ],
  } satisfies OpenMessage);
  assert.equal(hexOf(encode(open)), fixtures.birdOpen);
});

const frrExpected: OpenMessage = {
  type: 'open',
  version: 4,
  myAs: 65003,
  holdTime: 90,
  bgpId: Uint8Array.of(127, 0, 0, 13),
  capabilities: [
    mp4,
    mp6,
    { kind: 'route-refresh-old' },
    { kind: 'route-refresh' },
    { kind: 'enhanced-route-refresh' },
    { kind: 'four-octet-as', asn: 65003 },
    { kind: 'extended-message' },
    { kind: 'role', role: 3 },
    {
      kind: 'add-path',
      families: [
        { afi: 1, safi: 1, mode: 3 },
        { afi: 2, safi: 1, mode: 3 },
      ],
    },
    { kind: 'fqdn', hostname: 'fixture-frr', domain: '' },
    {
      kind: 'graceful-restart',
      isRestarting: true,
      isNotificationSupported: true,
      restartTimeSec: 120,
      families: [
        { afi: 1, safi: 1, isForwardingPreserved: false },
        { afi: 2, safi: 1, isForwardingPreserved: false },
      ],
    },
    {
      kind: 'long-lived-graceful-restart',
      families: [
        { afi: 1, safi: 1, isForwardingPreserved: true, staleTimeSec: 3600 },
        { afi: 2, safi: 1, isForwardingPreserved: true, staleTimeSec: 3600 },
      ],
    },
  ],
};

test('FRR 8.4.4 OPEN (one parameter per capability) decodes; our one-parameter encoding decodes the same', () => {
  const open = decodeHex(fixtures.frrOpen);
  assert.deepEqual(open, frrExpected);
  const ours = encode(open);
  assert.notEqual(hexOf(ours), fixtures.frrOpen);
  assert.deepEqual(decodeBytes(ours), frrExpected);
  // Twelve 2-octet parameter headers become one.
  assert.equal(ours.length, bytes(fixtures.frrOpen).length - 11 * 2);
});

test('FRR 8.4.4 OPEN in the RFC 9072 encoding decodes; ours (classic, as it is short) decodes the same', () => {
  const open = decodeHex(fixtures.frrExtendedOpen);
  assert.deepEqual(open, { ...frrExpected, capabilities: frrExpected.capabilities.filter((c) => c.kind !== 'role') });
  const ours = encode(open);
  assert.notEqual(ours[headerLength + 10], 255);
  assert.deepEqual(decodeBytes(ours), open);
});

test('FRR 8.4.4 RFC 9072 OPEN with a 1-octet Role parameter length is OPEN Message Error / Unspecific', () => {
  expectError(fixtures.frrExtendedOpenWithRole, OpenSubcode.unspecific);
});

const base = { type: 'open', version: 4, myAs: 65000, holdTime: 90, bgpId: Uint8Array.of(10, 0, 0, 1) } as const;

test('an OPEN without capabilities has an optional parameters length of 0', () => {
  const msg: OpenMessage = { ...base, capabilities: [] };
  const b = encode(msg);
  assert.equal(hexOf(b), 'ffffffffffffffffffffffffffffffff001d' + '01' + '04fde8005a0a00000100');
  assert.deepEqual(decodeBytes(b), msg);
});

test('parameters over 255 octets use the RFC 9072 encoding; up to 255 the RFC 4271 one', () => {
  // 253 octets of capabilities fit one classic parameter (2 + 253 = 255).
  const fits: OpenMessage = { ...base, capabilities: [{ kind: 'unknown', code: 200, value: new Uint8Array(251) }] };
  const a = encode(fits);
  assert.equal(a[headerLength + 9], 255);
  assert.equal(a[headerLength + 10], 2);
  assert.deepEqual(decodeBytes(a), fits);
  const over: OpenMessage = { ...base, capabilities: [...fits.capabilities, { kind: 'route-refresh' }] };
  const b = encode(over);
  assert.equal(hexOf(b.subarray(headerLength + 9, headerLength + 16)), 'ffff' + '0102' + '02' + '00ff');
  assert.equal(b.length, headerLength + 10 + 3 + 3 + 255);
  assert.deepEqual(decodeBytes(b), over);
});

test('RFC 9072: any non-zero Non-Ext OP Len followed by type 255 means the extended encoding', () => {
  // Non-Ext OP Len 1 (ignored), type 255, length 5: one parameter holding Route Refresh.
  const b = bytes('ffffffffffffffffffffffffffffffff0025 01 04fde8005a0a000001 01 ff 0005 02 0002 0200');
  assert.deepEqual(decodeBytes(b).capabilities, [{ kind: 'route-refresh' }]);
});

test('several Capabilities parameters are read in order', () => {
  const b = bytes('ffffffffffffffffffffffffffffffff0027 01 04fde8005a0a000001 0a 0202 0200 0204 4600 0600');
  assert.deepEqual(decodeBytes(b).capabilities, [{ kind: 'route-refresh' }, { kind: 'enhanced-route-refresh' }, { kind: 'extended-message' }]);
});

function expectError(hex: string, subcode: number, data?: string): void {
  assert.throws(
    () => decodeHex(hex),
    (err: unknown) => {
      assert.ok(err instanceof WireError, String(err));
      assert.equal(err.code, NotifyCode.openMessage);
      assert.equal(err.subcode, subcode);
      if (data !== undefined) assert.equal(hexOf(err.data), data);
      return true;
    },
  );
}

const header = (length: number): string => 'ffffffffffffffffffffffffffffffff' + length.toString(16).padStart(4, '0') + '01';

test('version other than 4 is Unsupported Version Number with data 4 (RFC 4271 6.2)', () => {
  expectError(header(29) + '03fde8005a0a00000100', OpenSubcode.unsupportedVersion, '0004');
  expectError(header(29) + '05fde8005a0a00000100', OpenSubcode.unsupportedVersion, '0004');
});

test('hold time 1 or 2 is Unacceptable Hold Time; 0 and 3 are fine (RFC 4271 6.2)', () => {
  expectError(header(29) + '04fde800010a00000100', OpenSubcode.unacceptableHoldTime);
  expectError(header(29) + '04fde800020a00000100', OpenSubcode.unacceptableHoldTime);
  assert.equal(decodeHex(header(29) + '04fde800000a00000100').holdTime, 0);
  assert.equal(decodeHex(header(29) + '04fde800030a00000100').holdTime, 3);
});

test('BGP identifier 0.0.0.0 is Bad BGP Identifier; any other value is fine (RFC 6286 2)', () => {
  expectError(header(29) + '04fde8005a0000000000', OpenSubcode.badBgpIdentifier);
  assert.deepEqual(decodeHex(header(29) + '04fde8005affffffff00').bgpId, Uint8Array.of(255, 255, 255, 255));
});

test('a parameter of another type is Unsupported Optional Parameter (RFC 4271 6.2)', () => {
  expectError(header(33) + '04fde8005a0a00000104 0102abcd', OpenSubcode.unsupportedOptionalParameter);
});

test('lengths that do not add up are OPEN Message Error / Unspecific', () => {
  const cases = [
    header(29) + '04fde8005a0a00000104', // parameters length past the end
    header(31) + '04fde8005a0a000001000200', // bytes after the parameters
    header(31) + '04fde8005a0a000001020203', // parameter length past its parameters
    header(30) + '04fde8005a0a00000101 02', // parameter without a length
    header(30) + '04fde8005a0a000001ff ff', // RFC 9072 marker without its length
    header(32) + '04fde8005a0a000001ff ff0005', // RFC 9072 length past the end
    header(28) + '04fde8005a0a000001', // no parameters length at all
  ];
  for (const hex of cases) expectError(hex, OpenSubcode.unspecific);
});

test('encoding refuses fields out of range', () => {
  assert.throws(() => encode({ ...base, bgpId: Uint8Array.of(1, 2, 3), capabilities: [] }), /BGP identifier/);
  assert.throws(() => encode({ ...base, myAs: 70000, capabilities: [] }), /my AS/);
  assert.throws(() => encode({ ...base, holdTime: -1, capabilities: [] }), /hold time/);
  const huge = Array.from({ length: 20 }, (): Capability => ({ kind: 'unknown', code: 200, value: new Uint8Array(255) }));
  assert.throws(() => encode({ ...base, capabilities: huge }), /4096/);
});
