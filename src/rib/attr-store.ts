// Interned path attributes: one shared AttrSet per distinct (attribute bytes, next hop,
// eBGP or not), counted by the routes holding it and dropped with the last one. A full
// table has a few hundred thousand of them for a million routes, so the decision inputs
// (RFC 4271 9.1.2.2, RFC 4456 9, RFC 5065 5.3) are worked out here once per set. Each set
// is charged, once, to the peer whose route made it (memory-estimate.ts).

import { Buffer } from 'node:buffer';
import { AsSegmentType, Origin, WellKnownCommunity, type AsPathSegment, type PathAttributes } from '../wire/attributes/types.js';
import { attrSetBytes } from './memory-estimate.js';

/** Says whether a next hop (4 or 16 bytes) can be reached (RFC 4271 9.1.2.1). */
export type NextHopResolver = (nextHop: Uint8Array) => boolean;

export const allReachable: NextHopResolver = () => true;

/**
 * The estimated bytes of the attribute sets charged to one peer: a set adds
 * `attrSetBytes` of its key when the store creates it for one of the peer's routes, and
 * takes them back when the store forgets it, whichever peers held it in between.
 */
export class AttrCharge {
  bytes = 0;
}

/** Attributes shared by routes, with what the decision process reads from them. */
export class AttrSet {
  /** Routes holding this set; at 0 the store forgets it. */
  refCount = 0;
  /** Who was charged for the set when it was made (none for local routes). */
  chargedTo: AttrCharge | undefined = undefined;
  /** Resolver's answer for `nextHop`, flipped by the RIB after `AttrStore.reachabilityChanges`. */
  isReachable: boolean;
  /** LOCAL_PREF as it counts: ignored from an external peer (RFC 4271 5.1.5). */
  readonly localPref: number | undefined;
  /** AS_PATH length for the decision: AS_SET counts 1, confederation segments 0. */
  readonly asPathLength: number;
  /** First AS of the path outside any confederation (0 when none): MED's scope. */
  readonly neighborAs: number;
  readonly origin: number;
  readonly med: number | undefined;
  /** ORIGINATOR_ID as a number, which stands for the peer's router ID (RFC 4456 9). */
  readonly originatorId: number | undefined;
  readonly clusterListLength: number;
  /** Carries LLGR_STALE (RFC 9494 4.3): loses to any route that does not. */
  readonly isLlgrStale: boolean;

  constructor(
    /** The store's key; unique among live sets. */
    readonly key: string,
    /** The attributes without MP_REACH_NLRI / MP_UNREACH_NLRI. */
    readonly attributes: PathAttributes,
    readonly nextHop: Uint8Array,
    /** IPv6 link-local next hop (RFC 2545 3), when sent. */
    readonly linkLocalNextHop: Uint8Array | undefined,
    readonly isEbgp: boolean,
    isReachable: boolean,
    /**
     * LOCAL_PREF was written by this speaker's import policy, so it counts even on a route
     * from an external peer (the received one was taken off before the policy ran).
     */
    isLocalPrefOurs = false,
  ) {
    this.isReachable = isReachable;
    this.localPref = isEbgp && !isLocalPrefOurs ? undefined : attributes.localPref;
    this.asPathLength = asPathLength(attributes.asPath);
    this.neighborAs = neighborAs(attributes.asPath);
    // ORIGIN is mandatory; a route without it should have been treated as withdrawn
    // (RFC 7606 3.d). Should one get here, it ranks as the least preferred origin.
    this.origin = attributes.origin ?? Origin.incomplete;
    this.med = attributes.med;
    this.originatorId = attributes.originatorId !== undefined ? uint32(attributes.originatorId) : undefined;
    this.clusterListLength = attributes.clusterList?.length ?? 0;
    this.isLlgrStale = attributes.communities?.includes(WellKnownCommunity.llgrStale) === true;
  }
}

/** RFC 4271 9.1.2.2 (a) with RFC 5065 5.3: confederation segments do not count. */
export function asPathLength(path: readonly AsPathSegment[] | undefined): number {
  if (path === undefined) return 0;
  let n = 0;
  for (const s of path) {
    if (s.type === AsSegmentType.sequence) n += s.asns.length;
    else if (s.type === AsSegmentType.set) n += 1;
  }
  return n;
}

