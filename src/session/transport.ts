// The byte stream a session runs on: the subset of net.Socket it uses, so tests can
// put an in-memory pair in its place, and the TCP connector (RFC 4271 8: port 179).

import { connect as netConnect, type Socket } from 'node:net';

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
