// What the management API needs from the daemon, in tsbgp's own types: the speaker's
// settings, its peers with state, timers and counters, the tables of routes, route
// changes and peer state changes as a subscription. The daemon implements ApiBackend;
// the gRPC service (server.ts) only translates. Optional members are operations a
// backend may not offer: their RPCs answer UNIMPLEMENTED.

import { prefixContains, type Prefix } from '../lib/address.js';
import type { Capability } from '../wire/capability-types.js';
import type { FamilyKey } from '../wire/context.js';
import type { PathAttributes } from '../wire/attributes/types.js';
import type { PeerInfo } from '../rib/sink.js';
import type { SessionState } from '../session/session.js';
import type { CompiledPolicy, PolicyState } from './policy-store.js';

/** The speaker's own settings (gobgpd's `global`). */
export interface GlobalStatus {
  readonly asn: number;
  /** BGP Identifier as dotted quad. */
  readonly routerId: string;
  /** TCP port BGP listens on; -1 when not listening. */
  readonly listenPort: number;
  readonly listenAddresses: readonly string[];
  readonly families: readonly FamilyKey[];
  readonly isMultipath: boolean;
}

/** What StartBgp asks for; fields left out take the backend's defaults. */
export interface GlobalConfig {
  readonly asn: number;
  readonly routerId: string;
  readonly listenPort?: number;
  readonly listenAddresses?: readonly string[];
  readonly families?: readonly FamilyKey[];
  readonly isMultipath?: boolean;
}

/** Counters of one direction of a session. */
export interface MessageCounters {
  readonly open: number;
  readonly update: number;
  readonly notification: number;
  readonly keepalive: number;
  readonly routeRefresh: number;
  /** Messages received and ignored (or, sent: dropped before sending). */
  readonly discarded: number;
  readonly total: number;
  /** UPDATEs carrying withdrawals, and withdrawn prefixes. */
  readonly withdrawUpdate?: number;
  readonly withdrawPrefix?: number;
}

/** A peer's route counts for one family. O(1) to produce: the API is polled. */
export interface PeerFamilyStatus {
  readonly family: FamilyKey;
  readonly isEnabled: boolean;
  /** Routes in the Adj-RIB-In. */
  readonly received: number;
  /** Of those, the routes import policy let through. */
  readonly accepted: number;
  /** Routes in the Adj-RIB-Out. */
  readonly advertised: number;
  readonly isEndOfRibReceived?: boolean;
  readonly isEndOfRibSent?: boolean;
  /** ADD-PATH (RFC 7911) negotiated per direction. */
  readonly isAddPathReceive?: boolean;
  readonly addPathSendMax?: number;
}

/** A neighbor as configured and as it is now. */
export interface PeerStatus {
  /** The configured neighbor address: the peer's name in every request. */
  readonly address: string;
  readonly peerAs: number;
  readonly localAs: number;
  readonly description?: string;
  readonly peerGroup?: string;
  readonly isEbgp: boolean;
  readonly state: SessionState;
  /** Stopped by an operator (DisablePeer, or configured down). */
  readonly isAdminDown: boolean;
  /** The negotiated view of the session while it is Established. */
  readonly session?: PeerInfo;
  /** Wall-clock ms (Unix epoch) when the session last reached / left Established. */
  readonly upSinceMs?: number;
  readonly downSinceMs?: number;
  /** Times the session left Established. */
  readonly flops: number;
  /** Messages waiting to be sent. */
  readonly outQueue: number;
  readonly received: MessageCounters;
  readonly sent: MessageCounters;
  /** Configured timers, seconds. */
  readonly holdTimeSec: number;
  readonly keepaliveSec: number;
  readonly connectRetrySec: number;
  readonly idleHoldTimeAfterResetSec?: number;
  /** Negotiated while Established, seconds. */
  readonly negotiatedHoldTimeSec?: number;
  readonly negotiatedKeepaliveSec?: number;
  readonly isPassive: boolean;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly remotePort?: number;
  readonly ebgpMultihopTtl?: number;
  readonly isRouteReflectorClient?: boolean;
  readonly isRouteServerClient?: boolean;
  readonly families: readonly PeerFamilyStatus[];
  /** Capabilities of the last OPEN sent and received. */
  readonly localCapabilities: readonly Capability[];
  readonly remoteCapabilities: readonly Capability[];
}

