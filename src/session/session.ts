// A BGP session with one configured peer: runs the FSM of fsm.ts on its connections,
// the timers of RFC 4271 10 (with RFC 9687's send hold timer and an idle hold back-off),
// connection collision detection (RFC 4271 6.8, RFC 6286 2.3), and hands received
// UPDATEs to an UpdateSink.

import type { Cancel, Clock, Random } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { UpdateSink, PeerInfo } from '../rib/sink.js';
import type { AddPathMode } from '../wire/capability-types.js';
import type { FamilyKey } from '../wire/context.js';
import { familyName } from '../wire/context.js';
import { WireError, NotifyCode, CeaseSubcode, ErrorAction, FsmSubcode, OpenSubcode, describeNotify } from '../wire/errors.js';
import { decodeMessage, encodeMessage, type Message } from '../wire/message.js';
import { ceaseNotification, shutdownCommunication, type NotificationMessage } from '../wire/notification.js';
import { keepalive } from '../wire/keepalive.js';
import { endOfRibFamily, type UpdateMessage } from '../wire/update.js';
import { RefreshSubtype, type RouteRefreshMessage } from '../wire/route-refresh.js';
import { step, stateTimers, type Action, type FsmEvent, type HoldMode, type SessionState } from './fsm.js';
import { localOpen, negotiate, peerInfoOf, type LocalGracefulRestart, type LocalLongLivedGracefulRestart, type Negotiated } from './capabilities.js';
import { Connection, defaultQueueLimits, type ByteCounters, type ConnectionHandler, type QueueLimits } from './connection.js';
import type { Connector, Transport } from './transport.js';

export type { SessionState } from './fsm.js';

/** One configured peer. */
export interface SessionConfig {
  peerAddress: string;
  /** 179 normally. */
  peerPort: number;
  /** Source address of outgoing connections. */
  localAddress?: string;
  localAs: number;
  peerAs: number;
  /** Our BGP Identifier, 4 bytes. */
  routerId: Uint8Array;
  /** Offered hold time, 0 or 3..65535 seconds (90 usual); 0 = no hold timer, no KEEPALIVEs. */
  holdTimeSec: number;
  /** Default a third of the negotiated hold time; scaled when the peer offers less. */
  keepaliveSec?: number;
  /** ConnectRetryTime (RFC 4271 10: 120 s suggested), jittered to 75-100 %. */
  connectRetrySec: number;
  /** Never connect out; wait for the peer to connect. */
  isPassive: boolean;
  /** Multiprotocol capabilities offered; empty = none (IPv4 unicast implied, RFC 4760 8). */
  families: readonly FamilyKey[];
  /** FQDN capability. */
  hostname?: string;
  gracefulRestart?: LocalGracefulRestart;
  /** Long-lived graceful restart capability (RFC 9494 3), sent beside `gracefulRestart`. */
  longLivedGracefulRestart?: LocalLongLivedGracefulRestart;
  addPath?: ReadonlyMap<FamilyKey, AddPathMode>;
  /** Idle hold after the first failure (gobgpd's idle-hold-time-after-reset); doubles per failure. Default 5. */
  idleHoldSec?: number;
  /** Offer Route Refresh (RFC 2918); the owner answers through `onRouteRefresh`. */
  isRouteRefresh?: boolean;
}

/** What a session needs from its surroundings; tests inject fakes. */
export interface SessionDeps {
  clock: Clock;
  random: Random;
  logger: Logger;
  sink: UpdateSink;
  connect: Connector;
  /** Output queue marks; defaults: 4 MiB high, 1 MiB low, 32 MiB hard cap. */
  queueLimits?: Partial<QueueLimits>;
}

/** RFC 4271 8.2.2 OpenSent: "a large value", 4 minutes suggested. */
export const openHoldMs = 4 * 60 * 1000;
/** Idle hold back-off: 5 s after the first failure, doubling, at most 120 s. */
export const idleHoldBaseMs = 5000;
export const idleHoldMaxMs = 120_000;
/** Established this long without trouble clears the failure count (and the back-off). */
export const stableEstablishedMs = 60_000;

/** A broken invariant, not a load: one input raises a handful of events at most. */
const maxEventsPerTurn = 100;

