// Driver for a real FRR bgpd (no zebra): config generated per test, queries and
// origination through vtysh on the test's own vty socket directory, JSON output.

import { mkdir, writeFile } from 'node:fs/promises';
import { type Scope, type DaemonProcess, requireBinary, runCommand, waitFor } from './harness.js';
import { type PeerDaemon, type PeerOptions, type RibRoute, type Family, familyOf, parseAsPathText } from './peer.js';

const bgpdPath = '/usr/lib/frr/bgpd';

/**
 * The bgpd config. Found by trying with FRR 8.4.4:
 * - eBGP accepts and sends nothing without a policy unless `no bgp ebgp-requires-policy`.
 * - `network` needs a matching IGP route unless `no bgp network import-check`
 *   (there is no zebra here, so nothing ever matches).
 * - eBGP next hops become the session address (127.x, refused by gobgpd); an
 *   outbound route-map sets documentation next hops for both families, which also
 *   gives IPv6 routes a global next hop over the IPv4 session.
 * - Loopback neighbors need `ebgp-multihop` (no connected-route check without zebra).
 */
export function frrConfig(o: PeerOptions, logPath: string): string {
  const lines = [
    `hostname frr-${o.address}`,
    `log file ${logPath} debugging`,
    'debug bgp neighbor-events',
    '!',
    'route-map NEXT-HOP-OUT permit 10',
    ` set ip next-hop ${o.nextHop4}`,
    ` set ipv6 next-hop global ${o.nextHop6}`,
    'exit',
    '!',
    `router bgp ${o.as}`,
    ` bgp router-id ${o.address}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
    ' no bgp default ipv4-unicast',
    ' timers bgp 30 90',
  ];
  for (const n of o.neighbors) {
    lines.push(
      ` neighbor ${n.address} remote-as ${n.as}`,
      ` neighbor ${n.address} port ${n.port}`,
      ` neighbor ${n.address} update-source ${o.address}`,
      // FRR refuses ttl-security together with ebgp-multihop.
      n.isGtsm === true ? ` neighbor ${n.address} ttl-security hops 1` : ` neighbor ${n.address} ebgp-multihop ${n.ttl ?? 255}`,
      ` neighbor ${n.address} timers connect 3`,
    );
    if (n.password !== undefined) lines.push(` neighbor ${n.address} password ${n.password}`);
    if (n.isPassive) lines.push(` neighbor ${n.address} passive`);
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    lines.push(' !', ` address-family ${family} unicast`);
    for (const n of o.neighbors) lines.push(`  neighbor ${n.address} activate`, `  neighbor ${n.address} route-map NEXT-HOP-OUT out`);
    lines.push(' exit-address-family');
  }
  lines.push('exit');
  return lines.join('\n') + '\n';
}

interface FrrPath {
  readonly peerId?: string;
  readonly path?: string;
  readonly nexthops?: readonly { readonly ip?: string; readonly scope?: string }[];
}

/** Reads `show bgp ipv4|ipv6 unicast json`. */
export function parseFrrRib(json: string): RibRoute[] {
  const doc = JSON.parse(json) as { readonly routes?: Record<string, readonly FrrPath[]> };
  const out: RibRoute[] = [];
  for (const [prefix, paths] of Object.entries(doc.routes ?? {})) {
    for (const p of paths) {
      const global = p.nexthops?.find((h) => h.scope === undefined || h.scope === 'global') ?? p.nexthops?.[0];
      const route = { prefix, nextHop: global?.ip ?? '', asPath: parseAsPathText(p.path ?? '') };
      const from = p.peerId;
      out.push(from === undefined || from === '(unspec)' ? route : { ...route, fromPeer: from });
    }
  }
  return out;
}

/** The fields of `show bgp neighbors X json` the tests read. */
export interface FrrNeighborInfo {
  readonly bgpState?: string;
  readonly lastNotificationReason?: string;
  /** RFC 9003 text of the last Cease received. */
  readonly lastShutdownDescription?: string;
}

/** FRR bgpd alone (-Z: no zebra), as root (-S), vtysh on a private socket dir. */
export class Frr implements PeerDaemon {
  readonly kind = 'frr';
  readonly options: PeerOptions;
  private readonly scope: Scope;
  private readonly bgpd: string;
  private readonly vtysh: string;
  private readonly vtyDir: string;
  private proc: DaemonProcess | undefined;

  constructor(scope: Scope, options: PeerOptions) {
    this.scope = scope;
    this.options = options;
    this.bgpd = requireBinary(bgpdPath);
    this.vtysh = requireBinary('vtysh');
    // vtysh finds bgpd by <dir>/bgpd.vty; a dir per instance keeps runs and instances apart.
    this.vtyDir = scope.path(`frr-${options.address}.vty`);
  }

  get process(): DaemonProcess | undefined {
    return this.proc;
  }

  async start(): Promise<void> {
    await mkdir(this.vtyDir);
    const conf = this.scope.path(`frr-${this.options.address}.conf`);
    await writeFile(conf, frrConfig(this.options, this.scope.path(`frr-${this.options.address}.log`)));
    // -S: stay root without the frr user's capability dance (as root, -u root fails the
    // frrvty group check); -Z: no zebra; -l/-p: listen address and port. -l also
    // turns off kernel installation, which these tests never want anyway.
    this.proc = this.scope.spawn(`frr-${this.options.address}`, {
      command: this.bgpd,
      args: ['-f', conf, '-i', this.scope.path(`frr-${this.options.address}.pid`), '-p', String(this.options.port), '-l', this.options.address, '-Z', '-S', '--vty_socket', this.vtyDir],
    });
    await waitFor(async () => (await this.vty(['show bgp summary json'])).includes(`"routerId":"${this.options.address}"`) || undefined, { timeoutMs: 10_000, what: 'FRR bgpd vty to answer', scope: this.scope });
  }

  /** Runs vtysh with each argument as one `-c` command. */
  vty(commands: readonly string[]): Promise<string> {
    return runCommand(this.vtysh, ['--vty_socket', this.vtyDir, ...commands.flatMap((c) => ['-c', c])]);
  }

  async neighborInfo(neighbor: string): Promise<FrrNeighborInfo> {
    const doc = JSON.parse(await this.vty([`show bgp neighbors ${neighbor} json`])) as Record<string, FrrNeighborInfo | undefined>;
    const info = doc[neighbor];
    if (info === undefined) throw new Error(`frr: no neighbor ${neighbor} in \`show bgp neighbors json\``);
    return info;
  }

  async sessionState(neighbor: string): Promise<string> {
    return (await this.neighborInfo(neighbor)).bgpState ?? 'unknown';
  }

  async isEstablished(neighbor: string): Promise<boolean> {
    return (await this.sessionState(neighbor)) === 'Established';
  }

  async routes(family: Family): Promise<RibRoute[]> {
    return parseFrrRib(await this.vty([`show bgp ${family} unicast json`]));
  }

  private networkCommand(prefix: string, isRemove: boolean): Promise<string> {
    return this.vty(['configure terminal', `router bgp ${this.options.as}`, `address-family ${familyOf(prefix)} unicast`, `${isRemove ? 'no ' : ''}network ${prefix}`]);
  }

  async originate(prefix: string): Promise<void> {
    await this.networkCommand(prefix, false);
  }

  async withdraw(prefix: string): Promise<void> {
    await this.networkCommand(prefix, true);
  }

  async receivedShutdownCommunication(neighbor: string): Promise<string | undefined> {
    return (await this.neighborInfo(neighbor)).lastShutdownDescription;
  }

  async stop(): Promise<void> {
    await this.proc?.kill();
  }
}
