// A lab run's state directory, /run/tsbgp-lab/<runid>/: state.json (the router variant
// and every process started, with its PID and namespace), the configuration files and
// one log file per process. `lab down` reads it to stop exactly what the run started.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../lib/clock.js';
import { LabError, cmdlineOf, isAlive, netnsOf, startDetached, stopPid } from './system.js';
import { LabNames, type LabNode } from './topology.js';

export const labRoot = '/run/tsbgp-lab';

/** The repository (or installed package) root: the lab runs the built binaries from here. */
export const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const tsbgpBin = join(packageRoot, 'bin', 'tsbgp.js');
export const tsbgpdBin = join(packageRoot, 'bin', 'tsbgpd.js');
/** The lab's own helper scripts, beside this module once built. */
export const labScript = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));

export type RouterKind = 'tsbgpd' | 'gobgpd' | 'frr' | 'bird';
export const routerKinds: readonly RouterKind[] = ['tsbgpd', 'gobgpd', 'frr', 'bird'];

/** One process the run started. */
export interface ProcessRecord {
  /** Unique in the run: names its log file (e.g. "tsbgpd", "speaker-k8s-node-01"). */
  readonly name: string;
  readonly node: LabNode;
  readonly pid: number;
  readonly argv: readonly string[];
  readonly startedAtMs: number;
}

export interface LabStateFile {
  readonly runId: string;
  readonly router: RouterKind;
  readonly createdAtMs: number;
  readonly processes: readonly ProcessRecord[];
}

/** The state of one run, kept on disk after every change so a crash leaves it readable. */
export class LabState {
  readonly names: LabNames;
  readonly dir: string;
  private file: LabStateFile;

  private constructor(dir: string, file: LabStateFile) {
    this.dir = dir;
    this.file = file;
    this.names = new LabNames(file.runId);
  }

  static dirOf(runId: string): string {
    return join(labRoot, runId);
  }

  /** A new run: fails if the run id's directory or namespaces exist already. */
  static create(runId: string, router: RouterKind): LabState {
    const dir = LabState.dirOf(runId);
    if (existsSync(dir) || new LabNames(runId).existing().length > 0) {
      throw new LabError(`lab run "${runId}" exists already (${dir}); run "tsbgp lab down --run-id ${runId}" first, or choose another --run-id`);
    }
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const state = new LabState(dir, { runId, router, createdAtMs: systemClock.wallNow(), processes: [] });
    state.save();
    return state;
  }

  /** The run's state as saved; undefined when its directory or file is gone. */
  static load(runId: string): LabState | undefined {
    const dir = LabState.dirOf(runId);
    try {
      return new LabState(dir, JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as LabStateFile);
    } catch {
      return undefined;
    }
  }

  /** Run ids with a state directory. */
  static runIds(): string[] {
    try {
      return readdirSync(labRoot).filter((n) => statSync(join(labRoot, n)).isDirectory()).sort();
    } catch {
      return [];
    }
  }

  get runId(): string {
    return this.file.runId;
  }

  get router(): RouterKind {
    return this.file.router;
  }

  get processes(): readonly ProcessRecord[] {
    return this.file.processes;
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  logPath(name: string): string {
    return this.path('logs', `${name}.log`);
  }

  private save(): void {
    const tmp = this.path('state.json.tmp');
    writeFileSync(tmp, JSON.stringify(this.file, null, 2) + '\n');
    renameSync(tmp, this.path('state.json'));
  }

  /** Starts a long-running program in a machine's namespace and records it (a name already used is replaced). */
  start(name: string, node: LabNode, argv: readonly string[]): ProcessRecord {
    const pid = startDetached(this.names.ns(node), argv, this.logPath(name));
    const record: ProcessRecord = { name, node, pid, argv, startedAtMs: systemClock.wallNow() };
    this.file = { ...this.file, processes: [...this.file.processes.filter((p) => p.name !== name), record] };
    this.save();
    return record;
  }

  find(name: string): ProcessRecord | undefined {
    return this.file.processes.find((p) => p.name === name);
  }

  /**
   * Whether PID is still the process this run started: alive, and inside the run's
   * namespace of that machine (a recycled PID is somewhere else).
   */
  isOurs(record: ProcessRecord): boolean {
    if (!isAlive(record.pid)) return false;
    const ns = nsInode(this.names.ns(record.node));
    const actual = netnsOf(record.pid);
    if (ns !== undefined && actual !== undefined) return actual === `net:[${ns}]`;
    return (cmdlineOf(record.pid) ?? []).join(' ') === record.argv.join(' ');
  }

  /** Stops one recorded process by its PID (SIGTERM, then SIGKILL) and forgets it. */
  async stop(name: string, graceMs?: number): Promise<boolean> {
    const record = this.find(name);
    if (record === undefined) return false;
    const wasRunning = this.isOurs(record);
    if (wasRunning) await stopPid(record.pid, graceMs);
    this.file = { ...this.file, processes: this.file.processes.filter((p) => p.name !== name) };
    this.save();
    return wasRunning;
  }

  /** Sends a signal to a recorded process, if it is still ours. */
  signal(name: string, sig: NodeJS.Signals): boolean {
    const record = this.find(name);
    if (record === undefined || !this.isOurs(record)) return false;
    process.kill(record.pid, sig);
    return true;
  }

  /** Removes the state directory. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The inode of a named namespace's file, undefined if it does not exist. */
export function nsInode(ns: string): number | undefined {
  try {
    return statSync(join('/run/netns', ns)).ino;
  } catch {
    return undefined;
  }
}