/** The idle hold time after `failures` consecutive failures (at least one step). */
export function idleHoldMs(failures: number, baseMs = idleHoldBaseMs): number {
  return Math.min(Math.max(idleHoldMaxMs, baseMs), baseMs * 2 ** Math.max(0, Math.min(failures, 16) - 1));
}

const actionNames: Readonly<Record<number, string>> = {
  [ErrorAction.attributeDiscard]: 'attribute-discard',
  [ErrorAction.treatAsWithdraw]: 'treat-as-withdraw',
  [ErrorAction.afiSafiDisable]: 'afi-safi-disable',
};

/** Which FSM event a decoding fault raises, by NOTIFICATION code. */
function errorEvent(err: WireError): FsmEvent {
  if (err.code === NotifyCode.messageHeader) return 'BGPHeaderErr';
  if (err.code === NotifyCode.openMessage) return 'BGPOpenMsgErr';
  return 'UpdateMsgErr';
}

function idNumber(id: Uint8Array): number {
  return ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;
}

/**
 * RFC 4271 6.8: the connection initiated by the speaker with the higher BGP Identifier
 * survives; with equal identifiers the higher AS number decides (RFC 6286 2.3).
 */
function isLocalHigher(localId: Uint8Array, localAs: number, peerId: Uint8Array, peerAs: number): boolean {
  const a = idNumber(localId);
  const b = idNumber(peerId);
  return a !== b ? a > b : localAs > peerAs;
}

interface EventInput {
  /** The connection the event came from; events of a replaced connection are dropped. */
  readonly conn?: Connection;
  /** The fault to report in the NOTIFICATION. */
  readonly error?: WireError;
  /** The NOTIFICATION to send (a stop's Cease). */
  readonly notification?: NotificationMessage;
  readonly update?: UpdateMessage;
  /** Why, for the state log and onPeerDown. */
  readonly reason: string;
}

type TimerName = 'connectRetry' | 'hold' | 'keepalive' | 'idleHold' | 'stable';

export class Session {
  readonly config: SessionConfig;
  private readonly deps: SessionDeps;
  private readonly limits: QueueLimits;
  private current: SessionState = 'Idle';
  /** The connection the FSM runs on (OpenSent onwards). */
  private primary: Connection | undefined;
  /** A second connection, waiting for collision detection (RFC 4271 6.8); we send it no OPEN until it wins. */
  private candidate: Connection | undefined;
  /** An outgoing connection not yet established. */
  private pending: Connection | undefined;
  private isAutoRestart = false;
  /** RFC 4271 8: ConnectRetryCounter. */
  private failures = 0;
  private readonly timers: Partial<Record<TimerName, Cancel>> = {};
  private holdMode: HoldMode = 'off';
  private holdMs = 0;
  private holdRestartedAt = 0;
  private info: PeerInfo | undefined;
  private downEvent: FsmEvent | undefined;
  private events: { event: FsmEvent; input: EventInput }[] = [];
  private isStepping = false;
  private readonly closing = new Set<Promise<void>>();
  private needsDrain = false;
  private readonly stateListeners: ((state: SessionState, previous: SessionState, reason: string) => void)[] = [];
  private readonly drainListeners: (() => void)[] = [];
  private readonly refreshListeners: ((msg: RouteRefreshMessage) => void)[] = [];
  private readonly handler: ConnectionHandler;
  /** Bytes of every connection of this session, read and written (one add per chunk). */
  private readonly bytes: ByteCounters = { received: 0, sent: 0 };

  constructor(config: SessionConfig, deps: SessionDeps) {
    checkConfig(config);
    this.config = config;
    this.deps = deps;
    this.limits = { ...defaultQueueLimits, ...deps.queueLimits };
    this.handler = {
      onConnect: (c) => this.onConnected(c),
      onMessage: (c, bytes) => this.onMessage(c, bytes),
      onFramingError: (c, err) => this.onWireError(c, err),
      onLost: (c, reason) => this.onLost(c, reason),
      onQueueShrunk: (c) => this.onQueueShrunk(c),
      onSendHoldExpired: (c) => {
        if (c === this.primary) this.fire('SendHoldTimer_Expires', { conn: c, reason: 'send hold timer expired' });
        else if (c === this.candidate) this.dropCandidate({ type: 'notification', code: NotifyCode.sendHoldTimerExpired, subcode: 0, data: new Uint8Array(0) });
      },
    };
  }

