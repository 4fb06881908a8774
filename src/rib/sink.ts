// What a session hands its received routes to. Declared here, on the RIB side, so
// that `session` depends on `rib`'s contract and never the other way round.

import type { UpdateMessage } from '../wire/update.js';
import type { FamilyKey } from '../wire/context.js';

/** Who a session is talking to, as the RIB needs to know it. */
export interface PeerInfo {
  /** Remote address as text, the peer's name in logs and the API. */
  readonly address: string;
  readonly peerAs: number;
  readonly localAs: number;
  /** The peer's BGP Identifier, 4 bytes. */
  readonly routerId: Uint8Array;
  readonly isEbgp: boolean;
  /** Families both sides negotiated. */
  readonly families: ReadonlySet<FamilyKey>;
  /** Families for which the peer sends path identifiers (RFC 7911). */
  readonly addPathRx: ReadonlySet<FamilyKey>;
}

/** Receives a session's routes. Calls are synchronous and in wire order. */
export interface UpdateSink {
  /** The session reached Established. */
  onEstablished(peer: PeerInfo): void;
  /** One UPDATE, after RFC 7606 handling; `update.action` says how to treat it. */
  onUpdate(peer: PeerInfo, update: UpdateMessage): void;
  /** The peer sent End-of-RIB for a family (RFC 4724 2). */
  onEndOfRib(peer: PeerInfo, family: FamilyKey): void;
  /** The session left Established; everything learned from it is gone unless kept for GR. */
  onPeerDown(peer: PeerInfo, reason: string): void;
}
