// The Loc-RIB of one family (RFC 4271 3.2, 9.1.2): per prefix every candidate route, the
// most preferred one and its multipath set. A prefix with one route stores that Route
// itself; only prefixes with several routes get a PathSet. Selection is incremental where
// deterministic MED allows it and falls back to a full pass over the prefix's routes.

import type { FamilyKey } from '../wire/context.js';
import {
  compareTieBreak,
  decide,
  explainBest,
  isMultipathPeer,
  maximumPaths,
  noRoutes,
  selectMultipath,
  selectTop,
  type BestReason,
  type DecisionOptions,
  type MultipathOptions,
} from './best-path.js';
import type { PrefixKey } from './prefix-key.js';
import { Pool, createIdTable, type IdTable } from './prefix-table.js';
import { Route } from './route.js';

/** The routes of a prefix that has more than one. */
export class PathSet {
  /** Id in the Loc-RIB's pool of sets. */
  id = 0;

  constructor(
    /** Every candidate, in no particular order. */
    readonly paths: Route[],
    /** The most preferred route, reachable or not. */
    public top: Route,
    /** The multipath set (best first); replaced, never mutated, so old events stay true. */
    public multipath: readonly Route[],
  ) {}
}

/** What the Loc-RIB holds for a prefix. */
export type LocValue = Route | PathSet;

/** The best route of a prefix: the top route if its next hop resolves (RFC 4271 9.1.2.1). */
export function bestOf(value: LocValue | undefined): Route | undefined {
  if (value === undefined) return undefined;
  const top = value instanceof Route ? value : value.top;
  return top.attrs.isReachable ? top : undefined;
}

/** The multipath set of a prefix (always holds the best, empty without one). */
export function multipathOf(value: LocValue | undefined): readonly Route[] {
  if (value === undefined) return noRoutes;
  if (value instanceof Route) return value.attrs.isReachable ? [value] : noRoutes;
  return value.multipath;
}

/** Every route of a prefix. */
export function pathsOf(value: LocValue | undefined): readonly Route[] {
  if (value === undefined) return noRoutes;
  return value instanceof Route ? [value] : value.paths;
}

/** A change of a prefix's best route or multipath set, as the change feed publishes it. */
export interface RibChange {
  readonly family: FamilyKey;
  readonly key: PrefixKey;
  /** The new best route; undefined when the prefix has no usable route any more. */
  readonly best: Route | undefined;
  /** The new multipath set, best first (empty when `best` is undefined). */
  readonly multipath: readonly Route[];
  readonly previousBest: Route | undefined;
  readonly previousMultipath: readonly Route[];
}

