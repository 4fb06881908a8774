// The daemon's side of session protections: each neighbor's TCP MD5 key (RFC 2385),
// GTSM (RFC 5082) and ebgp-multihop TTL turned into socket options, on its outgoing
// connections, on the listeners (MD5 keys per neighbor address and per dynamic-neighbors
// range) and on each accepted connection (TTL and least accepted TTL). Sessions never
// see any of it.

import type { Logger } from '../lib/logger.js';
import { formatAddress } from '../lib/address.js';
import type { Listener } from '../session/listener.js';
import { securedTcpConnector, type Connector, type Transport } from '../session/transport.js';
import { fdOf, isPlainTcp, requireTcpOptions, setMd5Key, setTtlOptions, type TcpSecurity } from '../session/tcp-options.js';
import type { DaemonConfig, NeighborConfig, PeerSettings } from './config.js';

/** RFC 5082 3: GTSM sends with the largest TTL so that a receiver can require it. */
export const gtsmTtl = 255;
/** Linux's "system default" value for IP_TTL and IPV6_UNICAST_HOPS. */
const defaultTtl = -1;

/**
 * A neighbor's socket options, with gobgpd's precedence: ttl-security sends 255 and
 * requires ttl-min; else ebgp-multihop sends its TTL (255 when not written).
 */
export function tcpSecurityOf(n: NeighborConfig | PeerSettings): TcpSecurity {
  const md5Key = n.authPassword;
  if (n.ttlSecurity?.isEnabled === true) return { md5Key, ttl: gtsmTtl, minTtl: n.ttlSecurity.ttlMin };
  if (n.ebgpMultihop?.isEnabled === true) return { md5Key, ttl: n.ebgpMultihop.ttl ?? gtsmTtl };
  return { md5Key };
}

/** Whether any neighbor or peer group of `config` needs the TCP options addon. */
export function needsTcpOptions(config: DaemonConfig, extra: readonly NeighborConfig[] = []): boolean {
  return [...config.neighbors, ...extra, ...config.peerGroups.map((g) => g.settings)].some((n) => !isPlainTcp(tcpSecurityOf(n)));
}

interface Md5Entry {
  readonly address: string;
  /** Set for a range (TCP_MD5SIG_EXT). */
  readonly prefixLength?: number;
  readonly key: string;
}

/** The MD5 keys listeners must hold: one per neighbor with a password, one per range whose group has one. */
export function md5Entries(config: DaemonConfig, neighbors: readonly NeighborConfig[]): Map<string, Md5Entry> {
  const out = new Map<string, Md5Entry>();
  for (const r of config.dynamicNeighbors) {
    const key = config.peerGroups.find((g) => g.name === r.peerGroup)?.settings.authPassword;
    if (key !== undefined) out.set(r.prefixText, { address: formatAddress(r.prefix.addr), prefixLength: r.prefix.length, key });
  }
  for (const n of neighbors) if (n.authPassword !== undefined) out.set(n.address, { address: n.address, key: n.authPassword });
  return out;
}

interface ListenerKeys {
  readonly listener: Listener;
  readonly isIPv6: boolean;
  /** What is set on it, by neighbor address or range. */
  readonly applied: Map<string, Md5Entry>;
}

/** Keeps the listeners' MD5 keys in line with the configuration and sets the options of each connection. */
export class TcpSecurityWiring {
  private readonly listeners: ListenerKeys[] = [];
  private wanted = new Map<string, Md5Entry>();
  /** Whether the listeners send with TTL 255 (some GTSM neighbor may connect to us). */
  private hasGtsmListeners = false;

  constructor(private readonly logger: Logger) {}

  /** Throws TcpOptionsUnavailableError, naming what to do, when `config` needs options this host cannot set. */
  check(config: DaemonConfig): void {
    if (needsTcpOptions(config)) requireTcpOptions();
  }

  /** The connector for `n`: `plain` when it needs no option. */
  connectorFor(n: NeighborConfig, plain: Connector): Connector {
    const security = tcpSecurityOf(n);
    return isPlainTcp(security) ? plain : securedTcpConnector(security);
  }

  /** A listener to keep keys on; it gets those already wanted. */
  addListener(listener: Listener): void {
    const entry: ListenerKeys = { listener, isIPv6: listener.address().address.includes(':'), applied: new Map() };
    this.listeners.push(entry);
    this.applyKeys(entry);
    if (this.hasGtsmListeners) this.setListenerTtl(entry, gtsmTtl);
  }

  /** Brings every listener's keys (and SYN-ACK TTL) to what `config` plus `neighbors` want. */
  sync(config: DaemonConfig, neighbors: readonly NeighborConfig[]): void {
    this.wanted = md5Entries(config, neighbors);
    for (const l of this.listeners) this.applyKeys(l);
    const hasGtsm = [...neighbors, ...config.peerGroups.map((g) => g.settings)].some((n) => n.ttlSecurity?.isEnabled === true);
    if (hasGtsm !== this.hasGtsmListeners) {
      this.hasGtsmListeners = hasGtsm;
      // RFC 5082 3: a GTSM peer drops our SYN-ACK unless it leaves with TTL 255.
      for (const l of this.listeners) this.setListenerTtl(l, hasGtsm ? gtsmTtl : defaultTtl);
    }
  }

  /**
   * Sets `n`'s TTL options on a connection accepted for it (a listener's TTL would be
   * inherited otherwise). False when they could not be set: the connection must go.
   */
  applyAccepted(t: Transport, n: NeighborConfig): boolean {
    const security = tcpSecurityOf(n);
    if (security.ttl === undefined && security.minTtl === undefined && !this.hasGtsmListeners) return true;
    const fd = fdOf(t);
    try {
      if (fd === undefined) throw new Error('the connection has no file descriptor');
      setTtlOptions(fd, { ttl: security.ttl ?? defaultTtl, minTtl: security.minTtl ?? 0 });
      return true;
    } catch (err) {
      this.logger.error('tcp options not set', { peer: n.address, error: (err as Error).message });
      return false;
    }
  }

  private applyKeys(l: ListenerKeys): void {
    const fd = l.listener.fd?.();
    if (fd === undefined) return;
    for (const [id, old] of [...l.applied]) {
      const next = this.wanted.get(id);
      if (next !== undefined && next.key === old.key && next.prefixLength === old.prefixLength) continue;
      this.setKey(l, fd, id, old, undefined);
    }
    for (const [id, e] of this.wanted) {
      if (l.applied.has(id)) continue;
      // An IPv4-only listener never sees an IPv6 peer.
      if (!l.isIPv6 && e.address.includes(':')) continue;
      this.setKey(l, fd, id, e, e.key);
    }
  }

  private setKey(l: ListenerKeys, fd: number, id: string, e: Md5Entry, key: string | undefined): void {
    try {
      setMd5Key(fd, e.address, key, e.prefixLength);
      if (key === undefined) l.applied.delete(id);
      else l.applied.set(id, e);
    } catch (err) {
      this.logger.error('tcp md5 key not set', { peer: id, listener: l.listener.address().address, error: (err as Error).message });
    }
  }

  private setListenerTtl(l: ListenerKeys, ttl: number): void {
    const fd = l.listener.fd?.();
    try {
      if (fd === undefined) throw new Error('the listener has no file descriptor');
      setTtlOptions(fd, { ttl });
    } catch (err) {
      this.logger.error('tcp options not set', { listener: l.listener.address().address, error: (err as Error).message });
    }
  }
}
