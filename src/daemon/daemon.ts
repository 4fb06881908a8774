// tsbgpd's wiring and lifecycle: one Session per configured neighbor, listeners that
// hand each accepted connection to its neighbor's session (RFC 4271 8) or, from inside a
// dynamic-neighbors range, to a passive session made for it and dropped when it ends;
// received routes into the RIB (best path and multipath), the originate routes sent to
// every established peer, configuration reload by difference, and a bounded shutdown
// with a Cease / Administrative Shutdown communication (RFC 9003). The management API
// (api-backend.ts) reads peers and tables here and changes neighbors, peer groups,
// dynamic-neighbors ranges and local routes (through the reload path).

import { hostname as osHostname } from 'node:os';
import { isIPv4, isIPv6 } from 'node:net';
import { systemClock, type Clock, type Random } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { formatAddress, parseAddress, type Prefix } from '../lib/address.js';
import { CeaseSubcode, ErrorAction } from '../wire/errors.js';
import { familyKey, familyName, type FamilyKey } from '../wire/context.js';
import { Session, type SessionConfig, type SessionState } from '../session/session.js';
import type { PeerInfo, UpdateSink } from '../rib/sink.js';
import { Rib } from '../rib/rib.js';
import { listen, type Listener } from '../session/listener.js';
import { tcpConnector, type Connector, type Transport } from '../session/transport.js';
import { defaultLocalAddressList, dynamicNeighborConfig, regroupNeighbor, type DaemonConfig, type DynamicNeighborConfig, type GlobalConfig, type MultipathConfig, type NeighborConfig, type OriginateRoute, type PeerGroupConfig } from './config.js';
import { RouteLogSink } from './route-log.js';
import { PolicyWiring } from './policy-wiring.js';
import type { DaemonPolicy } from './policy-config.js';
import { logRibChanges, TeeSink } from './rib-log.js';
import { MrtDumper } from './mrt-dump.js';
import { deferralPeerOf, GracefulRestartHelper, longLivedOffer, RestartingSpeaker } from './graceful-restart.js';
import { attrsMayGo, changesFor, isReflectionLoop, learnedRoutes, nlriOf, pathChangesFor, sentKey, type PeerChanges, type PropagationTarget, type Reflection } from './propagate.js';
import type { AttrSet } from '../rib/attr-store.js';
import { addPathModes, withAddPathSend } from './add-path-config.js';
import type { Nlri } from '../wire/nlri.js';
import type { UpdateMessage } from '../wire/update.js';
import { maxPrefixesData, PrefixLimitGuard, type PrefixLimitExceeded } from './prefix-limit.js';
import { AdjRibInLimitGuard, type AdjRibInCapExceeded } from './adj-rib-in-limit.js';
import { defaultAdjRibInLimit } from './adj-rib-in-limit-config.js';
import { PeerHoldDown } from './peer-hold.js';
import { TcpSecurityWiring } from './tcp-security.js';
import { announceUpdates, endOfRibUpdates, ipv4Unicast, localRibAttributes, mergeLocalRoutes, routesForPeer, unmapAddress, UpdateSender, withdrawUpdates, type LocalRoute, type PeerRoute } from './originate.js';

export interface DaemonOptions {
  readonly logger: Logger;
  /** RFC 9003 communication sent with the Cease at shutdown. */
  readonly shutdownMessage?: string;
  /** Longest wait for peers to take their Cease at shutdown. */
  readonly shutdownTimeoutMs?: number;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly connect?: Connector;
  /** Host name for the FQDN capability; the machine's by default. */
  readonly hostname?: string;
}

/** What a reload changed, as logged in `config reloaded`. */
export interface ReloadSummary {
  /** Neighbors and originate routes added. */
  readonly added: number;
  /** Neighbors and originate routes removed. */
  readonly removed: number;
  readonly neighborsAdded: number;
  readonly neighborsRemoved: number;
  readonly neighborsRestarted: number;
  readonly routesAdded: number;
  readonly routesRemoved: number;
  readonly routesChanged: number;
  readonly peerGroupsAdded: number;
  readonly peerGroupsRemoved: number;
  /** Groups whose settings changed: their neighbors' sessions restart. */
  readonly peerGroupsChanged: number;
  /** dynamic-neighbors ranges added, removed, or given another group. */
  readonly dynamicNeighborsAdded: number;
  readonly dynamicNeighborsRemoved: number;
  readonly dynamicNeighborsChanged: number;
  /** Dynamic sessions stopped with Cease / Peer De-configured: no range holds them any more. */
  readonly dynamicSessionsRemoved: number;
  /** Dynamic sessions stopped with Cease / Other Configuration Change: their settings changed (the peer reconnects). */
  readonly dynamicSessionsReset: number;
  /** global.config keys (and use-multiple-paths) that changed; they take effect only after a restart. */
  readonly globalNeedsRestart: readonly string[];
}

export const defaultShutdownMessage = 'tsbgpd shutting down';
export const defaultShutdownTimeoutMs = 3000;

/** A route as announced to one peer. */
export type SentRoute = PeerRoute;

/** What the daemon records of a peer's session for the API, O(1) per event. */
export interface PeerStats {
  /** Wall-clock ms when the session last reached / left Established. */
  upSinceMs?: number;
  downSinceMs?: number;
  /** Times the session left Established. */
  flops: number;
  updatesReceived: number;
  updatesSent: number;
  /** Routes announced on the current session, per family. */
  readonly advertised: Map<FamilyKey, number>;
}

interface Peer {
  config: NeighborConfig;
  readonly session: Session;
  readonly sender: UpdateSender;
  /** What we announced on the current Established session, by prefix (and path identifier with ADD-PATH: sentKey). */
  readonly sent: Map<string, SentRoute>;
  /** End-of-RIB went out on the current Established session. */
  sentEndOfRib: boolean;
  /** For a session accepted under a dynamic-neighbors range: that range's prefix. */
  readonly range?: string;
  readonly stats: PeerStats;
  /** Stopped by an operator (API shutdown/disable): stays down, refuses connections. */
  isAdminDown: boolean;
}

/** A neighbor's session as the API sees it. */
export interface PeerView {
  readonly config: NeighborConfig;
  readonly session: Session;
  readonly sender: { readonly pending: number };
  readonly sent: ReadonlyMap<string, SentRoute>;
  readonly range?: string;
  readonly stats: Readonly<PeerStats>;
  readonly isAdminDown: boolean;
}

export type PeerStateListener = (peer: PeerView, state: SessionState, previous: SessionState, reason: string) => void;

/** A session accepted under a dynamic-neighbors range, as `dynamicSessions` lists it. */
export interface DynamicPeerView {
  readonly address: string;
  readonly range: string;
  readonly peerGroup: string;
  readonly state: string;
}

/** The address text of an accepted connection, IPv4-mapped IPv6 unmapped, IPv6 canonical. */
export function normalizeRemoteAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const plain = unmapAddress(address);
  if (isIPv4(plain)) return plain;
  if (isIPv6(plain)) return formatAddress(parseAddress(plain));
  return undefined;
}