/** A neighbor to add (AddPeer); fields left out take the backend's defaults. */
export interface PeerConfig {
  readonly address: string;
  readonly peerAs: number;
  readonly localAs?: number;
  readonly description?: string;
  readonly peerGroup?: string;
  readonly isPassive?: boolean;
  readonly localAddress?: string;
  readonly remotePort?: number;
  readonly holdTimeSec?: number;
  readonly keepaliveSec?: number;
  readonly connectRetrySec?: number;
  readonly families?: readonly FamilyKey[];
  readonly authPassword?: string;
  readonly ebgpMultihopTtl?: number;
  readonly isAdminDown?: boolean;
}

/** A peer group to add or put in place of one (AddPeerGroup, UpdatePeerGroup); fields left out are not set by the group. */
export interface PeerGroupConfig {
  readonly name: string;
  readonly peerAs?: number;
  readonly localAs?: number;
  readonly description?: string;
  readonly isPassive?: boolean;
  readonly localAddress?: string;
  readonly remotePort?: number;
  readonly holdTimeSec?: number;
  readonly keepaliveSec?: number;
  readonly connectRetrySec?: number;
  readonly families?: readonly FamilyKey[];
  readonly authPassword?: string;
  readonly ebgpMultihopTtl?: number;
}

/** What an update of a neighbor or group did (gobgpd's UpdatePeerResponse). */
export interface UpdateOutcome {
  /** The change needs a soft reset in (ROUTE-REFRESH) that was not asked for. */
  readonly needsSoftResetIn: boolean;
}

/** A peer group: the neighbor settings its members (and dynamic neighbors) take. */
export interface PeerGroupStatus {
  readonly name: string;
  /** Undefined where the group leaves the key to each neighbor. */
  readonly peerAs?: number;
  readonly localAs?: number;
  readonly description?: string;
  readonly isPassive?: boolean;
  readonly holdTimeSec?: number;
  readonly keepaliveSec?: number;
  readonly connectRetrySec?: number;
  readonly families?: readonly FamilyKey[];
  /** Neighbors (configured and dynamic) of the group now. */
  readonly memberCount: number;
}

/** A dynamic-neighbors range: peers connecting from `prefix` get `peerGroup`'s settings. */
export interface DynamicNeighborStatus {
  readonly prefix: Prefix;
  readonly peerGroup: string;
}

/** Where a route came from. */
export interface RouteSource {
  /** Peer address; "local" for routes this speaker originates. */
  readonly address: string;
  readonly peerAs: number;
  /** BGP Identifier as dotted quad. */
  readonly routerId: string;
  readonly isEbgp: boolean;
}

/** One path to a prefix, as a table shows it. */
export interface RouteView {
  readonly family: FamilyKey;
  readonly prefix: Prefix;
  /** RFC 7911 path identifier as received (0 without ADD-PATH). */
  readonly pathId: number;
  /** Path identifier this speaker sends it with (Adj-RIB-Out). */
  readonly localPathId?: number;
  /** Attributes other than MP_REACH_NLRI / MP_UNREACH_NLRI. */
  readonly attributes: PathAttributes;
  /** The next hop (4 or 16 bytes; empty when the route has none). */
  readonly nextHop: Uint8Array;
  readonly linkLocalNextHop?: Uint8Array;
  readonly source: RouteSource;
  /** Wall-clock ms (Unix epoch) when the route arrived. */
  readonly receivedAtMs: number;
  readonly isBest: boolean;
  readonly isMultipath: boolean;
  readonly isStale?: boolean;
  /** Rejected by import policy (kept in the Adj-RIB-In only). */
  readonly isFiltered?: boolean;
  readonly isNextHopInvalid?: boolean;
  /** Set on routes added through the API. */
  readonly uuid?: Uint8Array;
}