  get state(): SessionState {
    return this.current;
  }

  /** Set while Established. */
  get peerInfo(): PeerInfo | undefined {
    return this.info;
  }

  /**
   * The FSM event that last took the session out of Established, readable from the
   * sink's onPeerDown on: TcpConnectionFails means the transport went without a
   * NOTIFICATION either way, which is when RFC 4724 4.2 keeps the peer's routes.
   */
  get lastDownEvent(): FsmEvent | undefined {
    return this.downEvent;
  }

  /** What the current connection negotiated, once the peer's OPEN is accepted. */
  /** Our address on the session's connection (the default next hop), while connected. */
  get localAddress(): string | undefined {
    return this.primary?.transport.localAddress;
  }

  get negotiated(): Negotiated | undefined {
    return this.primary?.negotiated;
  }

  /** Bytes of UPDATEs waiting in memory for the transport. */
  get queuedBytes(): number {
    return this.primary?.queuedBytes ?? 0;
  }

  /** Bytes received from and sent to the peer on every connection of this session so far. */
  get byteCounts(): Readonly<ByteCounters> {
    return this.bytes;
  }

  /** ManualStart (passive: wait for the peer). Later drops restart by themselves. */
  start(): void {
    this.isAutoRestart = true;
    if (this.current !== 'Idle') return;
    this.cancelTimer('idleHold');
    this.fire(this.config.isPassive ? 'ManualStart_with_PassiveTcpEstablishment' : 'ManualStart', { reason: 'start' });
  }

  /**
   * ManualStop: a Cease (Administrative Shutdown unless `subcode` says otherwise, with
   * the RFC 9003 communication) if a BGP connection is open, flush (bounded), close,
   * Idle. No automatic restart until `start`. Resolves when every connection is closed.
   */
  stop(communication = '', subcode: number = CeaseSubcode.administrativeShutdown, data?: Uint8Array): Promise<void> {
    this.isAutoRestart = false;
    this.cancelTimer('idleHold');
    // `data` replaces the communication where the sub-code defines its own (RFC 4486 4).
    const notification = data === undefined ? ceaseNotification(subcode, communication) : { type: 'notification' as const, code: NotifyCode.cease, subcode, data };
    if (this.candidate !== undefined) this.dropCandidate(notification);
    if (this.pending !== undefined && this.current !== 'Connect') this.closeConnection(this.pending);
    this.fire('ManualStop', { notification, reason: communication === '' ? 'stopped' : `stopped: "${communication}"` });
    return Promise.all([...this.closing]).then(() => undefined);
  }

  /** An accepted TCP connection from this peer. */
  handleIncoming(t: Transport): void {
    const conn = new Connection(t, false, true, this.deps.clock, this.handler, this.bytes);
    switch (this.current) {
      case 'Idle':
        // RFC 4271 8.2.2: Idle refuses connections. While an automatic restart is due
        // anyway, the peer's connection starts it now, passively (event 5): refusing
        // would leave the session down for the peer's whole ConnectRetry time.
        if (!this.isAutoRestart) {
          this.reject(conn, CeaseSubcode.connectionRejected);
          return;
        }
        this.fire('AutomaticStart_with_PassiveTcpEstablishment', { reason: `connection from ${conn.remote}` });
        this.primary = conn;
        this.fire('TcpConnectionConfirmed', { conn, reason: `connection from ${conn.remote}` });
        return;
      case 'Established':
        // RFC 4271 6.8: an Established session wins over a new connection.
        this.reject(conn, CeaseSubcode.connectionRejected);
        return;
      case 'Connect':
      case 'Active':
        if (this.primary === undefined) {
          this.primary = conn;
          this.fire('TcpConnectionConfirmed', { conn, reason: `connection from ${conn.remote}` });
          return;
        }
        break;
      case 'OpenSent':
      case 'OpenConfirm':
        break;
    }
    if (this.candidate !== undefined) this.reject(conn, CeaseSubcode.connectionRejected);
    else this.addCandidate(conn);
  }

