// Test and benchmark helpers: a throwaway network namespace with a per-run unique name,
// veth pairs made directly inside it, and the FIB driver process running in it.
// Nothing is created in the root namespace; the caller deletes the namespace in `after`.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** A network namespace named tsbgp-fib-<pid>-<random>, deleted by `delete()`. */
export class Netns {
  private isDeleted = false;

  private constructor(readonly name: string) {}

  static create(tag = 'fib'): Netns {
    const name = `tsbgp-${tag}-${process.pid}-${randomBytes(3).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', name]);
    const ns = new Netns(name);
    ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** Runs `ip -n NAME ...` and returns its standard output. */
  ip(...args: string[]): string {
    return execFileSync('ip', ['-n', this.name, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 512 * 1024 * 1024 });
  }

  /** Runs `ip -n NAME -j ...` and parses the JSON. */
  ipJson<T>(...args: string[]): T {
    const out = this.ip('-j', ...args).trim();
    return (out === '' ? [] : JSON.parse(out)) as T;
  }

  /** A veth pair with both ends in this namespace, both up. */
  veth(a: string, b: string): void {
    execFileSync('ip', ['link', 'add', 'name', a, 'netns', this.name, 'type', 'veth', 'peer', 'name', b, 'netns', this.name]);
    this.ip('link', 'set', 'dev', a, 'up');
    this.ip('link', 'set', 'dev', b, 'up');
  }

  delete(): void {
    if (this.isDeleted) return;
    this.isDeleted = true;
    execFileSync('ip', ['netns', 'del', this.name]);
  }
}

/** Where a compiled script lies, relative to this module's compiled location. */
export function scriptPath(relative: string): string {
  return fileURLToPath(new URL(relative, import.meta.url));
}

interface Pending {
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** The FIB driver (fib-driver.js) running inside a namespace, spoken to by JSON lines. */
export class Driver {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Every JSON log line the driver wrote, parsed. */
  readonly logs: Record<string, unknown>[] = [];
  readonly stderr: string[] = [];

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const answer = JSON.parse(line) as { id: number; ok: boolean; result?: unknown; error?: string };
      const p = this.pending.get(answer.id);
      if (p === undefined) return;
      this.pending.delete(answer.id);
      clearTimeout(p.timer);
      if (answer.ok) p.resolve(answer.result);
      else p.reject(new Error(answer.error));
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      try {
        this.logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not a log line (e.g. a crash trace): kept in `stderr` for the failure message.
      }
    });
    child.on('exit', (code, signal) => {
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`driver exited (${code ?? signal}) before answering ${id}: ${this.stderr.slice(-5).join('\n')}`));
      }
      this.pending.clear();
    });
  }

  /** Starts the driver in `ns`; `prefix` is put before node (e.g. setpriv to drop privilege). */
  static spawn(ns: Netns, prefix: readonly string[] = []): Driver {
    const child = spawn('ip', ['netns', 'exec', ns.name, ...prefix, process.execPath, scriptPath('./fib-driver.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new Driver(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a command and waits for its answer (at most `timeoutMs`). */
  call<T = unknown>(op: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`driver: no answer to ${op} within ${timeoutMs} ms; stderr: ${this.stderr.slice(-5).join('\n')}`));
      }, timeoutMs);
      this.pending.set(id, { resolve: (v) => resolve(v as T), reject, timer });
      this.child.stdin!.write(JSON.stringify({ id, op, ...args }) + '\n');
    });
  }

  /** Kills the driver by its PID. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** Closes its input and waits for it to exit (bounded), then kills it if needed. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.kill(), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
