import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ipv6IdTable, NumberIdTable, Pool, type IdTable } from './prefix-table.js';
import { ipv6KeyRaw, type PrefixKey } from './prefix-key.js';

type Op = { readonly kind: 'set'; readonly key: number; readonly value: number } | { readonly kind: 'delete'; readonly key: number };

/** The key of an IPv4 prefix with its host bits cleared, as the RIB makes them. */
function ipv4Key(addr: number, length: number): number {
  const netmask = length === 0 ? 0 : -1 << (32 - length);
  return ((addr & netmask) >>> 0) * 64 + length;
}

/** The key of an IPv6 prefix with its host bits cleared, as the RIB makes them. */
function ipv6Key(addr: Uint8Array, length: number): string {
  const bytes = new Uint8Array(16);
  for (let bit = 0; bit < length; bit++) if ((addr[bit >> 3]! & (0x80 >> (bit & 7))) !== 0) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  return ipv6KeyRaw(bytes, 0, length);
}

// Few distinct keys so sets, overwrites and deletes of present keys all happen: every
// length of a few addresses (the same network at /24 and /25, the default route, host
// routes with the top bit set) and some spread ones. Ops name keys by index.
const ipv4Pool = [...new Set([0x00000000, 0x0a000000, 0xffffffff, 0x80000001, 0xc0a80101].flatMap((a) => Array.from({ length: 33 }, (_, len) => ipv4Key(a, len))).concat(Array.from({ length: 150 }, (_, i) => ipv4Key(Math.imul(i + 1, 0x9e3779b9), [8, 16, 24, 31, 32][i % 5]!))))];
const ipv6Addresses = [new Uint8Array(16), new Uint8Array(16).fill(0xff), Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1)];
const ipv6Pool = [...new Set(ipv6Addresses.flatMap((a) => Array.from({ length: 129 }, (_, len) => ipv6Key(a, len))).concat(Array.from({ length: 100 }, (_, i) => ipv6Key(Uint8Array.from({ length: 16 }, (_, b) => (Math.imul(i + 1, 0x9e3779b9) >>> (b % 4) * 8) & 0xff), [32, 44, 48, 56, 63, 64, 65, 96, 128, 29][i % 10]!))))];
const poolSize = Math.max(ipv4Pool.length, ipv6Pool.length);
const keyArb = fc.integer({ min: 0, max: poolSize - 1 });
/** Ids a table holds: non-zero, within +-(2^30 - 1). */
const idArb = fc.integer({ min: -(2 ** 30 - 1), max: 2 ** 30 - 1 }).filter((v) => v !== 0);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: keyArb, value: idArb }),
  fc.record({ kind: fc.constant('delete' as const), key: keyArb }),
);

/** Each family's table, how an op's key index becomes a key, and a key never in the pool. */
const families = [
  { name: 'IPv4', table: (): IdTable => new NumberIdTable(), toKey: (i: number): PrefixKey => ipv4Pool[i % ipv4Pool.length]!, absent: ipv4Key(0x01020300, 24) },
  { name: 'IPv6', table: (): IdTable => new Ipv6IdTable(), toKey: (i: number): PrefixKey => ipv6Pool[i % ipv6Pool.length]!, absent: ipv6Key(Uint8Array.of(0x20, 0x01, 0x0d, 0xb9, ...new Uint8Array(12)), 32) },
];

function checkAgainstMap(table: IdTable, ops: readonly Op[], toKey: (k: number) => PrefixKey, absent: PrefixKey): void {
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
  assert.equal(table.get(absent), 0);
  const seen = new Map<PrefixKey, number>();
  table.forEach((v: number, k: PrefixKey) => seen.set(k, v));
  assert.deepEqual(seen, model);
  assert.equal(table.keys().length, model.size);
}

for (const f of families) {
  test(`property: the ${f.name} table behaves as a Map through growth, deletion and shrinking`, () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 600 }), (ops) => checkAgainstMap(f.table(), ops, f.toKey, f.absent)),
      { numRuns: 300 },
    );
  });
}

test('NumberIdTable holds many keys and gives them all back after deleting half', () => {
  const t = new NumberIdTable();
  const n = 20000;
  for (let i = 1; i <= n; i++) t.set(i * 256 * 64 + 24, i);
  for (let i = 2; i <= n; i += 2) assert.equal(t.delete(i * 256 * 64 + 24), i);
  assert.equal(t.size, n / 2);
  for (let i = 1; i <= n; i++) assert.equal(t.get(i * 256 * 64 + 24), i % 2 === 1 ? i : 0);
  assert.equal(t.get(5), 0);
});

