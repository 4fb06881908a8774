// The in-memory resource store both sources feed: the file source (whole directory
// re-read) and a Kubernetes list/watch layer (one object at a time). Consumers take a
// consistent snapshot and hear of changes.

import { keyOf, type BfdProfile, type BgpAdvertisement, type BgpPeer, type CommunityAliases, type EndpointSlice, type IpAddressPool, type Namespace, type Node, type Resource, type ResourceKind, type Service } from './resources.js';

/** Every resource, by kind; Services carry their status (the controller's assignment). */
export interface ResourceSnapshot {
  readonly pools: readonly IpAddressPool[];
  readonly peers: readonly BgpPeer[];
  readonly advertisements: readonly BgpAdvertisement[];
  readonly communities: readonly CommunityAliases[];
  readonly bfdProfiles: readonly BfdProfile[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly nodes: readonly Node[];
  readonly namespaces: readonly Namespace[];
}

export const emptySnapshot: ResourceSnapshot = { pools: [], peers: [], advertisements: [], communities: [], bfdProfiles: [], services: [], endpointSlices: [], nodes: [], namespaces: [] };

const identity = (r: Resource): string => `${r.kind} ${keyOf(r.meta)}`;

/**
 * Resources by kind and key. A status-only Service (the controller's status file) is
 * kept apart and supplies the `ingress` of the Service of the same key.
 */
export class ResourceStore {
  private readonly objects = new Map<string, Resource>();
  private readonly statuses = new Map<string, readonly string[]>();
  private readonly listeners: (() => void)[] = [];

  /** Replaces everything (a directory re-read, a watch re-list); notifies once. */
  replaceAll(resources: readonly Resource[]): void {
    this.objects.clear();
    this.statuses.clear();
    for (const r of resources) this.put(r);
    this.changed();
  }

  upsert(r: Resource): void {
    this.put(r);
    this.changed();
  }

  remove(kind: ResourceKind, key: string): void {
    this.objects.delete(`${kind} ${key}`);
    if (kind === 'Service') this.statuses.delete(key);
    this.changed();
  }

  /** Runs `fn` after every change. */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  snapshot(): ResourceSnapshot {
    const all = [...this.objects.values()];
    const of = <K extends ResourceKind>(kind: K): Extract<Resource, { kind: K }>[] => all.filter((r): r is Extract<Resource, { kind: K }> => r.kind === kind);
    const services = of('Service').map((s) => {
      const status = this.statuses.get(keyOf(s.meta));
      return status === undefined ? s : { ...s, ingress: status };
    });
    return {
      pools: of('IPAddressPool'),
      peers: of('BGPPeer'),
      advertisements: of('BGPAdvertisement'),
      communities: of('Community'),
      bfdProfiles: of('BFDProfile'),
      services,
      endpointSlices: of('EndpointSlice'),
      nodes: of('Node'),
      namespaces: of('Namespace'),
    };
  }

  private put(r: Resource): void {
    if (r.kind === 'Service' && r.isStatusOnly) this.statuses.set(keyOf(r.meta), r.ingress);
    else this.objects.set(identity(r), r);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}
