import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Afi, compareAddress, formatPrefix, maskAddress, parsePrefix, type Prefix } from '../lib/address.js';
import { comparePrefixKeys, formatPrefixKey, ipv4KeyRaw, ipv6KeyRaw, keyAfi, keyLength, keyToPrefix, parsePrefixKey, prefixKey } from './prefix-key.js';

const prefixArb = (afi: Afi): fc.Arbitrary<Prefix> =>
  fc
    .tuple(fc.uint8Array({ minLength: afi === Afi.ipv4 ? 4 : 16, maxLength: afi === Afi.ipv4 ? 4 : 16 }), fc.integer({ min: 0, max: afi === Afi.ipv4 ? 32 : 128 }))
    .map(([addr, length]) => ({ afi, length, addr: maskAddress(addr, length) }));
const anyPrefix = fc.oneof(prefixArb(Afi.ipv4), prefixArb(Afi.ipv6));

test('an IPv4 key is address * 64 + length', () => {
  assert.equal(parsePrefixKey('10.0.0.0/8'), 0x0a000000 * 64 + 8);
  assert.equal(parsePrefixKey('0.0.0.0/0'), 0);
  assert.equal(parsePrefixKey('255.255.255.255/32'), 0xffffffff * 64 + 32);
  assert.equal(parsePrefixKey('172.17.254.1/32'), 0xac11fe01 * 64 + 32);
  assert.equal(keyAfi(parsePrefixKey('10.0.0.0/8')), Afi.ipv4);
});

test('an IPv6 key is 17 latin1 chars: address bytes then length', () => {
  const key = parsePrefixKey('2001:db8::/32');
  assert.equal(typeof key, 'string');
  assert.equal((key as string).length, 17);
  assert.equal((key as string).charCodeAt(0), 0x20);
  assert.equal((key as string).charCodeAt(3), 0xb8);
  assert.equal(keyLength(key), 32);
  assert.equal(keyAfi(key), Afi.ipv6);
});

test('keys from NLRI bytes equal keys from prefixes (only significant octets are read)', () => {
  const nlri = Uint8Array.of(0xff, 24, 192, 0, 2, 0xff);
  assert.equal(ipv4KeyRaw(nlri, 2, 24), parsePrefixKey('192.0.2.0/24'));
  assert.equal(ipv4KeyRaw(nlri, 2, 0), parsePrefixKey('0.0.0.0/0'));
  const v6 = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0xee);
  assert.equal(ipv6KeyRaw(v6, 0, 32), parsePrefixKey('2001:db8::/32'));
});

test('formatting gives the prefix text back', () => {
  for (const text of ['10.0.0.0/8', '172.17.254.1/32', '0.0.0.0/0', '2001:db8::/32', '::/0', 'fe80::1/128']) assert.equal(formatPrefixKey(parsePrefixKey(text)), text);
});

test('malformed keys are rejected with the value named', () => {
  assert.throws(() => keyToPrefix(0x0a000000 * 64 + 40), /not an IPv4 prefix key: 10737418280/);
  assert.throws(() => keyToPrefix(1.5), /not an IPv4 prefix key/);
  assert.throws(() => keyToPrefix('short'), /not an IPv6 prefix key/);
});

test('property: key -> prefix -> key round-trips, and raw keys agree', () => {
  fc.assert(
    fc.property(anyPrefix, (p) => {
      const key = prefixKey(p);
      const back = keyToPrefix(key);
      assert.equal(back.afi, p.afi);
      assert.equal(back.length, p.length);
      assert.deepEqual([...back.addr], [...p.addr]);
      assert.equal(formatPrefixKey(key), formatPrefix(p));
      const raw = p.afi === Afi.ipv4 ? ipv4KeyRaw(p.addr, 0, p.length) : ipv6KeyRaw(p.addr, 0, p.length);
      assert.equal(raw, key);
    }),
    { numRuns: 500 },
  );
});

test('property: key order is prefix order (address, then length; IPv4 first)', () => {
  fc.assert(
    fc.property(anyPrefix, anyPrefix, (a, b) => {
      const expected = Math.sign(a.afi !== b.afi ? a.afi - b.afi : compareAddress(a.addr, b.addr) || a.length - b.length);
      assert.equal(Math.sign(comparePrefixKeys(prefixKey(a), prefixKey(b))), expected);
    }),
    { numRuns: 500 },
  );
});

test('a covering prefix sorts before the prefixes inside it', () => {
  const keys = ['10.0.1.0/24', '10.0.0.0/24', '10.0.0.0/8', '9.0.0.0/8', '10.0.0.0/16'].map(parsePrefixKey).sort(comparePrefixKeys);
  assert.deepEqual(keys.map(formatPrefixKey), ['9.0.0.0/8', '10.0.0.0/8', '10.0.0.0/16', '10.0.0.0/24', '10.0.1.0/24']);
  assert.equal(parsePrefix('10.0.0.0/8').length, 8);
});
