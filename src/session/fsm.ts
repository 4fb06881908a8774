// The BGP finite state machine (RFC 4271 8) as data: per state, each accepted event's
// next state and actions, read by the pure `step`. Unlisted events in OpenSent,
// OpenConfirm and Established are FSM Errors with the RFC 6608 sub-code of the state.
// The session executes the actions; `stateTimers` says which timers run in each state.

import { NotifyCode, FsmSubcode, CeaseSubcode } from '../wire/errors.js';

export const sessionStates = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'] as const;
/** RFC 4271 8.2.2 states. */
export type SessionState = (typeof sessionStates)[number];

/**
 * RFC 4271 8.1 event names, plus RouteRefreshMsg (RFC 2918) and SendHoldTimer_Expires
 * (RFC 9687). AutomaticStop (RFC 4271 8.1.2 event 8) is the session stopping itself,
 * e.g. its output queue ran out of memory.
 */
export const fsmEvents = [
  'ManualStart',
  'ManualStop',
  'AutomaticStart',
  'ManualStart_with_PassiveTcpEstablishment',
  'AutomaticStart_with_PassiveTcpEstablishment',
  'AutomaticStop',
  'ConnectRetryTimer_Expires',
  'HoldTimer_Expires',
  'KeepaliveTimer_Expires',
  'IdleHoldTimer_Expires',
  'SendHoldTimer_Expires',
  'Tcp_CR_Acked',
  'TcpConnectionConfirmed',
  'TcpConnectionFails',
  'BGPOpen',
  'BGPHeaderErr',
  'BGPOpenMsgErr',
  'OpenCollisionDump',
  'NotifMsgVerErr',
  'NotifMsg',
  'KeepAliveMsg',
  'UpdateMsg',
  'UpdateMsgErr',
  'RouteRefreshMsg',
] as const;
export type FsmEvent = (typeof fsmEvents)[number];

/** What the session does on a transition, in the order listed. */
export type Action =
  /** Open a TCP connection to the peer (never for a passive session). */
  | { readonly do: 'connect' }
  /** Start again through AutomaticStart, or its passive variant for a passive session. */
  | { readonly do: 'automaticStart' }
  | { readonly do: 'sendOpen' }
  | { readonly do: 'sendKeepalive' }
  /** A NOTIFICATION fixed by the transition (hold timer, FSM error, collision). */
  | { readonly do: 'sendNotification'; readonly code: number; readonly subcode: number }
  /** The NOTIFICATION the event carries: the WireError found, or the Cease of a stop. */
  | { readonly do: 'sendEventNotification' }
  /** Drop the FSM's connection (or the connect in progress), flushing what is queued. */
  | { readonly do: 'closeConnection' }
  | { readonly do: 'restartConnectRetryTimer' }
  | { readonly do: 'restartHoldTimer' }
  | { readonly do: 'restartKeepaliveTimer' }
  /** Hand the received UPDATE to the sink (End-of-RIB included). */
  | { readonly do: 'processUpdate' }
  /** Tell the sink the session is up / down; runs after the state has changed. */
  | { readonly do: 'peerUp' }
  | { readonly do: 'peerDown' }
  /** The ConnectRetryCounter of RFC 4271 8, which also drives the idle hold back-off. */
  | { readonly do: 'incrementFailures' }
  | { readonly do: 'clearFailures' };

export interface Transition {
  readonly next: SessionState;
  readonly actions: readonly Action[];
}

/** Hold timer modes: none, the large OpenSent value (RFC 4271 8.2.2: 4 minutes), or negotiated. */
export type HoldMode = 'off' | 'open' | 'negotiated';

/** The timers that run in a state. Entering the state starts the missing ones and stops the rest. */
export interface StateTimers {
  readonly connectRetry: boolean;
  readonly hold: HoldMode;
  readonly keepalive: boolean;
  /** Runs in Idle when an automatic restart is due (not after a ManualStop). */
  readonly idleHold: boolean;
  /** Not in the RFC: after this long in Established the failure counter is cleared. */
  readonly stable: boolean;
}