  /**
   * Sends an UPDATE (Established only). Returns false when the output queue is at or
   * above its high-water mark (the message is still queued: wait for `onDrain`), or when
   * the session is not Established (the message is dropped: the sink hears of the next
   * Established and sends the table again). Throws RangeError if the message exceeds
   * the negotiated size limit (split it with packUpdates).
   */
  sendUpdate(msg: UpdateMessage): boolean {
    const conn = this.primary;
    if (this.current !== 'Established' || conn === undefined || conn.isClosing) return false;
    const bytes = encodeMessage(msg, conn.tx);
    conn.sendUpdate(bytes);
    if (this.deps.logger.isDebug) this.deps.logger.debug('message sent', { peer: this.config.peerAddress, type: 'update', length: bytes.length });
    if (conn.queuedBytes > this.limits.hardCapBytes) {
      this.fire('AutomaticStop', {
        conn,
        notification: ceaseNotification(CeaseSubcode.outOfResources),
        reason: `output queue above ${this.limits.hardCapBytes} bytes`,
      });
      return false;
    }
    if (conn.queuedBytes >= this.limits.highWaterBytes) {
      this.needsDrain = true;
      return false;
    }
    return true;
  }

  /** Runs `fn` when a queue that was at the high-water mark is back below the low one. */
  onDrain(fn: () => void): void {
    this.drainListeners.push(fn);
  }

  onState(fn: (state: SessionState, previous: SessionState, reason: string) => void): void {
    this.stateListeners.push(fn);
  }

  /** Runs `fn` for each ROUTE-REFRESH received while Established (families not checked). */
  onRouteRefresh(fn: (msg: RouteRefreshMessage) => void): void {
    this.refreshListeners.push(fn);
  }

  /**
   * Sends a ROUTE-REFRESH asking for the family again (RFC 2918 3), Established only.
   * False (nothing sent) when the peer did not offer Route Refresh or the session is not up.
   */
  sendRouteRefresh(afi: number, safi: number): boolean {
    const conn = this.primary;
    if (this.current !== 'Established' || conn === undefined || conn.isClosing || conn.negotiated?.isRouteRefresh !== true) return false;
    this.send(conn, { type: 'route-refresh', afi, safi, subtype: RefreshSubtype.request });
    return true;
  }

  // ---- the FSM ----

  /** Queues an event; events raised while one is being handled run after it, in order. */
  private fire(event: FsmEvent, input: EventInput): void {
    this.events.push({ event, input });
    if (this.isStepping) return;
    this.isStepping = true;
    try {
      // Each event is handled once; actions raise at most a few more (bounded by the table).
      for (let i = 0; i < this.events.length; i++) {
        if (i >= maxEventsPerTurn) throw new Error(`session ${this.config.peerAddress}: more than ${maxEventsPerTurn} FSM events in one turn, last ${this.events[i]!.event}`);
        this.handle(this.events[i]!.event, this.events[i]!.input);
      }
    } finally {
      this.events = [];
      this.isStepping = false;
    }
  }

  private handle(event: FsmEvent, input: EventInput): void {
    if (input.conn !== undefined && input.conn !== this.primary && input.conn !== this.pending) return;
    const from = this.current;
    const { next, actions } = step(from, event);
    // The sink hears of a state change after it happened, so it may send at once.
    const afterwards: Action[] = [];
    for (const a of actions) {
      if (a.do === 'peerUp' || a.do === 'peerDown') afterwards.push(a);
      else this.execute(a, input, event);
    }
    if (next !== from) this.enter(next, input.reason);
    for (const a of afterwards) this.execute(a, input, event);
  }

