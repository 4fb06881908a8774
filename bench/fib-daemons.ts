// `npm run bench`'s FIB section: N IPv4 /32 routes with three next hops each into a
// kernel table, every way in its own fresh network namespaces, one after the other:
// `ip -batch`, our writer and Fib alone (bench/fib-install.ts), then end to end over BGP
// (RFC 4271) for tsbgpd ([zebra.config] on, multipath), BIRD 2 (kernel protocol, merge
// paths) and FRR (bgpd + zebra, maximum-paths 8): three injector peers in a peer
// namespace announce the same prefixes, each with itself as next hop, and the time runs
// from the first UPDATE written until the router namespace's main table holds every
// route with three next hops. Nothing but loopback is configured in the root namespace.
// Usage (root): npx tsc -p tsconfig.json && node dist/bench/fib-daemons.js [routes]

import { execFileSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Netns } from '../src/fib/testing/netns.js';
import { Scope, waitFor, type DaemonProcess } from '../test/interop/harness.js';
import { tsbgpdBin, tsbgpdConfig } from '../test/interop/tsbgpd.js';
import { readCpuTicks, ticksPerSecond } from './measure.js';
import { daemonVersion, missingReason, type DaemonKind } from './daemons.js';
import { gateways, measureDirectInstall, type DirectInstall } from './fib-install.js';

/** Daemons measured end to end over BGP. */
export const fibDaemonKinds = ['tsbgpd', 'bird', 'frr'] as const;
export type FibDaemonKind = (typeof fibDaemonKinds)[number];

/** One daemon's end-to-end run: a time, or why there is none. */
export interface FibDaemonRun {
  readonly kind: FibDaemonKind;
  readonly version: string;
  /** First UPDATE written to the last kernel route change before every route had three next hops. */
  readonly seconds?: number;
  /** Until the dump that saw every route finished (the figure's upper bound). */
  readonly confirmedSeconds?: number;
  /** CPU (user + system, all threads) of the daemon's processes from the first UPDATE to the confirming dump: less sensitive to a loaded host than the wall-clock time. */
  readonly cpuSeconds?: number;
  readonly failure?: string;
}

/** The FIB section's figures. */
export interface FibBenchResult {
  readonly routes: number;
  readonly hops: number;
  /** `ip -batch`, our writer and the Fib, or why they did not run. */
  readonly direct: DirectInstall | { readonly failure: string };
  readonly daemons: readonly FibDaemonRun[];
  readonly loadAtStart: readonly number[];
  readonly loadAtEnd: readonly number[];
}

const routerAs = 65000;
/** The injector peers' AS (eBGP). */
export const injectorAs = 65001;
/** The router's address on the link; the injectors are the three gateways of fib-install.ts. */
export const routerAddress = '172.17.0.1';
const frrDir = '/usr/lib/frr';
export const agentPath = new URL('./fib-agent.js', import.meta.url).pathname;

