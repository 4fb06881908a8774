// The speaker of one node: a BGP session (active side) per BGPPeer selecting the node,
// and the node's announcements on each, kept in step with the resources by difference:
// new or changed prefixes announced, vanished ones withdrawn (RFC 4271 9.1.3), the full
// set and End-of-RIB (RFC 4724 2) whenever a session comes up. A BGPPeer with a
// bfdProfile gets a BFD session (RFC 5880/5881) while Established; BFD going Down
// resets the BGP session with Cease / BFD Down (RFC 5882 4.3, RFC 9384).

import { Afi, formatAddress, parseAddress } from '../lib/address.js';
import type { Clock, Random } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { Session, type SessionDeps, type SessionState } from '../session/session.js';
import type { Connector } from '../session/transport.js';
import type { TcpSecurity } from '../session/tcp-options.js';
import type { BfdManager, BfdPeerHandle, BfdTimers } from '../bfd/manager.js';
import { CeaseSubcode } from '../wire/errors.js';
import { announceUpdates, endOfRibUpdates, ipv4Unicast, ipv6Unicast, unmapAddress, UpdateSender, withdrawUpdates, type PeerRoute } from '../session/announce.js';
import { AsSegmentType, Origin, type PathAttributes } from '../wire/attributes/types.js';
import { desiredAnnouncements, type DesiredRoute } from './announcer.js';
import type { BfdProfile, BgpPeer } from './resources.js';
import type { ResourceSnapshot } from './store.js';

export interface SpeakerOptions {
  readonly nodeName: string;
  /** ORIGIN of every route; incomplete by default (what MetalLB sent in the scenario's days). */
  readonly origin?: Origin;
  /** Router ID when the BGPPeer has none and its sourceAddress is not IPv4 (the node's address). */
  readonly defaultRouterId?: string;
  /** ConnectRetryTime; default 5 s so a node joins soon after the router is up. */
  readonly connectRetrySec?: number;
  /** Idle hold after a failure; default the session's (5 s, doubling). */
  readonly idleHoldSec?: number;
}

export interface SpeakerDeps {
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly connect: Connector;
  /**
   * A connector applying TCP MD5 (RFC 2385) and the TTL (multihop) for one peer, e.g.
   * session/transport.ts `securedTcpConnector`. Absent: those options are not applied and
   * a warning says so.
   */
  readonly secureConnect?: (security: TcpSecurity) => Connector;
  /**
   * Builds the BFD manager (src/bfd, UDP 3784), once, when a first peer with a
   * bfdProfile comes up. Absent: bfdProfile is not applied and a warning says so.
   */
  readonly createBfd?: () => SpeakerBfd;
}

/** What the speaker uses of a BfdManager; tests give a fake. */
export type SpeakerBfd = Pick<BfdManager, 'start' | 'add' | 'close'>;

/** The hold time MetalLB uses when the BGPPeer gives none. */
export const defaultHoldTimeSec = 90;
/** LOCAL_PREF to internal peers when no advertisement sets one (RFC 4271 5.1.5 requires one). */
export const defaultLocalPref = 100;

// The session's sink contract, named through session (the speaker does not depend on rib).
type UpdateSink = SessionDeps['sink'];
type PeerInfo = Parameters<UpdateSink['onEstablished']>[0];

/** What makes two BGPPeer versions the same session; any other change restarts it. */
function sessionIdentity(peer: BgpPeer, routerId: string, bfd: BfdTimers | undefined): string {
  return JSON.stringify([peer.peerAddress, peer.peerPort, peer.peerAsn, peer.myAsn, peer.holdTimeSec ?? null, peer.keepaliveSec ?? null, peer.sourceAddress ?? null, routerId, peer.password ?? null, peer.ebgpMultiHop, bfd ?? null]);
}

/** A BFDProfile's timers as the BFD session takes them (MetalLB's field meanings). */
function bfdTimersOf(profile: BfdProfile): BfdTimers {
  return { desiredMinTxMs: profile.transmitIntervalMs, requiredMinRxMs: profile.receiveIntervalMs, detectMultiplier: profile.detectMultiplier, ...(profile.passiveMode ? { isPassive: true } : {}) };
}

