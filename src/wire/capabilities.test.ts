import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader } from './reader.js';
import { WireError, NotifyCode, OpenSubcode } from './errors.js';
import { familyKey } from './context.js';
import type { Capability } from './capability-types.js';
import { decodeCapabilities, encodeCapability, findCapabilities, findCapability, malformedCapability, multiprotocolFamilies } from './capabilities.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const decode = (hex: string): Capability[] => {
  const b = bytes(hex);
  return decodeCapabilities(new Reader(b, 0, b.length, malformedCapability));
};

/** One capability both ways: bytes to object, object to the same bytes. */
function roundTrip(name: string, hex: string, cap: Capability): void {
  test(`${name}: decodes and re-encodes`, () => {
    assert.deepEqual(decode(hex), [cap]);
    assert.equal(hexOf(encodeCapability(cap)), hex.replace(/\s+/g, ''));
  });
}

// Layouts from each RFC's capability figure.
roundTrip('multiprotocol IPv6 unicast (RFC 4760 8)', '01 04 0002 00 01', { kind: 'multiprotocol', afi: 2, safi: 1 });
roundTrip('route refresh (RFC 2918 2)', '02 00', { kind: 'route-refresh' });
roundTrip('route refresh, pre-standard code 128', '80 00', { kind: 'route-refresh-old' });
roundTrip('enhanced route refresh (RFC 7313 2)', '46 00', { kind: 'enhanced-route-refresh' });
roundTrip('extended message (RFC 8654 3)', '06 00', { kind: 'extended-message' });
roundTrip('4-octet AS 4200000001 (RFC 6793 3)', '41 04 fa56ea01', { kind: 'four-octet-as', asn: 4200000001 });
roundTrip('graceful restart, R and N bits, F per family (RFC 4724 3, RFC 8538 2)', '40 0a c0b4 0001 01 80 0002 01 00', {
  kind: 'graceful-restart',
  isRestarting: true,
  isNotificationSupported: true,
  restartTimeSec: 180,
  families: [
    { afi: 1, safi: 1, isForwardingPreserved: true },
    { afi: 2, safi: 1, isForwardingPreserved: false },
  ],
});
roundTrip('graceful restart without families, maximum time', '40 02 0fff', { kind: 'graceful-restart', isRestarting: false, isNotificationSupported: false, restartTimeSec: 4095, families: [] });
roundTrip('long-lived graceful restart (RFC 9494 3)', '47 0e 0001 01 80 ffffff 0002 01 00 000e10', {
  kind: 'long-lived-graceful-restart',
  families: [
    { afi: 1, safi: 1, isForwardingPreserved: true, staleTimeSec: 0xffffff },
    { afi: 2, safi: 1, isForwardingPreserved: false, staleTimeSec: 3600 },
  ],
});
roundTrip('ADD-PATH (RFC 7911 4)', '45 08 0001 01 01 0002 01 02', {
  kind: 'add-path',
  families: [
    { afi: 1, safi: 1, mode: 1 },
    { afi: 2, safi: 1, mode: 2 },
  ],
});
roundTrip('extended next hop, 2-octet SAFI (RFC 8950 3)', '05 0c 0001 0001 0002 0001 0080 0002', {
  kind: 'extended-next-hop',
  entries: [
    { afi: 1, safi: 1, nextHopAfi: 2 },
    { afi: 1, safi: 128, nextHopAfi: 2 },
  ],
});
roundTrip('FQDN (draft-walton-bgp-hostname-capability 3)', `49 0e 05 ${hexOf(Buffer.from('rt-01'))} 07 ${hexOf(Buffer.from('lab.net'))}`, { kind: 'fqdn', hostname: 'rt-01', domain: 'lab.net' });
roundTrip('FQDN, empty domain', '49 04 02 6869 00', { kind: 'fqdn', hostname: 'hi', domain: '' });
roundTrip('BGP role customer (RFC 9234 4.1)', '09 01 03', { kind: 'role', role: 3 });
roundTrip('unknown capability kept as bytes', 'ee 03 010203', { kind: 'unknown', code: 0xee, value: Uint8Array.of(1, 2, 3) });

