// The per-session TCP and IP options Node cannot set itself: TCP MD5 signatures
// (RFC 2385), the outgoing TTL (ebgp-multihop; RFC 5082 GTSM sends 255) and the least
// TTL accepted (RFC 5082 3). They go through native/tcp.c, loaded only when a session
// asks for one of them.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What a session's socket sets beyond plain TCP; every field undefined is plain TCP. */
export interface TcpSecurity {
  /** RFC 2385 key; every segment is signed with it and unsigned ones are dropped. */
  readonly md5Key?: string | undefined;
  /** TTL (IPv6 hop limit) of the packets sent; undefined keeps the system default. */
  readonly ttl?: number | undefined;
  /** Packets arriving with a lower TTL are dropped (IP_MINTTL, RFC 5082 3). */
  readonly minTtl?: number | undefined;
}

/** True when `s` asks for nothing beyond plain TCP. */
export function isPlainTcp(s: TcpSecurity): boolean {
  return s.md5Key === undefined && s.ttl === undefined && s.minTtl === undefined;
}

/** This host cannot set the options (not Linux, or the addon is not built). */
export class TcpOptionsUnavailableError extends Error {
  override readonly name = 'TcpOptionsUnavailableError';
}

/** RFC 2385 leaves the key length open; Linux holds at most 80 bytes (TCP_MD5SIG_MAXKEYLEN). */
export const maxMd5KeyBytes = 80;

interface Binding {
  open(family: 4 | 6): number;
  close(fd: number): void;
  setMd5(fd: number, address: string, prefixLength: number, key: Uint8Array): void;
  setTtl(fd: number, ttl: number): void;
  setMinTtl(fd: number, ttl: number): void;
  getTtl(fd: number): number;
  getMinTtl(fd: number): number;
}

/** Where node-gyp puts the addon (native/binding.gyp, target tsbgp_tcp). */
export const tcpAddonPath = fileURLToPath(new URL('../../../native/build/Release/tsbgp_tcp.node', import.meta.url));

let binding: Binding | undefined;

function loadBinding(): Binding {
  if (binding !== undefined) return binding;
  if (process.platform !== 'linux') throw new TcpOptionsUnavailableError(`TCP MD5 and TTL options are implemented for Linux only, not ${process.platform}`);
  try {
    binding = createRequire(import.meta.url)(tcpAddonPath) as Binding;
  } catch (e) {
    throw new TcpOptionsUnavailableError(`the TCP options addon is not built (${tcpAddonPath}); run "npm install" or "npx node-gyp rebuild -C native"`, { cause: e });
  }
  return binding;
}

/** Throws TcpOptionsUnavailableError unless the options can be set here. */
export function requireTcpOptions(): void {
  loadBinding();
}

/** A new non-blocking, unconnected TCP socket for Node to adopt (`new net.Socket({ fd })`). */
export function openTcpSocket(family: 4 | 6): number {
  return loadBinding().open(family);
}

/** Closes a socket from `openTcpSocket` that Node never adopted. */
export function closeTcpSocket(fd: number): void {
  loadBinding().close(fd);
}

/**
 * Sets (or with `key` undefined removes) the MD5 key for `address` on the socket; a
 * `prefixLength` makes it cover a range (TCP_MD5SIG_EXT), e.g. a dynamic-neighbors
 * prefix on a listener.
 */
export function setMd5Key(fd: number, address: string, key: string | undefined, prefixLength?: number): void {
  loadBinding().setMd5(fd, address, prefixLength ?? -1, new TextEncoder().encode(key ?? ''));
}

/** Applies the TTL options of `s` (the MD5 key is per address: `setMd5Key`). */
export function setTtlOptions(fd: number, s: TcpSecurity): void {
  const b = loadBinding();
  if (s.ttl !== undefined) b.setTtl(fd, s.ttl);
  if (s.minTtl !== undefined) b.setMinTtl(fd, s.minTtl);
}

/** The TTL and least accepted TTL set on a socket (0: none). */
export function readTtlOptions(fd: number): { ttl: number; minTtl: number } {
  const b = loadBinding();
  return { ttl: b.getTtl(fd), minTtl: b.getMinTtl(fd) };
}

/**
 * The file descriptor under a Node socket or server. Node does not publish it; its
 * TCP handle carries it on Unix, and nothing else here depends on Node's internals.
 */
export function fdOf(handleOwner: unknown): number | undefined {
  const handle = (handleOwner as { _handle?: { fd?: unknown } } | null | undefined)?._handle;
  return typeof handle?.fd === 'number' && handle.fd >= 0 ? handle.fd : undefined;
}
