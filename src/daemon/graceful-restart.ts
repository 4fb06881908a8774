// Graceful restart (RFC 4724). The receiving speaker (4.2), per peer: when a session
// that negotiated Graceful Restart loses its transport, the peer's routes stay in the
// RIB marked stale for the families of its capability until it is back and sends
// End-of-RIB (the RIB sweeps what is still stale then), its restart time runs out while
// it is down, or our stale-routes time runs out once it is back. The restarting speaker
// (4.1, tsbgpd -r): R and F bits in the first OPENs, advertisements deferred.
// Long-lived graceful restart as helper (RFC 9494 4.2, 4.3): where negotiated, a family
// whose restart time ran out (or was 0) keeps its routes, marked LLGR_STALE, for the
// long-lived stale time instead of losing them.

import type { Cancel, Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { LocalGracefulRestart, LocalLongLivedGracefulRestart, Negotiated } from '../session/capabilities.js';
import type { FsmEvent } from '../session/fsm.js';
import type { PeerInfo } from '../rib/sink.js';
import { Afi, Safi } from '../lib/address.js';
import { familyKey, familyName, type FamilyKey } from '../wire/context.js';
import type { GracefulRestartConfig } from './neighbor-options-config.js';
import type { FibStatus } from '../fib/fib.js';
import type { NeighborConfig } from './config.js';
import type { PeerView } from './daemon.js';

/** What the helper changes in the RIB. */
export interface StaleRib {
  markStale(peer: string, families: Iterable<FamilyKey>): void;
  sweepStale(peer: string, family: FamilyKey): number;
  /** RFC 9494 4.3: the stale routes of the family get LLGR_STALE; those with NO_LLGR go. */
  markLlgrStale(peer: string, family: FamilyKey): { readonly kept: number; readonly dropped: number };
}

export interface GracefulRestartDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly rib: StaleRib;
  /** Drops everything the peer sent, stale routes included (the ordinary session-down path). */
  readonly drop: (info: PeerInfo, reason: string) => void;
}

/** A peer whose session is up: what its OPEN said about graceful restart. */
interface UpPeer {
  /** Families the peer listed with our side's GR enabled; empty: no restart kept. */
  readonly families: ReadonlySet<FamilyKey>;
  readonly restartTimeSec: number;
  /** Families with long-lived graceful restart: how long their routes are kept LLGR-stale, seconds. */
  readonly longLived: ReadonlyMap<FamilyKey, number>;
}

/** A peer kept through a restart: down (restart timer) or back (stale-routes timer). */
interface Restarting {
  readonly info: PeerInfo;
  /** Families whose stale routes still wait for End-of-RIB. */
  readonly stale: Set<FamilyKey>;
  cancel: Cancel | undefined;
  isUp: boolean;
  /** Stale families whose routes carry LLGR_STALE, each with its long-lived stale timer. */
  readonly longLived: Map<FamilyKey, Cancel>;
  /** Long-lived stale times of the last session (see UpPeer). */
  longLivedTimes: ReadonlyMap<FamilyKey, number>;
}

/** RFC 4760 8: implied without Multiprotocol capabilities, so a peer may have routes of it. */
const ipv4Unicast = familyKey(Afi.ipv4, Safi.unicast);

export class GracefulRestartHelper {
  private readonly deps: GracefulRestartDeps;
  private readonly up = new Map<string, UpPeer>();
  private readonly restarting = new Map<string, Restarting>();

  constructor(deps: GracefulRestartDeps) {
    this.deps = deps;
  }

  /** Peers whose routes are kept stale while they restart, by address. */
  get restartingPeers(): readonly string[] {
    return [...this.restarting.keys()];
  }

  /** True while the peer's stale routes are kept (down, or back before End-of-RIB). */
  isRestarting(address: string): boolean {
    return this.restarting.has(address);
  }