test('several capabilities in one parameter, in order, duplicates kept', () => {
  const caps = decode('01 04 0001 00 01  01 04 0002 00 01  02 00  41 04 0000fde8');
  assert.deepEqual(caps, [
    { kind: 'multiprotocol', afi: 1, safi: 1 },
    { kind: 'multiprotocol', afi: 2, safi: 1 },
    { kind: 'route-refresh' },
    { kind: 'four-octet-as', asn: 65000 },
  ]);
  assert.deepEqual(findCapability(caps, 'four-octet-as')?.asn, 65000);
  assert.equal(findCapabilities(caps, 'multiprotocol').length, 2);
  assert.equal(findCapability(caps, 'add-path'), undefined);
  assert.deepEqual([...multiprotocolFamilies(caps)], [familyKey(1, 1), familyKey(2, 1)]);
});

test('the multiprotocol reserved octet is ignored on receipt (RFC 4760 8)', () => {
  assert.deepEqual(decode('01 04 0001 ff 01'), [{ kind: 'multiprotocol', afi: 1, safi: 1 }]);
});

test('an ADD-PATH Send/Receive value other than 1..3 makes it not understood (RFC 7911 4)', () => {
  assert.deepEqual(decode('45 04 0001 01 04'), [{ kind: 'unknown', code: 69, value: Uint8Array.of(0, 1, 1, 4) }]);
});

test('an FQDN that is not UTF-8 is kept as bytes', () => {
  assert.deepEqual(decode('49 03 01 ff 00'), [{ kind: 'unknown', code: 73, value: Uint8Array.of(1, 0xff, 0) }]);
});

test('an FQDN beginning with U+FEFF keeps it', () => {
  const cap: Capability = { kind: 'fqdn', hostname: '\ufeffa', domain: '' };
  assert.deepEqual(decode(hexOf(encodeCapability(cap))), [cap]);
});

const malformed: [string, string][] = [
  ['multiprotocol of 3 octets', '01 03 0001 00'],
  ['multiprotocol of 5 octets', '01 05 0001 00 01 00'],
  ['route refresh with a value', '02 01 00'],
  ['route refresh (old) with a value', '80 01 00'],
  ['enhanced route refresh with a value', '46 01 00'],
  ['extended message with a value', '06 02 0000'],
  ['4-octet AS of 2 octets', '41 02 fde8'],
  ['graceful restart of 1 octet', '40 01 00'],
  ['graceful restart with a partial family', '40 05 0078 0001 01'],
  ['long-lived graceful restart with a partial family', '47 06 0001 01 00 0000'],
  ['ADD-PATH of 3 octets', '45 03 0001 01'],
  ['extended next hop of 4 octets', '05 04 0001 0001'],
  ['FQDN hostname past the end', '49 02 05 61'],
  ['FQDN without a domain length', '49 02 01 61'],
  ['FQDN with trailing octets', '49 04 01 61 00 00'],
  ['BGP role of 2 octets', '09 02 0001'],
  ['BGP role of 0 octets', '09 00'],
  ['capability length past the parameter', '41 04 0000'],
  ['capability code without a length', '41'],
];

for (const [name, hex] of malformed) {
  test(`malformed: ${name} is OPEN Message Error / Unspecific (RFC 4271 6.2)`, () => {
    assert.throws(
      () => decode(hex),
      (err: unknown) => err instanceof WireError && err.code === NotifyCode.openMessage && err.subcode === OpenSubcode.unspecific,
    );
  });
}

test('encoding refuses values that do not fit', () => {
  const tooMany = Array.from({ length: 64 }, () => ({ afi: 1, safi: 1, mode: 3 as const }));
  assert.throws(() => encodeCapability({ kind: 'add-path', families: tooMany }), /exceeds 255/);
  assert.throws(() => encodeCapability({ kind: 'graceful-restart', isRestarting: false, isNotificationSupported: false, restartTimeSec: 4096, families: [] }), /graceful restart time/);
  assert.throws(() => encodeCapability({ kind: 'four-octet-as', asn: 2 ** 32 }), /AS number/);
  assert.throws(() => encodeCapability({ kind: 'fqdn', hostname: 'x'.repeat(256), domain: '' }), /FQDN hostname/);
  assert.throws(() => encodeCapability({ kind: 'unknown', code: 300, value: new Uint8Array(0) }), /capability code/);
});
