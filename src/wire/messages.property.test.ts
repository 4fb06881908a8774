// Properties of the OPEN, NOTIFICATION, KEEPALIVE and ROUTE-REFRESH codec and of the
// framer. fast-check prints the seed and the shrunk counterexample on failure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeMessage, encodeMessage } from './message.js';
import { WireError } from './errors.js';
import { defaultContext } from './context.js';
import { headerLength, maxMessageLength, MessageType } from './header.js';
import { Framer } from './framer.js';
import { arbNonUpdateMessage, arbOpen, arbNotification, arbRouteRefresh, type NonUpdateMessage } from './arbitraries.js';

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const encode = (m: NonUpdateMessage): Uint8Array => encodeMessage(m, defaultContext);

/** Decodes; a WireError is an accepted outcome, any other exception fails the property. */
function decodeOrWireError(b: Uint8Array): void {
  try {
    decodeMessage(b, defaultContext);
  } catch (err) {
    if (!(err instanceof WireError)) throw new Error(`not a WireError for ${hexOf(b)}`, { cause: err });
  }
}

function roundTrips(m: NonUpdateMessage): void {
  const b = encode(m);
  const decoded = decodeMessage(b, defaultContext);
  assert.deepEqual(decoded, m);
  assert.equal(hexOf(encodeMessage(decoded, defaultContext)), hexOf(b));
}

test('OPEN with random capability sets: object -> bytes -> object -> same bytes', () => {
  fc.assert(fc.property(arbOpen, roundTrips), { numRuns: 1500 });
});

test('NOTIFICATION and ROUTE-REFRESH round-trip', () => {
  fc.assert(fc.property(fc.oneof(arbNotification, arbRouteRefresh), roundTrips), { numRuns: 1000 });
});

test('any of the four message types round-trips', () => {
  fc.assert(fc.property(arbNonUpdateMessage, roundTrips), { numRuns: 1000 });
});

/** A position and value to overwrite, as fractions of the message so any length fits. */
const arbEdits = fc.array(fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 });

test('truncated encodings yield WireError, or decode when the header is patched to match', () => {
  fc.assert(
    fc.property(arbNonUpdateMessage, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.boolean(), (m, cut, isLengthPatched) => {
      const b = encode(m);
      const t = Uint8Array.from(b.subarray(0, Math.floor(cut * b.length)));
      if (isLengthPatched && t.length >= headerLength) {
        // With the header length patched to match, the cut reaches the body decoders
        // (a NOTIFICATION cut inside its data is still valid).
        new DataView(t.buffer).setUint16(16, t.length);
        decodeOrWireError(t);
      } else {
        assert.throws(() => decodeMessage(t, defaultContext), WireError);
      }
    }),
    { numRuns: 1000 },
  );
});

test('corrupted encodings decode or yield WireError, nothing else', () => {
  fc.assert(
    fc.property(arbNonUpdateMessage, arbEdits, fc.boolean(), (m, edits, isBodyOnly) => {
      const b = Uint8Array.from(encode(m));
      // Body-only edits keep the header valid so that the message decoders see them.
      const from = isBodyOnly ? headerLength : 0;
      if (b.length <= from) return;
      for (const [at, value] of edits) b[from + Math.floor(at * (b.length - from))] = value;
      // UPDATE bodies are the UPDATE property tests' concern.
      if (b[18] === MessageType.update) b[18] = MessageType.open;
      decodeOrWireError(b);
    }),
    { numRuns: 2000 },
  );
});

test('corrupted OPEN parameters decode or yield WireError, nothing else', () => {
  fc.assert(
    fc.property(arbOpen, arbEdits, (m, edits) => {
      const b = Uint8Array.from(encode(m));
      const from = headerLength + 9; // the optional parameters length and after
      for (const [at, value] of edits) b[from + Math.floor(at * (b.length - from))] = value;
      decodeOrWireError(b);
    }),
    { numRuns: 1000 },
  );
});

test('random bytes after a valid header decode or yield WireError', () => {
  fc.assert(
    fc.property(fc.constantFrom(MessageType.open, MessageType.notification, MessageType.keepalive, MessageType.routeRefresh), fc.uint8Array({ maxLength: 600 }), (type, body) => {
      const b = new Uint8Array(headerLength + body.length);
      b.fill(0xff, 0, 16);
      new DataView(b.buffer).setUint16(16, b.length);
      b[18] = type;
      b.set(body, headerLength);
      decodeOrWireError(b);
    }),
    { numRuns: 1000 },
  );
});

test('any chunking of a stream gives the framer the same messages', () => {
  fc.assert(
    fc.property(fc.array(arbNonUpdateMessage, { minLength: 1, maxLength: 15 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 }), (msgs, cuts) => {
      const encoded = msgs.map(encode);
      const stream = Uint8Array.from(Buffer.concat(encoded));
      const points = [...new Set(cuts.map((c) => Math.floor(c * stream.length)))].sort((a, b) => a - b);
      const framer = new Framer(maxMessageLength);
      const out: Uint8Array[] = [];
      let start = 0;
      for (const p of [...points, stream.length]) {
        out.push(...framer.push(stream.subarray(start, p)));
        start = p;
      }
      assert.deepEqual(out.map(hexOf), encoded.map(hexOf));
      assert.equal(framer.buffered, 0);
      assert.deepEqual(out.map((b) => decodeMessage(b, defaultContext)), msgs);
    }),
    { numRuns: 500 },
  );
});
