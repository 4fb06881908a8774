// Defined sets (gobgpd's `defined-sets`), compiled once for matching per route: prefix
// sets as a binary trie walked on the RIB's prefix key, neighbor sets as address ranges,
// AS path sets as regular expressions over the path's text (with the usual one-AS forms
// answered on the numbers), and community sets of the three kinds (RFC 1997, RFC 4360,
// RFC 8092) as exact values plus regular expressions over their text.

import { Afi, addressBits, formatAddress, type Prefix } from '../lib/address.js';
import type { PrefixKey } from '../rib/prefix-key.js';
import { AsSegmentType, type AsPathSegment, type LargeCommunity } from '../wire/attributes/types.js';

/** A set member written in a way the set cannot take; `expected` says what it takes. */
export class SetMemberError extends Error {
  override readonly name = 'SetMemberError';
  constructor(readonly expected: string) {
    super(`expected ${expected}`);
  }
}

const maxUint32 = 4294967295;

// ---- prefix sets

/** One prefix-list entry: routes inside `prefix` whose length is in [minLength, maxLength]. */
export interface PrefixSetEntry {
  readonly prefix: Prefix;
  readonly minLength: number;
  readonly maxLength: number;
}

class TrieNode {
  zero: TrieNode | undefined = undefined;
  one: TrieNode | undefined = undefined;
  /** Length ranges of the entries whose prefix ends at this node: min, max, min, max, ... */
  ranges: number[] | undefined = undefined;
}

/**
 * A prefix set of one address family (as gobgpd: a set holds IPv4 or IPv6 prefixes, not
 * both). A route matches when any entry holds it: a walk down the trie along the route's
 * bits, at most one step per bit of its length, with no text and no allocation.
 */
export class PrefixSet {
  readonly afi: Afi | undefined;
  private readonly root = new TrieNode();

  constructor(
    readonly name: string,
    readonly entries: readonly PrefixSetEntry[],
  ) {
    const afi = entries[0]?.prefix.afi;
    for (const e of entries) {
      if (e.prefix.afi !== afi) throw new SetMemberError('prefixes of one address family in a set (IPv4 or IPv6, as gobgpd)');
      const bits = addressBits(e.prefix.afi);
      if (e.minLength > e.maxLength || e.maxLength > bits || e.maxLength < e.prefix.length) {
        throw new SetMemberError(`a length range MIN..MAX with MIN <= MAX, MAX from the prefix length (${e.prefix.length}) to ${bits}`);
      }
      this.insert(e);
    }
    this.afi = afi;
  }

  private insert(e: PrefixSetEntry): void {
    let node = this.root;
    const addr = e.prefix.addr;
    for (let depth = 0; depth < e.prefix.length; depth++) {
      const bit = (addr[depth >> 3]! >> (7 - (depth & 7))) & 1;
      if (bit === 0) node = node.zero ??= new TrieNode();
      else node = node.one ??= new TrieNode();
    }
    // A route shorter than the entry's prefix is never inside it, so a minimum below the
    // prefix length means the prefix length (gobgpd's radix lookup behaves the same).
    (node.ranges ??= []).push(Math.max(e.minLength, e.prefix.length), e.maxLength);
  }

  /** True if some entry holds the prefix of `key`. */
  matches(key: PrefixKey): boolean {
    if (typeof key === 'number') {
      if (this.afi !== Afi.ipv4) return false;
      const length = key % 64;
      // The address as int32 bits: `>>>` then reads it as unsigned without a double per step.
      const addr = ((key - length) / 64) | 0;
      let node: TrieNode | undefined = this.root;
      for (let depth = 0; ; depth++) {
        if (node.ranges !== undefined && inRanges(node.ranges, length)) return true;
        if (depth === length) return false;
        node = ((addr >>> (31 - depth)) & 1) === 0 ? node.zero : node.one;
        if (node === undefined) return false;
      }
    }
    if (this.afi !== Afi.ipv6) return false;
    const length = key.charCodeAt(16);
    let node: TrieNode | undefined = this.root;
    for (let depth = 0; ; depth++) {
      if (node.ranges !== undefined && inRanges(node.ranges, length)) return true;
      if (depth === length) return false;
      node = ((key.charCodeAt(depth >> 3) >> (7 - (depth & 7))) & 1) === 0 ? node.zero : node.one;
      if (node === undefined) return false;
    }
  }
}

