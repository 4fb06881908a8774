// The capability values of an OPEN (RFC 5492), as decoded. The codes live in
// CapabilityCode; the encoders and decoders are in capabilities.ts.

import type { FamilyKey } from './context.js';

/** IANA capability codes. */
export const CapabilityCode = {
  multiprotocol: 1,
  routeRefresh: 2,
  extendedNextHop: 5,
  extendedMessage: 6,
  role: 9,
  gracefulRestart: 64,
  fourOctetAs: 65,
  addPath: 69,
  enhancedRouteRefresh: 70,
  longLivedGracefulRestart: 71,
  fqdn: 73,
  /** Pre-standard route refresh (Cisco), still sent by some peers. */
  routeRefreshOld: 128,
} as const;

/** ADD-PATH Send/Receive field (RFC 7911 4). */
export const AddPathMode = { receive: 1, send: 2, both: 3 } as const;
export type AddPathMode = (typeof AddPathMode)[keyof typeof AddPathMode];

export interface GracefulRestartFamily {
  readonly afi: number;
  readonly safi: number;
  /** Forwarding state preserved across the restart ("F" bit). */
  readonly isForwardingPreserved: boolean;
}

export interface LlgrFamily {
  readonly afi: number;
  readonly safi: number;
  readonly isForwardingPreserved: boolean;
  /** Long-lived stale time, seconds (24 bits). */
  readonly staleTimeSec: number;
}

export type Capability =
  | { readonly kind: 'multiprotocol'; readonly afi: number; readonly safi: number }
  | { readonly kind: 'route-refresh' }
  | { readonly kind: 'route-refresh-old' }
  | { readonly kind: 'enhanced-route-refresh' }
  | { readonly kind: 'extended-message' }
  | { readonly kind: 'four-octet-as'; readonly asn: number }
  | {
      readonly kind: 'graceful-restart';
      /** "R" bit: the sender has restarted. */
      readonly isRestarting: boolean;
      /** "N" bit: notifications are covered too (RFC 8538). */
      readonly isNotificationSupported: boolean;
      readonly restartTimeSec: number;
      readonly families: readonly GracefulRestartFamily[];
    }
  | { readonly kind: 'long-lived-graceful-restart'; readonly families: readonly LlgrFamily[] }
  | { readonly kind: 'add-path'; readonly families: readonly { readonly afi: number; readonly safi: number; readonly mode: AddPathMode }[] }
  | { readonly kind: 'extended-next-hop'; readonly entries: readonly { readonly afi: number; readonly safi: number; readonly nextHopAfi: number }[] }
  | { readonly kind: 'fqdn'; readonly hostname: string; readonly domain: string }
  | { readonly kind: 'role'; readonly role: number }
  | { readonly kind: 'unknown'; readonly code: number; readonly value: Uint8Array };

export type CapabilityKind = Capability['kind'];

/** Families listed by Multiprotocol capabilities. */
export type FamilySet = ReadonlySet<FamilyKey>;