export const stateTimers: { readonly [S in SessionState]: StateTimers } = {
  Idle: { connectRetry: false, hold: 'off', keepalive: false, idleHold: true, stable: false },
  Connect: { connectRetry: true, hold: 'off', keepalive: false, idleHold: false, stable: false },
  Active: { connectRetry: true, hold: 'off', keepalive: false, idleHold: false, stable: false },
  OpenSent: { connectRetry: false, hold: 'open', keepalive: false, idleHold: false, stable: false },
  OpenConfirm: { connectRetry: false, hold: 'negotiated', keepalive: true, idleHold: false, stable: false },
  Established: { connectRetry: false, hold: 'negotiated', keepalive: true, idleHold: false, stable: true },
};

const act = {
  connect: { do: 'connect' },
  automaticStart: { do: 'automaticStart' },
  sendOpen: { do: 'sendOpen' },
  sendKeepalive: { do: 'sendKeepalive' },
  sendEventNotification: { do: 'sendEventNotification' },
  closeConnection: { do: 'closeConnection' },
  restartConnectRetryTimer: { do: 'restartConnectRetryTimer' },
  restartHoldTimer: { do: 'restartHoldTimer' },
  restartKeepaliveTimer: { do: 'restartKeepaliveTimer' },
  processUpdate: { do: 'processUpdate' },
  peerUp: { do: 'peerUp' },
  peerDown: { do: 'peerDown' },
  incrementFailures: { do: 'incrementFailures' },
  clearFailures: { do: 'clearFailures' },
} as const satisfies Record<string, Action>;

const notify = (code: number, subcode: number): Action => ({ do: 'sendNotification', code, subcode });
const holdExpired = notify(NotifyCode.holdTimerExpired, 0);
const sendHoldExpired = notify(NotifyCode.sendHoldTimerExpired, 0);
const collision = notify(NotifyCode.cease, CeaseSubcode.connectionCollisionResolution);

const go = (next: SessionState, ...actions: Action[]): Transition => ({ next, actions });

type Row = Partial<Record<FsmEvent, Transition>>;

/** Start events are ignored outside Idle (RFC 4271 8.2.2, each state). */
function ignoreStarts(state: SessionState): Row {
  const stay = go(state);
  return {
    ManualStart: stay,
    AutomaticStart: stay,
    ManualStart_with_PassiveTcpEstablishment: stay,
    AutomaticStart_with_PassiveTcpEstablishment: stay,
    IdleHoldTimer_Expires: stay,
  };
}

/**
 * Once a connection exists, a second one is tracked by collision detection (RFC 4271
 * 6.8), outside this machine; its TCP events leave the state alone.
 */
function ignoreSecondConnection(state: SessionState): Row {
  return { Tcp_CR_Acked: go(state), TcpConnectionConfirmed: go(state) };
}

/** The ways an open connection ends, common to OpenSent, OpenConfirm and Established. */
function downRows(isEstablished: boolean): Row {
  const down = isEstablished ? [act.peerDown] : [];
  return {
    ManualStop: go('Idle', act.sendEventNotification, act.closeConnection, act.clearFailures, ...down),
    AutomaticStop: go('Idle', act.sendEventNotification, act.closeConnection, act.incrementFailures, ...down),
    HoldTimer_Expires: go('Idle', holdExpired, act.closeConnection, act.incrementFailures, ...down),
    SendHoldTimer_Expires: go('Idle', sendHoldExpired, act.closeConnection, act.incrementFailures, ...down),
    BGPHeaderErr: go('Idle', act.sendEventNotification, act.closeConnection, act.incrementFailures, ...down),
    // RFC 4271 8.2.2 OpenSent lists NotifMsg among the FSM errors; answering a
    // NOTIFICATION with one helps nobody, so every state just closes.
    NotifMsg: go('Idle', act.closeConnection, act.incrementFailures, ...down),
    NotifMsgVerErr: go('Idle', act.closeConnection, ...down),
  };
}

/** Connect and Active: no BGP connection yet, so a fault just drops the TCP attempt. */
function preOpenDefault(): Transition {
  return go('Idle', act.closeConnection, act.incrementFailures);
}

