import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Framer } from './framer.js';
import { WireError, NotifyCode, HeaderSubcode, CeaseSubcode } from './errors.js';
import { beginMessage, endMessage, MessageType, maxExtendedMessageLength, maxMessageLength } from './header.js';
import { encodeKeepalive } from './keepalive.js';
import { ceaseNotification, encodeNotification } from './notification.js';
import * as openFixtures from './fixtures/open.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const concat = (parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

const messages = [bytes(openFixtures.gobgpdOpen), encodeKeepalive(), encodeNotification(ceaseNotification(CeaseSubcode.administrativeShutdown, 'bye')), bytes(openFixtures.frrOpen)];
const stream = concat(messages);

/** A NOTIFICATION of `length` octets (zero data), built past the 4096 limit of encodeNotification. */
function notificationOf(length: number): Uint8Array {
  const w = beginMessage(MessageType.notification, length);
  w.u8(6).u8(0).bytes(new Uint8Array(length - 21));
  return endMessage(w, maxExtendedMessageLength);
}

function isHeaderError(subcode: number, data?: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof WireError, String(err));
    assert.equal(err.code, NotifyCode.messageHeader);
    assert.equal(err.subcode, subcode);
    if (data !== undefined) assert.equal(hexOf(err.data), data);
    return true;
  };
}

test('one chunk holding several messages gives each of them', () => {
  const out = new Framer(maxMessageLength).push(stream);
  assert.deepEqual(out.map(hexOf), messages.map(hexOf));
});

test('byte by byte gives the same messages, each when its last byte arrives', () => {
  const framer = new Framer(maxMessageLength);
  const out: Uint8Array[] = [];
  let ends = 0;
  const boundaries = new Set(messages.map((m) => (ends += m.length)));
  for (let i = 0; i < stream.length; i++) {
    const got = framer.push(stream.subarray(i, i + 1));
    assert.equal(got.length, boundaries.has(i + 1) ? 1 : 0, `after byte ${i}`);
    out.push(...got);
  }
  assert.deepEqual(out.map(hexOf), messages.map(hexOf));
  assert.equal(framer.buffered, 0);
});

test('a chunk ending inside a header, then one ending inside a body', () => {
  const framer = new Framer(maxMessageLength);
  assert.deepEqual(framer.push(stream.subarray(0, 10)), []);
  assert.deepEqual(framer.push(stream.subarray(10, 50)), []);
  assert.equal(framer.buffered, 50);
  const out = framer.push(stream.subarray(50));
  assert.deepEqual(out.map(hexOf), messages.map(hexOf));
});

test('returned messages are copies: reusing the chunk does not change them', () => {
  const framer = new Framer(maxMessageLength);
  const chunk = Uint8Array.from(stream);
  const first = framer.push(chunk.subarray(0, 30));
  const rest = framer.push(chunk.subarray(30));
  chunk.fill(0);
  assert.deepEqual([...first, ...rest].map(hexOf), messages.map(hexOf));
});

test('a bad marker fails as soon as the header is in (RFC 4271 6.1)', () => {
  const bad = Uint8Array.from(encodeKeepalive());
  bad[3] = 0;
  const framer = new Framer(maxMessageLength);
  assert.deepEqual(framer.push(bad.subarray(0, 18)), []);
  assert.throws(() => framer.push(bad.subarray(18, 19)), isHeaderError(HeaderSubcode.connectionNotSynchronized));
});

test('a length over the limit fails before the body arrives, with the length as data', () => {
  const big = notificationOf(5000);
  assert.throws(() => new Framer(maxMessageLength).push(big.subarray(0, 19)), isHeaderError(HeaderSubcode.badMessageLength, '1388'));
});

test('a length under 19 and an unknown type are header errors', () => {
  assert.throws(() => new Framer(maxMessageLength).push(bytes('ffffffffffffffffffffffffffffffff001204')), isHeaderError(HeaderSubcode.badMessageLength, '0012'));
  assert.throws(() => new Framer(maxMessageLength).push(bytes('ffffffffffffffffffffffffffffffff001309')), isHeaderError(HeaderSubcode.badMessageType, '09'));
});

test('after an error every push throws it again', () => {
  const framer = new Framer(maxMessageLength);
  assert.throws(() => framer.push(bytes('ffffffffffffffffffffffffffffffff001309')), WireError);
  assert.throws(() => framer.push(encodeKeepalive()), WireError);
});

test('setMaxLength lets Extended Message sizes through (RFC 8654)', () => {
  const big = notificationOf(maxExtendedMessageLength);
  const framer = new Framer(maxMessageLength);
  framer.setMaxLength(maxExtendedMessageLength);
  assert.deepEqual(framer.push(big.subarray(0, 1000)), []);
  assert.deepEqual(framer.push(big.subarray(1000, 40000)), []);
  const out = framer.push(concat([big.subarray(40000), encodeKeepalive()]));
  assert.equal(out.length, 2);
  assert.equal(hexOf(out[0]!), hexOf(big));
});

test('memory stays bounded: a partial message is held once, never beyond the limit', () => {
  const framer = new Framer(maxMessageLength);
  const m = notificationOf(maxMessageLength);
  for (let i = 0; i < maxMessageLength - 1; i += 100) {
    assert.deepEqual(framer.push(m.subarray(i, Math.min(i + 100, maxMessageLength - 1))), []);
    assert.ok(framer.buffered <= maxMessageLength);
  }
  assert.equal(framer.buffered, maxMessageLength - 1);
  assert.equal(framer.push(m.subarray(maxMessageLength - 1)).length, 1);
  assert.equal(framer.buffered, 0);
});

test('an empty chunk changes nothing', () => {
  const framer = new Framer(maxMessageLength);
  assert.deepEqual(framer.push(new Uint8Array(0)), []);
  framer.push(stream.subarray(0, 5));
  assert.deepEqual(framer.push(new Uint8Array(0)), []);
  assert.equal(framer.buffered, 5);
});

test('limits outside 19..65535 are refused', () => {
  assert.throws(() => new Framer(18), RangeError);
  assert.throws(() => new Framer(maxMessageLength).setMaxLength(65536), RangeError);
});