/** Bound on one daemon's install: generous for the slowest, still finite. */
export function installLimitMs(routes: number): number {
  return 60_000 + routes;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// The harness ends the process on SIGINT/SIGTERM (after killing its processes) without
// running our `finally`: the namespaces still alive go with the process's exit.
const liveNamespaces = new Set<Netns>();
process.on('exit', () => {
  for (const ns of liveNamespaces) {
    try {
      ns.delete();
    } catch {
      // Exiting anyway: `ip netns list` shows what is left, named by this PID.
    }
  }
});

/** A namespace deleted at the latest when the process exits. */
export function createNetns(tag: string): Netns {
  const ns = Netns.create(tag);
  liveNamespaces.add(ns);
  return ns;
}

export function deleteNetns(ns: Netns | undefined): void {
  if (ns === undefined) return;
  liveNamespaces.delete(ns);
  ns.delete();
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/** tsbgpd: three passive neighbors, multipath, exports nothing, the FIB writer on. */
export function tsbgpdFibConfig(): string {
  return tsbgpdConfig({
    as: routerAs,
    address: routerAddress,
    port: 179,
    isMultipath: true,
    neighbors: gateways.map((address) => ({ address, port: 179, as: injectorAs, isPassive: true, holdTimeSec: 240, extraToml: ['  [neighbors.apply-policy.config]', '    default-export-policy = "reject-route"'] })),
    originate: [],
    extraToml: '[zebra.config]\n  enabled = true',
  });
}

/** BIRD 2: three passive sessions, equal routes merged into one multipath kernel route. */
export function birdFibConfig(logPath: string): string {
  return [
    `log "${logPath}" { info, remote, warning, error, auth, fatal, bug };`,
    `router id ${routerAddress};`,
    'protocol device { }',
    'protocol kernel { ipv4 { export all; }; merge paths on; }',
    'template bgp injector {',
    `  local ${routerAddress} as ${routerAs};`,
    '  passive on;',
    '  hold time 240;',
    '  ipv4 { import all; export none; };',
    '}',
    ...gateways.map((g, i) => `protocol bgp injector${i + 1} from injector { neighbor ${g} as ${injectorAs}; }`),
  ].join('\n') + '\n';
}

/** FRR bgpd: three passive neighbors in a group, maximum-paths 8, a deny-all outbound map. */
export function frrFibConfig(logPath: string): string {
  return [
    'hostname bench-fib',
    `log file ${logPath} informational`,
    'route-map DENY-ALL deny 10',
    'exit',
    `router bgp ${routerAs}`,
    ` bgp router-id ${routerAddress}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp default ipv4-unicast',
    ' neighbor INJ peer-group',
    ` neighbor INJ remote-as ${injectorAs}`,
    ' neighbor INJ passive',
    ' neighbor INJ timers 80 240',
    ...gateways.map((g) => ` neighbor ${g} peer-group INJ`),
    ' address-family ipv4 unicast',
    '  neighbor INJ activate',
    '  neighbor INJ route-map DENY-ALL out',
    '  maximum-paths 8',
    ' exit-address-family',
    'exit',
  ].join('\n') + '\n';
}

/** Why a daemon cannot run here, or undefined. */
export function fibMissing(kind: FibDaemonKind): string | undefined {
  const why = missingReason(kind);
  if (why !== undefined) return why;
  if (kind === 'frr' && !existsSync(`${frrDir}/zebra`)) return `${frrDir}/zebra not installed (apt-get install frr)`;
  return undefined;
}

/** JSON lines of an agent, parsed as they come. */
export function jsonLines(proc: DaemonProcess): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  proc.onLine((line, stream) => {
    if (stream !== 'stdout' || !line.startsWith('{')) return;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A partial line from a killed agent: nothing to time.
    }
  });
  return lines;
}

/** Starts the daemon in the router namespace; resolves once it is started (its sessions are the injectors' to wait for). */
export async function startDaemon(kind: FibDaemonKind, scope: Scope, ns: Netns): Promise<DaemonProcess[]> {
  const inNs = (name: string, command: string, args: readonly string[]): DaemonProcess => scope.spawn(name, { command: 'ip', args: ['netns', 'exec', ns.name, command, ...args] });
  switch (kind) {
    case 'tsbgpd': {
      const conf = scope.path('tsbgpd.toml');
      await writeFile(conf, tsbgpdFibConfig());
      return [inNs('tsbgpd', process.execPath, [tsbgpdBin, '-f', conf, '--log-format', 'json', '--log-level', 'info', '--no-api'])];
    }
    case 'bird': {
      const conf = scope.path('bird.conf');
      await writeFile(conf, birdFibConfig(scope.path('bird.log')));
      return [inNs('bird', 'bird', ['-f', '-c', conf, '-s', scope.path('bird.ctl'), '-P', scope.path('bird.pid')])];
    }
    case 'frr': {
      // zebra runs as the frr user (it refuses root): it must reach its files.
      const dir = scope.path('frr');
      await mkdir(dir);
      await chmod(scope.dir, 0o711);
      await chmod(dir, 0o777);
      const zebraConf = `${dir}/zebra.conf`;
      const bgpdConf = `${dir}/bgpd.conf`;
      await writeFile(zebraConf, `log file ${dir}/zebra.log informational\n`);
      await writeFile(bgpdConf, frrFibConfig(`${dir}/bgpd.log`));
      await chmod(zebraConf, 0o644);
      await chmod(bgpdConf, 0o644);
      const zserv = `${dir}/zserv.api`;
      const common = (name: string): string[] => ['-i', `${dir}/${name}.pid`, '--vty_socket', dir, '-z', zserv];
      const zebra = inNs('zebra', `${frrDir}/zebra`, ['-f', zebraConf, '-u', 'frr', '-g', 'frr', ...common('zebra')]);
      await waitFor(() => existsSync(zserv), { timeoutMs: 15_000, intervalMs: 100, what: 'FRR zebra socket', scope, failFast: () => (zebra.isRunning ? undefined : `zebra exited (${String(zebra.exitStatus)})`) });
      // bgpd as root (-S), as test/interop/bfd.test.ts runs it.
      return [zebra, inNs('bgpd', `${frrDir}/bgpd`, ['-f', bgpdConf, '-S', ...common('bgpd')])];
    }
  }
}

/** What one end-to-end run measured (seconds from the first UPDATE written). */
interface DaemonTimes {
  readonly seconds: number;
  readonly confirmedSeconds: number;
  readonly cpuSeconds: number;
  readonly lostNotifications: number;
}

/** CPU ticks of all the daemon's processes (each must still be running). */
function daemonTicks(daemons: readonly DaemonProcess[]): number {
  let ticks = 0;
  for (const d of daemons) {
    const t = readCpuTicks(d.pid);
    if (t === undefined) throw new Error(`${d.name} (pid ${d.pid}) is gone`);
    ticks += t;
  }
  return ticks;
}

/** A router namespace running a daemon, joined by one veth link to a peer namespace. */
export interface RouterLab {
  readonly scope: Scope;
  readonly router: Netns;
  readonly peers: Netns;
  /** The daemon's processes (FRR: bgpd and zebra). */
  readonly daemons: readonly DaemonProcess[];
  /** Why a daemon process is gone, if one is. */
  daemonDown(): string | undefined;
  /** Why a daemon process or the agent `p` is gone, if one is. */
  agentDown(p: DaemonProcess): string | undefined;
}

/**
 * Runs `body` with fresh namespaces: the router (`routerAddress` on r0, the daemon of
 * `kind` started there) and the peers (`peerAddresses` on p0). Every process is stopped
 * and both namespaces deleted before it returns; nothing appears in the root namespace.
 */
export async function withRouterLab<T>(kind: FibDaemonKind, tag: string, peerAddresses: readonly string[], body: (lab: RouterLab) => Promise<T>): Promise<T> {
  const scope = await Scope.create(`bench-${tag}-${kind}`);
  let router: Netns | undefined;
  let peers: Netns | undefined;
  try {
    router = createNetns(`${tag}r`);
    peers = createNetns(`${tag}p`);
    // Both ends made in their namespaces: nothing appears in the root namespace.
    execFileSync('ip', ['link', 'add', 'name', 'r0', 'netns', router.name, 'type', 'veth', 'peer', 'name', 'p0', 'netns', peers.name]);
    router.ip('addr', 'add', `${routerAddress}/24`, 'dev', 'r0');
    for (const a of peerAddresses) peers.ip('addr', 'add', `${a}/24`, 'dev', 'p0');
    router.ip('link', 'set', 'r0', 'up');
    peers.ip('link', 'set', 'p0', 'up');
    const daemons = await startDaemon(kind, scope, router);
    const daemonDown = (): string | undefined => {
      const dead = daemons.find((d) => !d.isRunning);
      return dead === undefined ? undefined : `${dead.name} exited (${String(dead.exitStatus)})`;
    };
    const agentDown = (p: DaemonProcess): string | undefined => daemonDown() ?? (p.isRunning ? undefined : `${p.name} exited (${String(p.exitStatus)})`);
    return await body({ scope, router, peers, daemons, daemonDown, agentDown });
  } finally {
    try {
      await scope.cleanup();
    } finally {
      try {
        deleteNetns(router);
      } finally {
        deleteNetns(peers);
      }
    }
  }
}

/** One daemon end to end in fresh namespaces (withRouterLab). */
async function runDaemon(kind: FibDaemonKind, routes: number, hops: number): Promise<DaemonTimes> {
  return withRouterLab(kind, 'fib', gateways, async ({ scope, router, peers, daemons, daemonDown, agentDown }) => {
    const limitMs = installLimitMs(routes);
    const injector = scope.spawn('injector', { command: 'ip', args: ['netns', 'exec', peers.name, process.execPath, agentPath, 'inject', routerAddress, '179', String(injectorAs), gateways.join(','), String(routes), String(limitMs + 60_000)] });
    const injected = jsonLines(injector);
    await waitFor(() => injected.find((l) => l['ready'] === true), { timeoutMs: 60_000, intervalMs: 100, what: `three ${kind} sessions Established`, scope, failFast: () => agentDown(injector) });
    const counter = scope.spawn('counter', { command: 'ip', args: ['netns', 'exec', router.name, process.execPath, agentPath, 'count', String(routes), String(hops), String(limitMs)] });
    const counted = jsonLines(counter);
    await waitFor(() => counted.find((l) => l['ready'] === true), { timeoutMs: 30_000, intervalMs: 50, what: 'the route counter', scope, failFast: () => agentDown(counter) });
    // Let the fresh sessions settle (timers, the daemon's own End-of-RIB) before the clock starts.
    await delay(1000);
    const ticksBefore = daemonTicks(daemons);
    injector.signal('SIGUSR1');
    const started = await waitFor(() => injected.find((l) => typeof l['startMs'] === 'number'), { timeoutMs: 30_000, intervalMs: 20, what: 'the injectors to start', scope, failFast: () => agentDown(injector) });
    const done = await waitFor(() => counted.find((l) => l['done'] !== undefined), { timeoutMs: limitMs + 10_000, intervalMs: 100, what: `${routes} routes with ${hops} next hops in the kernel`, scope, failFast: () => daemonDown() ?? (injector.isRunning ? undefined : 'the injectors exited') });
    if (done['done'] !== true) throw new Error(`${String(done['count'])} of ${routes} routes with ${hops} next hops after ${limitMs / 1000} s`);
    const cpuSeconds = (daemonTicks(daemons) - ticksBefore) / ticksPerSecond;
    const startMs = started['startMs'] as number;
    return { seconds: ((done['lastChangeMs'] as number) - startMs) / 1000, confirmedSeconds: ((done['confirmedMs'] as number) - startMs) / 1000, cpuSeconds, lostNotifications: done['lost'] as number };
  });
}

/** Runs the whole FIB section (needs root); a part that cannot run says why instead of a figure. */
export async function runFibBench(routes: number, log: (line: string) => void = () => undefined, kinds: readonly FibDaemonKind[] = fibDaemonKinds): Promise<FibBenchResult> {
  const hops = gateways.length;
  const loadAtStart = loadavg();
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  log(`load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  let direct: FibBenchResult['direct'];
  try {
    direct = measureDirectInstall(routes);
    for (const [name, s] of [['ip -batch', direct.ipBatch], ['tsbgpd writer', direct.writer], ['tsbgpd Fib', direct.fib]] as const) log(`${name}: ${s.toFixed(2)} s (${Math.round(routes / s).toLocaleString('en-US')} routes/s)`);
  } catch (err) {
    direct = { failure: errorText(err) };
    log(`direct install: ${direct.failure}`);
  }
  const daemons = await eachFibDaemon<FibDaemonRun>(kinds, log, async (kind, version) => {
    const r = await runDaemon(kind, routes, hops);
    const lost = r.lostNotifications > 0 ? `; ${r.lostNotifications} route notification overflows` : '';
    log(`${version} over BGP: ${r.seconds.toFixed(2)} s (${Math.round(routes / r.seconds).toLocaleString('en-US')} routes/s, daemon CPU ${r.cpuSeconds.toFixed(2)} s; the dump confirming it ended at ${r.confirmedSeconds.toFixed(2)} s${lost})`);
    return { kind, version, seconds: r.seconds, confirmedSeconds: r.confirmedSeconds, cpuSeconds: r.cpuSeconds };
  });
  return { routes, hops, direct, daemons, loadAtStart, loadAtEnd: loadavg() };
}

/**
 * Runs `run` for each daemon of `kinds` in turn: one that is not installed, or fails,
 * gets a run with the reason instead of figures (logged too).
 */
export async function eachFibDaemon<R extends { readonly kind: FibDaemonKind; readonly version: string; readonly failure?: string }>(
  kinds: readonly FibDaemonKind[],
  log: (line: string) => void,
  run: (kind: FibDaemonKind, version: string) => Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  for (const kind of kinds) {
    const why = fibMissing(kind);
    const version = why === undefined ? await daemonVersion(kind as DaemonKind) : kind;
    const failed = (failure: string): R => {
      log(`${version}: ${failure}`);
      return { kind, version, failure } as R;
    };
    if (why !== undefined) {
      out.push(failed(`not run: ${why}`));
      continue;
    }
    try {
      out.push(await run(kind, version));
    } catch (err) {
      out.push(failed(`failed: ${errorText(err)}`));
    }
  }
  return out;
}

const names: Record<FibDaemonKind, string> = { tsbgpd: 'tsbgpd', bird: 'BIRD', frr: 'FRR' };

/** "2.15x" of a / b, or undefined if either is missing. */
function ratio(a: number | undefined, b: number | undefined): string | undefined {
  return a === undefined || b === undefined || b <= 0 ? undefined : `${(a / b).toFixed(2)}x`;
}

/** The lines comparing tsbgpd with the others (the same lines go to the console and the report). */
export function fibRatioLines(r: FibBenchResult): string[] {
  const lines: string[] = [];
  const ours = r.daemons.find((d) => d.kind === 'tsbgpd')?.seconds;
  const others = r.daemons.filter((d) => d.kind !== 'tsbgpd' && d.seconds !== undefined);
  const best = others.reduce<FibDaemonRun | undefined>((a, d) => (a === undefined || d.seconds! < a.seconds! ? d : a), undefined);
  const endToEnd = ratio(ours, best?.seconds);
  if (endToEnd !== undefined) lines.push(`over BGP, tsbgpd takes ${endToEnd} the time of the fastest other daemon (${names[best!.kind]}, ${best!.seconds!.toFixed(2)} s)`);
  const ourCpu = r.daemons.find((d) => d.kind === 'tsbgpd')?.cpuSeconds;
  const cpus = r.daemons.filter((d) => d.kind !== 'tsbgpd' && d.cpuSeconds !== undefined);
  const leanest = cpus.reduce<FibDaemonRun | undefined>((a, d) => (a === undefined || d.cpuSeconds! < a.cpuSeconds! ? d : a), undefined);
  const cpuRatio = ratio(ourCpu, leanest?.cpuSeconds);
  if (cpuRatio !== undefined) lines.push(`over BGP, tsbgpd uses ${cpuRatio} the CPU of the leanest other daemon (${names[leanest!.kind]}, ${leanest!.cpuSeconds!.toFixed(2)} s)`);
  if (!('failure' in r.direct)) {
    lines.push(`alone, our writer takes ${ratio(r.direct.writer, r.direct.ipBatch)} and the whole Fib ${ratio(r.direct.fib, r.direct.ipBatch)} the time of \`ip -batch\``);
  }
  return lines;
}

/** The `## FIB install` section's body for docs/bench.md. */
export function fibMarkdown(r: FibBenchResult): string {
  const n = r.routes.toLocaleString('en-US');
  const row = (what: string, seconds: number | undefined, failure?: string, cpu?: number): string =>
    seconds === undefined ? `| ${what} | ${failure ?? 'not run'} | | |` : `| ${what} | ${seconds.toFixed(2)} | ${Math.round(r.routes / seconds).toLocaleString('en-US')} | ${cpu === undefined ? '-' : cpu.toFixed(2)} |`;
  const lines = ['| how | seconds | routes/s | daemon CPU s |', '| --- | ---: | ---: | ---: |'];
  const failure = 'failure' in r.direct ? r.direct.failure : undefined;
  const d = 'failure' in r.direct ? undefined : r.direct;
  lines.push(row('`ip -batch` (`route replace` lines)', d?.ipBatch, failure));
  lines.push(row("tsbgpd's netlink writer alone", d?.writer, failure));
  lines.push(row("tsbgpd's Fib alone (resolution, state, writer)", d?.fib, failure));
  for (const run of r.daemons) lines.push(row(`${run.version} over BGP${run.kind === 'bird' ? ' (kernel protocol, merge paths)' : run.kind === 'frr' ? ' (bgpd + zebra, maximum-paths 8)' : ' ([zebra.config], multipath)'}`, run.seconds, run.failure, run.cpuSeconds));
  const ratios = fibRatioLines(r);
  return [
    `${n} IPv4 /32 routes with ${r.hops} next hops each into the main table of a fresh network namespace. Alone: \`ip -batch\`, our writer and our Fib install them directly. Over BGP: the daemon runs in a router namespace with three injector peers in another namespace (one veth link), each announcing the same ${n} prefixes with itself as next hop; the time runs from the first UPDATE written to the last kernel route change before the main table held every route with ${r.hops} next hops (route notifications date it; a netlink dump in each pause of 200 ms confirms it); daemon CPU is user plus system time of its processes (FRR: bgpd and zebra) over the same span, the figure a loaded host disturbs least. Load average ${r.loadAtStart.map((l) => l.toFixed(2)).join(' ')} at the start, ${r.loadAtEnd.map((l) => l.toFixed(2)).join(' ')} at the end.`,
    '',
    ...lines,
    ...(ratios.length === 0 ? [] : ['', ...ratios.map((l) => `- ${l}`)]),
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const routes = Number(process.argv[2] ?? 100_000);
  const kinds = (process.argv[3]?.split(',') ?? fibDaemonKinds).filter((k): k is FibDaemonKind => (fibDaemonKinds as readonly string[]).includes(k));
  const r = await runFibBench(routes, (l) => console.log(`   ${l}`), kinds);
  for (const l of fibRatioLines(r)) console.log(`   ${l}`);
  process.stdout.write(`\n${fibMarkdown(r)}`);
}
