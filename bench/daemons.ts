// The daemons under test, each started as a plain receiver on loopback: one passive eBGP
// neighbor (the injector), IPv4 and IPv6 unicast, import everything, export nothing, no
// kernel routes, logging at info. Each answers "how many routes do you hold" through its
// own CLI (tsbgpd through its API). Processes go through the interop harness: tracked by
// PID and killed when the scope is cleaned up.

import { execFile } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { type DaemonProcess, type Scope, freePort, runCommand, waitFor } from '../test/interop/harness.js';
import { gobgpdConfig } from '../test/interop/gobgpd.js';
import { tsbgpdBin, tsbgpdConfig } from '../test/interop/tsbgpd.js';
import { ApiClient } from '../src/api/client.js';
import { TableType } from '../src/api/apipb.js';

export const daemonKinds = ['tsbgpd', 'gobgpd', 'bird', 'frr'] as const;
export type DaemonKind = (typeof daemonKinds)[number];

export function isDaemonKind(text: string): text is DaemonKind {
  return (daemonKinds as readonly string[]).includes(text);
}

const frrBgpd = '/usr/lib/frr/bgpd';

/** Programs each daemon needs, and the Debian package that has them. */
const programs: Record<DaemonKind, { readonly names: readonly string[]; readonly install: string }> = {
  tsbgpd: { names: [process.execPath, tsbgpdBin], install: 'build the repository: npm run build' },
  gobgpd: { names: ['gobgpd', 'gobgp'], install: 'apt-get install gobgpd' },
  bird: { names: ['bird', 'birdc'], install: 'apt-get install bird2' },
  frr: { names: [frrBgpd, 'vtysh'], install: 'apt-get install frr' },
};

/** The path of a program on PATH (or an absolute path), undefined if there is none. */
function findProgram(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, name));
  for (const path of candidates) {
    try {
      accessSync(path, name.endsWith('.js') ? fsConstants.R_OK : fsConstants.X_OK);
      return path;
    } catch {
      // Not here; try the next directory.
    }
  }
  return undefined;
}

/** Why the daemon cannot run here ("gobgp not installed (apt-get install gobgpd)"), or undefined. */
export function missingReason(kind: DaemonKind): string | undefined {
  const spec = programs[kind];
  const missing = spec.names.filter((n) => findProgram(n) === undefined);
  if (kind === 'tsbgpd' && !existsSync(join(tsbgpdBin, '..', '..', 'dist', 'src', 'daemon', 'main.js'))) missing.push('dist/src/daemon/main.js');
  return missing.length === 0 ? undefined : `${missing.join(', ')} not installed (${spec.install})`;
}

