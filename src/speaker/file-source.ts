// Resources from a directory: every *.yaml / *.yml in DIR (multi-document), plus the
// controller's status files in DIR/status/ (Services holding only their status). Re-read
// on change: fs.watch events, debounced, with a periodic fingerprint check as the fallback
// for file systems where watching misses events.

import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cancel, Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { parseResources, type Resource, type ResourceError } from './resources.js';

/** The directory the controller writes Service status into. */
export const statusDirName = 'status';

/** The status file of a Service: `<namespace>.<name>.yaml`. */
export function statusFileName(namespace: string, name: string): string {
  return `${namespace}.${name}.yaml`;
}

/** What one read of the directory gave. */
export interface DirectoryContents {
  readonly resources: readonly Resource[];
  readonly errors: readonly ResourceError[];
  /** Documents of kinds the speaker does not use. */
  readonly skipped: readonly string[];
  /** Files read, in order. */
  readonly files: readonly string[];
}

const isYaml = (name: string): boolean => /\.ya?ml$/i.test(name) && !name.startsWith('.');

async function yamlFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.filter(isYaml).sort().map((n) => join(dir, n));
}

/** Reads DIR and DIR/status once. Throws if DIR itself cannot be read (operator fault). */
export async function readResourceDirectory(dir: string): Promise<DirectoryContents> {
  const st = await stat(dir).catch((err: unknown) => {
    throw new Error(`resource directory ${dir}: ${(err as Error).message}`, { cause: err });
  });
  if (!st.isDirectory()) throw new Error(`resource directory ${dir}: not a directory`);
  const main = await yamlFiles(dir);
  const status = await yamlFiles(join(dir, statusDirName));
  const resources: Resource[] = [];
  const errors: ResourceError[] = [];
  const skipped: string[] = [];
  for (const [files, isStatusOnly] of [[main, false], [status, true]] as const) {
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        // Deleted between the listing and the read: the next change event re-reads.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const r = parseResources(text, file, isStatusOnly);
      resources.push(...r.resources);
      errors.push(...r.errors);
      skipped.push(...r.skipped);
    }
  }
  return { resources, errors, skipped, files: [...main, ...status] };
}

/** Names, sizes and modification times: equal fingerprints mean nothing to re-read. */
async function fingerprint(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const file of [...(await yamlFiles(dir)), ...(await yamlFiles(join(dir, statusDirName)))]) {
    try {
      const s = await stat(file);
      parts.push(`${file}:${s.size}:${s.mtimeMs}`);
    } catch {
      parts.push(`${file}:gone`);
    }
  }
  return parts.join('\n');
}

export interface FileSourceOptions {
  /** Quiet time after the last change event before re-reading (an editor writes in bursts). */
  readonly debounceMs?: number;
  /** Fingerprint check period, the fallback when fs.watch misses a change. */
  readonly pollMs?: number;
  /** The watch keeps the process alive (a command running until a signal); default false. */
  readonly isPersistent?: boolean;
}

/** Watches a resource directory; `onLoad` gets each successful read whose files changed. */
export class FileSource {
  private readonly watchers: FSWatcher[] = [];
  private debounce: Cancel | undefined;
  private poll: Cancel | undefined;
  private lastPrint = '';
  private isReading = false;
  private isAgain = false;
  private isClosed = false;
  private readonly debounceMs: number;
  private readonly pollMs: number;
  private readonly isPersistent: boolean;

  constructor(
    readonly dir: string,
    private readonly deps: { readonly clock: Clock; readonly logger: Logger },
    private readonly onLoad: (contents: DirectoryContents) => void,
    options: FileSourceOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 200;
    this.pollMs = Math.min(Math.max(options.pollMs ?? 2000, 100), 60_000);
    this.isPersistent = options.isPersistent ?? false;
  }

  /** The first read (its errors thrown), then watching. */
  async start(): Promise<void> {
    await this.read(true);
    this.watchDir(this.dir);
    this.watchDir(join(this.dir, statusDirName));
    this.schedulePoll();
  }

  close(): void {
    this.isClosed = true;
    this.debounce?.();
    this.poll?.();
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
  }

  private watchDir(dir: string): void {
    try {
      const w = watch(dir, { persistent: this.isPersistent }, () => this.changed());
      w.on('error', (err) => this.deps.logger.warn('resource directory watch failed; polling only', { dir, error: err.message }));
      this.watchers.push(w);
    } catch (err) {
      // DIR/status may not exist yet: the poll notices its files when it appears.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.deps.logger.warn('resource directory watch failed; polling only', { dir, error: (err as Error).message });
    }
  }

  private changed(): void {
    if (this.isClosed) return;
    this.debounce?.();
    this.debounce = this.deps.clock.after(this.debounceMs, () => {
      this.debounce = undefined;
      void this.read(false);
    });
  }

  private schedulePoll(): void {
    if (this.isClosed) return;
    this.poll = this.deps.clock.after(this.pollMs, () => {
      void fingerprint(this.dir)
        .then((print) => {
          if (print !== this.lastPrint) this.changed();
        })
        .catch((err: unknown) => this.deps.logger.warn('resource directory check failed', { dir: this.dir, error: (err as Error).message }))
        .finally(() => this.schedulePoll());
    });
  }

  private async read(isFirst: boolean): Promise<void> {
    if (this.isReading) {
      this.isAgain = true;
      return;
    }
    this.isReading = true;
    try {
      const print = await fingerprint(this.dir);
      if (!isFirst && print === this.lastPrint) return;
      const contents = await readResourceDirectory(this.dir);
      this.lastPrint = print;
      if (!this.isClosed) this.onLoad(contents);
    } catch (err) {
      if (isFirst) throw err;
      this.deps.logger.error('resource directory read failed', { dir: this.dir, error: (err as Error).message });
    } finally {
      this.isReading = false;
      if (this.isAgain && !this.isClosed) {
        this.isAgain = false;
        this.changed();
      }
    }
  }
}
