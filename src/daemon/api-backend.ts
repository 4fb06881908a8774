// The management API's view of a running tsbgpd (src/api's ApiBackend): the global
// settings, every neighbor with state, timers and counters, the Loc-RIB, Adj-RIBs-In
// and -Out, routes added through the API (originated like `[[originate]]` entries),
// peer operations (Cease subcodes of RFC 4486, communications of RFC 9003), and the
// watch feeds: peer states, routes as received (and withdrawn, a dropped session's
// included), best paths. Nothing is built for a feed nobody watches, and a watched
// event costs O(1) per route on the update path.

import { createHash, randomUUID } from 'node:crypto';
import { Afi, Safi, bytesEqual, compareAddress, formatAddress, formatPrefix, maskAddress, parseAddress, type Prefix } from '../lib/address.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import { familyKey, familyName, familyOf, type FamilyKey } from '../wire/context.js';
import { CeaseSubcode, ErrorAction } from '../wire/errors.js';
import { Origin, type PathAttributes } from '../wire/attributes/types.js';
import type { Capability } from '../wire/capability-types.js';
import type { NlriList } from '../wire/nlri.js';
import type { UpdateMessage } from '../wire/update.js';
import type { PeerInfo, UpdateSink } from '../rib/sink.js';
import type { RibChange, Route } from '../rib/rib.js';
import type { RibPeer } from '../rib/route.js';
import { comparePrefixKeys, keyToPrefix, prefixKey, type PrefixKey } from '../rib/prefix-key.js';
import { localCapabilities } from '../session/capabilities.js';
import {
  ApiError,
  matchesPrefixFilter,
  type ApiBackend,
  type DestinationView,
  type DynamicNeighborStatus,
  type GlobalStatus,
  type PeerGroupStatus,
  type PeerGroupConfig,
  type UpdateOutcome,
  type MessageCounters,
  type PeerConfig,
  type PeerFamilyStatus,
  type PeerStatus,
  type PrefixFilter,
  type RouteEvent,
  type RouteInput,
  type RouteRemoval,
  type RouteSource,
  type RouteView,
  type SoftResetDirection,
  type TableCounts,
  type TableQuery,
  type WatchEvent,
  type WatchOptions,
} from '../api/backend.js';
import { assignmentFromSettings, policyStateFromConfig, type AssignmentTarget, type CompiledPolicy, type PolicyState } from '../api/policy-store.js';
import { ConfigError, parseDynamicNeighbor, parseNeighbor, parsePeerGroup, type NeighborConfig, type PeerGroupConfig as DaemonPeerGroup } from './config.js';
import { noDaemonPolicy, type DaemonPolicy } from './policy-config.js';
import type { ApplyPolicySettings } from '../policy/config.js';
import { normalizeRemoteAddress, type Daemon, type PeerView } from './daemon.js';
import type { LocalRoute } from './originate.js';

export interface DaemonApiBackendOptions {
  readonly clock?: Clock;
  /** Where a failing watch listener is reported. */
  readonly logger?: Logger;
}

interface Watcher {
  readonly options: WatchOptions;
  readonly listener: (event: WatchEvent) => void;
}

const ipv4Unicast = familyKey(Afi.ipv4, Safi.unicast);
const ipv6Unicast = familyKey(Afi.ipv6, Safi.unicast);
const noBytes = new Uint8Array(0);
/** Route events handed to watchers at once when a whole table goes (a session drops). */
const eventsPerBatch = 1024;

function counters(updates: number): MessageCounters {
  return { open: 0, update: updates, notification: 0, keepalive: 0, routeRefresh: 0, discarded: 0, total: updates };
}

function routerIdText(id: number): string {
  return `${id >>> 24}.${(id >>> 16) & 0xff}.${(id >>> 8) & 0xff}.${id & 0xff}`;
}

function isUnspecified(addr: Uint8Array): boolean {
  return addr.every((b) => b === 0);
}

/** Prefixes in table order: IPv4 before IPv6, then address, then length. */
function compareDestinations(a: DestinationView, b: DestinationView): number {
  return a.prefix.afi - b.prefix.afi || compareAddress(a.prefix.addr, b.prefix.addr) || a.prefix.length - b.prefix.length;
}

export class DaemonApiBackend implements ApiBackend {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private watchers: Watcher[] = [];
  private stopPeerFeed: (() => void) | undefined;
  private stopBestFeed: (() => void) | undefined;
  private isTapSet = false;
  private readonly sources = new WeakMap<RibPeer | PeerInfo, RouteSource>();
  /** Uuids of the API's routes by prefix, for the daemon's list as it was last seen. */
  private uuids: { readonly of: readonly LocalRoute[]; readonly byPrefix: ReadonlyMap<string, Uint8Array> } = { of: [], byPrefix: new Map() };
  /** The policy state of the daemon's policy object (a reload brings another object, read afresh). */
  private policyCache: { readonly of: DaemonPolicy | undefined; readonly state: PolicyState } | undefined;