/** Output of a command, stdout and stderr together; '' if it fails to run. */
function outputOf(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 5000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`.trim()));
  });
}

/** The daemon's version line, e.g. "BIRD 2.0.12". */
export async function daemonVersion(kind: DaemonKind): Promise<string> {
  const number = (text: string): string => /\d+\.\d+(\.\d+)?/.exec(text)?.[0] ?? 'unknown';
  switch (kind) {
    case 'tsbgpd':
      return `tsbgpd ${number(await outputOf(process.execPath, [tsbgpdBin, '--version']))} (node ${process.version})`;
    case 'gobgpd':
      return `gobgpd ${number(await outputOf('gobgpd', ['--version']))}`;
    case 'bird':
      return `BIRD ${number(await outputOf('bird', ['--version']))}`;
    case 'frr':
      return `FRR bgpd ${number(await outputOf(frrBgpd, ['--version']))}`;
  }
}

/** Where and as whom a receiver runs. */
export interface ReceiverSetup {
  readonly scope: Scope;
  /** The daemon's loopback address and BGP port. */
  readonly address: string;
  readonly port: number;
  readonly as: number;
  /** The injector's address and AS. */
  readonly peerAddress: string;
  readonly peerAs: number;
  /** More injectors (same AS) besides peerAddress: the many-peers run. */
  readonly morePeerAddresses?: readonly string[];
  /** tsbgpd only: run under `node --cpu-prof` writing into this directory. */
  readonly cpuProfileDir?: string;
}

/** A running receiver. */
export interface Receiver {
  readonly kind: DaemonKind;
  readonly process: DaemonProcess;
  /** Routes of both families in the daemon's RIB (Loc-RIB where it has one). */
  routeCount(): Promise<number>;
  /** A cheap request to time how long the daemon leaves it waiting (tsbgpd: GetBgp); absent when asking costs a process. */
  readonly ping?: () => Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts one daemon as a receiver and waits (bounded) until its CLI or API answers. */
export async function startReceiver(kind: DaemonKind, s: ReceiverSetup): Promise<Receiver> {
  switch (kind) {
    case 'tsbgpd':
      return startTsbgpd(s);
    case 'gobgpd':
      return startGobgpd(s);
    case 'bird':
      return startBird(s);
    case 'frr':
      return startFrr(s);
  }
}

/** Every injector's address, peerAddress first. */
function peersOf(s: Pick<ReceiverSetup, 'peerAddress' | 'morePeerAddresses'>): string[] {
  return [s.peerAddress, ...(s.morePeerAddresses ?? [])];
}

const startWaitMs = 15_000;
/** Count queries are rare (see measure.ts) but may be slow on a full table. */
const countTimeoutMs = 30_000;

function exitedReason(proc: DaemonProcess): string | undefined {
  return proc.isRunning ? undefined : `exited (${String(proc.exitStatus)})`;
}

async function startTsbgpd(s: ReceiverSetup): Promise<Receiver> {
  const conf = s.scope.path('tsbgpd.toml');
  await writeFile(conf, tsbgpdConfig({ as: s.as, address: s.address, port: s.port, neighbors: peersOf(s).map((address) => ({ address, port: 179, as: s.peerAs, isPassive: true })), originate: [] }));
  const apiPort = await freePort(s.address);
  const target = `${s.address}:${apiPort}`;
  const profile = s.cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', s.cpuProfileDir];
  // info, not debug: at debug tsbgpd logs every route.
  const proc = s.scope.spawn('tsbgpd', { command: process.execPath, args: [...profile, tsbgpdBin, '-f', conf, '--log-format', 'json', '--log-level', 'info', '--api-hosts', target] });
  const client = new ApiClient({ target, timeoutMs: countTimeoutMs });
  await waitFor(() => client.getBgp().then(() => true), { timeoutMs: startWaitMs, what: 'tsbgpd API to answer', scope: s.scope, failFast: () => exitedReason(proc) });
  const family = (afi: number): Promise<number> => client.getTable({ table_type: TableType.global, family: { afi, safi: 1 } }).then((t) => Number(t.num_destination ?? 0));
  return {
    kind: 'tsbgpd',
    process: proc,
    routeCount: async () => (await family(1)) + (await family(2)),
    ping: () => client.getBgp(),
    stop: async () => {
      client.close();
      // A CPU profile is written at exit: give it time.
      await proc.kill(s.cpuProfileDir === undefined ? 5000 : 30_000);
    },
  };
}

async function startGobgpd(s: ReceiverSetup): Promise<Receiver> {
  const conf = s.scope.path('gobgpd.toml');
  await writeFile(conf, gobgpdConfig({ as: s.as, address: s.address, port: s.port, neighbors: peersOf(s).map((address) => ({ address, port: 179, as: s.peerAs, isPassive: true })), nextHop4: '192.0.2.1', nextHop6: '2001:db8::1' }));
  const apiPort = await freePort(s.address);
  const proc = s.scope.spawn('gobgpd', { command: 'gobgpd', args: ['-f', conf, '-t', 'toml', '--api-hosts', `${s.address}:${apiPort}`, '--pprof-disable', '-l', 'info'] });
  const cli = (args: readonly string[]): Promise<string> => runCommand('gobgp', ['-u', s.address, '-p', String(apiPort), ...args], countTimeoutMs);
  await waitFor(() => cli(['global']).then(() => true), { timeoutMs: startWaitMs, what: 'gobgpd API to answer', scope: s.scope, failFast: () => exitedReason(proc) });
  // "Table ipv4-unicast\nDestination: N, Path: M": destinations of the global RIB.
  const family = async (name: string): Promise<number> => {
    const out = await cli(['global', 'rib', 'summary', '-a', name]);
    const m = /Destination:\s*(\d+)/.exec(out);
    if (m === null) throw new Error(`gobgp global rib summary -a ${name}: unexpected output: ${out.trim()}`);
    return Number(m[1]);
  };
  return {
    kind: 'gobgpd',
    process: proc,
    routeCount: async () => (await family('ipv4')) + (await family('ipv6')),
    stop: () => proc.kill(),
  };
}

/**
 * BIRD as a receiver. `multihop` because BIRD refuses a loopback neighbor otherwise;
 * the next hops then resolve to nothing and routes are kept as unreachable, which
 * costs nothing here. No kernel protocol: nothing reaches the host's tables.
 */
export function birdReceiverConfig(s: Pick<ReceiverSetup, 'address' | 'port' | 'as' | 'peerAddress' | 'peerAs' | 'morePeerAddresses'>, logPath: string): string {
  const peers = peersOf(s);
  return [
    `log "${logPath}" { info, remote, warning, error, auth, fatal, bug };`,
    `router id ${s.address};`,
    'protocol device { }',
    ...peers.flatMap((peer, i) => [
      `protocol bgp injector${i === 0 ? '' : String(i + 1)} {`,
      `  local ${s.address} port ${s.port} as ${s.as};`,
      `  neighbor ${peer} as ${s.peerAs};`,
      '  multihop;',
      '  strict bind yes;',
      '  passive on;',
      '  hold time 240;',
      '  ipv4 { import all; export none; };',
      '  ipv6 { import all; export none; };',
      '}',
    ]),
  ].join('\n') + '\n';
}

async function startBird(s: ReceiverSetup): Promise<Receiver> {
  const conf = s.scope.path('bird.conf');
  const socket = s.scope.path('bird.ctl');
  await writeFile(conf, birdReceiverConfig(s, s.scope.path('bird.log')));
  const proc = s.scope.spawn('bird', { command: 'bird', args: ['-f', '-c', conf, '-s', socket, '-P', s.scope.path('bird.pid')] });
  const cli = (args: readonly string[]): Promise<string> => runCommand('birdc', ['-s', socket, ...args], countTimeoutMs);
  await waitFor(async () => (await cli(['show', 'status'])).includes('Daemon is up and running'), { timeoutMs: startWaitMs, what: 'BIRD control socket to answer', scope: s.scope, failFast: () => exitedReason(proc) });
  const table = async (name: string): Promise<number> => {
    // "N of M routes for K networks in table T"
    const out = await cli(['show', 'route', 'count', 'table', name]);
    const m = /(\d+) of (\d+) routes for (\d+) networks/.exec(out);
    if (m === null) throw new Error(`birdc show route count table ${name}: unexpected output: ${out.trim()}`);
    return Number(m[3]);
  };
  return {
    kind: 'bird',
    process: proc,
    routeCount: async () => (await table('master4')) + (await table('master6')),
    stop: () => proc.kill(),
  };
}

/**
 * FRR bgpd alone as a receiver: -Z (no zebra), -l ADDR (which also keeps it from the
 * kernel), -S to stay root. `no bgp ebgp-requires-policy` or FRR 8.4 accepts nothing;
 * a deny-all outbound map so it sends nothing back.
 */
export function frrReceiverConfig(s: Pick<ReceiverSetup, 'address' | 'as' | 'peerAddress' | 'peerAs' | 'morePeerAddresses'>, logPath: string): string {
  const peers = peersOf(s);
  const lines = [
    'hostname bench-frr',
    `log file ${logPath} informational`,
    '!',
    'route-map DENY-ALL deny 10',
    'exit',
    '!',
    `router bgp ${s.as}`,
    ` bgp router-id ${s.address}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp default ipv4-unicast',
    ...peers.flatMap((p) => [` neighbor ${p} remote-as ${s.peerAs}`, ` neighbor ${p} passive`, ` neighbor ${p} ebgp-multihop 255`, ` neighbor ${p} timers 80 240`]),
  ];
  for (const family of ['ipv4', 'ipv6'] as const) {
    lines.push(' !', ` address-family ${family} unicast`, ...peers.flatMap((p) => [`  neighbor ${p} activate`, `  neighbor ${p} route-map DENY-ALL out`]), ' exit-address-family');
  }
  lines.push('exit');
  return lines.join('\n') + '\n';
}

