// Prometheus metrics of a running tsbgpd over HTTP (off unless --metrics-port is given;
// 127.0.0.1 unless --metrics-host says otherwise): sessions by state, prefixes per peer
// and family, UPDATEs and bytes in and out, best-path changes, the FIB's state and its
// kernel requests and errors, event-loop delay.
// `/metrics` is the text exposition format 0.0.4, written here; `/healthz` answers while
// the process runs, `/readyz` once the configuration is loaded and BGP listens.
// Everything is read at scrape time from counters the daemon keeps (O(peers), never a
// walk of the RIB); the only hook on the update path is a count per RIB change batch.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from '../lib/logger.js';
import { familyKey, familyName, type FamilyKey } from '../wire/context.js';
import type { Daemon } from './daemon.js';

/** Where the metrics are served. */
export interface MetricsOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
}

export const defaultMetricsHost = '127.0.0.1';

/** The FIB's counts as the metrics show them (FibStatus's shape). */
export interface FibCounts {
  readonly state: string;
  readonly prefixes: number;
  readonly installed: number;
  readonly unresolved: number;
  readonly failed: number;
  /** Kernel requests sent and refused since the FIB started. */
  readonly operations?: { readonly add: number; readonly replace: number; readonly delete: number; readonly errors: number };
}

/** What the metrics read besides the daemon. */
export interface MetricsSources {
  /** The FIB's counts, or undefined when it is not running. */
  readonly fib?: () => FibCounts | undefined;
  /** Configuration loaded and BGP listening (or told not to listen). */
  readonly isReady: () => boolean;
}

export type MetricType = 'counter' | 'gauge' | 'summary';

/** One metric family: its samples share name, help and type. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}

export interface Sample {
  /** The family name, or it with a suffix (_sum, _count). */
  readonly name?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The exposition format escapes backslash and newline in HELP, and also the double quote in label values. */
function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

function escapeLabel(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** The families in Prometheus text format 0.0.4. */
export function renderMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {});
      const text = labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
      lines.push(`${s.name ?? f.name}${text} ${formatValue(s.value)}`);
    }
  }
  return lines.join('\n') + '\n';
}

const sessionStates = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'] as const;
const nsPerSecond = 1e9;

export class MetricsServer {
  private readonly server: Server;
  private readonly delay: IntervalHistogram;
  private readonly bestChanges = new Map<FamilyKey, number>();
  private readonly stopRibFeed: () => void;
  private boundPort = 0;

  private constructor(
    private readonly daemon: Daemon,
    private readonly sources: MetricsSources,
    private readonly options: MetricsOptions,
  ) {
    this.delay = monitorEventLoopDelay({ resolution: 10 });
    this.delay.enable();
    // One count per batch of changes: O(1) per changed prefix, on the RIB's own feed.
    this.stopRibFeed = daemon.rib.subscribe((changes) => {
      for (const c of changes) this.bestChanges.set(c.family, (this.bestChanges.get(c.family) ?? 0) + 1);
    });
    this.server = createServer((req, res) => this.handle(req, res));
  }

