import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NumberIdTable, Pool, StringIdTable, type IdTable } from './prefix-table.js';
import type { PrefixKey } from './prefix-key.js';

type Op = { readonly kind: 'set'; readonly key: number; readonly value: number } | { readonly kind: 'delete'; readonly key: number };

// Few distinct keys so sets, overwrites and deletes of present keys all happen; keys past
// 2^32 exercise the high half of the hash.
const keyArb = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }).map((k) => k * 2 ** 32 + 7));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: keyArb, value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).filter((v) => v !== 0) }),
  fc.record({ kind: fc.constant('delete' as const), key: keyArb }),
);

function checkAgainstMap(table: IdTable, ops: readonly Op[], toKey: (k: number) => PrefixKey): void {
  const model = new Map<PrefixKey, number>();
  for (const op of ops) {
    const key = toKey(op.key);
    if (op.kind === 'set') {
      table.set(key, op.value);
      model.set(key, op.value);
    } else {
      assert.equal(table.delete(key), model.get(key) ?? 0);
      model.delete(key);
    }
    assert.equal(table.size, model.size);
  }
  for (const [k, v] of model) assert.equal(table.get(k), v);
  assert.equal(table.get(toKey(999)), 0);
  const seen = new Map<PrefixKey, number>();
  table.forEach((v: number, k: PrefixKey) => seen.set(k, v));
  assert.deepEqual(seen, model);
  assert.equal(table.keys().length, model.size);
}

test('property: NumberIdTable behaves as a Map through growth, deletion and shrinking', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 600 }), (ops) => checkAgainstMap(new NumberIdTable(), ops, (k) => k)),
    { numRuns: 300 },
  );
});

test('property: StringIdTable behaves as a Map', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => checkAgainstMap(new StringIdTable(), ops, (k) => `k${k}`)),
    { numRuns: 100 },
  );
});

test('NumberIdTable holds many keys and gives them all back after deleting half', () => {
  const t = new NumberIdTable();
  const n = 20000;
  for (let i = 1; i <= n; i++) t.set(i * 64 + 24, i);
  for (let i = 2; i <= n; i += 2) assert.equal(t.delete(i * 64 + 24), i);
  assert.equal(t.size, n / 2);
  for (let i = 1; i <= n; i++) assert.equal(t.get(i * 64 + 24), i % 2 === 1 ? i : 0);
  assert.equal(t.get(5), 0);
});

test('Pool reuses the ids of removed objects; id 0 is never given', () => {
  const pool = new Pool<string>();
  const a = pool.add('a');
  const b = pool.add('b');
  assert.ok(a > 0 && b > 0 && a !== b);
  pool.remove(a);
  assert.equal(pool.size, 1);
  assert.equal(pool.add('c'), a);
  assert.equal(pool.get(a), 'c');
  assert.equal(pool.get(b), 'b');
});

test('property: a cursor visits every entry once, in slices of any size', () => {
  fc.assert(
    fc.property(fc.array(keyArb, { maxLength: 300 }), fc.integer({ min: 1, max: 50 }), fc.boolean(), (keys, slice, isNumber) => {
      const table: IdTable = isNumber ? new NumberIdTable() : new StringIdTable();
      const toKey = (k: number): PrefixKey => (isNumber ? k : `k${k}`);
      const model = new Map<PrefixKey, number>();
      keys.forEach((k, i) => {
        table.set(toKey(k), i + 1);
        model.set(toKey(k), i + 1);
      });
      const cursor = table.cursor();
      const seen = new Map<PrefixKey, number>();
      // Bounded: each full slice visits `slice` entries.
      for (let turn = 0; turn <= model.size + 1; turn++) {
        const n = cursor.next(slice, (id, key) => {
          assert.equal(seen.has(key), false, 'visited twice');
          seen.set(key, id);
        });
        assert.ok(n <= slice);
        if (n < slice) break;
      }
      assert.deepEqual(seen, model);
      assert.equal(cursor.next(slice, () => assert.fail('visited after the end')), 0);
    }),
    { numRuns: 200 },
  );
});

test('property: realistic IPv4 keys through growth, churn and shrinking behave as a Map', () => {
  // Keys as the RIB makes them (address * 64 + length), /24s and others, many of them.
  const prefixArb = fc.tuple(fc.integer({ min: 0, max: 0xffffff }), fc.constantFrom(8, 16, 22, 23, 24, 32)).map(([a, len]) => ((a * 256) & (len === 32 ? 0xffffffff : ~((1 << (32 - len)) - 1))) >>> 0);
  fc.assert(
    fc.property(fc.array(fc.tuple(prefixArb, fc.boolean()), { minLength: 1, maxLength: 3000 }), (ops) => {
      const table = new NumberIdTable();
      const model = new Map<number, number>();
      ops.forEach(([addr, isDelete], i) => {
        const key = addr * 64 + 24;
        if (isDelete && model.size > 0) {
          // Delete a present key half the time, the generated one otherwise.
          const victim = i % 2 === 0 ? model.keys().next().value! : key;
          assert.equal(table.delete(victim), model.get(victim) ?? 0);
          model.delete(victim);
        } else {
          table.set(key, i + 1);
          model.set(key, i + 1);
        }
      });
      assert.equal(table.size, model.size);
      for (const [k, v] of model) assert.equal(table.get(k), v);
    }),
    { numRuns: 50 },
  );
});

test('emptying one table in the slot order of another stays fast (no run pile-up at each shrink)', () => {
  // Two tables of the same keys, as a peer's Adj-RIB-In and the Loc-RIB: deleting from
  // one in the other's order was quadratic when both hashed alike (minutes at 1M keys).
  const n = 300_000;
  const a = new NumberIdTable();
  const b = new NumberIdTable();
  for (let i = 1; i <= n; i++) {
    const key = ((i * 2654435761) % 0xffffff) * 256 * 64 + 24;
    a.set(key, i);
    b.set(key, i);
  }
  const order: number[] = [];
  a.forEach((_, key) => order.push(key as number));
  const start = performance.now();
  for (const key of order) assert.ok(b.delete(key) !== 0);
  const ms = performance.now() - start;
  assert.equal(b.size, 0);
  // About 50 ms on an idle machine; the quadratic form took over 10 s for this size.
  assert.ok(ms < 5000, `${ms.toFixed(0)} ms`);
});