interface FrrSummary {
  readonly peers?: Record<string, { readonly pfxRcd?: number } | undefined>;
}

async function startFrr(s: ReceiverSetup): Promise<Receiver> {
  const vtyDir = s.scope.path('frr.vty');
  await mkdir(vtyDir);
  const conf = s.scope.path('frr.conf');
  await writeFile(conf, frrReceiverConfig(s, s.scope.path('frr.log')));
  const proc = s.scope.spawn('frr', {
    command: frrBgpd,
    args: ['-f', conf, '-i', s.scope.path('frr.pid'), '-p', String(s.port), '-l', s.address, '-Z', '-S', '--vty_socket', vtyDir],
  });
  const vty = (commands: readonly string[]): Promise<string> => runCommand('vtysh', ['--vty_socket', vtyDir, ...commands.flatMap((c) => ['-c', c])], countTimeoutMs);
  await waitFor(async () => (await vty(['show bgp summary json'])).includes(`"routerId":"${s.address}"`) || undefined, { timeoutMs: startWaitMs, what: 'FRR bgpd vty to answer', scope: s.scope, failFast: () => exitedReason(proc) });
  // pfxRcd: prefixes accepted from the peer into the BGP table (0 once the session is gone).
  const family = async (name: string): Promise<number> => {
    const doc = JSON.parse(await vty([`show bgp ${name} unicast summary json`])) as FrrSummary;
    return peersOf(s).reduce((sum, p) => sum + (doc.peers?.[p]?.pfxRcd ?? 0), 0);
  };
  return {
    kind: 'frr',
    process: proc,
    routeCount: async () => (await family('ipv4')) + (await family('ipv6')),
    stop: () => proc.kill(),
  };
}