  /**
   * The session reached Established. Families the peer no longer lists, or lists without
   * the F bit (forwarding state lost), lose their stale routes at once (RFC 4724 4.2);
   * the others wait for End-of-RIB, at most `staleRoutesTimeSec`.
   */
  onEstablished(info: PeerInfo, negotiated: Negotiated, config: GracefulRestartConfig | undefined): void {
    const cap = negotiated.peerGracefulRestart;
    const isOn = config?.isEnabled === true && cap !== undefined;
    const kept = new Map<FamilyKey, boolean>();
    for (const f of cap?.families ?? []) kept.set(familyKey(f.afi, f.safi), f.isForwardingPreserved);
    const families = new Set([...kept.keys()].filter((f) => isOn && negotiated.families.has(f)));
    const longLived = isOn ? longLivedTimes(negotiated, config) : new Map<FamilyKey, number>();
    this.up.set(info.address, { families, restartTimeSec: cap?.restartTimeSec ?? 0, longLived });

    const r = this.restarting.get(info.address);
    if (r === undefined) return;
    r.cancel?.();
    r.cancel = undefined;
    r.isUp = true;
    r.longLivedTimes = longLived;
    for (const family of [...r.stale]) {
      const cancelLong = r.longLived.get(family);
      if (cancelLong !== undefined) {
        // RFC 9494 4.2: LLGR-stale routes wait for End-of-RIB only if the new session has LLGR with F for the family.
        if (longLived.has(family) && negotiated.longLivedGracefulRestart?.get(family)?.isForwardingPreserved === true) continue;
        cancelLong();
        r.longLived.delete(family);
        r.stale.delete(family);
        const removed = this.deps.rib.sweepStale(info.address, family);
        this.deps.logger.info('long-lived stale routes removed', { peer: info.address, family: familyName(family), routes: removed, reason: longLived.has(family) ? 'forwarding state not preserved' : 'family no longer in long-lived graceful restart' });
        continue;
      }
      if (families.has(family) && kept.get(family) === true) continue;
      r.stale.delete(family);
      const removed = this.deps.rib.sweepStale(info.address, family);
      this.deps.logger.info('stale routes removed', { peer: info.address, family: familyName(family), routes: removed, reason: families.has(family) ? 'forwarding state not preserved' : 'family no longer in graceful restart' });
    }
    if (r.stale.size === 0) {
      this.restarting.delete(info.address);
      return;
    }
    // LLGR-stale families keep their long-lived timers; the stale-routes time is for the others.
    if ([...r.stale].every((f) => r.longLived.has(f))) return;
    const ms = (config?.staleRoutesTimeSec ?? 0) * 1000;
    r.cancel = this.deps.clock.after(ms, () => this.expire(info.address, 'stale-routes time expired'));
  }

  /** End-of-RIB received (the RIB has swept the family already): that family's restart is over. */
  onEndOfRib(info: PeerInfo, family: FamilyKey): void {
    const r = this.restarting.get(info.address);
    if (r === undefined || !r.isUp || !r.stale.delete(family)) return;
    r.longLived.get(family)?.();
    r.longLived.delete(family);
    this.deps.logger.info('graceful restart family done', { peer: info.address, family: familyName(family) });
    if (r.stale.size > 0) return;
    stopTimers(r);
    this.restarting.delete(info.address);
    this.deps.logger.info('graceful restart done', { peer: info.address });
  }

