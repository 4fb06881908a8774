// Tables from prefix key to a non-zero integer id (the RIB's objects live in pools and
// are named by ids). IPv4 keys reach 2^38, past V8's small integers, so a Map would box
// every key and insert at well under 1M keys/s; the IPv4 table packs each key into 32
// bits and keeps keys and ids in typed arrays with linear probing: 8 bytes a slot, which
// the garbage collector never has to scan.

import type { PrefixKey } from './prefix-key.js';

/** A table from prefix key to a non-zero 32-bit integer; 0 means "absent". */
export interface IdTable {
  readonly size: number;
  /** The id under `key`, or 0. */
  get(key: PrefixKey): number;
  /** Stores `id` (non-zero) under `key`. */
  set(key: PrefixKey, id: number): void;
  /** Removes the key; returns the id it had, or 0. */
  delete(key: PrefixKey): number;
  /** Visits every entry in table order; the table must not change during the visit. */
  forEach(visit: (id: number, key: PrefixKey) => void): void;
  /** The keys, in table order (a copy). */
  keys(): PrefixKey[];
  /** Visits the entries a few at a time (see `IdCursor`); the table must not change until the cursor ends. */
  cursor(): IdCursor;
}

/** A walk over a table in slices, for work that must yield between them. */
export interface IdCursor {
  /** Visits up to `max` more entries; returns how many (fewer than `max`: the walk is over). */
  next(max: number, visit: (id: number, key: PrefixKey) => void): number;
}

/** The table for keys of the family (`number` keys for IPv4, strings for IPv6). */
export function createIdTable(isIpv4: boolean): IdTable {
  return isIpv4 ? new NumberIdTable() : new Ipv6IdTable();
}

/** MurmurHash3's 32-bit finalizer: full avalanche of `h`. */
function finalMix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const minCapacityBits = 4;
let seedCount = 0;

/** A different hash seed for each table (deterministic, so runs compare). */
function nextSeed(): number {
  return Math.imul(++seedCount, 0x9e3779b9) | 0;
}

/**
 * Open addressing over IPv4 prefix keys (`address * 64 + length`, see prefix-key.ts),
 * packed into 8 bytes a slot. The 32-bit key is the network part with a marker bit just
 * below it (`address | 1 << (31 - length)`: the lowest set bit tells the length), which
 * leaves only a /32 without a spare bit; its mark is the low bit of the id word, beside
 * the id shifted left by one. Keys in a Uint32Array, id words in an Int32Array where 0
 * marks a free slot. Deletion shifts the following run back, so there are no tombstones
 * and lookups stay short after churn. Ids are limited to +-2^30 (the pools stay far below).
 */
export class NumberIdTable implements IdTable {
  private keyAt: Uint32Array;
  private idAt: Int32Array;
  private bits: number;
  private mask: number;
  private count = 0;
  private readonly seed = nextSeed();

  constructor(capacityBits = minCapacityBits) {
    this.bits = capacityBits;
    this.mask = (1 << capacityBits) - 1;
    this.keyAt = new Uint32Array(1 << capacityBits);
    this.idAt = new Int32Array(1 << capacityBits);
  }

  get size(): number {
    return this.count;
  }

  /**
   * The packed key, its /32 mark, this table's seed, then the finalizer of MurmurHash3
   * (full avalanche, so a seed reorders everything); the top `bits` bits pick the slot.
   * The seed makes each table's slot order its own: emptying one table in the slot order
   * of another hashed alike (a peer's Adj-RIB-In drained out of the Loc-RIB) deletes
   * home by home, and every shrink then piles the remaining keys into ever longer runs:
   * quadratic, minutes for a full table.
   */
  private home(packed: number, mark: number): number {
    return finalMix((packed ^ this.seed) + Math.imul(mark, 0x85ebca6b)) >>> (32 - this.bits);
  }

  get(key: PrefixKey): number {
    const k = key as number;
    const addr = (k / 64) >>> 0;
    const length = k - addr * 64;
    const mark = length === 32 ? 1 : 0;
    const packed = packKey(addr, length);
    const keys = this.keyAt;
    const ids = this.idAt;
    const mask = this.mask;
    let i = this.home(packed, mark);
    for (;;) {
      const word = ids[i]!;
      if (word === 0) return 0;
      if (keys[i] === packed && (word & 1) === mark) return word >> 1;
      i = (i + 1) & mask;
    }
  }

