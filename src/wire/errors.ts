// WireError and the NOTIFICATION code tables (RFC 4271 4.5, 6; RFC 4486; RFC 6608;
// RFC 7313; RFC 8203/9003), plus the RFC 7606 error-handling actions.
// A WireError is exactly what the NOTIFICATION will carry.

/** NOTIFICATION error codes (RFC 4271 4.5, RFC 6608, RFC 7313). */
export const NotifyCode = {
  messageHeader: 1,
  openMessage: 2,
  updateMessage: 3,
  holdTimerExpired: 4,
  fsm: 5,
  cease: 6,
  routeRefresh: 7,
  /** RFC 9687: the send hold timer expired. */
  sendHoldTimerExpired: 8,
} as const;
export type NotifyCode = (typeof NotifyCode)[keyof typeof NotifyCode];

/** Message Header Error subcodes (RFC 4271 6.1). */
export const HeaderSubcode = {
  connectionNotSynchronized: 1,
  badMessageLength: 2,
  badMessageType: 3,
} as const;

/** OPEN Message Error subcodes (RFC 4271 6.2, RFC 5492, RFC 9234). */
export const OpenSubcode = {
  /** RFC 4271 6.2: a recognized optional parameter that is malformed. */
  unspecific: 0,
  unsupportedVersion: 1,
  badPeerAs: 2,
  badBgpIdentifier: 3,
  unsupportedOptionalParameter: 4,
  unacceptableHoldTime: 6,
  unsupportedCapability: 7,
  roleMismatch: 11,
} as const;

/** UPDATE Message Error subcodes (RFC 4271 6.3). */
export const UpdateSubcode = {
  malformedAttributeList: 1,
  unrecognizedWellKnownAttribute: 2,
  missingWellKnownAttribute: 3,
  attributeFlagsError: 4,
  attributeLengthError: 5,
  invalidOriginAttribute: 6,
  invalidNextHopAttribute: 8,
  optionalAttributeError: 9,
  invalidNetworkField: 10,
  malformedAsPath: 11,
} as const;

/** Finite State Machine Error subcodes (RFC 6608): the state the error happened in. */
export const FsmSubcode = {
  unspecified: 0,
  unexpectedInOpenSent: 1,
  unexpectedInOpenConfirm: 2,
  unexpectedInEstablished: 3,
} as const;

/** Cease subcodes (RFC 4486, RFC 8203, RFC 9003). */
export const CeaseSubcode = {
  maxPrefixes: 1,
  administrativeShutdown: 2,
  peerDeconfigured: 3,
  administrativeReset: 4,
  connectionRejected: 5,
  otherConfigurationChange: 6,
  connectionCollisionResolution: 7,
  outOfResources: 8,
  hardReset: 9,
  bfdDown: 10,
} as const;

/** ROUTE-REFRESH Message Error subcodes (RFC 7313 5). */
export const RouteRefreshSubcode = {
  invalidMessageLength: 1,
} as const;

/**
 * RFC 7606 actions, weakest first. An UPDATE with several faulty attributes takes the
 * strongest of their actions (RFC 7606 3.h).
 */
export const ErrorAction = {
  /** Drop the attribute, keep the route (RFC 7606 2). */
  attributeDiscard: 1,
  /** Keep the session, treat every NLRI of the UPDATE as withdrawn (RFC 7606 2). */
  treatAsWithdraw: 2,
  /** Stop using the AFI/SAFI of the faulty MP attribute (RFC 4760 7). */
  afiSafiDisable: 3,
  /** NOTIFICATION and close (RFC 4271 6). */
  sessionReset: 4,
} as const;
export type ErrorAction = (typeof ErrorAction)[keyof typeof ErrorAction];

const codeNames: Record<number, string> = {
  1: 'Message Header Error',
  2: 'OPEN Message Error',
  3: 'UPDATE Message Error',
  4: 'Hold Timer Expired',
  5: 'Finite State Machine Error',
  6: 'Cease',
  7: 'ROUTE-REFRESH Message Error',
  8: 'Send Hold Timer Expired',
};

const subcodeNames: Record<number, Record<number, string>> = {
  1: { 1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type' },
  2: {
    1: 'Unsupported Version Number',
    2: 'Bad Peer AS',
    3: 'Bad BGP Identifier',
    4: 'Unsupported Optional Parameter',
    6: 'Unacceptable Hold Time',
    7: 'Unsupported Capability',
    11: 'Role Mismatch',
  },
  3: {
    1: 'Malformed Attribute List',
    2: 'Unrecognized Well-known Attribute',
    3: 'Missing Well-known Attribute',
    4: 'Attribute Flags Error',
    5: 'Attribute Length Error',
    6: 'Invalid ORIGIN Attribute',
    8: 'Invalid NEXT_HOP Attribute',
    9: 'Optional Attribute Error',
    10: 'Invalid Network Field',
    11: 'Malformed AS_PATH',
  },
  5: {
    0: 'Unspecified Error',
    1: 'Receive Unexpected Message in OpenSent State',
    2: 'Receive Unexpected Message in OpenConfirm State',
    3: 'Receive Unexpected Message in Established State',
  },
  6: {
    1: 'Maximum Number of Prefixes Reached',
    2: 'Administrative Shutdown',
    3: 'Peer De-configured',
    4: 'Administrative Reset',
    5: 'Connection Rejected',
    6: 'Other Configuration Change',
    7: 'Connection Collision Resolution',
    8: 'Out of Resources',
    9: 'Hard Reset',
    10: 'BFD Down',
  },
  7: { 1: 'Invalid Message Length' },
};

/** "Cease / Administrative Shutdown"-style text for a code pair. */
export function describeNotify(code: number, subcode: number): string {
  const c = codeNames[code] ?? `code ${code}`;
  const s = subcodeNames[code]?.[subcode] ?? (subcode === 0 ? '' : `subcode ${subcode}`);
  return s === '' ? c : `${c} / ${s}`;
}

/**
 * A peer fault found on the wire: the NOTIFICATION code, subcode and data it maps to,
 * and for UPDATE attribute faults the RFC 7606 action.
 */
export class WireError extends Error {
  override readonly name = 'WireError';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  readonly action: ErrorAction;

  constructor(code: number, subcode: number, detail: string, data: Uint8Array = new Uint8Array(0), action: ErrorAction = ErrorAction.sessionReset, options?: ErrorOptions) {
    super(`${describeNotify(code, subcode)}: ${detail}`, options);
    this.code = code;
    this.subcode = subcode;
    this.data = data;
    this.action = action;
  }
}
