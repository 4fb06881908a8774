// BFD over UDP for single-hop sessions (RFC 5881): Control packets are received on port
// 3784 (4) and sent from a source port in 49152-65535, one per session (4), with TTL or
// Hop Limit 255 (5). IPv4 and IPv6.
//
// RFC 5881 5 also asks the receiver to discard packets whose TTL is not 255 (the GTSM
// idea of RFC 5082). node:dgram cannot read a datagram's TTL (it has no IP_RECVTTL /
// IPV6_RECVHOPLIMIT ancillary data), so that check is not made. What protects instead:
// a packet is only taken for a session configured for its source address (the manager
// checks that Your Discriminator and the source address agree), packets with our random
// 32-bit discriminator are needed to move a session, and the failure we guard against is
// the loss of packets, which a forged packet from afar could at worst delay by one
// detection time. A host firewall rule (e.g. nftables `ip ttl != 255 udp dport 3784 drop`)
// restores the check where off-link senders are a concern.

import { createSocket, type Socket, type SocketType } from 'node:dgram';
import { isIPv6 } from 'node:net';

/** RFC 5881 4: the destination port of single-hop Control packets. */
export const bfdControlPort = 3784;
/** RFC 5881 4: the source port range. */
export const bfdSourcePortMin = 49152;
export const bfdSourcePortMax = 65535;
/** RFC 5881 5: the TTL / Hop Limit of every packet sent. */
export const bfdTtl = 255;

/** A received datagram. */
export interface BfdDatagram {
  readonly bytes: Uint8Array;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** The sending side of one session: a socket bound to its own source port. */
export interface BfdSender {
  /** Sends one packet to the peer; errors go to the `onError` given when it was opened. */
  send(bytes: Uint8Array): void;
  close(): void;
}

/** What the manager needs from the network; tests give it an in-memory one. */
export interface BfdTransport {
  /** Starts receiving Control packets (UDP 3784); resolves once bound. */
  listen(options: { readonly listenAddress?: string }, onPacket: (d: BfdDatagram) => void, onError: (err: Error) => void): Promise<void>;
  /** A sender for one session, from `localAddress` if given (else the route's source). */
  openSender(remoteAddress: string, localAddress: string | undefined, onError: (err: Error) => void): BfdSender;
  /** Stops receiving; senders are closed by their owners. */
  close(): Promise<void>;
}

export interface UdpBfdTransportOptions {
  /** Receive port; 3784 unless a test runs several on one host. */
  readonly port?: number;
  /** Destination port of sent packets; 3784 unless a test says otherwise. */
  readonly peerPort?: number;
  /** Picks source ports; injected so tests can predict them. */
  readonly random?: () => number;
}

/** Binding attempts for a source port before giving up (the range holds 16,384). */
const sourcePortAttempts = 32;

function familyOf(address: string): SocketType {
  return isIPv6(address) ? 'udp6' : 'udp4';
}

/** BfdTransport on node:dgram. */
export class UdpBfdTransport implements BfdTransport {
  private readonly port: number;
  private readonly peerPort: number;
  private readonly random: () => number;
  private sockets: Socket[] = [];

  constructor(options: UdpBfdTransportOptions = {}) {
    this.port = options.port ?? bfdControlPort;
    this.peerPort = options.peerPort ?? bfdControlPort;
    this.random = options.random ?? Math.random;
  }

  async listen(options: { readonly listenAddress?: string }, onPacket: (d: BfdDatagram) => void, onError: (err: Error) => void): Promise<void> {
    const binds: { type: SocketType; address: string }[] =
      options.listenAddress === undefined
        ? [
            { type: 'udp4', address: '0.0.0.0' },
            { type: 'udp6', address: '::' },
          ]
        : [{ type: familyOf(options.listenAddress), address: options.listenAddress }];
    try {
      for (const b of binds) {
        // ipv6Only: the IPv4 socket takes IPv4, so no address ever arrives IPv4-mapped.
        // No reuseAddr: a second BFD process on the port must fail loudly, not share it
        // (the kernel would hand each datagram to only one of them).
        const socket = createSocket({ type: b.type, ...(b.type === 'udp6' ? { ipv6Only: true } : {}) });
        this.sockets.push(socket);
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.bind(this.port, b.address, () => {
            socket.off('error', reject);
            resolve();
          });
        });
        socket.on('error', onError);
        socket.on('message', (msg, rinfo) => onPacket({ bytes: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), remoteAddress: rinfo.address, remotePort: rinfo.port }));
      }
    } catch (err) {
      await this.close();
      const where = binds.map((b) => `${b.address}:${this.port}`).join(' and ');
      throw new Error(`BFD: cannot listen on UDP ${where}: ${(err as Error).message}`, { cause: err });
    }
  }

  openSender(remoteAddress: string, localAddress: string | undefined, onError: (err: Error) => void): BfdSender {
    return new UdpSender(familyOf(remoteAddress), remoteAddress, this.peerPort, localAddress, this.random, onError);
  }

  async close(): Promise<void> {
    const sockets = this.sockets;
    this.sockets = [];
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/**
 * One session's socket. Sends made while it binds wait in node's own queue; a source
 * port in use is retried with another one.
 */
class UdpSender implements BfdSender {
  private socket: Socket | undefined;
  private attempts = 0;
  private isClosed = false;
  private readonly waiting: Uint8Array[] = [];
  private isBound = false;
  private inFlight = 0;

  constructor(
    private readonly type: SocketType,
    private readonly remoteAddress: string,
    private readonly remotePort: number,
    private readonly localAddress: string | undefined,
    private readonly random: () => number,
    private readonly onError: (err: Error) => void,
  ) {
    this.open();
  }

  private open(): void {
    this.attempts++;
    const port = bfdSourcePortMin + Math.floor(this.random() * (bfdSourcePortMax - bfdSourcePortMin + 1));
    const socket = createSocket({ type: this.type, ...(this.type === 'udp6' ? { ipv6Only: true } : {}) });
    this.socket = socket;
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.isBound && err.code === 'EADDRINUSE' && this.attempts < sourcePortAttempts && !this.isClosed) {
        socket.close();
        this.open();
        return;
      }
      this.onError(new Error(`BFD to ${this.remoteAddress}: ${err.message}`, { cause: err }));
    });
    socket.bind(port, this.localAddress, () => {
      if (this.isClosed) return;
      this.isBound = true;
      socket.setTTL(bfdTtl);
      for (const bytes of this.waiting.splice(0)) this.send(bytes);
    });
  }

  send(bytes: Uint8Array): void {
    if (this.isClosed) return;
    if (!this.isBound) {
      // Only the latest state matters: a queue of stale packets would be wrong.
      this.waiting.splice(0, this.waiting.length, bytes);
      return;
    }
    const socket = this.socket;
    if (socket === undefined) return;
    this.inFlight++;
    socket.send(bytes, this.remotePort, this.remoteAddress, (err) => {
      this.inFlight--;
      if (err !== null && err !== undefined) this.onError(new Error(`BFD to ${this.remoteAddress}: ${err.message}`, { cause: err }));
      if (this.isClosed && this.inFlight === 0) this.closeSocket();
    });
  }

  /** Closes once the packets already handed over have left (the last AdminDown, say). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.inFlight === 0) this.closeSocket();
  }

  private closeSocket(): void {
    try {
      this.socket?.close();
    } catch (err) {
      // Closing a socket that already failed to bind throws ERR_SOCKET_DGRAM_NOT_RUNNING.
      if ((err as NodeJS.ErrnoException).code !== 'ERR_SOCKET_DGRAM_NOT_RUNNING') throw err;
    }
  }
}