  set(key: PrefixKey, id: number): void {
    if (id > maxId || id < -maxId || id === 0) throw new RangeError(`table id ${id} outside +-${maxId} or 0`);
    const k = key as number;
    const addr = (k / 64) >>> 0;
    const length = k - addr * 64;
    const mark = length === 32 ? 1 : 0;
    const packed = packKey(addr, length);
    const word = (id << 1) | mark;
    const keys = this.keyAt;
    const ids = this.idAt;
    const mask = this.mask;
    let i = this.home(packed, mark);
    for (;;) {
      const found = ids[i]!;
      if (found === 0) break;
      if (keys[i] === packed && (found & 1) === mark) {
        ids[i] = word;
        return;
      }
      i = (i + 1) & mask;
    }
    keys[i] = packed;
    ids[i] = word;
    // Load at most 3/4: linear probing degrades fast past that.
    if (++this.count > (mask + 1) * 0.75) this.resize(this.bits + 1);
  }

  delete(key: PrefixKey): number {
    const k = key as number;
    const addr = (k / 64) >>> 0;
    const length = k - addr * 64;
    const mark = length === 32 ? 1 : 0;
    const packed = packKey(addr, length);
    const keys = this.keyAt;
    const ids = this.idAt;
    const mask = this.mask;
    let i = this.home(packed, mark);
    for (;;) {
      const word = ids[i]!;
      if (word === 0) return 0;
      if (keys[i] === packed && (word & 1) === mark) break;
      i = (i + 1) & mask;
    }
    const removed = ids[i]! >> 1;
    // Backward-shift deletion: move each later entry of the run into the hole when the
    // hole lies on its probe path (between its home slot and where it sits).
    let hole = i;
    let j = (i + 1) & mask;
    while (ids[j] !== 0) {
      const h = this.home(keys[j]!, ids[j]! & 1);
      if (((j - h) & mask) >= ((j - hole) & mask)) {
        keys[hole] = keys[j]!;
        ids[hole] = ids[j]!;
        hole = j;
      }
      j = (j + 1) & mask;
    }
    ids[hole] = 0;
    this.count--;
    if (this.bits > minCapacityBits && this.count < (mask + 1) / 8) this.resize(this.bits - 1);
    return removed;
  }

  forEach(visit: (id: number, key: PrefixKey) => void): void {
    const keys = this.keyAt;
    const ids = this.idAt;
    for (let i = 0; i < ids.length; i++) {
      const word = ids[i]!;
      if (word !== 0) visit(word >> 1, unpackKey(keys[i]!, word & 1));
    }
  }

  keys(): PrefixKey[] {
    const out: PrefixKey[] = [];
    this.forEach((_, k) => out.push(k));
    return out;
  }

  cursor(): IdCursor {
    let slot = 0;
    return {
      next: (max, visit) => {
        const keys = this.keyAt;
        const ids = this.idAt;
        let visited = 0;
        while (visited < max && slot < ids.length) {
          const word = ids[slot]!;
          if (word !== 0) {
            visit(word >> 1, unpackKey(keys[slot]!, word & 1));
            visited++;
          }
          slot++;
        }
        return visited;
      },
    };
  }

  private resize(bits: number): void {
    const oldKeys = this.keyAt;
    const oldIds = this.idAt;
    this.bits = bits;
    this.mask = (1 << bits) - 1;
    this.keyAt = new Uint32Array(1 << bits);
    this.idAt = new Int32Array(1 << bits);
    const keys = this.keyAt;
    const ids = this.idAt;
    const mask = this.mask;
    for (let o = 0; o < oldIds.length; o++) {
      const word = oldIds[o]!;
      if (word === 0) continue;
      const packed = oldKeys[o]!;
      let i = this.home(packed, word & 1);
      while (ids[i] !== 0) i = (i + 1) & mask;
      keys[i] = packed;
      ids[i] = word;
    }
  }
}

/** Largest id magnitude a NumberIdTable holds (one bit of the id word is the /32 mark). */
const maxId = 2 ** 30 - 1;

/** The 32-bit form of an IPv4 prefix: its network part and a marker bit below it (a /32: the address). */
function packKey(addr: number, length: number): number {
  if (length >= 32) return addr >>> 0;
  const netmask = length === 0 ? 0 : -1 << (32 - length);
  return ((addr & netmask) | (1 << (31 - length))) >>> 0;
}

/** The prefix key (`address * 64 + length`) of a packed key and its /32 mark. */
function unpackKey(packed: number, mark: number): number {
  if (mark === 1) return packed * 64 + 32;
  const low = packed & -packed;
  return ((packed ^ low) >>> 0) * 64 + Math.clz32(low);
}

