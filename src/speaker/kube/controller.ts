// The controller against a cluster: after each change of the watched resources, the
// same allocation as in file mode, then the differences written back (a Service's
// status, an Event when it cannot be served). One round at a time; a failed write is
// logged and tried again at the next change or retry tick.

import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { allocate, type ServiceEvent } from '../controller.js';
import { keyOf } from '../resources.js';
import type { ResourceStore } from '../store.js';

/** What the controller writes; KubeStatusWriter in a cluster, a recorder in tests. */
export interface StatusWriter {
  writeIngress(namespace: string, name: string, addresses: readonly string[]): Promise<void>;
  recordEvent(namespace: string, name: string, reason: string, message: string, now: Date): Promise<void>;
}

/** Rounds follow changes closely but coalesce a burst (a re-list delivers many objects). */
export const settleMs = 100;
/** A round whose writes failed is repeated after this long even without a change. */
export const retryMs = 5_000;

export class KubeController {
  private timer: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();
  /** Events already written, so a Service is not flooded with the same one. */
  private readonly told = new Map<string, string>();
  private isClosed = false;

  constructor(
    private readonly store: ResourceStore,
    private readonly writer: StatusWriter,
    private readonly deps: { readonly clock: Clock; readonly logger: Logger },
  ) {
    store.onChange(() => this.schedule(settleMs));
  }

  /** Resolves when the round in progress (if any) has finished. */
  idle(): Promise<void> {
    return this.running;
  }

  close(): Promise<void> {
    this.isClosed = true;
    this.timer?.();
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (this.isClosed) return;
    this.timer?.();
    this.timer = this.deps.clock.after(delayMs, () => {
      this.timer = undefined;
      this.running = this.running.then(() => this.round());
    });
  }

  /** One allocation and its writes. */
  async round(): Promise<void> {
    const snap = this.store.snapshot();
    const result = allocate({ pools: snap.pools, services: snap.services, namespaces: snap.namespaces });
    let failed = 0;
    for (const s of snap.services) {
      const key = keyOf(s.meta);
      const wanted = result.assignments.get(key)?.addresses ?? [];
      if (sameList(wanted, s.ingress)) continue;
      try {
        await this.writer.writeIngress(s.meta.namespace, s.meta.name, wanted);
        this.deps.logger.info(wanted.length > 0 ? 'service assigned' : 'service released', { service: key, addresses: wanted });
      } catch (err) {
        failed++;
        this.deps.logger.warn('service status not written', { service: key, error: (err as Error).message });
      }
    }
    const current = new Set<string>();
    for (const e of result.events) {
      current.add(e.service);
      if (this.told.get(e.service) === eventText(e)) continue;
      this.deps.logger.warn('service event', { service: e.service, reason: e.reason, message: e.message });
      const [namespace, name] = e.service.split('/') as [string, string];
      try {
        await this.writer.recordEvent(namespace, name, e.reason, e.message, new Date(this.deps.clock.wallNow()));
        this.told.set(e.service, eventText(e));
      } catch (err) {
        failed++;
        this.deps.logger.warn('service event not written', { service: e.service, error: (err as Error).message });
      }
    }
    // A Service that is served again may fail again later: say it again then.
    for (const key of [...this.told.keys()]) if (!current.has(key)) this.told.delete(key);
    if (failed > 0) this.schedule(retryMs);
  }
}

const eventText = (e: ServiceEvent): string => `${e.reason}\n${e.message}`;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
