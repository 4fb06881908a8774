// Statement actions that change a route (gobgpd's `bgp-actions`): MED, LOCAL_PREF,
// communities of the three kinds (RFC 1997, RFC 4360, RFC 8092), AS_PATH prepending
// (RFC 4271 4.3, 5.1.2) and the next hop. An action returns its input route when it
// changes nothing, else a new route with new attributes: inputs are never written.

import { bytesEqual } from '../lib/address.js';
import { neighborAs } from '../rib/attr-store.js';
import { AsSegmentType, type AsPathSegment, type LargeCommunity, type PathAttributes } from '../wire/attributes/types.js';
import type { PolicyContext, PolicyRoute } from './route.js';
import type { CommunityMatcher, ExtCommunityMatcher, LargeCommunityMatcher } from './sets.js';

/** One change a statement makes to the routes it matches. */
export interface Action {
  /** gobgpd's key for the action. */
  readonly kind: string;
  /** The route after the action: `route` itself when nothing changed. */
  apply(route: PolicyRoute, ctx: PolicyContext): PolicyRoute;
}

const maxUint32 = 4294967295;

function withAttributes(route: PolicyRoute, attributes: PathAttributes): PolicyRoute {
  return { key: route.key, attributes, nextHop: route.nextHop };
}

/** The attributes with `key` set to `value`, or without `key` when `value` is undefined. */
function setField<K extends keyof PathAttributes>(attributes: PathAttributes, key: K, value: PathAttributes[K] | undefined): PathAttributes {
  if (value !== undefined) return { ...attributes, [key]: value };
  const copy: { -readonly [P in keyof PathAttributes]?: PathAttributes[P] } = { ...attributes };
  delete copy[key];
  return copy;
}

/**
 * set-med: "100" sets the MED, "+10" / "-10" add to it (a route without MED counts 0).
 * The sum is held within 0 to 2^32-1; gobgpd instead leaves the MED unchanged when
 * the sum falls outside, which turns a "-10" into nothing for a MED of 5.
 */
export class SetMedAction implements Action {
  readonly kind = 'set-med';

  constructor(
    readonly mode: 'set' | 'add',
    /** The value to set, or the signed amount to add. */
    readonly value: number,
  ) {}

  apply(route: PolicyRoute): PolicyRoute {
    const current = route.attributes.med;
    const med = this.mode === 'set' ? this.value : Math.min(maxUint32, Math.max(0, (current ?? 0) + this.value));
    if (med === current) return route;
    return withAttributes(route, { ...route.attributes, med });
  }
}

/** set-local-pref. */
export class SetLocalPrefAction implements Action {
  readonly kind = 'set-local-pref';

  constructor(readonly value: number) {}

  apply(route: PolicyRoute): PolicyRoute {
    if (route.attributes.localPref === this.value) return route;
    return withAttributes(route, { ...route.attributes, localPref: this.value });
  }
}

export type CommunityOperation = 'add' | 'remove' | 'replace';

/**
 * Shared by the three community kinds: "add" appends the values not already present
 * (gobgpd appends duplicates too; a community list is a set, RFC 1997), "replace" puts
 * the list in place (an empty list removes the attribute), "remove" takes out every
 * value the matcher holds and drops the attribute once empty.
 */
abstract class ListAction<T> implements Action {
  abstract readonly kind: string;

  constructor(
    readonly operation: CommunityOperation,
    /** Values for add and replace. */
    readonly values: readonly T[],
  ) {}

  protected abstract read(attributes: PathAttributes): readonly T[] | undefined;
  protected abstract write(attributes: PathAttributes, list: readonly T[] | undefined): PathAttributes;
  protected abstract same(a: T, b: T): boolean;
  protected abstract without(list: readonly T[]): readonly T[];

  apply(route: PolicyRoute): PolicyRoute {
    const current = this.read(route.attributes);
    const next = this.next(current);
    if (next === current) return route;
    return withAttributes(route, this.write(route.attributes, next !== undefined && next.length === 0 ? undefined : next));
  }

  /** The new list; `current` itself when it stays as it is. */
  private next(current: readonly T[] | undefined): readonly T[] | undefined {
    switch (this.operation) {
      case 'add': {
        let out: T[] | undefined;
        for (const v of this.values) {
          if (this.has(current, v) || (out !== undefined && this.has(out, v))) continue;
          out ??= current === undefined ? [] : [...current];
          out.push(v);
        }
        return out ?? current;
      }
      case 'replace': {
        if (current === undefined ? this.values.length === 0 : this.sameList(current, this.values)) return current;
        return this.values;
      }
      default: {
        if (current === undefined) return current;
        const kept = this.without(current);
        return kept === current ? current : kept;
      }
    }
  }

  private has(list: readonly T[] | undefined, v: T): boolean {
    if (list === undefined) return false;
    for (const x of list) if (this.same(x, v)) return true;
    return false;
  }

  private sameList(a: readonly T[], b: readonly T[]): boolean {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!this.same(a[i]!, b[i]!)) return false;
    return true;
  }
}

/** set-community (RFC 1997). */
export class CommunityAction extends ListAction<number> {
  readonly kind = 'set-community';