/** One BGPPeer's session and what it has been told. */
class PeerSession implements UpdateSink {
  readonly session: Session;
  private readonly sender: UpdateSender;
  private desired: ReadonlyMap<string, DesiredRoute> = new Map();
  /** Prefix text to the signature last announced on this session. */
  private readonly sent = new Map<string, string>();
  private readonly skippedLogged = new Set<string>();
  private bfdHandle: BfdPeerHandle | undefined;
  private isClosed = false;

  constructor(
    readonly name: string,
    readonly peer: BgpPeer,
    readonly identity: string,
    routerId: string,
    private readonly origin: Origin,
    private readonly deps: SpeakerDeps,
    options: SpeakerOptions,
    connect: Connector,
    /** BFD for this peer: its timers and the shared manager (undefined when it cannot run). */
    private readonly bfd?: { readonly timers: BfdTimers; readonly manager: () => SpeakerBfd | undefined },
  ) {
    this.session = new Session(
      {
        peerAddress: peer.peerAddress,
        peerPort: peer.peerPort,
        ...(peer.sourceAddress === undefined ? {} : { localAddress: peer.sourceAddress }),
        localAs: peer.myAsn,
        peerAs: peer.peerAsn,
        routerId: parseAddress(routerId),
        holdTimeSec: peer.holdTimeSec ?? defaultHoldTimeSec,
        ...(peer.keepaliveSec === undefined ? {} : { keepaliveSec: peer.keepaliveSec }),
        connectRetrySec: options.connectRetrySec ?? 5,
        isPassive: false,
        families: [ipv4Unicast, ipv6Unicast],
        hostname: options.nodeName,
        ...(options.idleHoldSec === undefined ? {} : { idleHoldSec: options.idleHoldSec }),
      },
      { clock: deps.clock, random: deps.random, logger: deps.logger, sink: this, connect },
    );
    this.sender = new UpdateSender(this.session);
  }

  get state(): SessionState {
    return this.session.state;
  }

  /** The routes this peer should have; sent at once if Established. */
  setDesired(routes: ReadonlyMap<string, DesiredRoute>): void {
    this.desired = routes;
    const info = this.session.peerInfo;
    if (this.session.state === 'Established' && info !== undefined) this.sync(info, false);
  }

  onEstablished(peer: PeerInfo): void {
    this.sent.clear();
    this.sync(peer, true);
    this.startBfd();
  }

  onUpdate(): void {
    // Routes the router sends are of no use to a speaker; nothing is installed.
  }

  onEndOfRib(): void {}

  onPeerDown(): void {
    this.sent.clear();
    this.sender.clear();
    this.stopBfd();
  }

  /** The BFD session state, or undefined when this peer runs none. */
  get bfdState(): string | undefined {
    return this.bfdHandle?.state;
  }

  /** Withdraws, stops BFD and closes the session with a Cease carrying `communication`. */
  close(communication: string): Promise<void> {
    this.isClosed = true;
    this.withdrawAll();
    this.stopBfd();
    return this.session.stop(communication);
  }

  private startBfd(): void {
    this.stopBfd();
    const manager = this.bfd?.manager();
    if (this.bfd === undefined || manager === undefined) return;
    const local = this.session.localAddress;
    let handle: BfdPeerHandle;
    try {
      handle = manager.add({ remoteAddress: this.peer.peerAddress, ...(local === undefined ? {} : { localAddress: unmapAddress(local) }), timers: this.bfd.timers });
    } catch (err) {
      this.deps.logger.error('bfd session not started', { peer: this.peer.peerAddress, error: err as Error });
      return;
    }
    this.bfdHandle = handle;
    handle.onState((state, previous, diag) => {
      // RFC 5882 3.2: the peer taking BFD AdminDown says nothing about the path.
      if (this.bfdHandle !== handle || previous !== 'Up' || state !== 'Down' || handle.remoteState === 'AdminDown') return;
      this.deps.logger.info('bfd down, resetting session', { peer: this.peer.peerAddress, diag });
      this.stopBfd();
      void this.session.stop('BFD down', CeaseSubcode.bfdDown).then(() => {
        if (!this.isClosed) this.session.start();
      });
    });
  }