  private execute(a: Action, input: EventInput, event: FsmEvent): void {
    switch (a.do) {
      case 'connect':
        this.connect();
        return;
      case 'automaticStart':
        this.fire(this.config.isPassive ? 'AutomaticStart_with_PassiveTcpEstablishment' : 'AutomaticStart', { reason: 'idle hold timer expired' });
        return;
      case 'sendOpen':
        if (this.primary !== undefined) this.send(this.primary, localOpen(this.config));
        return;
      case 'sendKeepalive':
        if (this.primary !== undefined) this.send(this.primary, keepalive);
        return;
      case 'sendNotification':
        if (this.primary !== undefined) this.sendNotification(this.primary, { type: 'notification', code: a.code, subcode: a.subcode, data: new Uint8Array(0) }, input.reason);
        return;
      case 'sendEventNotification': {
        const n = input.notification ?? (input.error !== undefined ? { type: 'notification' as const, code: input.error.code, subcode: input.error.subcode, data: input.error.data } : undefined);
        if (n === undefined) throw new Error(`FSM event ${event} asks for its NOTIFICATION but carries none`);
        if (this.primary !== undefined) this.sendNotification(this.primary, n, input.error?.message ?? input.reason);
        return;
      }
      case 'closeConnection':
        if (this.primary !== undefined) this.closeConnection(this.primary);
        this.primary = undefined;
        if (this.pending !== undefined && (this.current === 'Connect' || this.current === 'Active')) this.closeConnection(this.pending);
        return;
      case 'restartConnectRetryTimer':
        this.cancelTimer('connectRetry');
        this.startConnectRetry();
        return;
      case 'restartHoldTimer':
        // Lazy restart: the hold timer re-arms itself for what is left when it fires,
        // so a full table of UPDATEs costs no timer operation each.
        this.holdRestartedAt = this.deps.clock.now();
        return;
      case 'restartKeepaliveTimer':
        this.cancelTimer('keepalive');
        this.startKeepalive();
        return;
      case 'processUpdate':
        if (input.update !== undefined) this.deliver(input.update);
        return;
      case 'peerUp': {
        const n = this.primary?.negotiated;
        if (n === undefined) throw new Error('Established without a negotiated OPEN');
        this.info = peerInfoOf(this.config.peerAddress, this.config, n);
        this.deps.sink.onEstablished(this.info);
        return;
      }
      case 'peerDown': {
        const info = this.info;
        this.info = undefined;
        this.downEvent = event;
        if (info !== undefined) this.deps.sink.onPeerDown(info, input.reason);
        return;
      }
      case 'incrementFailures':
        this.failures++;
        return;
      case 'clearFailures':
        this.failures = 0;
        return;
    }
  }

  /** Entering a state: its timers (fsm.ts `stateTimers`), in this one place. */
  private enter(next: SessionState, reason: string): void {
    const previous = this.current;
    this.current = next;
    const want = stateTimers[next];

    if (want.connectRetry && !this.config.isPassive) {
      if (this.timers.connectRetry === undefined) this.startConnectRetry();
    } else this.cancelTimer('connectRetry');

    const n = this.primary?.negotiated;
    if (want.hold !== this.holdMode) {
      this.cancelTimer('hold');
      this.holdMode = want.hold;
      if (want.hold === 'open') this.startHold(openHoldMs);
      else if (want.hold === 'negotiated' && n !== undefined && n.holdTimeSec > 0) this.startHold(n.holdTimeSec * 1000);
    }

    if (want.keepalive && n !== undefined && n.keepaliveMs > 0) {
      if (this.timers.keepalive === undefined) this.startKeepalive();
    } else this.cancelTimer('keepalive');

    if (want.idleHold && this.isAutoRestart) this.startTimer('idleHold', idleHoldMs(this.failures, (this.config.idleHoldSec ?? idleHoldBaseMs / 1000) * 1000), () => this.fire('IdleHoldTimer_Expires', { reason: 'idle hold timer expired' }));
    else this.cancelTimer('idleHold');

    if (want.stable) {
      this.startTimer('stable', stableEstablishedMs, () => {
        this.failures = 0;
      });
    }
    else this.cancelTimer('stable');

    if (next === 'Idle') {
      // Idle holds no connection (RFC 4271 8.2.2).
      if (this.candidate !== undefined) this.dropCandidate(ceaseNotification(CeaseSubcode.connectionRejected));
      if (this.pending !== undefined) this.closeConnection(this.pending);
      this.needsDrain = false;
    }

    this.deps.logger.info('session state', { peer: this.config.peerAddress, from: previous, to: next, reason });
    for (const fn of this.stateListeners) fn(next, previous, reason);

    // The primary is gone but a second connection waits: it carries on (RFC 4271 6.8).
    if (next === 'Active' && this.primary === undefined && this.candidate !== undefined) {
      const winner = this.candidate;
      this.candidate = undefined;
      winner.stopOpenHold();
      this.primary = winner;
      this.fire('TcpConnectionConfirmed', { conn: winner, reason: `continuing on the connection with ${winner.remote}` });
      if (winner.negotiated !== undefined) this.fire('BGPOpen', { conn: winner, reason: 'OPEN received' });
    }
  }

  // ---- timers ----