/** The routes of one prefix, best first. */
export interface DestinationView {
  readonly prefix: Prefix;
  readonly routes: readonly RouteView[];
}

export type TableKind = 'global' | 'local' | 'adj-in' | 'adj-out';

/** Lookup modes of `gobgp ... rib <prefix> [longer-prefixes|shorter-prefixes]`. */
export type PrefixMatch = 'exact' | 'longer' | 'shorter';

export interface PrefixFilter {
  readonly prefix: Prefix;
  readonly match: PrefixMatch;
}

export interface TableQuery {
  readonly table: TableKind;
  readonly family: FamilyKey;
  /** Neighbor address; required for adj-in and adj-out, ignored for global. */
  readonly neighbor?: string;
  /** None: the whole table. Otherwise destinations matching any filter. */
  readonly prefixes?: readonly PrefixFilter[];
}

export interface TableCounts {
  readonly destinations: number;
  readonly paths: number;
  /** Adj-RIB-In: paths that passed import policy. */
  readonly accepted?: number;
}

/** A route to add to the global table (AddPath). */
export interface RouteInput {
  readonly family: FamilyKey;
  readonly prefix: Prefix;
  readonly pathId?: number;
  readonly attributes: PathAttributes;
  readonly nextHop: Uint8Array;
  readonly linkLocalNextHop?: Uint8Array;
}

/** What to remove from the global table (DeletePath). */
export interface RouteRemoval {
  readonly family: FamilyKey;
  /** Neither prefix nor uuid: every route of the family added through the API. */
  readonly prefix?: Prefix;
  readonly pathId?: number;
  readonly uuid?: Uint8Array;
}

/** A route appearing or going away in a watched table. */
export interface RouteEvent {
  readonly route: RouteView;
  readonly isWithdraw: boolean;
}

export type WatchEvent =
  /** A peer's session state changed. */
  | { readonly kind: 'peer'; readonly peer: PeerStatus }
  /**
   * Routes changed. `adj-in`: as received, before import policy; `adj-in-post-policy`:
   * after it; `best`: the new best route (all of the multipath set, best first) of each
   * changed prefix, or a withdrawal when the prefix has none left.
   */
  | { readonly kind: 'routes'; readonly table: WatchTable; readonly events: readonly RouteEvent[] };

export type WatchTable = 'adj-in' | 'adj-in-post-policy' | 'best';

export interface WatchOptions {
  readonly peers: boolean;
  readonly tables: ReadonlySet<WatchTable>;
}

/** Soft reset (route refresh, RFC 2918 / RFC 7313) directions. */
export type SoftResetDirection = 'in' | 'out' | 'both';

/**
 * The daemon as the API sees it. Calls never block the update path: counts are O(1),
 * listings iterate lazily, and a watcher's listener runs synchronously and must only
 * queue (the server copes with slow clients, not the backend).
 */
export interface ApiBackend {
  /** Undefined until BGP is started. */
  getGlobal(): GlobalStatus | undefined;
  /** Every configured or dynamic peer (or only `address`), in address order. */
  listPeers(address?: string): Iterable<PeerStatus>;
  /** Destinations of the table in prefix order; throws ApiError('not-found') for an unknown neighbor. */
  listRoutes(query: TableQuery): Iterable<DestinationView>;
  tableCounts(query: Omit<TableQuery, 'prefixes'>): TableCounts;
  /** Registers a listener; returns its removal. */
  watch(options: WatchOptions, listener: (event: WatchEvent) => void): () => void;

