// The cap on the memory a peer's Adj-RIB-In may take (`adj-rib-in-limit.config`, a tsbgpd
// extension): each UPDATE is checked before the RIB stores any of it, the peer's estimate
// (rib/memory-estimate.ts) plus what the UPDATE would add against the cap; above it the
// session ends with Cease / Out of Resources (RFC 4486 3, subcode 8) and the peer is held
// down for the restart timer, as after max-prefix (prefix-limit.ts).

import type { Logger } from '../lib/logger.js';
import { familyKey, type FamilyKey } from '../wire/context.js';
import { ErrorAction } from '../wire/errors.js';
import type { NlriList } from '../wire/nlri.js';
import type { UpdateMessage } from '../wire/update.js';
import type { PeerInfo } from '../rib/sink.js';
import { attrSetBytes, ipv4RouteBytes, routeBytes } from '../rib/memory-estimate.js';
import type { AdjRibInLimitConfig } from './adj-rib-in-limit-config.js';
import { announced } from './prefix-limit.js';
import { restartText, type PeerHoldDown } from './peer-hold.js';

/** What the guard asks the RIB (Rib has it all). */
export interface AdjRibInMemory {
  /** The peer's estimated Adj-RIB-In bytes: routes of every family, stale ones included, and the sets charged to it. */
  adjRibInBytes(peer: string): number;
  adjRibInRouteCount(peer: string): number;
  newRouteCount(peer: string, family: FamilyKey, list: NlriList): number;
  readonly attrStore: { hasReceived(attrKey: Uint8Array, nextHop: Uint8Array, linkLocalNextHop: Uint8Array | undefined, isEbgp: boolean): boolean };
}

/** An UPDATE that would take the peer over its cap. */
export interface AdjRibInCapExceeded {
  readonly limit: AdjRibInLimitConfig;
  /** The estimate before the UPDATE. */
  readonly heldBytes: number;
  /** The estimate had the UPDATE been stored (an upper bound). */
  readonly bytes: number;
  /** Routes held, every family. */
  readonly routes: number;
}

export const bytesPerMib = 1024 * 1024;

/**
 * The longest head a received set's key can have before the attribute bytes: eBGP flag,
 * next hop length, a 16-byte next hop, link-local length, a 16-byte link-local one.
 */
const maxKeyHeadLength = 35;

/** MiB to one decimal, for log lines. */
export function mib(bytes: number): number {
  return Math.round((bytes / bytesPerMib) * 10) / 10;
}

export class AdjRibInLimitGuard {
  private readonly logger: Logger;
  private readonly rib: AdjRibInMemory;
  private readonly holds: PeerHoldDown;

  constructor(deps: { readonly logger: Logger; readonly rib: AdjRibInMemory; readonly holds: PeerHoldDown }) {
    this.logger = deps.logger;
    this.rib = deps.rib;
    this.holds = deps.holds;
  }

  /**
   * Checks an UPDATE against the peer's cap before it is stored: what going over would
   * reach, else undefined. An UPDATE that announces nothing never goes over (withdrawals
   * only free memory). O(families) while far from the cap; near it, one lookup per route.
   */
  check(info: PeerInfo, limit: AdjRibInLimitConfig, update: UpdateMessage): AdjRibInCapExceeded | undefined {
    if (limit.maxMemoryMib === 0 || update.action === ErrorAction.treatAsWithdraw) return undefined;
    // Runs on every UPDATE of every peer: the usual case allocates nothing.
    const reach = update.attributes.mpReach;
    const ipv4Count = update.nlri.count;
    const mpCount = reach === undefined ? 0 : reach.nlri.count;
    if (ipv4Count === 0 && mpCount === 0) return undefined;
    const capBytes = limit.maxMemoryMib * bytesPerMib;
    const address = info.address;
    const heldBytes = this.rib.adjRibInBytes(address);
    const setBytes = attrSetBytes(maxKeyHeadLength + update.attrKey.length);
    let upper = heldBytes;
    if (ipv4Count > 0) upper += ipv4Count * ipv4RouteBytes + setBytes;
    if (reach !== undefined && mpCount > 0) upper += mpCount * routeBytes(familyKey(reach.afi, reach.safi)) + setBytes;
    if (upper <= capBytes) return undefined;
    // Close to the cap: count only routes not held yet and a set only if the store lacks it.
    let bytes = heldBytes;
    for (const { family, list } of announced(update)) {
      bytes += this.rib.newRouteCount(address, family, list) * routeBytes(family);
      const nextHop = nextHopOf(update, family);
      if (nextHop !== undefined && !this.rib.attrStore.hasReceived(update.attrKey, nextHop.nextHop, nextHop.linkLocalNextHop, info.isEbgp)) bytes += setBytes;
    }
    return bytes > capBytes ? { limit, heldBytes, bytes, routes: this.rib.adjRibInRouteCount(address) } : undefined;
  }

  /**
   * The peer went over its cap: holds it down for the restart timer (`restart` then
   * runs) and logs the one error line an operator needs. The caller stops the session.
   */
  holdDown(address: string, exceeded: AdjRibInCapExceeded, restart: () => void): void {
    const { limit } = exceeded;
    this.holds.hold(address, limit.restartTimerSec, 'held down after exceeding its adj-rib-in memory cap', 'adj-rib-in memory cap restart', restart);
    this.logger.error('adj-rib-in memory cap reached', {
      peer: address,
      estimateMib: mib(exceeded.heldBytes),
      routes: exceeded.routes,
      capMib: limit.maxMemoryMib,
      withUpdateMib: mib(exceeded.bytes),
      action: `session closed (Cease/Out of Resources), ${restartText(limit.restartTimerSec)}`,
    });
  }
}

/** The next hop a section's routes would be stored with (the RIB withdraws routes without one). */
function nextHopOf(update: UpdateMessage, family: FamilyKey): { readonly nextHop: Uint8Array; readonly linkLocalNextHop: Uint8Array | undefined } | undefined {
  const reach = update.attributes.mpReach;
  if (reach !== undefined && family === familyKey(reach.afi, reach.safi)) return { nextHop: reach.nextHop, linkLocalNextHop: reach.linkLocalNextHop };
  const nextHop = update.attributes.nextHop;
  return nextHop === undefined ? undefined : { nextHop, linkLocalNextHop: undefined };
}