  constructor(
    private readonly daemon: Daemon,
    options: DaemonApiBackendOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  // ---- global and peers

  getGlobal(): GlobalStatus {
    const config = this.daemon.currentConfig;
    const bound = this.daemon.listenAddresses;
    return {
      asn: config.global.as,
      routerId: config.global.routerId,
      listenPort: bound[0]?.port ?? config.global.port,
      listenAddresses: bound.length > 0 ? bound.map((b) => b.address) : config.global.localAddressList,
      families: [ipv4Unicast, ipv6Unicast],
      isMultipath: config.useMultiplePaths.isEnabled,
    };
  }

  *listPeers(address?: string): Iterable<PeerStatus> {
    const views = address === undefined ? this.daemon.peerViews() : [this.daemon.peerView(address)].filter((v): v is PeerView => v !== undefined);
    const sorted = views.map((v) => ({ v, addr: parseAddress(v.config.address) })).sort((a, b) => a.addr.length - b.addr.length || compareAddress(a.addr, b.addr));
    for (const { v } of sorted) yield this.peerStatus(v);
  }

  private peerStatus(view: PeerView): PeerStatus {
    const n = view.config;
    const session = view.session;
    const info = session.peerInfo;
    const negotiated = session.state === 'Established' ? session.negotiated : undefined;
    const families: PeerFamilyStatus[] = n.families.map((family) => {
      const { received, accepted } = this.daemon.rib.peerCounts(n.address, family);
      return {
        family,
        isEnabled: info === undefined || info.families.has(family),
        received,
        accepted,
        advertised: view.stats.advertised.get(family) ?? 0,
        isEndOfRibReceived: this.daemon.rib.hasEndOfRib(n.address, family),
        isAddPathReceive: info?.addPathRx.has(family) === true,
      };
    });
    const localAddress = normalizeRemoteAddress(session.localAddress) ?? n.localAddress;
    const status: { -readonly [K in keyof PeerStatus]: PeerStatus[K] } = {
      address: n.address,
      peerAs: n.peerAs,
      localAs: n.localAs,
      isEbgp: n.peerAs !== n.localAs,
      state: session.state,
      isAdminDown: view.isAdminDown,
      flops: view.stats.flops,
      outQueue: view.sender.pending,
      received: counters(view.stats.updatesReceived),
      sent: counters(view.stats.updatesSent),
      holdTimeSec: n.holdTimeSec,
      keepaliveSec: n.keepaliveSec,
      connectRetrySec: n.connectRetrySec,
      isPassive: n.isPassive,
      remotePort: n.remotePort,
      families,
      localCapabilities: localCapabilities(session.config),
      remoteCapabilities: negotiated === undefined ? [] : remoteCapabilities(negotiated),
    };
    if (n.description !== '') status.description = n.description;
    if (n.peerGroup !== undefined) status.peerGroup = n.peerGroup;
    if (info !== undefined) status.session = info;
    if (view.stats.upSinceMs !== undefined) status.upSinceMs = view.stats.upSinceMs;
    if (view.stats.downSinceMs !== undefined) status.downSinceMs = view.stats.downSinceMs;
    if (n.idleHoldTimeAfterResetSec !== undefined) status.idleHoldTimeAfterResetSec = n.idleHoldTimeAfterResetSec;
    if (negotiated !== undefined) {
      status.negotiatedHoldTimeSec = negotiated.holdTimeSec;
      status.negotiatedKeepaliveSec = Math.round(negotiated.keepaliveMs / 1000);
    }
    if (localAddress !== undefined) status.localAddress = localAddress;
    if (n.ebgpMultihop?.isEnabled === true) status.ebgpMultihopTtl = n.ebgpMultihop.ttl ?? 255;
    return status;
  }

  private requirePeer(address: string, field = 'address'): PeerView {
    const view = this.daemon.peerView(address);
    if (view === undefined) throw new ApiError('not-found', `no neighbor ${address}`, field);
    return view;
  }

  /** The neighbors an operation names: one, or every one for "all". */
  private peersNamed(address: string): PeerView[] {
    return address === 'all' ? this.daemon.peerViews() : [this.requirePeer(address)];
  }

  // ---- tables

  listRoutes(query: TableQuery): Iterable<DestinationView> {
    switch (query.table) {
      case 'global':
        return this.globalRoutes(query.family, query.prefixes);
      case 'local':
        return this.adjInRoutes('local', query.family, query.prefixes);
      case 'adj-in':
        this.requirePeer(query.neighbor ?? '', 'name');
        return this.adjInRoutes(query.neighbor ?? '', query.family, query.prefixes);
      case 'adj-out':
        return this.adjOutRoutes(this.requirePeer(query.neighbor ?? '', 'name'), query.family, query.prefixes);
    }
  }

  tableCounts(query: Omit<TableQuery, 'prefixes'>): TableCounts {
    const rib = this.daemon.rib;
    switch (query.table) {
      case 'global':
        return { destinations: rib.prefixCount(query.family), paths: rib.routeCount(query.family) };
      case 'local': {
        const n = rib.peerCounts('local', query.family).received;
        return { destinations: n, paths: n };
      }
      case 'adj-in': {
        this.requirePeer(query.neighbor ?? '', 'name');
        // Without ADD-PATH a peer has one path per prefix; with it, paths are what we count.
        const { received, accepted } = rib.peerCounts(query.neighbor ?? '', query.family);
        return { destinations: received, paths: received, accepted };
      }
      case 'adj-out': {
        const n = this.requirePeer(query.neighbor ?? '', 'name').stats.advertised.get(query.family) ?? 0;
        return { destinations: n, paths: n };
      }
    }
  }

  /**
   * The Loc-RIB, best route first then the rest of its multipath set. Exact and shorter
   * lookups go straight to their prefixes; longer ones walk the table.
   */
  private *globalRoutes(family: FamilyKey, filters: readonly PrefixFilter[] | undefined): Generator<DestinationView> {
    const rib = this.daemon.rib;
    if (filters !== undefined && filters.every((f) => f.match !== 'longer')) {
      const keys = new Set<PrefixKey>();
      for (const f of filters) {
        const lengths = f.match === 'exact' ? [f.prefix.length] : Array.from({ length: f.prefix.length + 1 }, (_, i) => i);
        for (const length of lengths) keys.add(prefixKey({ afi: f.prefix.afi, length, addr: maskAddress(f.prefix.addr, length) }));
      }
      for (const key of [...keys].sort(comparePrefixKeys)) {
        const e = rib.entry(family, key);
        if (e !== undefined) yield this.destination(family, key, e.best, e.multipath, e.paths);
      }
      return;
    }
    for (const e of rib.entries(family)) {
      if (filters !== undefined) {
        const prefix = keyToPrefix(e.key);
        if (!filters.some((f) => matchesPrefixFilter(f, prefix))) continue;
      }
      yield this.destination(family, e.key, e.best, e.multipath, e.paths);
    }
  }

  private destination(family: FamilyKey, key: PrefixKey, best: Route | undefined, multipath: readonly Route[], paths: readonly Route[]): DestinationView {
    const prefix = keyToPrefix(key);
    const isSet = multipath.length > 1;
    const ordered = [...(best === undefined ? [] : [best]), ...multipath.filter((r) => r !== best), ...paths.filter((r) => r !== best && !multipath.includes(r))];
    return { prefix, routes: ordered.map((r) => this.routeView(r, family, prefix, r === best, isSet && multipath.includes(r))) };
  }

  /**
   * A peer's Adj-RIB-In ("local": the routes this speaker originates), in prefix order,
   * one prefix at a time from a snapshot of its keys: a listing of a full table yields
   * between prefixes instead of building every destination first.
   */
  private *adjInRoutes(address: string, family: FamilyKey, filters: readonly PrefixFilter[] | undefined): Generator<DestinationView> {
    const rib = this.daemon.rib;
    for (const key of rib.adjRibInKeys(address, family)) {
      const prefix = keyToPrefix(key);
      if (filters !== undefined && !filters.some((f) => matchesPrefixFilter(f, prefix))) continue;
      const held = rib.adjRibInAt(address, family, key);
      if (held.length === 0) continue;
      const best = address === 'local' ? rib.entry(family, key)?.best : undefined;
      const routes = held.map(({ route, isStale, accepted }) => {
        const isFiltered = accepted === undefined;
        const view = this.routeView(route, family, prefix, route === best, false);
        // Rejected by import policy: shown only when filtered routes are asked for.
        return isStale || isFiltered ? { ...view, ...(isStale ? { isStale } : {}), ...(isFiltered ? { isFiltered } : {}) } : view;
      });
      yield { prefix, routes };
    }
  }

  /** What the daemon announced on the peer's current session. */
  private adjOutRoutes(view: PeerView, family: FamilyKey, filters: readonly PrefixFilter[] | undefined): DestinationView[] {
    const global = this.daemon.currentConfig.global;
    const source: RouteSource = { address: 'local', peerAs: global.as, routerId: global.routerId, isEbgp: false };
    const since = view.stats.upSinceMs ?? this.clock.wallNow();
    const out: DestinationView[] = [];
    for (const r of view.sent.values()) {
      if (r.family !== family) continue;
      if (filters !== undefined && !filters.some((f) => matchesPrefixFilter(f, r.prefix))) continue;
      const route: RouteView = { family, prefix: r.prefix, pathId: 0, attributes: r.attributes, nextHop: r.nextHop, source, receivedAtMs: since, isBest: true, isMultipath: false };
      out.push({ prefix: r.prefix, routes: [route] });
    }
    return out.sort(compareDestinations);
  }

  private sourceOf(peer: RibPeer): RouteSource {
    let s = this.sources.get(peer);
    if (s === undefined) {
      const global = this.daemon.currentConfig.global;
      s = peer.isLocal
        ? { address: 'local', peerAs: global.as, routerId: global.routerId, isEbgp: false }
        : { address: peer.address, peerAs: peer.peerAs, routerId: routerIdText(peer.routerId), isEbgp: peer.isEbgp };
      this.sources.set(peer, s);
    }
    return s;
  }

  private routeView(route: Route, family: FamilyKey, prefix: Prefix, isBest: boolean, isMultipath: boolean): RouteView {
    const attrs = route.attrs;
    const view: RouteView = {
      family,
      prefix,
      pathId: route.pathId,
      attributes: attrs.attributes,
      nextHop: route.nextHop,
      source: this.sourceOf(route.peer),
      receivedAtMs: this.clock.wallNow() - this.daemon.rib.ageMs(route),
      isBest,
      isMultipath,
      ...(attrs.isReachable ? {} : { isNextHopInvalid: true }),
    };
    const withLinkLocal = attrs.linkLocalNextHop === undefined ? view : { ...view, linkLocalNextHop: attrs.linkLocalNextHop };
    if (!route.peer.isLocal) return withLinkLocal;
    const uuid = this.uuidOf(prefix);
    return uuid === undefined ? withLinkLocal : { ...withLinkLocal, uuid };
  }

  private uuidOf(prefix: Prefix): Uint8Array | undefined {
    const local = this.daemon.localRoutes;
    if (this.uuids.of !== local) {
      const byPrefix = new Map<string, Uint8Array>();
      for (const r of local) if (r.uuid !== undefined) byPrefix.set(r.prefixText, r.uuid);
      this.uuids = { of: local, byPrefix };
    }
    return this.uuids.byPrefix.get(formatPrefix(prefix));
  }

  // ---- local routes

  async addRoute(input: RouteInput): Promise<Uint8Array> {
    const { afi, safi } = familyOf(input.family);
    if (safi !== Safi.unicast) throw new ApiError('invalid-argument', `expected ipv4-unicast or ipv6-unicast, got ${familyName(input.family)}`, 'path.family');
    if ((input.pathId ?? 0) !== 0) throw new ApiError('invalid-argument', `tsbgpd originates one path per prefix; expected identifier 0, got ${input.pathId}`, 'path.identifier');
    if (input.nextHop.length !== (afi === Afi.ipv4 ? 4 : 16)) {
      throw new ApiError('invalid-argument', `expected an ${afi === Afi.ipv4 ? 'IPv4' : 'IPv6'} next hop for ${formatPrefix(input.prefix)}, got ${formatAddress(input.nextHop)}`, 'path.pattrs');
    }
    const { origin, communities, med, nextHop: _n, mpReach: _r, mpUnreach: _u, ...extra } = input.attributes;
    const uuid = Uint8Array.from(Buffer.from(randomUUID().replaceAll('-', ''), 'hex'));
    // An unspecified next hop (gobgp's default) means: our address on each session.
    const route: LocalRoute = {
      source: 'api',
      prefix: input.prefix,
      prefixText: formatPrefix(input.prefix),
      ...(isUnspecified(input.nextHop) ? {} : { nextHop: formatAddress(input.nextHop) }),
      origin: origin ?? Origin.igp,
      communities: communities ?? [],
      ...(med === undefined ? {} : { med }),
      ...(Object.keys(extra).length === 0 ? {} : { extra: extra as PathAttributes }),
      uuid,
      addedAtMs: this.clock.wallNow(),
    };
    this.daemon.addApiRoute(route);
    return uuid;
  }

  async deleteRoutes(removal: RouteRemoval): Promise<void> {
    const api = this.daemon.localRoutes.filter((r) => r.source === 'api' && familyKey(r.prefix.afi, Safi.unicast) === removal.family);
    if (removal.uuid !== undefined) {
      const found = api.find((r) => r.uuid !== undefined && bytesEqual(r.uuid, removal.uuid!));
      if (found === undefined) throw new ApiError('not-found', 'no route added through the API has this uuid', 'uuid');
      this.daemon.removeApiRoutes([found.prefixText]);
      return;
    }
    if (removal.prefix !== undefined) {
      const text = formatPrefix(removal.prefix);
      if (api.some((r) => r.prefixText === text)) {
        this.daemon.removeApiRoutes([text]);
        return;
      }
      if (this.daemon.localRoutes.some((r) => r.prefixText === text)) {
        throw new ApiError('failed-precondition', `${text} is an [[originate]] route of the configuration file: remove it there and reload (SIGHUP)`, 'path.nlri');
      }
      throw new ApiError('not-found', `no route for ${text} was added through the API`, 'path.nlri');
    }
    this.daemon.removeApiRoutes(api.map((r) => r.prefixText));
  }

  // ---- peer groups and dynamic neighbors (the configuration file's and the API's)

  *listPeerGroups(name?: string): Iterable<PeerGroupStatus> {
    const config = this.daemon.currentConfig;
    const members = new Map<string, number>();
    for (const v of this.daemon.peerViews()) if (v.config.peerGroup !== undefined) members.set(v.config.peerGroup, (members.get(v.config.peerGroup) ?? 0) + 1);
    for (const g of config.peerGroups) {
      if (name !== undefined && g.name !== name) continue;
      const s = g.settings;
      const status: { -readonly [K in keyof PeerGroupStatus]: PeerGroupStatus[K] } = { name: g.name, memberCount: members.get(g.name) ?? 0, localAs: s.localAs ?? config.global.as };
      if (s.peerAs !== undefined) status.peerAs = s.peerAs;
      if (s.description !== undefined) status.description = s.description;
      if (s.isPassive !== undefined) status.isPassive = s.isPassive;
      if (s.holdTimeSec !== undefined) status.holdTimeSec = s.holdTimeSec;
      if (s.keepaliveSec !== undefined) status.keepaliveSec = s.keepaliveSec;
      if (s.connectRetrySec !== undefined) status.connectRetrySec = s.connectRetrySec;
      if (s.families !== undefined) status.families = s.families;
      yield status;
    }
  }

  *listDynamicNeighbors(peerGroup?: string): Iterable<DynamicNeighborStatus> {
    for (const r of this.daemon.currentConfig.dynamicNeighbors) if (peerGroup === undefined || r.peerGroup === peerGroup) yield { prefix: r.prefix, peerGroup: r.peerGroup };
  }

  // ---- routing policy

  policyState(): PolicyState {
    const policy = this.daemon.currentConfig.policy;
    const cached = this.policyCache;
    if (cached !== undefined && cached.of === policy) return cached.state;
    const p = policy ?? noDaemonPolicy;
    const assignments = new Map<string, AssignmentTarget>([['global', assignmentFromSettings(p.global)]]);
    for (const [address, settings] of p.neighbors) assignments.set(address, assignmentFromSettings(settings));
    for (const [group, settings] of p.peerGroups) assignments.set(`peer-group ${group}`, assignmentFromSettings(settings));
    const state = policyStateFromConfig(p.source?.definedSets, p.source?.policyDefinitions, assignments);
    this.policyCache = { of: policy, state };
    return state;
  }

  async setPolicyState(state: PolicyState, compiled: CompiledPolicy): Promise<void> {
    const neighbors = new Map<string, ApplyPolicySettings>();
    const peerGroups = new Map<string, ApplyPolicySettings>();
    for (const [target, settings] of compiled.settings) {
      if (target === 'global') continue;
      if (target.startsWith('peer-group ')) peerGroups.set(target.slice('peer-group '.length), settings);
      else if (this.daemon.peerView(target) === undefined) throw new ApiError('not-found', `no neighbor ${target}`, 'assignment.name');
      else neighbors.set(target, settings);
    }
    // Equal definitions, equal digest: the policy wiring runs import policies again only where it changed.
    const definitionsDigest = createHash('sha256').update(JSON.stringify([state.definedSets, state.statements, state.policies])).digest('hex');
    const policy: DaemonPolicy = { global: compiled.settings.get('global') ?? {}, neighbors, peerGroups, definitionsDigest };
    this.daemon.setPolicy(policy);
    this.policyCache = { of: policy, state };
  }

  // ---- peer operations

  async addPeer(config: PeerConfig): Promise<void> {
    if (config.authPassword !== undefined) throw new ApiError('invalid-argument', 'TCP MD5 authentication is not supported by tsbgpd yet', 'peer.conf.auth_password');
    const neighbor = checked(() => parseNeighbor(neighborTable(config), this.daemon.currentConfig, 'AddPeer', 'peer'));
    if (!this.daemon.addNeighbor(neighbor, config.isAdminDown === true)) throw new ApiError('already-exists', `neighbor ${neighbor.address} exists`, 'peer.conf.neighbor_address');
  }

  /**
   * gobgp's `neighbor update` sends back what ListPeer showed with its changes: a value
   * equal to what is shown stands for "as configured" (the session's local address, a
   * local AS taken from the global one), and what a Peer message cannot carry (TTL
   * security, graceful restart, prefix limits, BFD, reflection, the MD5 key) is kept.
   */
  async updatePeer(config: PeerConfig, _isSoftResetInAsked: boolean): Promise<UpdateOutcome> {
    const view = this.requirePeer(config.address, 'peer.conf.neighbor_address');
    if (view.range !== undefined) {
      throw new ApiError('failed-precondition', `${config.address} is a dynamic neighbor of range ${view.range}: its settings are its peer group's (UpdatePeerGroup)`, 'peer.conf.neighbor_address');
    }
    const current = view.config;
    if (config.authPassword !== undefined && config.authPassword !== current.authPassword) {
      throw new ApiError('invalid-argument', 'changing the TCP MD5 key through the API is not supported by tsbgpd yet', 'peer.conf.auth_password');
    }
    const { localAs, localAddress, authPassword: _a, ...rest } = config;
    const request: PeerConfig = {
      ...rest,
      ...(localAs === undefined || (localAs === current.localAs && current.isLocalAsFromGlobal) ? {} : { localAs }),
      ...(localAddress === undefined || (current.localAddress === undefined && localAddress === normalizeRemoteAddress(view.session.localAddress)) ? {} : { localAddress }),
    };
    const parsed = checked(() => parseNeighbor(neighborTable(request), this.daemon.currentConfig, 'UpdatePeer', 'peer'));
    const next: NeighborConfig = Object.freeze({
      ...parsed,
      ...pick(current, ['authPassword', 'ttlSecurity', 'gracefulRestart', 'prefixLimits', 'adjRibInLimit', 'bfd', 'routeReflectorClient', 'isRouteServerClient', 'idleHoldTimeAfterResetSec']),
    });
    this.daemon.updateNeighbor(next);
    const isAdminDown = config.isAdminDown === true;
    if (isAdminDown && !view.isAdminDown) await this.daemon.stopPeer(next.address, '', CeaseSubcode.administrativeShutdown, true);
    else if (!isAdminDown && view.isAdminDown) this.daemon.startPeer(next.address);
    // Import policy runs again by itself wherever its outcome may change: no soft reset is ever owed.
    return { needsSoftResetIn: false };
  }

  async addPeerGroup(config: PeerGroupConfig): Promise<void> {
    if (config.authPassword !== undefined) throw new ApiError('invalid-argument', 'TCP MD5 authentication through the API is not supported by tsbgpd yet', 'peer_group.conf.auth_password');
    const group = checked(() => parsePeerGroup(peerGroupTable(config), 'AddPeerGroup', 'peer_group'));
    if (!this.daemon.addPeerGroup(group)) throw new ApiError('already-exists', `peer group ${JSON.stringify(group.name)} exists`, 'peer_group.conf.peer_group_name');
  }

  async updatePeerGroup(config: PeerGroupConfig, _isSoftResetInAsked: boolean): Promise<UpdateOutcome> {
    const current = this.daemon.currentConfig.peerGroups.find((g) => g.name === config.name);
    if (current === undefined) throw new ApiError('not-found', `no peer group ${JSON.stringify(config.name)}`, 'peer_group.conf.peer_group_name');
    if (config.authPassword !== undefined && config.authPassword !== current.settings.authPassword) {
      throw new ApiError('invalid-argument', 'changing the TCP MD5 key through the API is not supported by tsbgpd yet', 'peer_group.conf.auth_password');
    }
    const parsed = checked(() => parsePeerGroup(peerGroupTable(config), 'UpdatePeerGroup', 'peer_group'));
    // The keys a PeerGroup message cannot carry stay as they were.
    const kept = pick(current.settings, ['authPassword', 'ttlSecurity', 'gracefulRestart', 'afiSafiOptions', 'routeReflectorClient', 'isRouteServerClient', 'bfd', 'idleHoldTimeAfterResetSec']);
    const group: DaemonPeerGroup = Object.freeze({ name: parsed.name, settings: Object.freeze({ ...parsed.settings, ...kept }) });
    const inUse = this.daemon.currentConfig.dynamicNeighbors.filter((r) => r.peerGroup === group.name);
    if (group.settings.peerAs === undefined && inUse.length > 0) {
      throw new ApiError('invalid-argument', `expected a peer AS: dynamic-neighbors range ${inUse[0]!.prefixText} takes the AS of its peers from this group`, 'peer_group.conf.peer_asn');
    }
    checked(() => this.daemon.updatePeerGroup(group));
    return { needsSoftResetIn: false };
  }

  async deletePeerGroup(name: string): Promise<void> {
    const config = this.daemon.currentConfig;
    if (!config.peerGroups.some((g) => g.name === name)) throw new ApiError('not-found', `no peer group ${JSON.stringify(name)}`, 'name');
    const range = config.dynamicNeighbors.find((r) => r.peerGroup === name);
    if (range !== undefined) throw new ApiError('failed-precondition', `peer group ${JSON.stringify(name)} is used by dynamic-neighbors range ${range.prefixText}: delete the range first`, 'name');
    const members = this.daemon.peerViews().filter((v) => v.range === undefined && v.config.peerGroup === name).map((v) => v.config.address);
    if (members.length > 0) {
      throw new ApiError('failed-precondition', `peer group ${JSON.stringify(name)} has neighbors ${members.slice(0, 5).join(', ')}${members.length > 5 ? ` and ${members.length - 5} more` : ''}: delete them or move them to another group first`, 'name');
    }
    this.daemon.removePeerGroup(name);
  }

  async addDynamicNeighbor(range: DynamicNeighborStatus): Promise<void> {
    const table = { config: { prefix: formatPrefix(range.prefix), 'peer-group': range.peerGroup } };
    const parsed = checked(() => parseDynamicNeighbor(table, this.daemon.currentConfig, 'AddDynamicNeighbor', 'dynamic_neighbor'));
    if (!this.daemon.addDynamicRange(parsed)) throw new ApiError('already-exists', `a dynamic-neighbors range ${parsed.prefixText} exists`, 'dynamic_neighbor.prefix');
  }

  async deleteDynamicNeighbor(prefix: Prefix, peerGroup?: string): Promise<void> {
    const text = formatPrefix(prefix);
    const range = this.daemon.currentConfig.dynamicNeighbors.find((r) => r.prefixText === text);
    if (range === undefined) throw new ApiError('not-found', `no dynamic-neighbors range ${text}`, 'prefix');
    if (peerGroup !== undefined && peerGroup !== range.peerGroup) throw new ApiError('invalid-argument', `range ${text} is of peer group ${JSON.stringify(range.peerGroup)}, not ${JSON.stringify(peerGroup)}`, 'peer_group');
    this.daemon.removeDynamicRange(text);
  }

  async deletePeer(address: string): Promise<void> {
    const view = this.requirePeer(address);
    if (view.range !== undefined) {
      throw new ApiError('failed-precondition', `${address} is a dynamic neighbor of range ${view.range}: it goes when its session ends (shutdown or disable it, or remove the range)`, 'address');
    }
    this.daemon.removeNeighbor(address);
  }

  async resetPeer(address: string, communication: string): Promise<void> {
    await Promise.all(
      this.peersNamed(address).map(async (view) => {
        const name = view.config.address;
        const wasAdminDown = view.isAdminDown;
        await this.daemon.stopPeer(name, communication, CeaseSubcode.administrativeReset, false);
        // A dynamic session is gone once stopped (the peer connects again); a configured one restarts.
        if (view.range === undefined && !wasAdminDown && this.daemon.peerView(name) === view) this.daemon.startPeer(name);
      }),
    );
  }

  async softResetPeer(address: string, direction: SoftResetDirection): Promise<void> {
    const views = this.peersNamed(address);
    if (direction !== 'in') for (const view of views) this.daemon.resendRoutes(view.config.address);
    if (direction === 'out') return;
    // ROUTE-REFRESH (RFC 2918) where the peer offered it, else import policy run again over what it sent.
    for (const view of views) {
      const how = this.daemon.softResetIn(view.config.address);
      if (how === 'down' && address !== 'all') throw new ApiError('failed-precondition', `neighbor ${address}'s BGP session is not established`, 'address');
    }
  }

  async shutdownPeer(address: string, communication: string): Promise<void> {
    await this.stopAdminDown(address, communication);
  }

  async disablePeer(address: string, communication: string): Promise<void> {
    await this.stopAdminDown(address, communication);
  }

  async enablePeer(address: string): Promise<void> {
    this.requirePeer(address);
    this.daemon.startPeer(address);
  }

  private async stopAdminDown(address: string, communication: string): Promise<void> {
    this.requirePeer(address);
    await this.daemon.stopPeer(address, communication, CeaseSubcode.administrativeShutdown, true);
  }

  // ---- watching

  watch(options: WatchOptions, listener: (event: WatchEvent) => void): () => void {
    const w: Watcher = { options, listener };
    this.watchers = [...this.watchers, w];
    this.updateFeeds();
    return () => {
      this.watchers = this.watchers.filter((x) => x !== w);
      this.updateFeeds();
    };
  }

  /** Subscribes to the daemon's feeds some watcher needs, and drops the others. */
  private updateFeeds(): void {
    const wantsPeers = this.watchers.some((w) => w.options.peers);
    const wantsAdjIn = this.watchers.some((w) => w.options.tables.has('adj-in') || w.options.tables.has('adj-in-post-policy'));
    const wantsBest = this.watchers.some((w) => w.options.tables.has('best'));
    if (wantsPeers && this.stopPeerFeed === undefined) {
      this.stopPeerFeed = this.daemon.onPeerState((view) => this.emit({ kind: 'peer', peer: this.peerStatus(view) }));
    } else if (!wantsPeers && this.stopPeerFeed !== undefined) {
      this.stopPeerFeed();
      this.stopPeerFeed = undefined;
    }
    if (wantsAdjIn !== this.isTapSet) {
      this.daemon.setRouteTap(wantsAdjIn ? this.adjInFeed() : undefined);
      this.isTapSet = wantsAdjIn;
    }
    if (wantsBest && this.stopBestFeed === undefined) {
      this.stopBestFeed = this.daemon.rib.subscribe((changes) => this.onRibChanges(changes));
    } else if (!wantsBest && this.stopBestFeed !== undefined) {
      this.stopBestFeed();
      this.stopBestFeed = undefined;
    }
  }

  /** Hands an event to the watchers that asked for it. A failing listener must not break the update path: it is logged. */
  private emit(event: WatchEvent): void {
    for (const w of this.watchers) {
      const isWanted = event.kind === 'peer' ? w.options.peers : w.options.tables.has(event.table);
      if (!isWanted) continue;
      try {
        w.listener(event);
      } catch (e) {
        this.logger.error('api watch listener failed', { error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  /** Route events of the adj-in tables (no import policy yet: post-policy is the same). */
  private emitAdjIn(events: readonly RouteEvent[]): void {
    if (events.length === 0) return;
    this.emit({ kind: 'routes', table: 'adj-in', events });
    if (this.watchers.some((w) => w.options.tables.has('adj-in-post-policy'))) this.emit({ kind: 'routes', table: 'adj-in-post-policy', events });
  }

  private onRibChanges(changes: readonly RibChange[]): void {
    const events: RouteEvent[] = [];
    for (const c of changes) {
      const prefix = keyToPrefix(c.key);
      if (c.best === undefined) {
        if (c.previousBest !== undefined) events.push({ route: this.routeView(c.previousBest, c.family, prefix, false, false), isWithdraw: true });
        continue;
      }
      const isSet = c.multipath.length > 1;
      events.push({ route: this.routeView(c.best, c.family, prefix, true, isSet), isWithdraw: false });
      for (const r of c.multipath) if (r !== c.best) events.push({ route: this.routeView(r, c.family, prefix, false, true), isWithdraw: false });
    }
    if (events.length > 0) this.emit({ kind: 'routes', table: 'best', events });
  }

  /**
   * The sink between the route log and the RIB: each UPDATE's routes as events, a
   * withdrawal with the attributes of the route it removes (still in the RIB), and when
   * a session drops, a withdrawal for every route it had sent.
   */
  private adjInFeed(): UpdateSink {
    return {
      onEstablished: () => undefined,
      onEndOfRib: () => undefined,
      onUpdate: (info, update) => this.emitAdjIn(this.updateEvents(info, update)),
      onPeerDown: (info) => {
        let batch: RouteEvent[] = [];
        const families = new Set([ipv4Unicast, ...info.families]);
        for (const family of families) {
          this.daemon.rib.forEachAdjRibIn(info.address, family, (key, route) => {
            batch.push({ route: this.routeView(route, family, keyToPrefix(key), false, false), isWithdraw: true });
            if (batch.length >= eventsPerBatch) {
              this.emitAdjIn(batch);
              batch = [];
            }
          });
        }
        this.emitAdjIn(batch);
      },
    };
  }

  private updateEvents(info: PeerInfo, update: UpdateMessage): RouteEvent[] {
    const events: RouteEvent[] = [];
    const a = update.attributes;
    const withdraw = (family: FamilyKey, list: NlriList | undefined): void => {
      if (list === undefined) return;
      for (const { prefix, pathId } of list) events.push({ route: this.withdrawnView(info, family, prefix, pathId), isWithdraw: true });
    };
    const announce = (family: FamilyKey, list: NlriList, nextHop: Uint8Array | undefined, linkLocal: Uint8Array | undefined): void => {
      // RFC 7606 3 (d): without a next hop the RIB treats the routes as withdrawn.
      if (nextHop === undefined) return withdraw(family, list);
      for (const { prefix, pathId } of list) {
        const route: RouteView = { family, prefix, pathId, attributes: a, nextHop, source: this.peerSource(info), receivedAtMs: this.clock.wallNow(), isBest: false, isMultipath: false };
        events.push({ route: linkLocal === undefined ? route : { ...route, linkLocalNextHop: linkLocal }, isWithdraw: false });
      }
    };
    withdraw(ipv4Unicast, update.withdrawn);
    if (a.mpUnreach !== undefined) withdraw(familyKey(a.mpUnreach.afi, a.mpUnreach.safi), a.mpUnreach.withdrawn);
    const reachFamily = a.mpReach === undefined ? undefined : familyKey(a.mpReach.afi, a.mpReach.safi);
    if (update.action === ErrorAction.afiSafiDisable) {
      for (const family of update.disabledFamilies ?? (reachFamily === undefined ? [] : [reachFamily])) {
        this.daemon.rib.forEachAdjRibIn(info.address, family, (key, route) => events.push({ route: this.routeView(route, family, keyToPrefix(key), false, false), isWithdraw: true }));
      }
    }
    if (update.action === ErrorAction.treatAsWithdraw || update.action === ErrorAction.afiSafiDisable) {
      withdraw(ipv4Unicast, update.nlri);
      if (reachFamily !== undefined) withdraw(reachFamily, a.mpReach!.nlri);
      return events;
    }
    announce(ipv4Unicast, update.nlri, a.nextHop, undefined);
    if (a.mpReach !== undefined) announce(reachFamily!, a.mpReach.nlri, a.mpReach.nextHop, a.mpReach.linkLocalNextHop);
    return events;
  }

  /** The route a withdrawal removes, as the RIB still holds it; bare if it holds none. */
  private withdrawnView(info: PeerInfo, family: FamilyKey, prefix: Prefix, pathId: number): RouteView {
    const old = this.daemon.rib.entry(family, prefixKey(prefix))?.paths.find((r) => r.pathId === pathId && r.peer.address === info.address);
    if (old !== undefined) return this.routeView(old, family, prefix, false, false);
    return { family, prefix, pathId, attributes: {}, nextHop: noBytes, source: this.peerSource(info), receivedAtMs: this.clock.wallNow(), isBest: false, isMultipath: false };
  }

  private peerSource(info: PeerInfo): RouteSource {
    let s = this.sources.get(info);
    if (s === undefined) {
      s = { address: info.address, peerAs: info.peerAs, routerId: formatAddress(info.routerId), isEbgp: info.isEbgp };
      this.sources.set(info, s);
    }
    return s;
  }
}

/** The keys of `from` that are set, for keeping them across a replacement. */
function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}

/** What the peer's OPEN told, as far as the negotiation keeps it. */
function remoteCapabilities(n: NonNullable<PeerView['session']['negotiated']>): Capability[] {
  const caps: Capability[] = [...n.families].map((f) => ({ kind: 'multiprotocol', ...familyOf(f) }));
  if (n.isRouteRefresh) caps.push({ kind: 'route-refresh' });
  if (n.isEnhancedRouteRefresh) caps.push({ kind: 'enhanced-route-refresh' });
  if (n.isExtendedMessage) caps.push({ kind: 'extended-message' });
  if (n.peerGracefulRestart !== undefined) caps.push(n.peerGracefulRestart);
  // Only the families both sides listed: the negotiation keeps no more of the peer's LLGR capability.
  if (n.longLivedGracefulRestart !== undefined) caps.push({ kind: 'long-lived-graceful-restart', families: [...n.longLivedGracefulRestart].map(([f, l]) => ({ ...familyOf(f), isForwardingPreserved: l.isForwardingPreserved, staleTimeSec: l.staleTimeSec })) });
  if (n.isAs4) caps.push({ kind: 'four-octet-as', asn: n.peerAs });
  if (n.peerFqdn !== undefined) caps.push({ kind: 'fqdn', hostname: n.peerFqdn.hostname, domain: n.peerFqdn.domain });
  return caps;
}

/** An AddPeer request as a `[[neighbors]]` table of gobgpd's format, for the configuration's checks. */
function neighborTable(c: PeerConfig): Record<string, unknown> {
  const config: Record<string, unknown> = { 'neighbor-address': c.address };
  if (c.peerAs !== 0) config['peer-as'] = c.peerAs;
  if (c.localAs !== undefined) config['local-as'] = c.localAs;
  if (c.description !== undefined) config['description'] = c.description;
  if (c.peerGroup !== undefined) config['peer-group'] = c.peerGroup;
  return { config, ...sharedTables(c) };
}

/** An AddPeerGroup / UpdatePeerGroup request as a `[[peer-groups]]` table of gobgpd's format. */
function peerGroupTable(g: PeerGroupConfig): Record<string, unknown> {
  const config: Record<string, unknown> = { 'peer-group-name': g.name };
  if (g.peerAs !== undefined) config['peer-as'] = g.peerAs;
  if (g.localAs !== undefined) config['local-as'] = g.localAs;
  if (g.description !== undefined) config['description'] = g.description;
  return { config, ...sharedTables(g) };
}

/** The transport, timers, afi-safis and ebgp-multihop tables a neighbor and a group write alike. */
function sharedTables(c: PeerConfig | PeerGroupConfig): Record<string, unknown> {
  const table: Record<string, unknown> = {};
  const transport: Record<string, unknown> = {};
  if (c.localAddress !== undefined) transport['local-address'] = c.localAddress;
  if (c.isPassive !== undefined) transport['passive-mode'] = c.isPassive;
  if (c.remotePort !== undefined) transport['remote-port'] = c.remotePort;
  if (Object.keys(transport).length > 0) table['transport'] = { config: transport };
  const timers: Record<string, unknown> = {};
  if (c.holdTimeSec !== undefined) timers['hold-time'] = c.holdTimeSec;
  if (c.keepaliveSec !== undefined) timers['keepalive-interval'] = c.keepaliveSec;
  if (c.connectRetrySec !== undefined) timers['connect-retry'] = c.connectRetrySec;
  if (Object.keys(timers).length > 0) table['timers'] = { config: timers };
  if (c.families !== undefined) table['afi-safis'] = c.families.map((f) => ({ config: { 'afi-safi-name': familyName(f) } }));
  if (c.ebgpMultihopTtl !== undefined) table['ebgp-multihop'] = { config: { enabled: true, 'multihop-ttl': c.ebgpMultihopTtl } };
  return table;
}

/** Runs a configuration check; its ConfigError becomes the API's invalid-argument. */
function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof ConfigError) throw new ApiError('invalid-argument', e.message, undefined, { cause: e });
    throw e;
  }
}
