// The request side of the route socket: route requests packed into batches of up to 500
// messages per sendmsg, each batch's last message asking for an ACK, and every answer
// mapped back to its request by sequence number; plus dumps (NLM_F_DUMP, multi-part
// replies up to NLMSG_DONE). The kernel answers a failed request with NLMSG_ERROR even
// without NLM_F_ACK and handles the rest of the datagram all the same, so one ACK per
// batch proves the batch's other messages succeeded (netlink_rcv_skb, net/netlink).

import { constants as osConstants } from 'node:os';
import type { Logger } from '../lib/logger.js';
import { silentLogger } from '../lib/logger.js';
import { KernelError, NlmFlag, NlmsgType, NlWriter, decodeAck, errnoName, splitMessages, type NlMessage } from './netlink.js';
import type { NetlinkSocket, NetlinkSocketError } from './socket.js';

/** Called once per request: undefined on success, else the kernel's refusal. */
export type RequestDone = (error: KernelError | undefined) => void;

/** Writes one message into `w` with sequence number `seq` and NLM_F_REQUEST (no ACK); returns its offset. */
export type EncodeRequest = (w: NlWriter, seq: number) => number;

export interface KernelWriterOptions {
  /** Messages per datagram; the kernel refuses datagrams of ~2,000 routes with EMSGSIZE. */
  readonly batchSize?: number;
  /** Batches sent before their ACK came back; bounds what the receive buffer must hold. */
  readonly maxBatchesInFlight?: number;
  readonly logger?: Logger;
}

/** errno of requests whose answer was lost (receive buffer overrun): their outcome is unknown. */
export const ENOBUFS = osConstants.errno.ENOBUFS;
/** errno of requests dropped because the socket closed. */
export const ECANCELED = osConstants.errno.ECANCELED;

interface Batch {
  readonly firstSeq: number;
  lastSeq: number;
  lastAt: number;
  readonly dones: (RequestDone | undefined)[];
  bytes: Uint8Array | undefined;
}

interface Dump {
  readonly messages: NlMessage[];
  isInterrupted: boolean;
  readonly resolve: (messages: NlMessage[]) => void;
  readonly reject: (error: Error) => void;
}

/** Counters for status output and benchmarks. */
export interface KernelWriterStats {
  requests: number;
  failures: number;
  datagrams: number;
}

export class KernelWriter {
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  private readonly logger: Logger;
  private seq: number;
  private readonly writer = new NlWriter(1 << 20);
  private open: Batch | undefined;
  private readonly waiting: Batch[] = [];
  private readonly inFlight: Batch[] = [];
  private readonly dumps = new Map<number, Dump>();
  private idleWaiters: (() => void)[] = [];
  private isFlushScheduled = false;
  private isClosed = false;
  private onNotification: ((msg: NlMessage) => void) | undefined;
  readonly stats: KernelWriterStats = { requests: 0, failures: 0, datagrams: 0 };

  constructor(
    private readonly socket: NetlinkSocket,
    options: KernelWriterOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.maxInFlight = options.maxBatchesInFlight ?? 4;
    this.logger = options.logger ?? silentLogger;
    // Distinct starting points keep replies of an earlier run's socket from matching.
    this.seq = (Math.floor(Math.random() * 0x3fffffff) + 1) >>> 0;
    socket.listen(
      (d) => this.receive(d),
      (e) => this.lost(e),
    );
  }

  /** Messages this socket receives that answer no request (unused unless groups were joined). */
  setNotificationHandler(fn: (msg: NlMessage) => void): void {
    this.onNotification = fn;
  }

  private nextSeq(): number {
    this.seq = this.seq >= 0xfffffffe ? 1 : this.seq + 1;
    return this.seq;
  }

  /** Queues one request; it goes out with the batch it lands in, and `done` is told the outcome. */
  request(encode: EncodeRequest, done: RequestDone): void {
    if (this.isClosed) {
      done(new KernelError(ECANCELED, 'the FIB socket is closed'));
      return;
    }
    const seq = this.nextSeq();
    if (this.open === undefined) this.open = { firstSeq: seq, lastSeq: seq, lastAt: 0, dones: [], bytes: undefined };
    const batch = this.open;
    batch.lastAt = encode(this.writer, seq);
    batch.lastSeq = seq;
    batch.dones.push(done);
    this.stats.requests++;
    if (batch.dones.length >= this.batchSize) this.closeBatch();
    else if (!this.isFlushScheduled) {
      this.isFlushScheduled = true;
      queueMicrotask(() => {
        this.isFlushScheduled = false;
        this.flush();
      });
    }
  }

  /** Sends the partly filled batch now instead of at the end of this tick. */
  flush(): void {
    if (this.open !== undefined) this.closeBatch();
  }