  private stopBfd(): void {
    const handle = this.bfdHandle;
    this.bfdHandle = undefined;
    handle?.remove();
  }

  /** Withdraws everything announced (a graceful stop), if Established. */
  withdrawAll(): void {
    const info = this.session.peerInfo;
    if (this.session.state !== 'Established' || info === undefined || this.sent.size === 0) return;
    const prefixes = [...this.sent.keys()].map((t) => this.desired.get(t)?.prefix ?? parsePrefixText(t));
    for (const t of this.sent.keys()) this.deps.logger.info('withdraw', { peer: this.peer.peerAddress, prefix: t });
    this.sender.send(withdrawUpdates(prefixes, this.session.negotiated!.tx));
    this.sent.clear();
  }

  private toPeerRoute(r: DesiredRoute, info: PeerInfo, local: Uint8Array | undefined): PeerRoute | undefined {
    const family = r.prefix.afi === Afi.ipv4 ? ipv4Unicast : ipv6Unicast;
    if (!info.families.has(family) && !(family === ipv4Unicast && info.families.size === 0)) return undefined;
    // MetalLB's next hop: our end of the session; an IPv6 route needs an IPv6 session.
    if (local === undefined || (local.length === 4) !== (r.prefix.afi === Afi.ipv4)) {
      if (!this.skippedLogged.has(r.prefixText)) {
        this.skippedLogged.add(r.prefixText);
        this.deps.logger.warn('route not announced', { peer: this.peer.peerAddress, prefix: r.prefixText, reason: `no ${r.prefix.afi === Afi.ipv4 ? 'IPv4' : 'IPv6'} next hop: the session's local address is ${this.session.localAddress ?? 'unknown'}` });
      }
      return undefined;
    }
    const localPref = info.isEbgp ? undefined : (r.localPref ?? defaultLocalPref);
    const attributes: PathAttributes = {
      origin: this.origin,
      asPath: info.isEbgp ? [{ type: AsSegmentType.sequence, asns: [this.peer.myAsn] }] : [],
      ...(r.prefix.afi === Afi.ipv4 ? { nextHop: local } : {}),
      ...(localPref === undefined ? {} : { localPref }),
      ...(r.communities.length === 0 ? {} : { communities: r.communities }),
      ...(r.largeCommunities.length === 0 ? {} : { largeCommunities: r.largeCommunities }),
    };
    const signature = JSON.stringify([family, formatAddress(local), this.origin, localPref ?? null, r.communities, r.largeCommunities]);
    return { prefix: r.prefix, prefixText: r.prefixText, family, nextHop: local, attributes, signature };
  }

  /** Sends the difference between what was sent and what is desired; the whole table and End-of-RIB after Established. */
  private sync(info: PeerInfo, isInitial: boolean): void {
    const ctx = this.session.negotiated!.tx;
    const localText = this.session.localAddress;
    const local = localText === undefined ? undefined : parseAddress(unmapAddress(localText));
    const routes = new Map<string, PeerRoute>();
    for (const r of this.desired.values()) {
      const route = this.toPeerRoute(r, info, local);
      if (route !== undefined) routes.set(r.prefixText, route);
    }
    const announce = [...routes.values()].filter((r) => this.sent.get(r.prefixText) !== r.signature);
    const gone = [...this.sent.keys()].filter((t) => !routes.has(t));
    if (gone.length > 0) {
      for (const t of gone) {
        this.sent.delete(t);
        this.deps.logger.info('withdraw', { peer: this.peer.peerAddress, prefix: t });
      }
      this.sender.send(withdrawUpdates(gone.map(parsePrefixText), ctx));
    }
    if (announce.length > 0) {
      for (const r of announce) {
        this.sent.set(r.prefixText, r.signature);
        this.deps.logger.info('announce', { peer: this.peer.peerAddress, prefix: r.prefixText, nextHop: formatAddress(r.nextHop) });
      }
      this.sender.send(announceUpdates(announce, ctx));
    }
    if (isInitial) this.sender.send(endOfRibUpdates(info.families.size === 0 ? new Set([ipv4Unicast]) : info.families));
  }
}

