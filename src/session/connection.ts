// One TCP connection of a session: framing what comes in, the output queue with its
// back-pressure marks and the send hold timer (RFC 9687), and a bounded close that
// flushes a final NOTIFICATION. It knows no FSM; the session reacts to its callbacks.

import type { Cancel, Clock } from '../lib/clock.js';
import { Framer } from '../wire/framer.js';
import { WireError } from '../wire/errors.js';
import { defaultContext, type CodecContext } from '../wire/context.js';
import { maxMessageLength, maxExtendedMessageLength } from '../wire/header.js';
import type { Transport } from './transport.js';
import type { Negotiated } from './capabilities.js';

/** Output queue marks, in bytes of encoded messages waiting in memory. */
export interface QueueLimits {
  /** At or above it `sendUpdate` returns false. */
  readonly highWaterBytes: number;
  /** Back below it, drain listeners run. */
  readonly lowWaterBytes: number;
  /** Above it the session is reset (Cease / Out of Resources) rather than grow. */
  readonly hardCapBytes: number;
}

export const defaultQueueLimits: QueueLimits = {
  highWaterBytes: 4 * 1024 * 1024,
  lowWaterBytes: 1024 * 1024,
  hardCapBytes: 32 * 1024 * 1024,
};

/** RFC 9687 3: the send hold time is at least 8 minutes. */
export const minSendHoldMs = 8 * 60 * 1000;
/** How long a close waits for the last bytes to leave before it drops the connection. */
export const closeWaitMs = 1000;

/** Bytes read from and written to the transport; one counter may serve several connections. */
export interface ByteCounters {
  received: number;
  sent: number;
}

/** What a connection reports to its owner. */
export interface ConnectionHandler {
  onConnect(conn: Connection): void;
  onMessage(conn: Connection, bytes: Uint8Array): void;
  onFramingError(conn: Connection, err: WireError): void;
  /** The connection ended without `close` being called: the peer or the network ended it. */
  onLost(conn: Connection, reason: string): void;
  /** Queued bytes went down (after a 'drain'). */
  onQueueShrunk(conn: Connection): void;
  onSendHoldExpired(conn: Connection): void;
}

/** A FIFO of byte chunks without Array.shift's copying. */
class ChunkQueue {
  private items: Uint8Array[] = [];
  private head = 0;

  get isEmpty(): boolean {
    return this.head >= this.items.length;
  }

  push(b: Uint8Array): void {
    this.items.push(b);
  }