  private closeBatch(): void {
    const batch = this.open!;
    this.open = undefined;
    this.writer.addFlags(batch.lastAt, NlmFlag.ack);
    batch.bytes = this.writer.finish();
    this.writer.reset();
    this.waiting.push(batch);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight.length < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.shift()!;
      const bytes = batch.bytes!;
      batch.bytes = undefined;
      try {
        this.socket.send(bytes);
        this.stats.datagrams++;
        this.inFlight.push(batch);
      } catch (e) {
        const err = e as NetlinkSocketError;
        this.logger.error('netlink send failed', { code: err.code, error: err.message, requests: batch.dones.length });
        this.finishBatch(batch, new KernelError(err.errno, `sendmsg failed: ${err.message}`));
      }
    }
    this.checkIdle();
  }

  private finishBatch(batch: Batch, error: KernelError | undefined): void {
    for (let i = 0; i < batch.dones.length; i++) {
      const done = batch.dones[i];
      if (done === undefined) continue;
      batch.dones[i] = undefined;
      if (error !== undefined) this.stats.failures++;
      done(error);
    }
  }

  /** Resolves once no request is queued, unsent or unanswered. */
  idle(): Promise<void> {
    this.flush();
    if (this.isIdle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get isIdle(): boolean {
    return this.open === undefined && this.waiting.length === 0 && this.inFlight.length === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Sends a dump request built by `encode` and collects every reply message up to NLMSG_DONE. */
  async dump(encode: EncodeRequest, attempts = 4): Promise<NlMessage[]> {
    for (let i = 1; ; i++) {
      const result = await this.dumpOnce(encode);
      // NLM_F_DUMP_INTR: the table changed during the dump, so the snapshot may be torn.
      if (!result.isInterrupted) return result.messages;
      if (i >= attempts) throw new KernelError(osConstants.errno.EAGAIN, `dump interrupted by changes ${attempts} times in a row`);
    }
  }

  private dumpOnce(encode: EncodeRequest): Promise<{ messages: NlMessage[]; isInterrupted: boolean }> {
    return new Promise((resolve, reject) => {
      const w = new NlWriter(64);
      const seq = this.nextSeq();
      encode(w, seq);
      const dump: Dump = {
        messages: [],
        isInterrupted: false,
        resolve: (messages) => resolve({ messages, isInterrupted: dump.isInterrupted }),
        reject,
      };
      this.dumps.set(seq, dump);
      try {
        this.socket.send(w.finish());
      } catch (e) {
        this.dumps.delete(seq);
        reject(e);
      }
    });
  }

  private receive(datagram: Uint8Array): void {
    let messages: NlMessage[];
    try {
      messages = splitMessages(datagram);
    } catch (e) {
      this.logger.error('netlink datagram undecodable', { error: e, bytes: datagram.length });
      return;
    }
    for (const msg of messages) {
      try {
        const dump = this.dumps.get(msg.seq);
        if (dump !== undefined) this.dumpMessage(msg, dump);
        else if (msg.type === NlmsgType.error) this.ack(msg);
        else if (msg.seq === 0 && this.onNotification !== undefined) this.onNotification(msg);
      } catch (e) {
        this.logger.error('netlink message undecodable', { error: e, type: msg.type, seq: msg.seq });
      }
    }
  }

  private dumpMessage(msg: NlMessage, dump: Dump): void {
    if ((msg.flags & NlmFlag.dumpInterrupted) !== 0) dump.isInterrupted = true;
    if (msg.type === NlmsgType.done) {
      this.dumps.delete(msg.seq);
      dump.resolve(dump.messages);
    } else if (msg.type === NlmsgType.error) {
      this.dumps.delete(msg.seq);
      const ack = decodeAck(msg);
      dump.reject(new KernelError(ack.errno, ack.message ?? 'dump refused'));
    } else {
      dump.messages.push(msg);
    }
  }

  private ack(msg: NlMessage): void {
    const ack = decodeAck(msg);
    const index = this.inFlight.findIndex((b) => ack.seq >= b.firstSeq && ack.seq <= b.lastSeq);
    if (index < 0) {
      this.logger.debug('netlink answer for no pending request', { seq: ack.seq, code: errnoName(ack.errno) });
      return;
    }
    const batch = this.inFlight[index]!;
    const slot = ack.seq - batch.firstSeq;
    const done = batch.dones[slot];
    if (done !== undefined && ack.errno !== 0) {
      batch.dones[slot] = undefined;
      this.stats.failures++;
      done(new KernelError(ack.errno, ack.message));
    }
    if (ack.seq === batch.lastSeq) {
      // Answers come in request order, so every earlier request without an error succeeded.
      this.inFlight.splice(index, 1);
      this.finishBatch(batch, undefined);
      this.pump();
    }
  }

  /** The receive buffer overflowed: answers of the batches in flight may be gone. */
  private lost(error: NetlinkSocketError): void {
    this.logger.error('netlink answers lost', { code: error.code, batches: this.inFlight.length });
    const batches = this.inFlight.splice(0);
    for (const batch of batches) this.finishBatch(batch, new KernelError(ENOBUFS, 'acknowledgement lost (receive buffer overrun)'));
    for (const [seq, dump] of this.dumps) {
      this.dumps.delete(seq);
      dump.reject(new KernelError(error.errno, `dump lost: ${error.message}`));
    }
    this.pump();
  }

  /** Fails what is pending and closes the socket. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const open = this.open;
    this.open = undefined;
    this.writer.reset();
    const closedError = new KernelError(ECANCELED, 'the FIB socket is closed');
    for (const batch of [...this.inFlight.splice(0), ...this.waiting.splice(0)]) this.finishBatch(batch, closedError);
    if (open !== undefined) this.finishBatch(open, closedError);
    for (const [seq, dump] of this.dumps) {
      this.dumps.delete(seq);
      dump.reject(closedError);
    }
    this.socket.close();
    this.checkIdle();
  }
}
