// The daemon's stand-in for the RIB: an UpdateSink that counts what each peer sends and,
// at debug level, logs every route received or withdrawn (IPv4 fields of RFC 4271 4.3
// and MP_REACH/MP_UNREACH of RFC 4760), applying the RFC 7606 action of each UPDATE.
// The real RIB (src/rib) replaces it; it keeps no routes.

import type { Logger } from '../lib/logger.js';
import { formatAddress, formatPrefix } from '../lib/address.js';
import type { PeerInfo, UpdateSink } from '../rib/sink.js';
import type { UpdateMessage } from '../wire/update.js';
import type { NlriList } from '../wire/nlri.js';
import { familyKey, familyName, type FamilyKey } from '../wire/context.js';
import { ErrorAction } from '../wire/errors.js';
import { AsSegmentType, Origin, type AsPathSegment, type PathAttributes } from '../wire/attributes/types.js';

/** Counters of one peer's session, reset when it is established again. */
export interface PeerRouteCounts {
  /** NLRI announced (each announcement counts, a replacement too). */
  readonly announced: number;
  /** NLRI withdrawn, including those treated as withdrawn (RFC 7606). */
  readonly withdrawn: number;
  readonly updates: number;
}

/** AS_PATH as text: sequences space-separated, sets as {a,b}, confederation parts in () and []. */
export function formatAsPath(path: readonly AsPathSegment[] | undefined): string {
  if (path === undefined) return '';
  return path
    .map((seg) => {
      switch (seg.type) {
        case AsSegmentType.sequence:
          return seg.asns.join(' ');
        case AsSegmentType.set:
          return `{${seg.asns.join(',')}}`;
        case AsSegmentType.confedSequence:
          return `(${seg.asns.join(' ')})`;
        case AsSegmentType.confedSet:
          return `[${seg.asns.join(',')}]`;
      }
    })
    .filter((s) => s !== '')
    .join(' ');
}

const originLetters: Readonly<Record<number, string>> = { [Origin.igp]: 'i', [Origin.egp]: 'e', [Origin.incomplete]: '?' };

export function formatOrigin(origin: Origin | undefined): string {
  return origin === undefined ? '' : (originLetters[origin] ?? String(origin));
}

interface MutableCounts {
  announced: number;
  withdrawn: number;
  updates: number;
}

export class RouteLogSink implements UpdateSink {
  private readonly counts = new Map<string, MutableCounts>();

  constructor(private readonly logger: Logger) {}

  /** The counters of a peer (by address), if it has been established. */
  countsOf(peer: string): PeerRouteCounts | undefined {
    return this.counts.get(peer);
  }

  onEstablished(peer: PeerInfo): void {
    this.counts.set(peer.address, { announced: 0, withdrawn: 0, updates: 0 });
  }

  onUpdate(peer: PeerInfo, update: UpdateMessage): void {
    const counts = this.countsFor(peer.address);
    counts.updates++;
    const attrs = update.attributes;
    const mpReach = attrs.mpReach;
    const mpUnreach = attrs.mpUnreach;
    this.withdraw(peer, update.withdrawn, counts);
    if (mpUnreach !== undefined) this.withdraw(peer, mpUnreach.withdrawn, counts);

    const action = update.action;
    if (action === ErrorAction.treatAsWithdraw || action === ErrorAction.afiSafiDisable) {
      if (action === ErrorAction.afiSafiDisable) {
        // Without a RIB there is no family to switch off: its routes in this UPDATE are
        // treated as withdrawn, and the operator is told.
        const disabled = update.disabledFamilies ?? (mpReach === undefined ? [] : [familyKey(mpReach.afi, mpReach.safi)]);
        this.logger.error('address family disabled', { peer: peer.address, family: disabled.map(familyName).join(','), error: update.faults.map((f) => f.message).join('; ') });
      }
      this.withdraw(peer, update.nlri, counts);
      if (mpReach !== undefined) this.withdraw(peer, mpReach.nlri, counts);
      return;
    }
    counts.announced += update.nlri.count + (mpReach?.nlri.count ?? 0);
    if (!this.logger.isDebug) return;
    if (update.nlri.count > 0) this.logReceived(peer, update.nlri, attrs, attrs.nextHop);
    if (mpReach !== undefined && mpReach.nlri.count > 0) this.logReceived(peer, mpReach.nlri, attrs, mpReach.nextHop);
  }

  onEndOfRib(peer: PeerInfo, family: FamilyKey): void {
    const counts = this.counts.get(peer.address);
    this.logger.info('end of rib', { peer: peer.address, family: familyName(family), announced: counts?.announced ?? 0 });
  }

  onPeerDown(peer: PeerInfo, reason: string): void {
    const counts = this.counts.get(peer.address);
    this.logger.info('peer routes dropped', { peer: peer.address, reason, announced: counts?.announced ?? 0, withdrawn: counts?.withdrawn ?? 0 });
  }

  private countsFor(peer: string): MutableCounts {
    let c = this.counts.get(peer);
    if (c === undefined) {
      c = { announced: 0, withdrawn: 0, updates: 0 };
      this.counts.set(peer, c);
    }
    return c;
  }

  private withdraw(peer: PeerInfo, list: NlriList, counts: MutableCounts): void {
    if (list.count === 0) return;
    counts.withdrawn += list.count;
    if (!this.logger.isDebug) return;
    for (const { prefix, pathId } of list) {
      this.logger.debug('route withdrawn', { peer: peer.address, prefix: formatPrefix(prefix), ...(list.hasPathId ? { pathId } : {}) });
    }
  }

  private logReceived(peer: PeerInfo, list: NlriList, attrs: PathAttributes, nextHop: Uint8Array | undefined): void {
    const common = {
      peer: peer.address,
      nextHop: nextHop === undefined ? '' : formatAddress(nextHop),
      asPath: formatAsPath(attrs.asPath),
      origin: formatOrigin(attrs.origin),
    };
    for (const { prefix, pathId } of list) {
      this.logger.debug('route received', { peer: common.peer, prefix: formatPrefix(prefix), nextHop: common.nextHop, asPath: common.asPath, origin: common.origin, ...(list.hasPathId ? { pathId } : {}) });
    }
  }
}
