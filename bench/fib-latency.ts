// `npm run bench`'s latency section: on a loaded table (LOAD /32s from one injector peer
// already in the kernel), single-route UPDATEs (RFC 4271 4.3) at a steady rate, each
// timed from the moment the injector hands it to its socket to the kernel's route
// notification (RTNLGRP_IPV4_ROUTE) in the router's namespace; p50, p99 and max for
// tsbgpd, BIRD and FRR, each in fresh namespaces as the FIB section runs them.
// Usage (root): npx tsc -p tsconfig.json && node dist/bench/fib-latency.js [changes] [daemons]

import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { waitFor } from '../test/interop/harness.js';
import { gateways } from './fib-install.js';
import { agentPath, eachFibDaemon, fibDaemonKinds, injectorAs, installLimitMs, jsonLines, routerAddress, withRouterLab, type FibDaemonKind } from './fib-daemons.js';

/** Routes in the table before the probes start. */
export const latencyLoadRoutes = 100_000;
/** Probes per second. */
export const latencyRatePerS = 20;

/** Percentiles of the probes that arrived, ms. */
export interface LatencyStats {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Probes sent, and how many of them reached the kernel. */
  readonly sent: number;
  readonly arrived: number;
}

/** One daemon's latency run: its figures, or why there are none. */
export interface LatencyRun {
  readonly kind: FibDaemonKind;
  readonly version: string;
  readonly stats?: LatencyStats;
  readonly failure?: string;
}

/** The latency section's figures. */
export interface LatencyResult {
  readonly changes: number;
  readonly loadRoutes: number;
  readonly ratePerS: number;
  readonly daemons: readonly LatencyRun[];
  readonly loadAtStart: readonly number[];
  readonly loadAtEnd: readonly number[];
}

/** Nearest-rank percentile (q in 0..1] of sorted values. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no values');
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}

/** Pairs send and arrival times by probe index; undefined when no probe arrived. */
export function latencyStats(sentMs: ReadonlyMap<number, number>, arrivedMs: ReadonlyMap<number, number>): LatencyStats | undefined {
  const delays: number[] = [];
  for (const [i, sent] of sentMs) {
    const at = arrivedMs.get(i);
    if (at !== undefined) delays.push(at - sent);
  }
  if (delays.length === 0) return undefined;
  delays.sort((a, b) => a - b);
  return { p50Ms: percentile(delays, 0.5), p99Ms: percentile(delays, 0.99), maxMs: delays[delays.length - 1]!, sent: sentMs.size, arrived: delays.length };
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Index -> time of the JSON lines that carry both. */
function timesOf(lines: readonly Record<string, unknown>[], key: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const l of lines) if (typeof l['probe'] === 'number' && typeof l[key] === 'number') m.set(l['probe'], l[key]);
  return m;
}

/** One daemon in fresh namespaces (withRouterLab), its single peer on the first gateway. */
async function runDaemon(kind: FibDaemonKind, changes: number, load: number, ratePerS: number): Promise<LatencyStats> {
  return withRouterLab(kind, 'lat', [gateways[0]!], async ({ scope, router, peers, daemonDown, agentDown }) => {
    const probeSpanMs = (1000 * changes) / ratePerS;
    const limitMs = installLimitMs(load) + probeSpanMs + 60_000;
    const injector = scope.spawn('injector', { command: 'ip', args: ['netns', 'exec', peers.name, process.execPath, agentPath, 'probe', routerAddress, '179', String(injectorAs), gateways[0]!, String(load), String(changes), String(ratePerS), String(limitMs + 30_000)] });
    const injected = jsonLines(injector);
    await waitFor(() => injected.find((l) => l['ready'] === true), { timeoutMs: 60_000, intervalMs: 100, what: `the ${kind} session Established`, scope, failFast: () => agentDown(injector) });
    // The connected route of the link counts as a one-hop route too.
    const counter = scope.spawn('counter', { command: 'ip', args: ['netns', 'exec', router.name, process.execPath, agentPath, 'count', String(load + 1), '1', String(installLimitMs(load))] });
    const counted = jsonLines(counter);
    await waitFor(() => counted.find((l) => l['ready'] === true), { timeoutMs: 30_000, intervalMs: 50, what: 'the route counter', scope, failFast: () => agentDown(counter) });
    await delay(1000);
    injector.signal('SIGUSR1');
    const loaded = await waitFor(() => counted.find((l) => l['done'] !== undefined), { timeoutMs: installLimitMs(load) + 10_000, intervalMs: 100, what: `${load} routes in the kernel`, scope, failFast: () => daemonDown() ?? (injector.isRunning ? undefined : 'the injector exited') });
    if (loaded['done'] !== true) throw new Error(`${String(loaded['count'])} of ${load} load routes in the kernel after ${installLimitMs(load) / 1000} s`);
    // A settled table: the daemon's work on the load is over before the first probe.
    await delay(1000);
    const watcher = scope.spawn('watcher', { command: 'ip', args: ['netns', 'exec', router.name, process.execPath, agentPath, 'watch', String(changes), String(probeSpanMs + 30_000)] });
    const watched = jsonLines(watcher);
    await waitFor(() => watched.find((l) => l['ready'] === true), { timeoutMs: 30_000, intervalMs: 50, what: 'the route watcher', scope, failFast: () => agentDown(watcher) });
    injector.signal('SIGUSR2');
    const done = await waitFor(() => watched.find((l) => l['done'] !== undefined), { timeoutMs: probeSpanMs + 40_000, intervalMs: 100, what: `${changes} probe routes in the kernel`, scope, failFast: () => daemonDown() ?? (injector.isRunning ? undefined : 'the injector exited') });
    await waitFor(() => injected.find((l) => l['sent'] === true), { timeoutMs: 10_000, intervalMs: 50, what: 'the injector to finish sending', scope, failFast: () => agentDown(injector) });
    if (typeof done['lost'] === 'number' && done['lost'] > 0) throw new Error(`the watcher lost route notifications (${done['lost']} overflows)`);
    const stats = latencyStats(timesOf(injected, 'sentMs'), timesOf(watched, 'atMs'));
    if (stats === undefined) throw new Error('no probe reached the kernel');
    return stats;
  });
}

