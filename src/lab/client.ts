// The two things the lab looks at: rt-01's kernel route to the service address (as
// `ip -j route` shows it: protocol, metric, one next hop per node) and the client's
// requests to http://172.17.254.1/ from client-01 (http-client.js run in its namespace),
// with how they spread over the nodes.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ip, ipJson } from './system.js';
import { labScript, type LabState } from './state.js';
import { serviceAddress } from './topology.js';

export const serviceUrl = `http://${serviceAddress}/`;

interface IpRoute {
  readonly protocol?: string;
  readonly metric?: number;
  readonly gateway?: string;
  readonly dev?: string;
  readonly nexthops?: readonly { readonly gateway?: string; readonly dev?: string }[];
}

/** The service route in rt-01's kernel: its next hops sorted; [] when absent. */
export async function kernelNextHops(state: LabState): Promise<string[]> {
  const routes = await ipJson<IpRoute[]>(state.names.ns('rt-01'), 'route', 'show', serviceAddress);
  return routes
    .flatMap((r) => r.nexthops?.map((h) => h.gateway ?? '') ?? (r.gateway === undefined ? [] : [r.gateway]))
    .filter((g) => g !== '')
    .sort();
}

/** `ip route show 172.17.254.1` in rt-01, as text. */
export function kernelRouteText(state: LabState): Promise<string> {
  return ip(state.names.ns('rt-01'), 'route', 'show', serviceAddress);
}

/** One request's outcome as http-client.js prints it. */
export interface RequestResult {
  readonly i: number;
  /** Wall-clock ms when the request started. */
  readonly atMs: number;
  readonly ms: number;
  readonly ok: boolean;
  readonly node?: string;
  readonly error?: string;
}

/** A run of client requests in progress: results arrive as they complete. */
export interface ClientRun {
  readonly results: RequestResult[];
  readonly done: Promise<RequestResult[]>;
  /** Ends the run early (SIGTERM by PID); `done` resolves with what completed. */
  stop(): void;
}

/** Starts `count` requests from client-01, one every `intervalMs` (0: back to back). */
export function startClient(state: LabState, count: number, intervalMs = 0, timeoutMs = 1000): ClientRun {
  const child = spawn(
    'ip',
    ['netns', 'exec', state.names.ns('client-01'), process.execPath, labScript('http-client.js'), '--url', serviceUrl, '--count', String(count), '--interval-ms', String(intervalMs), '--timeout-ms', String(timeoutMs)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const results: RequestResult[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('{')) results.push(JSON.parse(line) as RequestResult);
  });
  const done = new Promise<RequestResult[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`the client in client-01 failed (exit ${code}): ${stderr.trim()}`));
      else resolve(results);
    });
  });
  return {
    results,
    done,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    },
  };
}

/** Requests per node and failures. */
export interface Spread {
  readonly total: number;
  readonly failed: number;
  readonly byNode: Readonly<Record<string, number>>;
}

export function spreadOf(results: readonly RequestResult[]): Spread {
  const byNode: Record<string, number> = {};
  let failed = 0;
  for (const r of results) {
    if (r.ok && r.node !== undefined) byNode[r.node] = (byNode[r.node] ?? 0) + 1;
    else failed++;
  }
  return { total: results.length, failed, byNode };
}

/** The spread as a few lines with a bar per node. */
export function formatSpread(s: Spread, nodes: readonly string[]): string {
  const lines = nodes.map((n) => {
    const k = s.byNode[n] ?? 0;
    return `  ${n.padEnd(12)} ${String(k).padStart(4)}  ${'#'.repeat(Math.round((40 * k) / Math.max(1, s.total)))}`;
  });
  for (const [n, k] of Object.entries(s.byNode)) if (!nodes.includes(n)) lines.push(`  ${n.padEnd(12)} ${String(k).padStart(4)}  (unexpected answer)`);
  lines.push(`  ${'failed'.padEnd(12)} ${String(s.failed).padStart(4)}`);
  return lines.join('\n') + '\n';
}
