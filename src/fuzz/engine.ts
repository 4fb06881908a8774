// A coverage-guided mutation fuzzer: inputs that make V8 run a block of our code it had
// not run before join the corpus, and mutations of the corpus make the next inputs.
// Coverage is V8's block coverage (Profiler.takePreciseCoverage, which resets its
// counters on each take). A crash is any throw the target does not expect; a hang is
// an input slower than the time budget.

import { Session } from 'node:inspector';
import { createHash } from 'node:crypto';
import type { FuzzTarget } from './targets.js';
import type { Random } from '../lib/clock.js';

interface CoverageRange {
  readonly startOffset: number;
  readonly endOffset: number;
  readonly count: number;
}
interface FunctionCoverage {
  readonly functionName: string;
  readonly ranges: readonly CoverageRange[];
}
interface ScriptCoverage {
  readonly url: string;
  readonly functions: readonly FunctionCoverage[];
}

/**
 * Block coverage of the scripts whose URL passes `filter`. With binary counts V8 reports,
 * per function run, the blocks inside it that did not run; a block is covered once it
 * was seen not reported in a run of its function.
 */
export class Coverage {
  private readonly session = new Session();
  /** Per function: blocks ever seen, and those seen run. */
  private readonly known = new Map<string, Set<string>>();
  private readonly covered = new Map<string, Set<string>>();
  private coveredCount = 0;
  private knownCount = 0;

  constructor(private readonly filter: (url: string) => boolean) {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: false, detailed: true });
  }

  private post(method: string, params?: object): unknown {
    let result: unknown;
    let error: Error | null = null;
    // An in-thread session answers synchronously.
    this.session.post(method, params, (err, r) => {
      error = err;
      result = r;
    });
    if (error !== null) throw error;
    return result;
  }

  /** Blocks covered so far and blocks known (covered or seen not run). */
  get counts(): { covered: number; known: number } {
    return { covered: this.coveredCount, known: this.knownCount };
  }

  /** Reads (and resets) what ran since the last call; returns how many blocks are new. */
  collect(): number {
    const { result } = this.post('Profiler.takePreciseCoverage') as { result: readonly ScriptCoverage[] };
    let fresh = 0;
    for (const script of result) {
      if (!this.filter(script.url)) continue;
      for (const fn of script.functions) {
        const top = fn.ranges[0];
        if (top === undefined || top.count === 0) continue;
        const id = `${script.url}:${top.startOffset}`;
        let known = this.known.get(id);
        let covered = this.covered.get(id);
        if (known === undefined || covered === undefined) {
          known = new Set(['entry']);
          covered = new Set(['entry']);
          this.known.set(id, known);
          this.covered.set(id, covered);
          this.knownCount++;
          this.coveredCount++;
          fresh++;
        }
        const notRun = new Set<string>();
        for (const r of fn.ranges.slice(1)) {
          if (r.count !== 0) continue;
          const key = `${r.startOffset}-${r.endOffset}`;
          notRun.add(key);
          if (!known.has(key)) {
            known.add(key);
            this.knownCount++;
          }
        }
        for (const key of known) {
          if (notRun.has(key) || covered.has(key)) continue;
          covered.add(key);
          this.coveredCount++;
          fresh++;
        }
      }
    }
    return fresh;
  }

  /** Forgets what was covered (the profiler keeps running: V8 does not restart block coverage). */
  forget(): void {
    this.collect();
    this.known.clear();
    this.covered.clear();
    this.coveredCount = 0;
    this.knownCount = 0;
  }

  close(): void {
    this.post('Profiler.stopPreciseCoverage');
    this.session.disconnect();
  }
}

/** Values that sit on length and type boundaries. */
const interesting = [0, 1, 2, 3, 4, 0x0f, 0x10, 0x13, 0x1d, 0x20, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xc0, 0xe0, 0xfe, 0xff];

/** A mutated copy of `input`; `other` is another corpus entry to splice from. */
export function mutate(input: Uint8Array, other: Uint8Array, random: Random, maxLength: number): Uint8Array {
  const int = (n: number): number => Math.floor(random() * n);
  let b: Uint8Array = Uint8Array.from(input);
  const rounds = 1 + int(4);
  for (let i = 0; i < rounds; i++) {
    const at = int(b.length + 1);
    switch (int(9)) {
      case 0:
        if (b.length > 0) b[int(b.length)]! ^= 1 << int(8);
        break;
      case 1:
        if (b.length > 0) b[int(b.length)] = int(256);
        break;
      case 2:
        if (b.length > 0) b[int(b.length)] = interesting[int(interesting.length)]!;
        break;
      case 3: {
        // A 16-bit field (lengths are big-endian u16 in BGP) nudged or set to a boundary.
        if (b.length < 2) break;
        const p = int(b.length - 1);
        const v = int(2) === 0 ? (((b[p]! << 8) | b[p + 1]!) + int(33) - 16) & 0xffff : [0, 1, 0xff, 0x100, 0x7fff, 0xffff][int(6)]!;
        b[p] = v >> 8;
        b[p + 1] = v & 0xff;
        break;
      }
      case 4: {
        const end = Math.min(b.length, at + 1 + int(16));
        b = concat(b.subarray(0, at), b.subarray(end));
        break;
      }
      case 5: {
        const n = 1 + int(8);
        const ins = new Uint8Array(n).map(() => (int(2) === 0 ? int(256) : interesting[int(interesting.length)]!));
        b = concat(b.subarray(0, at), ins, b.subarray(at));
        break;
      }
      case 6: {
        // A stretch repeated: many attributes, many NLRI, many messages.
        const start = int(b.length + 1);
        const piece = b.subarray(start, Math.min(b.length, start + 1 + int(32)));
        b = concat(b.subarray(0, at), piece, b.subarray(at));
        break;
      }
      case 7: {
        const from = int(other.length + 1);
        const piece = other.subarray(from, Math.min(other.length, from + 1 + int(64)));
        b = concat(b.subarray(0, at), piece, b.subarray(at));
        break;
      }
      default:
        b = b.subarray(0, at);
        break;
    }
  }
  return b.length > maxLength ? b.subarray(0, maxLength) : b;
}

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The name a kept input is stored under. */
export function inputName(kind: 'crash' | 'hang' | 'cov', input: Uint8Array): string {
  return `${kind}-${createHash('sha1').update(input).digest('hex').slice(0, 16)}`;
}

