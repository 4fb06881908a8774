// One BFD session in Asynchronous mode (RFC 5880 6.2 states, 6.8.1 variables, 6.8.2-6.8.4
// timer negotiation and detection, 6.8.6 reception, 6.8.7 transmission, 6.5 Poll
// Sequence, 6.8.16 AdminDown). No Demand mode, Echo function or authentication of our
// own. Time comes from the injected Clock; jitter from the injected Random.

import type { Cancel, Clock, Random } from '../lib/clock.js';
import { BfdDiag, diagName, type BfdControlPacket, type BfdState } from './packet.js';

/** A session's timers (RFC 5880 6.8.1), as configured. */
export interface BfdTimers {
  /** bfd.DesiredMinTxInterval once Up (at least 1 s is sent until then, 6.8.3). */
  readonly desiredMinTxMs: number;
  /** bfd.RequiredMinRxInterval: the fastest rate at which we accept packets. */
  readonly requiredMinRxMs: number;
  /** bfd.DetectMult: packets the peer may miss before we declare it down. */
  readonly detectMultiplier: number;
  /** Passive role (6.1): send nothing until the peer's first packet. */
  readonly isPassive?: boolean;
  /** The Echo function is not implemented: nothing may ask for it. */
  readonly echoIgnored?: never;
}

/** Listener of state changes; `diag` is the name of bfd.LocalDiag after the change. */
export type BfdStateListener = (state: BfdState, previous: BfdState, diag: string) => void;

export interface BfdSessionDeps {
  readonly clock: Clock;
  readonly random: Random;
  /** Hands a packet to the transport; never throws. */
  readonly send: (packet: BfdControlPacket) => void;
}

/** RFC 5880 6.8.3: the slowest rate we may send at while not Up is at least one second. */
export const slowTxUs = 1_000_000;
/** MetalLB's BFDProfile defaults (300 ms x 3), also tsbgpd's. */
export const defaultBfdTimers: BfdTimers = { desiredMinTxMs: 300, requiredMinRxMs: 300, detectMultiplier: 3 };
/** After `adminDown`, this many AdminDown packets go out before the session falls silent. */
export const adminDownPackets = 3;

/** What a received state does to ours (RFC 5880 6.8.6); absent: no change. */
export interface BfdTransition {
  readonly next: BfdState;
  readonly diag?: BfdDiag;
}

/**
 * RFC 5880 6.8.6, as data: for our state (not AdminDown, which ignores every packet)
 * and the state the peer sent, the state we move to and the diag it sets.
 */
export const bfdTransitions: Readonly<Record<'Down' | 'Init' | 'Up', Partial<Record<BfdState, BfdTransition>>>> = {
  Down: { Down: { next: 'Init' }, Init: { next: 'Up', diag: BfdDiag.none } },
  Init: { Init: { next: 'Up', diag: BfdDiag.none }, Up: { next: 'Up', diag: BfdDiag.none }, AdminDown: { next: 'Down', diag: BfdDiag.neighborSignaledSessionDown } },
  Up: { Down: { next: 'Down', diag: BfdDiag.neighborSignaledSessionDown }, AdminDown: { next: 'Down', diag: BfdDiag.neighborSignaledSessionDown } },
};

/** The transition for our state and the received one; undefined when nothing changes. */
export function stepBfd(local: BfdState, received: BfdState): BfdTransition | undefined {
  if (local === 'AdminDown') return undefined;
  return bfdTransitions[local][received];
}

