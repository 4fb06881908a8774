// `tsbgp lab drill NAME`: failures played on a running lab, each measured from rt-01's
// kernel table and the client's requests, printed, and summed up in one JSON line whose
// `ok` says whether the promise held:
// - node-down: a node's link is cut; its next hop leaves the kernel route within 1 s
//   (BFD, RFC 5880) and requests that start after that all succeed on the other nodes.
// - router-restart: tsbgpd restarts (-r); the kernel route never disappears and no request fails.
// - speaker-restart: a node's speaker stops (withdraws) and starts; the route follows, nothing stale.
// - service-change: endpoints move (externalTrafficPolicy Local), the Service is deleted
//   and created again; the route follows each step and nothing stale stays on rt-01.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { systemClock } from '../lib/clock.js';
import { kernelNextHops, startClient, type RequestResult } from './client.js';
import { routerVariant, type RouterVariant } from './router.js';
import { endpointSliceYaml, serviceYaml } from './resources.js';
import { runController, setResource, startSpeaker, stopSpeaker } from './speakers.js';
import { LabState } from './state.js';
import { LabError, delay, pollFor } from './system.js';
import { clusterAddressOf, serviceAddress, setLink, workerNodes, type WorkerNode } from './topology.js';
import { waitForNextHops, type LabOutput } from './lab.js';

export const drillNames = ['node-down', 'router-restart', 'speaker-restart', 'service-change'] as const;
export type DrillName = (typeof drillNames)[number];

export function isDrillName(s: string): s is DrillName {
  return (drillNames as readonly string[]).includes(s);
}

/** The figures of a drill: its name, whether the promise held, and what was measured. */
export type DrillResult = { readonly drill: DrillName; readonly ok: boolean } & Readonly<Record<string, number | boolean | string | null | readonly string[]>>;

/** The promise of node-down. */
export const failoverLimitMs = 1000;
/** How long node-down waits for the next hop to go before it gives up (no BFD: the hold timer, 90 s, is longer). */
const failoverWaitMs = 15_000;
/** How long a route change (withdraw, announce, restart) may take before the drill gives up. */
const convergeWaitMs = 30_000;
/** The client's pace during a drill: one request every 25 ms, each given 1 s. */
const clientIntervalMs = 25;
const clientTimeoutMs = 1000;
const clientMaxRequests = 100_000;

const hopsOf = (nodes: readonly WorkerNode[]): string[] => nodes.map((n) => clusterAddressOf(n)).sort();
const allHops = (): string[] => hopsOf(workerNodes);

function loadRun(runId: string): { state: LabState; router: RouterVariant } {
  const state = LabState.load(runId);
  if (state === undefined) throw new LabError(`lab run "${runId}" is not up (no ${LabState.dirOf(runId)}): tsbgp lab up first`);
  const router = routerVariant(state.router);
  if (!router.isKernelWriter) throw new LabError(`the drills measure rt-01's kernel route, which --router ${state.router} does not write`);
  return { state, router };
}

async function requireConverged(state: LabState, router: RouterVariant): Promise<void> {
  if ((await waitForNextHops(state, router, allHops(), convergeWaitMs)) === undefined) {
    throw new LabError(`rt-01's kernel route to ${serviceAddress} does not have the three nodes' next hops (now: ${(await kernelNextHops(state)).join(', ') || 'none'}); is the lab healthy? tsbgp lab status`);
  }
}

/** Requests, failures, and failures among requests started at or after `fromWallMs`. */
function countRequests(results: readonly RequestResult[], fromWallMs?: number): { requests: number; lost: number; lostAfter: number } {
  const lost = results.filter((r) => !r.ok).length;
  const lostAfter = fromWallMs === undefined ? lost : results.filter((r) => !r.ok && r.atMs >= fromWallMs).length;
  return { requests: results.length, lost, lostAfter };
}

/** The failed requests, one line each: when (ms after `originWallMs`) and why. */
function failureLines(results: readonly RequestResult[], originWallMs: number): string {
  const failed = results.filter((r) => !r.ok);
  const shown = failed.slice(0, 20).map((r) => `  request ${r.i} at +${r.atMs - originWallMs} ms failed after ${r.ms} ms: ${r.error ?? '?'}\n`);
  return shown.join('') + (failed.length > shown.length ? `  ... and ${failed.length - shown.length} more\n` : '');
}

/** Waits for the kernel route to have exactly `expected` next hops; ms taken or null. */
async function timeTo(state: LabState, router: RouterVariant, expected: readonly string[], timeoutMs = convergeWaitMs): Promise<number | null> {
  const ms = await waitForNextHops(state, router, expected, timeoutMs);
  return ms === undefined ? null : Math.round(ms);
}