/** The global keys that differ: global.config's, and use-multiple-paths (the RIB's). */
function globalChanges(a: DaemonConfig, b: DaemonConfig): string[] {
  const changed: string[] = [];
  if (a.global.as !== b.global.as) changed.push('as');
  if (a.global.routerId !== b.global.routerId) changed.push('router-id');
  if (a.global.port !== b.global.port) changed.push('port');
  if (a.global.localAddressList.join(',') !== b.global.localAddressList.join(',')) changed.push('local-address-list');
  if (JSON.stringify(a.useMultiplePaths) !== JSON.stringify(b.useMultiplePaths)) changed.push('use-multiple-paths');
  return changed;
}

/** Settings whose change needs a new session (the description and the group's name do not). */
function sessionSettings(n: NeighborConfig): string {
  // The memory cap applies from the next UPDATE: changing it needs no new session.
  return JSON.stringify({ ...n, description: '', peerGroup: undefined, adjRibInLimit: undefined });
}

/** Names (or prefixes) added, removed, and present in both with another signature. */
function keyedDifference<T>(before: readonly T[], after: readonly T[], keyOf: (t: T) => string, signature: (t: T) => string): { added: number; removed: number; changed: number } {
  const a = new Map(before.map((t) => [keyOf(t), signature(t)]));
  const b = new Map(after.map((t) => [keyOf(t), signature(t)]));
  return {
    added: [...b.keys()].filter((k) => !a.has(k)).length,
    removed: [...a.keys()].filter((k) => !b.has(k)).length,
    changed: [...b].filter(([k, sig]) => a.has(k) && a.get(k) !== sig).length,
  };
}

/** The RIB's multipath limits; undefined (multipath off) unless enabled. */
function ribMultipath(m: MultipathConfig): { ebgpMaximumPaths: number; ibgpMaximumPaths: number; allowMultipleAs: boolean } | undefined {
  return m.isEnabled ? { ebgpMaximumPaths: m.ebgpMaximumPaths, ibgpMaximumPaths: m.ibgpMaximumPaths, allowMultipleAs: m.allowMultipleAs } : undefined;
}

function routeSignature(r: OriginateRoute): string {
  return JSON.stringify([r.nextHop ?? null, r.origin, r.med ?? null, r.communities]);
}

export class Daemon {
  private config: DaemonConfig;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly connect: Connector;
  /** MD5 keys and TTL options of sessions, listeners and accepted connections. */
  private readonly tcpSecurity: TcpSecurityWiring;
  private readonly hostname: string;
  private readonly shutdownMessage: string;
  private readonly shutdownTimeoutMs: number;
  /** Sessions of configured neighbors, by address. */
  private readonly peers = new Map<string, Peer>();
  /** Sessions accepted under dynamic-neighbors ranges, by address; a configured neighbor of the same address wins. */
  private readonly dynamicPeers = new Map<string, Peer>();
  /** Each peer's PropagationTarget for its current session and settings. */
  private readonly targets = new WeakMap<Peer, { readonly negotiated: object; readonly config: NeighborConfig; readonly info: PeerInfo; readonly target: PropagationTarget }>();
  private listeners: Listener[] = [];
  private stopping: Promise<void> | undefined;
  /** Counts and logs (debug) what peers send. */
  readonly sink: RouteLogSink;
  /** Every received route: Adj-RIBs-In, Loc-RIB best paths and multipath sets. */
  readonly rib: Rib;
  /** What sessions hand their routes to: the route log, the tap, then the RIB. */
  private readonly routes: UpdateSink;
  /** Each peer's import policy (into the RIB) and export policy (on what we announce). */
  private readonly policy: PolicyWiring;
  /** Sees every session's routes before the RIB does (the API's adj-in feed). */
  private tap: UpdateSink | undefined;
  private peerStateListeners: PeerStateListener[] = [];
  /** Neighbors added through the API; a reload keeps them unless the file names the address. */
  private readonly apiNeighbors = new Map<string, NeighborConfig>();
  /** Peer groups added (or changed) through the API; a reload keeps them unless the file defines the name. */
  private readonly apiPeerGroups = new Map<string, PeerGroupConfig>();
  /** dynamic-neighbors ranges added through the API, by prefix; kept across reloads likewise. */
  private readonly apiRanges = new Map<string, DynamicNeighborConfig>();
  /** Routes added through the API, by prefix. */
  private readonly apiRoutes = new Map<string, LocalRoute>();
  /** The originate list in force: the configuration's and the API's. */
  private local: readonly LocalRoute[] = [];
  /** Keeps restarting peers' routes stale (RFC 4724 4.2). */
  readonly gracefulRestart: GracefulRestartHelper;
  /** After tsbgpd -r: R and F bits in our first OPENs, advertisements deferred (RFC 4724 4.1). */
  readonly restartingSpeaker: RestartingSpeaker;
  /** Max-prefix limits, checked before the RIB stores an UPDATE. */
  private readonly prefixLimits: PrefixLimitGuard;
  /** Adj-RIB-In memory caps, checked next; peers over either limit share one hold-down. */
  private readonly adjRibInLimits: AdjRibInLimitGuard;
  /** `[[mrt-dump]]`: table dumps of the Loc-RIB and update dumps (mrt-dump.ts); started by start(). */
  private readonly mrtDump: MrtDumper | undefined;

  constructor(config: DaemonConfig, options: DaemonOptions) {
    this.config = config;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.connect = options.connect ?? tcpConnector;
    this.tcpSecurity = new TcpSecurityWiring(options.logger);
    this.hostname = options.hostname ?? osHostname();
    this.shutdownMessage = options.shutdownMessage ?? defaultShutdownMessage;
    this.shutdownTimeoutMs = options.shutdownTimeoutMs ?? defaultShutdownTimeoutMs;
    this.sink = new RouteLogSink(this.logger);
    const multipath = ribMultipath(config.useMultiplePaths);
    this.policy = new PolicyWiring(() => this.config, (address) => this.policyPeer(address), this.logger);
    this.rib = new Rib({ clock: this.clock, routerId: config.global.routerId, localAs: config.global.as, importPolicy: this.policy.importPolicyOf, ...(multipath === undefined ? {} : { multipath }) });
    logRibChanges(this.rib, this.logger);
    this.rib.subscribe((changes) =>
      this.propagate(
        (target, sent, own, reflection) => changesFor(changes, target, sent, own, reflection),
        (target) => {
          const cache = new Map<AttrSet, boolean>();
          return changes.some((c) => c.best !== undefined && target.families.has(c.family) && attrsMayGo(c.best.attrs, target, cache));
        },
      ),
    );
    // Every path's change matters only to sessions that send several paths (RFC 7911).
    const isAddPathSent = (): boolean => this.allPeers().some((p) => (p.session.negotiated?.tx.addPath.size ?? 0) > 0);
    this.rib.subscribePaths((changes) => this.propagate((target, sent, own, reflection) => pathChangesFor(this.rib, changes, target, sent, own, reflection)), isAddPathSent);
    const tap: UpdateSink = {
      onEstablished: (info) => this.tap?.onEstablished(info),
      onUpdate: (info, update) => this.tap?.onUpdate(info, update),
      onEndOfRib: (info, family) => this.tap?.onEndOfRib(info, family),
      onPeerDown: (info, reason) => this.tap?.onPeerDown(info, reason),
    };
    this.mrtDump = config.mrtDump === undefined ? undefined : new MrtDumper(config.mrtDump, { rib: this.rib, clock: this.clock, logger: this.logger, localAs: config.global.as, routerId: config.global.routerId });
    this.routes = this.mrtDump === undefined ? new TeeSink(this.sink, tap, this.rib) : new TeeSink(this.sink, tap, this.mrtDump, this.rib);
    this.gracefulRestart = new GracefulRestartHelper({ clock: this.clock, logger: this.logger, rib: this.rib, drop: (info, reason) => this.routes.onPeerDown(info, reason) });
    this.restartingSpeaker = new RestartingSpeaker({ clock: this.clock, logger: this.logger, peers: () => [...this.peers.values()].map((p) => deferralPeerOf(p, this.rib)), resume: () => {
        for (const p of this.allPeers()) if (p.session.state === 'Established' && !p.sentEndOfRib) this.syncRoutes(p);
      },
    });
    const holds = new PeerHoldDown({ clock: this.clock, logger: this.logger });
    this.prefixLimits = new PrefixLimitGuard({ clock: this.clock, logger: this.logger, rib: this.rib, holds });
    this.adjRibInLimits = new AdjRibInLimitGuard({ logger: this.logger, rib: this.rib, holds });
  }

