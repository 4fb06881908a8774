// Measuring a daemon from outside: its memory (VmRSS, VmHWM) and CPU time from
// /proc/PID, and the wait for "the daemon holds N routes". The wait asks the daemon's
// CLI or API only when its CPU has gone idle (plus rare fallback polls with back-off):
// some daemons answer a count query on the thread that applies UPDATEs, and polling
// them often slows the very ingest being measured.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';

/** Linux reports /proc CPU times in USER_HZ ticks, 100 per second on every architecture. */
export const ticksPerSecond = 100;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident memory now and at its peak, kB (from /proc/PID/status). */
export interface ProcMemory {
  readonly rssKb: number;
  readonly hwmKb: number;
}

/** Reads VmRSS and VmHWM of a running process; throws if it is gone. */
export function readMemory(pid: number): ProcMemory {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    if (m === null) throw new Error(`/proc/${pid}/status has no ${name} line`);
    return Number(m[1]);
  };
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** User plus system CPU ticks of every thread of the process, or undefined once it is gone. */
export function readCpuTicks(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) (utime, stime) are 12 and 13 after the name.
  return Number(fields[11]) + Number(fields[12]);
}

interface CpuSample {
  readonly atMs: number;
  readonly ticks: number;
}

/**
 * Samples a process's CPU ticks every `intervalMs` (a file read: it does not disturb
 * the process) and keeps the last `keep` samples.
 */
export class CpuSampler {
  private readonly samples: CpuSample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly pid: number,
    readonly intervalMs = 20,
    private readonly keep = 2000,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private sample(): void {
    const ticks = readCpuTicks(this.pid);
    if (ticks !== undefined) this.addSample(performance.now(), ticks);
  }

  /** Records one sample (the timer's; tests feed their own). */
  addSample(atMs: number, ticks: number): void {
    this.samples.push({ atMs, ticks });
    if (this.samples.length > this.keep) this.samples.splice(0, this.samples.length - this.keep);
  }

  /** CPU seconds used between two instants (by the nearest samples), for the report. */
  cpuSecondsBetween(fromMs: number, toMs: number): number {
    const at = (ms: number): number => {
      let best = this.samples[0]?.ticks ?? 0;
      for (const s of this.samples) if (s.atMs <= ms) best = s.ticks;
      return best;
    };
    return (at(toMs) - at(fromMs)) / ticksPerSecond;
  }

  /**
   * When the process's current idle stretch began: the earliest sample after which it
   * used at most `toleranceTicks` ticks (a stray timer or GC tick is not work). Undefined
   * unless that stretch has lasted `windowMs` up to the newest sample.
   */
  idleSince(windowMs: number, toleranceTicks = 1): number | undefined {
    const newest = this.samples[this.samples.length - 1];
    if (newest === undefined) return undefined;
    let start: number | undefined;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const s = this.samples[i]!;
      if (newest.ticks - s.ticks > toleranceTicks) break;
      start = s.atMs;
    }
    if (start === undefined || newest.atMs - start < windowMs) return undefined;
    return start;
  }
}

/** What `waitForRoutes` needs. */
export interface RouteWait {
  readonly sampler: CpuSampler;
  /** Routes (both families) the daemon holds, asked through its own CLI or API. */
  readonly count: () => Promise<number>;
  readonly target: number;
  /** When the phase began (first UPDATE written, or the session dropped). */
  readonly startMs: number;
  readonly timeoutMs: number;
  /** Idle this long before asking (default 250 ms). */
  readonly idleWindowMs?: number;
  /** First fallback poll this long after the start, then doubling (default 20 s). */
  readonly firstFallbackMs?: number;
  /** Largest fallback gap (default 40 s). */
  readonly maxFallbackMs?: number;
  /** Idle this long with the count unchanged below target: stalled (default 5 s). */
  readonly stallMs?: number;
  /** A reason to stop waiting at once (the daemon exited), else undefined. */
  readonly failFast?: () => string | undefined;
}

/**
 * How the end was found: `cpu-idle` is the start of the idle stretch after which the
 * count was right (within a sample, ~20 ms); `poll` is the reply of the first count
 * query that was right (an upper bound, used when the daemon never went idle).
 */
export type EndMethod = 'cpu-idle' | 'poll';

export type WaitOutcome =
  | { readonly kind: 'done'; readonly endMs: number; readonly method: EndMethod; readonly queries: number }
  | { readonly kind: 'timeout' | 'stalled' | 'failed'; readonly reason: string; readonly lastCount: number | undefined; readonly queries: number };

/**
 * Waits until the daemon holds `target` routes and has finished working. Bounded by
 * `timeoutMs` (and so by a count of 20 ms steps); queries only when the CPU went idle,
 * when an idle stretch grew past `stallMs`, or on the fallback schedule (20, 60, 100... s):
 * the fallback only matters for a daemon that never goes idle.
 */
