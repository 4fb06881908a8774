// `tsbgp lab up|status|down|exec`: the scenario built in namespaces (topology.ts), rt-01's
// daemon (router.ts), the controller, speakers and HTTP services (speakers.ts), and the
// client's check (client.ts). Everything a run makes is recorded in its state directory
// so `down` removes it, even after a crash.

import { accessSync, constants as fsConstants, existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join, delimiter } from 'node:path';
import { systemClock } from '../lib/clock.js';
import { formatSpread, kernelNextHops, kernelRouteText, serviceUrl, spreadOf, startClient, type Spread } from './client.js';
import { routerApi, routerVariant, type RouterVariant } from './router.js';
import { speakerCommandProblem, metallbDir, runController, startHttpService, startSpeaker, writeResources } from './speakers.js';
import { LabState, packageRoot, tsbgpBin, tsbgpdBin, type RouterKind } from './state.js';
import { LabError, cmdlineOf, mustRun, pollFor, run, stopPid } from './system.js';
import { buildTopology, clusterAddressOf, destroyTopology, labNodes, LabNames, serviceAddress, workerNodes, type LabNode } from './topology.js';
import { labBfd } from './resources.js';

/** Where the lab writes what it shows. */
export interface LabOutput {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export const defaultRunId = 'lab';
/** How long `up` waits for the service route to show every node. */
export const convergeTimeoutMs = 60_000;

export interface UpOptions {
  readonly runId: string;
  readonly router: RouterKind;
  /** Requests of the client check. */
  readonly requests: number;
}

function findProgram(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '').flatMap((d) => [join(d, name)]);
  // /usr/sbin holds ip and sysctl on Debian, and sudo's PATH may lack it.
  if (!name.includes('/')) candidates.push(join('/usr/sbin', name), join('/sbin', name));
  for (const path of candidates) {
    try {
      accessSync(path, fsConstants.X_OK);
      return path;
    } catch {
      // Not here; the next directory.
    }
  }
  return undefined;
}

/** What the host lacks for a lab with this router; [] when nothing. Touches nothing. */
export async function missingForLab(router: RouterVariant | undefined): Promise<string[]> {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root: namespaces, links and routes need it (run with sudo)');
  const ipPath = findProgram('ip');
  if (ipPath === undefined) missing.push('the "ip" program (apt-get install iproute2)');
  else {
    const r = await run(ipPath, ['netns', 'list']).catch(() => undefined);
    if (r === undefined || r.status !== 0) missing.push(`network namespace support ("ip netns list" failed: ${(r?.stderr ?? '').trim() || 'not runnable'})`);
  }
  if (!existsSync('/proc/self/ns/net')) missing.push('network namespaces in this kernel (/proc/self/ns/net is missing)');
  if (findProgram('sysctl') === undefined) missing.push('the "sysctl" program (apt-get install procps)');
  for (const built of [tsbgpBin, tsbgpdBin, join(packageRoot, 'dist', 'src', 'daemon', 'main.js'), join(packageRoot, 'dist', 'src', 'cli', 'main.js')]) {
    if (!existsSync(built)) missing.push(`${built} (build first: npm run build)`);
  }
  const speakerProblem = missing.length === 0 ? await speakerCommandProblem() : undefined;
  if (speakerProblem !== undefined) missing.push(speakerProblem);
  for (const p of router?.programs ?? []) {
    if (findProgram(p.path) === undefined) missing.push(`${p.path}, for --router ${router!.kind} (apt-get install ${p.packageName})`);
  }
  return missing;
}

/** The run id to act on: the one given, else the only run present, else the default. */
export function resolveRunId(given: string | undefined): string {
  if (given !== undefined) return given;
  const runs = LabState.runIds();
  if (runs.length > 1) throw new LabError(`several lab runs exist (${runs.join(', ')}): say which with --run-id`);
  return runs[0] ?? defaultRunId;
}

/** Seconds with one decimal, for what the lab prints. */
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Waits (bounded) until the service route has exactly `expected` next hops, in the kernel or (without a kernel writer) in the RIB. */
export async function waitForNextHops(state: LabState, router: RouterVariant, expected: readonly string[], timeoutMs: number): Promise<number | undefined> {
  const want = [...expected].sort().join(',');
  const started = systemClock.now();
  const ok = await pollFor(async () => {
    const hops = router.isKernelWriter ? await kernelNextHops(state) : await router.ribNextHops(state).catch(() => []);
    return hops.join(',') === want ? true : undefined;
  }, timeoutMs, 50);
  return ok === undefined ? undefined : systemClock.now() - started;
}

const allNodeHops = (): string[] => workerNodes.map((n) => clusterAddressOf(n));

/** The last lines of a few logs, to say why something did not come up. */
function logTails(state: LabState, names: readonly string[]): string {
  return names
    .map((n) => {
      const path = state.logPath(n);
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        return '';
      }
      return `  ${path}:\n${text.trim().split('\n').slice(-5).map((l) => `    ${l}`).join('\n')}\n`;
    })
    .join('');
}

