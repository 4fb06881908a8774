// The Kubernetes side of the speaker and controller: list and watch the resources they
// use through the official client library and feed them, one object at a time, into
// the same ResourceStore the file source fills. Only the mapping lives here; every
// decision is made by the code the file mode runs too.

import { KubeConfig, KubernetesObjectApi, makeInformer, type Informer, type KubernetesObject } from '@kubernetes/client-node';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { keyOf, parseResource, ResourceError, type ResourceKind } from '../resources.js';
import type { ResourceStore } from '../store.js';

/** What is watched: the API version read, and the collection path of the watch. */
export interface WatchedKind {
  readonly kind: ResourceKind;
  readonly apiVersion: string;
  readonly path: string;
}

export const watchedKinds: readonly WatchedKind[] = [
  { kind: 'IPAddressPool', apiVersion: 'metallb.io/v1beta1', path: '/apis/metallb.io/v1beta1/ipaddresspools' },
  { kind: 'BGPPeer', apiVersion: 'metallb.io/v1beta2', path: '/apis/metallb.io/v1beta2/bgppeers' },
  { kind: 'BGPAdvertisement', apiVersion: 'metallb.io/v1beta1', path: '/apis/metallb.io/v1beta1/bgpadvertisements' },
  { kind: 'Community', apiVersion: 'metallb.io/v1beta1', path: '/apis/metallb.io/v1beta1/communities' },
  { kind: 'BFDProfile', apiVersion: 'metallb.io/v1beta1', path: '/apis/metallb.io/v1beta1/bfdprofiles' },
  { kind: 'Service', apiVersion: 'v1', path: '/api/v1/services' },
  { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', path: '/apis/discovery.k8s.io/v1/endpointslices' },
  { kind: 'Node', apiVersion: 'v1', path: '/api/v1/nodes' },
  { kind: 'Namespace', apiVersion: 'v1', path: '/api/v1/namespaces' },
];

/** In a pod: the service account; else `file`, else $KUBECONFIG or ~/.kube/config. */
export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file !== undefined) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}

/** Retry delays after a failed list or a broken watch: doubling, capped. */
export const retryMinMs = 500;
export const retryMaxMs = 30_000;

/**
 * Keeps `store` equal to the cluster's resources until `close`. A list or watch that
 * fails is logged and retried with back-off; an object that cannot be used is logged
 * with what is wrong and left out, and the rest carries on.
 */
export class KubeSource {
  private readonly informers: Informer<KubernetesObject>[] = [];
  private readonly cancels: (() => void)[] = [];
  private isClosed = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly store: ResourceStore,
    private readonly deps: { readonly clock: Clock; readonly logger: Logger },
    private readonly kinds: readonly WatchedKind[] = watchedKinds,
  ) {}

  /** Resolves once every kind has been listed once (or has failed and is retrying). */
  async start(): Promise<void> {
    const objects = KubernetesObjectApi.makeApiClient(this.kc);
    await Promise.all(this.kinds.map((w) => this.startKind(w, objects)));
  }

  async close(): Promise<void> {
    this.isClosed = true;
    for (const cancel of this.cancels.splice(0)) cancel();
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  private async startKind(w: WatchedKind, objects: KubernetesObjectApi): Promise<void> {
    // List items come without apiVersion and kind: give them back so that one parser
    // serves files and the API alike.
    const list = async () => {
      const l = await objects.list(w.apiVersion, w.kind);
      return { ...l, items: l.items.map((o) => ({ ...o, apiVersion: w.apiVersion, kind: w.kind })) };
    };
    const informer = makeInformer(this.kc, w.path, list);
    const put = (o: KubernetesObject) => this.put(w, o);
    informer.on('add', put);
    informer.on('update', put);
    informer.on('delete', (o) => {
      const name = o.metadata?.name ?? '';
      const key = keyOf({ name, namespace: o.metadata?.namespace ?? '', labels: {}, annotations: {} });
      this.store.remove(w.kind, key);
    });
    let delayMs = retryMinMs;
    informer.on('connect', () => {
      delayMs = retryMinMs;
    });
    informer.on('error', (err: unknown) => {
      if (this.isClosed) return;
      this.deps.logger.warn('kubernetes watch failed', { kind: w.kind, path: w.path, error: (err as Error)?.message ?? String(err), retryMs: delayMs });
      const cancel = this.deps.clock.after(delayMs, () => {
        if (!this.isClosed) informer.start().catch(() => undefined);
      });
      this.cancels.push(cancel);
      delayMs = Math.min(delayMs * 2, retryMaxMs);
    });
    this.informers.push(informer);
    await informer.start().catch(() => undefined);
  }

  private put(w: WatchedKind, o: KubernetesObject): void {
    try {
      const r = parseResource({ ...o, apiVersion: o.apiVersion ?? w.apiVersion, kind: o.kind ?? w.kind }, `kubernetes ${w.path}`, 0);
      if (r !== undefined) this.store.upsert(r);
    } catch (err) {
      if (!(err instanceof ResourceError)) throw err;
      this.deps.logger.warn('resource refused', { error: err.message });
    }
  }
}
