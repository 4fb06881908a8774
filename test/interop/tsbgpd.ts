// Driver for our own tsbgpd as a user runs it: a gobgpd-format TOML config with our
// [[originate]] list, `node bin/tsbgpd.js`, and its JSON log lines (the contract's
// `session state`, `route received`, `notification ...`, `config reloaded`) parsed
// into state the tests wait on.

import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Scope, type DaemonProcess, repoRoot, requireBinary, runCommand, waitFor, waitExit } from './harness.js';
import type { NeighborSpec } from './peer.js';

/** The daemon's entry point in the repository. */
export const tsbgpdBin = join(repoRoot, 'bin', 'tsbgpd.js');

/** One `[[originate]]` entry. */
export interface OriginateSpec {
  readonly prefix: string;
  readonly nextHop: string;
  readonly origin?: 'igp' | 'egp' | 'incomplete';
  readonly communities?: readonly string[];
  readonly med?: number;
}

/** A tsbgpd neighbor: the common spec plus optional timers. */
export interface TsbgpdNeighbor extends NeighborSpec {
  readonly holdTimeSec?: number;
  readonly keepaliveSec?: number;
  /** TOML lines added at the end of the neighbor's table (e.g. `[neighbors.apply-policy.config]`). */
  readonly extraToml?: readonly string[];
}

/** A `[[peer-groups]]` entry: name and peer AS, with the neighbors' short test timers. */
export interface PeerGroupSpec {
  readonly name: string;
  readonly as: number;
  /** config.auth-password (TCP MD5) of the group's sessions. */
  readonly password?: string;
}

/** A `[[dynamic-neighbors]]` range. */
export interface DynamicNeighborSpec {
  readonly prefix: string;
  readonly peerGroup: string;
}

export interface TsbgpdOptions {
  readonly as: number;
  readonly address: string;
  readonly port: number;
  readonly neighbors: readonly TsbgpdNeighbor[];
  readonly peerGroups?: readonly PeerGroupSpec[];
  readonly dynamicNeighbors?: readonly DynamicNeighborSpec[];
  /** global.use-multiple-paths.config.enabled */
  readonly isMultipath?: boolean;
  readonly originate: readonly OriginateSpec[];
  /** --shutdown-message; the daemon's default text when undefined. */
  readonly shutdownMessage?: string;
  /** --api-hosts "HOST:PORT"; undefined runs with --no-api (parallel runs never share a port). */
  readonly apiHosts?: string;
  /** TOML appended at the end of the file (e.g. `[[defined-sets...]]`, `[[policy-definitions]]`). */
  readonly extraToml?: string;
  /** More tsbgpd options (e.g. `--metrics-port`). */
  readonly extraArgs?: readonly string[];
}

/** The daemon's default shutdown communication (contract). */
export const defaultShutdownMessage = 'tsbgpd shutting down';

const quote = (s: string): string => JSON.stringify(s);

