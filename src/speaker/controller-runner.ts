// The file-mode controller: reads the resource directory, assigns addresses (controller.ts)
// and writes each LoadBalancer Service's status to DIR/status/<ns>.<name>.yaml (a Service
// document holding only metadata and status.loadBalancer.ingress), which the speakers
// read as that Service's status. Impossible requests are logged as events.

import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { allocate, type AllocationResult, type ServiceAssignment } from './controller.js';
import { FileSource, readResourceDirectory, statusDirName, statusFileName, type DirectoryContents, type FileSourceOptions } from './file-source.js';
import { ResourceStore } from './store.js';

/** The status document of one Service. */
export function statusDocument(namespace: string, name: string, addresses: readonly string[]): string {
  return stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, status: { loadBalancer: { ingress: addresses.map((ip) => ({ ip })) } } });
}

/** Logs the problems of a directory read (one line each); the good resources still count. */
export function logContents(logger: Logger, contents: DirectoryContents): void {
  for (const e of contents.errors) logger.warn('resource error', { file: e.file, document: e.documentIndex + 1, resource: e.resource, field: e.field, error: e.problem });
}

/**
 * One round: allocation over the directory's resources, status files written where
 * changed (atomically: temp file and rename) and removed for Services without an address.
 */
export async function controllerRound(dir: string, contents: DirectoryContents, logger: Logger): Promise<AllocationResult> {
  const store = new ResourceStore();
  store.replaceAll(contents.resources);
  const snap = store.snapshot();
  const result = allocate({ pools: snap.pools, services: snap.services, namespaces: snap.namespaces });
  for (const e of result.events) logger.warn('service event', { service: e.service, reason: e.reason, message: e.message });
  const statusDir = join(dir, statusDirName);
  await mkdir(statusDir, { recursive: true });
  const wanted = new Map<string, ServiceAssignment>();
  for (const a of result.assignments.values()) {
    const [namespace, name] = a.service.split('/') as [string, string];
    wanted.set(statusFileName(namespace, name), a);
  }
  for (const [file, a] of wanted) {
    const [namespace, name] = a.service.split('/') as [string, string];
    const text = statusDocument(namespace, name, a.addresses);
    const path = join(statusDir, file);
    const old = await readFile(path, 'utf8').catch(() => undefined);
    if (old === text) continue;
    const tmp = join(statusDir, `.${file}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, path);
    logger.info('service assigned', { service: a.service, pool: a.pool, addresses: a.addresses });
  }
  for (const file of await readdir(statusDir)) {
    if (!/\.ya?ml$/.test(file) || file.startsWith('.') || wanted.has(file)) continue;
    await unlink(join(statusDir, file));
    logger.info('service released', { file });
  }
  return result;
}

/** `--once`: read, assign, write. Throws if the directory cannot be read. */
export async function runControllerOnce(dir: string, logger: Logger): Promise<AllocationResult> {
  const contents = await readResourceDirectory(dir);
  logContents(logger, contents);
  return controllerRound(dir, contents, logger);
}

/** Watch mode: a round after every change of the directory, until `close`. */
export class ControllerRunner {
  private source: FileSource | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly deps: { readonly clock: Clock; readonly logger: Logger },
    private readonly options: FileSourceOptions = {},
  ) {}

  async start(): Promise<void> {
    this.source = new FileSource(this.dir, this.deps, (contents) => {
      logContents(this.deps.logger, contents);
      // Rounds run one after another; the status files they write come back as a
      // change, and the next round finds nothing to write.
      this.chain = this.chain.then(() => controllerRound(this.dir, contents, this.deps.logger)).catch((err: unknown) => this.deps.logger.error('controller round failed', { dir: this.dir, error: (err as Error).message }));
    }, this.options);
    await this.source.start();
  }

  async close(): Promise<void> {
    this.source?.close();
    await this.chain;
  }
}
