// The AF_NETLINK socket, the one piece of the FIB that is native: native/netlink.c, an
// N-API addon built by node-gyp when the package is installed (docs/fib.md says why it
// is ours and not an npm package). Everything above this file is plain TypeScript.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { NETLINK_ROUTE, errnoName } from './netlink.js';

/** A netlink socket bound to the kernel; datagrams in, datagrams out. */
export interface NetlinkSocket {
  /** Sends one datagram (any number of messages) with one sendmsg; throws a NetlinkSocketError. */
  send(datagram: Uint8Array): void;
  /** Starts delivering received datagrams; `onError` gets socket errors such as ENOBUFS (replies were lost). */
  listen(onDatagram: (datagram: Uint8Array) => void, onError: (error: NetlinkSocketError) => void): void;
  /** Joins a multicast group (RTNLGRP_*). */
  join(group: number): void;
  /**
   * Has the kernel drop, before they are queued, notifications of unicast routes added
   * with `protocol` in `table` (both below 256): a writer's own routes echoed back.
   */
  dropOwnRouteAdds?(protocol: number, table: number): void;
  /** Whether a listening socket keeps the process alive. */
  setRef(isRef: boolean): void;
  close(): void;
}

/** A system call on the netlink socket failed. */
export class NetlinkSocketError extends Error {
  override readonly name = 'NetlinkSocketError';
  constructor(
    message: string,
    /** The errno name, e.g. "ENOBUFS". */
    readonly code: string,
    readonly errno: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** This host cannot give the FIB a netlink socket (no addon, not Linux, no AF_NETLINK). */
export class NetlinkUnavailableError extends Error {
  override readonly name = 'NetlinkUnavailableError';
}

interface Binding {
  open(protocol: number, receiveBufferBytes: number): object;
  join(handle: object, group: number): void;
  dropOwnRouteAdds(handle: object, protocol: number, table: number): void;
  send(handle: object, bytes: Uint8Array): number;
  listen(handle: object, onData: (errno: number, bytes: Buffer | null) => void): void;
  ref(handle: object, isRef: boolean): void;
  close(handle: object): void;
}

interface ErrnoLike {
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly message?: unknown;
}

function toSocketError(e: unknown): NetlinkSocketError {
  const x = (typeof e === 'object' && e !== null ? e : {}) as ErrnoLike;
  const code = typeof x.code === 'string' ? x.code : 'EUNKNOWN';
  const errno = typeof x.errno === 'number' ? x.errno : 0;
  return new NetlinkSocketError(typeof x.message === 'string' ? x.message : String(e), code, errno, { cause: e });
}

/** Where the addon lands after `npm install` (node-gyp in native/). */
export const addonPath = fileURLToPath(new URL('../../../native/build/Release/tsbgp_netlink.node', import.meta.url));

let binding: Binding | undefined;

function loadBinding(): Binding {
  if (binding !== undefined) return binding;
  if (process.platform !== 'linux') throw new NetlinkUnavailableError(`netlink exists only on Linux, not on ${process.platform}`);
  try {
    binding = createRequire(import.meta.url)(addonPath) as Binding;
  } catch (e) {
    throw new NetlinkUnavailableError(`the netlink addon is not built (${addonPath}); run "npm install" or "npx node-gyp rebuild -C native"`, { cause: e });
  }
  return binding;
}

class AddonSocket implements NetlinkSocket {
  constructor(
    private readonly b: Binding,
    private readonly handle: object,
  ) {}

  send(datagram: Uint8Array): void {
    try {
      this.b.send(this.handle, datagram);
    } catch (e) {
      throw toSocketError(e);
    }
  }

  listen(onDatagram: (datagram: Uint8Array) => void, onError: (error: NetlinkSocketError) => void): void {
    this.b.listen(this.handle, (errno, bytes) => {
      if (bytes !== null) onDatagram(bytes);
      else onError(new NetlinkSocketError(`netlink receive failed: errno ${errno}`, errnoName(errno), errno));
    });
  }

  join(group: number): void {
    try {
      this.b.join(this.handle, group);
    } catch (e) {
      throw toSocketError(e);
    }
  }

  dropOwnRouteAdds(protocol: number, table: number): void {
    try {
      this.b.dropOwnRouteAdds(this.handle, protocol, table);
    } catch (e) {
      throw toSocketError(e);
    }
  }

  setRef(isRef: boolean): void {
    this.b.ref(this.handle, isRef);
  }

  close(): void {
    this.b.close(this.handle);
  }
}

/** Options of a route socket. */
export interface RouteSocketOptions {
  /** SO_RCVBUF(FORCE) in bytes: acknowledgements and notifications must fit. */
  readonly receiveBufferBytes?: number;
}

/** Opens a NETLINK_ROUTE socket; throws NetlinkUnavailableError if this host has none. */
export function openRouteSocket(options: RouteSocketOptions = {}): NetlinkSocket {
  const b = loadBinding();
  let handle: object;
  try {
    handle = b.open(NETLINK_ROUTE, options.receiveBufferBytes ?? 8 * 1024 * 1024);
  } catch (e) {
    const err = toSocketError(e);
    throw new NetlinkUnavailableError(`cannot open a netlink route socket: ${err.message}`, { cause: err });
  }
  return new AddonSocket(b, handle);
}
