// What a policy reads and writes: one route (the RIB's prefix key, its path attributes
// and its next hop) and the session it is evaluated for. Shared by conditions, actions
// and the evaluator, so none of them depends on another for its types.

import { Afi } from '../lib/address.js';
import type { PrefixKey } from '../rib/prefix-key.js';
import type { Route } from '../rib/route.js';
import type { PathAttributes } from '../wire/attributes/types.js';

/**
 * One route as a policy sees it. Policies never change it: an action that changes
 * something returns a new PolicyRoute, and one that changes nothing returns its input.
 */
export interface PolicyRoute {
  /** The RIB's key of the prefix: a number for IPv4, a 17-char string for IPv6 (rib/prefix-key.ts). */
  readonly key: PrefixKey;
  /** The attributes; for IPv6 the next hop is in `nextHop`, not in an MP_REACH_NLRI here. */
  readonly attributes: PathAttributes;
  /** The next hop, 4 or 16 bytes (empty for a local route without one). */
  readonly nextHop: Uint8Array;
}

/**
 * The session a policy is evaluated for. Build one per peer and reuse it, never changing
 * its byte arrays: neighbor-set answers are remembered per `neighbor` array.
 */
export interface PolicyContext {
  /**
   * The peer's address, 4 or 16 bytes: where the route came from on import, where it
   * goes on export (what match-neighbor-set tests). Empty when there is none.
   */
  readonly neighbor: Uint8Array;
  /** This speaker's IPv4 address toward the peer: what set-next-hop "self" writes on an IPv4 route. */
  readonly localIpv4?: Uint8Array;
  /** This speaker's IPv6 address toward the peer: "self" on an IPv6 route. */
  readonly localIpv6?: Uint8Array;
}

/** The route a RIB entry stands for, as a policy input (e.g. before export). */
export function policyRouteOf(key: PrefixKey, route: Route): PolicyRoute {
  return { key, attributes: route.attrs.attributes, nextHop: route.attrs.nextHop };
}

/** The address family of a route's prefix key. */
export function routeAfi(key: PrefixKey): Afi {
  return typeof key === 'number' ? Afi.ipv4 : Afi.ipv6;
}