  private startTimer(name: TimerName, ms: number, fn: () => void): void {
    this.timers[name]?.();
    this.timers[name] = this.deps.clock.after(ms, () => {
      this.timers[name] = undefined;
      fn();
    });
  }

  private cancelTimer(name: TimerName): void {
    this.timers[name]?.();
    this.timers[name] = undefined;
  }

  /** RFC 4271 10: ConnectRetryTime jittered down by up to 25 %. */
  private startConnectRetry(): void {
    if (this.config.isPassive) return;
    const ms = this.config.connectRetrySec * 1000 * (0.75 + 0.25 * this.deps.random());
    this.startTimer('connectRetry', ms, () => this.fire('ConnectRetryTimer_Expires', { reason: 'connect retry timer expired' }));
  }

  private startHold(ms: number): void {
    this.holdMs = ms;
    this.holdRestartedAt = this.deps.clock.now();
    this.armHold(ms);
  }

  private armHold(ms: number): void {
    this.startTimer('hold', ms, () => {
      const left = this.holdRestartedAt + this.holdMs - this.deps.clock.now();
      if (left > 0) this.armHold(left);
      else this.fire('HoldTimer_Expires', { reason: 'hold timer expired' });
    });
  }

  private startKeepalive(): void {
    const ms = this.primary?.negotiated?.keepaliveMs ?? 0;
    if (ms > 0) this.startTimer('keepalive', ms, () => this.fire('KeepaliveTimer_Expires', { reason: 'keepalive timer expired' }));
  }

  // ---- connections ----

  private connect(): void {
    if (this.config.isPassive) return;
    if (this.pending !== undefined) this.closeConnection(this.pending);
    const { peerAddress: host, peerPort: port, localAddress } = this.config;
    let t: Transport;
    try {
      t = this.deps.connect({ host, port, localAddress });
    } catch (err) {
      this.fire('TcpConnectionFails', { reason: `connect to ${host}:${port} failed: ${(err as Error).message}` });
      return;
    }
    this.pending = new Connection(t, true, false, this.deps.clock, this.handler, this.bytes);
  }

  private onConnected(conn: Connection): void {
    if (conn !== this.pending) return;
    this.pending = undefined;
    const reason = `connected to ${conn.remote}`;
    if ((this.current === 'Connect' || this.current === 'Active') && this.primary === undefined) {
      this.primary = conn;
      this.fire('Tcp_CR_Acked', { conn, reason });
    } else if ((this.current === 'OpenSent' || this.current === 'OpenConfirm') && this.candidate === undefined) {
      this.addCandidate(conn);
    } else {
      this.reject(conn, this.current === 'Established' ? CeaseSubcode.connectionCollisionResolution : CeaseSubcode.connectionRejected);
    }
  }

  private onLost(conn: Connection, reason: string): void {
    if (conn === this.pending) {
      this.pending = undefined;
      if (this.current === 'Connect') this.fire('TcpConnectionFails', { reason: `connect to ${this.config.peerAddress}:${this.config.peerPort} failed: ${reason}` });
    } else if (conn === this.candidate) {
      this.candidate = undefined;
    } else if (conn === this.primary) {
      this.fire('TcpConnectionFails', { conn, reason });
    }
  }

  private closeConnection(conn: Connection): void {
    if (conn === this.pending) this.pending = undefined;
    const closed = conn.close();
    this.closing.add(closed);
    void closed.then(() => this.closing.delete(closed));
  }

  /** Refuses a connection we will not use: Cease, then close. */
  private reject(conn: Connection, subcode: number): void {
    this.sendNotification(conn, ceaseNotification(subcode), 'connection refused');
    this.closeConnection(conn);
  }

  private addCandidate(conn: Connection): void {
    this.candidate = conn;
    conn.startOpenHold(openHoldMs, () => this.dropCandidate({ type: 'notification', code: NotifyCode.holdTimerExpired, subcode: 0, data: new Uint8Array(0) }));
    // RFC 4271 6.8 allows deciding before the second OPEN when the peer's identifier is
    // already known from the first.
    const n = this.primary?.negotiated;
    if (n !== undefined) this.resolveCollision(conn, n);
  }

  private dropCandidate(n: NotificationMessage): void {
    const conn = this.candidate;
    if (conn === undefined) return;
    this.candidate = undefined;
    this.sendNotification(conn, n, 'second connection closed');
    this.closeConnection(conn);
  }

