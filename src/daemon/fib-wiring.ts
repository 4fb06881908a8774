// tsbgpd's FIB (zebra's role): the RIB's best routes and multipath sets written into the
// kernel table by src/fib, per `[zebra.config]`. At start the routes of our protocol
// already in the table are adopted and kept, next hops and all, beside what the RIB
// learns again, until every peer has sent End-of-RIB (RFC 4724 4.1's "deferral" seen
// from the restarting side) or sweep-delay passes; then what was not learned again goes.
// Shutdown removes our routes unless they are kept for a restart.

import { Afi, Safi, formatPrefix } from '../lib/address.js';
import { systemClock, type Cancel, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { Fib, type FibOptions, type FibRoute, type FibStatus } from '../fib/fib.js';
import { connectRibToFib, fibRoutesOf } from '../fib/rib-adapter.js';
import type { UnresolvedReason } from '../fib/resolver.js';
import type { RibChange, RibListener, Route } from '../rib/rib.js';
import type { PrefixKey } from '../rib/prefix-key.js';
import { familyKey, familyOf, type FamilyKey } from '../wire/context.js';
import type { DaemonConfig } from './config.js';
import type { PeerStateListener, PeerView } from './daemon.js';
import { defaultZebraConfig, zebraChanges, type ZebraConfig } from './zebra-config.js';

/** What the wiring uses of the Fib; tests give a fake. */
export type FibLike = Pick<Fib, 'start' | 'stop' | 'updateMany' | 'sweep' | 'adoptedRoutes' | 'nextHopStates' | 'status'>;

/** What the wiring needs of the daemon: its RIB, its peers and their state changes. */
export interface FibHost {
  readonly rib: {
    subscribe(listener: RibListener): () => void;
    hasEndOfRib(peer: string, family: FamilyKey): boolean;
    forEachBest(family: FamilyKey, visit: (key: PrefixKey, best: Route, multipath: readonly Route[]) => void): void;
  };
  peerViews(): readonly PeerView[];
  onPeerState(fn: PeerStateListener): () => void;
  readonly currentConfig: DaemonConfig;
}

export interface FibWiringOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  /** This run ends in a restart (tsbgpd -r): keep our routes at shutdown whatever the configuration says. */
  readonly isRestart?: boolean;
  /** Builds the Fib; the real one by default. */
  readonly createFib?: (options: FibOptions) => FibLike;
  /** process.platform by default. */
  readonly platform?: string;
}

const unicastFamilies: readonly FamilyKey[] = [familyKey(Afi.ipv4, Safi.unicast), familyKey(Afi.ipv6, Safi.unicast)];
/** How often the restart hold looks at the peers' End-of-RIB (a received End-of-RIB changes no route, so there is no event to wait on). */
const sweepCheckMs = 250;
/** How often next hop resolution is looked at for the log. */
const nextHopCheckMs = 1000;

function addressKey(a: Uint8Array): string {
  return String.fromCharCode(...a);
}

/**
 * Keeps routes adopted at start beside what the RIB says of the same prefixes: while it
 * holds, a prefix's next hops are the RIB's plus the adopted ones not learned again, so a
 * route never shrinks or disappears while the peers come back one by one. An adopted
 * next hop the RIB has named again for the prefix is the RIB's from then on: if its peer
 * fails during the hold, it leaves at once rather than at the sweep.
 */
export class RestartHold {
  private readonly held = new Map<string, FibRoute>();
  /** What the RIB last said of held prefixes. */
  private readonly learned = new Map<string, FibRoute>();

  constructor(adopted: Iterable<FibRoute>) {
    for (const r of adopted) this.held.set(formatPrefix(r.prefix), r);
  }

  get size(): number {
    return this.held.size;
  }

  /** The RIB's routes with the held next hops added to those of held prefixes. */
  apply(routes: readonly FibRoute[]): FibRoute[] {
    return routes.map((r) => {
      const key = formatPrefix(r.prefix);
      const held = this.held.get(key);
      if (held === undefined) return r;
      this.learned.set(key, r);
      const seen = new Set(r.nextHops.map(addressKey));
      const kept = held.nextHops.filter((h) => !seen.has(addressKey(h)));
      if (kept.length !== held.nextHops.length) this.held.set(key, { prefix: held.prefix, nextHops: kept });
      const extra = kept.filter((h) => h.length === r.prefix.addr.length);
      return extra.length === 0 ? r : { prefix: r.prefix, nextHops: [...r.nextHops, ...extra] };
    });
  }

  /**
   * Ends the hold: the RIB's own state of every held prefix it spoke of. Held prefixes
   * it never spoke of are still adopted in the Fib, for its `sweep`.
   */
  release(): FibRoute[] {
    const out = [...this.learned.values()];
    this.held.clear();
    this.learned.clear();
    return out;
  }
}

/** A peer's progress towards the end of its initial routes. */
export interface PeerProgress {
  readonly address: string;
  readonly isDynamic: boolean;
  readonly isAdminDown: boolean;
  readonly isEstablished: boolean;
  /** Negotiated unicast families without End-of-RIB yet. */
  readonly pendingFamilies: number;
}