function inRanges(ranges: readonly number[], length: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) if (ranges[i]! <= length && length <= ranges[i + 1]!) return true;
  return false;
}

/** Parses gobgpd's masklength-range "MIN..MAX". */
export function parseLengthRange(text: string): { readonly minLength: number; readonly maxLength: number } {
  const m = /^(\d{1,3})\.\.(\d{1,3})$/.exec(text);
  if (m === null) throw new SetMemberError('a length range "MIN..MAX", e.g. "24..32"');
  return { minLength: Number(m[1]), maxLength: Number(m[2]) };
}

// ---- neighbor sets

/**
 * Peers by address or range (gobgpd takes both in neighbor-info-list). As gobgpd
 * documents, an empty set matches every peer, inverted or not.
 */
export class NeighborSet {
  /** Answers per peer address object: a context is built once per peer, so this stays small. */
  private readonly seen = new WeakMap<Uint8Array, boolean>();

  constructor(
    readonly name: string,
    readonly entries: readonly Prefix[],
  ) {}

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** True if `address` (4 or 16 bytes) is in one of the ranges; false for an empty address. */
  matches(address: Uint8Array): boolean {
    const known = this.seen.get(address);
    if (known !== undefined) return known;
    let found = false;
    for (const p of this.entries) {
      if (hasPrefix(address, p.addr, p.length)) {
        found = true;
        break;
      }
    }
    this.seen.set(address, found);
    return found;
  }
}

/** True if the first `length` bits of `addr` equal those of `prefixAddr` (same family). */
export function hasPrefix(addr: Uint8Array, prefixAddr: Uint8Array, length: number): boolean {
  if (addr.length !== prefixAddr.length) return false;
  const whole = length >> 3;
  for (let i = 0; i < whole; i++) if (addr[i] !== prefixAddr[i]) return false;
  const rest = length & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (addr[whole]! & mask) === (prefixAddr[whole]! & mask);
}

// ---- AS path sets

/**
 * gobgpd's (and Quagga's) `_`: the start or end of the path or a character between ASes.
 * `[` and `]` surround a confederation set in the text form, so they count too.
 */
const asBoundary = '(?:^|[,{}()[\\] ]|$)';

const QuickKind = { leftmost: 0, origin: 1, anywhere: 2, only: 3 } as const;
type QuickKind = (typeof QuickKind)[keyof typeof QuickKind];

/** One as-path-list entry. */
export class AsPathPattern {
  readonly regex: RegExp;
  /** The common one-AS forms, answered on the numbers when the path is all AS_SEQUENCE. */
  private readonly quickKind: QuickKind | undefined;
  private readonly quickAsn: number;

  constructor(readonly source: string) {
    try {
      this.regex = new RegExp(source.replaceAll('_', asBoundary));
    } catch (err) {
      throw new SetMemberError(`an AS path regular expression (${err instanceof Error ? err.message : String(err)})`);
    }
    const m = /^(\^|_)(\d{1,10})(\$|_)$/.exec(source);
    const asn = m === null ? NaN : Number(m[2]);
    if (m !== null && asn <= maxUint32) {
      const isStart = m[1] === '^';
      const isEnd = m[3] === '$';
      this.quickKind = isStart ? (isEnd ? QuickKind.only : QuickKind.leftmost) : isEnd ? QuickKind.origin : QuickKind.anywhere;
      this.quickAsn = asn;
    } else {
      this.quickKind = undefined;
      this.quickAsn = 0;
    }
  }

  /** True if the path matches, read as its text form (see `asPathText`). */
  matches(path: readonly AsPathSegment[] | undefined): boolean {
    if (this.quickKind !== undefined && isSequenceOnly(path)) return this.quickMatch(path);
    return this.regex.test(asPathText(path));
  }

