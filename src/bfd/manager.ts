// BfdManager: the BFD sessions of one process (RFC 5880 asynchronous mode, single hop
// per RFC 5881), their demultiplexing (RFC 5880 6.3, 6.8.6) and the handles the daemon
// and the speaker watch. One receive socket pair on UDP 3784, one sender per session.

import type { Clock, Random } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { formatAddress, parseAddress } from '../lib/address.js';
import { BfdDiag, BfdPacketError, decodeBfdControl, encodeBfdControl, type BfdState } from './packet.js';
import { BfdSession, adminDownPackets, checkBfdTimers, slowTxUs, type BfdTimers } from './session.js';
import { UdpBfdTransport, type BfdDatagram, type BfdSender, type BfdTransport } from './transport.js';

export type { BfdTimers } from './session.js';
export type { BfdState } from './packet.js';

/** A BFD session as its user sees it. */
export interface BfdPeerHandle {
  readonly state: BfdState;
  /**
   * The peer's last reported state. When it went AdminDown our session is Down too,
   * but that is no path failure: RFC 5882 3.2 says not to act on it.
   */
  readonly remoteState: BfdState;
  /** Calls `fn` on every state change, with the name of the local diag code. */
  onState(fn: (state: BfdState, previous: BfdState, diag: string) => void): void;
  /** Takes the session AdminDown (the peer is told), then forgets it. */
  remove(): void;
}

export interface BfdManagerDeps {
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /** UDP (RFC 5881) unless a test gives another. */
  readonly transport?: BfdTransport;
}

export interface BfdPeer {
  readonly remoteAddress: string;
  /** Our address on the link; sent from and checked against when given. */
  readonly localAddress?: string;
  readonly timers: BfdTimers;
}

interface Entry {
  readonly remoteKey: string;
  readonly session: BfdSession;
  readonly sender: BfdSender;
  readonly peer: BfdPeer;
  isRemoved: boolean;
}

interface Retiring {
  readonly entry: Entry;
  cancel: () => void;
}

/** An address in one canonical text (IPv4-mapped IPv6 unmapped), for lookups. */
function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return formatAddress(parseAddress(mapped === null ? address : mapped[1]!));
}

/** Tries for an unused discriminator before concluding the random source is broken. */
const discriminatorAttempts = 64;

export class BfdManager {
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly logger: Logger;
  private readonly transport: BfdTransport;
  private readonly byDiscriminator = new Map<number, Entry>();
  private readonly byRemote = new Map<string, Entry>();
  /** Removed sessions still sending their AdminDown packets. */
  private readonly retiring = new Set<Retiring>();
  /** Peers already warned about authentication, so the warning is not repeated per packet. */
  private readonly authWarned = new Set<string>();
  private isClosed = false;

  constructor(deps: BfdManagerDeps) {
    this.clock = deps.clock;
    this.random = deps.random;
    this.logger = deps.logger;
    this.transport = deps.transport ?? new UdpBfdTransport({ random: deps.random });
  }

  /** Listens on UDP 3784 (RFC 5881 4), on every address unless one is given. */
  async start(options: { readonly listenAddress?: string } = {}): Promise<void> {
    await this.transport.listen(
      options,
      (d) => this.onDatagram(d),
      (err) => this.logger.error('bfd socket error', { error: err }),
    );
  }

  /** A session to `remoteAddress`, started at once. Throws if one exists for that address. */
  add(peer: BfdPeer): BfdPeerHandle {
    if (this.isClosed) throw new Error('BFD manager is closed');
    checkBfdTimers(peer.timers);
    const remoteKey = addressKey(peer.remoteAddress);
    if (this.byRemote.has(remoteKey)) throw new Error(`a BFD session to ${remoteKey} exists already`);
    const discriminator = this.newDiscriminator();
    const logPeer = remoteKey;
    const sender = this.transport.openSender(remoteKey, peer.localAddress, (err) => this.logger.debug('bfd send failed', { peer: logPeer, error: err }));
    const session = new BfdSession(discriminator, peer.timers, {
      clock: this.clock,
      random: this.random,
      send: (p) => sender.send(encodeBfdControl(p)),
    });
    const entry: Entry = { remoteKey, session, sender, peer, isRemoved: false };
    this.byDiscriminator.set(discriminator, entry);
    this.byRemote.set(remoteKey, entry);
    session.onState((to, from, diag) => this.logger.info('bfd state', { peer: logPeer, from, to, diag }));
    session.start();
    return {
      get state() {
        return session.state;
      },
      get remoteState() {
        return session.remoteState;
      },
      onState: (fn) => session.onState(fn),
      remove: () => this.remove(entry),
    };
  }

