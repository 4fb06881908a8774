// Time for everything in tsbgp: the only module that touches setTimeout or Date.
// Timers (RFC 4271 section 10) and any other delay take a Clock, so tests step a
// ManualClock instead of sleeping.

/** Cancels a pending callback; calling it twice, or after it fired, does nothing. */
export type Cancel = () => void;

/** A source of time and of delayed callbacks. */
export interface Clock {
  /** Milliseconds since an arbitrary fixed origin; never goes backwards. */
  now(): number;
  /** Wall-clock milliseconds since the Unix epoch, for timestamps shown to people. */
  wallNow(): number;
  /** Runs `fn` once after `delayMs` (0 allowed); returns its cancel. */
  after(delayMs: number, fn: () => void): Cancel;
}

/** The real clock: monotonic `now`, timers from Node's event loop. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  after(delayMs, fn) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    // A pending protocol timer must not by itself keep the process alive at shutdown.
    handle.unref();
    return () => clearTimeout(handle);
  },
};

interface PendingTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  isCancelled: boolean;
}

/** A clock that moves only when told to; callbacks run in time order inside `advance`. */
export class ManualClock implements Clock {
  private current: number;
  private readonly wallOrigin: number;
  private seq = 0;
  private pending: PendingTimer[] = [];

  constructor(startMs = 0, wallOrigin = Date.UTC(2019, 6, 27, 7, 32, 17)) {
    this.current = startMs;
    this.wallOrigin = wallOrigin;
  }

  now(): number {
    return this.current;
  }

  wallNow(): number {
    return this.wallOrigin + this.current;
  }

  after(delayMs: number, fn: () => void): Cancel {
    const timer: PendingTimer = { at: this.current + Math.max(0, delayMs), seq: this.seq++, fn, isCancelled: false };
    this.pending.push(timer);
    return () => {
      timer.isCancelled = true;
    };
  }

  /** Number of callbacks still waiting. */
  get pendingCount(): number {
    return this.pending.filter((t) => !t.isCancelled).length;
  }

  /** Moves time forward by `ms`, running every callback due on the way, in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.pending = this.pending.filter((t) => !t.isCancelled);
      let next: PendingTimer | undefined;
      for (const t of this.pending) {
        if (t.at <= target && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (next === undefined) break;
      this.current = next.at;
      next.isCancelled = true;
      next.fn();
    }
    this.current = target;
  }
}

/** A source of uniform random numbers in [0, 1), injected where jitter is applied. */
export type Random = () => number;
