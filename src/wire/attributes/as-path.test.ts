// AS_PATH / AS4_PATH: the merge of RFC 6793 4.2.3, the AGGREGATOR rule beside it, and
// the 2-octet encoding with AS_TRANS (RFC 6793 4.2.2), with segments split at 255.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader } from '../reader.js';
import { Writer } from '../writer.js';
import { as4Context, defaultContext } from '../context.js';
import { headerLength } from '../header.js';
import { decodeUpdate, encodeUpdate, makeUpdate } from '../update.js';
import { asPathLength, mergeAs4Path } from './as-path.js';
import { encodeAttributes } from './table.js';
import type { AsPathSegment, PathAttributes } from './types.js';

const seq = (...asns: number[]): AsPathSegment => ({ type: 2, asns });
const set = (...asns: number[]): AsPathSegment => ({ type: 1, asns });
const confedSeq = (...asns: number[]): AsPathSegment => ({ type: 3, asns });

test('path length counts an AS_SET as one and confederation segments as none', () => {
  assert.equal(asPathLength([confedSeq(1, 2), seq(3, 4, 5), set(6, 7)]), 4);
  assert.equal(asPathLength([]), 0);
});

test('merge: same length takes AS4_PATH whole, after leading confederation segments', () => {
  assert.deepStrictEqual(mergeAs4Path([seq(65001, 23456, 65030)], [seq(65001, 4200000001, 65030)]), [seq(65001, 4200000001, 65030)]);
  assert.deepStrictEqual(mergeAs4Path([confedSeq(64512), seq(23456)], [seq(4200000001)]), [confedSeq(64512), seq(4200000001)]);
});

test('merge: AS numbers an old speaker prepended come from AS_PATH', () => {
  // 65100 and 65101 are old speakers that did not update AS4_PATH.
  assert.deepStrictEqual(mergeAs4Path([seq(65100, 65101, 23456, 65030)], [seq(4200000001, 65030)]), [seq(65100, 65101, 4200000001, 65030)]);
  assert.deepStrictEqual(mergeAs4Path([set(1, 2), seq(23456)], [seq(4200000001)]), [set(1, 2), seq(4200000001)]);
});

test('merge: an AS4_PATH longer than AS_PATH is ignored', () => {
  assert.deepStrictEqual(mergeAs4Path([seq(65001)], [seq(4200000001, 65030)]), [seq(65001)]);
});

function encodeAttrs(attrs: PathAttributes, isAs4: boolean): number[] {
  const w = new Writer();
  encodeAttributes(attrs, w, isAs4 ? as4Context : defaultContext);
  return [...w.finish()];
}

test('a 2-octet session gets AS_TRANS plus AS4_PATH and AS4_AGGREGATOR (RFC 6793 4.2.2)', () => {
  const attrs: PathAttributes = { asPath: [confedSeq(64512), seq(65001, 4200000001)], aggregator: { asn: 4200000002, address: Uint8Array.of(192, 0, 2, 1) } };
  assert.deepStrictEqual(encodeAttrs(attrs, false), [
    ...[0x40, 2, 10, 3, 1, 0xfc, 0x00, 2, 2, 0xfd, 0xe9, 0x5b, 0xa0],
    ...[0xc0, 7, 6, 0x5b, 0xa0, 192, 0, 2, 1],
    // AS4_PATH leaves the confederation segment out (RFC 6793 3).
    ...[0xc0, 17, 10, 2, 2, 0, 0, 0xfd, 0xe9, 0xfa, 0x56, 0xea, 1],
    ...[0xc0, 18, 8, 0xfa, 0x56, 0xea, 2, 192, 0, 2, 1],
  ]);
  // Nothing 4-octet: no AS4 attributes (RFC 6793 4.2.2 SHOULD NOT).
  assert.deepStrictEqual(encodeAttrs({ asPath: [seq(65001)] }, false), [0x40, 2, 4, 2, 1, 0xfd, 0xe9]);
});

test('an AGGREGATOR of a 2-octet AS other than AS_TRANS makes AS4_PATH ignored (RFC 6793 4.2.3)', () => {
  const bytes = Uint8Array.from([
    ...[0, 0, 0, 27],
    ...[0x40, 2, 6, 2, 2, 0xfd, 0xe9, 0x5b, 0xa0],
    ...[0xc0, 7, 6, 0xfd, 0xea, 192, 0, 2, 1],
    ...[0xc0, 17, 6, 2, 1, 0xfa, 0x56, 0xea, 1],
  ]);
  const msg = decodeUpdate(new Reader(bytes), defaultContext);
  assert.deepStrictEqual(msg.attributes.asPath, [seq(65001, 23456)]);
  assert.deepStrictEqual(msg.attributes.aggregator, { asn: 65002, address: Uint8Array.of(192, 0, 2, 1) });
});

test('segments longer than 255 AS numbers are split on encode (RFC 4271 4.3)', () => {
  const asns = Array.from({ length: 300 }, (_, i) => 64512 + i);
  const msg = makeUpdate({ attributes: { asPath: [seq(...asns)] } });
  for (const ctx of [as4Context, defaultContext]) {
    const bytes = encodeUpdate(msg, ctx);
    const back = decodeUpdate(new Reader(bytes, headerLength, bytes.length), ctx);
    assert.deepStrictEqual(back.attributes.asPath, [seq(...asns.slice(0, 255)), seq(...asns.slice(255))]);
    // Extended Length: the value is over 255 octets.
    assert.equal(bytes[headerLength + 4]! & 0x10, 0x10);
  }
});