  /** Sets the sink that sees every session's routes just before the RIB (so it can still read what a withdrawal removes). */
  setRouteTap(sink: UpdateSink | undefined): void {
    this.tap = sink;
  }

  /** Calls `fn` on every session state change of every neighbor; returns its removal. */
  onPeerState(fn: PeerStateListener): () => void {
    this.peerStateListeners = [...this.peerStateListeners, fn];
    return () => {
      this.peerStateListeners = this.peerStateListeners.filter((l) => l !== fn);
    };
  }

  /** Every neighbor: configured ones, then dynamic ones. */
  peerViews(): PeerView[] {
    return this.allPeers();
  }

  peerView(address: string): PeerView | undefined {
    return this.peers.get(address) ?? this.dynamicPeers.get(address);
  }

  /** The routes this speaker originates, from the configuration and the API. */
  get localRoutes(): readonly LocalRoute[] {
    return this.local;
  }

  /** Adds (or replaces) an API route: into the RIB, and announced to every established peer. */
  addApiRoute(route: LocalRoute): void {
    this.apiRoutes.set(route.prefixText, route);
    this.setLocalRoutes(mergeLocalRoutes(this.config.originate, this.apiRoutes));
  }

  /** Removes API routes; the configuration's route of the same prefix, if any, comes back. */
  removeApiRoutes(prefixTexts: Iterable<string>): void {
    for (const p of prefixTexts) this.apiRoutes.delete(p);
    this.setLocalRoutes(mergeLocalRoutes(this.config.originate, this.apiRoutes));
  }

  /**
   * Stops a neighbor's session with a Cease of `subcode` and the communication. With
   * `isAdminDown` it stays down (a dynamic neighbor too: its reconnections are refused)
   * until `startPeer`. Resolves when the session is closed; undefined if there is no
   * such neighbor.
   */
  stopPeer(address: string, communication: string, subcode: number, isAdminDown: boolean): Promise<void> | undefined {
    const peer = this.peers.get(address) ?? this.dynamicPeers.get(address);
    if (peer === undefined) return undefined;
    if (isAdminDown) peer.isAdminDown = true;
    return peer.session.stop(communication, subcode);
  }

  /** Starts (again) a neighbor's session; a dynamic one waits for the peer to connect. */
  startPeer(address: string): boolean {
    const peer = this.peers.get(address) ?? this.dynamicPeers.get(address);
    if (peer === undefined) return false;
    peer.isAdminDown = false;
    this.prefixLimits.release(address);
    if (this.stopping === undefined) peer.session.start();
    return true;
  }

  /** Sends an established peer everything it has from us again (soft reset out). */
  resendRoutes(address: string): boolean {
    const peer = this.peers.get(address) ?? this.dynamicPeers.get(address);
    if (peer === undefined) return false;
    if (peer.session.state !== 'Established') return true;
    peer.sender.clear();
    peer.sent.clear();
    this.syncRoutes(peer);
    return true;
  }

  /**
   * Soft reset in: asks the peer for its routes again with ROUTE-REFRESH (RFC 2918) per
   * family (or `family` only) when it offered Route Refresh, else runs import policy
   * again over its Adj-RIB-In as received. Undefined when there is no such neighbor;
   * 'down' when its session is not Established.
   */
  softResetIn(address: string, family?: FamilyKey): 'route-refresh' | 'reapplied' | 'down' | undefined {
    const peer = this.peers.get(address) ?? this.dynamicPeers.get(address);
    if (peer === undefined) return undefined;
    const info = peer.session.peerInfo;
    if (peer.session.state !== 'Established' || info === undefined) return 'down';
    if (peer.session.negotiated?.isRouteRefresh === true) {
      const families = family !== undefined ? [family] : info.families.size > 0 ? [...info.families] : [ipv4Unicast];
      for (const f of families) peer.session.sendRouteRefresh(f >> 8, f & 0xff);
      this.logger.info('soft reset in', { peer: address, how: 'route-refresh', families: families.map(familyName).join(',') });
      return 'route-refresh';
    }
    const changed = this.rib.reapplyImport(address);
    this.logger.info('soft reset in', { peer: address, how: 'import policy re-run', changed });
    return 'reapplied';
  }

  /** Adds a configured neighbor at runtime (kept across reloads); false if the address has one. */
  addNeighbor(n: NeighborConfig, isAdminDown = false): boolean {
    if (this.peers.has(n.address)) return false;
    this.apiNeighbors.set(n.address, n);
    this.syncTcpKeys();
    const dynamic = this.dynamicPeers.get(n.address);
    if (dynamic !== undefined) this.dropDynamic(dynamic, 'now a configured neighbor', CeaseSubcode.otherConfigurationChange);
    const peer = this.addPeer(n);
    peer.isAdminDown = isAdminDown;
    if (!isAdminDown && this.stopping === undefined) peer.session.start();
    return true;
  }

  /** Removes a configured neighbor (Cease / Peer De-configured); false if there is none. */
  removeNeighbor(address: string): boolean {
    const peer = this.peers.get(address);
    if (peer === undefined) return false;
    this.apiNeighbors.delete(address);
    this.peers.delete(address);
    // Gone from the configuration in force too, so that a later change does not bring it back (a reload of the file does).
    if (this.config.neighbors.some((n) => n.address === address)) this.config = Object.freeze({ ...this.config, neighbors: this.config.neighbors.filter((n) => n.address !== address) });
    this.syncTcpKeys();
    this.prefixLimits.release(address);
    this.gracefulRestart.forget(address, 'neighbor removed');
    void peer.session.stop('', CeaseSubcode.peerDeconfigured);
    return true;
  }

  /**
   * Puts a routing policy in force at once (the API's changes): exports brought in line
   * on every established session, import policies run again where they changed. A
   * reload replaces it with the file's.
   */
  setPolicy(policy: DaemonPolicy): void {
    this.config = Object.freeze({ ...this.config, policy });
    for (const peer of this.allPeers()) if (peer.session.state === 'Established') this.syncRoutes(peer);
    this.policy.reapplyImports(this.rib);
  }

  /** The configuration in force (global settings stay those of the start). */
  get currentConfig(): DaemonConfig {
    return this.config;
  }

  /** Where the daemon listens, as bound. */
  get listenAddresses(): { readonly address: string; readonly port: number }[] {
    return this.listeners.map((l) => l.address());
  }

