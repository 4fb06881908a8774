// Long-lived graceful restart in the RIB (RFC 9494 4.3): a restarting peer's stale routes
// re-marked with LLGR_STALE (the decision process then ranks them below any route
// without it) and those carrying NO_LLGR removed, in place in the peer's Adj-RIB-In.

import { WellKnownCommunity } from '../wire/attributes/types.js';
import type { AdjRibIn } from './adj-rib-in.js';
import type { AttrSet, AttrStore } from './attr-store.js';
import type { LocRib } from './loc-rib.js';
import type { PrefixKey } from './prefix-key.js';
import { createRoute, type Route } from './route.js';

/** What `Rib.markLlgrStale` did to a peer's stale routes of one family. */
export interface LlgrStaleCounts {
  /** Routes kept, now carrying LLGR_STALE. */
  readonly kept: number;
  /** Routes removed because they carried NO_LLGR. */
  readonly dropped: number;
}

/** The Rib's internals the re-marking needs (it records changes as any RIB operation does). */
export interface LlgrOps {
  readonly attrStore: AttrStore;
  /** Starts recording; a prefix may change more than once (ADD-PATH). */
  begin(): void;
  select(loc: LocRib, key: PrefixKey, added: Route | undefined, removed: Route | undefined): void;
  /** Frees a route that left its Adj-RIB-In and the copy import policy made of it. */
  dropHeld(loc: LocRib, held: Route, accepted: Route | undefined): void;
  flush(): void;
}

/** RFC 9494 4.3: a route carrying NO_LLGR is not kept as long-lived stale. */
export function hasNoLlgr(attrs: AttrSet): boolean {
  return attrs.attributes.communities?.includes(WellKnownCommunity.noLlgr) === true;
}

/**
 * Re-marks every stale route of `adj` (see `Rib.markLlgrStale`). The route as received
 * gets LLGR_STALE as well as the one import policy let in, so a later reapply of the
 * policy still sees the community. NO_LLGR counts whether the peer or our policy set it.
 */
export function markLlgrStaleIn(ops: LlgrOps, adj: AdjRibIn, loc: LocRib): LlgrStaleCounts {
  let kept = 0;
  let dropped = 0;
  const remark = (route: Route): Route => {
    const set = ops.attrStore.internLlgrStale(route.attrs);
    const next = createRoute(set, route.peer, route.pathId, route.receivedTick);
    loc.register(next);
    ops.attrStore.retain(set);
    return next;
  };
  ops.begin();
  try {
    adj.sweepStale((key, routes) => {
      for (const route of routes) {
        const accepted = adj.takeAccepted(route);
        if (hasNoLlgr(route.attrs) || (accepted !== undefined && hasNoLlgr(accepted.attrs))) {
          if (accepted !== undefined) ops.select(loc, key, undefined, accepted);
          ops.dropHeld(loc, route, accepted);
          dropped++;
          continue;
        }
        const held = remark(route);
        const next = accepted === undefined ? undefined : accepted === route ? held : remark(accepted);
        adj.putStale(key, held);
        adj.setAccepted(held, next);
        if (next !== undefined) ops.select(loc, key, next, accepted);
        ops.dropHeld(loc, route, accepted);
        kept++;
      }
    });
  } finally {
    ops.flush();
  }
  return { kept, dropped };
}
