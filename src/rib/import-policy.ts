// The RIB's hook for import policy (RFC 4271 9.1.1: the degree of preference is a
// matter of local policy): what a policy sees of a received route and what it may
// answer. Declared on the RIB side so the RIB never depends on the policy module.

import type { PathAttributes } from '../wire/attributes/types.js';
import type { PrefixKey } from './prefix-key.js';
import type { PeerInfo } from './sink.js';

/** A received route as an import policy sees it (the shape of the policy module's PolicyRoute). */
export interface ImportRoute {
  readonly key: PrefixKey;
  /** The attributes as received, without MP_REACH_NLRI / MP_UNREACH_NLRI. */
  readonly attributes: PathAttributes;
  /** The next hop, 4 or 16 bytes. */
  readonly nextHop: Uint8Array;
}

/**
 * One peer's import policy. `apply` returns undefined to reject the route, `route`
 * itself to keep it as received (no allocation in the RIB), or a new route with other
 * attributes or next hop; it never writes `route`. Its answers must depend only on the
 * route: the RIB keeps them until `Rib.reapplyImport`.
 */
export interface ImportPolicy {
  /** True when every route passes unchanged: the RIB does not call `apply`. */
  readonly isPassThrough: boolean;
  apply(route: ImportRoute): ImportRoute | undefined;
}

/** Gives a peer's import policy when its session is established (undefined: none). */
export type ImportPolicyOf = (peer: PeerInfo) => ImportPolicy | undefined;