/**
 * IPv6 keys (17-character strings, see prefix-key.ts). Prefixes up to /64, nearly all of
 * a table, are packed as NumberIdTable packs IPv4 ones, over the first 64 address bits:
 * two 32-bit words with a marker bit below the network part (a /64 has its mark in the
 * id word), 12 bytes a slot and no string kept. Longer prefixes go to a Map.
 */
export class Ipv6IdTable implements IdTable {
  private hiAt: Uint32Array;
  private loAt: Uint32Array;
  private idAt: Int32Array;
  private bits: number;
  private mask: number;
  private count = 0;
  private readonly seed = nextSeed();
  /** Prefixes longer than /64. */
  private readonly long = new Map<string, number>();
  /** The last packed key (`pack` returns its words here, not in a new object). */
  private hi = 0;
  private lo = 0;

  constructor(capacityBits = minCapacityBits) {
    this.bits = capacityBits;
    this.mask = (1 << capacityBits) - 1;
    this.hiAt = new Uint32Array(1 << capacityBits);
    this.loAt = new Uint32Array(1 << capacityBits);
    this.idAt = new Int32Array(1 << capacityBits);
  }

  get size(): number {
    return this.count + this.long.size;
  }

  private home(hi: number, lo: number, mark: number): number {
    return finalMix((finalMix(hi ^ this.seed) ^ lo) + Math.imul(mark, 0x85ebca6b)) >>> (32 - this.bits);
  }

  /** Packs a key of at most /64 into `hi` and `lo`; returns its /64 mark. */
  private pack(key: string): number {
    const length = key.charCodeAt(16);
    let hi = ((key.charCodeAt(0) << 24) | (key.charCodeAt(1) << 16) | (key.charCodeAt(2) << 8) | key.charCodeAt(3)) >>> 0;
    let lo = ((key.charCodeAt(4) << 24) | (key.charCodeAt(5) << 16) | (key.charCodeAt(6) << 8) | key.charCodeAt(7)) >>> 0;
    let mark = 0;
    if (length === 64) mark = 1;
    else if (length >= 32) lo = packKey(lo, length - 32);
    else {
      hi = packKey(hi, length);
      lo = 0;
    }
    this.hi = hi;
    this.lo = lo;
    return mark;
  }

  /** The slot of the packed key in `hi`/`lo` with `mark`, or -1. */
  private find(mark: number): number {
    const his = this.hiAt;
    const los = this.loAt;
    const ids = this.idAt;
    const mask = this.mask;
    const hi = this.hi;
    const lo = this.lo;
    let i = this.home(hi, lo, mark);
    for (;;) {
      const word = ids[i]!;
      if (word === 0) return -1 - i;
      if (his[i] === hi && los[i] === lo && (word & 1) === mark) return i;
      i = (i + 1) & mask;
    }
  }

  get(key: PrefixKey): number {
    const k = key as string;
    if (k.charCodeAt(16) > 64) return this.long.get(k) ?? 0;
    const i = this.find(this.pack(k));
    return i < 0 ? 0 : this.idAt[i]! >> 1;
  }

  set(key: PrefixKey, id: number): void {
    if (id > maxId || id < -maxId || id === 0) throw new RangeError(`table id ${id} outside +-${maxId} or 0`);
    const k = key as string;
    if (k.charCodeAt(16) > 64) {
      this.long.set(k, id);
      return;
    }
    const mark = this.pack(k);
    const i = this.find(mark);
    if (i >= 0) {
      this.idAt[i] = (id << 1) | mark;
      return;
    }
    const free = -1 - i;
    this.hiAt[free] = this.hi;
    this.loAt[free] = this.lo;
    this.idAt[free] = (id << 1) | mark;
    if (++this.count > (this.mask + 1) * 0.75) this.resize(this.bits + 1);
  }

  delete(key: PrefixKey): number {
    const k = key as string;
    if (k.charCodeAt(16) > 64) {
      const id = this.long.get(k);
      if (id === undefined) return 0;
      this.long.delete(k);
      return id;
    }
    const i = this.find(this.pack(k));
    if (i < 0) return 0;
    const his = this.hiAt;
    const los = this.loAt;
    const ids = this.idAt;
    const mask = this.mask;
    const removed = ids[i]! >> 1;
    // Backward-shift deletion, as in NumberIdTable.
    let hole = i;
    let j = (i + 1) & mask;
    while (ids[j] !== 0) {
      const h = this.home(his[j]!, los[j]!, ids[j]! & 1);
      if (((j - h) & mask) >= ((j - hole) & mask)) {
        his[hole] = his[j]!;
        los[hole] = los[j]!;
        ids[hole] = ids[j]!;
        hole = j;
      }
      j = (j + 1) & mask;
    }
    ids[hole] = 0;
    this.count--;
    if (this.bits > minCapacityBits && this.count < (mask + 1) / 8) this.resize(this.bits - 1);
    return removed;
  }

