// The interop harness: a run id, per-test scratch directories, loopback addresses and
// free ports that parallel runs do not share, daemon processes tracked by PID and
// always killed, and bounded waits that explain themselves when they time out.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createWriteStream, accessSync, rmSync, constants as fsConstants, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, delimiter } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const runBytes = randomBytes(3);
/** Unique per test process: names temp dirs; its random part picks the loopback block. */
export const runId = `${process.pid.toString(36)}${runBytes.toString('hex')}`;

/** The repository root (this file runs from dist/test/interop/). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** How long a daemon gets to exit after SIGTERM before SIGKILL. */
const termGraceMs = 3000;
/** How long to wait for the exit after SIGKILL. */
const killWaitMs = 2000;
/** How long after a process exits its output pipes may take to close. */
const pipeDrainMs = 1000;
/** Lines of output kept in memory per process for error messages. */
const keptLines = 200;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Finds a program on PATH (or checks an absolute path). Throws, never skips: a
 * missing daemon must make the interop suite fail loudly.
 */
export function requireBinary(name: string): string {
  const candidates = name.includes('/') ? [name] : (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, name));
  for (const path of candidates) {
    try {
      accessSync(path, fsConstants.X_OK);
      return path;
    } catch {
      // Not this directory; try the next one.
    }
  }
  throw new Error(`interop: required program "${name}" not found (install it: apt-get install gobgpd bird2 frr); the interop tests do not skip`);
}

// 127.0.0.0/8 is all routed to lo on Linux, so any address in it can be bound without
// configuration. The run id picks a /24 (never 127.0.x.x, which holds 127.0.0.1 and
// what other tools use; never 127.255.x.x), and each test takes host numbers from it.
const loopbackBlock: readonly [number, number] = [1 + (runBytes[0]! % 254), runBytes[1]!];
let nextLoopbackHost = 10;

/** A fresh loopback address of this run, e.g. 127.83.14.12. */
export function allocLoopback(): string {
  if (nextLoopbackHost > 254) throw new Error('interop: this run used up its 245 loopback addresses');
  return `127.${loopbackBlock[0]}.${loopbackBlock[1]}.${nextLoopbackHost++}`;
}

/** A TCP port free on `host` right now: bind port 0, read it, close. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`interop: could not read the port bound on ${host}`));
        return;
      }
      server.close((err) => (err ? reject(err) : resolve(address.port)));
    });
  });
}

/** Runs a command to completion with a time limit; resolves its stdout, rejects with stderr. */
export function runCommand(file: string, args: readonly string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`interop: \`${file} ${args.join(' ')}\` failed: ${err.message.trim()}${stderr ? `\nstderr: ${stderr.trim()}` : ''}${stdout ? `\nstdout: ${stdout.trim()}` : ''}`, { cause: err }));
        return;
      }
      resolve(stdout);
    });
  });
}

/** A started daemon: its PID, its output files and the last lines it wrote. */
export class DaemonProcess {
  readonly name: string;
  readonly pid: number;
  readonly stdoutPath: string;
  readonly stderrPath: string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  private readonly recent: string[] = [];
  private readonly lineListeners: ((line: string, stream: 'stdout' | 'stderr') => void)[] = [];
  private exitInfo: number | string | undefined;

