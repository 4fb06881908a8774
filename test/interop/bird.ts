// Driver for a real BIRD 2: config generated per test (one BGP protocol per neighbor,
// static protocols holding what it originates), queries through birdc's text output.

import { writeFile } from 'node:fs/promises';
import { type Scope, type DaemonProcess, requireBinary, runCommand, waitFor } from './harness.js';
import { type PeerDaemon, type PeerOptions, type RibRoute, type Family, familyOf, parseAsPathText } from './peer.js';

/** BIRD protocol name of the i-th neighbor. */
export function birdProtocolName(index: number): string {
  return `peer${index + 1}`;
}

/**
 * The BIRD config. Found by trying with 2.0.12:
 * - `local ADDR port P as N` sets both the source address and the listening port of the
 *   protocol; `strict bind yes` makes it listen on ADDR only, not on every address.
 * - A neighbor on loopback is refused ("Invalid remote address") unless `multihop;`.
 * - eBGP export rewrites the next hop to the session address (127.x, which gobgpd
 *   would refuse); `next hop address` per channel gives documentation next hops
 *   instead, and also makes IPv6 routes exportable over the IPv4 session.
 * - Next hops it cannot resolve are kept and shown "unreachable" (fine here).
 * - Default connect delay 5 s and error wait 60-300 s are shortened so tests do
 *   not wait on them.
 */
export function birdConfig(o: PeerOptions, originated: ReadonlySet<string>, logPath: string): string {
  const staticRoutes = (family: Family): string[] => [...originated].filter((p) => familyOf(p) === family).map((p) => `  route ${p} blackhole;`);
  const lines = [
    `log "${logPath}" all;`,
    `router id ${o.address};`,
    'protocol device { }',
    'protocol static static4 {',
    '  ipv4;',
    ...staticRoutes('ipv4'),
    '}',
    'protocol static static6 {',
    '  ipv6;',
    ...staticRoutes('ipv6'),
    '}',
  ];
  o.neighbors.forEach((n, i) => {
    lines.push(
      `protocol bgp ${birdProtocolName(i)} {`,
      `  local ${o.address} port ${o.port} as ${o.as};`,
      `  neighbor ${n.address} port ${n.port} as ${n.as};`,
      n.ttl === undefined ? '  multihop;' : `  multihop ${n.ttl};`,
      ...(n.password === undefined ? [] : [`  password "${n.password}";`]),
      ...(n.isGtsm === true ? ['  ttl security on;'] : []),
      '  strict bind yes;',
      `  passive ${n.isPassive ? 'on' : 'off'};`,
      '  connect delay time 1;',
      '  connect retry time 3;',
      '  error wait time 1, 5;',
      '  hold time 90;',
      `  ipv4 { import all; export all; next hop address ${o.nextHop4}; };`,
      `  ipv6 { import all; export all; next hop address ${o.nextHop6}; };`,
      '}',
    );
  });
  return lines.join('\n') + '\n';
}

// A route's first line: "PREFIX  TYPE [PROTO TIME from ADDR] * (PREF) ..."; further
// routes of the same prefix start with blanks instead of the prefix.
const routeLine = /^(\S+)?\s+\S.*?\[(\S+) [^\]]*?(?:from (\S+))?\]/;

/** Reads `birdc show route all` text into routes. */
export function parseBirdRoutes(text: string): RibRoute[] {
  const out: RibRoute[] = [];
  let prefix = '';
  let current: { prefix: string; nextHop: string; asPath: number[]; fromPeer?: string } | undefined;
  const flush = (): void => {
    if (current !== undefined) out.push(current.fromPeer === undefined ? { prefix: current.prefix, nextHop: current.nextHop, asPath: current.asPath } : { ...current });
    current = undefined;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('Table ') || line.startsWith('BIRD ') || line.trim() === '') continue;
    const attr = /^\s+BGP\.(\w+): (.*)$/.exec(line);
    if (attr !== null) {
      if (current === undefined) continue;
      if (attr[1] === 'next_hop') current.nextHop = attr[2]!.split(' ')[0]!;
      if (attr[1] === 'as_path') current.asPath = parseAsPathText(attr[2]!);
      continue;
    }
    if (/^\s+Type: /.test(line)) continue;
    const route = routeLine.exec(line);
    if (route === null) continue;
    flush();
    if (route[1] !== undefined) prefix = route[1];
    current = { prefix, nextHop: '', asPath: [] };
    if (route[3] !== undefined) current.fromPeer = route[3];
  }
  flush();
  return out;
}

