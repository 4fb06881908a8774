// The benchmark's injector: a minimal BGP speaker (RFC 4271 8: OPEN, KEEPALIVE, then
// UPDATEs) over node:net with our codec. It offers 4-octet AS (RFC 6793) and
// multiprotocol IPv4/IPv6 unicast (RFC 4760), then writes pre-encoded bytes as fast as
// the socket takes them. It reads what the peer sends only to keep the session up.

import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { parseAddress } from '../src/lib/address.js';
import { defaultContext } from '../src/wire/context.js';
import { Framer } from '../src/wire/framer.js';
import { MessageType, maxMessageLength } from '../src/wire/header.js';
import { decodeMessage, encodeMessage } from '../src/wire/message.js';
import { ceaseNotification, describeNotification } from '../src/wire/notification.js';
import { asTrans } from '../src/wire/attributes/types.js';
import type { OpenMessage } from '../src/wire/open.js';

/** The longest End-of-RIB: an UPDATE holding an empty MP_UNREACH_NLRI with an extended length. */
const endOfRibMaxLength = 30;
/** Cease subcode Administrative Shutdown (RFC 4486 4). */
const ceaseAdministrativeShutdown = 2;

export interface InjectorOptions {
  /** Loopback address to connect from: the neighbor address the daemon expects. */
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly as: number;
  /** BGP Identifier, dotted quad. */
  readonly routerId: string;
  /** Proposed hold time; KEEPALIVEs go every third of the negotiated one. */
  readonly holdTimeSec: number;
  /** Bound on TCP connect plus OPEN/KEEPALIVE exchange. */
  readonly handshakeTimeoutMs: number;
}

/** When a write began and when the kernel had taken its last byte (performance.now ms). */
export interface WriteTimes {
  readonly startMs: number;
  readonly writtenMs: number;
}

/**
 * Writes `bytes` in one call (Node hands the buffer to the kernel as fast as it takes
 * it, with no copy); resolves once the last byte is in the kernel.
 */
export function writeAll(socket: Socket, bytes: Buffer): Promise<WriteTimes> {
  return new Promise((resolve, reject) => {
    const startMs = performance.now();
    socket.write(bytes, (err) => (err ? reject(err) : resolve({ startMs, writtenMs: performance.now() })));
  });
}