export async function waitForRoutes(w: RouteWait): Promise<WaitOutcome> {
  const idleWindowMs = w.idleWindowMs ?? 250;
  const stallMs = w.stallMs ?? 5000;
  const maxFallbackMs = w.maxFallbackMs ?? 40_000;
  let fallbackGapMs = w.firstFallbackMs ?? 20_000;
  let nextFallbackMs = w.startMs + fallbackGapMs;
  const stepMs = w.sampler.intervalMs;
  const steps = Math.ceil(w.timeoutMs / stepMs) + 1;
  let queries = 0;
  let lastCount: number | undefined;
  let lastError = '';
  /** Idle stretch already asked about, and whether its stall check was done. */
  let askedIdle: number | undefined;
  let askedStall: number | undefined;
  /** When a fallback poll saw the target while the daemon was busy. */
  let reachedMs: number | undefined;

  const ask = async (): Promise<number | undefined> => {
    queries++;
    try {
      lastCount = await w.count();
      return lastCount;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      return undefined;
    }
  };

  for (let i = 0; i < steps; i++) {
    await delay(stepMs);
    const fatal = w.failFast?.();
    if (fatal !== undefined) return { kind: 'failed', reason: fatal, lastCount, queries };
    const now = performance.now();
    if (now - w.startMs > w.timeoutMs) break;
    const idle = w.sampler.idleSince(idleWindowMs);
    if (idle !== undefined && reachedMs !== undefined) {
      return { kind: 'done', endMs: Math.max(idle, w.startMs), method: 'cpu-idle', queries };
    }
    if (reachedMs !== undefined && now - reachedMs > stallMs) {
      // Right count, never idle: the reply time is the best bound there is.
      return { kind: 'done', endMs: reachedMs, method: 'poll', queries };
    }
    if (idle !== undefined && idle !== askedIdle) {
      askedIdle = idle;
      const count = await ask();
      // Idle before the question and the right answer: the work ended when idleness began.
      if (count === w.target && w.sampler.idleSince(idleWindowMs) === idle) {
        return { kind: 'done', endMs: Math.max(idle, w.startMs), method: 'cpu-idle', queries };
      }
      if (count === w.target) reachedMs = performance.now();
      continue;
    }
    if (idle !== undefined && now - idle > stallMs && askedStall !== idle) {
      askedStall = idle;
      const before = lastCount;
      const count = await ask();
      if (count !== undefined && count === before && count !== w.target) {
        return { kind: 'stalled', reason: `idle for ${((now - idle) / 1000).toFixed(1)} s holding ${count} of ${w.target} routes`, lastCount, queries };
      }
      continue;
    }
    if (now >= nextFallbackMs) {
      fallbackGapMs = Math.min(fallbackGapMs * 2, maxFallbackMs);
      nextFallbackMs = now + fallbackGapMs;
      const count = await ask();
      if (count === w.target && reachedMs === undefined) reachedMs = performance.now();
    }
  }
  // The right count came too close to the deadline to see the daemon go idle.
  if (reachedMs !== undefined) return { kind: 'done', endMs: reachedMs, method: 'poll', queries };
  const seen = lastCount === undefined ? `no count${lastError === '' ? '' : ` (last error: ${lastError})`}` : `${lastCount} of ${w.target} routes`;
  return { kind: 'timeout', reason: `not done after ${(w.timeoutMs / 1000).toFixed(0)} s: ${seen}`, lastCount, queries };
}

/**
 * How long the daemon leaves a cheap request waiting: `ping` is sent again `gapMs` after
 * each reply, and the longest round trip is kept. A daemon running one event loop
 * answers only between two pieces of work, so the longest wait is about its longest
 * block (plus one round trip): what its other peers and its API see at worst.
 */
export class StallProbe {
  private longestMs = 0;
  private pings = 0;
  private isRunning = false;
  private loop: Promise<void> | undefined;
  /** This process's own event-loop delay while probing: a wait it caused is not the daemon's. */
  private readonly ownDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    private readonly ping: () => Promise<unknown>,
    readonly gapMs = 25,
  ) {}

  start(): this {
    this.isRunning = true;
    this.ownDelay.enable();
    this.loop = this.run();
    return this;
  }

  private async run(): Promise<void> {
    while (this.isRunning) {
      const sentMs = performance.now();
      try {
        await this.ping();
      } catch {
        // A failed ping still measured a wait; the phase itself reports failures.
      }
      this.longestMs = Math.max(this.longestMs, performance.now() - sentMs);
      this.pings++;
      if (this.isRunning) await delay(this.gapMs);
    }
  }

  /**
   * Stops after the ping in flight; returns the longest wait (ms), the pings sent, and
   * the longest this process's own event loop was held meanwhile (ms; a wait that long
   * or shorter may be ours, not the daemon's).
   */
  async stop(): Promise<{ readonly longestMs: number; readonly pings: number; readonly ownLongestMs: number }> {
    this.isRunning = false;
    await this.loop;
    this.ownDelay.disable();
    return { longestMs: this.longestMs, pings: this.pings, ownLongestMs: this.ownDelay.max / 1e6 };
  }
}
