import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, type Message } from './message.js';
import { WireError, NotifyCode, HeaderSubcode, CeaseSubcode, RouteRefreshSubcode } from './errors.js';
import { as4Context, defaultContext, familyKey } from './context.js';
import { ceaseNotification, shutdownCommunication } from './notification.js';
import { keepalive } from './keepalive.js';
import { endOfRibFamily } from './update.js';
import * as openFixtures from './fixtures/open.js';
import * as notificationFixtures from './fixtures/notification.js';
import * as keepaliveFixtures from './fixtures/keepalive.js';
import * as refreshFixtures from './fixtures/route-refresh.js';
import * as eorFixtures from './fixtures/end-of-rib.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const marker = 'ffffffffffffffffffffffffffffffff';

/** Decodes and re-encodes a fixture whose layout our encoder reproduces. */
function bothWays(hex: string): Message {
  const msg = decodeMessage(bytes(hex), defaultContext);
  assert.equal(hexOf(encodeMessage(msg, defaultContext)), hex);
  return msg;
}

test('OPEN from gobgpd and BIRD through decodeMessage/encodeMessage', () => {
  for (const hex of [openFixtures.gobgpdOpen, openFixtures.birdOpen]) {
    const msg = bothWays(hex);
    assert.equal(msg.type, 'open');
  }
});

test('OPEN from FRR: our encoding differs in grouping and decodes to the same message', () => {
  const msg = decodeMessage(bytes(openFixtures.frrOpen), defaultContext);
  assert.deepEqual(decodeMessage(encodeMessage(msg, defaultContext), defaultContext), msg);
});

test('KEEPALIVE', () => {
  assert.deepEqual(bothWays(keepaliveFixtures.keepalive), keepalive);
});

test('NOTIFICATION with an RFC 9003 shutdown communication', () => {
  const msg = bothWays(notificationFixtures.shutdownCommunication);
  assert.equal(msg.type, 'notification');
  if (msg.type !== 'notification') return;
  assert.equal(shutdownCommunication(msg), notificationFixtures.shutdownCommunicationText);
  assert.equal(hexOf(encodeMessage(ceaseNotification(CeaseSubcode.administrativeShutdown, notificationFixtures.shutdownCommunicationText), defaultContext)), notificationFixtures.shutdownCommunication);
});

test('ROUTE-REFRESH request and RFC 7313 demarcations', () => {
  assert.deepEqual(bothWays(refreshFixtures.frrRequest), { type: 'route-refresh', afi: 1, safi: 1, subtype: 0 });
  assert.deepEqual(bothWays(refreshFixtures.birdBeginning), { type: 'route-refresh', afi: 1, safi: 1, subtype: 1 });
  assert.deepEqual(bothWays(refreshFixtures.birdEnd), { type: 'route-refresh', afi: 1, safi: 1, subtype: 2 });
});

test('End-of-RIB markers from BIRD decode as UPDATEs of their family (RFC 4724 2)', () => {
  const v4 = decodeMessage(bytes(eorFixtures.birdIpv4), as4Context);
  const v6 = decodeMessage(bytes(eorFixtures.birdIpv6), as4Context);
  assert.equal(v4.type === 'update' ? endOfRibFamily(v4) : undefined, familyKey(1, 1));
  assert.equal(v6.type === 'update' ? endOfRibFamily(v6) : undefined, familyKey(2, 1));
});

function headerError(hex: string, subcode: number, data?: string): void {
  assert.throws(
    () => decodeMessage(bytes(hex), defaultContext),
    (err: unknown) => {
      assert.ok(err instanceof WireError, String(err));
      assert.equal(err.code, NotifyCode.messageHeader);
      assert.equal(err.subcode, subcode);
      if (data !== undefined) assert.equal(hexOf(err.data), data);
      return true;
    },
  );
}

test('header errors (RFC 4271 6.1)', () => {
  // Bad marker: Connection Not Synchronized.
  headerError('fffffffffffffffffffffffffffffffe001304', HeaderSubcode.connectionNotSynchronized);
  // Lengths: under 19, over 4096, under the type's minimum, KEEPALIVE not 19.
  headerError(marker + '001204', HeaderSubcode.badMessageLength, '0012');
  headerError(marker + '100104' + '00'.repeat(4096 - 19 + 1), HeaderSubcode.badMessageLength, '1001');
  headerError(marker + '001401' + '04', HeaderSubcode.badMessageLength, '0014');
  headerError(marker + '001404' + '00', HeaderSubcode.badMessageLength, '0014');
  headerError(marker + '001403' + '06', HeaderSubcode.badMessageLength, '0014');
  // The header's length disagrees with the bytes given.
  headerError(marker + '001404', HeaderSubcode.badMessageLength);
  headerError(keepaliveFixtures.keepalive + '00', HeaderSubcode.badMessageLength);
  // Unknown type, with the type as data.
  headerError(marker + '001306', HeaderSubcode.badMessageType, '06');
  // Shorter than a header.
  headerError(marker + '0013', HeaderSubcode.badMessageLength);
  headerError('', HeaderSubcode.badMessageLength);
});

test('a ROUTE-REFRESH of the wrong length is a ROUTE-REFRESH Message Error (RFC 7313 5)', () => {
  const hex = marker + '001805' + '0001000100';
  assert.throws(
    () => decodeMessage(bytes(hex), defaultContext),
    (err: unknown) => err instanceof WireError && err.code === NotifyCode.routeRefresh && err.subcode === RouteRefreshSubcode.invalidMessageLength && hexOf(err.data) === hex,
  );
});

test('with Extended Message a 5000-octet message passes the header check', () => {
  const data = '00'.repeat(5000 - 21);
  const hex = marker + '138803' + '0600' + data;
  assert.throws(() => decodeMessage(bytes(hex), defaultContext), WireError);
  const msg = decodeMessage(bytes(hex), { ...defaultContext, isExtendedMessage: true });
  assert.equal(msg.type === 'notification' ? msg.data.length : -1, 5000 - 21);
});