  constructor(operation: CommunityOperation, values: readonly number[], private readonly matcher?: CommunityMatcher) {
    super(operation, values);
  }

  protected read(attributes: PathAttributes): readonly number[] | undefined {
    return attributes.communities;
  }

  protected write(attributes: PathAttributes, list: readonly number[] | undefined): PathAttributes {
    return setField(attributes, 'communities', list);
  }

  protected same(a: number, b: number): boolean {
    return a === b;
  }

  protected without(list: readonly number[]): readonly number[] {
    return this.matcher === undefined ? list : this.matcher.without(list);
  }
}

/** set-ext-community (RFC 4360). */
export class ExtCommunityAction extends ListAction<Uint8Array> {
  readonly kind = 'set-ext-community';

  constructor(operation: CommunityOperation, values: readonly Uint8Array[], private readonly matcher?: ExtCommunityMatcher) {
    super(operation, values);
  }

  protected read(attributes: PathAttributes): readonly Uint8Array[] | undefined {
    return attributes.extCommunities;
  }

  protected write(attributes: PathAttributes, list: readonly Uint8Array[] | undefined): PathAttributes {
    return setField(attributes, 'extCommunities', list);
  }

  protected same(a: Uint8Array, b: Uint8Array): boolean {
    return bytesEqual(a, b);
  }

  protected without(list: readonly Uint8Array[]): readonly Uint8Array[] {
    return this.matcher === undefined ? list : this.matcher.without(list);
  }
}

/** set-large-community (RFC 8092). */
export class LargeCommunityAction extends ListAction<LargeCommunity> {
  readonly kind = 'set-large-community';

  constructor(operation: CommunityOperation, values: readonly LargeCommunity[], private readonly matcher?: LargeCommunityMatcher) {
    super(operation, values);
  }

  protected read(attributes: PathAttributes): readonly LargeCommunity[] | undefined {
    return attributes.largeCommunities;
  }

  protected write(attributes: PathAttributes, list: readonly LargeCommunity[] | undefined): PathAttributes {
    return setField(attributes, 'largeCommunities', list);
  }

  protected same(a: LargeCommunity, b: LargeCommunity): boolean {
    return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
  }

  protected without(list: readonly LargeCommunity[]): readonly LargeCommunity[] {
    return this.matcher === undefined ? list : this.matcher.without(list);
  }
}

/** An AS_SEQUENCE segment holds at most 255 ASes (RFC 4271 4.3: a one-octet count). */
const maxSegmentAsns = 255;

/**
 * set-as-path-prepend: `asn` (or, for "last-as", the path's leftmost AS outside any
 * confederation segment) `repeat` times in front. A path without such an AS is left
 * as it is (gobgpd logs and does the same).
 */
export class AsPathPrependAction implements Action {
  readonly kind = 'set-as-path-prepend';

  constructor(
    readonly asn: number | 'last-as',
    readonly repeat: number,
  ) {}

  apply(route: PolicyRoute): PolicyRoute {
    const path = route.attributes.asPath ?? [];
    const asn = this.asn === 'last-as' ? neighborAs(path) : this.asn;
    if (asn === 0 || this.repeat === 0) return route;
    return withAttributes(route, { ...route.attributes, asPath: prependAs(path, asn, this.repeat) });
  }
}

/** `path` with `asn` `count` times in front, filling the first AS_SEQUENCE before opening new segments. */
export function prependAs(path: readonly AsPathSegment[], asn: number, count: number): AsPathSegment[] {
  const first = path[0];
  const rest = first !== undefined && first.type === AsSegmentType.sequence ? path.slice(1) : path;
  const asns = [...new Array<number>(count).fill(asn), ...(first !== undefined && first.type === AsSegmentType.sequence ? first.asns : [])];
  // The overflow goes in front, so every segment but the first stays full.
  const segments: AsPathSegment[] = [];
  let end = asns.length;
  while (end > 0) {
    const start = Math.max(0, end - maxSegmentAsns);
    segments.unshift({ type: AsSegmentType.sequence, asns: asns.slice(start, end) });
    end = start;
  }
  return [...segments, ...rest];
}

/**
 * set-next-hop: "self" (this speaker's address toward the peer, of the route's family)
 * or a given address. An address of the other family than the route's, or "self" when
 * the context has no address of that family, leaves the next hop as it is.
 */
export class NextHopAction implements Action {
  readonly kind = 'set-next-hop';

  constructor(readonly target: 'self' | Uint8Array) {}

  apply(route: PolicyRoute, ctx: PolicyContext): PolicyRoute {
    const isIpv4 = typeof route.key === 'number';
    const nextHop = this.target === 'self' ? (isIpv4 ? ctx.localIpv4 : ctx.localIpv6) : this.target;
    if (nextHop === undefined || nextHop.length !== (isIpv4 ? 4 : 16) || bytesEqual(nextHop, route.nextHop)) return route;
    // An IPv4 route's next hop is also its NEXT_HOP attribute (RFC 4271 5.1.3), kept in step.
    const attributes = isIpv4 && route.attributes.nextHop !== undefined ? { ...route.attributes, nextHop } : route.attributes;
    return { key: route.key, attributes, nextHop };
  }
}