  startBgp?(config: GlobalConfig): Promise<void>;
  stopBgp?(): Promise<void>;
  addPeer?(config: PeerConfig): Promise<void>;
  deletePeer?(address: string): Promise<void>;
  /**
   * Puts `config` in place of a configured neighbor's settings (as gobgpd, the whole
   * set: what the request leaves out takes the default). A change of session settings
   * restarts the session; `isSoftResetInAsked` does a soft reset in where one is needed.
   */
  updatePeer?(config: PeerConfig, isSoftResetInAsked: boolean): Promise<UpdateOutcome>;
  addPeerGroup?(config: PeerGroupConfig): Promise<void>;
  /** Refused (failed-precondition) while a neighbor or a dynamic-neighbors range uses the group. */
  deletePeerGroup?(name: string): Promise<void>;
  /** Replaces a group's settings; its neighbors and dynamic sessions take them at once. */
  updatePeerGroup?(config: PeerGroupConfig, isSoftResetInAsked: boolean): Promise<UpdateOutcome>;
  /** A new range: connections from it are accepted at once. */
  addDynamicNeighbor?(range: DynamicNeighborStatus): Promise<void>;
  /** Removes a range (of `peerGroup` when given); its sessions end (Cease / Peer De-configured). */
  deleteDynamicNeighbor?(prefix: Prefix, peerGroup?: string): Promise<void>;
  /**
   * Hard reset: Cease / Administrative Reset (RFC 4486) with the RFC 9003 communication.
   * `address` may be "all" (every peer), here and in softResetPeer.
   */
  resetPeer?(address: string, communication: string): Promise<void>;
  softResetPeer?(address: string, direction: SoftResetDirection): Promise<void>;
  /** Cease / Administrative Shutdown with the communication; the session stays down. */
  shutdownPeer?(address: string, communication: string): Promise<void>;
  enablePeer?(address: string): Promise<void>;
  disablePeer?(address: string, communication: string): Promise<void>;
  /** Adds (or replaces) a route in the global table; returns its uuid (16 bytes). */
  addRoute?(route: RouteInput): Promise<Uint8Array>;
  deleteRoutes?(removal: RouteRemoval): Promise<void>;
  /** Peer groups in configuration order (or only `name`). */
  listPeerGroups?(name?: string): Iterable<PeerGroupStatus>;
  /** Dynamic-neighbors ranges in configuration order (or only those of `peerGroup`). */
  listDynamicNeighbors?(peerGroup?: string): Iterable<DynamicNeighborStatus>;
  /** The routing policy in force: defined sets, statements, policies, assignments. */
  policyState?(): PolicyState;
  /**
   * Puts a policy in force at once (`compiled` is `state` compiled): import policies run
   * again over the Adj-RIBs-In, exports are re-sent where their outcome changed. Throws
   * ApiError('not-found') for an assignment to an unknown neighbor.
   */
  setPolicyState?(state: PolicyState, compiled: CompiledPolicy): Promise<void>;
}

/** How an operator's request was wrong, in gRPC's terms. */
export type ApiErrorCode = 'invalid-argument' | 'not-found' | 'already-exists' | 'failed-precondition' | 'unavailable' | 'unimplemented';

/** An operator fault: the field (when one is to blame), what was expected, what came. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** The request field at fault, as a path: "peer.conf.neighbor_address". */
    readonly field?: string,
    options?: ErrorOptions,
  ) {
    super(field === undefined ? message : `${field}: ${message}`, options);
  }
}

/** True if `candidate` is selected by `filter` (same family assumed). */
export function matchesPrefixFilter(filter: PrefixFilter, candidate: Prefix): boolean {
  const f = filter.prefix;
  if (f.afi !== candidate.afi) return false;
  switch (filter.match) {
    case 'exact':
      return f.length === candidate.length && prefixContains(f, candidate.addr);
    case 'longer':
      return candidate.length >= f.length && prefixContains(f, candidate.addr);
    case 'shorter':
      return candidate.length <= f.length && prefixContains(candidate, f.addr);
  }
}
