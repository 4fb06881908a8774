// tsbgpd's wiring and lifecycle: one Session per configured neighbor, listeners that
// hand each accepted connection to its neighbor's session (RFC 4271 8), the originate
// routes sent to every established peer, configuration reload by difference, and a
// bounded shutdown with a Cease / Administrative Shutdown communication (RFC 9003).

import { hostname as osHostname } from 'node:os';
import { isIPv4, isIPv6 } from 'node:net';
import { systemClock, type Clock, type Random } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { formatAddress, parseAddress, type Prefix } from '../lib/address.js';
import { CeaseSubcode } from '../wire/errors.js';
import { familyName } from '../wire/context.js';
import { Session, type SessionConfig } from '../session/session.js';
import type { UpdateSink } from '../rib/sink.js';
import { listen, type Listener } from '../session/listener.js';
import { tcpConnector, type Connector, type Transport } from '../session/transport.js';
import { defaultLocalAddressList, type DaemonConfig, type GlobalConfig, type NeighborConfig, type OriginateRoute } from './config.js';
import { RouteLogSink } from './route-log.js';
import { announceUpdates, endOfRibUpdates, ipv4Unicast, routesForPeer, unmapAddress, UpdateSender, withdrawUpdates, type PeerRoute } from './originate.js';

export interface DaemonOptions {
  readonly logger: Logger;
  /** RFC 9003 communication sent with the Cease at shutdown. */
  readonly shutdownMessage?: string;
  /** Longest wait for peers to take their Cease at shutdown. */
  readonly shutdownTimeoutMs?: number;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly connect?: Connector;
  /** Host name for the FQDN capability; the machine's by default. */
  readonly hostname?: string;
}

/** What a reload changed, as logged in `config reloaded`. */
export interface ReloadSummary {
  /** Neighbors and originate routes added. */
  readonly added: number;
  /** Neighbors and originate routes removed. */
  readonly removed: number;
  readonly neighborsAdded: number;
  readonly neighborsRemoved: number;
  readonly neighborsRestarted: number;
  readonly routesAdded: number;
  readonly routesRemoved: number;
  readonly routesChanged: number;
  /** global.config keys that changed; they take effect only after a restart. */
  readonly globalNeedsRestart: readonly string[];
}

export const defaultShutdownMessage = 'tsbgpd shutting down';
export const defaultShutdownTimeoutMs = 3000;

interface SentRoute {
  readonly prefix: Prefix;
  readonly signature: string;
}

interface Peer {
  config: NeighborConfig;
  readonly session: Session;
  readonly sender: UpdateSender;
  /** What we announced on the current Established session, by prefix. */
  readonly sent: Map<string, SentRoute>;
  /** End-of-RIB went out on the current Established session. */
  sentEndOfRib: boolean;
}

/** The address text of an accepted connection, IPv4-mapped IPv6 unmapped, IPv6 canonical. */
export function normalizeRemoteAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const plain = unmapAddress(address);
  if (isIPv4(plain)) return plain;
  if (isIPv6(plain)) return formatAddress(parseAddress(plain));
  return undefined;
}

/** The configured keys of global.config that differ. */
function globalChanges(a: GlobalConfig, b: GlobalConfig): string[] {
  const changed: string[] = [];
  if (a.as !== b.as) changed.push('as');
  if (a.routerId !== b.routerId) changed.push('router-id');
  if (a.port !== b.port) changed.push('port');
  if (a.localAddressList.join(',') !== b.localAddressList.join(',')) changed.push('local-address-list');
  return changed;
}

/** Settings whose change needs a new session (the description does not). */
function sessionSettings(n: NeighborConfig): string {
  return JSON.stringify({ ...n, description: '' });
}

function routeSignature(r: OriginateRoute): string {
  return JSON.stringify([r.nextHop ?? null, r.origin, r.med ?? null, r.communities]);
}

