// The GoBGP v3 API messages (proto/gobgp.proto, package apipb) as plain objects, in the
// shape @grpc/proto-loader gives and takes with the options of protos.ts: field names
// as in the .proto (snake_case), enums as numbers, 64-bit integers as numbers, bytes as
// Uint8Array, google.protobuf.Any as { type_url, value }. Every field is optional: proto3
// sends no default values, and the loader fills them in on receipt.

/** google.protobuf.Any: `type_url` is type.googleapis.com/apipb.<Message>. */
export interface AnyMessage {
  type_url: string;
  value: Uint8Array;
}

/** google.protobuf.Timestamp. */
export interface Timestamp {
  seconds?: number;
  nanos?: number;
}

/** TableType: which table a path request reads or writes. */
export const TableType = { global: 0, local: 1, adjIn: 2, adjOut: 3, vrf: 4 } as const;
export type TableType = (typeof TableType)[keyof typeof TableType];

export const PeerType = { internal: 0, external: 1 } as const;

/** PeerState.SessionState: RFC 4271 8.2.2 states, in GoBGP's numbering. */
export const SessionState = { unknown: 0, idle: 1, connect: 2, active: 3, openSent: 4, openConfirm: 5, established: 6 } as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

/** PeerState.AdminState. */
export const AdminState = { up: 0, down: 1, prefixLimit: 2 } as const;

/** TableLookupPrefix.Type. */
export const LookupType = { exact: 0, longer: 1, shorter: 2 } as const;

/** ResetPeerRequest.SoftResetDirection. */
export const SoftResetDirection = { in: 0, out: 1, both: 2 } as const;

/** WatchEventRequest.Table.Filter.Type. */
export const WatchFilterType = { best: 0, adjIn: 1, postPolicy: 2 } as const;

/** WatchEventResponse.PeerEvent.Type. */
export const PeerEventType = { unknown: 0, init: 1, endOfInit: 2, state: 3 } as const;

/** AsSegment.Type: the RFC 4271 / RFC 5065 segment type numbers. */
export const AsSegmentKind = { unknown: 0, set: 1, sequence: 2, confedSequence: 3, confedSet: 4 } as const;

export interface Family {
  /** IANA AFI. */
  afi?: number;
  /** SAFI (RFC 4760). */
  safi?: number;
}

export interface Global {
  asn?: number;
  router_id?: string;
  listen_port?: number;
  listen_addresses?: string[];
  /** Families as AFI << 16 | SAFI. */
  families?: number[];
  use_multiple_paths?: boolean;
}

export interface GetBgpResponse {
  global?: Global | null;
}

export interface StartBgpRequest {
  global?: Global | null;
}

export interface Message {
  notification?: number;
  update?: number;
  open?: number;
  keepalive?: number;
  refresh?: number;
  discarded?: number;
  total?: number;
  withdraw_update?: number;
  withdraw_prefix?: number;
}

export interface PeerConf {
  auth_password?: string;
  description?: string;
  local_asn?: number;
  neighbor_address?: string;
  peer_asn?: number;
  peer_group?: string;
  type?: number;
  neighbor_interface?: string;
  vrf?: string;
  admin_down?: boolean;
}

export interface PeerState {
  description?: string;
  local_asn?: number;
  messages?: { received?: Message | null; sent?: Message | null } | null;
  neighbor_address?: string;
  peer_asn?: number;
  peer_group?: string;
  type?: number;
  queues?: { input?: number; output?: number } | null;
  session_state?: SessionState;
  admin_state?: number;
  out_q?: number;
  flops?: number;
  remote_cap?: AnyMessage[];
  local_cap?: AnyMessage[];
  router_id?: string;
}

export interface TimersConfig {
  connect_retry?: number;
  hold_time?: number;
  keepalive_interval?: number;
  minimum_advertisement_interval?: number;
  idle_hold_time_after_reset?: number;
}

export interface TimersState {
  connect_retry?: number;
  hold_time?: number;
  keepalive_interval?: number;
  minimum_advertisement_interval?: number;
  negotiated_hold_time?: number;
  uptime?: Timestamp | null;
  downtime?: Timestamp | null;
}

export interface Transport {
  local_address?: string;
  local_port?: number;
  passive_mode?: boolean;
  remote_address?: string;
  remote_port?: number;
  bind_interface?: string;
}

