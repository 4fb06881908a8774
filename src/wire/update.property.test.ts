// Property tests of the UPDATE codec: generated messages round-trip exactly under
// 2-octet, 4-octet and ADD-PATH contexts; truncated or corrupted bytes give a WireError
// or an UpdateMessage, never another exception.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader } from './reader.js';
import { WireError } from './errors.js';
import { headerLength } from './header.js';
import { familyKey, type CodecContext } from './context.js';
import { decodeUpdate, encodeUpdate, type UpdateMessage } from './update.js';
import { updateMessageArb } from './update-arbitraries.js';

const allFamilies = new Set([familyKey(1, 1), familyKey(1, 2), familyKey(2, 1), familyKey(2, 2)]);
const contexts: Record<string, CodecContext> = {
  '2-octet': { isAs4: false, addPath: new Set(), isExtendedMessage: false },
  '4-octet': { isAs4: true, addPath: new Set(), isExtendedMessage: false },
  '4-octet ADD-PATH': { isAs4: true, addPath: allFamilies, isExtendedMessage: false },
  '2-octet ADD-PATH extended': { isAs4: false, addPath: allFamilies, isExtendedMessage: true },
};

function decodeBytes(bytes: Uint8Array, ctx: CodecContext): UpdateMessage {
  return decodeUpdate(new Reader(bytes, headerLength, bytes.length), ctx);
}

for (const [name, ctx] of Object.entries(contexts)) {
  test(`UPDATE round-trips exactly, ${name}`, () => {
    fc.assert(
      fc.property(updateMessageArb(ctx), (msg) => {
        const first = encodeUpdate(msg, ctx);
        const decoded = decodeBytes(first, ctx);
        assert.deepStrictEqual(encodeUpdate(decoded, ctx), first);
        assert.deepStrictEqual(decoded.attributes, msg.attributes);
        assert.deepStrictEqual([...decoded.nlri], [...msg.nlri.withPathId(decoded.nlri.hasPathId)]);
        assert.deepStrictEqual([...decoded.withdrawn], [...msg.withdrawn.withPathId(decoded.withdrawn.hasPathId)]);
        // A 4-octet session reads the bytes makeUpdate keyed: the keys agree.
        if (ctx.isAs4) assert.deepStrictEqual(decoded.attrKey, msg.attrKey);
      }),
      { numRuns: 1000 },
    );
  });
}

/** Decoding gives an UpdateMessage or throws a WireError; nothing else. */
function decodesOrWireError(body: Uint8Array, ctx: CodecContext): void {
  let msg: UpdateMessage;
  try {
    msg = decodeUpdate(new Reader(body), ctx);
  } catch (e) {
    if (e instanceof WireError) return;
    throw e;
  }
  assert.equal(msg.type, 'update');
  // What was tolerated can be sent again, or is refused as too big, never a crash.
  try {
    encodeUpdate(msg, { ...ctx, isExtendedMessage: true });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
  }
}

const corruptions = [
  { label: 'truncated', ctx: contexts['4-octet']! },
  { label: 'truncated', ctx: contexts['2-octet ADD-PATH extended']! },
];

for (const { label, ctx } of corruptions) {
  test(`${label} UPDATE bodies give WireError or a message (${ctx.isAs4 ? '4' : '2'}-octet)`, () => {
    fc.assert(
      fc.property(updateMessageArb(ctx), fc.nat(), (msg, cut) => {
        const body = encodeUpdate(msg, ctx).subarray(headerLength);
        decodesOrWireError(body.subarray(0, cut % (body.length + 1)), ctx);
      }),
      { numRuns: 1000 },
    );
  });
}

for (const [name, ctx] of Object.entries(contexts)) {
  test(`corrupted UPDATE bodies give WireError or a message, ${name}`, () => {
    fc.assert(
      fc.property(updateMessageArb(ctx), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (msg, flips) => {
        const body = Uint8Array.from(encodeUpdate(msg, ctx).subarray(headerLength));
        for (const [at, value] of flips) body[at % body.length] = value;
        decodesOrWireError(body, ctx);
      }),
      { numRuns: 1000 },
    );
  });
}

test('random bytes give WireError or a message', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...Object.values(contexts)), (body, ctx) => {
      decodesOrWireError(body, ctx);
    }),
    { numRuns: 2000 },
  );
});