  /**
   * Both connections exist and the peer's identifier is known: keeps the one initiated
   * by the higher identifier. Returns true when `conn`'s OPEN needs no further handling.
   */
  private resolveCollision(conn: Connection, n: Negotiated): boolean {
    const primary = this.primary;
    const candidate = this.candidate;
    if (primary === undefined || candidate === undefined) return false;
    const collision = ceaseNotification(CeaseSubcode.connectionCollisionResolution);
    // An Established connection always stays (RFC 4271 6.8); so does the older of two
    // connections made the same way (no collision in the RFC's sense).
    if (this.current === 'Established' || primary.isOutgoing === candidate.isOutgoing) {
      this.dropCandidate(collision);
      return conn === candidate;
    }
    const keepOutgoing = isLocalHigher(this.config.routerId, this.config.localAs, n.peerId, n.peerAs);
    if (candidate.isOutgoing !== keepOutgoing) {
      this.dropCandidate(collision);
      return conn === candidate;
    }
    // The primary loses: the FSM dumps it and continues on the candidate from Active.
    this.fire('OpenCollisionDump', { conn: primary, reason: `connection collision: keeping the connection ${keepOutgoing ? 'we' : 'the peer'} initiated` });
    return true;
  }

  // ---- sending ----

  private send(conn: Connection, msg: Message): void {
    const bytes = encodeMessage(msg, conn.tx);
    conn.sendControl(bytes);
    if (this.deps.logger.isDebug) this.deps.logger.debug('message sent', { peer: this.config.peerAddress, type: msg.type, length: bytes.length });
  }

  private sendNotification(conn: Connection, n: NotificationMessage, error: string): void {
    this.send(conn, n);
    const communication = shutdownCommunication(n);
    this.deps.logger.warn('notification sent', {
      peer: this.config.peerAddress,
      code: n.code,
      subcode: n.subcode,
      error: error.startsWith(describeNotify(n.code, n.subcode)) ? error : `${describeNotify(n.code, n.subcode)}: ${error}`,
      ...(communication !== undefined ? { communication } : {}),
    });
  }

  private onQueueShrunk(conn: Connection): void {
    if (conn !== this.primary || !this.needsDrain || conn.queuedBytes > this.limits.lowWaterBytes) return;
    this.needsDrain = false;
    for (const fn of this.drainListeners) fn();
  }

  // ---- receiving ----

  private onMessage(conn: Connection, bytes: Uint8Array): void {
    let msg: Message;
    try {
      msg = decodeMessage(bytes, conn.rx);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.onWireError(conn, err);
      return;
    }
    if (this.deps.logger.isDebug) this.deps.logger.debug('message received', { peer: this.config.peerAddress, type: msg.type, length: bytes.length });
    if (conn === this.candidate) {
      this.onCandidateMessage(conn, msg);
      return;
    }
    if (conn !== this.primary) return;
    switch (msg.type) {
      case 'open':
        this.onOpen(conn, msg);
        return;
      case 'keepalive':
        this.fire('KeepAliveMsg', { conn, reason: 'KEEPALIVE received' });
        return;
      case 'update':
        this.onUpdate(conn, msg);
        return;
      case 'notification':
        conn.stopReading();
        this.fire(this.logNotification(msg), { conn, reason: `notification received: ${describeNotify(msg.code, msg.subcode)}` });
        return;
      case 'route-refresh':
        this.fire('RouteRefreshMsg', { conn, reason: 'ROUTE-REFRESH received' });
        // RFC 7313 3: only a request asks for routes; demarcations of other subtypes are not ours to answer.
        if (this.current === 'Established' && msg.subtype === RefreshSubtype.request) for (const fn of this.refreshListeners) fn(msg);
        return;
    }
  }

  private onWireError(conn: Connection, err: WireError): void {
    conn.stopReading();
    if (conn === this.candidate) {
      this.dropCandidate({ type: 'notification', code: err.code, subcode: err.subcode, data: err.data });
      return;
    }
    this.fire(errorEvent(err), { conn, error: err, reason: err.message });
  }

