// Where the daemon's received routes go: every session's UpdateSink calls reach both the
// route log and the RIB, in that order (so a `route received` line precedes the `best
// path` line it causes), and the RIB's change feed (RFC 4271 9.1.2 best route and its
// multipath set) is logged at debug level, one line per prefix changed.

import type { Logger } from '../lib/logger.js';
import { formatAddress } from '../lib/address.js';
import type { PeerInfo, UpdateSink } from '../rib/sink.js';
import type { Rib } from '../rib/rib.js';
import type { Route } from '../rib/route.js';
import { formatPrefixKey } from '../rib/prefix-key.js';
import type { UpdateMessage } from '../wire/update.js';
import type { FamilyKey } from '../wire/context.js';

/** Hands every call to each sink in turn; a sink that throws stops the ones after it. */
export class TeeSink implements UpdateSink {
  private readonly sinks: readonly UpdateSink[];

  constructor(...sinks: UpdateSink[]) {
    this.sinks = sinks;
  }

  onEstablished(peer: PeerInfo): void {
    for (const s of this.sinks) s.onEstablished(peer);
  }

  onUpdate(peer: PeerInfo, update: UpdateMessage): void {
    for (const s of this.sinks) s.onUpdate(peer, update);
  }

  onEndOfRib(peer: PeerInfo, family: FamilyKey): void {
    for (const s of this.sinks) s.onEndOfRib(peer, family);
  }

  onPeerDown(peer: PeerInfo, reason: string): void {
    for (const s of this.sinks) s.onPeerDown(peer, reason);
  }
}

/** A route's next hop as text ("" for a local route without one). */
export function nextHopText(route: Route): string {
  return route.nextHop.length === 0 ? '' : formatAddress(route.nextHop);
}

/**
 * Logs the RIB's change feed: debug `best path` {prefix, best, multipath, reason?} per
 * changed prefix, `best` omitted (and `multipath` empty) when the prefix has no usable
 * route left. Subscribes only when debug lines are written; returns the unsubscription.
 */
export function logRibChanges(rib: Rib, logger: Logger): () => void {
  if (!logger.isDebug) return () => {};
  return rib.subscribe((changes) => {
    for (const change of changes) {
      const prefix = formatPrefixKey(change.key);
      const best = change.best;
      if (best === undefined) {
        logger.debug('best path', { prefix, multipath: [] });
        continue;
      }
      const reason = rib.entry(change.family, change.key)?.reason;
      logger.debug('best path', {
        prefix,
        best: nextHopText(best),
        multipath: change.multipath.map(nextHopText),
        peer: best.peer.address,
        ...(reason === undefined ? {} : { reason }),
      });
    }
  });
}