  constructor(name: string, child: ChildProcess, stdoutPath: string, stderrPath: string) {
    if (child.pid === undefined) throw new Error(`interop: ${name} did not start`);
    this.name = name;
    this.pid = child.pid;
    this.stdoutPath = stdoutPath;
    this.stderrPath = stderrPath;
    // 'close' comes once the output pipes are drained too, so every line is parsed
    // before anyone awaiting the exit looks at them; the timer covers a grandchild
    // that keeps a pipe open.
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = code ?? signal ?? 'unknown';
        setTimeout(() => resolve(this.exitInfo!), pipeDrainMs).unref();
      });
      child.once('close', (code, signal) => {
        this.exitInfo ??= code ?? signal ?? 'unknown';
        resolve(this.exitInfo);
      });
    });
    this.pipe(child.stdout, createWriteStream(stdoutPath), 'stdout');
    this.pipe(child.stderr, createWriteStream(stderrPath), 'stderr');
  }

  private pipe(from: NodeJS.ReadableStream | null, to: WriteStream, stream: 'stdout' | 'stderr'): void {
    if (from === null) return;
    let partial = '';
    from.on('data', (chunk: Buffer) => {
      to.write(chunk);
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.addLine(line, stream);
    });
    from.on('end', () => {
      if (partial !== '') this.addLine(partial, stream);
      to.end();
    });
  }

  private addLine(line: string, stream: 'stdout' | 'stderr'): void {
    this.recent.push(line);
    if (this.recent.length > keptLines) this.recent.shift();
    for (const fn of this.lineListeners) fn(line, stream);
  }

  /** Calls `fn` for every later line of output. */
  onLine(fn: (line: string, stream: 'stdout' | 'stderr') => void): void {
    this.lineListeners.push(fn);
  }

  /** The last `n` lines written on stdout and stderr. */
  recentLines(n = 20): string[] {
    return this.recent.slice(-n);
  }

  get isRunning(): boolean {
    return this.exitInfo === undefined;
  }

  /** Exit code or signal, undefined while running. */
  get exitStatus(): number | string | undefined {
    return this.exitInfo;
  }

  /** Sends a signal by PID (no-op once exited). */
  signal(sig: NodeJS.Signals): void {
    if (!this.isRunning) return;
    try {
      process.kill(this.pid, sig);
    } catch (err) {
      // ESRCH: it exited and the 'exit' event is still on its way.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  /** SIGTERM, then SIGKILL after a bounded wait. Resolves once the process is gone. */
  async kill(graceMs = termGraceMs): Promise<void> {
    if (!this.isRunning) return;
    this.signal('SIGTERM');
    if (await waitExit(this, graceMs)) return;
    this.signal('SIGKILL');
    if (!(await waitExit(this, killWaitMs))) throw new Error(`interop: ${this.name} (pid ${this.pid}) survived SIGKILL`);
  }

  /** Synchronous last resort for process exit: SIGKILL if still running. */
  killNow(): void {
    if (!this.isRunning) return;
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // Already gone between the check and the kill.
    }
  }
}

/** Resolves true if the process exits within `ms`. */
export async function waitExit(proc: DaemonProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([proc.exited.then(() => true as const), timeout]);
  clearTimeout(timer);
  return result;
}

