// Peers held down after going over a limit (max-prefix, RFC 4486 4; the Adj-RIB-In memory
// cap): their connections are refused until the limit's restart timer runs out, then
// the session starts again; with a timer of 0 until an operator starts it.

import type { Cancel, Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';

interface Hold {
  /** The pending restart; undefined: held until released. */
  readonly cancel: Cancel | undefined;
  /** Why, as a refused connection's log line says it. */
  readonly reason: string;
}

/** The peers held down, shared by every limit that holds one. */
export class PeerHoldDown {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly held = new Map<string, Hold>();

  constructor(deps: { readonly clock: Clock; readonly logger: Logger }) {
    this.clock = deps.clock;
    this.logger = deps.logger;
  }

  /**
   * Holds `address` down (replacing any hold it had): after `restartTimerSec` (0: never)
   * the hold ends, `restartMsg` is logged at info and `restart` runs.
   */
  hold(address: string, restartTimerSec: number, reason: string, restartMsg: string, restart: () => void): void {
    this.held.get(address)?.cancel?.();
    const cancel = restartTimerSec > 0
      ? this.clock.after(restartTimerSec * 1000, () => {
          this.held.delete(address);
          this.logger.info(restartMsg, { peer: address });
          restart();
        })
      : undefined;
    this.held.set(address, { cancel, reason });
  }

  /** True while the peer is held down (its connections are refused). */
  isHeld(address: string): boolean {
    return this.held.has(address);
  }

  /** Why the peer is held down; undefined when it is not. */
  reasonOf(address: string): string | undefined {
    return this.held.get(address)?.reason;
  }

  /** An operator started the peer again, or it is gone: no hold, no pending restart. */
  release(address: string): void {
    this.held.get(address)?.cancel?.();
    this.held.delete(address);
  }

  close(): void {
    for (const h of this.held.values()) h.cancel?.();
    this.held.clear();
  }
}

/** What the hold says of what comes next, for the log line that reports it. */
export function restartText(restartTimerSec: number): string {
  return restartTimerSec > 0 ? `reconnect allowed in ${restartTimerSec} s` : 'stays down until started again';
}