  shift(): Uint8Array | undefined {
    if (this.isEmpty) return undefined;
    const b = this.items[this.head]!;
    this.items[this.head++] = emptyChunk;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return b;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

const emptyChunk = new Uint8Array(0);

/**
 * Longest all connections together spend on received messages in one turn of the event
 * loop before the busy ones pause until the next. The system reads a busy socket up to
 * 32 times per readiness event, and each chunk holds thousands of routes: without a
 * bound, one peer sending a full table held the loop for up to 1.5 s at a time, and its
 * other peers' keepalives and the API waited.
 */
const receiveSliceMs = 20;

/** Time spent receiving in the current turn, shared by every connection. */
const turn = { spentMs: 0, isResetQueued: false };

function chargeTurn(ms: number): boolean {
  turn.spentMs += ms;
  if (!turn.isResetQueued) {
    turn.isResetQueued = true;
    setImmediate(() => {
      turn.spentMs = 0;
      turn.isResetQueued = false;
    });
  }
  return turn.spentMs >= receiveSliceMs;
}

export class Connection {
  readonly framer = new Framer(maxMessageLength);
  /** Context for decoding what arrives; set when the peer's OPEN is accepted. */
  rx: CodecContext = defaultContext;
  /** Context for encoding what we send. */
  tx: CodecContext = defaultContext;
  /** The peer's OPEN on this connection, once accepted. */
  negotiated: Negotiated | undefined;
  isConnected: boolean;
  /** We decided to close: nothing more is read, only control messages already queued go out. */
  isClosing = false;
  isClosed = false;
  /** Queued bytes not yet handed to the transport. */
  queuedBytes = 0;
  /** Resolves once the transport is closed. */
  readonly closed: Promise<void>;

  private isReading = true;
  /** Reading paused until the next turn (`yieldTurn`). */
  private isPaused = false;
  /** `end` was called: the transport takes no more bytes. */
  private hasEnded = false;
  private isBlocked = false;
  private readonly control = new ChunkQueue();
  private readonly updates = new ChunkQueue();
  private sendHoldMs = minSendHoldMs;
  private sendHoldCancel: Cancel | undefined;
  private closeCancel: Cancel | undefined;
  private openHoldCancel: Cancel | undefined;
  private lastError: Error | undefined;
  private resolveClosed!: () => void;

  constructor(
    readonly transport: Transport,
    /** True when we initiated it (RFC 4271 6.8 compares who initiated). */
    readonly isOutgoing: boolean,
    isConnected: boolean,
    private readonly clock: Clock,
    private readonly handler: ConnectionHandler,
    /** Where the bytes of this connection are counted (its session's counters). */
    private readonly bytes: ByteCounters = { received: 0, sent: 0 },
  ) {
    this.isConnected = isConnected;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    transport.on('connect', () => {
      if (this.isClosing || this.isConnected) return;
      this.isConnected = true;
      handler.onConnect(this);
    });
    transport.on('data', (chunk) => this.receive(chunk));
    transport.on('drain', () => this.onDrain());
    transport.on('error', (err) => {
      this.lastError = err;
    });
    transport.on('close', () => this.onClose());
  }

  /** "address:port", for logs. */
  get remote(): string {
    return `${this.transport.remoteAddress ?? '?'}:${this.transport.remotePort ?? '?'}`;
  }

  /** Accepts the peer's OPEN: later messages are decoded and encoded as negotiated. */
  accept(n: Negotiated): void {
    this.negotiated = n;
    this.rx = n.rx;
    this.tx = n.tx;
    if (n.isExtendedMessage) this.framer.setMaxLength(maxExtendedMessageLength);
    this.sendHoldMs = Math.max(minSendHoldMs, 2 * n.holdTimeSec * 1000);
  }

  /** Stops handing received messages to the handler (a fault was found). */
  stopReading(): void {
    this.isReading = false;
  }

  /** A timer for a second connection waiting for its OPEN (the FSM times the first). */
  startOpenHold(ms: number, onExpiry: () => void): void {
    this.openHoldCancel?.();
    this.openHoldCancel = this.clock.after(ms, onExpiry);
  }

  stopOpenHold(): void {
    this.openHoldCancel?.();
    this.openHoldCancel = undefined;
  }

  private receive(chunk: Uint8Array): void {
    this.bytes.received += chunk.length;
    if (!this.isReading || this.isClosing) return;
    const began = performance.now();
    let messages: Uint8Array[];
    try {
      messages = this.framer.push(chunk);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.isReading = false;
      this.handler.onFramingError(this, err);
      return;
    }
    for (const m of messages) {
      // A message may make the session close this connection: the rest is not read.
      if (!this.isReading || this.isClosing) return;
      this.handler.onMessage(this, m);
    }
    if (chargeTurn(performance.now() - began)) this.yieldTurn();
  }

  /** This turn's receiving time is used up: read no more until the next turn. */
  private yieldTurn(): void {
    const t = this.transport;
    if (this.isPaused || t.pause === undefined || t.resume === undefined) return;
    this.isPaused = true;
    t.pause();
    setImmediate(() => {
      this.isPaused = false;
      if (!this.isClosed) t.resume!();
    });
  }

  /** OPEN, KEEPALIVE, NOTIFICATION: always accepted, and ahead of queued UPDATEs. */
  sendControl(bytes: Uint8Array): void {
    if (this.isClosed || this.hasEnded) return;
    if (this.isBlocked) {
      this.control.push(bytes);
      this.queuedBytes += bytes.length;
      return;
    }
    this.write(bytes);
  }

  /** An UPDATE: written now, or queued while the transport is full. */
  sendUpdate(bytes: Uint8Array): void {
    if (this.isClosed || this.isClosing) return;
    if (this.isBlocked) {
      this.updates.push(bytes);
      this.queuedBytes += bytes.length;
      return;
    }
    this.write(bytes);
  }

  private write(bytes: Uint8Array): void {
    this.bytes.sent += bytes.length;
    if (!this.transport.write(bytes)) {
      this.isBlocked = true;
      this.armSendHold();
    }
  }

  /** RFC 9687 3: runs while we have data to send and the peer takes none of it. */
  private armSendHold(): void {
    this.sendHoldCancel?.();
    this.sendHoldCancel = this.clock.after(this.sendHoldMs, () => {
      this.sendHoldCancel = undefined;
      this.handler.onSendHoldExpired(this);
    });
  }

  private onDrain(): void {
    if (this.isClosed) return;
    this.isBlocked = false;
    while (!this.isBlocked) {
      const next = this.control.shift() ?? (this.isClosing ? undefined : this.updates.shift());
      if (next === undefined) break;
      this.queuedBytes -= next.length;
      this.write(next);
    }
    if (!this.isBlocked) {
      this.sendHoldCancel?.();
      this.sendHoldCancel = undefined;
      if (this.isClosing) this.endTransport();
    } else {
      // The peer took some data: the send hold timer starts over (RFC 9687 3).
      this.armSendHold();
    }
    if (!this.isClosing) this.handler.onQueueShrunk(this);
  }

  /**
   * Closes: queued UPDATEs are dropped, queued control messages (the NOTIFICATION)
   * are flushed, then the sending side is ended. After `closeWaitMs` the connection
   * is destroyed whatever is left. Resolves when it is closed.
   */
  close(): Promise<void> {
    if (this.isClosing || this.isClosed) return this.closed;
    this.isClosing = true;
    this.isReading = false;
    this.stopOpenHold();
    this.queuedBytes -= this.dropUpdates();
    this.closeCancel = this.clock.after(closeWaitMs, () => this.destroy());
    if (!this.isConnected) this.destroy();
    else if (!this.isBlocked) this.endTransport();
    return this.closed;
  }

  private endTransport(): void {
    if (this.hasEnded) return;
    this.hasEnded = true;
    this.transport.end();
  }

  private dropUpdates(): number {
    let n = 0;
    for (let b = this.updates.shift(); b !== undefined; b = this.updates.shift()) n += b.length;
    return n;
  }

  /** Drops the connection at once. */
  destroy(): void {
    if (this.isClosed) return;
    this.isClosing = true;
    this.isReading = false;
    this.transport.destroy();
    // A transport that reports no 'close' after destroy must not keep anyone waiting.
    this.onClose();
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const wasClosing = this.isClosing;
    this.isClosing = true;
    this.isReading = false;
    this.sendHoldCancel?.();
    this.closeCancel?.();
    this.stopOpenHold();
    this.control.clear();
    this.updates.clear();
    this.queuedBytes = 0;
    this.resolveClosed();
    if (!wasClosing) this.handler.onLost(this, this.lastError !== undefined ? this.lastError.message : 'connection closed by peer');
  }
}