/** The fields of `birdc show protocols all NAME` that the tests read. */
export interface BirdProtocolInfo {
  readonly bgpState: string;
  readonly lastError?: string;
  /** RFC 9003 text of the last Cease received ("Message:" line). */
  readonly message?: string;
}

export function parseBirdProtocol(text: string): BirdProtocolInfo {
  const field = (name: string): string | undefined => new RegExp(`^\\s+${name}:\\s+(.*)$`, 'm').exec(text)?.[1]?.trim();
  const state = field('BGP state');
  const lastError = field('Last error');
  const message = field('Message');
  return {
    bgpState: state ?? 'unknown',
    ...(lastError === undefined ? {} : { lastError }),
    ...(message === undefined ? {} : { message }),
  };
}

/** BIRD started in the foreground from a generated config, driven with birdc. */
export class Bird implements PeerDaemon {
  readonly kind = 'bird';
  readonly options: PeerOptions;
  private readonly scope: Scope;
  private readonly bird: string;
  private readonly birdc: string;
  private readonly originated = new Set<string>();
  private readonly socketPath: string;
  private readonly configPath: string;
  private readonly logPath: string;
  private proc: DaemonProcess | undefined;

  constructor(scope: Scope, options: PeerOptions) {
    this.scope = scope;
    this.options = options;
    this.bird = requireBinary('bird');
    this.birdc = requireBinary('birdc');
    this.socketPath = scope.path(`bird-${options.address}.ctl`);
    this.configPath = scope.path(`bird-${options.address}.conf`);
    this.logPath = scope.path(`bird-${options.address}.log`);
  }

  get process(): DaemonProcess | undefined {
    return this.proc;
  }

  async start(): Promise<void> {
    await writeFile(this.configPath, birdConfig(this.options, this.originated, this.logPath));
    this.proc = this.scope.spawn(`bird-${this.options.address}`, {
      command: this.bird,
      args: ['-f', '-c', this.configPath, '-s', this.socketPath, '-P', this.scope.path(`bird-${this.options.address}.pid`)],
    });
    await waitFor(async () => (await this.cli(['show', 'status'])).includes('Daemon is up and running'), { timeoutMs: 10_000, what: 'BIRD control socket to answer', scope: this.scope });
  }

  /** Runs `birdc -s SOCKET ...`. */
  cli(args: readonly string[]): Promise<string> {
    return runCommand(this.birdc, ['-s', this.socketPath, ...args]);
  }

  private protocolOf(neighbor: string): string {
    const index = this.options.neighbors.findIndex((n) => n.address === neighbor);
    if (index < 0) throw new Error(`bird: ${neighbor} is not a configured neighbor`);
    return birdProtocolName(index);
  }

  async protocolInfo(neighbor: string): Promise<BirdProtocolInfo> {
    return parseBirdProtocol(await this.cli(['show', 'protocols', 'all', this.protocolOf(neighbor)]));
  }

  async sessionState(neighbor: string): Promise<string> {
    return (await this.protocolInfo(neighbor)).bgpState;
  }

  async isEstablished(neighbor: string): Promise<boolean> {
    return (await this.sessionState(neighbor)) === 'Established';
  }

  async routes(family: Family): Promise<RibRoute[]> {
    return parseBirdRoutes(await this.cli(['show', 'route', 'all', 'table', family === 'ipv4' ? 'master4' : 'master6']));
  }

  /** Rewrites the static protocols and applies them with `birdc configure`. */
  private async reconfigure(): Promise<void> {
    await writeFile(this.configPath, birdConfig(this.options, this.originated, this.logPath));
    const out = await this.cli(['configure', `"${this.configPath}"`]);
    if (!/Reconfigured|Reconfiguration in progress/.test(out)) throw new Error(`bird: configure failed: ${out.trim()}`);
  }

  async originate(prefix: string): Promise<void> {
    this.originated.add(prefix);
    await this.reconfigure();
  }

  async withdraw(prefix: string): Promise<void> {
    this.originated.delete(prefix);
    await this.reconfigure();
  }

  async receivedShutdownCommunication(neighbor: string): Promise<string | undefined> {
    return (await this.protocolInfo(neighbor)).message;
  }

  async stop(): Promise<void> {
    await this.proc?.kill();
  }
}