/** The TOML config (gobgpd's keys, plus [[originate]]). */
export function tsbgpdConfig(o: Omit<TsbgpdOptions, 'shutdownMessage'>): string {
  const lines = ['[global.config]', `  as = ${o.as}`, `  router-id = ${quote(o.address)}`, `  port = ${o.port}`, `  local-address-list = [${quote(o.address)}]`];
  if (o.isMultipath !== undefined) lines.push('[global.use-multiple-paths.config]', `  enabled = ${o.isMultipath}`);
  for (const g of o.peerGroups ?? []) {
    lines.push('', '[[peer-groups]]', '  [peer-groups.config]', `    peer-group-name = ${quote(g.name)}`, `    peer-as = ${g.as}`);
    if (g.password !== undefined) lines.push(`    auth-password = ${quote(g.password)}`);
    lines.push('  [peer-groups.timers.config]', '    connect-retry = 3', '    idle-hold-time-after-reset = 1');
  }
  for (const d of o.dynamicNeighbors ?? []) {
    lines.push('', '[[dynamic-neighbors]]', '  [dynamic-neighbors.config]', `    prefix = ${quote(d.prefix)}`, `    peer-group = ${quote(d.peerGroup)}`);
  }
  for (const n of o.neighbors) {
    lines.push(
      '',
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = ${quote(n.address)}`,
      `    peer-as = ${n.as}`,
      ...(n.password === undefined ? [] : [`    auth-password = ${quote(n.password)}`]),
      '  [neighbors.timers.config]',
      '    connect-retry = 3',
      '    idle-hold-time-after-reset = 1',
      ...(n.holdTimeSec === undefined ? [] : [`    hold-time = ${n.holdTimeSec}`]),
      ...(n.keepaliveSec === undefined ? [] : [`    keepalive-interval = ${n.keepaliveSec}`]),
      '  [neighbors.transport.config]',
      `    local-address = ${quote(o.address)}`,
      `    remote-port = ${n.port}`,
      `    passive-mode = ${n.isPassive}`,
      '  [[neighbors.afi-safis]]',
      '    [neighbors.afi-safis.config]',
      '      afi-safi-name = "ipv4-unicast"',
      '  [[neighbors.afi-safis]]',
      '    [neighbors.afi-safis.config]',
      '      afi-safi-name = "ipv6-unicast"',
      ...(n.isGtsm === true ? ['  [neighbors.ttl-security.config]', '    enabled = true'] : []),
      ...(n.ttl === undefined ? [] : ['  [neighbors.ebgp-multihop.config]', '    enabled = true', `    multihop-ttl = ${n.ttl}`]),
      ...(n.extraToml ?? []),
    );
  }
  for (const r of o.originate) {
    lines.push('', '[[originate]]', `  prefix = ${quote(r.prefix)}`, `  next-hop = ${quote(r.nextHop)}`, `  origin = ${quote(r.origin ?? 'igp')}`);
    if (r.communities !== undefined) lines.push(`  communities = [${r.communities.map(quote).join(', ')}]`);
    if (r.med !== undefined) lines.push(`  med = ${r.med}`);
  }
  if (o.extraToml !== undefined) lines.push('', o.extraToml);
  return lines.join('\n') + '\n';
}

/** One JSON log line: {time, level, msg, ...fields}. */
export type LogEntry = Readonly<Record<string, unknown>> & { readonly msg: string; readonly level: string };

/** A route as the `route received` line reports it. */
export interface ReceivedRoute {
  readonly peer: string;
  readonly prefix: string;
  readonly nextHop: string;
  readonly asPath: string;
  readonly origin: string;
}

/** True if a log line's `peer` field names `address` ("A", "A:port" or "[A]:port"). */
export function isPeer(field: unknown, address: string): boolean {
  if (typeof field !== 'string') return false;
  return field === address || field.startsWith(`${address}:`) || field.startsWith(`[${address}]`) || field.startsWith(`${address} `);
}

/** tsbgpd started from a generated config; its log lines parsed as they come. */
export class Tsbgpd {
  readonly scope: Scope;
  private opts: TsbgpdOptions;
  private readonly configPath: string;
  private proc: DaemonProcess | undefined;
  /** Every JSON log line so far, in order. */
  readonly log: LogEntry[] = [];
  /** Lines on stdout/stderr that were not JSON (a crash trace, say). */
  readonly otherLines: string[] = [];
  /** Routes currently received, by `${peer} ${prefix}`. */
  readonly received = new Map<string, ReceivedRoute>();

  constructor(scope: Scope, options: TsbgpdOptions) {
    this.scope = scope;
    this.opts = options;
    this.configPath = scope.path(`tsbgpd-${options.address}.toml`);
  }

  get options(): TsbgpdOptions {
    return this.opts;
  }

  get process(): DaemonProcess | undefined {
    return this.proc;
  }

  async start(): Promise<void> {
    if (!existsSync(tsbgpdBin)) throw new Error(`tsbgpd: ${tsbgpdBin} not found (build the repository first: npx tsc -p tsconfig.json)`);
    await writeFile(this.configPath, tsbgpdConfig(this.opts));
    const args = [tsbgpdBin, '-f', this.configPath, '--log-format', 'json', '--log-level', 'debug'];
    if (this.opts.shutdownMessage !== undefined) args.push('--shutdown-message', this.opts.shutdownMessage);
    args.push(...(this.opts.apiHosts === undefined ? ['--no-api'] : ['--api-hosts', this.opts.apiHosts]));
    args.push(...(this.opts.extraArgs ?? []));
    const proc = this.scope.spawn(`tsbgpd-${this.opts.address}`, { command: process.execPath, args });
    this.proc = proc;
    proc.onLine((line) => this.onLine(line));
    await this.waitForLog('tsbgpd started', () => true, 10_000);
  }

  private onLine(line: string): void {
    if (!line.startsWith('{')) {
      if (line.trim() !== '') this.otherLines.push(line);
      return;
    }
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      this.otherLines.push(line);
      return;
    }
    this.log.push(entry);
    const peer = typeof entry['peer'] === 'string' ? entry['peer'] : '';
    const prefix = typeof entry['prefix'] === 'string' ? entry['prefix'] : '';
    if (entry.msg === 'route received') {
      this.received.set(`${peer} ${prefix}`, {
        peer,
        prefix,
        nextHop: String(entry['nextHop'] ?? ''),
        asPath: String(entry['asPath'] ?? ''),
        origin: String(entry['origin'] ?? ''),
      });
    } else if (entry.msg === 'route withdrawn') {
      this.received.delete(`${peer} ${prefix}`);
    } else if (entry.msg === 'peer routes dropped') {
      // The session went down: everything it sent is gone.
      for (const [key, r] of this.received) if (r.peer === peer) this.received.delete(key);
    }
  }

  /** Log lines with this `msg` (and `peer`, if given). */
  entries(msg: string, peer?: string): LogEntry[] {
    return this.log.filter((e) => e.msg === msg && (peer === undefined || isPeer(e['peer'], peer)));
  }

  /** Waits for a log line with `msg` (or one of several) matching `match`, from `fromIndex` of the log on. */
  waitForLog(msg: string | readonly string[], match: (e: LogEntry) => boolean, timeoutMs: number, fromIndex = 0): Promise<LogEntry> {
    const msgs: readonly string[] = typeof msg === 'string' ? [msg] : msg;
    return waitFor(() => this.log.slice(fromIndex).find((e) => msgs.includes(e.msg) && match(e)), {
      timeoutMs,
      intervalMs: 100,
      what: `tsbgpd log line "${msgs.join('" or "')}"`,
      scope: this.scope,
      failFast: () => this.exitReason(),
    });
  }

  /** The last `session state` target for the peer ('Idle' before any line). */
  state(peer: string): string {
    const changes = this.entries('session state', peer);
    const last = changes[changes.length - 1];
    return last === undefined ? 'Idle' : String(last['to']);
  }

  async waitForState(peer: string, state: string, timeoutMs = 20_000): Promise<void> {
    await waitFor(() => this.state(peer) === state, { timeoutMs, intervalMs: 100, what: `tsbgpd: ${peer} ${state}`, scope: this.scope, failFast: () => this.exitReason() });
  }

  /** Why waiting on the daemon is pointless: it has exited. */
  exitReason(): string | undefined {
    const proc = this.proc;
    if (proc === undefined || proc.isRunning) return undefined;
    return `tsbgpd exited (${String(proc.exitStatus)})${this.otherLines.length > 0 ? `; non-JSON output:\n${this.otherLines.slice(-20).join('\n')}` : ''}`;
  }

  /** The route from `peer` for `prefix`, as last received (undefined once withdrawn). */
  route(peer: string, prefix: string): ReceivedRoute | undefined {
    for (const r of this.received.values()) if (r.prefix === prefix && isPeer(r.peer, peer)) return r;
    return undefined;
  }

  /** The stock `gobgp` CLI's arguments that select this daemon's API (-u HOST -p PORT). */
  gobgpTarget(): string[] {
    const hosts = this.opts.apiHosts;
    if (hosts === undefined) throw new Error('tsbgpd: started with --no-api (set apiHosts)');
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(hosts.split(',')[0]!);
    if (m === null) throw new Error(`tsbgpd: cannot read HOST:PORT from apiHosts "${hosts}"`);
    return ['-u', m[1]!, '-p', m[2]!];
  }

  /** Runs the stock `gobgp` CLI against this daemon's API; resolves its stdout. */
  gobgp(args: readonly string[], timeoutMs = 10_000): Promise<string> {
    return runCommand(requireBinary('gobgp'), [...this.gobgpTarget(), ...args], timeoutMs);
  }

  /** Rewrites the config file and sends SIGHUP; resolves on `config reloaded`. */
  async reload(options: TsbgpdOptions): Promise<LogEntry> {
    if (this.proc === undefined) throw new Error('tsbgpd: not started');
    this.opts = options;
    await writeFile(this.configPath, tsbgpdConfig(options));
    const from = this.log.length;
    this.proc.signal('SIGHUP');
    const entry = await this.waitForLog(['config reloaded', 'config reload failed'], () => true, 10_000, from);
    if (entry.msg === 'config reload failed') throw new Error(`tsbgpd: config reload failed: ${String(entry['error'])}`);
    return entry;
  }

  /** SIGTERM by PID and a bounded wait for the exit; resolves the exit status. */
  async stop(timeoutMs = 10_000): Promise<number | string> {
    const proc = this.proc;
    if (proc === undefined) throw new Error('tsbgpd: not started');
    proc.signal('SIGTERM');
    if (!(await waitExit(proc, timeoutMs))) {
      await proc.kill(0);
      throw new Error(`tsbgpd did not exit within ${timeoutMs} ms of SIGTERM (killed)\n${this.scope.recentLogs()}`);
    }
    return proc.exitStatus ?? 'unknown';
  }
}
