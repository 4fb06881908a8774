// The Adj-RIB-In of one peer for one family (RFC 4271 3.2): its routes by prefix, and with
// ADD-PATH (RFC 7911) by prefix and path identifier. A prefix holds its Route directly;
// only several path ids of one prefix take an array. Graceful restart (RFC 4724 4.2)
// moves the routes to a stale table that re-announcements drain and a sweep empties.
// Routes are held as received (pre-policy); where import policy changed or rejected
// one, the outcome is kept beside it, so a route that passes unchanged costs nothing.

import type { FamilyKey } from '../wire/context.js';
import type { PrefixKey } from './prefix-key.js';
import { Pool, createIdTable, type IdCursor, type IdTable } from './prefix-table.js';
import type { Route } from './route.js';

/**
 * A table maps a prefix to its route's id in the family's route pool, or, when several
 * path ids share the prefix, to minus an id in this Adj-RIB-In's pool of route arrays.
 */
export class AdjRibIn {
  private current: IdTable;
  private stale: IdTable | undefined;
  private multi = new Pool<Route[]>();
  private routeTotal = 0;
  private staleRoutes = 0;
  /**
   * Import policy outcomes other than "as received", by held route: the route that
   * competes in the Loc-RIB in its place, or null when the policy rejected it.
   */
  private outcomes = new Map<Route, Route | null>();
  private filteredRoutes = 0;
  /** Where `drainSome` is: the table it walks (already taken out of `current` / `stale`). */
  private drainWalk: { cursor: IdCursor; isStale: boolean } | undefined;

  constructor(
    readonly family: FamilyKey,
    private readonly isIpv4: boolean,
    /** The family's routes by id (the Loc-RIB's pool). */
    private readonly routes: Pool<Route>,
  ) {
    this.current = createIdTable(isIpv4);
  }

  /** Routes held, stale ones included. */
  get size(): number {
    return this.routeTotal;
  }

  /** Routes held from before a restart and not announced again yet. */
  get staleSize(): number {
    return this.staleRoutes;
  }

  /** Held routes import policy rejected (kept, filtered, for display and a later reapply). */
  get filteredSize(): number {
    return this.filteredRoutes;
  }

  /**
   * What competes in the Loc-RIB for a held route: the route itself, the route as import
   * policy changed it, or undefined when the policy rejected it.
   */
  acceptedOf(route: Route): Route | undefined {
    if (this.outcomes.size === 0) return route;
    const outcome = this.outcomes.get(route);
    return outcome === undefined ? route : (outcome ?? undefined);
  }

  /** Records the import outcome of a held route: `accepted` as `acceptedOf` returns it. */
  setAccepted(route: Route, accepted: Route | undefined): void {
    const before = this.outcomes.get(route);
    if (before === null) this.filteredRoutes--;
    if (accepted === route) {
      if (before !== undefined) this.outcomes.delete(route);
      return;
    }
    this.outcomes.set(route, accepted ?? null);
    if (accepted === undefined) this.filteredRoutes++;
  }

  /** `acceptedOf`, forgetting the outcome: for a route leaving the table. */
  takeAccepted(route: Route): Route | undefined {
    if (this.outcomes.size === 0) return route;
    const outcome = this.outcomes.get(route);
    if (outcome === undefined) return route;
    this.outcomes.delete(route);
    if (outcome === null) {
      this.filteredRoutes--;
      return undefined;
    }
    return outcome;
  }

  /** The route for the prefix and path id, fresh or stale. */
  find(key: PrefixKey, pathId: number): Route | undefined {
    const found = this.findIn(this.current.get(key), pathId);
    if (found !== undefined || this.stale === undefined) return found;
    return this.findIn(this.stale.get(key), pathId);
  }

  /** True when `route` is held as stale. */
  isStale(key: PrefixKey, route: Route): boolean {
    return this.stale !== undefined && this.findIn(this.stale.get(key), route.pathId) === route;
  }

  /** Stores a route (fresh; it must have its id); returns the route it replaces, fresh or stale. */
  put(key: PrefixKey, route: Route): Route | undefined {
    let old = this.putIn(this.current, key, route);
    if (old === undefined && this.stale !== undefined) {
      old = this.takeFrom(this.stale, key, route.pathId);
      if (old !== undefined) this.staleRoutes--;
    }
    if (old === undefined) this.routeTotal++;
    return old;
  }

