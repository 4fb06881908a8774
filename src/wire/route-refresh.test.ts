import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader } from './reader.js';
import { headerLength } from './header.js';
import { WireError, NotifyCode, RouteRefreshSubcode } from './errors.js';
import { decodeRouteRefresh, encodeRouteRefresh, RefreshSubtype, type RouteRefreshMessage } from './route-refresh.js';
import * as fixtures from './fixtures/route-refresh.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const decodeHex = (hex: string): RouteRefreshMessage => {
  const b = bytes(hex);
  return decodeRouteRefresh(new Reader(b, headerLength, b.length));
};

const cases: [string, string, RouteRefreshMessage][] = [
  ['FRR 8.4.4 request (RFC 2918 3)', fixtures.frrRequest, { type: 'route-refresh', afi: 1, safi: 1, subtype: RefreshSubtype.request }],
  ['BIRD 2.0.12 Beginning of RIB refresh (RFC 7313 3)', fixtures.birdBeginning, { type: 'route-refresh', afi: 1, safi: 1, subtype: RefreshSubtype.beginning }],
  ['BIRD 2.0.12 End of RIB refresh (RFC 7313 3)', fixtures.birdEnd, { type: 'route-refresh', afi: 1, safi: 1, subtype: RefreshSubtype.end }],
];

for (const [name, hex, msg] of cases) {
  test(`${name}: decodes and re-encodes to the same bytes`, () => {
    assert.deepEqual(decodeHex(hex), msg);
    assert.equal(hexOf(encodeRouteRefresh(msg)), hex);
  });
}

test('an unknown subtype is decoded for the session to ignore (RFC 7313 3)', () => {
  const msg: RouteRefreshMessage = { type: 'route-refresh', afi: 2, safi: 128, subtype: 200 };
  assert.deepEqual(decodeHex(hexOf(encodeRouteRefresh(msg))), msg);
});

test('a body other than 4 octets is Invalid Message Length carrying the message (RFC 7313 5)', () => {
  for (const hex of ['ffffffffffffffffffffffffffffffff001805000101 0100', 'ffffffffffffffffffffffffffffffff0016050001 01']) {
    assert.throws(
      () => decodeHex(hex),
      (err: unknown) => {
        assert.ok(err instanceof WireError);
        assert.equal(err.code, NotifyCode.routeRefresh);
        assert.equal(err.subcode, RouteRefreshSubcode.invalidMessageLength);
        assert.equal(hexOf(err.data), hex.replace(/\s+/g, ''));
        return true;
      },
    );
  }
});

test('the data of a huge bad ROUTE-REFRESH is cut to fit a NOTIFICATION', () => {
  const b = new Uint8Array(10000).fill(0xff);
  b.set([10000 >> 8, 10000 & 0xff, 5], 16);
  assert.throws(
    () => decodeRouteRefresh(new Reader(b, headerLength, b.length)),
    (err: unknown) => err instanceof WireError && err.data.length === 4096 - 21 && hexOf(err.data.subarray(16, 19)) === '271005',
  );
});

test('encoding refuses fields out of range', () => {
  assert.throws(() => encodeRouteRefresh({ type: 'route-refresh', afi: 65536, safi: 1, subtype: 0 }), /AFI/);
  assert.throws(() => encodeRouteRefresh({ type: 'route-refresh', afi: 1, safi: 256, subtype: 0 }), /SAFI/);
  assert.throws(() => encodeRouteRefresh({ type: 'route-refresh', afi: 1, safi: 1, subtype: 1.5 }), /subtype/);
});
