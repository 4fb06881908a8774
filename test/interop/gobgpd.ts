// Driver for a real gobgpd: TOML config generated per test, queries and origination
// through its `gobgp` CLI (JSON output), and the shutdown communication it logs.

import { writeFile } from 'node:fs/promises';
import { type Scope, type DaemonProcess, requireBinary, runCommand, freePort, waitFor } from './harness.js';
import { type NeighborSpec, type PeerDaemon, type PeerOptions, type RibRoute, type Family, familyOf } from './peer.js';

/** A gobgpd neighbor: the common spec plus TOML lines at the end of its table (e.g. `[neighbors.add-paths.config]`). */
export interface GobgpdNeighbor extends NeighborSpec {
  readonly extraToml?: readonly string[];
}

export interface GobgpdOptions extends PeerOptions {
  readonly neighbors: readonly GobgpdNeighbor[];
}

/** gobgp's apipb.PeerState.SessionState enum. */
const gobgpSessionStates: Record<number, string> = {
  0: 'Unknown',
  1: 'Idle',
  2: 'Connect',
  3: 'Active',
  4: 'OpenSent',
  5: 'OpenConfirm',
  6: 'Established',
};

/** The gobgpd config: global port and address, and per neighbor its port and role. */
export function gobgpdConfig(o: GobgpdOptions): string {
  const lines = [
    '[global.config]',
    `  as = ${o.as}`,
    `  router-id = "${o.address}"`,
    `  port = ${o.port}`,
    `  local-address-list = ["${o.address}"]`,
  ];
  for (const n of o.neighbors) {
    lines.push(
      '',
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = "${n.address}"`,
      `    peer-as = ${n.as}`,
      // Short retry timers so a test waits seconds, not gobgpd's default 120/30 s.
      '  [neighbors.timers.config]',
      '    connect-retry = 3',
      '    idle-hold-time-after-reset = 3',
      '  [neighbors.transport.config]',
      `    local-address = "${o.address}"`,
      `    remote-port = ${n.port}`,
      `    passive-mode = ${n.isPassive}`,
      '  [[neighbors.afi-safis]]',
      '    [neighbors.afi-safis.config]',
      '      afi-safi-name = "ipv4-unicast"',
      '  [[neighbors.afi-safis]]',
      '    [neighbors.afi-safis.config]',
      '      afi-safi-name = "ipv6-unicast"',
      ...(n.extraToml ?? []),
    );
  }
  return lines.join('\n') + '\n';
}

interface GobgpAttr {
  readonly type: number;
  readonly nexthop?: string;
  readonly as_paths?: readonly { readonly asns?: readonly number[] }[];
  readonly communities?: readonly number[];
  readonly value?: unknown;
}

interface GobgpPath {
  readonly attrs?: readonly GobgpAttr[];
  readonly 'neighbor-ip'?: string;
}

interface GobgpNeighbor {
  readonly conf?: { readonly neighbor_address?: string };
  readonly state?: { readonly neighbor_address?: string; readonly session_state?: number | string };
}

/** Reads `gobgp global rib -j` output ({prefix: [path]}, or nothing when empty). */
export function parseGobgpRib(json: string): RibRoute[] {
  const text = json.trim();
  if (text === '' || text === 'null') return [];
  const rib = JSON.parse(text) as Record<string, readonly GobgpPath[]>;
  const out: RibRoute[] = [];
  for (const [prefix, paths] of Object.entries(rib)) {
    for (const path of paths) {
      let nextHop = '';
      const asPath: number[] = [];
      for (const a of path.attrs ?? []) {
        // NEXT_HOP (3) for IPv4, MP_REACH_NLRI (14) for IPv6.
        if ((a.type === 3 || a.type === 14) && a.nexthop !== undefined) nextHop = a.nexthop;
        if (a.type === 2) for (const seg of a.as_paths ?? []) asPath.push(...(seg.asns ?? []));
      }
      const from = path['neighbor-ip'];
      const isLocal = from === undefined || from === '<nil>' || from === '0.0.0.0' || from === '';
      out.push(isLocal ? { prefix, nextHop, asPath } : { prefix, nextHop, asPath, fromPeer: from });
    }
  }
  return out;
}

/** gobgpd started from a generated config, driven with the gobgp CLI. */
export class Gobgpd implements PeerDaemon {
  readonly kind = 'gobgpd';
  readonly options: GobgpdOptions;
  private readonly scope: Scope;
  private readonly gobgp: string;
  private readonly gobgpd: string;
  private apiPort = 0;
  private proc: DaemonProcess | undefined;
  /** Shutdown communications seen in gobgpd's JSON log, by neighbor address. */
  private readonly communications = new Map<string, string>();

  constructor(scope: Scope, options: GobgpdOptions) {
    this.scope = scope;
    this.options = options;
    this.gobgpd = requireBinary('gobgpd');
    this.gobgp = requireBinary('gobgp');
  }

  get process(): DaemonProcess | undefined {
    return this.proc;
  }

  async start(): Promise<void> {
    const conf = this.scope.path(`gobgpd-${this.options.address}.toml`);
    await writeFile(conf, gobgpdConfig(this.options));
    this.apiPort = await freePort(this.options.address);
    const proc = this.scope.spawn(`gobgpd-${this.options.address}`, {
      command: this.gobgpd,
      args: ['-f', conf, '-t', 'toml', '--api-hosts', `${this.options.address}:${this.apiPort}`, '--pprof-disable', '-l', 'debug'],
    });
    this.proc = proc;
    // gobgpd prints the RFC 9003 text only in its log: "received notification" with
    // "Communicated-Reason"; neither `gobgp neighbor` nor its JSON shows it.
    proc.onLine((line) => {
      if (!line.startsWith('{')) return;
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry['msg'] === 'received notification' && typeof entry['Key'] === 'string') {
          this.communications.set(entry['Key'], typeof entry['Communicated-Reason'] === 'string' ? entry['Communicated-Reason'] : '');
        }
      } catch {
        // Not a JSON log line (gobgpd prints a few plain ones at start).
      }
    });
    await waitFor(() => this.cli(['global']).then(() => true), { timeoutMs: 10_000, what: 'gobgpd API to answer', scope: this.scope });
  }

  /** The `gobgp` arguments that select this daemon's API (-u ADDR -p PORT). */
  get gobgpTarget(): string[] {
    if (this.apiPort === 0) throw new Error('gobgpd: not started');
    return ['-u', this.options.address, '-p', String(this.apiPort)];
  }

  /** Runs `gobgp -u ADDR -p PORT ...`. */
  cli(args: readonly string[]): Promise<string> {
    if (this.apiPort === 0) throw new Error('gobgpd: not started');
    return runCommand(this.gobgp, ['-u', this.options.address, '-p', String(this.apiPort), ...args]);
  }

  async sessionState(neighbor: string): Promise<string> {
    const list = JSON.parse(await this.cli(['neighbor', '-j'])) as readonly GobgpNeighbor[] | null;
    const entry = (list ?? []).find((n) => (n.state?.neighbor_address ?? n.conf?.neighbor_address) === neighbor);
    if (entry === undefined) throw new Error(`gobgpd: no neighbor ${neighbor} in \`gobgp neighbor -j\``);
    const raw = entry.state?.session_state;
    if (typeof raw === 'number') return gobgpSessionStates[raw] ?? `state ${raw}`;
    return String(raw ?? 'Unknown');
  }

  async isEstablished(neighbor: string): Promise<boolean> {
    return (await this.sessionState(neighbor)).toLowerCase() === 'established';
  }

  async routes(family: Family): Promise<RibRoute[]> {
    return parseGobgpRib(await this.cli(['global', 'rib', '-a', family, '-j']));
  }

  private nextHopOf(prefix: string): string {
    return familyOf(prefix) === 'ipv4' ? this.options.nextHop4 : this.options.nextHop6;
  }

  async originate(prefix: string): Promise<void> {
    await this.cli(['global', 'rib', '-a', familyOf(prefix), 'add', prefix, 'nexthop', this.nextHopOf(prefix), 'origin', 'igp']);
  }

  async withdraw(prefix: string): Promise<void> {
    await this.cli(['global', 'rib', '-a', familyOf(prefix), 'del', prefix]);
  }

  async receivedShutdownCommunication(neighbor: string): Promise<string | undefined> {
    return this.communications.get(neighbor);
  }

  async stop(): Promise<void> {
    await this.proc?.kill();
  }
}