export class Daemon {
  private config: DaemonConfig;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly connect: Connector;
  private readonly hostname: string;
  private readonly shutdownMessage: string;
  private readonly shutdownTimeoutMs: number;
  private readonly peers = new Map<string, Peer>();
  private listeners: Listener[] = [];
  private stopping: Promise<void> | undefined;
  /** The stand-in for the RIB: counts and logs what peers send. */
  readonly sink: RouteLogSink;

  constructor(config: DaemonConfig, options: DaemonOptions) {
    this.config = config;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.connect = options.connect ?? tcpConnector;
    this.hostname = options.hostname ?? osHostname();
    this.shutdownMessage = options.shutdownMessage ?? defaultShutdownMessage;
    this.shutdownTimeoutMs = options.shutdownTimeoutMs ?? defaultShutdownTimeoutMs;
    this.sink = new RouteLogSink(this.logger);
  }

  /** The configuration in force (global settings stay those of the start). */
  get currentConfig(): DaemonConfig {
    return this.config;
  }

  /** Where the daemon listens, as bound. */
  get listenAddresses(): { readonly address: string; readonly port: number }[] {
    return this.listeners.map((l) => l.address());
  }

  /** The session of a neighbor, by its address. */
  sessionOf(address: string): Session | undefined {
    return this.peers.get(address)?.session;
  }