/** Kernel next hops and RIB next hops agree with `expected` (nothing stale on rt-01). */
async function isClean(state: LabState, router: RouterVariant, expected: readonly string[]): Promise<{ ok: boolean; kernel: string[]; rib: string[] }> {
  const kernel = await kernelNextHops(state);
  const rib = await router.ribNextHops(state);
  const want = [...expected].sort().join(',');
  return { ok: kernel.join(',') === want && rib.join(',') === want, kernel, rib };
}

async function nodeDown(state: LabState, router: RouterVariant, o: LabOutput, node: WorkerNode): Promise<DrillResult> {
  const gone = clusterAddressOf(node);
  const rest = allHops().filter((h) => h !== gone);
  const client = startClient(state, clientMaxRequests, clientIntervalMs, clientTimeoutMs);
  let failoverMs: number | null = null;
  let recoveryMs: number | null = null;
  let cutWallMs = 0;
  let failoverWallMs: number | undefined;
  let hopsAfter: string[] = [];
  try {
    await delay(1000);
    o.out(`cutting ${node}'s link (${gone}) at the LAN bridge\n`);
    cutWallMs = systemClock.wallNow();
    const cutAt = systemClock.now();
    await setLink(state.names, node, false);
    const left = await pollFor(async () => ((await kernelNextHops(state)).includes(gone) ? undefined : systemClock.now()), failoverWaitMs, 10);
    if (left !== undefined) {
      failoverMs = Math.round(left - cutAt);
      failoverWallMs = cutWallMs + failoverMs;
      hopsAfter = await kernelNextHops(state);
      o.out(`${gone} left rt-01's kernel route after ${failoverMs} ms; route now via ${hopsAfter.join(', ') || 'nothing'}\n`);
    } else {
      o.out(`${gone} was still in rt-01's kernel route ${failoverWaitMs / 1000} s after the cut (no BFD? the BGP hold timer alone takes up to 90 s)\n`);
    }
    await delay(2000);
  } finally {
    client.stop();
    await client.done.catch(() => undefined);
    await setLink(state.names, node, true);
  }
  const c = countRequests(client.results, failoverWallMs ?? Number.MAX_SAFE_INTEGER);
  o.out(`client: ${c.requests} requests during the drill, ${c.lost} failed (${c.lostAfter} of them started after the next hop left)\n`);
  o.out(failureLines(client.results, cutWallMs));
  o.out(`restoring ${node}'s link; waiting for its next hop to come back\n`);
  recoveryMs = await timeTo(state, router, allHops(), 60_000);
  o.out(recoveryMs === null ? `${gone} did not come back within 60 s\n` : `${gone} back in the route ${recoveryMs} ms after the link came up\n`);
  const ok = failoverMs !== null && failoverMs < failoverLimitMs && hopsAfter.join(',') === rest.join(',') && c.lostAfter === 0 && recoveryMs !== null;
  return { drill: 'node-down', ok, node, failover_ms: failoverMs, failover_limit_ms: failoverLimitMs, requests: c.requests, requests_lost: c.lost, requests_lost_after_failover: failoverMs === null ? null : c.lostAfter, recovery_ms: recoveryMs, next_hops_after_failover: hopsAfter };
}

/**
 * Watches the service route inside rt-01 two ways: `ip monitor route` reports every
 * kernel change (a deletion cannot slip between samples), and a shell loop there samples
 * the route (so this process's own pauses open no gaps) and counts its next hops.
 */
