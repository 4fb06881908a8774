import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader } from './reader.js';
import { headerLength } from './header.js';
import { CeaseSubcode, NotifyCode, OpenSubcode } from './errors.js';
import {
  ceaseNotification,
  decodeNotification,
  describeNotification,
  encodeNotification,
  maxShutdownCommunication,
  shutdownCommunication,
  type NotificationMessage,
} from './notification.js';
import * as fixtures from './fixtures/notification.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const decodeHex = (hex: string): NotificationMessage => {
  const b = bytes(hex);
  return decodeNotification(new Reader(b, headerLength, b.length));
};

test('shutdown communication from gobgpd, BIRD and FRR (RFC 9003) decodes and re-encodes', () => {
  const msg = decodeHex(fixtures.shutdownCommunication);
  const expected = ceaseNotification(CeaseSubcode.administrativeShutdown, fixtures.shutdownCommunicationText);
  assert.equal(msg.code, NotifyCode.cease);
  assert.equal(msg.subcode, CeaseSubcode.administrativeShutdown);
  assert.deepEqual(msg.data, expected.data);
  assert.equal(shutdownCommunication(msg), fixtures.shutdownCommunicationText);
  assert.equal(describeNotification(msg), 'Cease / Administrative Shutdown: "tsbgp fixture: maintenance"');
  assert.equal(hexOf(encodeNotification(msg)), fixtures.shutdownCommunication);
  assert.equal(hexOf(encodeNotification(expected)), fixtures.shutdownCommunication);
});

test('Cease without data (gobgpd) decodes and re-encodes', () => {
  const msg = decodeHex(fixtures.shutdownWithoutData);
  assert.deepEqual(msg, { type: 'notification', code: NotifyCode.cease, subcode: CeaseSubcode.administrativeShutdown, data: new Uint8Array(0) });
  assert.equal(shutdownCommunication(msg), undefined);
  assert.equal(describeNotification(msg), 'Cease / Administrative Shutdown');
  assert.equal(hexOf(encodeNotification(msg)), fixtures.shutdownWithoutData);
});

test('OPEN Message Error / Unspecific (FRR) decodes and re-encodes', () => {
  const msg = decodeHex(fixtures.openErrorUnspecific);
  assert.equal(msg.code, NotifyCode.openMessage);
  assert.equal(msg.subcode, OpenSubcode.unspecific);
  assert.equal(describeNotification(msg), 'OPEN Message Error');
  assert.equal(hexOf(encodeNotification(msg)), fixtures.openErrorUnspecific);
});

test('the decoded data is a copy, not a view of the received buffer', () => {
  const b = bytes(fixtures.shutdownCommunication);
  const msg = decodeNotification(new Reader(b, headerLength, b.length));
  b.fill(0);
  assert.equal(shutdownCommunication(msg), fixtures.shutdownCommunicationText);
});

test('a communication is cut to 255 octets without splitting a character (RFC 9003 2)', () => {
  const msg = ceaseNotification(CeaseSubcode.administrativeReset, 'é'.repeat(200));
  assert.equal(msg.data[0], 254);
  assert.equal(msg.data.length, 255);
  assert.equal(shutdownCommunication(msg), 'é'.repeat(127));
  assert.ok(msg.data[0]! <= maxShutdownCommunication);
});

test('a communication is sent only with Administrative Shutdown or Reset', () => {
  assert.equal(ceaseNotification(CeaseSubcode.peerDeconfigured, 'bye').data.length, 0);
  assert.equal(ceaseNotification(CeaseSubcode.administrativeShutdown).data.length, 0);
});

test('a malformed communication is shown as hex (RFC 9003 5)', () => {
  const over: NotificationMessage = { type: 'notification', code: NotifyCode.cease, subcode: CeaseSubcode.administrativeShutdown, data: Uint8Array.of(5, 0x61) };
  assert.equal(shutdownCommunication(over), undefined);
  assert.equal(describeNotification(over), 'Cease / Administrative Shutdown (data 0561)');
  const notUtf8: NotificationMessage = { ...over, data: Uint8Array.of(1, 0xff) };
  assert.equal(shutdownCommunication(notUtf8), undefined);
});

test('a NOTIFICATION with only code and subcode has empty data', () => {
  assert.deepEqual(decodeHex('ffffffffffffffffffffffffffffffff0015030401').data, new Uint8Array(0));
});
