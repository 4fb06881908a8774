// Reading a V8 CPU profile (`node --cpu-prof`, a .cpuprofile JSON file): self time per
// function, heaviest first, for the benchmark's "where tsbgpd spends its time".

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ProfileEntry } from './report.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Monotonic clock, µs (CLOCK_MONOTONIC on Linux, as process.hrtime). */
  readonly startTime?: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** The .cpuprofile files in a directory, newest name last. */
export function profileFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .map((f) => join(dir, f));
}

/** A stretch of the monotonic clock, µs (process.hrtime.bigint() / 1000). */
export interface MonotonicWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

/**
 * The `limit` functions with the most self time, counting only samples inside `window`
 * when given (the ingest, not start-up or shutdown). Functions are keyed by name, file
 * and line; `rootUrl` is cut from file URLs so paths read as in the repository. Idle
 * time is left out of the total (the daemon waiting for input is not work).
 */
export function topFunctions(file: string, rootUrl: string, limit = 15, window?: MonotonicWindow): ProfileEntry[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n] as const));
  const selfUs = new Map<string, { name: string; where: string; us: number }>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let totalUs = 0;
  let atUs = profile.startTime ?? 0;
  for (let i = 0; i < samples.length; i++) {
    atUs += deltas[i] ?? 0;
    if (window !== undefined && (atUs < window.fromUs || atUs > window.toUs)) continue;
    const node = byId.get(samples[i]!);
    // A sample's time is the gap to the next one (V8 records the gap before each).
    const us = Math.max(0, deltas[i + 1] ?? 0);
    if (node === undefined || node.callFrame.functionName === '(idle)') continue;
    const f = node.callFrame;
    const where = f.url === '' ? '' : `${f.url.startsWith(rootUrl) ? f.url.slice(rootUrl.length) : f.url}:${f.lineNumber + 1}`;
    const name = f.functionName === '' ? '(anonymous)' : f.functionName;
    const key = `${name} ${where}`;
    const entry = selfUs.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    selfUs.set(key, entry);
    totalUs += us;
  }
  return [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, share: totalUs === 0 ? 0 : e.us / totalUs }));
}
