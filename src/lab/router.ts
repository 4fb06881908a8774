// rt-01's BGP daemon, one variant per --router: tsbgpd (the FIB writer on), gobgpd (the
// scenario's original daemon; it cannot write the kernel by itself, so that variant has
// no kernel route), FRR (bgpd + zebra) and BIRD (with its kernel protocol). Each writes
// its configuration into the run's directory, starts in rt-01's namespace, and shows
// what it received.

import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { LabError, mustRun, nsRun, pollFor, run } from './system.js';
import { routerConfig } from './resources.js';
import { LabState, tsbgpBin, tsbgpdBin, type RouterKind } from './state.js';
import { clusterAs, clusterLan, routerAs, routerClusterAddress, serviceAddress } from './topology.js';

/** rt-01's management API (inside its namespace), for tsbgpd and gobgpd. */
export const routerApi = '127.0.0.1:50051';

const frrDir = '/usr/lib/frr';

/** What the lab needs of rt-01's daemon. */
export interface RouterVariant {
  readonly kind: RouterKind;
  /** Whether it writes the routes into rt-01's kernel table. */
  readonly isKernelWriter: boolean;
  /** Its configuration files, in rt-01's directory of the run. */
  readonly configFiles: readonly string[];
  /** The command, run inside rt-01, that lists its BGP sessions. */
  neighborsCommand(state: LabState): string[];
  /** Programs it needs, each with the package that has it. */
  readonly programs: readonly { readonly path: string; readonly packageName: string }[];
  /** Writes its configuration and starts it; resolves once it answers. A note is returned when a feature is missing. */
  start(state: LabState): Promise<string[]>;
  /** Stops it; `isGraceful` keeps the kernel routes for the next start (tsbgpd -r). */
  stop(state: LabState): Promise<void>;
  /** The command line `receivedRoutes` runs, as shown to the user. */
  readonly receivedRoutesTitle: string;
  /** The routes as received, as the daemon's own tools print them (bounded time). */
  receivedRoutes(state: LabState, expected: number): Promise<string>;
  /** Next hops of the service route in its RIB, sorted. */
  ribNextHops(state: LabState): Promise<string[]>;
}

function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

/** Waits (bounded) for `text` to appear in a log file after `fromBytes`. */
async function waitLog(path: string, text: string, timeoutMs: number, fromBytes = 0): Promise<boolean> {
  const found = await pollFor(() => {
    try {
      return readFileSync(path, 'utf8').slice(fromBytes).includes(text) || undefined;
    } catch {
      return undefined;
    }
  }, timeoutMs, 100);
  return found === true;
}

function logSize(path: string): number {
  try {
    return readFileSync(path).length;
  } catch {
    return 0;
  }
}

/** Runs a command in a namespace for at most `ms` (or until `isDone` says so) and returns what it printed. */
export function collectFor(ns: string, argv: readonly string[], ms: number, isDone: (out: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (isDone(out)) finish();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', () => {
      if (timer !== undefined) clearTimeout(timer);
      resolve(out !== '' ? out : err !== '' ? `(${argv.join(' ')}: ${err.trim()})\n` : `(${argv.join(' ')}: no output within ${ms} ms)\n`);
    });
    timer = setTimeout(finish, ms);
  });
}

/** Next hops of `gobgp global rib -j` (tsbgpd answers in the same shape). */
function gobgpRibNextHops(json: string): string[] {
  const text = json.trim();
  if (text === '' || text === 'null') return [];
  const rib = JSON.parse(text) as Record<string, readonly { readonly attrs?: readonly { readonly type: number; readonly nexthop?: string }[] }[]>;
  const hops: string[] = [];
  for (const [prefix, paths] of Object.entries(rib)) {
    if (prefix !== `${serviceAddress}/32`) continue;
    for (const p of paths) for (const a of p.attrs ?? []) if (a.type === 3 && a.nexthop !== undefined) hops.push(a.nexthop);
  }
  return hops.sort();
}

