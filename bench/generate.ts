// The benchmark's routing table: a deterministic (seeded) table shaped like a full
// Internet table, and its UPDATEs (RFC 4271 4.3, RFC 4760 for IPv6) encoded once, before
// any clock starts: announcements with End-of-RIB markers (RFC 4724 2), and withdrawals.

import { Afi } from '../src/lib/address.js';
import type { Random } from '../src/lib/clock.js';
import { Reader } from '../src/wire/reader.js';
import { NlriList } from '../src/wire/nlri.js';
import { as4Context } from '../src/wire/context.js';
import { encodeMessage } from '../src/wire/message.js';
import { endOfRib, packUpdates, packWithdrawals } from '../src/wire/update.js';
import { AsSegmentType, Origin, type LargeCommunity, type PathAttributes } from '../src/wire/attributes/types.js';

/** What to generate. The same spec always gives the same bytes. */
export interface TableSpec {
  readonly ipv4Count: number;
  readonly ipv6Count: number;
  /** Distinct attribute sets the prefixes share (Zipf-distributed popularity). */
  readonly attributeSets: number;
  readonly seed: number;
  /** The injector's AS: first hop of every AS_PATH (eBGP, RFC 4271 6.3). */
  readonly peerAs: number;
  /** NEXT_HOP of IPv4 routes, 4 bytes (not 127/8: gobgpd drops those). */
  readonly nextHop4: Uint8Array;
  /** MP_REACH_NLRI global next hop of IPv6 routes, 16 bytes. */
  readonly nextHop6: Uint8Array;
}

/** Counts describing a generated table, for the report. */
export interface TableShape {
  readonly updates: number;
  readonly announceBytes: number;
  readonly withdrawUpdates: number;
  readonly withdrawBytes: number;
  /** Prefix length -> count, per family. */
  readonly ipv4Lengths: ReadonlyMap<number, number>;
  readonly ipv6Lengths: ReadonlyMap<number, number>;
  /** AS_PATH length (AS numbers) -> attribute sets. */
  readonly pathLengths: ReadonlyMap<number, number>;
  /** Share of prefixes whose attributes carry COMMUNITIES. */
  readonly communityShare: number;
  /** Prefixes of the most popular attribute set. */
  readonly largestSet: number;
  readonly generateMs: number;
}

/** A table ready to send: every message encoded with a 4-octet-AS context. */
export interface GeneratedTable {
  readonly spec: TableSpec;
  readonly total: number;
  /** Every announcement, then End-of-RIB for IPv4 and IPv6, as one buffer. */
  readonly announce: Buffer;
  /** Withdrawals of every prefix, as one buffer. */
  readonly withdraw: Buffer;
  readonly shape: TableShape;
}

/** mulberry32: a small seeded generator, so the same seed gives the same table. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks an index by weight from a cumulative table. */
function pickWeighted(rnd: Random, cumulative: Float64Array): number {
  const x = rnd() * cumulative[cumulative.length - 1]!;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function cumulativeOf(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => (out[i] = sum += w));
  return out;
}

// Prefix lengths of a full IPv4 table (roughly the public tables of the mid-2020s):
// about 60% /24, then /22 and /23, a long thin tail up to /8.
const ipv4LengthWeights: readonly (readonly [number, number])[] = [
  [8, 0.00002], [9, 0.00002], [10, 0.00005], [11, 0.0001], [12, 0.0003], [13, 0.0007], [14, 0.0015], [15, 0.0025],
  [16, 0.013], [17, 0.008], [18, 0.013], [19, 0.025], [20, 0.04], [21, 0.045], [22, 0.11], [23, 0.1], [24, 0.64],
];
// IPv6: /48 is the most common, then /32, /44, /40, /36, /29 and a spread between.
const ipv6LengthWeights: readonly (readonly [number, number])[] = [
  [28, 0.01], [29, 0.05], [30, 0.01], [32, 0.12], [33, 0.01], [34, 0.015], [35, 0.01], [36, 0.04], [38, 0.02],
  [40, 0.07], [42, 0.02], [44, 0.09], [45, 0.02], [46, 0.04], [47, 0.03], [48, 0.445],
];
// AS_PATH lengths 1-8 (the peer's own AS first), mean about 4.
const pathLengthWeights = [0.02, 0.12, 0.28, 0.27, 0.16, 0.08, 0.04, 0.03];

