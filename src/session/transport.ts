// The byte stream a session runs on: the subset of net.Socket it uses, so tests can
// put an in-memory pair in its place, and the TCP connector (RFC 4271 8: port 179).

import { connect as netConnect, isIPv6, Socket } from 'node:net';
import { closeTcpSocket, isPlainTcp, openTcpSocket, setMd5Key, setTtlOptions, type TcpSecurity } from './tcp-options.js';

/**
 * A connected (or connecting) byte stream. `write` returns false when the stream's
 * buffer is full: the caller stops writing until 'drain'. 'close' comes once, last,
 * after 'error' if there was one.
 */
export interface Transport {
  write(bytes: Uint8Array): boolean;
  /** Flushes what was written, then closes the sending side. */
  end(): void;
  /** Closes at once, dropping anything unsent. */
  destroy(): void;
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'drain' | 'close' | 'connect', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  /** Stops reading until `resume` (a socket's own pause; absent on transports that cannot). */
  pause?(): unknown;
  resume?(): unknown;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
}

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  /** Source address to bind, e.g. the address the peer has configured for us. */
  readonly localAddress?: string | undefined;
}

/** Opens an outgoing connection; it reports 'connect', or 'error' then 'close'. */
export type Connector = (o: ConnectOptions) => Transport;

/** TCP with Nagle off: a KEEPALIVE or NOTIFICATION goes out at once. */
export const tcpConnector: Connector = (o) => {
  const socket: Socket = netConnect({ host: o.host, port: o.port, ...(o.localAddress !== undefined ? { localAddress: o.localAddress } : {}) });
  socket.setNoDelay(true);
  return socket;
};

/**
 * TCP with the session's MD5 key and TTL options (RFC 2385, RFC 5082), set on the
 * socket before its SYN leaves; plain `tcpConnector` when `security` asks for nothing.
 * A failure to set them is reported like a failed connection ('error', then 'close').
 */
export function securedTcpConnector(security: TcpSecurity): Connector {
  if (isPlainTcp(security)) return tcpConnector;
  return (o) => {
    let fd: number | undefined;
    try {
      fd = openTcpSocket(isIPv6(o.host) ? 6 : 4);
      setTtlOptions(fd, security);
      if (security.md5Key !== undefined) setMd5Key(fd, o.host, security.md5Key);
    } catch (err) {
      if (fd !== undefined) closeTcpSocket(fd);
      const failed = new Socket();
      process.nextTick(() => failed.destroy(err as Error));
      return failed;
    }
    // manualStart: Node must not read from the socket before it is connected.
    const socket = new Socket({ fd, manualStart: true } as ConstructorParameters<typeof Socket>[0]);
    socket.setNoDelay(true);
    socket.connect({ host: o.host, port: o.port, ...(o.localAddress !== undefined ? { localAddress: o.localAddress } : {}) });
    return socket;
  };
}