/** An established session to a daemon, sending only what it is told to. */
export class Injector {
  /** UPDATEs carrying routes the daemon sent us (a plain receiver sends only End-of-RIB). */
  receivedUpdates = 0;
  receivedBytes = 0;
  /** Why the session ended, once it has (peer NOTIFICATION, close, error). */
  closeReason: string | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly socket: Socket,
    /** The daemon's OPEN. */
    readonly peerOpen: OpenMessage,
  ) {}

  /** Connects, exchanges OPEN and KEEPALIVE; rejects (and closes) on anything else or on timeout. */
  static connect(o: InjectorOptions): Promise<Injector> {
    const open: OpenMessage = {
      type: 'open',
      version: 4,
      myAs: o.as > 0xffff ? asTrans : o.as,
      holdTime: o.holdTimeSec,
      bgpId: parseAddress(o.routerId),
      capabilities: [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'multiprotocol', afi: 2, safi: 1 },
        { kind: 'four-octet-as', asn: o.as },
        { kind: 'route-refresh' },
      ],
    };
    return new Promise((resolve, reject) => {
      const socket = connect({ host: o.remoteAddress, port: o.remotePort, localAddress: o.localAddress });
      socket.setNoDelay(true);
      const framer = new Framer(maxMessageLength);
      let peerOpen: OpenMessage | undefined;
      let isSettled = false;
      const fail = (why: string): void => {
        if (isSettled) return;
        isSettled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`injector ${o.localAddress} -> ${o.remoteAddress}:${o.remotePort}: ${why}`));
      };
      const timer = setTimeout(() => fail(`no session within ${o.handshakeTimeoutMs} ms (OPEN ${peerOpen === undefined ? 'not received' : 'received, no KEEPALIVE'})`), o.handshakeTimeoutMs);
      const onData = (chunk: Buffer): void => {
        let messages: Uint8Array[];
        try {
          messages = framer.push(chunk);
        } catch (err) {
          fail(`bad message from the peer: ${(err as Error).message}`);
          return;
        }
        for (const bytes of messages) {
          const msg = decodeMessage(bytes, defaultContext);
          if (msg.type === 'notification') return fail(`peer sent NOTIFICATION ${describeNotification(msg)}`);
          if (msg.type === 'open') {
            peerOpen = msg;
            socket.write(encodeMessage({ type: 'keepalive' }, defaultContext));
          } else if (msg.type === 'keepalive' && peerOpen !== undefined && !isSettled) {
            isSettled = true;
            clearTimeout(timer);
            socket.off('data', onData);
            socket.off('error', onError);
            socket.off('close', onClose);
            resolve(new Injector(socket, peerOpen).run(framer));
            return;
          }
        }
      };
      const onError = (err: Error): void => fail(err.message);
      const onClose = (): void => fail('connection closed during the handshake');
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.once('connect', () => socket.write(encodeMessage(open, defaultContext)));
    });
  }

  /** After the handshake: keepalives, and counting (not decoding) what comes in. */
  private run(framer: Framer): this {
    const holdTimeSec = Math.min(this.peerOpen.holdTime, 0xffff);
    if (holdTimeSec > 0) {
      const keepalive = encodeMessage({ type: 'keepalive' }, defaultContext);
      this.keepaliveTimer = setInterval(() => this.socket.write(keepalive), Math.max(1000, (holdTimeSec * 1000) / 3));
      this.keepaliveTimer.unref();
    }
    this.socket.on('data', (chunk: Buffer) => {
      this.receivedBytes += chunk.length;
      let messages: Uint8Array[];
      try {
        messages = framer.push(chunk);
      } catch (err) {
        this.closeReason ??= `bad message from the peer: ${(err as Error).message}`;
        this.socket.destroy();
        return;
      }
      for (const m of messages) {
        // The type is octet 18 of the header (RFC 4271 4.1).
        // End-of-RIB markers are at most 30 octets (RFC 4724 2); anything longer has routes.
        if (m[18] === MessageType.update && m.length > endOfRibMaxLength) this.receivedUpdates++;
        else if (m[18] === MessageType.notification) {
          const msg = decodeMessage(m, defaultContext);
          if (msg.type === 'notification') this.closeReason ??= `peer sent NOTIFICATION ${describeNotification(msg)}`;
        }
      }
    });
    this.socket.on('error', (err) => (this.closeReason ??= `socket error: ${err.message}`));
    this.socket.on('close', () => {
      this.closeReason ??= 'connection closed by the peer';
      this.stopTimers();
    });
    return this;
  }

  get isOpen(): boolean {
    return this.closeReason === undefined && !this.socket.destroyed;
  }

  /** Writes pre-encoded messages; resolves once the kernel has taken every byte. */
  send(bytes: Buffer): Promise<WriteTimes> {
    if (!this.isOpen) return Promise.reject(new Error(`injector: session is down (${this.closeReason ?? 'closed'})`));
    return writeAll(this.socket, bytes);
  }

  /** Drops the session as a dead peer would: TCP RST, no NOTIFICATION. Returns when (ms). */
  drop(): number {
    this.closeReason ??= 'dropped by the injector';
    this.stopTimers();
    const at = performance.now();
    this.socket.resetAndDestroy();
    return at;
  }

  /** Cease / Administrative Shutdown, then close (bounded: destroyed after 2 s). */
  async close(): Promise<void> {
    this.stopTimers();
    if (this.socket.destroyed) return;
    this.closeReason ??= 'closed by the injector';
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 2000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end(encodeMessage(ceaseNotification(ceaseAdministrativeShutdown, 'benchmark done'), defaultContext));
    });
  }

  private stopTimers(): void {
    if (this.keepaliveTimer !== undefined) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }
}

/** How fast the injector's write path empties into a socket that discards everything. */
export interface SinkTiming {
  readonly bytes: number;
  /** From the write to the sink's reading of the last byte. */
  readonly ms: number;
}

/**
 * Writes `bytes` the way the injector does into a loopback server that reads and
 * discards: if this is much faster than any daemon, the injector is not what limits
 * the measurement. Both ends share this process's event loop, so it is a lower bound.
 */
export async function timeSinkWrite(bytes: Buffer, host = '127.0.0.1', timeoutMs = 60_000): Promise<SinkTiming> {
  let received = 0;
  let resolveDone: (atMs: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  const accepted: Socket[] = [];
  const server = createServer((s) => {
    accepted.push(s);
    s.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= bytes.length) resolveDone(performance.now());
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const client = connect({ host, port });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`sink: ${received} of ${bytes.length} bytes after ${timeoutMs} ms`)), timeoutMs);
    });
    const { startMs } = await writeAll(client, bytes);
    const endMs = await Promise.race([done, timeout]);
    clearTimeout(timer);
    return { bytes: bytes.length, ms: endMs - startMs };
  } finally {
    client.destroy();
    for (const s of accepted) s.destroy();
    server.close();
  }
}