export interface AfiSafiState {
  family?: Family | null;
  enabled?: boolean;
  received?: number;
  accepted?: number;
  advertised?: number;
}

export interface AfiSafi {
  mp_graceful_restart?: {
    config?: { enabled?: boolean } | null;
    state?: { enabled?: boolean; received?: boolean; advertised?: boolean; end_of_rib_received?: boolean; end_of_rib_sent?: boolean } | null;
  } | null;
  config?: { family?: Family | null; enabled?: boolean } | null;
  state?: AfiSafiState | null;
  add_paths?: { config?: { receive?: boolean; send_max?: number } | null; state?: { receive?: boolean; send_max?: number } | null } | null;
}

export interface Peer {
  apply_policy?: object | null;
  conf?: PeerConf | null;
  ebgp_multihop?: { enabled?: boolean; multihop_ttl?: number } | null;
  route_reflector?: { route_reflector_client?: boolean; route_reflector_cluster_id?: string } | null;
  state?: PeerState | null;
  timers?: { config?: TimersConfig | null; state?: TimersState | null } | null;
  transport?: Transport | null;
  route_server?: { route_server_client?: boolean; secondary_route?: boolean } | null;
  graceful_restart?: { enabled?: boolean; restart_time?: number; helper_only?: boolean; notification_enabled?: boolean } | null;
  afi_safis?: AfiSafi[];
  ttl_security?: { enabled?: boolean; ttl_min?: number } | null;
}

export interface ListPeerRequest {
  address?: string;
  enableAdvertised?: boolean;
}

export interface ListPeerResponse {
  peer?: Peer | null;
}

export interface AddPeerRequest {
  peer?: Peer | null;
}

export interface DeletePeerRequest {
  address?: string;
  interface?: string;
}

export interface ResetPeerRequest {
  address?: string;
  communication?: string;
  soft?: boolean;
  direction?: number;
}

export interface ShutdownPeerRequest {
  address?: string;
  communication?: string;
}

export interface EnablePeerRequest {
  address?: string;
}

export interface DisablePeerRequest {
  address?: string;
  communication?: string;
}

export interface Path {
  nlri?: AnyMessage | null;
  pattrs?: AnyMessage[];
  age?: Timestamp | null;
  best?: boolean;
  is_withdraw?: boolean;
  family?: Family | null;
  source_asn?: number;
  source_id?: string;
  filtered?: boolean;
  stale?: boolean;
  is_from_external?: boolean;
  neighbor_ip?: string;
  uuid?: Uint8Array;
  is_nexthop_invalid?: boolean;
  identifier?: number;
  local_identifier?: number;
  nlri_binary?: Uint8Array;
  pattrs_binary?: Uint8Array[];
  /** tsbgp extension (field 1001): in the multipath set. */
  multipath?: boolean;
}

export interface Destination {
  prefix?: string;
  paths?: Path[];
}

export interface TableLookupPrefix {
  prefix?: string;
  type?: number;
}

export interface ListPathRequest {
  table_type?: TableType;
  name?: string;
  family?: Family | null;
  prefixes?: TableLookupPrefix[];
  sort_type?: number;
  enable_filtered?: boolean;
  enable_nlri_binary?: boolean;
  enable_attribute_binary?: boolean;
  enable_only_binary?: boolean;
}

export interface ListPathResponse {
  destination?: Destination | null;
}

export interface AddPathRequest {
  table_type?: TableType;
  vrf_id?: string;
  path?: Path | null;
}

export interface AddPathResponse {
  uuid?: Uint8Array;
}

export interface DeletePathRequest {
  table_type?: TableType;
  vrf_id?: string;
  family?: Family | null;
  path?: Path | null;
  uuid?: Uint8Array;
}

export interface GetTableRequest {
  table_type?: TableType;
  family?: Family | null;
  name?: string;
}

export interface GetTableResponse {
  num_destination?: number;
  num_path?: number;
  num_accepted?: number;
}

export interface WatchEventRequest {
  peer?: object | null;
  table?: { filters?: { type?: number; init?: boolean }[] } | null;
}

export interface WatchEventResponse {
  peer?: { type?: number; peer?: Peer | null } | null;
  table?: { paths?: Path[] } | null;
  /** Which member of the `event` oneof is set (filled on receipt). */
  event?: 'peer' | 'table';
}

