// Max-prefix limits per peer and family (gobgpd's `afi-safis.prefix-limit.config`):
// each UPDATE is checked before the RIB stores any of it; a warning once the routes held
// reach the threshold; above the limit the session ends with Cease / Maximum Number of
// Prefixes Reached carrying AFI, SAFI and the limit (RFC 4486 4), and stays down for
// the restart timer (0: until an operator starts it again).

import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { Afi, Safi } from '../lib/address.js';
import type { NlriList } from '../wire/nlri.js';
import { ErrorAction } from '../wire/errors.js';
import { familyKey, familyName, familyOf, type FamilyKey } from '../wire/context.js';
import type { UpdateMessage } from '../wire/update.js';
import type { PeerInfo } from '../rib/sink.js';
import type { PrefixLimitConfig } from './neighbor-options-config.js';
import { PeerHoldDown } from './peer-hold.js';

/** What the guard asks the RIB. */
export interface PrefixCounts {
  /** Routes held from the peer in the family (stale ones included). */
  peerCounts(peer: string, family: FamilyKey): { readonly received: number };
  newRouteCount(peer: string, family: FamilyKey, list: NlriList): number;
}

/** A limit an UPDATE would break, and the count it would reach. */
export interface PrefixLimitExceeded {
  readonly limit: PrefixLimitConfig;
  readonly count: number;
}

const ipv4Unicast = familyKey(Afi.ipv4, Safi.unicast);

/** RFC 4486 4: the data of Cease / Maximum Number of Prefixes Reached: AFI (2), SAFI (1), limit (4). */
export function maxPrefixesData(family: FamilyKey, maxPrefixes: number): Uint8Array {
  const { afi, safi } = familyOf(family);
  const data = new Uint8Array(7);
  const view = new DataView(data.buffer);
  view.setUint16(0, afi);
  view.setUint8(2, safi);
  view.setUint32(3, maxPrefixes);
  return data;
}

/** The routes an UPDATE announces, per family (nothing when it is treated as a withdrawal). */
export function announced(update: UpdateMessage): { readonly family: FamilyKey; readonly list: NlriList }[] {
  if (update.action === ErrorAction.treatAsWithdraw) return [];
  const out: { family: FamilyKey; list: NlriList }[] = [];
  if (update.nlri.count > 0) out.push({ family: ipv4Unicast, list: update.nlri });
  const reach = update.attributes.mpReach;
  if (reach !== undefined && reach.nlri.count > 0) out.push({ family: familyKey(reach.afi, reach.safi), list: reach.nlri });
  return out;
}

export class PrefixLimitGuard {
  private readonly logger: Logger;
  private readonly rib: PrefixCounts;
  /** `${peer} ${family}` warned of on the current session. */
  private readonly warned = new Set<string>();
  /** Peers held down after going over a limit; shared with the other limits when given. */
  readonly holds: PeerHoldDown;

  constructor(deps: { readonly clock: Clock; readonly logger: Logger; readonly rib: PrefixCounts; readonly holds?: PeerHoldDown }) {
    this.logger = deps.logger;
    this.rib = deps.rib;
    this.holds = deps.holds ?? new PeerHoldDown(deps);
  }

  /**
   * Checks an UPDATE against the peer's limits before it is stored: the limit it would
   * break, else undefined (after a threshold warning, once per session and family).
   */
  check(info: PeerInfo, limits: readonly PrefixLimitConfig[] | undefined, update: UpdateMessage): PrefixLimitExceeded | undefined {
    if (limits === undefined || limits.length === 0) return undefined;
    for (const { family, list } of announced(update)) {
      const limit = limits.find((l) => l.family === family);
      if (limit === undefined) continue;
      const held = this.rib.peerCounts(info.address, family).received;
      // Most UPDATEs stay far below: count only what is new when the total could pass.
      const upper = held + list.count;
      const count = upper <= limit.maxPrefixes ? upper : held + this.rib.newRouteCount(info.address, family, list);
      if (count > limit.maxPrefixes) return { limit, count };
      const key = `${info.address} ${family}`;
      if (limit.shutdownThresholdPct > 0 && count * 100 >= limit.maxPrefixes * limit.shutdownThresholdPct && !this.warned.has(key)) {
        this.warned.add(key);
        this.logger.warn('prefix limit threshold', { peer: info.address, family: familyName(family), routes: count, maxPrefixes: limit.maxPrefixes, thresholdPct: limit.shutdownThresholdPct });
      }
    }
    return undefined;
  }

  /**
   * The peer went over `exceeded`: logs it, and schedules `restart` after the limit's
   * restart timer (none when 0). The caller stops the session with `maxPrefixesData`.
   */
  holdDown(address: string, exceeded: PrefixLimitExceeded, restart: () => void): void {
    const { limit, count } = exceeded;
    this.holds.hold(address, limit.restartTimerSec, 'held down after exceeding a prefix limit', 'prefix limit restart', restart);
    this.logger.error('prefix limit exceeded', {
      peer: address,
      family: familyName(limit.family),
      routes: count,
      maxPrefixes: limit.maxPrefixes,
      restartTimerSec: limit.restartTimerSec,
      ...(limit.restartTimerSec === 0 ? { action: 'stays down until started again' } : {}),
    });
  }

  /** True while the peer is held down, by this limit or another (its connections are refused). */
  isHeld(address: string): boolean {
    return this.holds.isHeld(address);
  }

  /** An operator started the peer again, or it is gone: no hold, no pending restart. */
  release(address: string): void {
    this.holds.release(address);
  }

  /** The session left Established: a later one warns again. */
  onPeerDown(address: string): void {
    for (const key of [...this.warned]) if (key.startsWith(`${address} `)) this.warned.delete(key);
  }

  close(): void {
    this.holds.close();
  }
}