  /**
   * The session left Established. Returns true when the peer's routes are kept stale
   * (the caller then skips the ordinary drop): only when the transport went without a
   * NOTIFICATION (event TcpConnectionFails, RFC 4724 4.2) and the peer listed families
   * with a restart time, or negotiated long-lived graceful restart (RFC 9494 4.2).
   */
  onPeerDown(info: PeerInfo, event: FsmEvent | undefined, reason: string): boolean {
    const up = this.up.get(info.address);
    this.up.delete(info.address);
    const earlier = this.restarting.get(info.address);
    const isGraceful = up !== undefined && up.families.size > 0 && up.restartTimeSec > 0;
    if (up === undefined || event !== 'TcpConnectionFails' || (!isGraceful && up.longLived.size === 0)) {
      if (earlier !== undefined) {
        stopTimers(earlier);
        this.restarting.delete(info.address);
      }
      return false;
    }
    // A second drop before End-of-RIB: the routes still stale stay so (RFC 4724 4.2), and
    // LLGR-stale families keep their long-lived timers running.
    earlier?.cancel?.();
    const stale = new Set([...up.families, ...up.longLived.keys()]);
    const longLived = earlier?.longLived ?? new Map<FamilyKey, Cancel>();
    for (const [f, cancel] of longLived) {
      if (stale.has(f)) continue;
      cancel();
      longLived.delete(f);
    }
    const r: Restarting = { info, stale, cancel: undefined, isUp: false, longLived, longLivedTimes: up.longLived };
    this.restarting.set(info.address, r);
    const all = new Set([ipv4Unicast, ...info.families, ...stale]);
    this.deps.rib.markStale(info.address, all);
    // Families outside the capability go as on any drop.
    for (const family of all) if (!stale.has(family)) this.deps.rib.sweepStale(info.address, family);
    this.deps.logger.info('graceful restart', { peer: info.address, families: [...stale].map(familyName).join(','), restartTimeSec: up.restartTimeSec, reason });
    for (const family of [...stale]) {
      // Routes learned since the family went long-lived get LLGR_STALE too.
      if (longLived.has(family)) this.deps.rib.markLlgrStale(info.address, family);
      else if (isGraceful && up.families.has(family)) continue;
      // RFC 9494 4.2: restart time 0, or a family in LLGR only: long-lived at once.
      else if (up.longLived.has(family)) this.enterLongLived(r, family);
      else {
        stale.delete(family);
        this.deps.rib.sweepStale(info.address, family);
      }
    }
    if ([...stale].some((f) => !longLived.has(f))) r.cancel = this.deps.clock.after(up.restartTimeSec * 1000, () => this.expire(info.address, 'restart time expired'));
    return true;
  }

  /** Ends any restart of the peer now, its stale routes dropped (peer removed, stopped, daemon stopping). */
  forget(address: string, reason: string): void {
    this.up.delete(address);
    const r = this.restarting.get(address);
    if (r === undefined) return;
    stopTimers(r);
    this.restarting.delete(address);
    if (!r.isUp) this.deps.drop(r.info, reason);
    else for (const f of r.stale) this.deps.rib.sweepStale(address, f);
  }

  /** Ends every restart, dropping the stale routes (shutdown). */
  close(reason: string): void {
    for (const address of [...this.restarting.keys()]) this.forget(address, reason);
  }

  /** The restart (or stale-routes) time ran out: families with LLGR go long-lived (RFC 9494 4.2), the others go. */
  private expire(address: string, reason: string): void {
    const r = this.restarting.get(address);
    if (r === undefined) return;
    r.cancel = undefined;
    const ending = [...r.stale].filter((f) => !r.longLived.has(f));
    const lost = ending.filter((f) => !r.longLivedTimes.has(f));
    if (lost.length > 0) this.deps.logger.warn('graceful restart failed', { peer: address, reason, families: lost.map(familyName).join(',') });
    for (const f of lost) r.stale.delete(f);
    if (r.stale.size === 0) {
      this.restarting.delete(address);
      if (!r.isUp) this.deps.drop(r.info, `graceful restart: ${reason}`);
      else for (const f of lost) this.deps.rib.sweepStale(address, f);
      return;
    }
    for (const f of lost) this.deps.rib.sweepStale(address, f);
    for (const f of ending) if (r.longLivedTimes.has(f)) this.enterLongLived(r, f);
  }

  /** RFC 9494 4.3: the family's stale routes get LLGR_STALE (NO_LLGR ones go) and the long-lived stale timer starts. */
  private enterLongLived(r: Restarting, family: FamilyKey): void {
    const staleTimeSec = r.longLivedTimes.get(family) ?? 0;
    const { kept, dropped } = this.deps.rib.markLlgrStale(r.info.address, family);
    this.deps.logger.info('long-lived graceful restart', { peer: r.info.address, family: familyName(family), routes: kept, noLlgrRemoved: dropped, staleTimeSec });
    r.longLived.set(family, this.deps.clock.after(staleTimeSec * 1000, () => this.expireLongLived(r.info.address, family)));
  }

