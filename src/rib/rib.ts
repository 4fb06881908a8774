// The RIB (RFC 4271 3.2, 9): an Adj-RIB-In per peer and family, a Loc-RIB per family, and
// the change feed of best routes and multipath sets. It is the UpdateSink sessions hand
// their UPDATEs to (RFC 7606 actions included), and takes locally originated routes.
// A peer's import policy (RFC 4271 9.1.1) runs between its Adj-RIB-In, which keeps routes
// as received, and the Loc-RIB, which sees them as the policy left them.

import { Afi, Safi, parseAddress, parsePrefix, type Prefix } from '../lib/address.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { familyKey, type FamilyKey } from '../wire/context.js';
import { ErrorAction } from '../wire/errors.js';
import type { NlriList } from '../wire/nlri.js';
import type { PathAttributes } from '../wire/attributes/types.js';
import { AttrType } from '../wire/attributes/types.js';
import type { UpdateMessage } from '../wire/update.js';
import { AdjRibIn } from './adj-rib-in.js';
import { AttrCharge, AttrStore, allReachable, isSameContent, uint32, type AttrSet, type NextHopResolver } from './attr-store.js';
import { routeBytes } from './memory-estimate.js';
import { defaultDecisionOptions, noMultipath, noRoutes, selectTop, type BestReason, type DecisionOptions, type MultipathOptions } from './best-path.js';
import { LocRib, bestOf, multipathOf, pathsOf, sameRoutes, type LocValue, type RibChange } from './loc-rib.js';
import { comparePrefixKeys, formatPrefixKey, ipv4KeyRaw, ipv6KeyRaw, prefixKey, type PrefixKey } from './prefix-key.js';
import type { ImportPolicy, ImportPolicyOf, ImportRoute } from './import-policy.js';
import { RibPeer, Route, createRoute, tickMs } from './route.js';
import { markLlgrStaleIn, type LlgrOps, type LlgrStaleCounts } from './llgr.js';
import type { PeerInfo, UpdateSink } from './sink.js';

export type { RibChange } from './loc-rib.js';
export type { LlgrStaleCounts } from './llgr.js';
export type { Route } from './route.js';
export type { ImportPolicy, ImportPolicyOf, ImportRoute } from './import-policy.js';

export interface RibOptions {
  readonly decision?: Partial<DecisionOptions>;
  /** Multipath limits; off unless given. */
  readonly multipath?: Partial<MultipathOptions>;
  /** Whether a next hop can be reached (RFC 4271 9.1.2.1); every one can by default. */
  readonly resolveNextHop?: NextHopResolver;
  readonly clock?: Clock;
  /** This speaker's BGP Identifier: the router ID of its own routes. */
  readonly routerId?: Uint8Array | string;
  readonly localAs?: number;
  /** Each peer's import policy, asked when its session is established; none by default. */
  readonly importPolicy?: ImportPolicyOf;
  /**
   * How a large removal (a session down, a family disabled) is cut into slices, each
   * run from the clock's timer so other work runs in between: at most `prefixes` prefixes
   * and about `ms` milliseconds of the clock per slice. Defaults: 32,768 and 20 ms.
   */
  readonly removalSlice?: { readonly prefixes?: number; readonly ms?: number };
}

/** Gets every change of one UPDATE (or one larger operation, in chunks) at once. */
export type RibListener = (changes: readonly RibChange[]) => void;

/** A prefix whose candidate routes changed in any way, not only its best route or multipath set. */
export interface PathChange {
  readonly family: FamilyKey;
  readonly key: PrefixKey;
}

/** Gets the prefixes whose routes changed, batched as RibListener's changes; a prefix may come twice. */
export type PathListener = (changes: readonly PathChange[]) => void;

/** A prefix of the Loc-RIB, as queries return it. */
export interface LocRibEntry {
  readonly family: FamilyKey;
  readonly key: PrefixKey;
  /** The prefix as text. */
  readonly prefix: string;
  readonly best: Route | undefined;
  readonly multipath: readonly Route[];
  /** Every candidate route. */
  readonly paths: readonly Route[];
  /** The step that made `best` win over the runner-up. */
  readonly reason: BestReason | undefined;
}

/** A peer's counts for one family. */
export interface PeerFamilyCounts {
  /** Routes in its Adj-RIB-In (stale ones included). */
  readonly received: number;
  /** Those of them import policy let into the Loc-RIB. */
  readonly accepted: number;
  /** Routes kept from before a graceful restart, not yet announced again. */
  readonly stale: number;
}

interface PeerState {
  peer: RibPeer;
  readonly adj: Map<FamilyKey, AdjRibIn>;
  /** Families turned off by RFC 7606 / RFC 4760 7 "AFI/SAFI disable" on this session. */
  readonly disabled: Set<FamilyKey>;
  readonly endOfRib: Set<FamilyKey>;
  /** Undefined when every route passes unchanged. */
  importPolicy: ImportPolicy | undefined;
  /** The attribute sets its routes made (the Rib's `charges` entry for its address). */
  readonly charge: AttrCharge;
}

const ipv4Unicast = familyKey(Afi.ipv4, Safi.unicast);
/** Changes held before a long operation (peer down, sweep) hands them out. */
const chunkSize = 8192;
/** Prefixes removed between two looks at the clock during a removal slice. */
const removalStep = 2048;

/** An Adj-RIB-In taken out of its peer, being emptied slice by slice. */
interface Removal {
  readonly adj: AdjRibIn;
  readonly loc: LocRib;
  /** Fresh and stale routes (ADD-PATH) can visit a prefix twice: changes need merging. */
  readonly mayRepeat: boolean;
}
const noNextHop = new Uint8Array(0);