/** How long a monitor may take to start (a busy host: node loads gRPC) and print the routes. */
const receivedRoutesWaitMs = 10_000;

const adjInLines = (expected: number) => (out: string): boolean => out.split('\n').filter((l) => l.includes('[ROUTE]')).length >= expected;

/** tsbgpd with the FIB writer; always started with -r so a restart keeps the kernel routes. */
class TsbgpdRouter implements RouterVariant {
  readonly kind = 'tsbgpd';
  readonly isKernelWriter = true;
  readonly configFiles = ['tsbgpd.toml'];
  readonly receivedRoutesTitle = 'tsbgp monitor adj-in --current';
  neighborsCommand(): string[] {
    return ['tsbgp', 'neighbor'];
  }
  readonly programs = [{ path: process.execPath, packageName: 'nodejs' }];

  async start(state: LabState): Promise<string[]> {
    const notes: string[] = [];
    const dir = ensureDir(state.path('rt-01'));
    const configPath = `${dir}/tsbgpd.toml`;
    if (!existsSync(configPath)) {
      writeFileSync(configPath, routerConfig(true));
      // The BFD keys are tsbgpd's extension: a build without BFD refuses them.
      const check = await run(process.execPath, [tsbgpdBin, '-f', configPath, '--check']);
      if (check.status !== 0) {
        if (!/bfd/i.test(check.stdout + check.stderr)) throw new LabError(`rt-01's tsbgpd configuration: ${(check.stderr || check.stdout).trim()}`);
        writeFileSync(configPath, routerConfig(false));
        notes.push(`this tsbgpd does not accept [peer-groups.bfd.config] (${(check.stderr || check.stdout).trim()}): rt-01 runs without BFD, a dead node is noticed by the hold timer only`);
      }
    }
    const log = state.logPath('tsbgpd');
    const from = logSize(log);
    state.start('tsbgpd', 'rt-01', [process.execPath, tsbgpdBin, '-f', configPath, '--log-format', 'json', '--api-hosts', routerApi, '-r']);
    if (!(await waitLog(log, '"tsbgpd started"', 15_000, from))) throw new LabError(`tsbgpd did not start in rt-01 within 15 s; see ${log}`);
    return notes;
  }

  async stop(state: LabState): Promise<void> {
    await state.stop('tsbgpd', 10_000);
  }

  receivedRoutes(state: LabState, expected: number): Promise<string> {
    return collectFor(state.names.ns('rt-01'), [process.execPath, tsbgpBin, 'monitor', 'adj-in', '--current'], receivedRoutesWaitMs, adjInLines(expected));
  }

  async ribNextHops(state: LabState): Promise<string[]> {
    return gobgpRibNextHops(await nsRun(state.names.ns('rt-01'), [process.execPath, tsbgpBin, 'global', 'rib', '-j']));
  }
}

/** The original setup: real gobgpd (without zebra, so no kernel route). */
class GobgpdRouter implements RouterVariant {
  readonly kind = 'gobgpd';
  readonly isKernelWriter = false;
  readonly configFiles = ['gobgpd.toml'];
  readonly receivedRoutesTitle = 'gobgp monitor adj-in --current';
  neighborsCommand(): string[] {
    return ['gobgp', 'neighbor'];
  }
  readonly programs = [
    { path: '/usr/bin/gobgpd', packageName: 'gobgpd' },
    { path: '/usr/bin/gobgp', packageName: 'gobgpd' },
  ];

  async start(state: LabState): Promise<string[]> {
    const dir = ensureDir(state.path('rt-01'));
    const configPath = `${dir}/gobgpd.toml`;
    writeFileSync(configPath, routerConfig(false).replace(/\[zebra\.config\]\n {2}enabled = true\n/, ''));
    state.start('gobgpd', 'rt-01', ['gobgpd', '-f', configPath, '-t', 'toml', '--api-hosts', routerApi, '--pprof-disable']);
    const ok = await pollFor(async () => ((await run('ip', ['netns', 'exec', state.names.ns('rt-01'), 'gobgp', 'global'])).status === 0 ? true : undefined), 15_000, 200);
    if (ok === undefined) throw new LabError(`gobgpd did not answer in rt-01 within 15 s; see ${state.logPath('gobgpd')}`);
    return ['gobgpd has no FIB writer of its own (the scenario used Quagga\'s zebra): in this variant rt-01\'s kernel holds no service route and the client cannot reach the service'];
  }

