// Statement conditions (gobgpd's `conditions`): a route matches a statement when every
// condition holds. Each reads the route and the session only; none allocates.

import { asPathLength } from '../rib/attr-store.js';
import type { PolicyContext, PolicyRoute } from './route.js';
import type { AsPathSet, CommunitySet, ExtCommunitySet, LargeCommunitySet, NeighborSet, PrefixSet } from './sets.js';

/** gobgpd's match-set-options: a member matches; every member matches; no member matches. */
export type MatchOption = 'any' | 'all' | 'invert';

/** One condition of a statement. */
export interface Condition {
  /** What the condition tests, as gobgpd's key names it (for display and errors). */
  readonly kind: string;
  matches(route: PolicyRoute, ctx: PolicyContext): boolean;
}

/**
 * match-prefix-set: the route's prefix is in the set (any) or not (invert). A prefix of
 * the other address family is not in the set, so invert holds for it: gobgpd answers
 * false either way there, which lets an IPv6 route past an IPv4 "invert, reject" filter.
 */
export class PrefixCondition implements Condition {
  readonly kind = 'match-prefix-set';

  constructor(
    readonly set: PrefixSet,
    readonly option: 'any' | 'invert',
  ) {}

  matches(route: PolicyRoute): boolean {
    return this.set.matches(route.key) !== (this.option === 'invert');
  }
}

/**
 * match-neighbor-set: the session's peer is in the set (any) or not (invert). An empty
 * set matches every peer whatever the option, as gobgpd documents.
 */
export class NeighborCondition implements Condition {
  readonly kind = 'match-neighbor-set';

  constructor(
    readonly set: NeighborSet,
    readonly option: 'any' | 'invert',
  ) {}

  matches(_route: PolicyRoute, ctx: PolicyContext): boolean {
    if (this.set.isEmpty) return true;
    return this.set.matches(ctx.neighbor) !== (this.option === 'invert');
  }
}

/** A set whose members a route's attribute may hold: AS paths and the three community kinds. */
interface MemberSet<T> {
  matchesAny(value: T): boolean;
  matchesAll(value: T): boolean;
}

/** gobgpd's match-set-options over a member set: any, all, or invert (none). */
function matchMembers<T>(set: MemberSet<T>, option: MatchOption, value: T): boolean {
  switch (option) {
    case 'any':
      return set.matchesAny(value);
    case 'all':
      return set.matchesAll(value);
    default:
      return !set.matchesAny(value);
  }
}

/** bgp-conditions.match-as-path-set. */
export class AsPathCondition implements Condition {
  readonly kind = 'match-as-path-set';

  constructor(
    readonly set: AsPathSet,
    readonly option: MatchOption,
  ) {}

  matches(route: PolicyRoute): boolean {
    return matchMembers(this.set, this.option, route.attributes.asPath);
  }
}

/** bgp-conditions.match-community-set: any (a community is a member), all (every member is present), invert. */
export class CommunityCondition implements Condition {
  readonly kind = 'match-community-set';

  constructor(
    readonly set: CommunitySet,
    readonly option: MatchOption,
  ) {}

  matches(route: PolicyRoute): boolean {
    return matchMembers(this.set, this.option, route.attributes.communities);
  }
}

/** bgp-conditions.match-ext-community-set (options as for communities). */
export class ExtCommunityCondition implements Condition {
  readonly kind = 'match-ext-community-set';

  constructor(
    readonly set: ExtCommunitySet,
    readonly option: MatchOption,
  ) {}

  matches(route: PolicyRoute): boolean {
    return matchMembers(this.set, this.option, route.attributes.extCommunities);
  }
}

/** bgp-conditions.match-large-community-set (options as for communities). */
export class LargeCommunityCondition implements Condition {
  readonly kind = 'match-large-community-set';

  constructor(
    readonly set: LargeCommunitySet,
    readonly option: MatchOption,
  ) {}

  matches(route: PolicyRoute): boolean {
    return matchMembers(this.set, this.option, route.attributes.largeCommunities);
  }
}

export type LengthOperator = 'eq' | 'ge' | 'le';

/**
 * bgp-conditions.as-path-length. The length is the decision process's (RFC 4271
 * 9.1.2.2 a): an AS_SET counts one, confederation segments none (RFC 5065 5.3).
 */
export class AsPathLengthCondition implements Condition {
  readonly kind = 'as-path-length';

  constructor(
    readonly operator: LengthOperator,
    readonly value: number,
  ) {}

  matches(route: PolicyRoute): boolean {
    const length = asPathLength(route.attributes.asPath);
    switch (this.operator) {
      case 'eq':
        return length === this.value;
      case 'ge':
        return length >= this.value;
      default:
        return length <= this.value;
    }
  }
}