  private expireLongLived(address: string, family: FamilyKey): void {
    const r = this.restarting.get(address);
    if (r === undefined || !r.longLived.delete(family)) return;
    r.stale.delete(family);
    this.deps.logger.warn('long-lived graceful restart failed', { peer: address, family: familyName(family), reason: 'long-lived stale time expired' });
    if (r.stale.size === 0) {
      stopTimers(r);
      this.restarting.delete(address);
      if (!r.isUp) {
        this.deps.drop(r.info, 'long-lived graceful restart: stale time expired');
        return;
      }
    }
    this.deps.rib.sweepStale(address, family);
  }
}

function stopTimers(r: Restarting): void {
  r.cancel?.();
  r.cancel = undefined;
  for (const cancel of r.longLived.values()) cancel();
  r.longLived.clear();
}

/**
 * Families with long-lived graceful restart on a session: negotiated (RFC 9494 3) and
 * configured on our side, each kept for the peer's long-lived stale time, at most ours.
 * A time of 0 keeps nothing.
 */
export function longLivedTimes(negotiated: Negotiated, config: GracefulRestartConfig | undefined): Map<FamilyKey, number> {
  const out = new Map<FamilyKey, number>();
  for (const ours of config?.longLived ?? []) {
    const theirs = negotiated.longLivedGracefulRestart?.get(ours.family);
    const sec = theirs === undefined ? 0 : Math.min(theirs.staleTimeSec, ours.staleTimeSec);
    if (sec > 0) out.set(ours.family, sec);
  }
  return out;
}

/** Our LLGR capability (RFC 9494 3) for a neighbor with graceful restart: the families configured with it. */
export function longLivedOffer(config: GracefulRestartConfig | undefined): LocalLongLivedGracefulRestart | undefined {
  const families = config?.longLived ?? [];
  return families.length === 0 ? undefined : { families };
}

/** RFC 4724 4.1: as gobgpd's deferral-time, the longest wait for the peers' End-of-RIB after a restart. */
export const defaultDeferralTimeSec = 360;

const ipv6Unicast = familyKey(Afi.ipv6, Safi.unicast);

/**
 * The families whose forwarding state survived the restart (the F bit, RFC 4724 3):
 * those the FIB installs (IPv4 and IPv6 unicast) when it runs, since it then adopted the
 * routes the previous run left in the kernel (`-r` keeps them at shutdown). None when the
 * FIB is off or read-only: nothing of ours was forwarding.
 */
export function preservedFamilies(fib: Pick<FibStatus, 'state'> | undefined): FamilyKey[] {
  return fib?.state === 'running' ? [ipv4Unicast, ipv6Unicast] : [];
}

/** The selection deferral time: the longest deferral-time among neighbors with graceful restart, else the default. */
export function deferralTimeOf(neighbors: readonly Pick<NeighborConfig, 'gracefulRestart'>[]): number {
  const times = neighbors.flatMap((n) => (n.gracefulRestart === undefined ? [] : [n.gracefulRestart.deferralTimeSec ?? defaultDeferralTimeSec]));
  return times.length === 0 ? 0 : Math.max(...times);
}

/** A configured neighbor as the deferral sees it. */
export interface DeferralPeer {
  readonly address: string;
  /** Its End-of-RIB is awaited: graceful restart configured on our side, not shut down by an operator. */
  readonly isAwaited: boolean;
  readonly isEstablished: boolean;
  /** Its OPEN had the Graceful Restart capability without the R bit (RFC 4724 4.1 waits only for those). */
  readonly isHelper: boolean;
  /** Negotiated families without End-of-RIB yet. */
  readonly pendingFamilies: number;
}

/** A neighbor's deferral state from the daemon's view of it. */
export function deferralPeerOf(view: Pick<PeerView, 'config' | 'session' | 'isAdminDown' | 'range'>, rib: { hasEndOfRib(peer: string, family: FamilyKey): boolean }): DeferralPeer {
  const info = view.session.peerInfo;
  const gr = view.session.negotiated?.peerGracefulRestart;
  const isEstablished = view.session.state === 'Established' && info !== undefined;
  const families = info === undefined ? [] : info.families.size > 0 ? [...info.families] : [ipv4Unicast];
  return {
    address: view.config.address,
    isAwaited: view.range === undefined && !view.isAdminDown && view.config.gracefulRestart !== undefined,
    isEstablished,
    isHelper: gr !== undefined && !gr.isRestarting,
    pendingFamilies: isEstablished ? families.filter((f) => !rib.hasEndOfRib(info.address, f)).length : 0,
  };
}

