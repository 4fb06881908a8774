// What every peer daemon driver (gobgpd, BIRD, FRR) offers the interop tests: start
// from a generated config, session state, RIB contents and origination through the
// daemon's own CLI, and the shutdown communication it received.

/** One BGP neighbor of a daemon under test. */
export interface NeighborSpec {
  readonly address: string;
  /** The neighbor's BGP port, used when this side connects. */
  readonly port: number;
  readonly as: number;
  /** This side only listens for the neighbor (never connects). */
  readonly isPassive: boolean;
  /** TCP MD5 password (RFC 2385) of the session. */
  readonly password?: string;
  /** GTSM (RFC 5082): send with TTL 255 and accept only a directly connected peer. */
  readonly isGtsm?: boolean;
  /** The TTL this side sends with (multihop); the driver's default when undefined. */
  readonly ttl?: number;
}

export type Family = 'ipv4' | 'ipv6';

/** A route as the daemon's CLI shows it, normalized. */
export interface RibRoute {
  readonly prefix: string;
  readonly nextHop: string;
  /** AS numbers of the AS_PATH in order (sets flattened). */
  readonly asPath: readonly number[];
  /** Address of the neighbor it came from; undefined for local routes. */
  readonly fromPeer?: string;
}

/** Settings every driver takes. */
export interface PeerOptions {
  readonly as: number;
  /** Loopback address the daemon listens on and connects from; also its router id. */
  readonly address: string;
  /** Its BGP listen port. */
  readonly port: number;
  readonly neighbors: readonly NeighborSpec[];
  /** Next hops put on the routes it originates (documentation addresses). */
  readonly nextHop4: string;
  readonly nextHop6: string;
}

/** A running peer daemon as the tests use it. */
export interface PeerDaemon {
  readonly kind: string;
  readonly options: PeerOptions;
  start(): Promise<void>;
  /** The session state towards `neighbor`, as the daemon's CLI names it. */
  sessionState(neighbor: string): Promise<string>;
  isEstablished(neighbor: string): Promise<boolean>;
  /** Routes of the family in the daemon's RIB (received and local). */
  routes(family: Family): Promise<RibRoute[]>;
  /** Announces a prefix with the configured next hop of its family. */
  originate(prefix: string): Promise<void>;
  withdraw(prefix: string): Promise<void>;
  /** The RFC 9003 shutdown communication last received from `neighbor`, if shown. */
  receivedShutdownCommunication(neighbor: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

export function familyOf(prefix: string): Family {
  return prefix.includes(':') ? 'ipv6' : 'ipv4';
}

/** "65001 {65003,65004}" or "65001 65002" to numbers. */
export function parseAsPathText(text: string): number[] {
  return (text.match(/\d+/g) ?? []).map(Number);
}