/** `tsbgp lab up`: builds everything, waits for the route, shows it and runs the client check. Returns the spread. */
export async function labUp(options: UpOptions, o: LabOutput): Promise<Spread | undefined> {
  const router = routerVariant(options.router);
  const missing = await missingForLab(router);
  if (missing.length > 0) throw new LabError(`cannot build the lab; missing:\n  - ${missing.join('\n  - ')}`);
  const state = LabState.create(options.runId, options.router);
  const startedAt = systemClock.now();
  o.out(`tsbgp lab up: run "${state.runId}", router ${router.kind}, state in ${state.dir}\n`);
  try {
    await buildTopology(state.names, (step) => o.out(`  ${step}\n`));
    writeResources(state);
    o.out(`  MetalLB resources: ${metallbDir(state)}/ (pool 172.17.254.0/24, peer rt-01 172.17.0.1 AS 64512, my AS 64522, BFD ${labBfd.transmitIntervalMs}/${labBfd.receiveIntervalMs}/${labBfd.detectMultiplier})\n`);
    const notes = await router.start(state);
    const rec = state.processes.find((p) => p.node === 'rt-01');
    o.out(`  rt-01: ${router.kind} (pid ${rec?.pid ?? '?'}), config ${router.configFiles.map((f) => state.path('rt-01', f)).join(' ')}${router.kind === 'tsbgpd' || router.kind === 'gobgpd' ? `, API ${routerApi} inside ${state.names.ns('rt-01')}` : ''}\n`);
    for (const n of notes) o.out(`  note: ${n}\n`);
    const c = await runController(state);
    const assigned = Object.entries(c.addresses).map(([svc, addrs]) => `${svc} -> ${addrs.join(', ') || '(none)'}`);
    o.out(`  k8s-master-01: tsbgp controller --once: ${assigned.join('; ') || '(no assignment)'}\n`);
    if (!Object.values(c.addresses).some((a) => a.includes(serviceAddress))) throw new LabError(`the controller did not assign ${serviceAddress} to default/nginx: ${c.output}`);
    for (const node of workerNodes) {
      const speakerPid = startSpeaker(state, node);
      const httpPid = await startHttpService(state, node);
      o.out(`  ${node}: tsbgp speaker (pid ${speakerPid}), ${serviceAddress} on lo, HTTP service (pid ${httpPid})\n`);
    }
    const convergedMs = await waitForNextHops(state, router, allNodeHops(), convergeTimeoutMs);
    if (convergedMs === undefined) {
      throw new LabError(
        `the service route did not reach ${router.isKernelWriter ? "rt-01's kernel" : "rt-01's RIB"} with the three nodes' next hops within ${seconds(convergeTimeoutMs)} (now: ${(router.isKernelWriter ? await kernelNextHops(state) : await router.ribNextHops(state).catch(() => [])).join(', ') || 'none'})\n${logTails(state, state.processes.map((p) => p.name))}`,
      );
    }
    o.out(`  converged: ${serviceAddress} via the three nodes ${seconds(systemClock.now() - startedAt)} after start\n\n`);
    o.out(`rt-01$ ${router.receivedRoutesTitle}\n`);
    o.out(await router.receivedRoutes(state, workerNodes.length));
    o.out(`\nrt-01$ ip route show ${serviceAddress}\n`);
    const routeText = await kernelRouteText(state);
    o.out(routeText === '' ? `(no route: ${router.isKernelWriter ? 'none installed' : `${router.kind} does not write the kernel`})\n` : routeText);
    if (!router.isKernelWriter) {
      o.out(`\nclient-01: no requests: without a kernel route rt-01 cannot forward to ${serviceAddress}\n`);
      o.out(nextSteps(state, router));
      return undefined;
    }
    const client = startClient(state, options.requests, 0, 1000);
    const results = await client.done;
    const spread = spreadOf(results);
    o.out(`\nclient-01$ ${options.requests} requests to ${serviceUrl}, a new TCP connection (new source port) each\n`);
    o.out(formatSpread(spread, workerNodes));
    o.out(nextSteps(state, router));
    return spread;
  } catch (err) {
    o.err('tsbgp lab up did not complete: removing what this run made (the logs stay)\n');
    await labDown(state.runId, { out: () => undefined, err: o.err }, { isKeepLogs: true });
    throw err;
  }
}

function nextSteps(state: LabState, router: RouterVariant): string {
  const id = state.runId === defaultRunId ? '' : ` --run-id ${state.runId}`;
  const drill = router.kind === 'tsbgpd' ? `\n      tsbgp lab drill node-down${id}` : '';
  return `
Next: tsbgp lab exec client-01${id} -- curl -s ${serviceUrl}
      tsbgp lab exec rt-01${id} -- ${router.neighborsCommand(state).map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}${drill}
      tsbgp lab down${id}
`;
}