export function sameRoutes(a: readonly Route[], b: readonly Route[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class LocRib {
  /** Prefix key to a route id (one route) or minus a PathSet id (several). */
  private readonly table: IdTable;
  /** Every route of the family, Adj-RIBs-In included, by id. */
  readonly routes = new Pool<Route>();
  private readonly sets = new Pool<PathSet>();
  private routeTotal = 0;

  constructor(
    readonly family: FamilyKey,
    isIpv4: boolean,
    private readonly options: DecisionOptions,
    private readonly multipath: MultipathOptions,
  ) {
    this.table = createIdTable(isIpv4);
  }

  /** Prefixes with at least one route. */
  get size(): number {
    return this.table.size;
  }

  /** Routes of all prefixes. */
  get routeCount(): number {
    return this.routeTotal;
  }

  /** Gives a new route its id; the family's tables can hold it from then on. */
  register(route: Route): void {
    route.id = this.routes.add(route);
  }

  /** Frees a route's id once no table holds it. */
  unregister(route: Route): void {
    this.routes.remove(route.id);
    route.id = 0;
  }

  get(key: PrefixKey): LocValue | undefined {
    return this.decode(this.table.get(key));
  }

  private decode(id: number): LocValue | undefined {
    if (id === 0) return undefined;
    return id > 0 ? this.routes.get(id) : this.sets.get(-id);
  }

  /** Visits every prefix in table order; the Loc-RIB must not change during the visit. */
  forEach(visit: (value: LocValue, key: PrefixKey) => void): void {
    this.table.forEach((id, key) => visit(this.decode(id)!, key));
  }

  /** The prefixes, in table order (a copy). */
  keys(): PrefixKey[] {
    return this.table.keys();
  }

  /**
   * Adds `added` and/or removes `removed` (a route of the same peer and path id being
   * replaced, or withdrawn) for one prefix, and reselects; returns what the prefix holds
   * now. `value` is what it held, when the caller has already looked it up. `added`
   * must be registered.
   */
  apply(key: PrefixKey, added: Route | undefined, removed: Route | undefined, value: LocValue | undefined = this.get(key)): LocValue | undefined {
    const table = this.table;
    if (added !== undefined && removed === undefined) this.routeTotal++;
    else if (added === undefined && removed !== undefined) this.routeTotal--;
    if (value === undefined) {
      if (removed !== undefined) throw new Error('Loc-RIB: removing a route of a prefix it does not hold');
      if (added !== undefined) table.set(key, added.id);
      return added;
    }
    if (value instanceof Route) {
      if (value === removed) {
        if (added !== undefined) table.set(key, added.id);
        else table.delete(key);
        return added;
      }
      if (removed !== undefined) throw new Error('Loc-RIB: removing a route the prefix does not hold');
      if (added === undefined) return value;
      const paths = [value, added];
      const top = selectTop(paths, this.options)!;
      const set = new PathSet(paths, top, selectMultipath(top, paths, this.options, this.multipath));
      set.id = this.sets.add(set);
      table.set(key, -set.id);
      return set;
    }
    const paths = value.paths;
    if (removed !== undefined) {
      const i = paths.indexOf(removed);
      if (i < 0) throw new Error('Loc-RIB: removing a route the prefix does not hold');
      paths[i] = paths[paths.length - 1]!;
      paths.pop();
    }
    if (added !== undefined) paths.push(added);
    if (paths.length === 1) {
      this.sets.remove(value.id);
      table.set(key, paths[0]!.id);
      return paths[0];
    }
    this.reselect(value, added, removed);
    return value;
  }

  /** Runs the whole selection again for a prefix (e.g. after a next hop's reachability changed). */
  recompute(key: PrefixKey): void {
    const value = this.get(key);
    if (!(value instanceof PathSet)) return;
    value.top = selectTop(value.paths, this.options)!;
    value.multipath = selectMultipath(value.top, value.paths, this.options, this.multipath);
  }

  /** Why the prefix's best route is best; undefined when it has none. */
  reason(key: PrefixKey): BestReason | undefined {
    const value = this.get(key);
    const best = bestOf(value);
    if (best === undefined) return undefined;
    return value instanceof PathSet ? explainBest(best, value.paths, this.options) : 'only-path';
  }

  private reselect(set: PathSet, added: Route | undefined, removed: Route | undefined): void {
    const o = this.options;
    const previousTop = set.top;
    let top: Route | undefined = previousTop;
    // Removing the top, or a route that may be its AS's winner, can promote a route that
    // lost only on MED to it: without a total order only a full pass is safe.
    if (removed !== undefined && (removed === previousTop || (!o.alwaysCompareMed && removed.attrs.neighborAs !== previousTop.attrs.neighborAs))) top = undefined;
    if (top !== undefined && added !== undefined) top = this.topAfterInsert(set.paths, top, added);
    if (top === undefined) top = selectTop(set.paths, o)!;
    set.top = top;

    const previous = set.multipath;
    if (top !== previousTop || (removed !== undefined && previous.includes(removed))) {
      set.multipath = selectMultipath(top, set.paths, o, this.multipath);
    } else if (added !== undefined && previous.length > 0 && maximumPaths(top, this.multipath) > 1 && isMultipathPeer(added, top, o, this.multipath)) {
      set.multipath = insertByTieBreak(previous, added, maximumPaths(top, this.multipath), o);
    }
  }

  /**
   * The top after `added` joined `paths` whose top was `top`; undefined when only a full
   * pass can tell (the newcomer beat the top on MED alone).
   */
  private topAfterInsert(paths: readonly Route[], top: Route, added: Route): Route | undefined {
    const o = this.options;
    if (o.alwaysCompareMed) return decide(added, top, o, true) < 0 ? added : top;
    const as = added.attrs.neighborAs;
    if (as === top.attrs.neighborAs) {
      if (decide(added, top, o, true) > 0) return top;
      return decide(added, top, o, false) < 0 ? added : undefined;
    }
    // Another AS: the newcomer wins only by beating the top without MED and being its own
    // AS's winner (with MED); otherwise that AS's winner, which lost to the top, stays.
    if (decide(added, top, o, false) > 0) return top;
    for (const p of paths) if (p !== added && p.attrs.neighborAs === as && decide(p, added, o, true) < 0) return top;
    return added;
  }
}

/** `list` (best first, then tie-break order) with `route` in its place, cut at `max`. */
function insertByTieBreak(list: readonly Route[], route: Route, max: number, options: DecisionOptions): readonly Route[] {
  let i = 1;
  while (i < list.length && compareTieBreak(list[i]!, route, options) < 0) i++;
  if (i >= max) return list;
  const out = list.slice(0, i);
  out.push(route);
  for (let j = i; j < list.length && out.length < max; j++) out.push(list[j]!);
  return out;
}