  /** Removes the route for the prefix and path id; returns it. */
  remove(key: PrefixKey, pathId: number): Route | undefined {
    let old = this.takeFrom(this.current, key, pathId);
    if (old === undefined && this.stale !== undefined) {
      old = this.takeFrom(this.stale, key, pathId);
      if (old !== undefined) this.staleRoutes--;
    }
    if (old !== undefined) this.routeTotal--;
    return old;
  }

  /** The prefixes held, fresh or stale, each once (a copy, in no particular order). */
  keys(): PrefixKey[] {
    const keys = this.current.keys();
    const stale = this.stale;
    if (stale !== undefined) stale.forEach((_, key) => {
      if (this.current.get(key) === 0) keys.push(key);
    });
    return keys;
  }

  /** Every route held for the prefix: the fresh ones, then the stale ones. */
  routesAt(key: PrefixKey): Route[] {
    const out: Route[] = [];
    const add = (id: number): void => {
      if (id > 0) out.push(this.routes.get(id));
      else if (id < 0) out.push(...this.multi.get(-id));
    };
    add(this.current.get(key));
    if (this.stale !== undefined) add(this.stale.get(key));
    return out;
  }

  /** Visits every route, fresh then stale. The table must not change during the visit. */
  forEach(visit: (route: Route, key: PrefixKey) => void): void {
    const each = (id: number, key: PrefixKey): void => {
      if (id > 0) visit(this.routes.get(id), key);
      else for (const r of this.multi.get(-id)) visit(r, key);
    };
    this.current.forEach(each);
    this.stale?.forEach(each);
  }

  /**
   * Empties the table, visiting each prefix with its routes: the fresh ones, then the stale
   * ones (a prefix with both, possible with ADD-PATH, is visited twice). The import
   * outcomes stay readable (`takeAccepted`) until the visit ends.
   */
  drain(visit: (key: PrefixKey, routes: readonly Route[]) => void): void {
    const current = this.current;
    const stale = this.stale;
    const multi = this.multi;
    this.current = createIdTable(this.isIpv4);
    this.stale = undefined;
    this.multi = new Pool<Route[]>();
    this.routeTotal = 0;
    this.staleRoutes = 0;
    const each = (id: number, key: PrefixKey): void => visit(key, id > 0 ? [this.routes.get(id)] : multi.get(-id));
    current.forEach(each);
    stale?.forEach(each);
    this.outcomes = new Map();
    this.filteredRoutes = 0;
  }

  /**
   * Moves every route, stale state and import outcomes into a new Adj-RIB-In and leaves
   * this one empty, ready for new routes: the returned one is then emptied in slices
   * (`drainSome`), so that a full table leaves without blocking the process.
   */
  detach(): AdjRibIn {
    const out = new AdjRibIn(this.family, this.isIpv4, this.routes);
    out.current = this.current;
    out.stale = this.stale;
    out.multi = this.multi;
    out.routeTotal = this.routeTotal;
    out.staleRoutes = this.staleRoutes;
    out.outcomes = this.outcomes;
    out.filteredRoutes = this.filteredRoutes;
    this.current = createIdTable(this.isIpv4);
    this.stale = undefined;
    this.multi = new Pool<Route[]>();
    this.routeTotal = 0;
    this.staleRoutes = 0;
    this.outcomes = new Map();
    this.filteredRoutes = 0;
    return out;
  }

  /**
   * `drain` in slices: visits (and takes out) the routes of up to `maxPrefixes` more
   * prefix entries, fresh ones first; returns how many it visited. `size` drops as it
   * goes: the table is empty at 0. Only `drainSome` and `takeAccepted` may be called
   * until then. `routes` is valid during its visit only (one array serves every
   * single-route prefix: no garbage per prefix).
   */
  drainSome(maxPrefixes: number, visit: (key: PrefixKey, routes: readonly Route[]) => void): number {
    let walk = this.drainWalk;
    if (walk === undefined) {
      walk = this.drainWalk = { cursor: this.current.cursor(), isStale: false };
      this.current = createIdTable(this.isIpv4);
    }
    const multi = this.multi;
    const single: Route[] = [];
    const each = (id: number, key: PrefixKey): void => {
      let routes: Route[];
      if (id > 0) {
        single[0] = this.routes.get(id);
        routes = single;
      } else {
        routes = multi.get(-id);
      }
      this.routeTotal -= routes.length;
      if (walk!.isStale) this.staleRoutes -= routes.length;
      visit(key, routes);
    };
    let left = maxPrefixes;
    for (;;) {
      left -= walk.cursor.next(left, each);
      if (left > 0 && !walk.isStale && this.stale !== undefined) {
        walk.cursor = this.stale.cursor();
        walk.isStale = true;
        this.stale = undefined;
        continue;
      }
      if (left === 0) return maxPrefixes;
      break;
    }
    this.drainWalk = undefined;
    this.multi = new Pool<Route[]>();
    this.routeTotal = 0;
    this.staleRoutes = 0;
    this.outcomes = new Map();
    this.filteredRoutes = 0;
    return maxPrefixes - left;
  }