test('NumberIdTable tells apart every length of one address and gives each key back as stored', () => {
  const t = new NumberIdTable();
  const keys: number[] = [];
  for (const addr of [0, 0x0a000000, 0x80000000, 0xffffffff]) for (let len = 0; len <= 32; len++) keys.push(ipv4Key(addr, len));
  const distinct = [...new Set(keys)];
  distinct.forEach((k, i) => t.set(k, i % 2 === 0 ? i + 1 : -(i + 1)));
  assert.equal(t.size, distinct.length);
  distinct.forEach((k, i) => assert.equal(t.get(k), i % 2 === 0 ? i + 1 : -(i + 1)));
  assert.deepEqual(t.keys().sort((a, b) => (a as number) - (b as number)), distinct.sort((a, b) => a - b));
  // 10.0.0.0/32 and 10.0.0.0/31 differ only in the /32 mark.
  assert.equal(t.get(ipv4Key(0x0a000001, 32)), 0);
});

test('NumberIdTable refuses ids it cannot pack', () => {
  const t = new NumberIdTable();
  assert.throws(() => t.set(ipv4Key(0x0a000000, 8), 2 ** 30), RangeError);
  assert.throws(() => t.set(ipv4Key(0x0a000000, 8), -(2 ** 30)), RangeError);
  assert.throws(() => t.set(ipv4Key(0x0a000000, 8), 0), RangeError);
  t.set(ipv4Key(0x0a000000, 8), 2 ** 30 - 1);
  t.set(ipv4Key(0x0b000000, 8), -(2 ** 30 - 1));
  assert.equal(t.get(ipv4Key(0x0a000000, 8)), 2 ** 30 - 1);
  assert.equal(t.get(ipv4Key(0x0b000000, 8)), -(2 ** 30 - 1));
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

test('Pool keeps objects across its chunks and reuses freed ids there', () => {
  const pool = new Pool<{ n: number }>();
  const ids: number[] = [];
  // Past two chunk boundaries (65,536 ids a chunk).
  for (let n = 0; n < 140_000; n++) ids.push(pool.add({ n }));
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(pool.size, 140_000);
  for (const at of [0, 65_534, 65_535, 65_536, 131_071, 131_072, 139_999]) assert.equal(pool.get(ids[at]!).n, at);
  pool.remove(ids[65_535]!);
  pool.remove(ids[131_072]!);
  assert.equal(pool.size, 139_998);
  const reused = [pool.add({ n: -1 }), pool.add({ n: -2 })].sort((a, b) => a - b);
  assert.deepEqual(reused, [ids[65_535]!, ids[131_072]!].sort((a, b) => a - b));
  assert.equal(pool.get(ids[65_536]!).n, 65_536);
  pool.set(ids[7]!, { n: 7_000 });
  assert.equal(pool.get(ids[7]!).n, 7_000);
});

test('Pool starts afresh once emptied', () => {
  const pool = new Pool<string>();
  const ids = Array.from({ length: 70_000 }, (_, i) => pool.add(`r${i}`));
  for (const id of ids) pool.remove(id);
  assert.equal(pool.size, 0);
  assert.equal(pool.add('again'), 1);
  assert.equal(pool.add('and again'), 2);
  assert.equal(pool.get(1), 'again');
  assert.equal(pool.size, 2);
});

test('property: a cursor visits every entry once, in slices of any size', () => {
  fc.assert(
    fc.property(fc.array(keyArb, { maxLength: 300 }), fc.integer({ min: 1, max: 50 }), fc.constantFrom(...families), (keys, slice, f) => {
      const table = f.table();
      const toKey = f.toKey;
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
  const keyArbRealistic = fc.tuple(fc.integer({ min: 0, max: 0xffffff }), fc.constantFrom(8, 16, 22, 23, 24, 32)).map(([a, len]) => ipv4Key(a * 256, len));
  fc.assert(
    fc.property(fc.array(fc.tuple(keyArbRealistic, fc.boolean()), { minLength: 1, maxLength: 3000 }), (ops) => {
      const table = new NumberIdTable();
      const model = new Map<number, number>();
      ops.forEach(([key, isDelete], i) => {
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
