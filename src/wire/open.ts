// OPEN (RFC 4271 4.2) with optional parameters (RFC 5492) and the Extended Optional
// Parameters Length of RFC 9072.

import type { Capability } from './capability-types.js';

export interface OpenMessage {
  readonly type: 'open';
  readonly version: number;
  /** The 2-octet "My Autonomous System" field: AS_TRANS (23456) for a 4-octet AS. */
  readonly myAs: number;
  readonly holdTime: number;
  /** BGP Identifier, 4 bytes. */
  readonly bgpId: Uint8Array;
  readonly capabilities: readonly Capability[];
}