export const transitions: { readonly [S in SessionState]: Row } = {
  Idle: {
    ManualStart: go('Connect', act.clearFailures, act.connect),
    AutomaticStart: go('Connect', act.connect),
    ManualStart_with_PassiveTcpEstablishment: go('Active', act.clearFailures),
    AutomaticStart_with_PassiveTcpEstablishment: go('Active'),
    IdleHoldTimer_Expires: go('Idle', act.automaticStart),
  },
  Connect: {
    ...ignoreStarts('Connect'),
    ManualStop: go('Idle', act.closeConnection, act.clearFailures),
    AutomaticStop: go('Idle', act.closeConnection, act.incrementFailures),
    ConnectRetryTimer_Expires: go('Connect', act.closeConnection, act.restartConnectRetryTimer, act.connect),
    Tcp_CR_Acked: go('OpenSent', act.sendOpen),
    TcpConnectionConfirmed: go('OpenSent', act.sendOpen),
    // RFC 4271 8.2.2 Connect goes to Active only with DelayOpen; we go there always so
    // an unreachable peer may still connect to us while we wait to retry.
    TcpConnectionFails: go('Active', act.closeConnection, act.restartConnectRetryTimer),
  },
  Active: {
    ...ignoreStarts('Active'),
    ManualStop: go('Idle', act.closeConnection, act.clearFailures),
    AutomaticStop: go('Idle', act.closeConnection, act.incrementFailures),
    ConnectRetryTimer_Expires: go('Connect', act.connect),
    Tcp_CR_Acked: go('OpenSent', act.sendOpen),
    TcpConnectionConfirmed: go('OpenSent', act.sendOpen),
    TcpConnectionFails: go('Idle', act.closeConnection, act.incrementFailures),
  },
  OpenSent: {
    ...ignoreStarts('OpenSent'),
    ...ignoreSecondConnection('OpenSent'),
    ...downRows(false),
    TcpConnectionFails: go('Active', act.closeConnection, act.restartConnectRetryTimer),
    BGPOpen: go('OpenConfirm', act.sendKeepalive),
    BGPOpenMsgErr: go('Idle', act.sendEventNotification, act.closeConnection, act.incrementFailures),
    // RFC 4271 8.2.2 says Idle; the session keeps the winning connection, which takes
    // the FSM from Active through TcpConnectionConfirmed. Losing a collision is no failure.
    OpenCollisionDump: go('Active', collision, act.closeConnection),
  },
  OpenConfirm: {
    ...ignoreStarts('OpenConfirm'),
    ...ignoreSecondConnection('OpenConfirm'),
    ...downRows(false),
    TcpConnectionFails: go('Idle', act.closeConnection, act.incrementFailures),
    KeepaliveTimer_Expires: go('OpenConfirm', act.sendKeepalive, act.restartKeepaliveTimer),
    BGPOpenMsgErr: go('Idle', act.sendEventNotification, act.closeConnection, act.incrementFailures),
    OpenCollisionDump: go('Active', collision, act.closeConnection),
    KeepAliveMsg: go('Established', act.restartHoldTimer, act.peerUp),
  },
  Established: {
    ...ignoreStarts('Established'),
    ...ignoreSecondConnection('Established'),
    ...downRows(true),
    TcpConnectionFails: go('Idle', act.closeConnection, act.incrementFailures, act.peerDown),
    KeepaliveTimer_Expires: go('Established', act.sendKeepalive, act.restartKeepaliveTimer),
    KeepAliveMsg: go('Established', act.restartHoldTimer),
    UpdateMsg: go('Established', act.restartHoldTimer, act.processUpdate),
    UpdateMsgErr: go('Idle', act.sendEventNotification, act.closeConnection, act.incrementFailures, act.peerDown),
    // We do not advertise Route Refresh, so a request is ignored (RFC 7313 5 reads the
    // same for a capability not negotiated).
    RouteRefreshMsg: go('Established'),
  },
};

/** RFC 6608 3: the FSM Error sub-code names the state the unexpected event came in. */
export const fsmErrorSubcode: Readonly<Partial<Record<SessionState, number>>> = {
  OpenSent: FsmSubcode.unexpectedInOpenSent,
  OpenConfirm: FsmSubcode.unexpectedInOpenConfirm,
  Established: FsmSubcode.unexpectedInEstablished,
};

/**
 * The transition for `event` in `state`. Unlisted events: Idle ignores them (RFC 4271
 * 8.2.2 Idle); Connect and Active drop the attempt; the later states send an FSM Error.
 */
export function step(state: SessionState, event: FsmEvent): Transition {
  const listed = transitions[state][event];
  if (listed !== undefined) return listed;
  if (state === 'Idle') return go('Idle');
  const subcode = fsmErrorSubcode[state];
  if (subcode === undefined) return preOpenDefault();
  const down = state === 'Established' ? [act.peerDown] : [];
  return go('Idle', notify(NotifyCode.fsm, subcode), act.closeConnection, act.incrementFailures, ...down);
}
