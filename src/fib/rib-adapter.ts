// The one place where the FIB meets the RIB: a change of a prefix's best route or
// multipath set (the RIB's change feed) becomes the FIB's desired state for that prefix.
// Only unicast families reach the kernel; routes this speaker originates stay out.

import { Safi } from '../lib/address.js';
import type { RibChange, Route } from '../rib/rib.js';
import { keyToPrefix } from '../rib/prefix-key.js';
import { familyOf } from '../wire/context.js';
import type { Fib, FibRoute } from './fib.js';

function addressKey(a: Uint8Array): string {
  return String.fromCharCode(...a);
}

/** The next hops of a multipath set, each once, in the set's order (best first). */
function nextHopsOf(multipath: readonly Route[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  for (const route of multipath) {
    // Locally originated routes have no next hop to forward to; the kernel already knows them.
    if (route.peer.isLocal || route.nextHop.length === 0) continue;
    const k = addressKey(route.nextHop);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(route.nextHop);
  }
  return out;
}

/** Maps RIB changes to FIB desired states (empty next hops: remove the route). */
export function fibRoutesOf(changes: readonly RibChange[]): FibRoute[] {
  const out: FibRoute[] = [];
  for (const c of changes) {
    if (familyOf(c.family).safi !== Safi.unicast) continue;
    out.push({ prefix: keyToPrefix(c.key), nextHops: c.best === undefined ? [] : nextHopsOf(c.multipath) });
  }
  return out;
}

/** What the FIB needs of the RIB: its change feed. */
export interface RibChangeFeed {
  subscribe(listener: (changes: readonly RibChange[]) => void): () => void;
}

/** Feeds every RIB change into the FIB; returns the unsubscribe. */
export function connectRibToFib(rib: RibChangeFeed, fib: Pick<Fib, 'updateMany'>): () => void {
  return rib.subscribe((changes) => fib.updateMany(fibRoutesOf(changes)));
}