  /** Listens on host:port (port 0: any free one); rejects if it cannot. */
  static async start(daemon: Daemon, sources: MetricsSources, options: MetricsOptions): Promise<MetricsServer> {
    const m = new MetricsServer(daemon, sources, options);
    try {
      await new Promise<void>((resolve, reject) => {
        m.server.once('error', reject);
        m.server.listen({ host: options.host, port: options.port }, () => {
          m.server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      m.stopRibFeed();
      m.delay.disable();
      throw new Error(`--metrics-port: cannot listen on ${isIP(options.host) === 6 ? `[${options.host}]` : options.host}:${options.port}: ${(err as Error).message}`, { cause: err });
    }
    const address = m.server.address();
    m.boundPort = typeof address === 'object' && address !== null ? address.port : options.port;
    options.logger.info('metrics listening', { address: options.host, port: m.boundPort });
    return m;
  }

  get port(): number {
    return this.boundPort;
  }

  async close(): Promise<void> {
    this.stopRibFeed();
    this.delay.disable();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'text/plain; charset=utf-8', 'GET or HEAD only\n');
    try {
      if (path === '/metrics') return reply(200, 'text/plain; version=0.0.4; charset=utf-8', renderMetrics(this.collect()));
      if (path === '/healthz') return reply(200, 'text/plain; charset=utf-8', 'ok\n');
      if (path === '/readyz') return this.sources.isReady() ? reply(200, 'text/plain; charset=utf-8', 'ready\n') : reply(503, 'text/plain; charset=utf-8', 'not ready: starting\n');
      reply(404, 'text/plain; charset=utf-8', 'not found: /metrics, /healthz or /readyz\n');
    } catch (err) {
      this.options.logger.error('metrics scrape failed', { error: err instanceof Error ? err.message : String(err) });
      reply(500, 'text/plain; charset=utf-8', 'internal error\n');
    }
  }

  /** Every family, read now. */
  collect(): MetricFamily[] {
    const peers = this.daemon.peerViews();
    const byState = new Map<string, number>(sessionStates.map((s) => [s, 0]));
    for (const p of peers) byState.set(p.session.state, (byState.get(p.session.state) ?? 0) + 1);
    const received: Sample[] = [];
    const accepted: Sample[] = [];
    const advertised: Sample[] = [];
    const updatesIn: Sample[] = [];
    const updatesOut: Sample[] = [];
    const up: Sample[] = [];
    const flops: Sample[] = [];
    const bytesIn: Sample[] = [];
    const bytesOut: Sample[] = [];
    const adjRibInBytes: Sample[] = [];
    for (const p of peers) {
      const peer = p.config.address;
      const bytes = p.session.byteCounts;
      bytesIn.push({ labels: { peer }, value: bytes.received });
      bytesOut.push({ labels: { peer }, value: bytes.sent });
      updatesIn.push({ labels: { peer }, value: p.stats.updatesReceived });
      updatesOut.push({ labels: { peer }, value: p.stats.updatesSent });
      up.push({ labels: { peer }, value: p.session.state === 'Established' ? 1 : 0 });
      flops.push({ labels: { peer }, value: p.stats.flops });
      adjRibInBytes.push({ labels: { peer }, value: this.daemon.rib.adjRibInBytes(peer) });
      for (const family of p.config.families) {
        const labels = { peer, family: familyName(family) };
        const counts = this.daemon.rib.peerCounts(peer, family);
        received.push({ labels, value: counts.received });
        accepted.push({ labels, value: counts.accepted });
        advertised.push({ labels, value: p.stats.advertised.get(family) ?? 0 });
      }
    }
    const families: MetricFamily[] = [
      { name: 'tsbgp_bgp_sessions', help: 'Neighbors by BGP session state (RFC 4271 8.2.2).', type: 'gauge', samples: [...byState].map(([state, value]) => ({ labels: { state }, value })) },
      { name: 'tsbgp_bgp_peer_up', help: '1 while the session with the neighbor is Established.', type: 'gauge', samples: up },
      { name: 'tsbgp_bgp_peer_flaps_total', help: 'Times the session with the neighbor left Established.', type: 'counter', samples: flops },
      { name: 'tsbgp_bgp_prefixes_received', help: 'Routes in the neighbor\'s Adj-RIB-In, per family.', type: 'gauge', samples: received },
      { name: 'tsbgp_bgp_prefixes_accepted', help: 'Routes of the neighbor that import policy accepted, per family.', type: 'gauge', samples: accepted },
      { name: 'tsbgp_bgp_prefixes_advertised', help: 'Routes announced to the neighbor on its current session, per family.', type: 'gauge', samples: advertised },
      { name: 'tsbgp_bgp_adj_rib_in_bytes_estimate', help: 'Estimated memory of the neighbor\'s Adj-RIB-In (routes and the attribute sets they made), what its adj-rib-in-limit caps.', type: 'gauge', samples: adjRibInBytes },
      { name: 'tsbgp_bgp_updates_received_total', help: 'UPDATE messages received from the neighbor.', type: 'counter', samples: updatesIn },
      { name: 'tsbgp_bgp_updates_sent_total', help: 'UPDATE messages sent to the neighbor.', type: 'counter', samples: updatesOut },
      { name: 'tsbgp_bgp_bytes_received_total', help: 'Bytes read from the neighbor\'s TCP connections (BGP messages with their headers), since its session was made.', type: 'counter', samples: bytesIn },
      { name: 'tsbgp_bgp_bytes_sent_total', help: 'Bytes handed to the neighbor\'s TCP connections, since its session was made.', type: 'counter', samples: bytesOut },
      {
        name: 'tsbgp_rib_best_path_changes_total',
        help: 'Decision process outcomes that changed a prefix\'s best path or multipath set, per family.',
        type: 'counter',
        samples: [...this.bestChanges].map(([family, value]) => ({ labels: { family: familyName(family) }, value })),
      },
      { name: 'tsbgp_rib_prefixes', help: 'Prefixes in the Loc-RIB, per family.', type: 'gauge', samples: this.ribFamilies().map((family) => ({ labels: { family: familyName(family) }, value: this.daemon.rib.prefixCount(family) })) },
    ];
    const fib = this.sources.fib?.();
    if (fib !== undefined) {
      families.push(
        { name: 'tsbgp_fib_running', help: '1 while the FIB writes the kernel table.', type: 'gauge', samples: [{ labels: { state: fib.state }, value: fib.state === 'running' ? 1 : 0 }] },
        { name: 'tsbgp_fib_routes_installed', help: 'Prefixes installed in the kernel table.', type: 'gauge', samples: [{ value: fib.installed }] },
        { name: 'tsbgp_fib_routes_failed', help: 'Prefixes whose last kernel request failed.', type: 'gauge', samples: [{ value: fib.failed }] },
        { name: 'tsbgp_fib_routes_unresolved', help: 'Prefixes with a next hop that does not resolve.', type: 'gauge', samples: [{ value: fib.unresolved }] },
      );
      const ops = fib.operations;
      if (ops !== undefined) {
        families.push(
          {
            name: 'tsbgp_fib_operations_total',
            help: 'Route requests sent to the kernel: add (a prefix not installed), replace (new next hops), delete.',
            type: 'counter',
            samples: (['add', 'replace', 'delete'] as const).map((op) => ({ labels: { op }, value: ops[op] })),
          },
          { name: 'tsbgp_fib_errors_total', help: 'Route requests the kernel refused (or whose answer was lost).', type: 'counter', samples: [{ value: ops.errors }] },
        );
      }
    }
    const count = this.delay.count;
    families.push(
      {
        name: 'tsbgp_event_loop_delay_seconds',
        help: 'Event-loop delay since start (perf_hooks.monitorEventLoopDelay, 10 ms resolution).',
        type: 'summary',
        samples: [
          ...[0.5, 0.9, 0.99].map((q) => ({ labels: { quantile: String(q) }, value: count === 0 ? 0 : this.delay.percentile(q * 100) / nsPerSecond })),
          { name: 'tsbgp_event_loop_delay_seconds_sum', value: count === 0 ? 0 : (this.delay.mean * count) / nsPerSecond },
          { name: 'tsbgp_event_loop_delay_seconds_count', value: count },
        ],
      },
      { name: 'tsbgp_event_loop_delay_max_seconds', help: 'Largest event-loop delay seen since start.', type: 'gauge', samples: [{ value: count === 0 ? 0 : this.delay.max / nsPerSecond }] },
      { name: 'process_resident_memory_bytes', help: 'Resident set size.', type: 'gauge', samples: [{ value: process.memoryUsage.rss() }] },
    );
    return families;
  }

  private ribFamilies(): FamilyKey[] {
    const seen = new Set<FamilyKey>();
    for (const p of this.daemon.peerViews()) for (const f of p.config.families) seen.add(f);
    for (const r of this.daemon.localRoutes) seen.add(familyKey(r.prefix.afi, 1));
    return [...seen].sort((a, b) => a - b);
  }
}
