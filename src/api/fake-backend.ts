// An in-memory ApiBackend for tests of the API and of clients: peers and routes are
// set directly, every operation is recorded, and events are emitted by hand.

import { emptyPolicyState, type CompiledPolicy, type PolicyState } from './policy-store.js';
import { randomUUID } from 'node:crypto';
import { compareAddress, formatPrefix, parseAddress, parsePrefix } from '../lib/address.js';
import { systemClock } from '../lib/clock.js';
import { AsSegmentType, Origin } from '../wire/attributes/types.js';
import {
  ApiError,
  matchesPrefixFilter,
  type ApiBackend,
  type DestinationView,
  type GlobalConfig,
  type GlobalStatus,
  type MessageCounters,
  type PeerConfig,
  type PeerStatus,
  type RouteEvent,
  type RouteInput,
  type RouteRemoval,
  type RouteView,
  type SoftResetDirection,
  type TableCounts,
  type TableQuery,
  type WatchEvent,
  type WatchOptions,
} from './backend.js';

/** An operation the API asked of the backend. */
export type FakeCall =
  | { readonly op: 'startBgp'; readonly config: GlobalConfig }
  | { readonly op: 'stopBgp' }
  | { readonly op: 'addPeer'; readonly config: PeerConfig }
  | { readonly op: 'deletePeer' | 'enablePeer'; readonly address: string }
  | { readonly op: 'resetPeer' | 'shutdownPeer' | 'disablePeer'; readonly address: string; readonly communication: string }
  | { readonly op: 'softResetPeer'; readonly address: string; readonly direction: SoftResetDirection }
  | { readonly op: 'addRoute'; readonly route: RouteInput; readonly uuid: Uint8Array }
  | { readonly op: 'deleteRoutes'; readonly removal: RouteRemoval }
  | { readonly op: 'setPolicyState'; readonly state: PolicyState };

export const zeroCounters: MessageCounters = { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0, discarded: 0, total: 0 };

/** A peer with defaults for everything not given. */
export function fakePeer(fields: Partial<PeerStatus> & Pick<PeerStatus, 'address' | 'peerAs' | 'localAs'>): PeerStatus {
  return {
    isEbgp: fields.peerAs !== fields.localAs,
    state: 'Idle',
    isAdminDown: false,
    flops: 0,
    outQueue: 0,
    received: zeroCounters,
    sent: zeroCounters,
    holdTimeSec: 90,
    keepaliveSec: 30,
    connectRetrySec: 120,
    isPassive: false,
    families: [],
    localCapabilities: [],
    remoteCapabilities: [],
    ...fields,
  };
}

interface Watcher {
  readonly options: WatchOptions;
  readonly listener: (event: WatchEvent) => void;
}

export class FakeBackend implements ApiBackend {
  readonly calls: FakeCall[] = [];
  /** The routing policy the policy calls edit. */
  private policy: PolicyState = emptyPolicyState;
  global: GlobalStatus | undefined;
  readonly peers = new Map<string, PeerStatus>();
  /** Every route of the Loc-RIB (and so of the peers' Adj-RIBs-In). */
  routes: RouteView[] = [];
  /** Adj-RIB-Out per neighbor address. */
  readonly adjOut = new Map<string, RouteView[]>();
  private watchers: Watcher[] = [];
  private watchWaiters: ((options: WatchOptions) => void)[] = [];
  private unwatchWaiters: (() => void)[] = [];
  private readonly wallNow: () => number;

  constructor(global?: GlobalStatus, wallNow: () => number = () => systemClock.wallNow()) {
    this.global = global;
    this.wallNow = wallNow;
  }

  /** Resolves with the options of the next watch registered. */
  nextWatch(): Promise<WatchOptions> {
    return new Promise((resolve) => this.watchWaiters.push(resolve));
  }

  /** Resolves when a watch is next removed. */
  nextUnwatch(): Promise<void> {
    return new Promise((resolve) => this.unwatchWaiters.push(resolve));
  }

  /** Listeners registered now. */
  get watcherCount(): number {
    return this.watchers.length;
  }

  /** Sends an event to the watchers that asked for its kind. */
  emit(event: WatchEvent): void {
    for (const w of this.watchers) {
      if (event.kind === 'peer' ? w.options.peers : w.options.tables.has(event.table)) w.listener(event);
    }
  }

  /** Emits route events of a table. */
  emitRoutes(table: 'adj-in' | 'adj-in-post-policy' | 'best', events: readonly RouteEvent[]): void {
    this.emit({ kind: 'routes', table, events });
  }

  // ---- ApiBackend

  getGlobal(): GlobalStatus | undefined {
    return this.global;
  }