  // With only AS_SEQUENCE segments the text is the ASNs joined by spaces, so each form
  // has an exact numeric reading: `^N_` first, `_N$` last, `_N_` any, `^N$` the only one.
  private quickMatch(path: readonly AsPathSegment[] | undefined): boolean {
    const asn = this.quickAsn;
    if (path === undefined) return false;
    let first = -1;
    let last = -1;
    let count = 0;
    for (const seg of path) {
      for (const a of seg.asns) {
        if (count === 0) first = a;
        last = a;
        count++;
        if (this.quickKind === QuickKind.anywhere && a === asn) return true;
      }
    }
    switch (this.quickKind) {
      case QuickKind.leftmost:
        return count > 0 && first === asn;
      case QuickKind.origin:
        return count > 0 && last === asn;
      case QuickKind.only:
        return count === 1 && first === asn;
      default:
        return false;
    }
  }
}

function isSequenceOnly(path: readonly AsPathSegment[] | undefined): boolean {
  if (path === undefined) return true;
  for (const seg of path) if (seg.type !== AsSegmentType.sequence) return false;
  return true;
}

const pathTexts = new WeakMap<readonly AsPathSegment[], string>();

/**
 * The AS path as gobgpd prints it: "65001 65002 {65003,65004}", a confederation sequence
 * in "( )", a confederation set in "[ ]". Made once per path object (the RIB shares
 * attribute objects between routes), so matching a shared path again costs no text.
 */
export function asPathText(path: readonly AsPathSegment[] | undefined): string {
  if (path === undefined) return '';
  let text = pathTexts.get(path);
  if (text !== undefined) return text;
  text = path
    .map((seg) => {
      switch (seg.type) {
        case AsSegmentType.set:
          return `{${seg.asns.join(',')}}`;
        case AsSegmentType.confedSequence:
          return `(${seg.asns.join(' ')})`;
        case AsSegmentType.confedSet:
          return `[${seg.asns.join(',')}]`;
        default:
          return seg.asns.join(' ');
      }
    })
    .filter((s) => s !== '')
    .join(' ');
  pathTexts.set(path, text);
  return text;
}

/** An as-path-set: patterns in configuration order. */
export class AsPathSet {
  readonly patterns: readonly AsPathPattern[];

  constructor(
    readonly name: string,
    sources: readonly string[],
  ) {
    this.patterns = sources.map((s) => new AsPathPattern(s));
  }

  /** True if some pattern matches. */
  matchesAny(path: readonly AsPathSegment[] | undefined): boolean {
    for (const p of this.patterns) if (p.matches(path)) return true;
    return false;
  }

  /** True if every pattern matches (vacuously true for an empty set). */
  matchesAll(path: readonly AsPathSegment[] | undefined): boolean {
    for (const p of this.patterns) if (!p.matches(path)) return false;
    return true;
  }
}

// ---- communities (RFC 1997)

/** Well-known community names, in gobgpd's spellings and ours (the daemon's `originate`). */
const wellKnownCommunities: Readonly<Record<string, number>> = {
  'graceful-shutdown': 0xffff0000,
  'planned-shut': 0xffff0000,
  'accept-own': 0xffff0001,
  'llgr-stale': 0xffff0006,
  'no-llgr': 0xffff0007,
  blackhole: 0xffff029a,
  'no-export': 0xffffff01,
  'no-advertise': 0xffffff02,
  'no-export-subconfed': 0xffffff03,
  'no-export-sub-confed': 0xffffff03,
  'no-peer': 0xffffff04,
};

function wellKnownCommunity(text: string): number | undefined {
  return wellKnownCommunities[text.toLowerCase().replaceAll('_', '-')];
}

const communityExpected = '"ASN:VALUE" (each 0 to 65535), a 32-bit number or a well-known name (no-export, no-advertise, ...)';

/** A community value to set: "65001:100", a 32-bit number or a well-known name. */
export function parseCommunity(text: string): number {
  if (/^\d{1,10}$/.test(text) && Number(text) <= maxUint32) return Number(text);
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text);
  if (m !== null && Number(m[1]) <= 0xffff && Number(m[2]) <= 0xffff) return ((Number(m[1]) << 16) | Number(m[2])) >>> 0;
  const named = wellKnownCommunity(text);
  if (named !== undefined) return named;
  throw new SetMemberError(communityExpected);
}