  /** Logs a received NOTIFICATION; returns its event (RFC 4271 8.1.5: version errors apart). */
  private logNotification(msg: NotificationMessage): FsmEvent {
    const communication = shutdownCommunication(msg);
    this.deps.logger.warn('notification received', {
      peer: this.config.peerAddress,
      code: msg.code,
      subcode: msg.subcode,
      error: describeNotify(msg.code, msg.subcode),
      ...(communication !== undefined ? { communication } : msg.data.length > 0 ? { data: Buffer.from(msg.data).toString('hex') } : {}),
    });
    return msg.code === NotifyCode.openMessage && msg.subcode === OpenSubcode.unsupportedVersion ? 'NotifMsgVerErr' : 'NotifMsg';
  }

  private onOpen(conn: Connection, open: Extract<Message, { type: 'open' }>): void {
    // A second OPEN on a running connection is the FSM's error to report.
    if (this.current !== 'OpenSent') {
      this.fire('BGPOpen', { conn, reason: 'OPEN received' });
      return;
    }
    let n: Negotiated;
    try {
      n = negotiate(this.config, open);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.onWireError(conn, err);
      return;
    }
    conn.accept(n);
    if (this.resolveCollision(conn, n)) return;
    this.fire('BGPOpen', { conn, reason: 'OPEN received' });
  }

  private onCandidateMessage(conn: Connection, msg: Message): void {
    if (msg.type === 'notification') {
      this.logNotification(msg);
      this.candidate = undefined;
      this.closeConnection(conn);
      return;
    }
    if (msg.type !== 'open') {
      // We have sent it no OPEN, so anything else is out of turn (RFC 6608: OpenSent).
      this.dropCandidate({ type: 'notification', code: NotifyCode.fsm, subcode: FsmSubcode.unexpectedInOpenSent, data: new Uint8Array(0) });
      return;
    }
    let n: Negotiated;
    try {
      n = negotiate(this.config, msg);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.onWireError(conn, err);
      return;
    }
    conn.accept(n);
    this.resolveCollision(conn, n);
  }

  private onUpdate(conn: Connection, update: UpdateMessage): void {
    if (update.action !== undefined) {
      this.deps.logger.warn('update fault', {
        peer: this.config.peerAddress,
        action: actionNames[update.action] ?? String(update.action),
        error: update.faults.map((f) => f.message).join('; '),
      });
    }
    this.fire('UpdateMsg', { conn, update, reason: 'UPDATE received' });
  }

  /** Hands an UPDATE to the sink: End-of-RIB (RFC 4724 2) or routes. */
  private deliver(update: UpdateMessage): void {
    const info = this.info;
    if (info === undefined) return;
    const eor = update.action === undefined ? endOfRibFamily(update) : undefined;
    if (eor !== undefined) {
      if (this.deps.logger.isDebug) this.deps.logger.debug('end of rib received', { peer: this.config.peerAddress, family: familyName(eor) });
      this.deps.sink.onEndOfRib(info, eor);
    } else {
      this.deps.sink.onUpdate(info, update);
    }
  }
}

/** Operator faults in a session's configuration, named by field. */
function checkConfig(c: SessionConfig): void {
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new RangeError(`session ${c.peerAddress}: ${field} must be ${expected}, got ${String(got)}`);
  };
  const isAsn = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 0xffffffff;
  if (!isAsn(c.localAs)) fail('localAs', 'an AS number 1..4294967295', c.localAs);
  if (!isAsn(c.peerAs)) fail('peerAs', 'an AS number 1..4294967295', c.peerAs);
  if (c.routerId.length !== 4 || c.routerId.every((b) => b === 0)) fail('routerId', 'a non-zero IPv4 address (4 bytes)', Buffer.from(c.routerId).toString('hex'));
  if (!Number.isInteger(c.holdTimeSec) || c.holdTimeSec < 0 || c.holdTimeSec > 0xffff || c.holdTimeSec === 1 || c.holdTimeSec === 2) fail('holdTimeSec', '0 or 3..65535 (RFC 4271 4.2)', c.holdTimeSec);
  if (c.keepaliveSec !== undefined && !(c.keepaliveSec > 0)) fail('keepaliveSec', 'a positive number of seconds', c.keepaliveSec);
  if (!(c.connectRetrySec > 0)) fail('connectRetrySec', 'a positive number of seconds', c.connectRetrySec);
  if (!Number.isInteger(c.peerPort) || c.peerPort < 1 || c.peerPort > 0xffff) fail('peerPort', 'a TCP port 1..65535', c.peerPort);
}