function startRouteWatch(state: LabState): { samples: { atMs: number; hops: number }[]; deletions: string[]; stop: () => Promise<void> } {
  const ns = state.names.ns('rt-01');
  const loop = `for ((i = 0; i < 6000; i++)); do echo "T $EPOCHREALTIME"; ip -o route show ${serviceAddress}; sleep 0.01; done`;
  const sampler = spawn('ip', ['netns', 'exec', ns, 'bash', '-c', loop], { stdio: ['ignore', 'pipe', 'ignore'] });
  const monitor = spawn('ip', ['-n', ns, 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const samples: { atMs: number; hops: number }[] = [];
  const deletions: string[] = [];
  createInterface({ input: sampler.stdout }).on('line', (line) => {
    const t = /^T (\d+\.\d+)$/.exec(line.trim());
    if (t !== null) samples.push({ atMs: Math.round(Number(t[1]) * 1000), hops: 0 });
    else if (samples.length > 0) samples[samples.length - 1]!.hops += (line.match(/\bvia\b/g) ?? []).length;
  });
  createInterface({ input: monitor.stdout }).on('line', (line) => {
    if (line.startsWith(`Deleted ${serviceAddress} `)) deletions.push(line.trim());
  });
  const closed = (c: ReturnType<typeof spawn>): Promise<void> => new Promise((resolve) => c.on('close', () => resolve()));
  const done = [closed(sampler), closed(monitor)];
  return {
    samples,
    deletions,
    stop: async () => {
      for (const c of [sampler, monitor]) if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGTERM');
      await Promise.all(done);
    },
  };
}

async function routerRestart(state: LabState, router: RouterVariant, o: LabOutput): Promise<DrillResult> {
  if (router.kind !== 'tsbgpd') throw new LabError('router-restart drills tsbgpd\'s graceful restart (-r); this run has --router ' + router.kind);
  const sampler = startRouteWatch(state);
  const originWallMs = systemClock.wallNow();
  const client = startClient(state, clientMaxRequests, clientIntervalMs, clientTimeoutMs);
  let downMs = 0;
  let resyncMs: number | null = null;
  try {
    await pollFor(() => (sampler.samples.length > 0 ? true : undefined), 5000, 20);
    await delay(1000);
    const stopAt = systemClock.now();
    o.out('stopping tsbgpd in rt-01 (it runs with -r: its kernel routes stay)\n');
    await router.stop(state);
    downMs = Math.round(systemClock.now() - stopAt);
    o.out('starting tsbgpd again (-r)\n');
    await router.start(state);
    const ribBack = await pollFor(async () => ((await router.ribNextHops(state).catch(() => [])).join(',') === allHops().join(',') ? systemClock.now() : undefined), convergeWaitMs, 100);
    resyncMs = ribBack === undefined ? null : Math.round(ribBack - stopAt);
    o.out(resyncMs === null ? `the three nodes were not back in tsbgpd's RIB within ${convergeWaitMs / 1000} s\n` : `the three nodes back in tsbgpd's RIB ${resyncMs} ms after the stop\n`);
    await delay(2000);
  } finally {
    client.stop();
    await client.done.catch(() => undefined);
    await sampler.stop();
  }
  // The last sample may be cut short by the stop.
  const s = sampler.samples.slice(0, -1);
  const missing = s.filter((x) => x.hops === 0).length;
  const gaps = s.slice(1).map((x, i) => x.atMs - s[i]!.atMs);
  const largestGap = gaps.length === 0 ? null : Math.max(...gaps);
  const fewest = s.length === 0 ? 0 : Math.min(...s.map((x) => x.hops));
  const c = countRequests(client.results);
  const clean = await isClean(state, router, allHops());
  o.out(`kernel route sampled ${s.length} times (largest gap ${largestGap ?? '-'} ms): missing in ${missing}, fewest next hops ${fewest}; deletions seen by ip monitor: ${sampler.deletions.length}\n`);
  o.out(`client: ${c.requests} requests, ${c.lost} failed\n`);
  o.out(failureLines(client.results, originWallMs));
  o.out(`after: kernel via ${clean.kernel.join(', ')}; RIB via ${clean.rib.join(', ')}\n`);
  // Every kernel change is in the monitor's stream, so the samples' gaps (long on a busy
  // host) hide nothing: a deletion would be there.
  const ok = s.length >= 20 && missing === 0 && sampler.deletions.length === 0 && c.lost === 0 && resyncMs !== null && clean.ok;
  return { drill: 'router-restart', ok, samples: s.length, samples_missing: missing, route_deletions: sampler.deletions.length, largest_gap_ms: largestGap, fewest_next_hops: fewest, stop_ms: downMs, resync_ms: resyncMs, requests: c.requests, requests_lost: c.lost };
}

async function speakerRestart(state: LabState, router: RouterVariant, o: LabOutput, node: WorkerNode): Promise<DrillResult> {
  const gone = clusterAddressOf(node);
  const rest = allHops().filter((h) => h !== gone);
  const originWallMs = systemClock.wallNow();
  const client = startClient(state, clientMaxRequests, clientIntervalMs, clientTimeoutMs);
  let withdrawMs: number | null = null;
  let announceMs: number | null = null;
  let middle = { ok: false, kernel: [] as string[], rib: [] as string[] };
  try {
    await delay(1000);
    o.out(`stopping ${node}'s speaker (SIGTERM: it withdraws, then closes)\n`);
    const stopAt = systemClock.now();
    const stopping = stopSpeaker(state, node);
    withdrawMs = await timeTo(state, router, rest);
    await stopping;
    if (withdrawMs !== null) withdrawMs = Math.round(Math.min(withdrawMs, systemClock.now() - stopAt));
    middle = await isClean(state, router, rest);
    o.out(withdrawMs === null ? `${gone} did not leave the route\n` : `${gone} left the route ${withdrawMs} ms after the stop; kernel via ${middle.kernel.join(', ')}, RIB via ${middle.rib.join(', ')}\n`);
    await delay(1000);
    o.out(`starting ${node}'s speaker again\n`);
    startSpeaker(state, node);
    announceMs = await timeTo(state, router, allHops());
    o.out(announceMs === null ? `${gone} did not come back\n` : `${gone} back in the route ${announceMs} ms after the start\n`);
    await delay(1000);
  } finally {
    client.stop();
    await client.done.catch(() => undefined);
  }
  const c = countRequests(client.results);
  const clean = await isClean(state, router, allHops());
  o.out(`client: ${c.requests} requests, ${c.lost} failed; after: kernel via ${clean.kernel.join(', ')}, RIB via ${clean.rib.join(', ')}\n`);
  o.out(failureLines(client.results, originWallMs));
  // Requests are measured, not promised: a changed next-hop set rehashes flows, and a
  // connection open at that moment may land on another node and be reset.
  const ok = withdrawMs !== null && announceMs !== null && middle.ok && clean.ok;
  return { drill: 'speaker-restart', ok, node, withdraw_ms: withdrawMs, announce_ms: announceMs, requests: c.requests, requests_lost: c.lost, stale: !(middle.ok && clean.ok) };
}

async function serviceChange(state: LabState, router: RouterVariant, o: LabOutput): Promise<DrillResult> {
  const steps: { name: string; expected: string[]; apply: () => Promise<void> }[] = [
    {
      name: 'externalTrafficPolicy Local, endpoints on k8s-node-01 and k8s-node-02',
      expected: hopsOf(['k8s-node-01', 'k8s-node-02']),
      apply: async () => {
        setResource(state, 'nginx-endpoints.yaml', endpointSliceYaml(['k8s-node-01', 'k8s-node-02'], 3));
        setResource(state, 'nginx-service.yaml', serviceYaml('Local'));
      },
    },
    {
      name: 'endpoints moved to k8s-node-03',
      expected: hopsOf(['k8s-node-03']),
      apply: async () => setResource(state, 'nginx-endpoints.yaml', endpointSliceYaml(['k8s-node-03'], 6)),
    },
    {
      name: 'Service deleted (controller run again)',
      expected: [],
      apply: async () => {
        setResource(state, 'nginx-service.yaml', undefined);
        await runController(state);
      },
    },
    {
      name: 'Service created again, externalTrafficPolicy Cluster, endpoints on all nodes (controller run again)',
      expected: allHops(),
      apply: async () => {
        setResource(state, 'nginx-endpoints.yaml', endpointSliceYaml());
        setResource(state, 'nginx-service.yaml', serviceYaml('Cluster'));
        const c = await runController(state);
        o.out(`  controller: ${Object.entries(c.addresses).map(([s, a]) => `${s} -> ${a.join(', ')}`).join('; ') || '(no assignment)'}\n`);
      },
    },
  ];
  const figures: Record<string, number | null> = {};
  let isAllClean = true;
  let isAllOnTime = true;
  for (const [i, step] of steps.entries()) {
    const started = systemClock.now();
    await step.apply();
    const ms = await timeTo(state, router, step.expected);
    const took = ms === null ? null : Math.round(systemClock.now() - started);
    // The RIB may lag the kernel by a poll: give it the same bounded wait.
    const clean = (await pollFor(async () => {
      const c = await isClean(state, router, step.expected);
      return c.ok ? c : undefined;
    }, 5000, 100)) ?? (await isClean(state, router, step.expected));
    figures[`step${i + 1}_ms`] = took;
    isAllOnTime &&= took !== null;
    isAllClean &&= clean.ok;
    o.out(`${i + 1}. ${step.name}: ${took === null ? 'NOT reached' : `${took} ms`}; kernel via ${clean.kernel.join(', ') || 'nothing'}, RIB via ${clean.rib.join(', ') || 'nothing'}${clean.ok ? '' : ` (expected ${step.expected.join(', ') || 'nothing'})`}\n`);
  }
  return { drill: 'service-change', ok: isAllOnTime && isAllClean, ...figures, stale: !isAllClean };
}

/** Runs one drill on a running lab; prints as it goes and returns the figures. */
export async function runDrill(runId: string, name: DrillName, node: WorkerNode | undefined, o: LabOutput): Promise<DrillResult> {
  const { state, router } = loadRun(runId);
  await requireConverged(state, router);
  o.out(`drill ${name} on lab run "${runId}" (router ${router.kind})\n`);
  switch (name) {
    case 'node-down':
      return nodeDown(state, router, o, node ?? 'k8s-node-03');
    case 'router-restart':
      return routerRestart(state, router, o);
    case 'speaker-restart':
      return speakerRestart(state, router, o, node ?? 'k8s-node-02');
    case 'service-change':
      return serviceChange(state, router, o);
  }
}