  *listPeers(address?: string): Iterable<PeerStatus> {
    const all = [...this.peers.values()].sort((a, b) => compareAddress(parseAddress(a.address), parseAddress(b.address)));
    for (const p of all) if (address === undefined || p.address === address) yield p;
  }

  listRoutes(query: TableQuery): Iterable<DestinationView> {
    const routes = this.tableRoutes(query).filter((r) => query.prefixes === undefined || query.prefixes.some((f) => matchesPrefixFilter(f, r.prefix)));
    const byPrefix = new Map<string, RouteView[]>();
    for (const r of routes) {
      const key = formatPrefix(r.prefix);
      byPrefix.set(key, [...(byPrefix.get(key) ?? []), r]);
    }
    return [...byPrefix.values()]
      .map((list) => ({ prefix: list[0]!.prefix, routes: [...list].sort((a, b) => Number(b.isBest) - Number(a.isBest)) }))
      .sort((a, b) => compareAddress(a.prefix.addr, b.prefix.addr) || a.prefix.length - b.prefix.length);
  }

  tableCounts(query: Omit<TableQuery, 'prefixes'>): TableCounts {
    const dests = [...this.listRoutes(query)];
    const paths = dests.reduce((n, d) => n + d.routes.length, 0);
    const accepted = dests.reduce((n, d) => n + d.routes.filter((r) => r.isFiltered !== true).length, 0);
    return { destinations: dests.length, paths, accepted };
  }

  watch(options: WatchOptions, listener: (event: WatchEvent) => void): () => void {
    const w: Watcher = { options, listener };
    this.watchers = [...this.watchers, w];
    for (const resolve of this.watchWaiters.splice(0)) resolve(options);
    return () => {
      this.watchers = this.watchers.filter((x) => x !== w);
      for (const resolve of this.unwatchWaiters.splice(0)) resolve();
    };
  }

  async startBgp(config: GlobalConfig): Promise<void> {
    this.calls.push({ op: 'startBgp', config });
    if (this.global !== undefined) throw new ApiError('failed-precondition', 'BGP is already running');
    this.global = { asn: config.asn, routerId: config.routerId, listenPort: config.listenPort ?? 179, listenAddresses: config.listenAddresses ?? [], families: config.families ?? [], isMultipath: config.isMultipath ?? false };
  }

  async stopBgp(): Promise<void> {
    this.calls.push({ op: 'stopBgp' });
    this.global = undefined;
  }

  async addPeer(config: PeerConfig): Promise<void> {
    this.calls.push({ op: 'addPeer', config });
    if (this.peers.has(config.address)) throw new ApiError('already-exists', `neighbor ${config.address} exists`, 'peer.conf.neighbor_address');
    this.peers.set(config.address, fakePeer({ address: config.address, peerAs: config.peerAs, localAs: config.localAs ?? this.global?.asn ?? 0 }));
  }

  async deletePeer(address: string): Promise<void> {
    this.calls.push({ op: 'deletePeer', address });
    if (!this.peers.delete(address)) throw this.unknownPeer(address);
  }

  async resetPeer(address: string, communication: string): Promise<void> {
    this.calls.push({ op: 'resetPeer', address, communication });
    this.requirePeer(address);
  }

  async softResetPeer(address: string, direction: SoftResetDirection): Promise<void> {
    this.calls.push({ op: 'softResetPeer', address, direction });
    this.requirePeer(address);
  }

  async shutdownPeer(address: string, communication: string): Promise<void> {
    this.calls.push({ op: 'shutdownPeer', address, communication });
    this.setPeer(address, { state: 'Idle', isAdminDown: true });
  }

  async enablePeer(address: string): Promise<void> {
    this.calls.push({ op: 'enablePeer', address });
    this.setPeer(address, { isAdminDown: false });
  }

  async disablePeer(address: string, communication: string): Promise<void> {
    this.calls.push({ op: 'disablePeer', address, communication });
    this.setPeer(address, { state: 'Idle', isAdminDown: true });
  }

  async addRoute(route: RouteInput): Promise<Uint8Array> {
    const uuid = Uint8Array.from(Buffer.from(randomUUID().replaceAll('-', ''), 'hex'));
    this.calls.push({ op: 'addRoute', route, uuid });
    const key = formatPrefix(route.prefix);
    const isAlone = !this.routes.some((r) => r.family === route.family && formatPrefix(r.prefix) === key);
    const view: RouteView = {
      family: route.family,
      prefix: route.prefix,
      pathId: route.pathId ?? 0,
      attributes: route.attributes,
      nextHop: route.nextHop,
      source: { address: 'local', peerAs: this.global?.asn ?? 0, routerId: this.global?.routerId ?? '0.0.0.0', isEbgp: false },
      receivedAtMs: this.wallNow(),
      isBest: isAlone,
      isMultipath: false,
      uuid,
    };
    this.routes.push(route.linkLocalNextHop === undefined ? view : { ...view, linkLocalNextHop: route.linkLocalNextHop });
    return uuid;
  }