  /**
   * Marks every route stale (the session went down and the peer may restart gracefully,
   * RFC 4724 4.2): they stay usable until announced again or swept.
   */
  markStale(): void {
    const stale = this.stale;
    if (stale === undefined || stale.size === 0) {
      this.stale = this.current;
    } else {
      // Fresh and stale never hold the same (prefix, path id): merging replaces nothing.
      this.forEachIn(this.current, (key, routes) => {
        for (const r of routes) this.putIn(stale, key, r);
      });
    }
    this.current = createIdTable(this.isIpv4);
    this.staleRoutes = this.routeTotal;
  }

  /**
   * Stores a route as stale (it must have its id; its prefix and path id are not held):
   * a stale route put back with new attributes (LLGR_STALE, RFC 9494 4.3).
   */
  putStale(key: PrefixKey, route: Route): void {
    this.stale ??= createIdTable(this.isIpv4);
    if (this.putIn(this.stale, key, route) !== undefined) throw new Error('putStale: the prefix and path id are held already');
    this.staleRoutes++;
    this.routeTotal++;
  }

  /** Takes out every route still stale; visits each prefix with its stale routes. */
  sweepStale(visit: (key: PrefixKey, routes: readonly Route[]) => void): void {
    const stale = this.stale;
    if (stale === undefined) return;
    this.stale = undefined;
    this.routeTotal -= this.staleRoutes;
    this.staleRoutes = 0;
    this.forEachIn(stale, (key, routes) => {
      visit(key, routes);
      const id = stale.get(key);
      if (id < 0) this.multi.remove(-id);
    });
  }

  private forEachIn(table: IdTable, visit: (key: PrefixKey, routes: readonly Route[]) => void): void {
    table.forEach((id, key) => visit(key, id > 0 ? [this.routes.get(id)] : [...this.multi.get(-id)]));
  }

  private findIn(id: number, pathId: number): Route | undefined {
    if (id === 0) return undefined;
    if (id > 0) {
      const r = this.routes.get(id);
      return r.pathId === pathId ? r : undefined;
    }
    for (const r of this.multi.get(-id)) if (r.pathId === pathId) return r;
    return undefined;
  }

  /** Removes the route of `pathId` from a table entry; returns it. */
  private takeFrom(table: IdTable, key: PrefixKey, pathId: number): Route | undefined {
    const id = table.get(key);
    if (id === 0) return undefined;
    if (id > 0) {
      const r = this.routes.get(id);
      if (r.pathId !== pathId) return undefined;
      table.delete(key);
      return r;
    }
    const list = this.multi.get(-id);
    const i = list.findIndex((r) => r.pathId === pathId);
    if (i < 0) return undefined;
    const [route] = list.splice(i, 1);
    if (list.length === 1) {
      this.multi.remove(-id);
      table.set(key, list[0]!.id);
    }
    return route;
  }

  /** Stores `route`, replacing the route of its path id if any; returns the replaced one. */
  private putIn(table: IdTable, key: PrefixKey, route: Route): Route | undefined {
    const id = table.get(key);
    if (id === 0) {
      table.set(key, route.id);
      return undefined;
    }
    if (id > 0) {
      const r = this.routes.get(id);
      if (r.pathId === route.pathId) {
        table.set(key, route.id);
        return r;
      }
      table.set(key, -this.multi.add([r, route]));
      return undefined;
    }
    const list = this.multi.get(-id);
    for (let i = 0; i < list.length; i++) {
      if (list[i]!.pathId === route.pathId) {
        const old = list[i]!;
        list[i] = route;
        return old;
      }
    }
    list.push(route);
    return undefined;
  }
}