/** First octets of unicast space, without 0, 10 and 127 (the sorts of blocks filters drop). */
const firstOctets = Array.from({ length: 223 }, (_, i) => i + 1).filter((o) => o !== 10 && o !== 127);

/**
 * Distinct IPv4 prefixes, sorted by address then length, as keys `addr * 64 + length`.
 * Bounded: at most 8 draws per prefix before giving up (never reached below ~10M).
 */
function ipv4Keys(count: number, rnd: Random): Float64Array {
  const lengths = cumulativeOf(ipv4LengthWeights.map(([, w]) => w));
  const seen = new Set<number>();
  const limit = count * 8;
  for (let draws = 0; seen.size < count; draws++) {
    if (draws > limit) throw new Error(`generate: could not draw ${count} distinct IPv4 prefixes`);
    const length = ipv4LengthWeights[pickWeighted(rnd, lengths)]![0];
    const first = firstOctets[Math.floor(rnd() * firstOctets.length)]!;
    const raw = ((first << 24) | Math.floor(rnd() * 0x1000000)) >>> 0;
    const addr = (raw - (raw % 2 ** (32 - length))) >>> 0;
    seen.add(addr * 64 + length);
  }
  return Float64Array.from(seen).sort();
}

/**
 * Distinct IPv6 prefixes in 2000::/3, at most /48, as keys `top48 * 64 + length` where
 * top48 is the address's first 48 bits less 0x2000 << 32 (so the key stays below 2^53).
 */
function ipv6Keys(count: number, rnd: Random): Float64Array {
  const lengths = cumulativeOf(ipv6LengthWeights.map(([, w]) => w));
  const seen = new Set<number>();
  const limit = count * 8;
  for (let draws = 0; seen.size < count; draws++) {
    if (draws > limit) throw new Error(`generate: could not draw ${count} distinct IPv6 prefixes`);
    const length = ipv6LengthWeights[pickWeighted(rnd, lengths)]![0];
    // 45 free bits under 2000::/3: 13 high, 32 low.
    const raw = Math.floor(rnd() * 0x2000) * 2 ** 32 + Math.floor(rnd() * 2 ** 32);
    const top = raw - (raw % 2 ** (48 - length));
    seen.add(top * 64 + length);
  }
  return Float64Array.from(seen).sort();
}

/** Writes one prefix key as NLRI (length octet, significant address octets). */
function writeIpv4(out: Uint8Array, at: number, key: number): number {
  const length = key % 64;
  const addr = (key - length) / 64;
  out[at++] = length;
  const n = (length + 7) >> 3;
  for (let i = 0; i < n; i++) out[at++] = (addr >>> (24 - 8 * i)) & 0xff;
  return at;
}

function writeIpv6(out: Uint8Array, at: number, key: number): number {
  const length = key % 64;
  const top = (key - length) / 64 + 0x2000 * 2 ** 32;
  out[at++] = length;
  const n = (length + 7) >> 3;
  const high = Math.floor(top / 2 ** 32);
  const low = top % 2 ** 32;
  const bytes = [high >>> 8, high & 0xff, low >>> 24, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff];
  for (let i = 0; i < n; i++) out[at++] = bytes[i]!;
  return at;
}

function randomAsn(rnd: Random): number {
  // A quarter 4-octet (RFC 6793) in the allocated 131072.. range; the rest 2-octet public.
  if (rnd() < 0.25) return 131072 + Math.floor(rnd() * 270000);
  const asn = 1 + Math.floor(rnd() * 64495);
  return asn === 23456 ? 23457 : asn;
}