/** "high:low", as gobgpd prints a community and its regular expressions read it. */
export function communityText(value: number): string {
  return `${value >>> 16}:${value & 0xffff}`;
}

function compileRegex(source: string, what: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new SetMemberError(`${what} (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * A member with digits on both sides of a colon is anchored at both ends as gobgpd does
 * ("65001:.*" means the whole community), other text is an unanchored regular expression.
 */
function anchoredIfValueLike(text: string, valueLike: RegExp): string {
  return valueLike.test(text) ? `^${text}$` : text;
}

/** A community-list member: an exact value, or a regular expression over "high:low". */
export type CommunityMember = { readonly exact: number } | { readonly regex: RegExp };

export function parseCommunityMember(text: string): CommunityMember {
  if (/^\d{1,10}$/.test(text)) return { exact: parseCommunity(text) };
  if (/^\d+:\d+$/.test(text)) return { exact: parseCommunity(text) };
  const named = wellKnownCommunity(text);
  if (named !== undefined) return { exact: named };
  return { regex: compileRegex(anchoredIfValueLike(text, /\d:\d/), `${communityExpected}, or a regular expression over "ASN:VALUE"`) };
}

/** True if each expression matches at least one of the texts. */
function everyRegexMatchesOne(regexes: readonly RegExp[], texts: readonly string[]): boolean {
  for (const r of regexes) {
    let found = false;
    for (let i = 0; i < texts.length && !found; i++) found = r.test(texts[i]!);
    if (!found) return false;
  }
  return true;
}

const communityTexts = new WeakMap<readonly number[], readonly string[]>();

function textsOfCommunities(list: readonly number[]): readonly string[] {
  let texts = communityTexts.get(list);
  if (texts === undefined) communityTexts.set(list, (texts = list.map(communityText)));
  return texts;
}

/** Matches RFC 1997 communities; also what set-community "remove" takes out. */
export class CommunityMatcher {
  private readonly exact: ReadonlySet<number>;
  private readonly exactList: readonly number[];
  private readonly regexes: readonly RegExp[];

  constructor(members: readonly CommunityMember[]) {
    const exact: number[] = [];
    const regexes: RegExp[] = [];
    for (const m of members) {
      if ('exact' in m) exact.push(m.exact);
      else regexes.push(m.regex);
    }
    this.exactList = exact;
    this.exact = new Set(exact);
    this.regexes = regexes;
  }

  get size(): number {
    return this.exactList.length + this.regexes.length;
  }

  /** True if the community at `index` of `list` is a member (the list is the text cache's key). */
  private holds(list: readonly number[], index: number): boolean {
    if (this.exact.has(list[index]!)) return true;
    if (this.regexes.length === 0) return false;
    const text = textsOfCommunities(list)[index]!;
    for (const r of this.regexes) if (r.test(text)) return true;
    return false;
  }

  /** True if some community of the route is a member. */
  matchesAny(list: readonly number[] | undefined): boolean {
    if (list === undefined) return false;
    for (let i = 0; i < list.length; i++) if (this.holds(list, i)) return true;
    return false;
  }

  /** True if every member is matched by some community of the route. */
  matchesAll(list: readonly number[] | undefined): boolean {
    for (const v of this.exactList) if (list === undefined || !list.includes(v)) return false;
    if (this.regexes.length === 0) return true;
    if (list === undefined) return false;
    return everyRegexMatchesOne(this.regexes, textsOfCommunities(list));
  }

  /** The communities of `list` that are not members; `list` itself when none is. */
  without(list: readonly number[]): readonly number[] {
    let out: number[] | undefined;
    for (let i = 0; i < list.length; i++) {
      if (this.holds(list, i)) out ??= list.slice(0, i);
      else out?.push(list[i]!);
    }
    return out ?? list;
  }
}

/** A community-set. */
export class CommunitySet extends CommunityMatcher {
  constructor(
    readonly name: string,
    readonly sources: readonly string[],
  ) {
    super(sources.map(parseCommunityMember));
  }
}

// ---- extended communities (RFC 4360, RFC 5668)

/** Sub-types gobgpd names in ext-community lists (RFC 4360 4, 5; RFC 5668 3). */
export const ExtSubtype = { routeTarget: 0x02, routeOrigin: 0x03 } as const;

/** Transitive types whose values read as "GLOBAL:LOCAL" (RFC 4360 3.1, 3.2; RFC 5668 2). */
const ExtType = { twoOctetAs: 0x00, ipv4: 0x01, fourOctetAs: 0x02 } as const;

const extExpected = '"RT:ASN:VALUE", "RT:IPV4:VALUE", "SoO:..." (ASN up to 65535 with a 32-bit VALUE, or a 4-octet ASN with VALUE up to 65535)';

function extSubtypeOf(text: string): { subtype: number; rest: string } {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? '' : text.slice(0, colon).toLowerCase();
  const subtype = kind === 'rt' ? ExtSubtype.routeTarget : kind === 'soo' ? ExtSubtype.routeOrigin : undefined;
  if (subtype === undefined) throw new SetMemberError(extExpected);
  return { subtype, rest: text.slice(colon + 1) };
}

/** The 8-byte encodings whose value reads as `rest` ("ASN:N" or "a.b.c.d:N"), in order of preference. */
function extEncodings(subtype: number, rest: string): Uint8Array[] | undefined {
  const asForm = /^(\d{1,10}):(\d{1,10})$/.exec(rest);
  const out: Uint8Array[] = [];
  if (asForm !== null) {
    const global = Number(asForm[1]);
    const local = Number(asForm[2]);
    if (global > maxUint32 || local > maxUint32) return undefined;
    if (global <= 0xffff) out.push(Uint8Array.of(ExtType.twoOctetAs, subtype, global >> 8, global & 0xff, local >>> 24, (local >>> 16) & 0xff, (local >>> 8) & 0xff, local & 0xff));
    if (local <= 0xffff) out.push(Uint8Array.of(ExtType.fourOctetAs, subtype, global >>> 24, (global >>> 16) & 0xff, (global >>> 8) & 0xff, global & 0xff, local >> 8, local & 0xff));
    return out.length === 0 ? undefined : out;
  }
  const ipForm = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(rest);
  if (ipForm !== null) {
    const octets = ipForm.slice(1, 5).map(Number);
    const local = Number(ipForm[5]);
    if (octets.some((o) => o > 255) || local > 0xffff) return undefined;
    return [Uint8Array.of(ExtType.ipv4, subtype, ...octets, local >> 8, local & 0xff)];
  }
  return undefined;
}

/** An extended community value to set: "RT:65001:100", "SoO:192.0.2.1:7". */
export function parseExtCommunity(text: string): Uint8Array {
  const { subtype, rest } = extSubtypeOf(text);
  const encodings = extEncodings(subtype, rest);
  if (encodings === undefined) throw new SetMemberError(extExpected);
  return encodings[0]!;
}

/** "GLOBAL:LOCAL" of a route target or origin of the three address-like types; undefined otherwise. */
export function extCommunityValueText(c: Uint8Array): string | undefined {
  if (c.length !== 8) return undefined;
  switch (c[0]) {
    case ExtType.twoOctetAs:
      return `${(c[2]! << 8) | c[3]!}:${readUint32(c, 4)}`;
    case ExtType.ipv4:
      return `${formatAddress(c.subarray(2, 6))}:${(c[6]! << 8) | c[7]!}`;
    case ExtType.fourOctetAs:
      return `${readUint32(c, 2)}:${(c[6]! << 8) | c[7]!}`;
    default:
      return undefined;
  }
}

function readUint32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** An ext-community-list member: a sub-type and exact encodings, or a regular expression over "GLOBAL:LOCAL". */
export type ExtCommunityMember = { readonly subtype: number; readonly exact: readonly Uint8Array[] } | { readonly subtype: number; readonly regex: RegExp };

export function parseExtCommunityMember(text: string): ExtCommunityMember {
  const { subtype, rest } = extSubtypeOf(text);
  if (/^[\d.]+:\d+$/.test(rest)) {
    const exact = extEncodings(subtype, rest);
    if (exact === undefined) throw new SetMemberError(extExpected);
    return { subtype, exact };
  }
  return { subtype, regex: compileRegex(anchoredIfValueLike(rest, /\d:\d/), `${extExpected}, or RT:/SoO: and a regular expression`) };
}

const extTexts = new WeakMap<readonly Uint8Array[], readonly (string | undefined)[]>();

function textsOfExt(list: readonly Uint8Array[]): readonly (string | undefined)[] {
  let texts = extTexts.get(list);
  if (texts === undefined) extTexts.set(list, (texts = list.map(extCommunityValueText)));
  return texts;
}

function sameBytes8(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== 8 || b.length !== 8) return false;
  for (let i = 0; i < 8; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Matches extended communities; also what set-ext-community "remove" takes out. */
export class ExtCommunityMatcher {
  constructor(readonly members: readonly ExtCommunityMember[]) {}

  get size(): number {
    return this.members.length;
  }

  private static holds(m: ExtCommunityMember, list: readonly Uint8Array[], index: number): boolean {
    const c = list[index]!;
    // Route targets and origins are transitive types 0x00-0x02 (RFC 4360 3); the
    // non-transitive twins and other types are not matched, as in gobgpd.
    if (c.length !== 8 || c[1] !== m.subtype || c[0]! > ExtType.fourOctetAs) return false;
    if ('exact' in m) {
      for (const e of m.exact) if (sameBytes8(c, e)) return true;
      return false;
    }
    const text = textsOfExt(list)[index];
    return text !== undefined && m.regex.test(text);
  }

  private holdsAny(list: readonly Uint8Array[], index: number): boolean {
    for (const m of this.members) if (ExtCommunityMatcher.holds(m, list, index)) return true;
    return false;
  }

  matchesAny(list: readonly Uint8Array[] | undefined): boolean {
    if (list === undefined) return false;
    for (let i = 0; i < list.length; i++) if (this.holdsAny(list, i)) return true;
    return false;
  }

  /** True if every member is matched by some extended community of the route. */
  matchesAll(list: readonly Uint8Array[] | undefined): boolean {
    for (const m of this.members) {
      let found = false;
      if (list !== undefined) {
        for (let i = 0; i < list.length && !found; i++) found = ExtCommunityMatcher.holds(m, list, i);
      }
      if (!found) return false;
    }
    return true;
  }

  without(list: readonly Uint8Array[]): readonly Uint8Array[] {
    let out: Uint8Array[] | undefined;
    for (let i = 0; i < list.length; i++) {
      if (this.holdsAny(list, i)) out ??= list.slice(0, i);
      else out?.push(list[i]!);
    }
    return out ?? list;
  }
}

export class ExtCommunitySet extends ExtCommunityMatcher {
  constructor(
    readonly name: string,
    readonly sources: readonly string[],
  ) {
    super(sources.map(parseExtCommunityMember));
  }
}

// ---- large communities (RFC 8092)

const largeExpected = '"GLOBAL:LOCAL1:LOCAL2" (each 0 to 4294967295)';

/** A large community value to set: "65001:1:2". */
export function parseLargeCommunity(text: string): LargeCommunity {
  const m = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/.exec(text);
  const parts = m === null ? [] : [Number(m[1]), Number(m[2]), Number(m[3])];
  if (parts.length !== 3 || parts.some((p) => p > maxUint32)) throw new SetMemberError(largeExpected);
  return [parts[0]!, parts[1]!, parts[2]!];
}

export function largeCommunityText(c: LargeCommunity): string {
  return `${c[0]}:${c[1]}:${c[2]}`;
}

export type LargeCommunityMember = { readonly exact: LargeCommunity } | { readonly regex: RegExp };

export function parseLargeCommunityMember(text: string): LargeCommunityMember {
  if (/^\d+:\d+:\d+$/.test(text)) return { exact: parseLargeCommunity(text) };
  return { regex: compileRegex(anchoredIfValueLike(text, /\d:\d+:\d/), `${largeExpected} or a regular expression over it`) };
}

function hasLarge(list: readonly LargeCommunity[], e: LargeCommunity): boolean {
  for (const c of list) if (c[0] === e[0] && c[1] === e[1] && c[2] === e[2]) return true;
  return false;
}

const largeTexts = new WeakMap<readonly LargeCommunity[], readonly string[]>();

function textsOfLarge(list: readonly LargeCommunity[]): readonly string[] {
  let texts = largeTexts.get(list);
  if (texts === undefined) largeTexts.set(list, (texts = list.map(largeCommunityText)));
  return texts;
}

/** Matches large communities; also what set-large-community "remove" takes out. */
export class LargeCommunityMatcher {
  /** Exact members by global admin, then local data 1, then a set of local data 2. */
  private readonly exact = new Map<number, Map<number, Set<number>>>();
  private readonly exactList: readonly LargeCommunity[];
  private readonly regexes: readonly RegExp[];

  constructor(members: readonly LargeCommunityMember[]) {
    const exactList: LargeCommunity[] = [];
    const regexes: RegExp[] = [];
    for (const m of members) {
      if ('exact' in m) {
        exactList.push(m.exact);
        let byFirst = this.exact.get(m.exact[0]);
        if (byFirst === undefined) this.exact.set(m.exact[0], (byFirst = new Map()));
        let bySecond = byFirst.get(m.exact[1]);
        if (bySecond === undefined) byFirst.set(m.exact[1], (bySecond = new Set()));
        bySecond.add(m.exact[2]);
      } else {
        regexes.push(m.regex);
      }
    }
    this.exactList = exactList;
    this.regexes = regexes;
  }

  get size(): number {
    return this.exactList.length + this.regexes.length;
  }

  private holds(list: readonly LargeCommunity[], index: number): boolean {
    const c = list[index]!;
    if (this.exact.get(c[0])?.get(c[1])?.has(c[2]) === true) return true;
    if (this.regexes.length === 0) return false;
    const text = textsOfLarge(list)[index]!;
    for (const r of this.regexes) if (r.test(text)) return true;
    return false;
  }

  matchesAny(list: readonly LargeCommunity[] | undefined): boolean {
    if (list === undefined) return false;
    for (let i = 0; i < list.length; i++) if (this.holds(list, i)) return true;
    return false;
  }

  /** True if every member is matched by some large community of the route. */
  matchesAll(list: readonly LargeCommunity[] | undefined): boolean {
    for (const e of this.exactList) if (list === undefined || !hasLarge(list, e)) return false;
    if (this.regexes.length === 0) return true;
    if (list === undefined) return false;
    return everyRegexMatchesOne(this.regexes, textsOfLarge(list));
  }

  without(list: readonly LargeCommunity[]): readonly LargeCommunity[] {
    let out: LargeCommunity[] | undefined;
    for (let i = 0; i < list.length; i++) {
      if (this.holds(list, i)) out ??= list.slice(0, i);
      else out?.push(list[i]!);
    }
    return out ?? list;
  }
}

export class LargeCommunitySet extends LargeCommunityMatcher {
  constructor(
    readonly name: string,
    readonly sources: readonly string[],
  ) {
    super(sources.map(parseLargeCommunityMember));
  }
}

/** Every defined set by kind and name. */
export interface DefinedSets {
  readonly prefixSets: ReadonlyMap<string, PrefixSet>;
  readonly neighborSets: ReadonlyMap<string, NeighborSet>;
  readonly asPathSets: ReadonlyMap<string, AsPathSet>;
  readonly communitySets: ReadonlyMap<string, CommunitySet>;
  readonly extCommunitySets: ReadonlyMap<string, ExtCommunitySet>;
  readonly largeCommunitySets: ReadonlyMap<string, LargeCommunitySet>;
}

export const noDefinedSets: DefinedSets = {
  prefixSets: new Map(),
  neighborSets: new Map(),
  asPathSets: new Map(),
  communitySets: new Map(),
  extCommunitySets: new Map(),
  largeCommunitySets: new Map(),
};
