// tsbgpd's BFD (RFC 5880/5881 through src/bfd, RFC 5882 for its use by BGP): a BFD
// session to each neighbor with `bfd.config.enabled` while its BGP session is
// Established; when BFD goes from Up to Down the BGP session is reset at once with
// Cease / BFD Down (RFC 9384), so its routes leave the RIB and the FIB.

import { systemClock, type Clock, type Random } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { BfdManager, type BfdPeerHandle } from '../bfd/manager.js';
import { CeaseSubcode } from '../wire/errors.js';
import type { DaemonConfig, NeighborConfig } from './config.js';
import { normalizeRemoteAddress, type PeerStateListener, type PeerView } from './daemon.js';

/** What the wiring needs of the daemon. */
export interface BfdHost {
  onPeerState(fn: PeerStateListener): () => void;
  peerView(address: string): PeerView | undefined;
  stopPeer(address: string, communication: string, subcode: number, isAdminDown: boolean): Promise<void> | undefined;
  startPeer(address: string): boolean;
  readonly currentConfig: DaemonConfig;
}

/** What the wiring uses of a BfdManager; tests give a fake. */
export type BfdManagerLike = Pick<BfdManager, 'start' | 'add' | 'close'>;

export interface BfdWiringOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly random?: Random;
  /** Builds the manager; the real one (UDP 3784) by default. */
  readonly createManager?: (deps: { readonly clock: Clock; readonly random: Random; readonly logger: Logger }) => BfdManagerLike;
}

/** The address BFD listens on: the one BGP address if the configuration names one, else all. */
function listenAddressOf(config: DaemonConfig): string | undefined {
  const list = config.global.localAddressList.filter((a) => a !== '0.0.0.0' && a !== '::');
  return list.length === 1 && config.global.localAddressList.length === 1 ? list[0] : undefined;
}

export class BfdWiring {
  private readonly host: BfdHost;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly createManager: NonNullable<BfdWiringOptions['createManager']>;
  private manager: BfdManagerLike | undefined;
  private starting: Promise<void> | undefined;
  /** BFD sessions by BGP neighbor address. */
  private readonly sessions = new Map<string, BfdPeerHandle>();
  private unsubscribe: (() => void) | undefined;
  private isStopped = false;

  constructor(host: BfdHost, options: BfdWiringOptions) {
    this.host = host;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.createManager = options.createManager ?? ((deps) => new BfdManager(deps));
  }

  /** Watches the sessions; the UDP socket opens only when a first BFD session is needed. */
  start(): void {
    this.unsubscribe = this.host.onPeerState((peer, state, previous) => {
      if (state === 'Established') this.onEstablished(peer);
      else if (previous === 'Established') this.drop(peer.config.address);
    });
  }

  /** Every BFD session AdminDown (the peers are told), then the socket closed. */
  async stop(): Promise<void> {
    this.isStopped = true;
    this.unsubscribe?.();
    this.sessions.clear();
    await this.starting?.catch(() => undefined);
    await this.manager?.close();
  }

  private onEstablished(peer: PeerView): void {
    const n: NeighborConfig = peer.config;
    if (n.bfd === undefined || this.isStopped) return;
    const address = n.address;
    this.drop(address);
    const manager = this.ensureManager();
    if (manager === undefined) return;
    const localAddress = n.localAddress ?? normalizeRemoteAddress(peer.session.localAddress);
    let handle: BfdPeerHandle;
    try {
      handle = manager.add({
        remoteAddress: address,
        ...(localAddress === undefined ? {} : { localAddress }),
        timers: { desiredMinTxMs: n.bfd.desiredMinTxMs, requiredMinRxMs: n.bfd.requiredMinRxMs, detectMultiplier: n.bfd.detectMultiplier },
      });
    } catch (err) {
      this.logger.error('bfd session not started', { peer: address, error: err as Error });
      return;
    }
    this.sessions.set(address, handle);
    handle.onState((state, previous, diag) => {
      if (previous !== 'Up' || state !== 'Down' || this.sessions.get(address) !== handle) return;
      // RFC 5882 3.2: the peer taking BFD AdminDown says nothing about the path.
      if (handle.remoteState === 'AdminDown') return;
      this.resetPeer(address, diag);
    });
  }

  /** RFC 5882 4.3 / RFC 9384: BFD Down ends the BGP session now, not at hold time. */
  private resetPeer(address: string, diag: string): void {
    this.logger.info('bfd down, resetting session', { peer: address, diag });
    this.drop(address);
    const stopped = this.host.stopPeer(address, 'BFD down', CeaseSubcode.bfdDown, false);
    // A configured neighbor connects again (its BFD session starts with the next
    // Established); a dynamic one is gone and waits for the peer to reconnect.
    void stopped?.then(() => {
      const view = this.host.peerView(address);
      if (!this.isStopped && view !== undefined && !view.isAdminDown && view.session.state === 'Idle') this.host.startPeer(address);
    });
  }

  private drop(address: string): void {
    const handle = this.sessions.get(address);
    if (handle === undefined) return;
    this.sessions.delete(address);
    handle.remove();
  }

  private ensureManager(): BfdManagerLike | undefined {
    if (this.manager !== undefined) return this.manager;
    const manager = this.createManager({ clock: this.clock, random: this.random, logger: this.logger });
    this.manager = manager;
    const listenAddress = listenAddressOf(this.host.currentConfig);
    this.starting = manager.start(listenAddress === undefined ? {} : { listenAddress }).catch((err: unknown) => {
      // Sessions still send; without the socket none can come Up, so none resets BGP.
      this.logger.error('bfd cannot listen', { error: err as Error, hint: 'UDP port 3784 in use, or no permission' });
    });
    return manager;
  }
}