/** Why the restart hold ended. */
export type SweepReason = 'end-of-rib' | 'timer' | 'no-peers';

export interface SweepGateOptions {
  readonly clock: Clock;
  readonly delayMs: number;
  /** Quiet time after the last session change, when peers come from dynamic ranges. */
  readonly settleMs: number;
  readonly hasDynamicRanges: boolean;
  readonly hasNeighbors: boolean;
}

/**
 * Decides when routes adopted at start may be swept: every configured neighbor (not shut
 * down by an operator) and every dynamic session is Established and has sent End-of-RIB
 * for each unicast family, at least one has, and, when dynamic ranges exist (whose
 * speakers are not known in advance), nothing has changed for the settle time; or the
 * delay has passed.
 */
export class SweepGate {
  private readonly startMs: number;
  private signature = '';
  private changedAtMs: number;

  constructor(private readonly options: SweepGateOptions) {
    this.startMs = options.clock.now();
    this.changedAtMs = this.startMs;
  }

  check(peers: readonly PeerProgress[]): SweepReason | undefined {
    const now = this.options.clock.now();
    if (now - this.startMs >= this.options.delayMs) return 'timer';
    if (!this.options.hasNeighbors && !this.options.hasDynamicRanges) return 'no-peers';
    const signature = peers.map((p) => `${p.address}:${p.isEstablished ? 'up' : 'down'}:${p.pendingFamilies}`).sort().join(',');
    if (signature !== this.signature) {
      this.signature = signature;
      this.changedAtMs = now;
    }
    const isDone = (p: PeerProgress): boolean => p.isEstablished && p.pendingFamilies === 0;
    if (peers.some((p) => !p.isAdminDown && !isDone(p))) return undefined;
    if (!peers.some(isDone)) return undefined;
    const settleMs = this.options.hasDynamicRanges ? this.options.settleMs : 0;
    return now - this.changedAtMs >= settleMs ? 'end-of-rib' : undefined;
  }
}

/** The peers' progress as the daemon shows it. */
export function peerProgressOf(host: Pick<FibHost, 'peerViews' | 'rib'>): PeerProgress[] {
  return host.peerViews().map((p) => {
    const info = p.session.peerInfo;
    const isEstablished = p.session.state === 'Established' && info !== undefined;
    const families = isEstablished ? [...info.families].filter((f) => familyOf(f).safi === Safi.unicast) : [];
    const pendingFamilies = isEstablished ? families.filter((f) => !host.rib.hasEndOfRib(info.address, f)).length : 0;
    return { address: p.config.address, isDynamic: p.range !== undefined, isAdminDown: p.isAdminDown, isEstablished, pendingFamilies };
  });
}

/** The FIB of a running tsbgpd: started before the sessions, stopped after them. */
export class FibWiring {
  private readonly host: FibHost;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly isRestart: boolean;
  private readonly createFib: (options: FibOptions) => FibLike;
  private readonly platform: string;
  private config: ZebraConfig;
  private fibValue: FibLike | undefined;
  private hold: RestartHold | undefined;
  private gate: SweepGate | undefined;
  private unsubscribe: (() => void) | undefined;
  private offPeerState: (() => void) | undefined;
  private cancelSweepCheck: Cancel | undefined;
  private cancelNextHopCheck: Cancel | undefined;
  /** Next hops last logged as unresolved, with the reason. */
  private readonly unresolved = new Map<string, UnresolvedReason>();
  private isStopped = false;

  constructor(host: FibHost, options: FibWiringOptions) {
    this.host = host;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.isRestart = options.isRestart ?? false;
    this.createFib = options.createFib ?? ((o) => new Fib(o));
    this.platform = options.platform ?? process.platform;
    this.config = host.currentConfig.zebra ?? defaultZebraConfig;
  }

  /** The Fib, once started (undefined when off). */
  get fib(): FibLike | undefined {
    return this.fibValue;
  }

  /** The Fib's status; undefined when the writer is off by configuration or platform. */
  status(): FibStatus | undefined {
    return this.fibValue?.status();
  }

  /** True while adopted routes are kept waiting for the peers' End-of-RIB. */
  get isHolding(): boolean {
    return this.hold !== undefined;
  }