/** The neighbouring AS of RFC 4271 9.1.2.2 (c); 0 for a path that starts in our own AS. */
export function neighborAs(path: readonly AsPathSegment[] | undefined): number {
  if (path === undefined) return 0;
  for (const s of path) {
    if (s.type === AsSegmentType.confedSequence || s.type === AsSegmentType.confedSet) continue;
    return s.type === AsSegmentType.sequence && s.asns.length > 0 ? s.asns[0]! : 0;
  }
  return 0;
}

/** A 4-byte address (router ID, ORIGINATOR_ID) as an unsigned number. */
export function uint32(bytes: Uint8Array): number {
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}

function bytesToLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Owns every AttrSet of one RIB. */
export class AttrStore {
  private readonly sets = new Map<string, AttrSet>();
  private resolver: NextHopResolver;

  constructor(resolver: NextHopResolver = allReachable) {
    this.resolver = resolver;
  }

  /** Distinct attribute sets alive. */
  get size(): number {
    return this.sets.size;
  }

  /** True if `test` holds for one of the sets alive (stops at the first). */
  some(test: (attrs: AttrSet) => boolean): boolean {
    for (const a of this.sets.values()) if (test(a)) return true;
    return false;
  }

  /**
   * The shared set for a received UPDATE's attributes: `attrKey` is the UPDATE's attribute
   * bytes without the MP attributes, so the next hop of MP_REACH_NLRI is part of the key
   * here; so is eBGP-ness, which changes how LOCAL_PREF counts. The set starts unheld:
   * `retain` it per route, and `dropIfUnused` it if no route took it. A set made now is
   * charged to `chargeTo`.
   */
  intern(attrKey: Uint8Array, attributes: PathAttributes, nextHop: Uint8Array, linkLocalNextHop: Uint8Array | undefined, isEbgp: boolean, chargeTo?: AttrCharge): AttrSet {
    const key = receivedKey(attrKey, nextHop, linkLocalNextHop, isEbgp);
    const found = this.sets.get(key);
    if (found !== undefined) return found;
    return this.add(key, attributes, nextHop, linkLocalNextHop, isEbgp, false, chargeTo);
  }

  /** True when `intern` of these would find a live set (nothing made, nothing charged). */
  hasReceived(attrKey: Uint8Array, nextHop: Uint8Array, linkLocalNextHop: Uint8Array | undefined, isEbgp: boolean): boolean {
    return this.sets.has(receivedKey(attrKey, nextHop, linkLocalNextHop, isEbgp));
  }

  /**
   * The shared set for a locally originated route, keyed by the attributes' content
   * (no wire bytes exist for them), so re-originating the same attributes changes nothing.
   */
  internLocal(attributes: PathAttributes, nextHop: Uint8Array): AttrSet {
    const key = '\u0002' + canonicalText({ ...withoutMp(attributes), nextHop });
    const found = this.sets.get(key);
    if (found !== undefined) return found;
    return this.add(key, attributes, nextHop, undefined, false);
  }

  /**
   * The shared set for a received route as import policy changed it. No wire bytes exist
   * for these attributes: the key is their content, as for local routes, marked apart so
   * a changed route never shares a set with a received one. LOCAL_PREF counts whoever
   * sent the route: the caller takes a received one off an external peer's route first.
   */
  internImported(attributes: PathAttributes, nextHop: Uint8Array, linkLocalNextHop: Uint8Array | undefined, isEbgp: boolean, chargeTo?: AttrCharge): AttrSet {
    const key = (isEbgp ? '\u0004' : '\u0003') + canonicalText({ ...withoutMp(attributes), nextHop, linkLocalNextHop });
    const found = this.sets.get(key);
    if (found !== undefined) return found;
    return this.add(key, attributes, nextHop, linkLocalNextHop, isEbgp, true, chargeTo);
  }