export class Rib implements UpdateSink {
  readonly decision: DecisionOptions;
  readonly multipath: MultipathOptions;
  readonly attrStore: AttrStore;
  private readonly clock: Clock;
  private readonly originMs: number;
  private readonly locs = new Map<FamilyKey, LocRib>();
  private readonly peers = new Map<string, PeerState>();
  /**
   * What each peer's attribute sets cost, by address: kept while sets charged to a peer
   * that went down are still alive (its routes leave in slices, or a new session holds
   * the same sets), so that a peer coming back is charged for them.
   */
  private readonly charges = new Map<string, AttrCharge>();
  private readonly local: PeerState;
  private listeners: RibListener[] = [];
  private changes: RibChange[] = [];
  private pathListeners: { readonly listener: PathListener; readonly isActive: () => boolean }[] = [];
  private pathChanges: PathChange[] = [];
  /** Some path listener is active in the current operation. */
  private isRecordingPaths = false;
  private isRecording = false;
  /** A prefix may have been changed twice in the pending changes: merge before handing out. */
  private mayRepeat = false;
  private sectionsInBatch = 0;
  private lastInfo: PeerInfo | undefined;
  private lastState: PeerState | undefined;
  private readonly importPolicyOf: ImportPolicyOf | undefined;
  private readonly removals: Removal[] = [];
  private cancelRemovals: (() => void) | undefined;
  private readonly slicePrefixes: number;
  private readonly sliceMs: number;
  /** Time spent on removals started by peers going down in this turn of the event loop. */
  private turnSpentMs = 0;
  private isTurnResetQueued = false;
  /**
   * The set interned for the last route import policy changed, with what it was interned
   * from: routes of one UPDATE usually leave the policy alike, and this spares each
   * of them the content key. Cleared after each operation.
   */
  private importMemo: { readonly from: AttrSet; readonly route: ImportRoute; readonly set: AttrSet } | undefined;

  constructor(options: RibOptions = {}) {
    this.decision = { ...defaultDecisionOptions, ...options.decision };
    this.multipath = { ...noMultipath, ...options.multipath };
    this.attrStore = new AttrStore(options.resolveNextHop ?? allReachable);
    this.clock = options.clock ?? systemClock;
    this.originMs = this.clock.now();
    const routerId = options.routerId === undefined ? 0 : uint32(typeof options.routerId === 'string' ? parseAddress(options.routerId) : options.routerId);
    const peer = new RibPeer('local', noNextHop, options.localAs ?? 0, routerId, false, true);
    this.local = { peer, adj: new Map(), disabled: new Set(), endOfRib: new Set(), importPolicy: undefined, charge: new AttrCharge() };
    this.importPolicyOf = options.importPolicy;
    this.slicePrefixes = Math.max(1, options.removalSlice?.prefixes ?? 32768);
    this.sliceMs = options.removalSlice?.ms ?? 20;
  }