// Every process of this test process, killed on exit even if a hook never ran, and on
// SIGINT/SIGTERM of the test process (which would otherwise exit without 'exit').
const allProcesses = new Set<DaemonProcess>();
process.on('exit', () => {
  for (const p of allProcesses) p.killNow();
});
/** Temp dirs of scopes not cleaned up yet, removed on SIGINT/SIGTERM. */
const liveScopeDirs = new Set<string>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const p of allProcesses) p.killNow();
    if (process.env['TSBGP_INTEROP_KEEP'] === undefined) for (const dir of liveScopeDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

/** What to start: program, arguments, and optionally a working directory and environment. */
export interface SpawnSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * One test's resources: a temp dir under os.tmpdir() and the processes started in it.
 * `cleanup()` (call it from `after`) kills every process by PID and removes the dir.
 */
export class Scope {
  readonly name: string;
  readonly dir: string;
  private readonly processes: DaemonProcess[] = [];
  private readonly errors: string[] = [];
  private isCleaned = false;

  private constructor(name: string, dir: string) {
    this.name = name;
    this.dir = dir;
  }

  static async create(name: string): Promise<Scope> {
    const safe = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 24);
    const dir = await mkdtemp(join(tmpdir(), `tsbgp-interop-${runId}-${safe}-`));
    liveScopeDirs.add(dir);
    return new Scope(name, dir);
  }

  /** A path inside the scope's temp dir. */
  path(file: string): string {
    return join(this.dir, file);
  }

  /** Starts a process, capturing its output to `<dir>/<name>.stdout|.stderr`. */
  spawn(name: string, spec: SpawnSpec): DaemonProcess {
    if (this.isCleaned) throw new Error(`interop: scope ${this.name} is already cleaned up`);
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd ?? this.dir,
      env: spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // A spawn failure arrives as an event; without a listener it would end the test process.
    child.once('error', (err) => this.errors.push(`${name}: ${err.message}`));
    const proc = new DaemonProcess(name, child, this.path(`${name}.stdout`), this.path(`${name}.stderr`));
    this.processes.push(proc);
    allProcesses.add(proc);
    void proc.exited.then(() => allProcesses.delete(proc));
    return proc;
  }

  /** The last lines of every process of the scope, for error messages. */
  recentLogs(linesPerProcess = 15): string {
    const parts: string[] = [...this.errors];
    for (const p of this.processes) {
      const state = p.isRunning ? `pid ${p.pid}` : `pid ${p.pid}, exited ${String(p.exitStatus)}`;
      parts.push(`--- ${p.name} (${state}), last lines (full: ${p.stdoutPath} / .stderr):`);
      parts.push(...p.recentLines(linesPerProcess).map((l) => `  ${l.length > 400 ? l.slice(0, 400) + '...' : l}`));
    }
    return parts.join('\n');
  }

  /** Kills every process (newest first), then removes the temp dir. Safe to call twice. */
  async cleanup(): Promise<void> {
    if (this.isCleaned) return;
    this.isCleaned = true;
    const failures: string[] = [];
    for (const p of [...this.processes].reverse()) {
      try {
        await p.kill();
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
    // Keep the files for diagnosis when asked to.
    if (process.env['TSBGP_INTEROP_KEEP'] === undefined) await rm(this.dir, { recursive: true, force: true });
    liveScopeDirs.delete(this.dir);
    if (failures.length > 0) throw new Error(`interop: cleanup of ${this.name} failed: ${failures.join('; ')}`);
  }
}

/** Options of `waitFor`. */
export interface WaitOptions {
  /** Upper bound on the whole wait. */
  readonly timeoutMs: number;
  /** Pause between attempts (default 250 ms). */
  readonly intervalMs?: number;
  /** What is awaited, for the error message ("gobgpd sees 10.0.0.1 Established"). */
  readonly what: string;
  /** Whose recent output goes into the error message. */
  readonly scope?: Scope;
  /** Checked before each attempt: a text ends the wait at once with that reason (e.g. a daemon exited). */
  readonly failFast?: () => string | undefined;
}

/**
 * Calls `check` until it returns a value other than undefined/false/null, at most
 * timeoutMs/intervalMs times and never past the deadline. A check that throws counts
 * as "not yet"; its last error goes into the timeout message with the daemons' logs.
 */
export async function waitFor<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, options: WaitOptions): Promise<T> {
  const intervalMs = options.intervalMs ?? 250;
  const attempts = Math.max(1, Math.ceil(options.timeoutMs / intervalMs));
  const deadline = Date.now() + options.timeoutMs;
  let last = 'no attempt finished';
  const logs = (): string => (options.scope ? `\n${options.scope.recentLogs()}` : '');
  for (let i = 0; i < attempts; i++) {
    const fatal = options.failFast?.();
    if (fatal !== undefined) throw new Error(`interop: gave up waiting for ${options.what}: ${fatal}${logs()}`);
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
      last = `check returned ${String(value)}`;
    } catch (err) {
      last = `check threw: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (Date.now() + intervalMs > deadline) break;
    await delay(intervalMs);
  }
  throw new Error(`interop: timed out after ${options.timeoutMs} ms waiting for ${options.what} (${last})${logs()}`);
}

/**
 * Asserts that `check` stays false for `durationMs` (e.g. "no NOTIFICATION arrives").
 * Throws at the first attempt where it is true.
 */
export async function holdsFor(check: () => Promise<string | undefined> | string | undefined, options: { readonly durationMs: number; readonly intervalMs?: number; readonly scope?: Scope }): Promise<void> {
  const intervalMs = options.intervalMs ?? 250;
  const attempts = Math.max(1, Math.ceil(options.durationMs / intervalMs));
  for (let i = 0; i < attempts; i++) {
    const problem = await check();
    if (problem !== undefined) throw new Error(`interop: ${problem}${options.scope ? `\n${options.scope.recentLogs()}` : ''}`);
    await delay(intervalMs);
  }
}

export { delay };