  forEach(visit: (id: number, key: PrefixKey) => void): void {
    this.cursor().next(Infinity, visit);
  }

  keys(): PrefixKey[] {
    const out: PrefixKey[] = [];
    this.forEach((_, k) => out.push(k));
    return out;
  }

  cursor(): IdCursor {
    let slot = 0;
    let long: IterableIterator<[string, number]> | undefined;
    return {
      next: (max, visit) => {
        const ids = this.idAt;
        let visited = 0;
        while (visited < max && slot < ids.length) {
          const word = ids[slot]!;
          if (word !== 0) {
            visit(word >> 1, unpackIpv6Key(this.hiAt[slot]!, this.loAt[slot]!, word & 1));
            visited++;
          }
          slot++;
        }
        long ??= this.long.entries();
        while (visited < max) {
          const step = long.next();
          if (step.done === true) break;
          visit(step.value[1], step.value[0]);
          visited++;
        }
        return visited;
      },
    };
  }

  private resize(bits: number): void {
    const oldHi = this.hiAt;
    const oldLo = this.loAt;
    const oldIds = this.idAt;
    this.bits = bits;
    this.mask = (1 << bits) - 1;
    this.hiAt = new Uint32Array(1 << bits);
    this.loAt = new Uint32Array(1 << bits);
    this.idAt = new Int32Array(1 << bits);
    const his = this.hiAt;
    const los = this.loAt;
    const ids = this.idAt;
    const mask = this.mask;
    for (let o = 0; o < oldIds.length; o++) {
      const word = oldIds[o]!;
      if (word === 0) continue;
      let i = this.home(oldHi[o]!, oldLo[o]!, word & 1);
      while (ids[i] !== 0) i = (i + 1) & mask;
      his[i] = oldHi[o]!;
      los[i] = oldLo[o]!;
      ids[i] = word;
    }
  }
}

/** The IPv6 key (see prefix-key.ts) of a prefix of at most /64 packed by Ipv6IdTable. */
function unpackIpv6Key(hi: number, lo: number, mark: number): string {
  let length: number;
  if (mark === 1) {
    length = 64;
  } else if (lo !== 0) {
    const low = lo & -lo;
    length = 32 + Math.clz32(low);
    lo = (lo ^ low) >>> 0;
  } else {
    const low = hi & -hi;
    length = Math.clz32(low);
    hi = (hi ^ low) >>> 0;
  }
  return String.fromCharCode(hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff, 0, 0, 0, 0, 0, 0, 0, 0, length);
}

/** Ids per chunk of a Pool. */
const poolChunkBits = 16;
const poolChunkMask = (1 << poolChunkBits) - 1;

/**
 * Objects named by small positive ids, reused after removal. The objects are held in
 * chunks of 65,536 slots, written once per object, instead of every table holding it: a
 * growing pool never copies what it holds (one array of a full table's routes would be
 * copied at each growth, into freshly mapped memory).
 */
export class Pool<T> {
  private readonly chunks: (T | undefined)[][] = [];
  private readonly freeIds: number[] = [];
  /** The next id never given (id 0 never is); back to 1 when the pool empties. */
  private nextId = 1;

  /** Objects held. */
  get size(): number {
    return this.nextId - 1 - this.freeIds.length;
  }

  add(item: T): number {
    const free = this.freeIds.pop();
    const id = free ?? this.nextId++;
    const c = id >>> poolChunkBits;
    if (c === this.chunks.length) this.chunks.push(new Array<T | undefined>(1 << poolChunkBits));
    this.chunks[c]![id & poolChunkMask] = item;
    return id;
  }

  /** The object of a live id. */
  get(id: number): T {
    return this.chunks[id >>> poolChunkBits]![id & poolChunkMask] as T;
  }

  set(id: number, item: T): void {
    this.chunks[id >>> poolChunkBits]![id & poolChunkMask] = item;
  }

  remove(id: number): void {
    this.chunks[id >>> poolChunkBits]![id & poolChunkMask] = undefined;
    this.freeIds.push(id);
    // Empty again (the last peer left): give back the chunks and the free list.
    if (this.freeIds.length === this.nextId - 1) {
      this.chunks.length = 0;
      this.freeIds.length = 0;
      this.nextId = 1;
    }
  }
}