export interface RestartingSpeakerDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The configured neighbors now. */
  readonly peers: () => readonly DeferralPeer[];
  /** The deferral is over: established peers get their initial routes and End-of-RIB. */
  readonly resume: () => void;
}

/**
 * The restarting side of graceful restart (RFC 4724 4.1) for a daemon started with `-r`:
 * the R bit in the OPENs to each neighbor until its first session is up (a later
 * reconnect is no restart of ours), the F bit for the families whose forwarding was
 * kept, and the deferral of our advertisements until every neighbor with graceful
 * restart has sent End-of-RIB (those that restart too, or offer no Graceful Restart,
 * are not waited for) or the selection deferral time passes.
 */
export class RestartingSpeaker {
  private readonly deps: RestartingSpeakerDeps;
  private forwardingFamilies: readonly FamilyKey[] | undefined;
  /** Neighbors whose first session after the restart has been Established. */
  private readonly reconnected = new Set<string>();
  private cancelDeferral: Cancel | undefined;
  private isDeferringValue = false;

  constructor(deps: RestartingSpeakerDeps) {
    this.deps = deps;
  }

  /** True after `begin`: this run follows a graceful restart. */
  get isRestarted(): boolean {
    return this.forwardingFamilies !== undefined;
  }

  /** True while advertisements wait for the peers' End-of-RIB. */
  get isDeferring(): boolean {
    return this.isDeferringValue;
  }

  /**
   * This run follows a restart (before the sessions start): OPENs carry R, and F for
   * `forwardingFamilies`; advertisements wait at most `deferralTimeSec` (0: no wait).
   */
  begin(forwardingFamilies: readonly FamilyKey[], deferralTimeSec: number): void {
    this.forwardingFamilies = forwardingFamilies;
    this.deps.logger.info('graceful restart: restarting speaker', { forwardingPreserved: forwardingFamilies.map(familyName).join(','), deferralTimeSec });
    if (deferralTimeSec <= 0) return;
    this.isDeferringValue = true;
    this.cancelDeferral = this.deps.clock.after(deferralTimeSec * 1000, () => {
      this.cancelDeferral = undefined;
      this.end('selection deferral time expired');
    });
  }

  /** Our Graceful Restart capability for a neighbor: `base` with the restart's R and F bits. */
  offer(address: string, base: LocalGracefulRestart): LocalGracefulRestart {
    const forwarding = this.forwardingFamilies;
    if (forwarding === undefined) return base;
    return { ...base, isRestarting: !this.reconnected.has(address), forwardingFamilies: forwarding };
  }

  /**
   * A neighbor's session is Established: its next OPENs say R = 0. `config` is the
   * session's (read at each OPEN it sends).
   */
  onEstablished(address: string, config: { gracefulRestart?: LocalGracefulRestart }): void {
    if (this.forwardingFamilies === undefined) return;
    this.reconnected.add(address);
    const gr = config.gracefulRestart;
    if (gr?.isRestarting === true) config.gracefulRestart = { ...gr, isRestarting: false };
    this.check();
  }

  /** Ends the deferral when every awaited neighbor is up and has sent End-of-RIB. */
  check(): void {
    if (!this.isDeferringValue) return;
    const waiting = this.deps.peers().filter((p) => p.isAwaited && !(p.isEstablished && (!p.isHelper || p.pendingFamilies === 0)));
    if (waiting.length === 0) this.end('End-of-RIB from every peer');
  }

  /** Stops the deferral timer (shutdown). */
  close(): void {
    this.cancelDeferral?.();
    this.cancelDeferral = undefined;
    this.isDeferringValue = false;
  }

  private end(reason: string): void {
    if (!this.isDeferringValue) return;
    this.close();
    this.deps.logger.info('graceful restart: advertisement deferral over', { reason });
    this.deps.resume();
  }
}