  async stop(state: LabState): Promise<void> {
    await state.stop('gobgpd');
  }

  receivedRoutes(state: LabState, expected: number): Promise<string> {
    return collectFor(state.names.ns('rt-01'), ['gobgp', 'monitor', 'adj-in', '--current'], receivedRoutesWaitMs, adjInLines(expected));
  }

  async ribNextHops(state: LabState): Promise<string[]> {
    return gobgpRibNextHops(await nsRun(state.names.ns('rt-01'), ['gobgp', 'global', 'rib', '-j']));
  }
}

/** FRR: zebra writes the kernel, bgpd speaks BGP; both run as the frr user (zebra refuses root). */
class FrrRouter implements RouterVariant {
  readonly kind = 'frr';
  readonly isKernelWriter = true;
  readonly configFiles = ['zebra.conf', 'bgpd.conf'];
  readonly receivedRoutesTitle = `vtysh -c 'show bgp ipv4 unicast ${serviceAddress}/32'`;
  neighborsCommand(state: LabState): string[] {
    return ['vtysh', '--vty_socket', this.dir(state), '-c', 'show bgp summary'];
  }
  readonly programs = [
    { path: `${frrDir}/zebra`, packageName: 'frr' },
    { path: `${frrDir}/bgpd`, packageName: 'frr' },
    { path: '/usr/bin/vtysh', packageName: 'frr' },
  ];

  private dir(state: LabState): string {
    return state.path('rt-01');
  }

  vty(state: LabState, commands: readonly string[]): Promise<string> {
    return nsRun(state.names.ns('rt-01'), ['vtysh', '--vty_socket', this.dir(state), ...commands.flatMap((c) => ['-c', c])]);
  }

  async start(state: LabState): Promise<string[]> {
    const dir = ensureDir(this.dir(state));
    const uid = Number((await mustRun('id', ['-u', 'frr'])).trim());
    const gid = Number((await mustRun('id', ['-g', 'frr'])).trim());
    writeFileSync(`${dir}/zebra.conf`, 'hostname rt-01\n');
    writeFileSync(
      `${dir}/bgpd.conf`,
      [
        'hostname rt-01',
        `router bgp ${routerAs}`,
        ` bgp router-id ${routerClusterAddress}`,
        ' no bgp ebgp-requires-policy',
        ' neighbor k8s peer-group',
        ` neighbor k8s remote-as ${clusterAs}`,
        ` bgp listen range ${clusterLan} peer-group k8s`,
        ' address-family ipv4 unicast',
        '  maximum-paths 8',
        ' exit-address-family',
        'exit',
        '',
      ].join('\n'),
    );
    for (const f of ['', '/zebra.conf', '/bgpd.conf']) chownSync(`${dir}${f}`, uid, gid);
    const common = ['-u', 'frr', '-g', 'frr', '--vty_socket', dir, '-z', `${dir}/zserv.api`];
    state.start('zebra', 'rt-01', [`${frrDir}/zebra`, ...common, '-f', `${dir}/zebra.conf`, '-i', `${dir}/zebra.pid`]);
    await pollFor(() => (existsSync(`${dir}/zserv.api`) ? true : undefined), 10_000, 100);
    state.start('bgpd', 'rt-01', [`${frrDir}/bgpd`, ...common, '-f', `${dir}/bgpd.conf`, '-i', `${dir}/bgpd.pid`]);
    const ok = await pollFor(async () => ((await this.vty(state, ['show bgp ipv4 unicast json']).catch(() => '')).includes('"routerId"') ? true : undefined), 15_000, 200);
    if (ok === undefined) throw new LabError(`FRR bgpd did not answer in rt-01 within 15 s; see ${state.logPath('bgpd')}`);
    return [];
  }

