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