  /** Every session AdminDown (one packet each), then the sockets closed. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const entry of [...this.byDiscriminator.values()]) {
      entry.session.adminDown();
      this.retire(entry);
    }
    for (const r of [...this.retiring]) {
      r.cancel();
      this.finish(r);
    }
    await this.transport.close();
  }

  private remove(entry: Entry): void {
    if (entry.isRemoved) return;
    entry.session.adminDown(BfdDiag.administrativelyDown);
    if (this.isClosed) {
      this.retire(entry);
      return;
    }
    // The AdminDown packets go out at the slow rate (the session is no longer Up).
    const waitMs = (adminDownPackets * slowTxUs) / 1000;
    const r: Retiring = { entry, cancel: () => {} };
    r.cancel = this.clock.after(waitMs, () => this.finish(r));
    this.retire(entry);
    this.retiring.add(r);
  }

  /** Out of the demultiplexing tables (a new session to the address may start now). */
  private retire(entry: Entry): void {
    entry.isRemoved = true;
    if (this.byDiscriminator.get(entry.session.localDiscriminator) === entry) this.byDiscriminator.delete(entry.session.localDiscriminator);
    if (this.byRemote.get(entry.remoteKey) === entry) this.byRemote.delete(entry.remoteKey);
    if (this.isClosed) {
      entry.session.stop();
      entry.sender.close();
    }
  }

  private finish(r: Retiring): void {
    this.retiring.delete(r);
    r.entry.session.stop();
    r.entry.sender.close();
  }

  private newDiscriminator(): number {
    for (let i = 0; i < discriminatorAttempts; i++) {
      const d = 1 + Math.floor(this.random() * 0xfffffffe);
      if (!this.byDiscriminator.has(d) && ![...this.retiring].some((r) => r.entry.session.localDiscriminator === d)) return d;
    }
    throw new Error(`BFD: no unused discriminator after ${discriminatorAttempts} random draws`);
  }

  /** RFC 5880 6.8.6 up to the session's part: checks, then the session it belongs to. */
  private onDatagram(d: BfdDatagram): void {
    let remoteKey: string;
    try {
      remoteKey = addressKey(d.remoteAddress);
    } catch {
      this.logger.debug('bfd packet discarded', { peer: d.remoteAddress, reason: 'unreadable source address' });
      return;
    }
    let packet;
    try {
      packet = decodeBfdControl(d.bytes);
    } catch (err) {
      if (!(err instanceof BfdPacketError)) throw err;
      this.logger.debug('bfd packet discarded', { peer: remoteKey, reason: err.fault, detail: err.message });
      return;
    }
    if (packet.auth !== undefined) {
      // 6.8.6: the A bit set while we use no authentication: discard.
      if (!this.authWarned.has(remoteKey)) {
        this.authWarned.add(remoteKey);
        this.logger.warn('bfd packet discarded', { peer: remoteKey, reason: 'authentication', detail: `the peer uses ${packet.auth.type} authentication, which tsbgp does not implement` });
      }
      return;
    }
    // 6.8.6: a non-zero Your Discriminator selects the session; zero, the addresses do.
    const entry = packet.yourDiscriminator !== 0 ? this.byDiscriminator.get(packet.yourDiscriminator) : this.byRemote.get(remoteKey);
    if (entry === undefined) {
      if (this.logger.isDebug) this.logger.debug('bfd packet discarded', { peer: remoteKey, reason: 'no session', yourDiscriminator: packet.yourDiscriminator });
      return;
    }
    // Without a receive TTL check (transport.ts) the source address must be the peer's.
    if (entry.remoteKey !== remoteKey) {
      this.logger.debug('bfd packet discarded', { peer: remoteKey, reason: 'discriminator of another peer', session: entry.remoteKey });
      return;
    }
    entry.session.receive(packet);
  }
}
