// The receiving speaker of graceful restart (RFC 4724 4.2), per peer: when a session
// that negotiated Graceful Restart loses its transport, the peer's routes stay in the
// RIB marked stale for the families of its capability until it is back and sends
// End-of-RIB (the RIB sweeps what is still stale then), its restart time runs out while
// it is down, or our stale-routes time runs out once it is back.

import type { Cancel, Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Negotiated } from '../session/capabilities.js';
import type { FsmEvent } from '../session/fsm.js';
import type { PeerInfo } from '../rib/sink.js';
import { Afi, Safi } from '../lib/address.js';
import { familyKey, familyName, type FamilyKey } from '../wire/context.js';
import type { GracefulRestartConfig } from './neighbor-options-config.js';

/** What the helper changes in the RIB. */
export interface StaleRib {
  markStale(peer: string, families: Iterable<FamilyKey>): void;
  sweepStale(peer: string, family: FamilyKey): number;
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
}

/** A peer kept through a restart: down (restart timer) or back (stale-routes timer). */
interface Restarting {
  readonly info: PeerInfo;
  /** Families whose stale routes still wait for End-of-RIB. */
  readonly stale: Set<FamilyKey>;
  cancel: Cancel | undefined;
  isUp: boolean;
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
    this.up.set(info.address, { families, restartTimeSec: cap?.restartTimeSec ?? 0 });

    const r = this.restarting.get(info.address);
    if (r === undefined) return;
    r.cancel?.();
    r.cancel = undefined;
    r.isUp = true;
    for (const family of [...r.stale]) {
      if (families.has(family) && kept.get(family) === true) continue;
      r.stale.delete(family);
      const removed = this.deps.rib.sweepStale(info.address, family);
      this.deps.logger.info('stale routes removed', { peer: info.address, family: familyName(family), routes: removed, reason: families.has(family) ? 'forwarding state not preserved' : 'family no longer in graceful restart' });
    }
    if (r.stale.size === 0) {
      this.restarting.delete(info.address);
      return;
    }
    const ms = (config?.staleRoutesTimeSec ?? 0) * 1000;
    r.cancel = this.deps.clock.after(ms, () => this.expire(info.address, 'stale-routes time expired'));
  }

  /** End-of-RIB received (the RIB has swept the family already): that family's restart is over. */
  onEndOfRib(info: PeerInfo, family: FamilyKey): void {
    const r = this.restarting.get(info.address);
    if (r === undefined || !r.isUp || !r.stale.delete(family)) return;
    this.deps.logger.info('graceful restart family done', { peer: info.address, family: familyName(family) });
    if (r.stale.size > 0) return;
    r.cancel?.();
    this.restarting.delete(info.address);
    this.deps.logger.info('graceful restart done', { peer: info.address });
  }

  /**
   * The session left Established. Returns true when the peer's routes are kept stale
   * (the caller then skips the ordinary drop): only when the transport went without a
   * NOTIFICATION (event TcpConnectionFails, RFC 4724 4.2) and the peer listed families.
   */
  onPeerDown(info: PeerInfo, event: FsmEvent | undefined, reason: string): boolean {
    const up = this.up.get(info.address);
    this.up.delete(info.address);
    const earlier = this.restarting.get(info.address);
    if (up === undefined || up.families.size === 0 || event !== 'TcpConnectionFails' || up.restartTimeSec === 0) {
      if (earlier !== undefined) {
        earlier.cancel?.();
        this.restarting.delete(info.address);
      }
      return false;
    }
    // A second drop before End-of-RIB: the routes still stale stay so (RFC 4724 4.2).
    earlier?.cancel?.();
    const stale = new Set(up.families);
    for (const f of earlier?.stale ?? []) if (up.families.has(f)) stale.add(f);
    const r: Restarting = { info, stale, cancel: undefined, isUp: false };
    this.restarting.set(info.address, r);
    const all = new Set([ipv4Unicast, ...info.families, ...stale]);
    this.deps.rib.markStale(info.address, all);
    // Families outside the capability go as on any drop.
    for (const family of all) if (!stale.has(family)) this.deps.rib.sweepStale(info.address, family);
    this.deps.logger.info('graceful restart', { peer: info.address, families: [...stale].map(familyName).join(','), restartTimeSec: up.restartTimeSec, reason });
    r.cancel = this.deps.clock.after(up.restartTimeSec * 1000, () => this.expire(info.address, 'restart time expired'));
    return true;
  }

  /** Ends any restart of the peer now, its stale routes dropped (peer removed, stopped, daemon stopping). */
  forget(address: string, reason: string): void {
    this.up.delete(address);
    const r = this.restarting.get(address);
    if (r === undefined) return;
    r.cancel?.();
    this.restarting.delete(address);
    if (!r.isUp) this.deps.drop(r.info, reason);
    else for (const f of r.stale) this.deps.rib.sweepStale(address, f);
  }

  /** Ends every restart, dropping the stale routes (shutdown). */
  close(reason: string): void {
    for (const address of [...this.restarting.keys()]) this.forget(address, reason);
  }

  private expire(address: string, reason: string): void {
    const r = this.restarting.get(address);
    if (r === undefined) return;
    r.cancel = undefined;
    this.restarting.delete(address);
    this.deps.logger.warn('graceful restart failed', { peer: address, reason, families: [...r.stale].map(familyName).join(',') });
    if (!r.isUp) {
      this.deps.drop(r.info, `graceful restart: ${reason}`);
      return;
    }
    for (const f of r.stale) this.deps.rib.sweepStale(address, f);
  }
}