/** Checks a timers object: the operator's values, named in the error. */
export function checkBfdTimers(t: BfdTimers): void {
  const check = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`BFD ${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
  };
  // The wire fields are 32-bit microseconds (RFC 5880 4.1).
  check('desiredMinTxMs', t.desiredMinTxMs, 1, 4_294_967);
  check('requiredMinRxMs', t.requiredMinRxMs, 1, 4_294_967);
  check('detectMultiplier', t.detectMultiplier, 1, 255);
}

export class BfdSession {
  readonly localDiscriminator: number;
  private readonly deps: BfdSessionDeps;
  private timers: BfdTimers;
  private current: BfdState = 'Down';
  private localDiag: number = BfdDiag.none;
  private remoteDiscr = 0;
  private remote: BfdState = 'Down';
  private remoteDemandMode = false;
  /** bfd.RemoteMinRxInterval: 1 us until the peer says (6.8.1). */
  private remoteMinRxUs = 1;
  private remoteDesiredMinTxUs = 0;
  private remoteDetectMult = 0;
  /** What we advertise now. */
  private desiredMinTxUs: number;
  private requiredMinRxUs: number;
  /** What the tx rate and our detection time use: lags an increase of Desired Min TX
   * and a decrease of Required Min RX until the Poll Sequence ends (6.8.3). */
  private activeTxUs: number;
  private activeRxUs: number;
  private isPolling = false;
  /** The values the running Poll carries: what its Final acknowledges. */
  private polledTxUs = 0;
  private polledRxUs = 0;
  /** A change came during a Poll Sequence: another one follows it (6.5). */
  private isPollQueued = false;
  private isStarted = false;
  private isStopped = false;
  private adminDownLeft = 0;
  private txCancel: Cancel | undefined;
  private txAt = 0;
  private detectCancel: Cancel | undefined;
  private listeners: BfdStateListener[] = [];

  constructor(localDiscriminator: number, timers: BfdTimers, deps: BfdSessionDeps) {
    if (!Number.isInteger(localDiscriminator) || localDiscriminator <= 0 || localDiscriminator > 0xffffffff) {
      throw new RangeError(`BFD local discriminator must be a non-zero 32-bit value, got ${localDiscriminator}`);
    }
    checkBfdTimers(timers);
    this.localDiscriminator = localDiscriminator;
    this.timers = timers;
    this.deps = deps;
    this.desiredMinTxUs = Math.max(timers.desiredMinTxMs * 1000, slowTxUs);
    this.requiredMinRxUs = timers.requiredMinRxMs * 1000;
    this.activeTxUs = this.desiredMinTxUs;
    this.activeRxUs = this.requiredMinRxUs;
  }

  get state(): BfdState {
    return this.current;
  }

  /** bfd.RemoteSessionState: AdminDown there is no path failure (RFC 5882 3.2). */
  get remoteState(): BfdState {
    return this.remote;
  }

  get remoteDiscriminator(): number {
    return this.remoteDiscr;
  }

  get diag(): string {
    return diagName(this.localDiag);
  }

  /** The packet interval in force (before jitter), in ms; undefined while none is sent. */
  get txIntervalMs(): number | undefined {
    const us = this.txIntervalUs();
    return us === undefined ? undefined : us / 1000;
  }

  /** The detection time in force, in ms (0 before the first packet). */
  get detectionTimeMs(): number {
    return this.detectionTimeUs() / 1000;
  }

  onState(fn: BfdStateListener): void {
    this.listeners.push(fn);
  }

  /** Begins sending (an active session) or waiting for the peer (a passive one). */
  start(): void {
    if (this.isStarted) return;
    this.isStarted = true;
    this.transmitNow();
  }

  /**
   * A packet the manager selected for this session and found acceptable (6.8.6: packet
   * checks, discriminator, no authentication). Runs the rest of 6.8.6.
   */
  receive(p: BfdControlPacket): void {
    if (this.isStopped) return;
    this.remoteDiscr = p.myDiscriminator;
    this.remote = p.state;
    this.remoteDemandMode = p.isDemand;
    const previousTx = this.txIntervalUs();
    this.remoteMinRxUs = p.requiredMinRxUs;
    this.remoteDesiredMinTxUs = p.desiredMinTxUs;
    this.remoteDetectMult = p.detectMult;
    if (p.isFinal && this.isPolling) this.endPoll();
    if (this.current === 'AdminDown') return;

    const t = stepBfd(this.current, p.state);
    if (t !== undefined && t.next !== this.current) this.enter(t.next, t.diag ?? this.localDiag);
    if (this.isStopped) return;

    if (p.isPoll) this.sendPacket(true);
    this.armDetection();
    if (!this.isStarted) return;
    // A passive session's first packet lets it talk (6.8.7); a faster rate applies now.
    const tx = this.txIntervalUs();
    if (tx !== undefined && (previousTx === undefined || this.txCancel === undefined || this.txAt - this.deps.clock.now() > tx / 1000)) this.scheduleTx();
  }

  /** New timers: a Poll Sequence when Up (6.8.3), otherwise they apply at once. */
  setTimers(timers: BfdTimers): void {
    checkBfdTimers(timers);
    this.timers = timers;
    this.applyTimers();
  }

  /** Takes the session AdminDown (6.8.16): a few AdminDown packets, then silence. */
  adminDown(diag: BfdDiag = BfdDiag.administrativelyDown): void {
    if (this.isStopped || this.current === 'AdminDown') return;
    this.cancelDetection();
    this.adminDownLeft = adminDownPackets;
    this.enter('AdminDown', diag);
  }

  /** Cancels every timer; the session sends and accepts nothing more. */
  stop(): void {
    this.isStopped = true;
    this.txCancel?.();
    this.txCancel = undefined;
    this.cancelDetection();
  }

  private enter(next: BfdState, diag: number): void {
    const previous = this.current;
    this.current = next;
    this.localDiag = diag;
    if (previous === 'Up' || next === 'Up') {
      // Leaving Up the slow rate comes back without a Poll (6.8.3 applies while Up);
      // entering Up the configured rate is a change the peer learns by a Poll.
      this.isPolling = false;
      this.isPollQueued = false;
      this.applyTimers();
    }
    for (const fn of this.listeners) fn(next, previous, diagName(diag));
    if (this.isStopped) return;
    // The peer learns of the change now rather than one interval later.
    this.transmitNow();
  }

  /** Advertised timers for the current state; a Poll if Up and they changed. */
  private applyTimers(): void {
    const tx = this.timers.desiredMinTxMs * 1000;
    const desired = this.current === 'Up' ? tx : Math.max(tx, slowTxUs);
    const required = this.timers.requiredMinRxMs * 1000;
    const isChanged = desired !== this.desiredMinTxUs || required !== this.requiredMinRxUs;
    this.desiredMinTxUs = desired;
    this.requiredMinRxUs = required;
    if (this.current !== 'Up') {
      this.activeTxUs = desired;
      this.activeRxUs = required;
      return;
    }
    // 6.8.3: a faster tx and a longer rx are safe at once; the others wait for the Final.
    if (desired < this.activeTxUs) this.activeTxUs = desired;
    if (required > this.activeRxUs) this.activeRxUs = required;
    if (!isChanged) return;
    if (this.isPolling) this.isPollQueued = true;
    else this.beginPoll();
  }

  private beginPoll(): void {
    this.isPolling = true;
    this.polledTxUs = this.desiredMinTxUs;
    this.polledRxUs = this.requiredMinRxUs;
  }

  /** 6.5: the Final acknowledges the values polled; later ones need a Poll of their own. */
  private endPoll(): void {
    this.isPolling = false;
    this.activeTxUs = this.polledTxUs;
    this.activeRxUs = this.polledRxUs;
    if (this.isPollQueued) {
      this.isPollQueued = false;
      this.beginPoll();
      if (this.desiredMinTxUs < this.activeTxUs) this.activeTxUs = this.desiredMinTxUs;
      if (this.requiredMinRxUs > this.activeRxUs) this.activeRxUs = this.requiredMinRxUs;
    }
  }

  /** 6.8.7: the interval between packets, or undefined while we may not send. */
  private txIntervalUs(): number | undefined {
    if (this.timers.isPassive === true && this.remoteDiscr === 0) return undefined;
    if (this.remoteMinRxUs === 0) return undefined;
    // The peer in Demand mode asks for silence once both are Up (6.8.7).
    if (this.remoteDemandMode && this.current === 'Up' && this.remote === 'Up') return undefined;
    return Math.max(this.activeTxUs, this.remoteMinRxUs);
  }

  /** 6.8.4: the peer's Detect Mult times the agreed interval it sends at. */
  private detectionTimeUs(): number {
    return this.remoteDetectMult * Math.max(this.activeRxUs, this.remoteDesiredMinTxUs);
  }

  private transmitNow(): void {
    if (!this.isStarted || this.isStopped) return;
    if (this.timers.isPassive === true && this.remoteDiscr === 0) return;
    if (this.txIntervalUs() === undefined && this.current !== 'AdminDown') return;
    this.sendPacket(false);
    this.scheduleTx();
  }

  private scheduleTx(): void {
    this.txCancel?.();
    this.txCancel = undefined;
    const interval = this.txIntervalUs() ?? (this.current === 'AdminDown' ? this.activeTxUs : undefined);
    if (interval === undefined || this.isStopped) return;
    // 6.8.7: jitter of up to 25%; with Detect Mult 1, between 75% and 90%.
    const [low, high] = this.timers.detectMultiplier === 1 ? [0.75, 0.9] : [0.75, 1];
    const delayMs = (interval * (high - (high - low) * this.deps.random())) / 1000;
    this.txAt = this.deps.clock.now() + delayMs;
    this.txCancel = this.deps.clock.after(delayMs, () => {
      this.txCancel = undefined;
      if (this.current === 'AdminDown' ? this.adminDownLeft <= 0 : this.txIntervalUs() === undefined) return;
      this.sendPacket(false);
      this.scheduleTx();
    });
  }

  private sendPacket(isFinal: boolean): void {
    if (this.current === 'AdminDown') {
      if (this.adminDownLeft <= 0) return;
      this.adminDownLeft--;
    }
    this.deps.send({
      diag: this.localDiag,
      state: this.current,
      // 6.8.7: never Poll and Final together; a Final answers the peer's Poll.
      isPoll: this.isPolling && !isFinal,
      isFinal,
      isControlPlaneIndependent: false,
      isDemand: false,
      detectMult: this.timers.detectMultiplier,
      myDiscriminator: this.localDiscriminator,
      yourDiscriminator: this.remoteDiscr,
      desiredMinTxUs: this.desiredMinTxUs,
      requiredMinRxUs: this.requiredMinRxUs,
      // No Echo function: 0 asks the peer to send none (6.8.1).
      requiredMinEchoRxUs: 0,
    });
  }

  private armDetection(): void {
    this.cancelDetection();
    const us = this.detectionTimeUs();
    if (us === 0) return;
    this.detectCancel = this.deps.clock.after(us / 1000, () => {
      this.detectCancel = undefined;
      this.onDetectionTimeout();
    });
  }

  private cancelDetection(): void {
    this.detectCancel?.();
    this.detectCancel = undefined;
  }

  /** 6.8.4: Init or Up goes Down; in Down the peer is forgotten (6.8.1 bfd.RemoteDiscr). */
  private onDetectionTimeout(): void {
    if (this.current === 'Init' || this.current === 'Up') {
      this.remote = 'Down';
      this.enter('Down', BfdDiag.controlDetectionTimeExpired);
      if (!this.isStopped) this.armDetection();
      return;
    }
    this.remoteDiscr = 0;
    this.remote = 'Down';
    this.remoteMinRxUs = 1;
    this.remoteDesiredMinTxUs = 0;
    this.remoteDetectMult = 0;
    this.remoteDemandMode = false;
    if (this.txIntervalUs() === undefined) {
      this.txCancel?.();
      this.txCancel = undefined;
    }
  }
}