function parsePrefixText(text: string): DesiredRoute['prefix'] {
  const slash = text.indexOf('/');
  const addr = parseAddress(text.slice(0, slash));
  return { afi: addr.length === 4 ? Afi.ipv4 : Afi.ipv6, length: Number(text.slice(slash + 1)), addr };
}

/**
 * The node's speaker. `update` takes each new resource snapshot: sessions are opened,
 * restarted or closed as BGPPeers come, change or go, and each session's announcements
 * follow the snapshot.
 */
export class Speaker {
  private readonly sessions = new Map<string, PeerSession>();
  private readonly warned = new Set<string>();
  private readonly origin: Origin;
  private withdrawnReason: string | undefined;
  private isStopped = false;
  private bfdManager: SpeakerBfd | undefined;

  constructor(
    private readonly options: SpeakerOptions,
    private readonly deps: SpeakerDeps,
  ) {
    this.origin = options.origin ?? Origin.incomplete;
  }

  /** BGPPeer names with a session, sorted. */
  get peerNames(): string[] {
    return [...this.sessions.keys()].sort();
  }

  /** The session of a BGPPeer (by "ns/name"), for tests and status. */
  sessionOf(peerKey: string): Session | undefined {
    return this.sessions.get(peerKey)?.session;
  }

  private warnOnce(key: string, msg: string, fields: Readonly<Record<string, unknown>>): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.deps.logger.warn(msg, fields);
  }

  /** The router ID for a peer: its routerID, an IPv4 sourceAddress, else the node's. */
  private routerIdOf(peer: BgpPeer, snapshot: ResourceSnapshot): string | undefined {
    if (peer.routerId !== undefined) return peer.routerId;
    if (peer.sourceAddress !== undefined && parseAddress(peer.sourceAddress).length === 4) return peer.sourceAddress;
    const node = snapshot.nodes.find((n) => n.meta.name === this.options.nodeName);
    const internal = node?.internalIPs.find((a) => parseAddress(a).length === 4);
    return internal ?? this.options.defaultRouterId;
  }

  /**
   * The connector for a peer: with its MD5 key and, for ebgpMultiHop, TTL 255 when the
   * deps can apply them; what cannot be applied is said once per peer and field.
   */
  private connectorFor(name: string, peer: BgpPeer): Connector {
    const say = (field: string, reason: string): void => this.warnOnce(`${name} ${field}`, 'peer option not applied', { peer: name, peerAddress: peer.peerAddress, field, reason });
    if (peer.passwordSecret !== undefined && peer.password === undefined) say('passwordSecret', 'Secrets are not read: give spec.password; the session runs without TCP MD5');
    const security: TcpSecurity = {
      ...(peer.password === undefined ? {} : { md5Key: peer.password }),
      // Multihop eBGP: the highest TTL, as FRR's ebgp-multihop (MetalLB's backend) sends.
      ...(peer.ebgpMultiHop ? { ttl: 255 } : {}),
    };
    if (security.md5Key === undefined && security.ttl === undefined) return this.deps.connect;
    if (this.deps.secureConnect !== undefined) return this.deps.secureConnect(security);
    if (security.md5Key !== undefined) say('password', 'TCP MD5 (RFC 2385) cannot be applied here: the session runs without it and a peer that requires it will refuse');
    if (security.ttl !== undefined) say('ebgpMultiHop', 'the TTL cannot be set here: connections use the system default TTL (64), which reaches most multihop peers');
    return this.deps.connect;
  }

  /** The BFD manager, built and listening from the first call on; undefined without `createBfd`. */
  private bfd(): SpeakerBfd | undefined {
    if (this.bfdManager !== undefined || this.deps.createBfd === undefined || this.isStopped) return this.bfdManager;
    const manager = this.deps.createBfd();
    this.bfdManager = manager;
    manager.start().catch((err: unknown) => {
      // Sessions still send; without the socket none comes Up, so none resets BGP.
      this.deps.logger.error('bfd cannot listen', { error: err as Error, hint: 'UDP port 3784 in use, or no permission' });
    });
    return manager;
  }

  /** The BFD timers for a peer from its profile; undefined (with a warning) when BFD cannot run. */
  private bfdFor(name: string, peer: BgpPeer, snapshot: ResourceSnapshot): BfdTimers | undefined {
    if (peer.bfdProfile === undefined) return undefined;
    const profile = snapshot.bfdProfiles.find((b) => b.meta.name === peer.bfdProfile);
    if (profile === undefined) {
      this.warnOnce(`${name} bfdProfile missing`, 'resource problem', { resource: `BGPPeer ${name}`, field: 'spec.bfdProfile', error: `no BFDProfile named "${peer.bfdProfile}": the session runs without BFD` });
      return undefined;
    }
    if (this.deps.createBfd === undefined) {
      this.warnOnce(`${name} bfdProfile`, 'peer option not applied', { peer: name, peerAddress: peer.peerAddress, field: 'bfdProfile', reason: 'BFD is not available here: failures are detected by the hold timer only' });
      return undefined;
    }
    if (profile.echoMode) this.warnOnce(`${name} echoMode`, 'peer option not applied', { peer: name, field: 'BFDProfile echoMode', reason: 'BFD echo is not implemented: asynchronous mode only' });
    return bfdTimersOf(profile);
  }

  /** The BFD state of a BGPPeer's session (by "ns/name"), undefined when it runs none. */
  bfdStateOf(peerKey: string): string | undefined {
    return this.sessions.get(peerKey)?.bfdState;
  }

  update(snapshot: ResourceSnapshot): void {
    if (this.isStopped) return;
    const result = desiredAnnouncements(snapshot, this.options.nodeName);
    for (const p of result.problems) this.warnOnce(`problem ${p.resource} ${p.field} ${p.message}`, 'resource problem', { resource: p.resource, field: p.field, error: p.message });
    if (result.withdrawReason !== this.withdrawnReason) {
      if (result.withdrawReason !== undefined) this.deps.logger.info('node withdrawn', { node: this.options.nodeName, reason: result.withdrawReason });
      else this.deps.logger.info('node eligible again', { node: this.options.nodeName });
      this.withdrawnReason = result.withdrawReason;
    }
    const wanted = new Map<string, { peer: BgpPeer; routerId: string; bfd: BfdTimers | undefined; routes: ReadonlyMap<string, DesiredRoute> }>();
    for (const [name, a] of result.peers) {
      const routerId = this.routerIdOf(a.peer, snapshot);
      if (routerId === undefined) {
        this.warnOnce(`${name} routerID`, 'peer skipped', { peer: name, field: 'spec.routerID', reason: `no router ID: give spec.routerID, an IPv4 spec.sourceAddress, or the Node's InternalIP (node ${this.options.nodeName})` });
        continue;
      }
      wanted.set(name, { peer: a.peer, routerId, bfd: this.bfdFor(name, a.peer, snapshot), routes: a.routes });
    }
    for (const [name, ps] of [...this.sessions]) {
      const w = wanted.get(name);
      if (w !== undefined && sessionIdentity(w.peer, w.routerId, w.bfd) === ps.identity) continue;
      this.sessions.delete(name);
      void ps.close(w === undefined ? 'peer no longer selects this node' : 'peer configuration changed');
    }
    for (const [name, w] of wanted) {
      let ps = this.sessions.get(name);
      if (ps === undefined) {
        const bfd = w.bfd === undefined ? undefined : { timers: w.bfd, manager: () => this.bfd() };
        ps = new PeerSession(name, w.peer, sessionIdentity(w.peer, w.routerId, w.bfd), w.routerId, this.origin, this.deps, this.options, this.connectorFor(name, w.peer), bfd);
        this.sessions.set(name, ps);
        ps.setDesired(w.routes);
        ps.session.start();
      } else {
        ps.setDesired(w.routes);
      }
    }
  }

  /** Withdraws, then closes every session with a Cease carrying `communication` (RFC 9003). */
  async stop(communication: string): Promise<void> {
    this.isStopped = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((ps) => ps.close(communication)));
    await this.bfdManager?.close();
  }
}