/** Messages with no fields (requests and google.protobuf.Empty). */
export type Empty = Record<string, never>;

// ---- routing policy

/** DefinedType: the kinds of defined sets. */
export const DefinedType = { prefix: 0, neighbor: 1, tag: 2, asPath: 3, community: 4, extCommunity: 5, largeCommunity: 6, nextHop: 7 } as const;

/** RouteAction: a statement's disposition, or an assignment's default. */
export const RouteAction = { none: 0, accept: 1, reject: 2 } as const;

export const PolicyDirection = { unknown: 0, import: 1, export: 2 } as const;

/** MatchSet.Type. */
export const MatchSetType = { any: 0, all: 1, invert: 2 } as const;

/** AsPathLength.Type. */
export const AsPathLengthType = { eq: 0, ge: 1, le: 2 } as const;

/** CommunityAction.Type. */
export const CommunityActionType = { add: 0, remove: 1, replace: 2 } as const;

/** MedAction.Type. */
export const MedActionType = { mod: 0, replace: 1 } as const;

export interface PrefixEntry {
  ip_prefix?: string;
  mask_length_min?: number;
  mask_length_max?: number;
}

export interface DefinedSet {
  defined_type?: number;
  name?: string;
  list?: string[];
  prefixes?: PrefixEntry[];
}

export interface MatchSet {
  type?: number;
  name?: string;
}

export interface Conditions {
  prefix_set?: MatchSet | null;
  neighbor_set?: MatchSet | null;
  as_path_length?: { type?: number; length?: number } | null;
  as_path_set?: MatchSet | null;
  community_set?: MatchSet | null;
  ext_community_set?: MatchSet | null;
  rpki_result?: number;
  route_type?: number;
  large_community_set?: MatchSet | null;
  next_hop_in_list?: string[];
  afi_safi_in?: Family[];
}

export interface CommunityActionMessage {
  type?: number;
  communities?: string[];
}

export interface Actions {
  route_action?: number;
  community?: CommunityActionMessage | null;
  med?: { type?: number; value?: number } | null;
  as_prepend?: { asn?: number; repeat?: number; use_left_most?: boolean } | null;
  ext_community?: CommunityActionMessage | null;
  nexthop?: { address?: string; self?: boolean; unchanged?: boolean } | null;
  local_pref?: { value?: number } | null;
  large_community?: CommunityActionMessage | null;
}

export interface StatementMessage {
  name?: string;
  conditions?: Conditions | null;
  actions?: Actions | null;
}

export interface PolicyMessage {
  name?: string;
  statements?: StatementMessage[];
}

export interface PolicyAssignmentMessage {
  /** "global" or a neighbor address. */
  name?: string;
  direction?: number;
  policies?: PolicyMessage[];
  default_action?: number;
}

export interface PeerGroupMessage {
  apply_policy?: object | null;
  conf?: { auth_password?: string; description?: string; local_asn?: number; peer_asn?: number; peer_group_name?: string; type?: number } | null;
  info?: { peer_asn?: number; peer_group_name?: string; total_paths?: number; total_prefixes?: number } | null;
  timers?: { config?: TimersConfig | null } | null;
  transport?: Transport | null;
  ebgp_multihop?: { enabled?: boolean; multihop_ttl?: number } | null;
  afi_safis?: AfiSafi[];
}

export interface DynamicNeighborMessage {
  prefix?: string;
  peer_group?: string;
}

export interface UpdatePeerRequest {
  peer?: Peer | null;
  do_soft_reset_in?: boolean;
}

/** UpdatePeerResponse and UpdatePeerGroupResponse. */
export interface UpdatePeerResponse {
  needs_soft_reset_in?: boolean;
}

export interface AddPeerGroupRequest {
  peer_group?: PeerGroupMessage | null;
}

export interface UpdatePeerGroupRequest {
  peer_group?: PeerGroupMessage | null;
  do_soft_reset_in?: boolean;
}

export interface DeletePeerGroupRequest {
  name?: string;
}

export interface AddDynamicNeighborRequest {
  dynamic_neighbor?: DynamicNeighborMessage | null;
}

export interface DeleteDynamicNeighborRequest {
  prefix?: string;
  peer_group?: string;
}
