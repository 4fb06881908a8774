// A route as the RIB holds it: one small object per (prefix, peer, path id), sharing its
// attributes with every other route that came with the same ones. The prefix itself is
// the table key and lives nowhere else.

import type { AttrSet } from './attr-store.js';

/** Who a route came from, as the decision process needs it (RFC 4271 9.1.2.2). */
export class RibPeer {
  constructor(
    /** The peer's address as text; "local" for routes this speaker originates. */
    readonly address: string,
    /** The same address as 4 or 16 bytes (empty for local): the last tie-breaker. */
    readonly addressBytes: Uint8Array,
    readonly peerAs: number,
    /** BGP Identifier as an unsigned 32-bit number. */
    readonly routerId: number,
    readonly isEbgp: boolean,
    /** Routes this speaker originates (decision step "locally originated"). */
    readonly isLocal: boolean,
  ) {}
}

/**
 * One path to a prefix. Immutable but for `id`: a change of attributes is a new Route.
 * Routes without an ADD-PATH identifier, nearly all of a full table, leave the field out
 * (8 bytes a route); `createRoute` picks the class.
 */
export class Route {
  /** The route's id in its family's pool while the RIB holds it (tables store ids); 0 outside. */
  id = 0;

  constructor(
    readonly attrs: AttrSet,
    readonly peer: RibPeer,
    /**
     * When the route arrived, in ticks of `tickMs` of the RIB's clock: the route's age
     * for "prefer the oldest" and for display. A tick is small enough to stay a V8 small
     * integer (no boxed number per route) for years of uptime.
     */
    readonly receivedTick: number,
  ) {}

  /** RFC 7911 path identifier; 0 when the peer sends none. */
  get pathId(): number {
    return 0;
  }

  /** The next hop the route forwards to (4 or 16 bytes; empty for a local route without one). */
  get nextHop(): Uint8Array {
    return this.attrs.nextHop;
  }
}

/** A route with a non-zero ADD-PATH path identifier. */
class IdentifiedRoute extends Route {
  constructor(attrs: AttrSet, peer: RibPeer, receivedTick: number, private readonly identifier: number) {
    super(attrs, peer, receivedTick);
  }

  override get pathId(): number {
    return this.identifier;
  }
}

/** A route of `peer` with `attrs`, path identifier `pathId` (0: none), received at `receivedTick`. */
export function createRoute(attrs: AttrSet, peer: RibPeer, pathId: number, receivedTick: number): Route {
  return pathId === 0 ? new Route(attrs, peer, receivedTick) : new IdentifiedRoute(attrs, peer, receivedTick, pathId);
}

/** Milliseconds in one `Route.receivedTick`. */
export const tickMs = 100;
