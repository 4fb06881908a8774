import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader } from './reader.js';
import { headerLength } from './header.js';
import { WireError, NotifyCode, HeaderSubcode } from './errors.js';
import { decodeKeepalive, encodeKeepalive, keepalive } from './keepalive.js';
import * as fixtures from './fixtures/keepalive.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

test('the KEEPALIVE gobgpd, BIRD and FRR send decodes and re-encodes to the same bytes', () => {
  const b = bytes(fixtures.keepalive);
  assert.deepEqual(decodeKeepalive(new Reader(b, headerLength, b.length)), keepalive);
  assert.equal(Buffer.from(encodeKeepalive()).toString('hex'), fixtures.keepalive);
});

test('each encoding is a fresh copy', () => {
  const a = encodeKeepalive();
  a[0] = 0;
  assert.equal(encodeKeepalive()[0], 0xff);
});

test('a KEEPALIVE with a body is Bad Message Length (RFC 4271 6.1)', () => {
  const b = bytes(fixtures.keepalive + '00');
  assert.throws(
    () => decodeKeepalive(new Reader(b, headerLength, b.length)),
    (err: unknown) => err instanceof WireError && err.code === NotifyCode.messageHeader && err.subcode === HeaderSubcode.badMessageLength,
  );
});