/** What one input did. */
export type Outcome = { readonly kind: 'ok' | 'expected'; readonly ms: number } | { readonly kind: 'crash'; readonly ms: number; readonly error: unknown };

/** Runs one input and classifies its end. */
export async function runOne(target: FuzzTarget, input: Uint8Array): Promise<Outcome> {
  const start = performance.now();
  try {
    await target.run(input);
    return { kind: 'ok', ms: performance.now() - start };
  } catch (error) {
    const ms = performance.now() - start;
    return target.isExpected(error) ? { kind: 'expected', ms } : { kind: 'crash', ms, error };
  }
}

export interface FuzzOptions {
  readonly seconds: number;
  /** Slower than this an input is a hang. */
  readonly hangMs: number;
  readonly maxLength: number;
  readonly random: Random;
  /** Inputs run between coverage reads; a batch with new coverage is re-run input by input. */
  readonly batch: number;
  onCrash(input: Uint8Array, kind: 'crash' | 'hang', detail: string): void;
  onCorpus(input: Uint8Array): void;
}

export interface FuzzStats {
  executions: number;
  corpus: number;
  coveredBlocks: number;
  knownBlocks: number;
  crashes: number;
  hangs: number;
  /** Distinct crash signatures (error type and first stack frame). */
  readonly signatures: Set<string>;
  seconds: number;
}

function signatureOf(error: unknown): string {
  if (!(error instanceof Error)) return `non-error ${String(error)}`;
  const frame = (error.stack ?? '').split('\n').find((l) => l.trim().startsWith('at ')) ?? '';
  return `${error.name}: ${frame.trim()}`;
}

/** Fuzzes `target` for `o.seconds`, starting from `corpus` (seeds and earlier finds). */
export async function fuzz(target: FuzzTarget, corpus: Uint8Array[], coverage: Coverage, o: FuzzOptions): Promise<FuzzStats> {
  const stats: FuzzStats = { executions: 0, corpus: 0, coveredBlocks: 0, knownBlocks: 0, crashes: 0, hangs: 0, signatures: new Set(), seconds: 0 };
  const started = performance.now();
  const deadline = started + o.seconds * 1000;
  const kept: Uint8Array[] = [];
  const consider = async (input: Uint8Array, isRecheck: boolean): Promise<boolean> => {
    const out = await runOne(target, input);
    stats.executions++;
    if (out.kind === 'crash') {
      const sig = signatureOf(out.error);
      stats.crashes++;
      if (!stats.signatures.has(sig)) {
        stats.signatures.add(sig);
        o.onCrash(input, 'crash', `${sig}\n${out.error instanceof Error ? (out.error.stack ?? '') : String(out.error)}`);
      }
    } else if (out.ms > o.hangMs) {
      stats.hangs++;
      o.onCrash(input, 'hang', `${out.ms.toFixed(0)} ms`);
    }
    if (!isRecheck) return false;
    if (coverage.collect() > 0) {
      kept.push(input);
      o.onCorpus(input);
      return true;
    }
    return false;
  };
  // Seeds first, one by one, so each one's coverage counts.
  coverage.collect();
  for (const s of corpus) {
    if (!(await consider(s, true)) && kept.length === 0) kept.push(s);
  }
  if (kept.length === 0) kept.push(new Uint8Array(0));
  const int = (n: number): number => Math.floor(o.random() * n);
  while (performance.now() < deadline) {
    const batch: Uint8Array[] = [];
    for (let i = 0; i < o.batch; i++) batch.push(mutate(kept[int(kept.length)]!, kept[int(kept.length)]!, o.random, o.maxLength));
    for (const input of batch) await consider(input, false);
    if (coverage.collect() > 0) {
      // Something in the batch ran new code: find which inputs, one at a time.
      for (const input of batch) await consider(input, true);
    }
  }
  const c = coverage.counts;
  stats.corpus = kept.length;
  stats.coveredBlocks = c.covered;
  stats.knownBlocks = c.known;
  stats.seconds = (performance.now() - started) / 1000;
  return stats;
}