  /**
   * `from` with LLGR_STALE added to its communities (RFC 9494 4.3), everything else as
   * it was; `from` itself when it carries the community already. Keyed by `from`'s key,
   * so every route of one set lands in one set again, and charged as `from` was.
   */
  internLlgrStale(from: AttrSet): AttrSet {
    if (from.isLlgrStale) return from;
    const key = '\u0005' + from.key;
    const found = this.sets.get(key);
    if (found !== undefined) return found;
    const communities = [...(from.attributes.communities ?? []), WellKnownCommunity.llgrStale];
    // A LOCAL_PREF that counts on an external route was written by our import policy.
    const isLocalPrefOurs = from.isEbgp && from.localPref !== undefined;
    return this.add(key, { ...from.attributes, communities }, from.nextHop, from.linkLocalNextHop, from.isEbgp, isLocalPrefOurs, from.chargedTo);
  }

  private add(key: string, attributes: PathAttributes, nextHop: Uint8Array, linkLocalNextHop: Uint8Array | undefined, isEbgp: boolean, isLocalPrefOurs = false, chargeTo?: AttrCharge): AttrSet {
    // Copies: the caller's arrays may be views into a receive buffer that gets reused,
    // and the MP attributes would keep a whole UPDATE's NLRI alive.
    const nh = Uint8Array.from(nextHop);
    const set = new AttrSet(key, withoutMp(attributes), nh, linkLocalNextHop && Uint8Array.from(linkLocalNextHop), isEbgp, this.resolver(nh), isLocalPrefOurs);
    if (chargeTo !== undefined) {
      set.chargedTo = chargeTo;
      chargeTo.bytes += attrSetBytes(key.length);
    }
    this.sets.set(key, set);
    return set;
  }

  /** Forgets a live set and credits its charge back; once only (a set gone stays gone). */
  private forget(set: AttrSet): void {
    if (this.sets.get(set.key) !== set) return;
    this.sets.delete(set.key);
    if (set.chargedTo !== undefined) set.chargedTo.bytes -= attrSetBytes(set.key.length);
  }

  retain(set: AttrSet): void {
    set.refCount++;
  }

  /** One route let go of the set; the last one frees it. */
  release(set: AttrSet): void {
    if (--set.refCount === 0) this.forget(set);
    else if (set.refCount < 0) throw new Error(`attribute set released more often than retained (refCount ${set.refCount})`);
  }

  /** Frees a set that `intern` returned but no route kept. */
  dropIfUnused(set: AttrSet): void {
    if (set.refCount === 0) this.forget(set);
  }

  /** The live set under `key`, if any (for tests and the API). */
  find(key: string): AttrSet | undefined {
    return this.sets.get(key);
  }

  /**
   * Asks `resolver` (from now on the store's) about every set's next hop and returns the
   * sets whose answer differs from `isReachable`, without changing them: the caller
   * notes what each affected prefix selected before flipping them.
   */
  reachabilityChanges(resolver: NextHopResolver = this.resolver): AttrSet[] {
    this.resolver = resolver;
    const changed: AttrSet[] = [];
    for (const set of this.sets.values()) if (resolver(set.nextHop) !== set.isReachable) changed.push(set);
    return changed;
  }
}

/** A received set's store key: eBGP-ness and next hops, then the attribute bytes. */
function receivedKey(attrKey: Uint8Array, nextHop: Uint8Array, linkLocalNextHop: Uint8Array | undefined, isEbgp: boolean): string {
  let head = String.fromCharCode(isEbgp ? 1 : 0, nextHop.length);
  for (let i = 0; i < nextHop.length; i++) head += String.fromCharCode(nextHop[i]!);
  if (linkLocalNextHop !== undefined) {
    head += String.fromCharCode(linkLocalNextHop.length);
    for (let i = 0; i < linkLocalNextHop.length; i++) head += String.fromCharCode(linkLocalNextHop[i]!);
  } else {
    head += '\0';
  }
  return head + bytesToLatin1(attrKey);
}

function withoutMp(attributes: PathAttributes): PathAttributes {
  if (attributes.mpReach === undefined && attributes.mpUnreach === undefined) return attributes;
  const { mpReach: _reach, mpUnreach: _unreach, ...rest } = attributes;
  return rest;
}

/** JSON with sorted keys and bytes as hex: equal attributes give equal text. */
function canonicalText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/**
 * True when two values hold the same content (bytes compared, plain objects by their own
 * keys): equal content gives equal `canonicalText`, so a set interned for one serves the
 * other. A false answer only costs a lookup; it never merges different attributes.
 */
export function isSameContent(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array) {
    if (!(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!isSameContent(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || b instanceof Uint8Array) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!isSameContent((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}
