// UPDATE (RFC 4271 4.3), with the RFC 7606 revised error handling.

import type { NlriList } from './nlri.js';
import type { PathAttributes } from './attributes/types.js';
import type { WireError, ErrorAction } from './errors.js';

export interface UpdateMessage {
  readonly type: 'update';
  /** The IPv4 unicast Withdrawn Routes field. */
  readonly withdrawn: NlriList;
  /** Attributes as decoded, without those RFC 7606 said to discard. */
  readonly attributes: PathAttributes;
  /** The IPv4 unicast NLRI field. */
  readonly nlri: NlriList;
  /**
   * The attribute bytes other than MP_REACH_NLRI / MP_UNREACH_NLRI, as received (or
   * as encoded): equal bytes mean equal attributes, so the RIB can share one copy.
   */
  readonly attrKey: Uint8Array;
  /** Faults found and tolerated under RFC 7606 (session-reset faults are thrown). */
  readonly faults: readonly WireError[];
  /** The strongest action of `faults`, or undefined when there are none. */
  readonly action?: ErrorAction;
}