  /** The session of a neighbor (configured or dynamic), by its address. */
  sessionOf(address: string): Session | undefined {
    return (this.peers.get(address) ?? this.dynamicPeers.get(address))?.session;
  }

  /** Sessions accepted under dynamic-neighbors ranges, in the order they came. */
  get dynamicSessions(): DynamicPeerView[] {
    return [...this.dynamicPeers.values()].map((p) => ({ address: p.config.address, range: p.range ?? '', peerGroup: p.config.peerGroup ?? '', state: p.session.state }));
  }

  /**
   * Listens (unless port is -1), then starts every session. Rejects, with nothing left
   * running, if a configured address cannot be bound.
   */
  async start(): Promise<void> {
    this.tcpSecurity.check(this.config);
    await this.openListeners();
    this.mrtDump?.start();
    for (const l of this.listeners) this.tcpSecurity.addListener(l);
    this.syncTcpKeys();
    this.setLocalRoutes(mergeLocalRoutes(this.config.originate, this.apiRoutes));
    for (const n of this.config.neighbors) this.addPeer(n).session.start();
    const g = this.config.global;
    this.logger.info('tsbgpd started', {
      as: g.as,
      routerId: g.routerId,
      listen: this.listenAddresses.map((a) => (a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`)),
      neighbors: this.config.neighbors.length,
      dynamicNeighbors: this.config.dynamicNeighbors.map((r) => `${r.prefixText} ${r.peerGroup}`),
      multipath: this.config.useMultiplePaths.isEnabled ? this.config.useMultiplePaths.ebgpMaximumPaths : 1,
      originate: this.config.originate.length,
    });
  }

  /**
   * Stops every session with a Cease / Administrative Shutdown carrying `communication`,
   * closes the listeners, and resolves when all is closed or the shutdown timeout passed.
   */
  stop(communication: string = this.shutdownMessage): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    this.prefixLimits.close();
    this.gracefulRestart.close('shutting down');
    this.restartingSpeaker.close();
    const work = Promise.all([
      ...[...this.peers.values(), ...this.dynamicPeers.values()].map((p) => p.session.stop(communication, CeaseSubcode.administrativeShutdown)),
      ...this.listeners.map((l) => l.close().catch(() => undefined)),
    ]).then(() => undefined);
    this.listeners = [];
    let cancel = (): void => {};
    const timeout = new Promise<void>((resolve) => {
      cancel = this.clock.after(this.shutdownTimeoutMs, () => {
        this.logger.warn('shutdown timeout', { afterMs: this.shutdownTimeoutMs });
        resolve();
      });
    });
    this.stopping = Promise.race([work, timeout])
      .finally(cancel)
      .then(() => this.mrtDump?.close());
    return this.stopping;
  }

  /**
   * Applies a new configuration by difference: neighbors added, removed (Cease / Peer
   * De-configured) or restarted when their settings (their group's included) changed
   * (Cease / Other Configuration Change); dynamic sessions whose range is gone stopped
   * with Peer De-configured, those whose settings changed with Other Configuration
   * Change (the peer reconnects and gets the new ones); originate routes announced,
   * withdrawn or re-announced on every established session. global.config and
   * use-multiple-paths changes need a restart: they are logged and not applied.
   */
  reload(next: DaemonConfig): ReloadSummary {
    // Groups and ranges added through the API stay, unless the file now defines the name or prefix.
    for (const g of next.peerGroups) this.apiPeerGroups.delete(g.name);
    for (const r of next.dynamicNeighbors) this.apiRanges.delete(r.prefixText);
    const peerGroups = [...next.peerGroups, ...this.apiPeerGroups.values()];
    const dynamicNeighbors = [...next.dynamicNeighbors, ...[...this.apiRanges.values()].filter((r) => peerGroups.some((g) => g.name === r.peerGroup))];
    const isApiKept = peerGroups.length > next.peerGroups.length || dynamicNeighbors.length > next.dynamicNeighbors.length;
    const summary = this.apply(isApiKept ? Object.freeze({ ...next, peerGroups, dynamicNeighbors }) : next, true);
    this.logger.info('config reloaded', { ...summary, globalNeedsRestart: summary.globalNeedsRestart.join(',') });
    return summary;
  }

  /**
   * Adds a peer group at runtime (kept across reloads unless the file defines the
   * name); false if the name is taken. Neighbors and ranges may name it from now on.
   */
  addPeerGroup(group: PeerGroupConfig): boolean {
    if (this.config.peerGroups.some((g) => g.name === group.name)) return false;
    this.apiPeerGroups.set(group.name, group);
    this.apply(Object.freeze({ ...this.config, peerGroups: [...this.config.peerGroups, group] }), false);
    this.logger.info('peer group added', { peerGroup: group.name });
    return true;
  }

  /**
   * Replaces a group's settings: its configured neighbors get them under their own keys
   * and restart if their session settings changed; its dynamic sessions end with Cease /
   * Other Configuration Change (the peers reconnect and get them). Undefined if there is
   * no such group; throws ConfigError (nothing changed) if a member would not hold together.
   */
  updatePeerGroup(group: PeerGroupConfig): ReloadSummary | undefined {
    if (!this.config.peerGroups.some((g) => g.name === group.name)) return undefined;
    const regroup = (n: NeighborConfig): NeighborConfig => {
      if (n.peerGroup !== group.name) return n;
      const next = regroupNeighbor(n, group, this.config.global, 'UpdatePeerGroup');
      if (next === undefined) this.logger.warn('peer group change not applied to neighbor', { peer: n.address, peerGroup: group.name, reason: 'its own settings are not known since a reload kept the global settings; reload again to apply' });
      return next ?? n;
    };
    // Every member is checked before anything changes.
    const neighbors = this.config.neighbors.map(regroup);
    const apiNeighbors = [...this.apiNeighbors.values()].map(regroup);
    this.apiPeerGroups.set(group.name, group);
    for (const n of apiNeighbors) this.apiNeighbors.set(n.address, n);
    const summary = this.apply(Object.freeze({ ...this.config, neighbors, peerGroups: this.config.peerGroups.map((g) => (g.name === group.name ? group : g)) }), false);
    this.logger.info('peer group updated', { peerGroup: group.name, neighborsRestarted: summary.neighborsRestarted, dynamicSessionsReset: summary.dynamicSessionsReset });
    return summary;
  }

  /** Removes a peer group nothing uses any more (the caller checks); false if there is none. */
  removePeerGroup(name: string): boolean {
    if (!this.config.peerGroups.some((g) => g.name === name)) return false;
    this.apiPeerGroups.delete(name);
    this.apply(Object.freeze({ ...this.config, peerGroups: this.config.peerGroups.filter((g) => g.name !== name) }), false);
    this.logger.info('peer group removed', { peerGroup: name });
    return true;
  }

  /** Adds a dynamic-neighbors range: connections from it are accepted at once. False if the prefix has one. */
  addDynamicRange(range: DynamicNeighborConfig): boolean {
    if (this.config.dynamicNeighbors.some((r) => r.prefixText === range.prefixText)) return false;
    this.apiRanges.set(range.prefixText, range);
    // Sessions of a shorter range that the new one now holds are reset onto it.
    const summary = this.apply(Object.freeze({ ...this.config, dynamicNeighbors: [...this.config.dynamicNeighbors, range] }), false);
    this.logger.info('dynamic neighbors range added', { range: range.prefixText, peerGroup: range.peerGroup, dynamicSessionsReset: summary.dynamicSessionsReset });
    return true;
  }

  /** Removes a range; its sessions end with Cease / Peer De-configured. Undefined if there is none. */
  removeDynamicRange(prefixText: string): ReloadSummary | undefined {
    if (!this.config.dynamicNeighbors.some((r) => r.prefixText === prefixText)) return undefined;
    this.apiRanges.delete(prefixText);
    const summary = this.apply(Object.freeze({ ...this.config, dynamicNeighbors: this.config.dynamicNeighbors.filter((r) => r.prefixText !== prefixText) }), false);
    this.logger.info('dynamic neighbors range removed', { range: prefixText, dynamicSessionsRemoved: summary.dynamicSessionsRemoved, dynamicSessionsReset: summary.dynamicSessionsReset });
    return summary;
  }

  /**
   * Puts new settings in place of a configured neighbor's: its session restarts (Cease /
   * Other Configuration Change) when a session setting changed. A neighbor of the file
   * keeps them until the next reload. Undefined if there is no such configured neighbor.
   */
  updateNeighbor(n: NeighborConfig): ReloadSummary | undefined {
    if (!this.peers.has(n.address)) return undefined;
    const isApi = this.apiNeighbors.has(n.address);
    if (isApi) this.apiNeighbors.set(n.address, n);
    const neighbors = isApi ? this.config.neighbors : this.config.neighbors.map((x) => (x.address === n.address ? n : x));
    const summary = this.apply(Object.freeze({ ...this.config, neighbors }), true);
    this.logger.info('neighbor updated', { peer: n.address, isRestarted: summary.neighborsRestarted > 0 });
    return summary;
  }

  /**
   * The difference between the configuration in force and `next` put in force (see
   * reload). `isResync`: bring what every established peer has from us in line (a file
   * may change routes and policies; a group or range change does not).
   */
  private apply(next: DaemonConfig, isResync: boolean): ReloadSummary {
    const old = this.config;
    const needsRestart = globalChanges(old, next);
    if (needsRestart.length > 0) {
      this.logger.warn('config reload: global settings need a restart', { changed: needsRestart.join(','), kept: `as=${old.global.as} router-id=${old.global.routerId} port=${old.global.port}` });
    }
    const effective: DaemonConfig = needsRestart.length === 0 ? next : keepGlobal(next, old);
    this.config = effective;

    let neighborsAdded = 0;
    let neighborsRemoved = 0;
    let neighborsRestarted = 0;
    const fresh = new Set<string>();
    // Neighbors added through the API stay, unless the file now configures the address.
    for (const n of effective.neighbors) this.apiNeighbors.delete(n.address);
    const neighbors = [...effective.neighbors, ...this.apiNeighbors.values()];
    this.tcpSecurity.sync(effective, neighbors);
    const wanted = new Map(neighbors.map((n) => [n.address, n]));
    for (const [address, peer] of [...this.peers]) {
      const n = wanted.get(address);
      if (n === undefined) {
        neighborsRemoved++;
        this.peers.delete(address);
        void peer.session.stop('', CeaseSubcode.peerDeconfigured);
      } else if (sessionSettings(n) !== sessionSettings(peer.config)) {
        neighborsRestarted++;
        fresh.add(address);
        const replacement = this.addPeer(n);
        // A neighbor shut down through the API stays down with its new settings.
        replacement.isAdminDown = peer.isAdminDown;
        void peer.session.stop('', CeaseSubcode.otherConfigurationChange).then(() => {
          if (this.stopping === undefined && this.peers.get(address) === replacement && !replacement.isAdminDown) replacement.session.start();
        });
      } else {
        peer.config = n;
      }
    }
    // Before the new static neighbors start: a dynamic session at their address gives way.
    let dynamicSessionsRemoved = 0;
    let dynamicSessionsReset = 0;
    const ranges = new Set(effective.dynamicNeighbors.map((r) => r.prefixText));
    for (const [address, peer] of [...this.dynamicPeers]) {
      const d = dynamicNeighborConfig(effective, address);
      if (wanted.has(address)) {
        dynamicSessionsReset++;
        this.dropDynamic(peer, 'now a configured neighbor', CeaseSubcode.otherConfigurationChange);
      } else if (d === undefined || !ranges.has(peer.range ?? '')) {
        dynamicSessionsRemoved++;
        this.dropDynamic(peer, 'its dynamic-neighbors range was removed', CeaseSubcode.peerDeconfigured);
      } else if (d.range.prefixText !== peer.range || sessionSettings(d.neighbor) !== sessionSettings(peer.config)) {
        // A longer range added over it, or its group's settings changed.
        dynamicSessionsReset++;
        this.dropDynamic(peer, 'its range or peer group changed', CeaseSubcode.otherConfigurationChange);
      } else {
        peer.config = d.neighbor;
      }
    }
    for (const n of neighbors) {
      if (this.peers.has(n.address)) continue;
      neighborsAdded++;
      fresh.add(n.address);
      this.addPeer(n).session.start();
    }
    const groups = keyedDifference(old.peerGroups, effective.peerGroups, (g) => g.name, (g) => JSON.stringify(g.settings));
    const rangeChanges = keyedDifference(old.dynamicNeighbors, effective.dynamicNeighbors, (r) => r.prefixText, (r) => r.peerGroup);

    const before = new Map(old.originate.map((r) => [r.prefixText, routeSignature(r)]));
    const after = new Map(effective.originate.map((r) => [r.prefixText, routeSignature(r)]));
    const routesAdded = [...after.keys()].filter((p) => !before.has(p)).length;
    const routesRemoved = [...before.keys()].filter((p) => !after.has(p)).length;
    const routesChanged = [...after].filter(([p, sig]) => before.has(p) && before.get(p) !== sig).length;
    if (isResync) {
      this.updateLocalRib(mergeLocalRoutes(effective.originate, this.apiRoutes));
      for (const [address, peer] of this.peers) {
        if (!fresh.has(address) && peer.session.state === 'Established') this.syncRoutes(peer);
      }
      for (const peer of this.dynamicPeers.values()) if (peer.session.state === 'Established') this.syncRoutes(peer);
      // Export policies took effect in the syncs above; import policies re-run over what peers sent.
      this.policy.reapplyImports(this.rib);
    }

    const summary: ReloadSummary = {
      added: neighborsAdded + routesAdded + groups.added + rangeChanges.added,
      removed: neighborsRemoved + routesRemoved + groups.removed + rangeChanges.removed,
      neighborsAdded,
      neighborsRemoved,
      neighborsRestarted,
      routesAdded,
      routesRemoved,
      routesChanged,
      peerGroupsAdded: groups.added,
      peerGroupsRemoved: groups.removed,
      peerGroupsChanged: groups.changed,
      dynamicNeighborsAdded: rangeChanges.added,
      dynamicNeighborsRemoved: rangeChanges.removed,
      dynamicNeighborsChanged: rangeChanges.changed,
      dynamicSessionsRemoved,
      dynamicSessionsReset,
      globalNeedsRestart: needsRestart,
    };
    return summary;
  }

  /** A session for a configured neighbor, or (with `range`) for a dynamic one. */
  private addPeer(n: NeighborConfig, range?: string): Peer {
    const connect: Connector = this.tcpSecurity.connectorFor(n, this.connect);
    // The session tells its sink of Established once the peer's details are set: the
    // moment to announce. Routes received go on to the route log and the RIB.
    const routes = this.routes;
    const sink: UpdateSink = {
      onEstablished: (info) => {
        routes.onEstablished(info);
        const negotiated = session.negotiated;
        if (negotiated !== undefined) this.gracefulRestart.onEstablished(info, negotiated, peer.config.gracefulRestart);
        this.restartingSpeaker.onEstablished(info.address, session.config);
        this.syncRoutes(peer);
      },
      onUpdate: (info, update) => {
        peer.stats.updatesReceived++;
        const exceeded = this.prefixLimits.check(info, peer.config.prefixLimits, update);
        if (exceeded !== undefined) return this.stopOverLimit(peer, exceeded);
        const overCap = this.adjRibInLimits.check(info, peer.config.adjRibInLimit ?? defaultAdjRibInLimit, update);
        if (overCap !== undefined) return this.stopOverMemoryCap(peer, overCap);
        routes.onUpdate(info, this.withoutReflectionLoop(info, update));
      },
      onEndOfRib: (info, family) => {
        routes.onEndOfRib(info, family);
        this.gracefulRestart.onEndOfRib(info, family);
        this.restartingSpeaker.check();
      },
      onPeerDown: (info, reason) => {
        peer.sender.clear();
        peer.sent.clear();
        peer.stats.advertised.clear();
        peer.sentEndOfRib = false;
        this.prefixLimits.onPeerDown(info.address);
        if (!this.gracefulRestart.onPeerDown(info, session.lastDownEvent, reason)) routes.onPeerDown(info, reason);
      },
    };
    const session = new Session(this.sessionConfig(n), { clock: this.clock, random: this.random, logger: this.logger, sink, connect });
    const channel = {
      sendUpdate: (m: Parameters<Session['sendUpdate']>[0]): boolean => {
        peer.stats.updatesSent++;
        return session.sendUpdate(m);
      },
      onDrain: (fn: () => void): void => session.onDrain(fn),
    };
    session.onRouteRefresh((msg) => this.onRouteRefresh(peer, familyKey(msg.afi, msg.safi)));
    const stats: PeerStats = { flops: 0, updatesReceived: 0, updatesSent: 0, advertised: new Map() };
    const peer: Peer = { config: n, session, sender: new UpdateSender(channel), sent: new Map(), sentEndOfRib: false, ...(range === undefined ? {} : { range }), stats, isAdminDown: false };
    session.onState((state, previous, reason) => {
      if (state === 'Established') stats.upSinceMs = this.clock.wallNow();
      if (previous === 'Established') {
        stats.downSinceMs = this.clock.wallNow();
        stats.flops++;
      }
      for (const l of this.peerStateListeners) l(peer, state, previous, reason);
    });
    if (range === undefined) {
      this.peers.set(n.address, peer);
    } else {
      this.dynamicPeers.set(n.address, peer);
      // Back in Idle the session is over (failed, or down after Established; the sink
      // has been or is about to be told onPeerDown): nothing of the speaker stays. If it
      // connects again, it gets a new session. An operator's shutdown keeps it, down,
      // so that the peer's reconnections are refused until it is enabled again.
      session.onState((state, _previous, reason) => {
        if (state === 'Idle' && !peer.isAdminDown) this.dropDynamic(peer, reason);
      });
    }
    return peer;
  }

  /**
   * ROUTE-REFRESH received: everything we announce in the family goes out again (RFC
   * 2918 4); a family not negotiated is ignored, as RFC 2918 4 says.
   */
  private onRouteRefresh(peer: Peer, family: FamilyKey): void {
    const info = peer.session.peerInfo;
    if (info === undefined) return;
    const families = info.families.size > 0 ? info.families : new Set([ipv4Unicast]);
    if (!families.has(family)) {
      this.logger.warn('route refresh ignored', { peer: info.address, family: familyName(family), reason: 'family not negotiated' });
      return;
    }
    for (const [text, r] of peer.sent) if (r.family === family) peer.sent.delete(text);
    this.logger.info('route refresh received', { peer: info.address, family: familyName(family) });
    this.syncRoutes(peer);
  }

  /**
   * The peer sent more routes than a limit allows (nothing of that UPDATE stored): Cease
   * / Maximum Number of Prefixes Reached with AFI, SAFI and the limit (RFC 4486 4), and
   * no restart before the limit's restart timer (0: until started by an operator).
   */
  private stopOverLimit(peer: Peer, exceeded: PrefixLimitExceeded): void {
    const address = peer.config.address;
    this.prefixLimits.holdDown(address, exceeded, () => this.restartHeld(address));
    const { family, maxPrefixes } = exceeded.limit;
    void peer.session.stop(`maximum prefixes reached (${familyName(family)}: ${maxPrefixes})`, CeaseSubcode.maxPrefixes, maxPrefixesData(family, maxPrefixes));
  }

  /**
   * The peer's Adj-RIB-In would go over its memory cap (nothing of that UPDATE stored):
   * Cease / Out of Resources (RFC 4486 3, no data), then held down as after max-prefix.
   */
  private stopOverMemoryCap(peer: Peer, exceeded: AdjRibInCapExceeded): void {
    const address = peer.config.address;
    this.adjRibInLimits.holdDown(address, exceeded, () => this.restartHeld(address));
    void peer.session.stop(`adj-rib-in memory cap reached (${exceeded.limit.maxMemoryMib} MiB)`, CeaseSubcode.outOfResources);
  }

  /** A hold-down is over: a configured neighbor connects again (a dynamic one waits for its peer). */
  private restartHeld(address: string): void {
    const current = this.peers.get(address);
    if (current !== undefined && !current.isAdminDown && this.stopping === undefined) current.session.start();
  }

  /**
   * Forgets a dynamic session and stops it: with a Cease of `subcode` if it still has a
   * connection, else just no automatic restart.
   */
  private dropDynamic(peer: Peer, reason: string, subcode: number = CeaseSubcode.peerDeconfigured): void {
    const address = peer.config.address;
    if (this.dynamicPeers.get(address) !== peer) return;
    this.dynamicPeers.delete(address);
    this.logger.info('dynamic neighbor removed', { peer: address, range: peer.range, reason });
    void peer.session.stop('', subcode);
  }

  private sessionConfig(n: NeighborConfig): SessionConfig {
    return {
      peerAddress: n.address,
      peerPort: n.remotePort,
      ...(n.localAddress === undefined ? {} : { localAddress: n.localAddress }),
      localAs: n.localAs,
      peerAs: n.peerAs,
      routerId: parseAddress(this.config.global.routerId),
      holdTimeSec: n.holdTimeSec,
      ...(n.keepaliveSec > 0 ? { keepaliveSec: n.keepaliveSec } : {}),
      connectRetrySec: n.connectRetrySec,
      isPassive: n.isPassive,
      families: n.families,
      hostname: this.hostname,
      isRouteRefresh: true,
      ...(n.addPaths === undefined ? {} : { addPath: addPathModes(n.addPaths) }),
      ...(n.gracefulRestart === undefined ? {} : { gracefulRestart: this.restartingSpeaker.offer(n.address, { restartTimeSec: n.gracefulRestart.restartTimeSec, families: n.gracefulRestart.isHelperOnly ? [] : (n.gracefulRestart.families ?? n.families) }) }),
      ...(longLivedOffer(n.gracefulRestart) === undefined ? {} : { longLivedGracefulRestart: longLivedOffer(n.gracefulRestart)! }),
      ...(n.idleHoldTimeAfterResetSec === undefined ? {} : { idleHoldSec: n.idleHoldTimeAfterResetSec }),
    };
  }

  /** A session's neighbor settings and local address, for its policies. */
  private policyPeer(address: string): { readonly config: NeighborConfig; readonly localAddress: string | undefined } | undefined {
    const peer = this.peers.get(address) ?? this.dynamicPeers.get(address);
    return peer === undefined ? undefined : { config: peer.config, localAddress: this.localAddressOf(peer) };
  }

  /** Our end of the peer's connection: configured, else the session's connection's. */
  private localAddressOf(peer: Peer): string | undefined {
    return peer.config.localAddress ?? normalizeRemoteAddress(peer.session.localAddress);
  }

  /**
   * Brings what the peer has from us in line with the originate list: withdraws what
   * is gone, announces what is new or changed. On a new session `sent` is empty, so
   * everything is announced, then End-of-RIB for each family (RFC 4724 2).
   */
  private syncRoutes(peer: Peer): void {
    const info = peer.session.peerInfo;
    const negotiated = peer.session.negotiated;
    if (info === undefined || negotiated === undefined) return;
    const isNewSession = !peer.sentEndOfRib;
    // RFC 4724 4.1: after our restart, nothing goes out before the peers' End-of-RIB (resume() sends it).
    if (isNewSession && this.restartingSpeaker.isDeferring) return;
    const ctx = negotiated.tx;
    const families = info.families.size > 0 ? info.families : new Set([ipv4Unicast]);
    const target = { families, isEbgp: info.isEbgp, localAs: peer.config.localAs, localAddress: this.localAddressOf(peer), ctx };
    const own = routesForPeer(this.local, target);
    const learned = learnedRoutes(this.rib, this.propagationTarget(peer, info, families), new Set(this.local.map((r) => r.prefixText)), this.reflection(), peer.sent);
    const { routes, skipped } = this.policy.exportRoutes(info.address, { routes: [...own.routes, ...learned], skipped: own.skipped }, info.isEbgp);
    for (const s of skipped) this.logger.warn('route not announced', { peer: info.address, prefix: s.prefixText, family: familyName(s.family), reason: s.reason });

    const desired = new Map<string, PeerRoute>(routes.map((r) => [sentKey(r), r]));
    const gone: (Prefix | Nlri)[] = [];
    for (const [text, sent] of peer.sent) {
      if (!desired.has(text)) {
        gone.push(nlriOf(sent));
        peer.sent.delete(text);
      }
    }
    const changed = routes.filter((r) => peer.sent.get(sentKey(r))?.signature !== r.signature);
    for (const r of changed) peer.sent.set(sentKey(r), r);
    peer.stats.advertised.clear();
    for (const r of peer.sent.values()) peer.stats.advertised.set(r.family, (peer.stats.advertised.get(r.family) ?? 0) + 1);
    const updates = [...withdrawUpdates(gone, ctx), ...announceUpdates(changed, ctx)];
    if (isNewSession) {
      updates.push(...endOfRibUpdates(families));
      peer.sentEndOfRib = true;
    }
    if (gone.length > 0 || changed.length > 0) this.logger.info('routes sent', { peer: info.address, announced: changed.length, withdrawn: gone.length, updates: updates.length });
    peer.sender.send(updates);
  }

  /**
   * What the propagation of learned routes needs to know of a peer, kept while its
   * session and settings are the same: every batch of RIB changes asks for every peer's.
   */
  private propagationTarget(peer: Peer, info: PeerInfo, families: ReadonlySet<FamilyKey>): PropagationTarget {
    const negotiated = peer.session.negotiated;
    const cached = this.targets.get(peer);
    if (cached !== undefined && cached.negotiated === negotiated && cached.config === peer.config && cached.info === info) return cached.target;
    const target = this.buildPropagationTarget(peer, info, families);
    if (negotiated !== undefined) this.targets.set(peer, { negotiated, config: peer.config, info, target });
    return target;
  }

  private buildPropagationTarget(peer: Peer, info: PeerInfo, families: ReadonlySet<FamilyKey>): PropagationTarget {
    const c = peer.config;
    return {
      address: info.address,
      peerAs: info.peerAs,
      isEbgp: info.isEbgp,
      localAs: c.localAs,
      localAddress: this.localAddressOf(peer),
      families,
      ...(c.routeReflectorClient === undefined ? {} : { isRouteReflectorClient: true }),
      ...(c.isRouteServerClient === true ? { isRouteServerClient: true } : {}),
      ...withAddPathSend(c.addPaths, peer.session.negotiated?.tx.addPath),
      ...(peer.session.negotiated?.longLivedGracefulRestart === undefined ? {} : { llgrFamilies: new Set(peer.session.negotiated.longLivedGracefulRestart.keys()) }),
    };
  }

  /** The route reflector clients' CLUSTER_IDs (RFC 4456 7); undefined when there is no client. */
  private reflection(): Reflection | undefined {
    const clients = new Map<string, Uint8Array>();
    const routerId = parseAddress(this.config.global.routerId);
    for (const p of this.allPeers()) {
      const rr = p.config.routeReflectorClient;
      if (rr !== undefined) clients.set(p.config.address, rr.clusterId === undefined ? routerId : parseAddress(rr.clusterId));
    }
    return clients.size === 0 ? undefined : { clusterIdOf: (address) => clients.get(address), clusterId: routerId };
  }

  /** RFC 4456 8: an internal peer's route carrying our ORIGINATOR_ID or CLUSTER_ID came round: withdrawn, not stored. */
  private withoutReflectionLoop(info: PeerInfo, update: UpdateMessage): UpdateMessage {
    const a = update.attributes;
    if (info.isEbgp || (a.originatorId === undefined && a.clusterList === undefined) || update.action === ErrorAction.treatAsWithdraw) return update;
    const routerId = parseAddress(this.config.global.routerId);
    const clusterIds = [routerId, ...this.allPeers().flatMap((p) => (p.config.routeReflectorClient?.clusterId === undefined ? [] : [parseAddress(p.config.routeReflectorClient.clusterId)]))];
    if (!isReflectionLoop(a, routerId, clusterIds)) return update;
    this.logger.debug('reflected route loop', { peer: info.address });
    return { ...update, action: ErrorAction.treatAsWithdraw };
  }

  /**
   * A batch of Loc-RIB changes to every peer past its initial table (RFC 4271 9.2): new
   * best routes announced, lost ones withdrawn, export policy applied, through each
   * peer's sender (its back-pressure). Our own prefixes are syncRoutes' business.
   */
  private propagate(
    changesOf: (target: PropagationTarget, sent: ReadonlyMap<string, PeerRoute>, own: ReadonlySet<string>, reflection: Reflection | undefined) => PeerChanges,
    mayAnyGo?: (target: PropagationTarget) => boolean,
  ): void {
    let own: Set<string> | undefined;
    const reflection = this.reflection();
    // Peers of one AS and kind that have nothing from us: when the batch has nothing their
    // AS can take (their own routes, as a cluster's nodes send), one look serves them all.
    const quiet = new Map<string, boolean>();
    for (const peer of this.allPeers()) {
      const info = peer.session.peerInfo;
      const negotiated = peer.session.negotiated;
      if (!peer.sentEndOfRib || info === undefined || negotiated === undefined) continue;
      own ??= new Set(this.local.map((r) => r.prefixText));
      const families = info.families.size > 0 ? info.families : new Set([ipv4Unicast]);
      const target = this.propagationTarget(peer, info, families);
      if (mayAnyGo !== undefined && peer.sent.size === 0) {
        const kind = `${String(target.isEbgp)} ${target.peerAs} ${[...families].join(',')}`;
        let isQuiet = quiet.get(kind);
        if (isQuiet === undefined) quiet.set(kind, (isQuiet = !mayAnyGo(target)));
        if (isQuiet) continue;
      }
      const { announce, withdraw } = changesOf(target, peer.sent, own, reflection);
      if (announce.length === 0 && withdraw.length === 0) continue;
      const exported = this.policy.exportRoutes(info.address, { routes: announce }, info.isEbgp).routes;
      const kept = new Set(exported.map(sentKey));
      // What export policy now rejects leaves the peer too.
      for (const r of announce) if (!kept.has(sentKey(r)) && peer.sent.has(sentKey(r))) withdraw.push(sentKey(r));
      const gone: (Prefix | Nlri)[] = [];
      const count = (family: FamilyKey, by: number): void => {
        peer.stats.advertised.set(family, (peer.stats.advertised.get(family) ?? 0) + by);
      };
      for (const text of withdraw) {
        const sent = peer.sent.get(text);
        if (sent === undefined) continue;
        gone.push(nlriOf(sent));
        peer.sent.delete(text);
        count(sent.family, -1);
      }
      const changed = exported.filter((r) => peer.sent.get(sentKey(r))?.signature !== r.signature);
      for (const r of changed) {
        if (!peer.sent.has(sentKey(r))) count(r.family, 1);
        peer.sent.set(sentKey(r), r);
      }
      if (gone.length === 0 && changed.length === 0) continue;
      if (this.logger.isDebug) this.logger.debug('routes propagated', { peer: info.address, announced: changed.length, withdrawn: gone.length });
      peer.sender.send([...withdrawUpdates(gone, negotiated.tx), ...announceUpdates(changed, negotiated.tx)]);
    }
  }

  /** Puts a new originate list in force: into the RIB, and to every established peer. */
  private setLocalRoutes(next: readonly LocalRoute[]): void {
    this.updateLocalRib(next);
    for (const peer of this.allPeers()) if (peer.session.state === 'Established') this.syncRoutes(peer);
  }

  /** The RIB's local routes brought in line with `next` (which becomes the list in force). */
  private updateLocalRib(next: readonly LocalRoute[]): void {
    // An API route is replaced as a whole (a new object, a new uuid); a configuration
    // route is the same while its keys are.
    const isSame = (a: LocalRoute, b: LocalRoute): boolean => a.source === b.source && (a.source === 'api' ? a === b : routeSignature(a) === routeSignature(b));
    const before = new Map(this.local.map((r) => [r.prefixText, r]));
    const after = new Set(next.map((r) => r.prefixText));
    for (const [text, r] of before) if (!after.has(text)) this.rib.withdrawLocal(r.prefix);
    for (const r of next) {
      const old = before.get(r.prefixText);
      if (old === undefined || !isSame(old, r)) this.rib.originate(r.prefix, localRibAttributes(r));
    }
    this.local = next;
  }

  /** The listeners' MD5 keys for the neighbors in force (configured and added through the API). */
  private syncTcpKeys(): void {
    this.tcpSecurity.sync(this.config, [...this.config.neighbors, ...this.apiNeighbors.values()]);
  }

  private allPeers(): Peer[] {
    return [...this.peers.values(), ...this.dynamicPeers.values()];
  }

  private async openListeners(): Promise<void> {
    const g = this.config.global;
    if (g.port === -1) return;
    const isDefaultList = g.localAddressList.join(',') === defaultLocalAddressList.join(',');
    // On Linux a dual-stack "::" socket also takes IPv4, and then "0.0.0.0" on the same
    // port is in use: bind "::" first and let it cover IPv4 when that happens.
    const ordered = [...g.localAddressList].sort((a, b) => Number(b === '::') - Number(a === '::'));
    try {
      for (const host of ordered) {
        try {
          this.listeners.push(await listen({ host, port: g.port }, (t) => this.onIncoming(t), (err) => this.logger.error('listener error', { address: host, error: err.message })));
        } catch (err) {
          const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
          const hasDualStack = this.listeners.some((l) => l.address().address === '::');
          if (host === '0.0.0.0' && code === 'EADDRINUSE' && hasDualStack) {
            this.logger.debug('IPv4 served by the dual-stack listener', { address: host, port: g.port });
          } else if (isDefaultList && host === '::' && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) {
            this.logger.warn('no IPv6 listener', { address: host, port: g.port, error: (err as Error).message });
          } else {
            throw err;
          }
        }
      }
    } catch (err) {
      await Promise.all(this.listeners.map((l) => l.close().catch(() => undefined)));
      this.listeners = [];
      throw err;
    }
  }

  /**
   * An accepted connection goes to the configured neighbor of its address, else to the
   * dynamic session already made for it, else, from inside a dynamic-neighbors range
   * (the longest holding it), to a new passive session with the range's group settings.
   */
  private onIncoming(t: Transport): void {
    const remote = normalizeRemoteAddress(t.remoteAddress);
    const refuse = (reason: string): void => {
      this.logger.debug('connection refused', { remote: `${t.remoteAddress ?? '?'}:${t.remotePort ?? '?'}`, reason });
      t.destroy();
    };
    if (remote === undefined) return refuse('not a configured neighbor');
    if (this.stopping !== undefined) return refuse('shutting down');
    const held = this.prefixLimits.holds.reasonOf(remote);
    if (held !== undefined) return refuse(held);
    const peer = this.peers.get(remote) ?? this.dynamicPeers.get(remote);
    if (peer !== undefined) {
      if (!this.tcpSecurity.applyAccepted(t, peer.config)) return refuse('tcp options not set');
      peer.session.handleIncoming(t);
      return;
    }
    const d = dynamicNeighborConfig(this.config, remote);
    if (d === undefined) return refuse('not a configured neighbor');
    if (!this.tcpSecurity.applyAccepted(t, d.neighbor)) return refuse('tcp options not set');
    const created = this.addPeer(d.neighbor, d.range.prefixText);
    this.logger.info('dynamic neighbor accepted', { peer: remote, range: d.range.prefixText, peerGroup: d.range.peerGroup, peerAs: d.neighbor.peerAs });
    created.session.start();
    created.session.handleIncoming(t);
  }
}

/**
 * `next` with the running global settings and multipath limits, and neighbors' default
 * local AS taken from them (dynamic sessions take it from the kept global settings).
 */
function keepGlobal(next: DaemonConfig, running: DaemonConfig): DaemonConfig {
  const global: GlobalConfig = running.global;
  const neighbors = next.neighbors.map((n) => (n.isLocalAsFromGlobal ? Object.freeze({ ...n, localAs: global.as }) : n));
  return Object.freeze({ ...next, global, useMultiplePaths: running.useMultiplePaths, neighbors: Object.freeze(neighbors) });
}
