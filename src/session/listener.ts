// Accepting BGP connections (RFC 4271 8: the passive side of TCP port 179). The owner
// matches each connection's remote address to a configured peer and hands it to that
// peer's Session.handleIncoming.

import { createServer, type AddressInfo } from 'node:net';
import type { Transport } from './transport.js';
import { fdOf } from './tcp-options.js';

export interface Listener {
  /** Stops accepting; connections already handed over stay open. */
  close(): Promise<void>;
  /** Where it listens (the real port when 0 was asked for). */
  address(): { readonly address: string; readonly port: number };
  /** The listening socket's file descriptor, for options set per peer (MD5 keys); undefined if unknown. */
  fd?(): number | undefined;
}

/**
 * Listens on `host:port` and calls `onConnection` with each accepted connection (Nagle
 * off). Resolves once listening; rejects if the address cannot be bound. Errors after
 * that (e.g. EMFILE on accept) go to `onError` when given.
 */
export function listen(o: { host: string; port: number }, onConnection: (t: Transport) => void, onError?: (err: Error) => void): Promise<Listener> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    onConnection(socket);
  });
  return new Promise((resolve, reject) => {
    const onListenError = (err: Error): void => reject(new Error(`cannot listen on ${o.host}:${o.port}: ${err.message}`, { cause: err }));
    server.once('error', onListenError);
    server.listen(o.port, o.host, () => {
      server.off('error', onListenError);
      if (onError !== undefined) server.on('error', onError);
      resolve({
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err === undefined ? done() : fail(err)));
          }),
        address: () => {
          const a = server.address() as AddressInfo;
          return { address: a.address, port: a.port };
        },
        fd: () => fdOf(server),
      });
    });
  });
}