  policyState(): PolicyState {
    return this.policy;
  }

  async setPolicyState(state: PolicyState, _compiled: CompiledPolicy): Promise<void> {
    this.calls.push({ op: 'setPolicyState', state });
    this.policy = state;
  }

  async deleteRoutes(removal: RouteRemoval): Promise<void> {
    this.calls.push({ op: 'deleteRoutes', removal });
    const isLocal = (r: RouteView): boolean => r.source.address === 'local' && r.family === removal.family;
    this.routes = this.routes.filter((r) => {
      if (!isLocal(r)) return true;
      if (removal.uuid !== undefined) return r.uuid === undefined || Buffer.compare(Buffer.from(r.uuid), Buffer.from(removal.uuid)) !== 0;
      if (removal.prefix !== undefined) return formatPrefix(r.prefix) !== formatPrefix(removal.prefix);
      return false;
    });
  }

  // ---- internals

  private tableRoutes(query: TableQuery): RouteView[] {
    const ofFamily = (list: readonly RouteView[]): RouteView[] => list.filter((r) => r.family === query.family);
    switch (query.table) {
      case 'global':
      case 'local':
        return ofFamily(this.routes);
      case 'adj-in':
        this.requirePeer(query.neighbor ?? '');
        return ofFamily(this.routes.filter((r) => r.source.address === query.neighbor));
      case 'adj-out':
        this.requirePeer(query.neighbor ?? '');
        return ofFamily(this.adjOut.get(query.neighbor ?? '') ?? []);
    }
  }

  private unknownPeer(address: string): ApiError {
    return new ApiError('not-found', `no neighbor ${address}`, 'address');
  }

  private requirePeer(address: string): PeerStatus {
    const p = this.peers.get(address);
    if (p === undefined) throw this.unknownPeer(address);
    return p;
  }

  private setPeer(address: string, change: Partial<PeerStatus>): void {
    this.peers.set(address, { ...this.requirePeer(address), ...change });
  }
}

const scenarioFamily = 0x0101;

/**
 * The lab's router (../shared/SCENARIO.md): AS 64512, router ID 172.17.0.1, three
 * Established eBGP peers 172.17.0.21-23 of AS 64522, each announcing 172.17.254.1/32
 * with AS path [64522] and origin incomplete; the route from .21 is best and all three
 * form the multipath set. Times are relative to `nowMs` (wall clock).
 */
export function scenarioBackend(nowMs: number): FakeBackend {
  const backend = new FakeBackend({ asn: 64512, routerId: '172.17.0.1', listenPort: 179, listenAddresses: ['0.0.0.0'], families: [scenarioFamily], isMultipath: true }, () => nowMs);
  [21, 22, 23].forEach((host, i) => {
    const address = `172.17.0.${host}`;
    const id = parseAddress(address);
    backend.peers.set(
      address,
      fakePeer({
        address,
        peerAs: 64522,
        localAs: 64512,
        state: 'Established',
        session: { address, peerAs: 64522, localAs: 64512, routerId: id, isEbgp: true, families: new Set([scenarioFamily]), addPathRx: new Set() },
        upSinceMs: nowMs - 3_600_000,
        localAddress: '172.17.0.1',
        localPort: 179,
        remotePort: 40_000 + host,
        received: { ...zeroCounters, open: 1, update: 1, keepalive: 120, total: 122 },
        sent: { ...zeroCounters, open: 1, keepalive: 121, total: 122 },
        negotiatedHoldTimeSec: 90,
        negotiatedKeepaliveSec: 30,
        families: [{ family: scenarioFamily, isEnabled: true, received: 1, accepted: 1, advertised: 0, isEndOfRibReceived: true }],
        localCapabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'route-refresh' }, { kind: 'four-octet-as', asn: 64512 }],
        remoteCapabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'four-octet-as', asn: 64522 }],
      }),
    );
    backend.routes.push(scenarioRoute(address, nowMs - 60_000, i === 0));
  });
  return backend;
}

/** The scenario's 172.17.254.1/32 as announced by `address`. */
export function scenarioRoute(address: string, receivedAtMs: number, isBest: boolean): RouteView {
  const nextHop = parseAddress(address);
  return {
    family: scenarioFamily,
    prefix: parsePrefix('172.17.254.1/32'),
    pathId: 0,
    attributes: { origin: Origin.incomplete, asPath: [{ type: AsSegmentType.sequence, asns: [64522] }], nextHop },
    nextHop,
    source: { address, peerAs: 64522, routerId: address, isEbgp: true },
    receivedAtMs,
    isBest,
    isMultipath: true,
  };
}