  /**
   * Opens the FIB and adopts our routes in the table. Never rejects for the host: without
   * netlink or without privilege the state says so, the log too, and BGP runs on.
   */
  async start(): Promise<FibStatus | undefined> {
    const cfg = this.config;
    if (!cfg.isEnabled) {
      this.logger.info('fib off', { reason: 'zebra.config.enabled is not true: routes are not installed in the kernel' });
      return undefined;
    }
    if (this.platform !== 'linux') {
      this.logger.info('fib off', { reason: `no netlink on ${this.platform} (Linux only): routes are not installed in the kernel` });
      return undefined;
    }
    const fib = this.createFib({ table: cfg.table, protocol: cfg.protocol, metric: cfg.metric, logger: this.logger });
    this.fibValue = fib;
    const status = await fib.start();
    if (this.isStopped) return status;
    if (status.state === 'off') return status;

    const adopted = fib.adoptedRoutes();
    const daemonConfig = this.host.currentConfig;
    if (adopted.length > 0 && cfg.sweepDelaySec > 0) {
      this.hold = new RestartHold(adopted);
      this.gate = new SweepGate({
        clock: this.clock,
        delayMs: cfg.sweepDelaySec * 1000,
        settleMs: cfg.sweepSettleSec * 1000,
        hasDynamicRanges: daemonConfig.dynamicNeighbors.length > 0,
        hasNeighbors: daemonConfig.neighbors.length > 0,
      });
      this.logger.info('fib keeps adopted routes until the peers have sent End-of-RIB', { routes: adopted.length, sweepDelaySec: cfg.sweepDelaySec });
    }
    this.unsubscribe = connectRibToFib(this.host.rib, { updateMany: (routes) => this.toFib(routes) });
    // What the RIB holds already (nothing, when started before the sessions).
    const initial: RibChange[] = [];
    for (const family of unicastFamilies) {
      this.host.rib.forEachBest(family, (key, best, multipath) => initial.push({ family, key, best, multipath, previousBest: undefined, previousMultipath: [] }));
    }
    if (initial.length > 0) this.toFib(fibRoutesOf(initial));
    this.offPeerState = this.host.onPeerState(() => this.checkSweep());
    if (this.hold === undefined && adopted.length > 0) this.endHold('timer');
    else this.scheduleSweepCheck();
    this.scheduleNextHopCheck();
    return status;
  }

  private toFib(routes: Iterable<FibRoute>): void {
    const list = [...routes];
    this.fibValue?.updateMany(this.hold === undefined ? list : this.hold.apply(list));
  }

  private scheduleSweepCheck(): void {
    if (this.hold === undefined || this.isStopped) return;
    this.cancelSweepCheck = this.clock.after(sweepCheckMs, () => {
      this.cancelSweepCheck = undefined;
      this.checkSweep();
      this.scheduleSweepCheck();
    });
  }

  private checkSweep(): void {
    if (this.hold === undefined || this.gate === undefined) return;
    const reason = this.gate.check(peerProgressOf(this.host));
    if (reason !== undefined) this.endHold(reason);
  }

  /** Gives the RIB's state back to the held prefixes and deletes the adopted routes nobody announced again. */
  private endHold(reason: SweepReason): void {
    const fib = this.fibValue;
    if (fib === undefined) return;
    const released = this.hold?.release() ?? [];
    this.hold = undefined;
    this.gate = undefined;
    this.cancelSweepCheck?.();
    this.cancelSweepCheck = undefined;
    fib.updateMany(released);
    const swept = fib.sweep();
    this.logger.info('fib adopted routes swept', { reason, relearned: released.length, removed: swept });
  }

  private scheduleNextHopCheck(): void {
    if (this.isStopped) return;
    this.cancelNextHopCheck = this.clock.after(nextHopCheckMs, () => {
      this.cancelNextHopCheck = undefined;
      this.checkNextHops();
      this.scheduleNextHopCheck();
    });
  }

  /** Logs next hops that stop or start resolving: their routes are held back meanwhile. */
  checkNextHops(): void {
    const fib = this.fibValue;
    if (fib === undefined) return;
    const seen = new Set<string>();
    for (const s of fib.nextHopStates()) {
      seen.add(s.nextHop);
      const before = this.unresolved.get(s.nextHop);
      if (s.unresolved !== undefined) {
        if (before !== s.unresolved) this.logger.warn('fib next hop unresolved, its routes are held back', { nextHop: s.nextHop, reason: s.unresolved, prefixes: s.prefixes });
        this.unresolved.set(s.nextHop, s.unresolved);
      } else if (before !== undefined) {
        this.unresolved.delete(s.nextHop);
        this.logger.info('fib next hop resolved', { nextHop: s.nextHop, prefixes: s.prefixes });
      }
    }
    for (const nextHop of [...this.unresolved.keys()]) if (!seen.has(nextHop)) this.unresolved.delete(nextHop);
  }

  /** Applies a reloaded configuration: keep-routes-on-shutdown at once; the rest needs a restart. */
  reload(next: DaemonConfig): void {
    const z = next.zebra ?? defaultZebraConfig;
    const changed = zebraChanges(this.config, z).filter((k) => k !== 'keep-routes-on-shutdown');
    if (changed.length > 0) this.logger.warn('config reload: zebra settings need a restart', { changed: changed.join(',') });
    this.config = { ...this.config, keepRoutesOnShutdown: z.keepRoutesOnShutdown };
  }

  /**
   * Detaches from the RIB at once (so the sessions' shutdown withdraws nothing from the
   * kernel), then removes our routes, or keeps them with keep-routes-on-shutdown or -r.
   */
  stop(): Promise<void> {
    this.isStopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.offPeerState?.();
    this.offPeerState = undefined;
    this.cancelSweepCheck?.();
    this.cancelNextHopCheck?.();
    const fib = this.fibValue;
    if (fib === undefined) return Promise.resolve();
    return fib.stop({ keepRoutes: this.isRestart || this.config.keepRoutesOnShutdown });
  }
}