/** One attribute set with a realistic mix of optional attributes; `salt` makes it unique. */
function attributeSet(rnd: Random, spec: TableSpec, pathLengths: Float64Array, salt: number, isForcedUnique: boolean): PathAttributes {
  const hops = 1 + pickWeighted(rnd, pathLengths);
  const asns = [spec.peerAs];
  while (asns.length < hops) asns.push(randomAsn(rnd));
  // Origin AS prepending on some paths (same number of AS numbers: it replaces a hop).
  if (hops >= 3 && rnd() < 0.08) asns[hops - 1] = asns[hops - 2]!;
  const r = rnd();
  const origin = r < 0.86 ? Origin.igp : r < 0.98 ? Origin.incomplete : Origin.egp;
  const attrs: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = {
    origin,
    asPath: [{ type: AsSegmentType.sequence, asns }],
    nextHop: spec.nextHop4,
  };
  if (rnd() < 0.3 || isForcedUnique) attrs.med = isForcedUnique ? salt : Math.floor(rnd() * 1000);
  if (rnd() < 0.45) {
    const tagAs = asns.find((a) => a <= 0xffff) ?? spec.peerAs;
    attrs.communities = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => ((tagAs << 16) | Math.floor(rnd() * 0x10000)) >>> 0);
  }
  if (rnd() < 0.05) attrs.largeCommunities = [[asns[asns.length - 1]!, Math.floor(rnd() * 1000), Math.floor(rnd() * 1000)] as LargeCommunity];
  if (rnd() < 0.02) {
    attrs.isAtomicAggregate = true;
    attrs.aggregator = { asn: asns[asns.length - 1]!, address: Uint8Array.of(198, 51, 100, 1 + Math.floor(rnd() * 250)) };
  }
  return attrs;
}

function attributeSets(spec: TableSpec, rnd: Random): PathAttributes[] {
  const pathLengths = cumulativeOf(pathLengthWeights);
  const seen = new Set<string>();
  const out: PathAttributes[] = [];
  for (let i = 0; i < spec.attributeSets; i++) {
    // A few draws for a set not seen yet; then a MED made from the index settles it.
    for (let attempt = 0; attempt < 10; attempt++) {
      const attrs = attributeSet(rnd, spec, pathLengths, i, attempt === 9);
      const key = JSON.stringify(attrs, (_, v: unknown) => (v instanceof Uint8Array ? [...v] : v));
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(attrs);
      break;
    }
  }
  return out;
}

/** Prefixes of one family grouped by attribute set: NLRI lists in table (address) order. */
function groupBySet(keys: Float64Array, setCdf: Float64Array, setCount: number, rnd: Random, write: (out: Uint8Array, at: number, key: number) => number, maxOctets: number, afi: Afi): { lists: NlriList[]; sizes: Uint32Array } {
  const setOf = new Uint32Array(keys.length);
  const sizes = new Uint32Array(setCount);
  for (let i = 0; i < keys.length; i++) {
    const s = pickWeighted(rnd, setCdf);
    setOf[i] = s;
    sizes[s]!++;
  }
  const buffers = Array.from(sizes, (n) => new Uint8Array(n * (1 + maxOctets)));
  const used = new Uint32Array(setCount);
  for (let i = 0; i < keys.length; i++) {
    const s = setOf[i]!;
    used[s] = write(buffers[s]!, used[s]!, keys[i]!);
  }
  const lists = buffers.map((b, s) => NlriList.decode(new Reader(b, 0, used[s]!), afi, false));
  return { lists, sizes };
}

