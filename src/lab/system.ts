// What the lab asks of the host: commands run to completion with a time limit, commands
// inside a namespace (`ip netns exec`), long-running processes started detached with
// their output in a log file and their PID in the run's state directory, and bounded
// polls. Nothing here knows the topology.

import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../lib/clock.js';

/** A step of the lab failed: one line for the user, exit status 1. */
export class LabError extends Error {
  override readonly name = 'LabError';
}

/** Standard output, error and exit status of a finished command. */
export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

/** Runs a program to completion (at most `timeoutMs`); never throws for a non-zero exit. */
export function run(file: string, args: readonly string[], timeoutMs = 15_000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err === null) {
        resolve({ stdout, stderr, status: 0 });
        return;
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        reject(new LabError(`"${file}" not found`, { cause: err }));
        return;
      }
      if ((err as { killed?: boolean }).killed === true) {
        reject(new LabError(`\`${[file, ...args].join(' ')}\` did not finish within ${timeoutMs} ms`, { cause: err }));
        return;
      }
      resolve({ stdout, stderr, status: typeof code === 'number' ? code : 1 });
    });
  });
}

/**
 * `ip [-n NS] -batch -` with these command lines on its standard input: one process for
 * many changes (each `ip` costs tens of ms on a busy host). Fails on the first error.
 */
export function ipBatch(ns: string | undefined, lines: readonly string[], timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = [...(ns === undefined ? [] : ['-n', ns]), '-batch', '-'];
    const child = execFile('ip', args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout);
      else reject(new LabError(`\`ip ${args.join(' ')}\` failed: ${(stderr || err.message).trim()}\n  input:\n    ${lines.join('\n    ')}`, { cause: err }));
    });
    child.stdin?.end(lines.join('\n') + '\n');
  });
}

/** Runs a program and fails with its error output unless it exits 0; resolves stdout. */
export async function mustRun(file: string, args: readonly string[], timeoutMs?: number): Promise<string> {
  const r = await run(file, args, timeoutMs);
  if (r.status !== 0) throw new LabError(`\`${[file, ...args].join(' ')}\` failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** `ip netns exec NS ...args`, checked. */
export function nsRun(ns: string, args: readonly string[], timeoutMs?: number): Promise<string> {
  return mustRun('ip', ['netns', 'exec', ns, ...args], timeoutMs);
}

/** `ip -n NS ...args`, checked. */
export function ip(ns: string, ...args: string[]): Promise<string> {
  return mustRun('ip', ['-n', ns, ...args]);
}

/** `ip -n NS -j ...args`, parsed. */
export async function ipJson<T>(ns: string, ...args: string[]): Promise<T> {
  const out = (await ip(ns, '-j', ...args)).trim();
  return (out === '' ? [] : JSON.parse(out)) as T;
}

/**
 * Starts a long-running program inside a namespace, detached from this process (it
 * outlives `tsbgp lab up`), stdout and stderr appended to `logPath`. `ip netns exec`
 * execs the program, so the PID returned is the program's own.
 */
export function startDetached(ns: string, argv: readonly string[], logPath: string, env?: NodeJS.ProcessEnv): number {
  const fd = openSync(logPath, 'a');
  try {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { detached: true, stdio: ['ignore', fd, fd], env: env ?? process.env });
    if (child.pid === undefined) throw new LabError(`could not start ${argv[0] ?? '?'} in ${ns}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Whether PID names a live process (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the command in parentheses, is the state; Z is a zombie.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The network namespace a process is in (`net:[inode]`), undefined once gone. */
export function netnsOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/** The command line of a process, undefined once gone. */
export function cmdlineOf(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

/**
 * Waits on real time. Unlike `systemClock.after`, whose timers are unref'd, this keeps
 * the process alive: the lab's command has nothing else pending while it waits.
 */
export const delay = (ms: number): Promise<void> => sleep(ms);

/**
 * SIGTERM by PID, SIGKILL after `graceMs`; resolves once it is gone (bounded). Only
 * for PIDs the caller has checked are its own.
 */
export async function stopPid(pid: number, graceMs = 5000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  for (let waited = 0; waited < graceMs && isAlive(pid); waited += 50) await delay(50);
  if (!isAlive(pid)) return;
  signal('SIGKILL');
  for (let waited = 0; waited < 3000 && isAlive(pid); waited += 50) await delay(50);
  if (isAlive(pid)) throw new LabError(`process ${pid} survived SIGKILL`);
}

/** Polls `probe` every `intervalMs` until it gives a value, for at most `timeoutMs`; undefined on timeout. */
export async function pollFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 100): Promise<T | undefined> {
  const deadline = systemClock.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (systemClock.now() >= deadline) return undefined;
    await delay(Math.min(intervalMs, Math.max(0, deadline - systemClock.now())));
  }
}