  async stop(state: LabState): Promise<void> {
    await state.stop('bgpd');
    await state.stop('zebra');
  }

  async receivedRoutes(state: LabState): Promise<string> {
    return this.vty(state, [`show bgp ipv4 unicast ${serviceAddress}/32`]);
  }

  async ribNextHops(state: LabState): Promise<string[]> {
    const doc = JSON.parse(await this.vty(state, [`show bgp ipv4 unicast ${serviceAddress}/32 json`])) as { readonly paths?: readonly { readonly nexthops?: readonly { readonly ip?: string }[] }[] };
    return (doc.paths ?? []).map((p) => p.nexthops?.[0]?.ip ?? '').filter((h) => h !== '').sort();
  }
}

/** BIRD 2 with dynamic BGP neighbors and a kernel protocol merging equal paths (ECMP). */
class BirdRouter implements RouterVariant {
  readonly kind = 'bird';
  readonly isKernelWriter = true;
  readonly configFiles = ['bird.conf'];
  readonly receivedRoutesTitle = `birdc show route for ${serviceAddress} all`;
  neighborsCommand(state: LabState): string[] {
    return ['birdc', '-s', this.socket(state), 'show', 'protocols'];
  }
  readonly programs = [
    { path: '/usr/sbin/bird', packageName: 'bird2' },
    { path: '/usr/sbin/birdc', packageName: 'bird2' },
  ];

  private socket(state: LabState): string {
    return state.path('rt-01', 'bird.ctl');
  }

  birdc(state: LabState, ...args: string[]): Promise<string> {
    return nsRun(state.names.ns('rt-01'), ['birdc', '-s', this.socket(state), ...args]);
  }

  async start(state: LabState): Promise<string[]> {
    const dir = ensureDir(state.path('rt-01'));
    writeFileSync(
      `${dir}/bird.conf`,
      [
        `router id ${routerClusterAddress};`,
        'protocol device { }',
        // ECMP: equal best routes merged into one multipath kernel route.
        'protocol kernel { ipv4 { export all; }; merge paths on; }',
        'protocol bgp k8s {',
        `  local ${routerClusterAddress} as ${routerAs};`,
        `  neighbor range ${clusterLan} as ${clusterAs};`,
        '  ipv4 { import all; export none; };',
        '}',
        '',
      ].join('\n'),
    );
    state.start('bird', 'rt-01', ['bird', '-f', '-c', `${dir}/bird.conf`, '-s', this.socket(state), '-P', `${dir}/bird.pid`]);
    const ok = await pollFor(async () => ((await this.birdc(state, 'show', 'status').catch(() => '')).includes('Daemon is up') ? true : undefined), 15_000, 200);
    if (ok === undefined) throw new LabError(`BIRD did not answer in rt-01 within 15 s; see ${state.logPath('bird')}`);
    return [];
  }

  async stop(state: LabState): Promise<void> {
    await state.stop('bird');
  }

  receivedRoutes(state: LabState): Promise<string> {
    return this.birdc(state, 'show', 'route', 'for', serviceAddress, 'all');
  }

  async ribNextHops(state: LabState): Promise<string[]> {
    const text = await this.birdc(state, 'show', 'route', 'for', serviceAddress, 'all');
    return [...text.matchAll(/BGP\.next_hop: (\S+)/g)].map((m) => m[1]!).sort();
  }
}

export function routerVariant(kind: RouterKind): RouterVariant {
  switch (kind) {
    case 'tsbgpd':
      return new TsbgpdRouter();
    case 'gobgpd':
      return new GobgpdRouter();
    case 'frr':
      return new FrrRouter();
    case 'bird':
      return new BirdRouter();
  }
}