  /** Adds a listener of the change feed; returns its removal. */
  subscribe(listener: RibListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Adds a listener of every prefix whose routes changed, a route that is neither best
   * nor in the multipath set included (ADD-PATH send, RFC 7911); returns its removal.
   * `isActive`, asked at the start of each operation, spares the recording while no
   * one needs it.
   */
  subscribePaths(listener: PathListener, isActive: () => boolean = () => true): () => void {
    const entry = { listener, isActive };
    this.pathListeners = [...this.pathListeners, entry];
    return () => {
      this.pathListeners = this.pathListeners.filter((l) => l !== entry);
    };
  }

  // ---- UpdateSink

  onEstablished(info: PeerInfo): void {
    const state = this.peers.get(info.address);
    const peer = ribPeerOf(info);
    const importPolicy = this.askImportPolicy(info);
    if (state === undefined) {
      this.peers.set(info.address, { peer, adj: new Map(), disabled: new Set(), endOfRib: new Set(), importPolicy, charge: this.chargeOf(info.address) });
    } else {
      // Stale routes of a restarting peer keep the RibPeer they came with; new ones get this.
      if (!isSamePeer(state.peer, peer)) state.peer = peer;
      state.disabled.clear();
      state.endOfRib.clear();
      // Stale routes keep the outcome of the policy they came in under until announced again.
      state.importPolicy = importPolicy;
    }
    this.lastInfo = undefined;
  }

  onUpdate(info: PeerInfo, update: UpdateMessage): void {
    const state = this.stateOf(info);
    this.begin();
    const attributes = update.attributes;
    const action = update.action;
    if (action === ErrorAction.afiSafiDisable) for (const family of disabledFamilies(update, state)) this.disableIn(state, family);
    // RFC 7606 2: the NLRI of an UPDATE with a treat-as-withdraw fault are withdrawn;
    // when a family was disabled too, that fault may hide behind the stronger action.
    const isWithdrawAll = action === ErrorAction.treatAsWithdraw || (action === ErrorAction.afiSafiDisable && update.faults.some((f) => f.action === ErrorAction.treatAsWithdraw));
    // RFC 4271 4.3 / 9: withdrawals first, so a prefix also in the NLRI ends up announced.
    this.withdrawList(state, ipv4Unicast, update.withdrawn);
    const unreach = attributes.mpUnreach;
    if (unreach !== undefined) this.withdrawList(state, familyKey(unreach.afi, unreach.safi), unreach.withdrawn);
    const reach = attributes.mpReach;
    if (isWithdrawAll) {
      this.withdrawList(state, ipv4Unicast, update.nlri);
      if (reach !== undefined) this.withdrawList(state, familyKey(reach.afi, reach.safi), reach.nlri);
    } else {
      this.announceList(state, ipv4Unicast, update.nlri, update.attrKey, attributes, attributes.nextHop, undefined);
      if (reach !== undefined) this.announceList(state, familyKey(reach.afi, reach.safi), reach.nlri, update.attrKey, attributes, reach.nextHop, reach.linkLocalNextHop);
    }
    this.flush();
  }

  /** RFC 4724 4.2: End-of-RIB ends a restart for the family; what stayed stale goes. */
  onEndOfRib(info: PeerInfo, family: FamilyKey): void {
    const state = this.stateOf(info);
    state.endOfRib.add(family);
    this.sweepStale(info.address, family);
  }

  /**
   * Removes everything the peer sent. For graceful restart call `markStale` instead, then
   * `sweepStale` (End-of-RIB does it per family) or `onPeerDown` when the restart fails.
   * The peer is forgotten at once (a new session starts afresh); its routes leave the
   * Loc-RIB in slices (`removalSlice`), the first one now, the rest from the clock's
   * timer, so a full table never blocks the process: see `pendingRemovals` and `settle`.
   */
  onPeerDown(info: PeerInfo | string, _reason?: string): void {
    const address = typeof info === 'string' ? info : info.address;
    const state = this.peers.get(address);
    if (state === undefined) return;
    this.peers.delete(address);
    this.lastInfo = undefined;
    for (const adj of state.adj.values()) this.queueRemoval(adj);
    if (this.removals.length === 0) this.forgetSpentCharges();
    // Hundreds of sessions can end in one turn (a switch fails): the first slices run
    // now, and once they have taken a slice's time the rest wait for the timer, so the
    // turn stays short. Only real time counts (a ManualClock never defers).
    if (this.turnSpentMs >= this.sliceMs) {
      this.scheduleSlice();
      return;
    }
    const startMs = this.clock.now();
    this.removeSlice();
    this.turnSpentMs += this.clock.now() - startMs;
    if (!this.isTurnResetQueued) {
      this.isTurnResetQueued = true;
      setImmediate(() => {
        this.turnSpentMs = 0;
        this.isTurnResetQueued = false;
      });
    }
  }

  /** Routes of downed peers (or disabled families) still in the Loc-RIB, to be removed. O(removals). */
  get pendingRemovals(): number {
    let n = 0;
    for (const r of this.removals) n += r.adj.size;
    return n;
  }

  /** Finishes every pending removal now (e.g. before a shutdown or in tests). */
  settle(): void {
    this.cancelRemovals?.();
    this.cancelRemovals = undefined;
    if (this.removals.length === 0) return;
    this.begin();
    try {
      while (this.removals.length > 0) this.removeSome(Infinity);
      this.forgetSpentCharges();
    } finally {
      this.flush();
    }
  }

  // ---- graceful restart

  /** Keeps the peer's routes as stale (RFC 4724 4.2) for the given families, or all. */
  markStale(peer: PeerInfo | string, families?: Iterable<FamilyKey>): void {
    const state = this.peers.get(typeof peer === 'string' ? peer : peer.address);
    if (state === undefined) return;
    const wanted = families === undefined ? undefined : new Set(families);
    for (const [family, adj] of state.adj) if (wanted === undefined || wanted.has(family)) adj.markStale();
  }

  /** Removes the peer's routes of the family that are still stale; returns how many. */
  sweepStale(peer: PeerInfo | string, family: FamilyKey): number {
    const state = this.peers.get(typeof peer === 'string' ? peer : peer.address);
    const adj = state?.adj.get(family);
    if (adj === undefined || adj.staleSize === 0) return 0;
    const loc = this.locs.get(family)!;
    let removed = 0;
    this.begin();
    adj.sweepStale((key, routes) => {
      removed += routes.length;
      this.removeRoutes(adj, loc, key, routes);
    });
    this.flush();
    return removed;
  }

  /**
   * Long-lived graceful restart (RFC 9494 4.3): the peer's stale routes of the family
   * get LLGR_STALE added to their communities (which depreferences them), those carrying
   * NO_LLGR go. They stay stale: End-of-RIB or `sweepStale` still removes them.
   */
  markLlgrStale(peer: PeerInfo | string, family: FamilyKey): LlgrStaleCounts {
    const state = this.peers.get(typeof peer === 'string' ? peer : peer.address);
    const adj = state?.adj.get(family);
    if (adj === undefined || adj.staleSize === 0) return { kept: 0, dropped: 0 };
    return markLlgrStaleIn(this.llgrOps(), adj, this.locs.get(family)!);
  }

  /** Withdraws every route of the family from the peer and ignores the family until the session restarts. */
  disableFamily(peer: PeerInfo | string, family: FamilyKey): void {
    const state = this.peers.get(typeof peer === 'string' ? peer : peer.address);
    if (state !== undefined) this.disableIn(state, family);
  }

  private disableIn(state: PeerState, family: FamilyKey): void {
    state.disabled.add(family);
    const adj = state.adj.get(family);
    if (adj === undefined) return;
    this.queueRemoval(adj);
    this.removeSlice();
  }

  // ---- import policy

  /**
   * Sets a peer's import policy (undefined: none) for what it sends from now on;
   * `reapplyImport` runs it over what the peer sent before. False when the RIB does not
   * know the peer: it asks the options' `importPolicy` when the session comes up.
   */
  setImportPolicy(peer: PeerInfo | string, policy: ImportPolicy | undefined): boolean {
    const state = this.peers.get(typeof peer === 'string' ? peer : peer.address);
    if (state === undefined) return false;
    state.importPolicy = policy === undefined || policy.isPassThrough ? undefined : policy;
    return true;
  }

  /**
   * Runs the peer's import policy again over its Adj-RIB-In as received, the peer
   * resending nothing (a soft reset in): routes it rejects now leave the Loc-RIB, those
   * it accepts or changes otherwise compete as it leaves them now. Returns how many
   * routes' outcome changed. Walks the peer's whole Adj-RIB-In: call it when the policy
   * changed, not per route.
   */
  reapplyImport(peer: PeerInfo | string): number {
    const state = this.peers.get(typeof peer === 'string' ? peer : peer.address);
    if (state === undefined) return 0;
    const policy = state.importPolicy;
    let changed = 0;
    this.begin();
    // With ADD-PATH or stale routes a prefix can change twice: merge before handing out.
    this.mayRepeat = true;
    for (const adj of state.adj.values()) {
      const loc = this.locs.get(adj.family)!;
      const held: { readonly key: PrefixKey; readonly route: Route }[] = [];
      adj.forEach((route, key) => held.push({ key, route }));
      for (const { key, route } of held) {
        const before = adj.acceptedOf(route);
        const after = policy === undefined ? route : this.runImport(loc, key, route, policy);
        if (after !== undefined && before !== undefined && after !== route && after.attrs === before.attrs) {
          // The same outcome: the Loc-RIB keeps the route it has (and its place).
          this.attrStore.release(after.attrs);
          loc.unregister(after);
          continue;
        }
        if (after === before) continue;
        adj.setAccepted(route, after);
        this.select(loc, key, after, before);
        if (before !== undefined && before !== route) this.freeRoute(loc, before);
        changed++;
      }
    }
    this.importMemo = undefined;
    this.flush();
    return changed;
  }

  // ---- local routes

  /** Originates a route (or replaces this speaker's route for the prefix). */
  originate(prefix: Prefix | string, attributes: PathAttributes, safi: number = Safi.unicast): void {
    const p = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
    const family = familyKey(p.afi, safi);
    const nextHop = attributes.nextHop ?? attributes.mpReach?.nextHop ?? noNextHop;
    const attrs = this.attrStore.internLocal(attributes, nextHop);
    const loc = this.locOf(family);
    if (loc === undefined) throw new Error(`cannot originate ${formatPrefixKey(prefixKey(p))}: no RIB for AFI ${p.afi}`);
    this.begin();
    this.announce(this.local.peer, this.adjOf(this.local, loc), loc, prefixKey(p), 0, attrs, this.tick());
    this.attrStore.dropIfUnused(attrs);
    this.flush();
  }

  /** Withdraws this speaker's route for the prefix. */
  withdrawLocal(prefix: Prefix | string, safi: number = Safi.unicast): void {
    const p = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
    const family = familyKey(p.afi, safi);
    const adj = this.local.adj.get(family);
    if (adj === undefined) return;
    this.begin();
    this.withdraw(adj, this.locs.get(family)!, prefixKey(p), 0);
    this.flush();
  }

  // ---- next hops

  /**
   * Asks the resolver (a new one if given) about every next hop again and reselects the
   * prefixes whose routes changed reachability. Walks the whole RIB: call it when the
   * resolver's answers changed, not per route.
   */
  revalidateNextHops(resolver?: NextHopResolver): number {
    const changed = new Set<AttrSet>(this.attrStore.reachabilityChanges(resolver));
    if (changed.size === 0) return 0;
    const affected: { loc: LocRib; key: PrefixKey; previousBest: Route | undefined; previousMultipath: readonly Route[] }[] = [];
    for (const loc of this.locs.values()) {
      loc.forEach((value, key) => {
        if (pathsOf(value).some((r) => changed.has(r.attrs))) affected.push({ loc, key, previousBest: bestOf(value), previousMultipath: multipathOf(value) });
      });
    }
    for (const set of changed) set.isReachable = !set.isReachable;
    this.begin();
    for (const a of affected) {
      a.loc.recompute(a.key);
      this.record(a.loc, a.key, a.previousBest, a.previousMultipath, a.loc.get(a.key));
    }
    this.flush();
    return affected.length;
  }

  // ---- queries

  /** The Loc-RIB entry of a prefix (unicast unless `safi` says otherwise). */
  get(prefix: Prefix | string, safi: number = Safi.unicast): LocRibEntry | undefined {
    const p = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
    return this.entry(familyKey(p.afi, safi), prefixKey(p));
  }

  /** The Loc-RIB entry of a prefix key. */
  entry(family: FamilyKey, key: PrefixKey): LocRibEntry | undefined {
    const loc = this.locs.get(family);
    const value = loc?.get(key);
    if (loc === undefined || value === undefined) return undefined;
    return { family, key, prefix: formatPrefixKey(key), best: bestOf(value), multipath: multipathOf(value), paths: pathsOf(value), reason: loc.reason(key) };
  }

  /**
   * Visits every prefix of the family that has a best route, in table (hash) order, without
   * allocating: for bulk consumers such as a FIB resync.
   */
  forEachBest(family: FamilyKey, visit: (key: PrefixKey, best: Route, multipath: readonly Route[]) => void): void {
    this.locs.get(family)?.forEach((value, key) => {
      const best = bestOf(value);
      if (best !== undefined) visit(key, best, multipathOf(value));
    });
  }

  /**
   * Up to `count` usable routes of a prefix that `accept` takes, in decision order: the
   * best route and its multipath set, then each next one as the decision process would
   * pick it were those before gone. For ADD-PATH send (RFC 7911).
   */
  rankedPaths(family: FamilyKey, key: PrefixKey, count: number, accept: (r: Route) => boolean = () => true): Route[] {
    const value = this.locs.get(family)?.get(key);
    if (bestOf(value) === undefined || count <= 0) return [];
    const multipath = multipathOf(value);
    const ranked: Route[] = [];
    for (const r of multipath) if (ranked.length < count && accept(r)) ranked.push(r);
    let rest = pathsOf(value).filter((r) => r.attrs.isReachable && !multipath.includes(r) && accept(r));
    while (ranked.length < count && rest.length > 0) {
      const next = selectTop(rest, this.decision)!;
      ranked.push(next);
      rest = rest.filter((r) => r !== next);
    }
    return ranked;
  }

  /** The family's prefixes in prefix order (address, then length), from a snapshot of the keys. */
  *entries(family: FamilyKey): Generator<LocRibEntry> {
    const loc = this.locs.get(family);
    if (loc === undefined) return;
    for (const key of inPrefixOrder(loc.keys())) {
      const e = this.entry(family, key);
      if (e !== undefined) yield e;
    }
  }

  /** Prefixes in the family's Loc-RIB. O(1). */
  prefixCount(family: FamilyKey): number {
    return this.locs.get(family)?.size ?? 0;
  }

  /** Routes (all peers) in the family's Loc-RIB. O(1). */
  routeCount(family: FamilyKey): number {
    return this.locs.get(family)?.routeCount ?? 0;
  }

  /** A peer's counts for a family. O(1). */
  peerCounts(peer: PeerInfo | string, family: FamilyKey): PeerFamilyCounts {
    const state = peer === 'local' ? this.local : this.peers.get(typeof peer === 'string' ? peer : peer.address);
    const adj = state?.adj.get(family);
    const received = adj?.size ?? 0;
    return { received, accepted: received - (adj?.filteredSize ?? 0), stale: adj?.staleSize ?? 0 };
  }

  /**
   * The estimated bytes of what the peer's Adj-RIBs-In hold (memory-estimate.ts): its
   * routes of every family (stale ones included) at a fixed cost each, and the attribute
   * sets its routes made that are still alive. O(families): kept up to date as routes
   * and sets come and go.
   */
  adjRibInBytes(peer: PeerInfo | string): number {
    const address = typeof peer === 'string' ? peer : peer.address;
    let bytes = this.charges.get(address)?.bytes ?? 0;
    const state = this.peers.get(address);
    if (state !== undefined) for (const [family, adj] of state.adj) bytes += adj.size * routeBytes(family);
    return bytes;
  }

  /** Routes in the peer's Adj-RIBs-In, every family, stale ones included. O(families). */
  adjRibInRouteCount(peer: PeerInfo | string): number {
    const state = this.peers.get(typeof peer === 'string' ? peer : peer.address);
    let n = 0;
    if (state !== undefined) for (const adj of state.adj.values()) n += adj.size;
    return n;
  }

  /**
   * How many of `list`'s routes the peer's Adj-RIB-In does not hold yet (fresh or
   * stale): what storing them would add, for a limit checked before anything is stored.
   * Cheap when the table is empty or the list short; one lookup per route otherwise.
   */
  newRouteCount(peer: PeerInfo | string, family: FamilyKey, list: NlriList): number {
    if (list.count === 0) return 0;
    const adj = this.peers.get(typeof peer === 'string' ? peer : peer.address)?.adj.get(family);
    if (adj === undefined || adj.size === 0) return list.count;
    let added = 0;
    const keyOf = list.afi === Afi.ipv4 ? ipv4KeyRaw : ipv6KeyRaw;
    list.forEachRaw((bytes, offset, length, pathId) => {
      if (adj.find(keyOf(bytes, offset, length), pathId) === undefined) added++;
    });
    return added;
  }

  /**
   * Visits a peer's Adj-RIB-In for a family ("local" for originated routes): each route
   * as received, and `accepted`, the route import policy let into the Loc-RIB for it
   * (the route itself when unchanged, undefined when rejected: filtered).
   */
  /**
   * The prefixes of a peer's Adj-RIB-In ("local": this speaker's routes) in prefix order,
   * from a snapshot of the keys: a listing reads them with `adjRibInAt` a few at a time,
   * and a prefix gone in between just has no routes.
   */
  adjRibInKeys(peer: PeerInfo | string, family: FamilyKey): Iterable<PrefixKey> {
    const state = peer === 'local' ? this.local : this.peers.get(typeof peer === 'string' ? peer : peer.address);
    return inPrefixOrder(state?.adj.get(family)?.keys() ?? []);
  }

  /** The routes a peer's Adj-RIB-In holds for one prefix (fresh, then stale), as `forEachAdjRibIn` visits them. */
  adjRibInAt(peer: PeerInfo | string, family: FamilyKey, key: PrefixKey): { readonly route: Route; readonly isStale: boolean; readonly accepted: Route | undefined }[] {
    const state = peer === 'local' ? this.local : this.peers.get(typeof peer === 'string' ? peer : peer.address);
    const adj = state?.adj.get(family);
    if (adj === undefined) return [];
    return adj.routesAt(key).map((route) => ({ route, isStale: adj.staleSize > 0 && adj.isStale(key, route), accepted: adj.acceptedOf(route) }));
  }

  forEachAdjRibIn(peer: PeerInfo | string, family: FamilyKey, visit: (key: PrefixKey, route: Route, isStale: boolean, accepted: Route | undefined) => void): void {
    const state = peer === 'local' ? this.local : this.peers.get(typeof peer === 'string' ? peer : peer.address);
    const adj = state?.adj.get(family);
    adj?.forEach((route, key) => visit(key, route, adj.staleSize > 0 && adj.isStale(key, route), adj.acceptedOf(route)));
  }

  /** How long ago the route arrived, in milliseconds (to `tickMs`). */
  ageMs(route: Route): number {
    return Math.max(0, this.clock.now() - this.originMs - route.receivedTick * tickMs);
  }

  /** Addresses of the peers the RIB knows. */
  peerAddresses(): string[] {
    return [...this.peers.keys()];
  }

  /** True once the peer sent End-of-RIB for the family on its current session. */
  hasEndOfRib(peer: PeerInfo | string, family: FamilyKey): boolean {
    return this.peers.get(typeof peer === 'string' ? peer : peer.address)?.endOfRib.has(family) ?? false;
  }

  // ---- internals

  private askImportPolicy(info: PeerInfo): ImportPolicy | undefined {
    const policy = this.importPolicyOf?.(info);
    return policy === undefined || policy.isPassThrough ? undefined : policy;
  }

  private stateOf(info: PeerInfo): PeerState {
    if (info === this.lastInfo) return this.lastState!;
    let state = this.peers.get(info.address);
    if (state === undefined) {
      state = { peer: ribPeerOf(info), adj: new Map(), disabled: new Set(), endOfRib: new Set(), importPolicy: this.askImportPolicy(info), charge: this.chargeOf(info.address) };
      this.peers.set(info.address, state);
    }
    this.lastInfo = info;
    this.lastState = state;
    return state;
  }

  private chargeOf(address: string): AttrCharge {
    let charge = this.charges.get(address);
    if (charge === undefined) this.charges.set(address, (charge = new AttrCharge()));
    return charge;
  }

  /** Drops the charges of peers gone whose sets are all gone too. O(peers seen), once a removal is over. */
  private forgetSpentCharges(): void {
    for (const [address, charge] of this.charges) if (charge.bytes === 0 && !this.peers.has(address)) this.charges.delete(address);
  }

  /** The family's Loc-RIB; undefined for address families this RIB does not hold. */
  private locOf(family: FamilyKey): LocRib | undefined {
    let loc = this.locs.get(family);
    if (loc === undefined) {
      const afi = family >> 8;
      if (afi !== Afi.ipv4 && afi !== Afi.ipv6) return undefined;
      loc = new LocRib(family, afi === Afi.ipv4, this.decision, this.multipath);
      this.locs.set(family, loc);
    }
    return loc;
  }

  private adjOf(state: PeerState, loc: LocRib): AdjRibIn {
    let adj = state.adj.get(loc.family);
    if (adj === undefined) {
      adj = new AdjRibIn(loc.family, loc.family >> 8 === Afi.ipv4, loc.routes);
      state.adj.set(loc.family, adj);
    }
    return adj;
  }

  private tick(): number {
    return Math.floor((this.clock.now() - this.originMs) / tickMs);
  }

  private noteSection(list: NlriList): void {
    if (++this.sectionsInBatch > 1 || list.hasPathId) this.mayRepeat = true;
  }

  private announceList(state: PeerState, family: FamilyKey, list: NlriList, attrKey: Uint8Array, attributes: PathAttributes, nextHop: Uint8Array | undefined, linkLocalNextHop: Uint8Array | undefined): void {
    if (list.count === 0 || state.disabled.has(family)) return;
    // RFC 7606 3 (d): without its next hop a route cannot be used; the codec should have
    // asked for treat-as-withdraw already.
    if (nextHop === undefined) {
      this.withdrawList(state, family, list);
      return;
    }
    const loc = this.locOf(family);
    if (loc === undefined) return;
    this.noteSection(list);
    const adj = this.adjOf(state, loc);
    const attrs = this.attrStore.intern(attrKey, attributes, nextHop, linkLocalNextHop, state.peer.isEbgp, state.charge);
    const peer = state.peer;
    const tick = this.tick();
    const policy = state.importPolicy;
    if (list.afi === Afi.ipv4) list.forEachRaw((bytes, offset, length, pathId) => this.announce(peer, adj, loc, ipv4KeyRaw(bytes, offset, length), pathId, attrs, tick, policy));
    else list.forEachRaw((bytes, offset, length, pathId) => this.announce(peer, adj, loc, ipv6KeyRaw(bytes, offset, length), pathId, attrs, tick, policy));
    this.attrStore.dropIfUnused(attrs);
    this.importMemo = undefined;
  }

  private withdrawList(state: PeerState, family: FamilyKey, list: NlriList): void {
    if (list.count === 0) return;
    const adj = state.adj.get(family);
    if (adj === undefined || adj.size === 0) return;
    const loc = this.locs.get(family)!;
    this.noteSection(list);
    if (list.afi === Afi.ipv4) list.forEachRaw((bytes, offset, length, pathId) => this.withdraw(adj, loc, ipv4KeyRaw(bytes, offset, length), pathId));
    else list.forEachRaw((bytes, offset, length, pathId) => this.withdraw(adj, loc, ipv6KeyRaw(bytes, offset, length), pathId));
  }

  private announce(peer: RibPeer, adj: AdjRibIn, loc: LocRib, key: PrefixKey, pathId: number, attrs: AttrSet, tick: number, policy?: ImportPolicy): void {
    const route = createRoute(attrs, peer, pathId, tick);
    loc.register(route);
    const old = adj.put(key, route);
    if (old !== undefined && old.attrs === attrs && old.peer === peer) {
      // Nothing changed: keep the old route (and its age), fresh again if it was stale
      // (RFC 4724 4.2), with the policy's outcome for it. Storing first and undoing here
      // keeps the usual case to one lookup.
      adj.put(key, old);
      loc.unregister(route);
      return;
    }
    this.attrStore.retain(attrs);
    const accepted = policy === undefined ? route : this.runImport(loc, key, route, policy);
    if (accepted !== route) adj.setAccepted(route, accepted);
    const previous = old === undefined ? undefined : adj.takeAccepted(old);
    if (accepted !== undefined || previous !== undefined) this.select(loc, key, accepted, previous);
    if (old !== undefined) this.dropHeld(loc, old, previous);
  }

  private withdraw(adj: AdjRibIn, loc: LocRib, key: PrefixKey, pathId: number): void {
    const old = adj.remove(key, pathId);
    if (old === undefined) return;
    const accepted = adj.takeAccepted(old);
    if (accepted !== undefined) this.select(loc, key, undefined, accepted);
    this.dropHeld(loc, old, accepted);
  }

  /**
   * A held route through the import policy: the route itself when the policy leaves it
   * as received, undefined when it rejects it, else a new route (registered and holding
   * its attributes) with the changed attributes, of the same peer, path id and age.
   */
  private runImport(loc: LocRib, key: PrefixKey, route: Route, policy: ImportPolicy): Route | undefined {
    const attrs = route.attrs;
    const input: ImportRoute = { key, attributes: importInput(attrs), nextHop: attrs.nextHop };
    const out = policy.apply(input);
    if (out === undefined) return undefined;
    if (out === input || (out.attributes === input.attributes && out.nextHop === input.nextHop)) return route;
    const set = this.importedSet(attrs, out);
    const accepted = createRoute(set, route.peer, route.pathId, route.receivedTick);
    loc.register(accepted);
    this.attrStore.retain(set);
    return accepted;
  }

  private importedSet(from: AttrSet, out: ImportRoute): AttrSet {
    const memo = this.importMemo;
    if (memo !== undefined && memo.from === from && memo.set.refCount > 0 && isSameContent(memo.route.nextHop, out.nextHop) && isSameContent(memo.route.attributes, out.attributes)) return memo.set;
    // RFC 2545 3: a link-local next hop goes with the global one it came with.
    const linkLocal = isSameContent(out.nextHop, from.nextHop) ? from.linkLocalNextHop : undefined;
    // Charged as the received set is: the peer whose routes made both.
    const set = this.attrStore.internImported(out.attributes, out.nextHop, linkLocal, from.isEbgp, from.chargedTo);
    this.importMemo = { from, route: out, set };
    return set;
  }

  /** Frees a route that left its Adj-RIB-In, and the changed copy import policy made of it. */
  private dropHeld(loc: LocRib, held: Route, accepted: Route | undefined): void {
    this.freeRoute(loc, held);
    if (accepted !== undefined && accepted !== held) this.freeRoute(loc, accepted);
  }

  private freeRoute(loc: LocRib, route: Route): void {
    this.attrStore.release(route.attrs);
    loc.unregister(route);
  }

  private llgrOps(): LlgrOps {
    return {
      attrStore: this.attrStore,
      begin: () => {
        this.begin();
        this.mayRepeat = true;
      },
      select: (loc, key, added, removed) => this.select(loc, key, added, removed),
      dropHeld: (loc, held, accepted) => this.dropHeld(loc, held, accepted),
      flush: () => this.flush(),
    };
  }

  private select(loc: LocRib, key: PrefixKey, added: Route | undefined, removed: Route | undefined): void {
    const before = loc.get(key);
    if (!this.isRecording) {
      loc.apply(key, added, removed, before);
      return;
    }
    const previousBest = bestOf(before);
    const previousMultipath = multipathOf(before);
    this.record(loc, key, previousBest, previousMultipath, loc.apply(key, added, removed, before));
  }

  /** Takes several routes of one prefix out of `adj` at once (one change for the prefix). */
  private removeRoutes(adj: AdjRibIn, loc: LocRib, key: PrefixKey, routes: readonly Route[]): void {
    let value = loc.get(key);
    const previousBest = bestOf(value);
    const previousMultipath = this.isRecording ? multipathOf(value) : noRoutes;
    for (const r of routes) {
      const accepted = adj.takeAccepted(r);
      if (accepted !== undefined) value = loc.apply(key, undefined, accepted, value);
      this.dropHeld(loc, r, accepted);
    }
    if (this.isRecording) {
      this.record(loc, key, previousBest, previousMultipath, value);
      if (Math.max(this.changes.length, this.pathChanges.length) >= chunkSize && !this.mayRepeat) this.flush();
    }
  }

  /** Takes the routes out of `adj` (which stays in use, empty) to be removed in slices. */
  private queueRemoval(adj: AdjRibIn): void {
    if (adj.size === 0) return;
    const mayRepeat = adj.staleSize > 0 && adj.staleSize < adj.size;
    this.removals.push({ adj: adj.detach(), loc: this.locs.get(adj.family)!, mayRepeat });
  }

  /** One slice of the pending removals, its changes handed out; the next one on the timer. */
  private removeSlice(): void {
    if (this.removals.length === 0) return;
    this.begin();
    try {
      this.removeSome(this.slicePrefixes);
      if (this.removals.length === 0) this.forgetSpentCharges();
    } finally {
      // Scheduled before the flush: a listener's error must not leave routes behind.
      this.scheduleSlice();
      this.flush();
    }
  }

  /** The next slice of pending removals on the clock's timer, unless one is due already. */
  private scheduleSlice(): void {
    if (this.removals.length === 0 || this.cancelRemovals !== undefined) return;
    this.cancelRemovals = this.clock.after(0, () => {
      this.cancelRemovals = undefined;
      this.removeSlice();
    });
  }

  /**
   * Removes up to `maxPrefixes` prefixes' routes, stopping early when the slice's time is
   * up; never before `removalStep` prefixes, so a small table (every family of a small
   * peer) still leaves within the call, however loaded the machine.
   */
  private removeSome(maxPrefixes: number): void {
    const startMs = this.clock.now();
    let done = 0;
    while (done < maxPrefixes && this.removals.length > 0) {
      const r = this.removals[0]!;
      if (r.mayRepeat) this.mayRepeat = true;
      done += r.adj.drainSome(Math.min(maxPrefixes - done, removalStep), (key, routes) => this.removeRoutes(r.adj, r.loc, key, routes));
      if (r.adj.size === 0) this.removals.shift();
      if (done >= removalStep && this.clock.now() - startMs >= this.sliceMs) break;
    }
  }

  private record(loc: LocRib, key: PrefixKey, previousBest: Route | undefined, previousMultipath: readonly Route[], value: LocValue | undefined): void {
    if (!this.isRecording) return;
    if (this.isRecordingPaths) this.pathChanges.push({ family: loc.family, key });
    const best = bestOf(value);
    const multipath = multipathOf(value);
    if (best === previousBest && sameRoutes(multipath, previousMultipath)) return;
    this.changes.push({ family: loc.family, key, best, multipath, previousBest, previousMultipath });
  }

  private begin(): void {
    this.isRecordingPaths = this.pathListeners.some((l) => l.isActive());
    this.isRecording = this.listeners.length > 0 || this.isRecordingPaths;
    this.sectionsInBatch = 0;
  }

  /** Hands the pending changes to every listener; a listener's error is thrown after all ran. */
  private flush(): void {
    let changes = this.changes;
    const pathChanges = this.pathChanges;
    if (changes.length === 0 && pathChanges.length === 0) return;
    if (this.mayRepeat) changes = coalesce(changes);
    this.changes = [];
    this.pathChanges = [];
    this.mayRepeat = false;
    this.sectionsInBatch = 0;
    const errors: unknown[] = [];
    if (changes.length > 0) {
      for (const listener of this.listeners) {
        try {
          listener(changes);
        } catch (e) {
          errors.push(e);
        }
      }
    }
    if (pathChanges.length > 0) {
      for (const { listener } of this.pathListeners) {
        try {
          listener(pathChanges);
        } catch (e) {
          errors.push(e);
        }
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'RIB change listeners failed');
  }
}

/** One change per prefix: the first one's previous state and the last one's new state. */
function coalesce(changes: readonly RibChange[]): RibChange[] {
  const at = new Map<FamilyKey, Map<PrefixKey, number>>();
  const out: RibChange[] = [];
  for (const c of changes) {
    let byKey = at.get(c.family);
    if (byKey === undefined) at.set(c.family, (byKey = new Map()));
    const i = byKey.get(c.key);
    if (i === undefined) {
      byKey.set(c.key, out.length);
      out.push(c);
    } else {
      const first = out[i]!;
      out[i] = { ...c, previousBest: first.previousBest, previousMultipath: first.previousMultipath };
    }
  }
  return out.filter((c) => c.best !== c.previousBest || !sameRoutes(c.multipath, c.previousMultipath));
}

/** Keys in prefix order: IPv4 keys are numbers whose numeric order is prefix order, and a Float64Array sorts them fastest. */
function inPrefixOrder(keys: PrefixKey[]): Iterable<PrefixKey> {
  return typeof keys[0] === 'number' ? Float64Array.from(keys as number[]).sort() : keys.sort(comparePrefixKeys);
}

/**
 * What an import policy sees of a route: RFC 4271 5.1.5, a LOCAL_PREF from an external
 * peer is ignored, so it is taken off; one the policy sets counts.
 */
function importInput(attrs: AttrSet): PathAttributes {
  const a = attrs.attributes;
  if (!attrs.isEbgp || a.localPref === undefined) return a;
  const { localPref: _ignored, ...rest } = a;
  return rest;
}

function ribPeerOf(info: PeerInfo): RibPeer {
  return new RibPeer(info.address, parseAddress(info.address), info.peerAs, uint32(info.routerId), info.isEbgp, false);
}

function isSamePeer(a: RibPeer, b: RibPeer): boolean {
  return a.peerAs === b.peerAs && a.routerId === b.routerId && a.isEbgp === b.isEbgp;
}

/**
 * The families an "AFI/SAFI disable" UPDATE names: read from each fault's data (the
 * faulty MP attribute, RFC 4271 6.3), else the MP attributes that were decoded; when
 * neither tells, every family of the peer, the only safe reading.
 */
function disabledFamilies(update: UpdateMessage, state: PeerState): FamilyKey[] {
  const out = new Set<FamilyKey>();
  for (const fault of update.faults) {
    if (fault.action !== ErrorAction.afiSafiDisable) continue;
    const family = familyOfMpAttribute(fault.data);
    if (family !== undefined) out.add(family);
  }
  if (out.size === 0) {
    const { mpReach, mpUnreach } = update.attributes;
    if (mpReach !== undefined) out.add(familyKey(mpReach.afi, mpReach.safi));
    if (mpUnreach !== undefined) out.add(familyKey(mpUnreach.afi, mpUnreach.safi));
  }
  if (out.size === 0) for (const family of state.adj.keys()) out.add(family);
  return [...out];
}

/** AFI/SAFI of an MP_REACH_NLRI / MP_UNREACH_NLRI given whole (flags, type, length, value). */
export function familyOfMpAttribute(data: Uint8Array): FamilyKey | undefined {
  if (data.length < 2) return undefined;
  const type = data[1];
  if (type !== AttrType.mpReach && type !== AttrType.mpUnreach) return undefined;
  const at = 2 + ((data[0]! & 0x10) !== 0 ? 2 : 1);
  if (data.length < at + 3) return undefined;
  return familyKey((data[at]! << 8) | data[at + 1]!, data[at + 2]!);
}