function histogram(keys: Float64Array): Map<number, number> {
  const out = new Map<number, number>();
  for (const k of keys) out.set(k % 64, (out.get(k % 64) ?? 0) + 1);
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

function concat(messages: readonly Uint8Array[]): Buffer {
  return Buffer.concat(messages.map((m) => Buffer.from(m.buffer, m.byteOffset, m.byteLength)));
}

/**
 * Generates the table of `spec`: prefixes, attribute sets with Zipf popularity (a few
 * sets carry many prefixes, most carry few), packed as a peer would send them (one
 * UPDATE holds prefixes of one attribute set, up to 4096 octets), in a shuffled order.
 */
export function generateTable(spec: TableSpec): GeneratedTable {
  const started = performance.now();
  if (spec.attributeSets < 1 || spec.attributeSets > 0xffffff) throw new RangeError(`attributeSets must be 1..${0xffffff}, got ${spec.attributeSets}`);
  const rnd = seededRandom(spec.seed);
  const v4 = ipv4Keys(spec.ipv4Count, rnd);
  const v6 = ipv6Keys(spec.ipv6Count, rnd);
  const sets = attributeSets(spec, rnd);
  // Zipf (s = 1) popularity over the sets.
  const setCdf = cumulativeOf(sets.map((_, i) => 1 / (i + 1)));
  const g4 = groupBySet(v4, setCdf, sets.length, rnd, writeIpv4, 4, Afi.ipv4);
  const g6 = groupBySet(v6, setCdf, sets.length, rnd, writeIpv6, 6, Afi.ipv6);

  const messages: Uint8Array[] = [];
  sets.forEach((attrs, s) => {
    for (const u of packUpdates(attrs, g4.lists[s]!, as4Context)) messages.push(encodeMessage(u, as4Context));
    const { nextHop: _unused, ...v6Attrs } = attrs;
    const mp: PathAttributes = { ...v6Attrs, mpReach: { afi: Afi.ipv6, safi: 1, nextHop: spec.nextHop6, nlri: NlriList.empty(Afi.ipv6) } };
    for (const u of packUpdates(mp, g6.lists[s]!, as4Context)) messages.push(encodeMessage(u, as4Context));
  });
  // Fisher-Yates, so UPDATEs of one attribute set do not all come in a row.
  for (let i = messages.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [messages[i], messages[j]] = [messages[j]!, messages[i]!];
  }
  const updates = messages.length;
  messages.push(encodeMessage(endOfRib(Afi.ipv4, 1), as4Context), encodeMessage(endOfRib(Afi.ipv6, 1), as4Context));

  const withdrawals: Uint8Array[] = [];
  const all4 = g4.lists.filter((l) => l.count > 0);
  const all6 = g6.lists.filter((l) => l.count > 0);
  for (const l of all4) for (const u of packWithdrawals(Afi.ipv4, 1, l, as4Context)) withdrawals.push(encodeMessage(u, as4Context));
  for (const l of all6) for (const u of packWithdrawals(Afi.ipv6, 1, l, as4Context)) withdrawals.push(encodeMessage(u, as4Context));

  const announce = concat(messages);
  const withdraw = concat(withdrawals);
  const pathLengthCounts = new Map<number, number>();
  let withCommunities = 0;
  sets.forEach((a, s) => {
    const n = a.asPath?.[0]?.asns.length ?? 0;
    pathLengthCounts.set(n, (pathLengthCounts.get(n) ?? 0) + 1);
    if (a.communities !== undefined) withCommunities += g4.sizes[s]! + g6.sizes[s]!;
  });
  const total = v4.length + v6.length;
  let largestSet = 0;
  sets.forEach((_, s) => (largestSet = Math.max(largestSet, g4.sizes[s]! + g6.sizes[s]!)));
  return {
    spec,
    total,
    announce,
    withdraw,
    shape: {
      updates,
      announceBytes: announce.length,
      withdrawUpdates: withdrawals.length,
      withdrawBytes: withdraw.length,
      ipv4Lengths: histogram(v4),
      ipv6Lengths: histogram(v6),
      pathLengths: new Map([...pathLengthCounts].sort((a, b) => a[0] - b[0])),
      communityShare: total === 0 ? 0 : withCommunities / total,
      largestSet,
      generateMs: performance.now() - started,
    },
  };
}
