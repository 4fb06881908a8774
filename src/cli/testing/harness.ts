// For the CLI tests: a management API server over a fake backend on 127.0.0.1, and
// runs of the built `tsbgp` (node bin/tsbgp.js) and of the stock `gobgp` against it,
// each bounded in time and killed by PID if it overstays.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../lib/clock.js';
import { ApiServer, type ApiServerOptions } from '../../api/server.js';
import type { FakeBackend } from '../../api/fake-backend.js';

/** The repository root, from dist/src/cli/testing/. */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

const runTimeoutMs = 20_000;
const children = new Set<ChildProcess>();

/** Kills every process still running (tests call this in `after`). */
export function killAll(): void {
  for (const child of children) if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  children.clear();
}

export async function startServer(backend: FakeBackend, options: Omit<ApiServerOptions, 'hosts'> = {}): Promise<{ readonly server: ApiServer; readonly port: number }> {
  const server = await ApiServer.start(backend, { ...options, hosts: '127.0.0.1:0' });
  return { server, port: server.endpoints[0]!.port };
}

export type Tool = 'gobgp' | 'tsbgp';

function start(tool: Tool, args: readonly string[]): ChildProcess {
  const child =
    tool === 'gobgp'
      ? spawn('gobgp', [...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, ['bin/tsbgp.js', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

export interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs to completion; rejects (after killing it) if it takes longer than the bound. */
export function run(tool: Tool, args: readonly string[]): Promise<Run> {
  const child = start(tool, args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve, reject) => {
    const cancel = systemClock.after(runTimeoutMs, () => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`${tool} ${args.join(' ')} did not finish in ${runTimeoutMs} ms`));
    });
    child.on('error', (e) => {
      cancel();
      reject(e);
    });
    child.on('close', (code, signal) => {
      cancel();
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A long-running process (monitor) whose output lines are collected. */
export interface Streaming {
  readonly pid: number;
  /** Resolves with the first `count` lines; rejects if they do not come in time. */
  lines(count: number): Promise<string[]>;
  /** Sends `signal` by PID and resolves with how the process ended (SIGKILL after the bound). */
  stop(signal: NodeJS.Signals): Promise<Run>;
  /** Resolves when the process ends by itself. */
  readonly ended: Promise<Run>;
}

export function startStreaming(tool: Tool, args: readonly string[]): Streaming {
  const child = start(tool, args);
  const lines: string[] = [];
  let buffer = '';
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout!.on('data', (b: Buffer) => {
    stdout += b.toString();
    buffer += b.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const ended = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  void ended.then(() => {
    for (const w of waiters.splice(0)) w();
  });
  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    pid: child.pid!,
    ended,
    lines(count) {
      return new Promise((resolve, reject) => {
        const cancel = systemClock.after(runTimeoutMs, () => reject(new Error(`${tool} ${args.join(' ')}: ${lines.length} of ${count} lines in ${runTimeoutMs} ms; stderr: ${stderr}`)));
        const check = (): void => {
          if (lines.length >= count) {
            cancel();
            resolve(lines.slice(0, count));
          } else if (!isRunning()) {
            cancel();
            reject(new Error(`${tool} ${args.join(' ')} ended after ${lines.length} of ${count} lines; stderr: ${stderr}`));
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    async stop(signal) {
      if (isRunning()) process.kill(child.pid!, signal);
      const cancel = systemClock.after(runTimeoutMs, () => {
        if (isRunning()) process.kill(child.pid!, 'SIGKILL');
      });
      const r = await ended;
      cancel();
      return r;
    },
  };
}

/** Resolves once `backend` has `count` watchers (monitors connected), within the bound. */
export async function watchers(backend: FakeBackend, count: number): Promise<void> {
  const deadline = systemClock.now() + runTimeoutMs;
  while (backend.watcherCount < count) {
    if (systemClock.now() > deadline) throw new Error(`${backend.watcherCount} of ${count} watchers after ${runTimeoutMs} ms`);
    // A watch may register between the check and nextWatch(): wake up at least every 50 ms.
    await Promise.race([backend.nextWatch(), new Promise<void>((resolve) => systemClock.after(50, resolve))]);
  }
}

const clockPattern = /\d\d:\d\d:\d\d(?!Z)/g;
const stampPattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/gm;

/**
 * The text with the times that depend on when it was printed masked: the HH:MM:SS of
 * the Age and Up/Down columns and of "up for", and the stamp that starts a monitor
 * line. Widths are kept, so the columns still line up.
 */
export function maskTimes(text: string): string {
  return text.replace(stampPattern, 'YYYY-MM-DDTHH:MM:SSZ').replace(clockPattern, 'HH:MM:SS');
}

/** The HH:MM:SS durations of a text, in seconds (with their "Nd " days). */
export function durations(text: string): number[] {
  return [...text.matchAll(/(?:(\d+)d )?(\d\d):(\d\d):(\d\d)(?!Z)/g)].map((m) => Number(m[1] ?? 0) * 86_400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]));
}