/** Runs the latency section (needs root); a daemon that cannot run says why instead of a figure. */
export async function runLatencyBench(changes: number, log: (line: string) => void = () => undefined, kinds: readonly FibDaemonKind[] = fibDaemonKinds, load = latencyLoadRoutes, ratePerS = latencyRatePerS): Promise<LatencyResult> {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  const loadAtStart = loadavg();
  log(`load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  const daemons = await eachFibDaemon<LatencyRun>(kinds, log, async (kind, version) => {
    const stats = await runDaemon(kind, changes, load, ratePerS);
    log(`${version}: p50 ${stats.p50Ms.toFixed(2)} ms, p99 ${stats.p99Ms.toFixed(2)} ms, max ${stats.maxMs.toFixed(2)} ms (${stats.arrived} of ${stats.sent} probes)`);
    return { kind, version, stats };
  });
  return { changes, loadRoutes: load, ratePerS, daemons, loadAtStart, loadAtEnd: loadavg() };
}

/** The `## Route change latency` section's body for docs/bench.md. */
export function latencyMarkdown(r: LatencyResult): string {
  const lines = ['| daemon | p50 ms | p99 ms | max ms | probes in the kernel |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const d of r.daemons) {
    const s = d.stats;
    lines.push(s === undefined ? `| ${d.version} | ${d.failure ?? 'not run'} | | | |` : `| ${d.version} | ${s.p50Ms.toFixed(2)} | ${s.p99Ms.toFixed(2)} | ${s.maxMs.toFixed(2)} | ${s.arrived} of ${s.sent} |`);
  }
  return [
    `${r.changes.toLocaleString('en-US')} single-route UPDATEs at ${r.ratePerS} per second, each announcing a new IPv4 /32 (198.18.0.0/15), into a daemon whose kernel table already holds ${r.loadRoutes.toLocaleString('en-US')} routes from the same injector peer (router and peer in two network namespaces, one veth link, as in the FIB section). Each is timed from the moment the injector hands it to its socket to the kernel's route notification in the router's namespace (both on the host's wall clock; the target is under 5 ms at p99). Load average ${r.loadAtStart.map((l) => l.toFixed(2)).join(' ')} at the start, ${r.loadAtEnd.map((l) => l.toFixed(2)).join(' ')} at the end.`,
    '',
    ...lines,
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const changes = Number(process.argv[2] ?? 200);
  const kinds = (process.argv[3]?.split(',') ?? fibDaemonKinds).filter((k): k is FibDaemonKind => (fibDaemonKinds as readonly string[]).includes(k));
  const load = Number(process.argv[4] ?? latencyLoadRoutes);
  const r = await runLatencyBench(changes, (l) => console.log(`   ${l}`), kinds, load);
  process.stdout.write(`\n${latencyMarkdown(r)}`);
}