  /**
   * Listens (unless port is -1), then starts every session. Rejects, with nothing left
   * running, if a configured address cannot be bound.
   */
  async start(): Promise<void> {
    await this.openListeners();
    for (const n of this.config.neighbors) this.addPeer(n).session.start();
    const g = this.config.global;
    this.logger.info('tsbgpd started', {
      as: g.as,
      routerId: g.routerId,
      listen: this.listenAddresses.map((a) => (a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`)),
      neighbors: this.config.neighbors.length,
      originate: this.config.originate.length,
    });
  }

  /**
   * Stops every session with a Cease / Administrative Shutdown carrying `communication`,
   * closes the listeners, and resolves when all is closed or the shutdown timeout passed.
   */
  stop(communication: string = this.shutdownMessage): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    const work = Promise.all([
      ...[...this.peers.values()].map((p) => p.session.stop(communication, CeaseSubcode.administrativeShutdown)),
      ...this.listeners.map((l) => l.close().catch(() => undefined)),
    ]).then(() => undefined);
    this.listeners = [];
    let cancel = (): void => {};
    const timeout = new Promise<void>((resolve) => {
      cancel = this.clock.after(this.shutdownTimeoutMs, () => {
        this.logger.warn('shutdown timeout', { afterMs: this.shutdownTimeoutMs });
        resolve();
      });
    });
    this.stopping = Promise.race([work, timeout]).finally(cancel);
    return this.stopping;
  }

  /**
   * Applies a new configuration by difference: neighbors added, removed (Cease / Peer
   * De-configured) or restarted when their settings changed (Cease / Other Configuration
   * Change); originate routes announced, withdrawn or re-announced on every established
   * session. global.config changes need a restart: they are logged and not applied.
   */
  reload(next: DaemonConfig): ReloadSummary {
    const old = this.config;
    const needsRestart = globalChanges(old.global, next.global);
    if (needsRestart.length > 0) {
      this.logger.warn('config reload: global settings need a restart', { changed: needsRestart.join(','), kept: `as=${old.global.as} router-id=${old.global.routerId} port=${old.global.port}` });
    }
    const effective: DaemonConfig = needsRestart.length === 0 ? next : keepGlobal(next, old.global);
    this.config = effective;

    let neighborsAdded = 0;
    let neighborsRemoved = 0;
    let neighborsRestarted = 0;
    const fresh = new Set<string>();
    const wanted = new Map(effective.neighbors.map((n) => [n.address, n]));
    for (const [address, peer] of [...this.peers]) {
      const n = wanted.get(address);
      if (n === undefined) {
        neighborsRemoved++;
        this.peers.delete(address);
        void peer.session.stop('', CeaseSubcode.peerDeconfigured);
      } else if (sessionSettings(n) !== sessionSettings(peer.config)) {
        neighborsRestarted++;
        fresh.add(address);
        const replacement = this.addPeer(n);
        void peer.session.stop('', CeaseSubcode.otherConfigurationChange).then(() => {
          if (this.stopping === undefined && this.peers.get(address) === replacement) replacement.session.start();
        });
      } else {
        peer.config = n;
      }
    }
    for (const n of effective.neighbors) {
      if (this.peers.has(n.address)) continue;
      neighborsAdded++;
      fresh.add(n.address);
      this.addPeer(n).session.start();
    }

    const before = new Map(old.originate.map((r) => [r.prefixText, routeSignature(r)]));
    const after = new Map(effective.originate.map((r) => [r.prefixText, routeSignature(r)]));
    const routesAdded = [...after.keys()].filter((p) => !before.has(p)).length;
    const routesRemoved = [...before.keys()].filter((p) => !after.has(p)).length;
    const routesChanged = [...after].filter(([p, sig]) => before.has(p) && before.get(p) !== sig).length;
    for (const [address, peer] of this.peers) {
      if (!fresh.has(address) && peer.session.state === 'Established') this.syncRoutes(peer);
    }

    const summary: ReloadSummary = {
      added: neighborsAdded + routesAdded,
      removed: neighborsRemoved + routesRemoved,
      neighborsAdded,
      neighborsRemoved,
      neighborsRestarted,
      routesAdded,
      routesRemoved,
      routesChanged,
      globalNeedsRestart: needsRestart,
    };
    this.logger.info('config reloaded', { ...summary, globalNeedsRestart: needsRestart.join(',') });
    return summary;
  }

  private addPeer(n: NeighborConfig): Peer {
    const connect: Connector = this.connect;
    // The session tells its sink of Established once the peer's details are set: the
    // moment to announce. Routes received go on to the shared route log.
    const log = this.sink;
    const sink: UpdateSink = {
      onEstablished: (info) => {
        log.onEstablished(info);
        this.syncRoutes(peer);
      },
      onUpdate: (info, update) => log.onUpdate(info, update),
      onEndOfRib: (info, family) => log.onEndOfRib(info, family),
      onPeerDown: (info, reason) => {
        peer.sender.clear();
        peer.sent.clear();
        peer.sentEndOfRib = false;
        log.onPeerDown(info, reason);
      },
    };
    const session = new Session(this.sessionConfig(n), { clock: this.clock, random: this.random, logger: this.logger, sink, connect });
    const peer: Peer = { config: n, session, sender: new UpdateSender(session), sent: new Map(), sentEndOfRib: false };
    this.peers.set(n.address, peer);
    return peer;
  }

  private sessionConfig(n: NeighborConfig): SessionConfig {
    return {
      peerAddress: n.address,
      peerPort: n.remotePort,
      ...(n.localAddress === undefined ? {} : { localAddress: n.localAddress }),
      localAs: n.localAs,
      peerAs: n.peerAs,
      routerId: parseAddress(this.config.global.routerId),
      holdTimeSec: n.holdTimeSec,
      ...(n.keepaliveSec > 0 ? { keepaliveSec: n.keepaliveSec } : {}),
      connectRetrySec: n.connectRetrySec,
      isPassive: n.isPassive,
      families: n.families,
      hostname: this.hostname,
      ...(n.idleHoldTimeAfterResetSec === undefined ? {} : { idleHoldSec: n.idleHoldTimeAfterResetSec }),
    };
  }

  /** Our end of the peer's connection: configured, else the session's connection's. */
  private localAddressOf(peer: Peer): string | undefined {
    return peer.config.localAddress ?? normalizeRemoteAddress(peer.session.localAddress);
  }

  /**
   * Brings what the peer has from us in line with the originate list: withdraws what
   * is gone, announces what is new or changed. On a new session `sent` is empty, so
   * everything is announced, then End-of-RIB for each family (RFC 4724 2).
   */
  private syncRoutes(peer: Peer): void {
    const info = peer.session.peerInfo;
    const negotiated = peer.session.negotiated;
    if (info === undefined || negotiated === undefined) return;
    const isNewSession = !peer.sentEndOfRib;
    const ctx = negotiated.tx;
    const families = info.families.size > 0 ? info.families : new Set([ipv4Unicast]);
    const target = { families, isEbgp: info.isEbgp, localAs: peer.config.localAs, localAddress: this.localAddressOf(peer), ctx };
    const { routes, skipped } = routesForPeer(this.config.originate, target);
    for (const s of skipped) this.logger.warn('route not announced', { peer: info.address, prefix: s.prefixText, family: familyName(s.family), reason: s.reason });

    const desired = new Map<string, PeerRoute>(routes.map((r) => [r.prefixText, r]));
    const gone: Prefix[] = [];
    for (const [text, sent] of peer.sent) {
      if (!desired.has(text)) {
        gone.push(sent.prefix);
        peer.sent.delete(text);
      }
    }
    const changed = routes.filter((r) => peer.sent.get(r.prefixText)?.signature !== r.signature);
    for (const r of changed) peer.sent.set(r.prefixText, { prefix: r.prefix, signature: r.signature });
    const updates = [...withdrawUpdates(gone, ctx), ...announceUpdates(changed, ctx)];
    if (isNewSession) {
      updates.push(...endOfRibUpdates(families));
      peer.sentEndOfRib = true;
    }
    if (gone.length > 0 || changed.length > 0) this.logger.info('routes sent', { peer: info.address, announced: changed.length, withdrawn: gone.length, updates: updates.length });
    peer.sender.send(updates);
  }

  private async openListeners(): Promise<void> {
    const g = this.config.global;
    if (g.port === -1) return;
    const isDefaultList = g.localAddressList.join(',') === defaultLocalAddressList.join(',');
    // On Linux a dual-stack "::" socket also takes IPv4, and then "0.0.0.0" on the same
    // port is in use: bind "::" first and let it cover IPv4 when that happens.
    const ordered = [...g.localAddressList].sort((a, b) => Number(b === '::') - Number(a === '::'));
    try {
      for (const host of ordered) {
        try {
          this.listeners.push(await listen({ host, port: g.port }, (t) => this.onIncoming(t), (err) => this.logger.error('listener error', { address: host, error: err.message })));
        } catch (err) {
          const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
          const hasDualStack = this.listeners.some((l) => l.address().address === '::');
          if (host === '0.0.0.0' && code === 'EADDRINUSE' && hasDualStack) {
            this.logger.debug('IPv4 served by the dual-stack listener', { address: host, port: g.port });
          } else if (isDefaultList && host === '::' && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) {
            this.logger.warn('no IPv6 listener', { address: host, port: g.port, error: (err as Error).message });
          } else {
            throw err;
          }
        }
      }
    } catch (err) {
      await Promise.all(this.listeners.map((l) => l.close().catch(() => undefined)));
      this.listeners = [];
      throw err;
    }
  }

  private onIncoming(t: Transport): void {
    const remote = normalizeRemoteAddress(t.remoteAddress);
    const peer = remote === undefined ? undefined : this.peers.get(remote);
    if (peer === undefined || this.stopping !== undefined) {
      this.logger.debug('connection refused', { remote: `${t.remoteAddress ?? '?'}:${t.remotePort ?? '?'}`, reason: peer === undefined ? 'not a configured neighbor' : 'shutting down' });
      t.destroy();
      return;
    }
    peer.session.handleIncoming(t);
  }
}

/** `next` with the running global settings, and neighbors' default local AS taken from them. */
function keepGlobal(next: DaemonConfig, global: GlobalConfig): DaemonConfig {
  const neighbors = next.neighbors.map((n) => (n.isLocalAsFromGlobal ? Object.freeze({ ...n, localAs: global.as }) : n));
  return Object.freeze({ ...next, global, neighbors: Object.freeze(neighbors) });
}