/** `tsbgp lab status`. Returns false if the run is missing or incomplete. */
export async function labStatus(runId: string, o: LabOutput): Promise<boolean> {
  const state = LabState.load(runId);
  const names = new LabNames(runId);
  const namespaces = names.existing();
  if (state === undefined) {
    o.out(`lab run "${runId}": no state directory${namespaces.length > 0 ? `; namespaces left: ${namespaces.join(' ')} (tsbgp lab down${runId === defaultRunId ? '' : ` --run-id ${runId}`} removes them)` : ''}\n`);
    return false;
  }
  o.out(`lab run "${runId}": router ${state.router}, state in ${state.dir}\n`);
  o.out(`namespaces (${namespaces.length} of ${labNodes.length + 1}): ${namespaces.join(' ')}\n`);
  let isComplete = namespaces.length === labNodes.length + 1;
  o.out('processes:\n');
  for (const p of state.processes) {
    const isUp = state.isOurs(p);
    isComplete &&= isUp;
    o.out(`  ${p.name.padEnd(22)} ${p.node.padEnd(14)} pid ${String(p.pid).padEnd(8)} ${isUp ? 'running' : 'GONE'}\n`);
  }
  if (namespaces.includes(names.ns('rt-01'))) {
    const hops = await kernelNextHops(state).catch(() => []);
    o.out(`rt-01's kernel route to ${serviceAddress}: ${hops.length === 0 ? 'none' : `via ${hops.join(', ')}`}\n`);
    const command = routerVariant(state.router).neighborsCommand(state);
    // `tsbgp` may not be on root's PATH: the build's own entry point.
    const argv = command[0] === 'tsbgp' ? [process.execPath, tsbgpBin, ...command.slice(1)] : command;
    const r = await run('ip', ['netns', 'exec', names.ns('rt-01'), ...argv]).catch(() => undefined);
    o.out(`rt-01$ ${command.join(' ')}\n${r === undefined ? '(no answer)\n' : r.stdout || r.stderr}`);
  }
  return isComplete;
}

export interface DownOptions {
  /** Keep the state directory's logs (after a failed `up`, for the user to read). */
  readonly isKeepLogs?: boolean;
}

/**
 * `tsbgp lab down`: stops every process of the run (those recorded, and any other still
 * inside the run's namespaces), deletes the namespaces, and removes the state directory.
 * Works from whatever is left after a crash. Returns what it removed, by kind.
 */
export async function labDown(runId: string, o: LabOutput, options: DownOptions = {}): Promise<{ processes: number; namespaces: number; isDirRemoved: boolean }> {
  const state = LabState.load(runId);
  const names = new LabNames(runId);
  let processes = 0;
  for (const p of [...(state?.processes ?? [])].reverse()) {
    if (await state!.stop(p.name, 5000)) {
      processes++;
      o.out(`stopped ${p.name} (pid ${p.pid})\n`);
    }
  }
  // Anything else still inside our namespaces (a process started by `lab exec`, or one
  // whose record was lost in a crash) is ours too: the namespace is.
  for (const ns of names.existing()) {
    const r = await run('ip', ['netns', 'pids', ns]);
    for (const pid of r.stdout.split(/\s+/).filter((x) => /^\d+$/.test(x)).map(Number)) {
      if (pid === process.pid) continue;
      o.out(`stopped pid ${pid} left in ${ns} (${(cmdlineOf(pid) ?? []).slice(0, 3).join(' ')})\n`);
      await stopPid(pid, 3000);
      processes++;
    }
  }
  const gone = await destroyTopology(names);
  if (gone.length > 0) o.out(`deleted namespaces: ${gone.join(' ')}\n`);
  const dir = LabState.dirOf(runId);
  let isDirRemoved = false;
  if (existsSync(dir) && !options.isKeepLogs) {
    await mustRun('rm', ['-rf', '--one-file-system', dir]);
    isDirRemoved = true;
    o.out(`removed ${dir}\n`);
  } else if (existsSync(dir)) {
    o.err(`kept the logs in ${dir}/logs (tsbgp lab down${runId === defaultRunId ? '' : ` --run-id ${runId}`} removes them)\n`);
  }
  if (state === undefined && gone.length === 0 && processes === 0) o.out(`lab run "${runId}": nothing to remove\n`);
  return { processes, namespaces: gone.length, isDirRemoved };
}

/** `tsbgp lab exec NODE -- CMD...`: runs CMD in the machine's namespace, output to ours; resolves its exit status. */
export function labExec(runId: string, node: LabNode, argv: readonly string[]): Promise<number> {
  const names = new LabNames(runId);
  if (!names.existing().includes(names.ns(node))) throw new LabError(`lab run "${runId}" has no namespace ${names.ns(node)} (is the lab up? tsbgp lab status)`);
  // `tsbgp` and `tsbgpd` run from this build when they are not on the PATH (no npm link).
  const own: Readonly<Record<string, string>> = { tsbgp: tsbgpBin, tsbgpd: tsbgpdBin };
  const program = argv[0] ?? '';
  const command = own[program] !== undefined && findProgram(program) === undefined ? [process.execPath, own[program]!, ...argv.slice(1)] : argv;
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', names.ns(node), ...command], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + 15)));
  });
}
