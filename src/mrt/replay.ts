// Replaying an MRT file into a router: a small BGP speaker on the codec (RFC 4271 8: OPEN,
// KEEPALIVE, UPDATE; RFC 4760 and RFC 6793 capabilities) that announces one peer's routes
// of a TABLE_DUMP_V2 dump, or plays the UPDATEs of a BGP4MP dump, at full speed or at the
// pace of the record timestamps. Socket back-pressure bounds what is held in memory.

import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { Afi, bytesEqual, parseAddress } from '../lib/address.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { as4Context, type CodecContext } from '../wire/context.js';
import { Framer } from '../wire/framer.js';
import { decodeMessage, encodeMessage } from '../wire/message.js';
import { encodeOpen } from '../wire/open.js';
import { encodeKeepalive } from '../wire/keepalive.js';
import { encodeNotification } from '../wire/notification.js';
import { encodeUpdate, endOfRib, packUpdates } from '../wire/update.js';
import { maxMessageLength } from '../wire/header.js';
import { NlriList } from '../wire/nlri.js';
import { CeaseSubcode, NotifyCode } from '../wire/errors.js';
import { AsSegmentType, asTrans, type PathAttributes } from '../wire/attributes/types.js';
import { readMrtFile } from './reader.js';
import { MrtError, type MrtFault, type MrtPeer, type RibEntry } from './types.js';

/** What to replay where. */
export interface ReplayOptions {
  readonly file: string;
  readonly address: string;
  readonly port: number;
  /** The address to connect from (the router may know us by it). */
  readonly localAddress?: string;
  /** Our AS; the dumped peer's by default (RIB dumps), else the record's peer AS. */
  readonly localAs?: number;
  /** The router's AS; ours by default (iBGP). */
  readonly peerAs?: number;
  /** Which peer of the PEER_INDEX_TABLE (RIB dumps) or which peer address in order of appearance (update dumps). */
  readonly peerIndex: number;
  /** Sleep between records as their timestamps did. */
  readonly isRealtime: boolean;
  readonly log: (line: string) => void;
  readonly clock?: Clock;
  /** Keeps the session until this resolves (the routes stay announced); closes at once when absent. */
  readonly holdUntil?: Promise<void>;
  readonly onInterrupt?: (handler: () => void) => () => void;
}

export interface ReplaySummary {
  readonly routes: number;
  readonly updates: number;
  readonly elapsedMs: number;
  readonly faults: readonly MrtFault[];
}

const holdTimeSec = 90;
const ipv4Unicast = { afi: Afi.ipv4, safi: 1 };
const ipv6Unicast = { afi: Afi.ipv6, safi: 1 };
/** Announcements gathered per UPDATE run while their attributes stay the same. */
const maxGroup = 1000;

/** A connected BGP session (Established after `open`), sending with back-pressure. */
class ReplaySession {
  private readonly framer = new Framer(maxMessageLength);
  private keepaliveCancel: (() => void) | undefined;
  private failure: Error | undefined;
  private readonly closed: Promise<void>;
  updates = 0;

  constructor(
    private readonly socket: Socket,
    private readonly clock: Clock,
  ) {
    this.closed = once(socket, 'close').then(() => undefined);
    socket.on('error', (e) => {
      this.failure ??= e;
    });
  }

  /** Sends OPEN, waits for the router's OPEN and KEEPALIVE (RFC 4271 8.2.2). */
  async open(localAs: number, bgpId: Uint8Array): Promise<void> {
    this.socket.write(
      encodeOpen(
        {
          type: 'open',
          version: 4,
          myAs: localAs > 0xffff ? asTrans : localAs,
          holdTime: holdTimeSec,
          bgpId,
          capabilities: [
            { kind: 'multiprotocol', ...ipv4Unicast },
            { kind: 'multiprotocol', ...ipv6Unicast },
            { kind: 'route-refresh' },
            { kind: 'four-octet-as', asn: localAs },
          ],
        },
        as4Context,
      ),
    );
    let isOpenSeen = false;
    for (;;) {
      const [chunk] = (await Promise.race([once(this.socket, 'data'), this.closed.then(() => [undefined])])) as [Buffer | undefined];
      if (chunk === undefined) throw new MrtError(`the router closed the connection before the session came up${this.failure === undefined ? '' : `: ${this.failure.message}`}`);
      for (const bytes of this.framer.push(chunk)) {
        const msg = decodeMessage(bytes, as4Context);
        if (msg.type === 'notification') throw new MrtError(`the router sent a NOTIFICATION ${msg.code}/${msg.subcode}`);
        if (msg.type === 'open') {
          isOpenSeen = true;
          this.socket.write(encodeKeepalive());
        } else if (msg.type === 'keepalive' && isOpenSeen) {
          this.socket.on('data', (more: Buffer) => this.receive(more));
          this.scheduleKeepalive();
          return;
        }
      }
    }
  }

  private receive(chunk: Buffer): void {
    try {
      for (const bytes of this.framer.push(chunk)) {
        const msg = decodeMessage(bytes, as4Context);
        if (msg.type === 'notification') {
          this.failure ??= new MrtError(`the router sent a NOTIFICATION ${msg.code}/${msg.subcode}`);
          this.socket.destroy();
        }
      }
    } catch (e) {
      this.failure ??= e instanceof Error ? e : new Error(String(e));
      this.socket.destroy();
    }
  }

  private scheduleKeepalive(): void {
    this.keepaliveCancel = this.clock.after((holdTimeSec / 3) * 1000, () => {
      if (!this.socket.destroyed) this.socket.write(encodeKeepalive());
      this.scheduleKeepalive();
    });
  }

  /** Sends one message; waits while the socket's buffer is full. */
  async send(bytes: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.socket.destroyed) throw new MrtError('the router closed the session');
    this.updates++;
    if (!this.socket.write(bytes)) await Promise.race([once(this.socket, 'drain'), this.closed]);
  }

  /** Cease / Administrative Shutdown (RFC 4486), then close. */
  async close(): Promise<void> {
    this.keepaliveCancel?.();
    if (!this.socket.destroyed) {
      this.socket.end(encodeNotification({ type: 'notification', code: NotifyCode.cease, subcode: CeaseSubcode.administrativeShutdown, data: new Uint8Array(0) }));
      await Promise.race([this.closed, new Promise<void>((resolve) => this.clock.after(2000, resolve))]);
      this.socket.destroy();
    }
  }

  get whenClosed(): Promise<void> {
    return this.closed;
  }
}

/** eBGP: our AS goes first in the AS_PATH (RFC 4271 5.1.2); iBGP keeps LOCAL_PREF. */
function forPeer(a: PathAttributes, localAs: number, isEbgp: boolean, nextHop4: Uint8Array): PathAttributes {
  let out: PathAttributes = a.nextHop === undefined && a.mpReach === undefined ? { ...a, nextHop: nextHop4 } : a;
  if (!isEbgp) return out.localPref === undefined ? { ...out, localPref: 100 } : out;
  const path = out.asPath ?? [];
  const first = path[0];
  const asPath = first !== undefined && first.type === AsSegmentType.sequence ? [{ type: first.type, asns: [localAs, ...first.asns] }, ...path.slice(1)] : [{ type: AsSegmentType.sequence, asns: [localAs] }, ...path];
  const { localPref: _dropped, ...rest } = out;
  out = { ...rest, asPath };
  return out;
}

/**
 * Connects, replays, sends End-of-RIB for IPv4 and IPv6 unicast (RFC 4724 2), then
 * holds the session until `holdUntil` (or the router closes) and ends it with a Cease.
 */
export async function replayMrt(o: ReplayOptions): Promise<ReplaySummary> {
  const clock = o.clock ?? systemClock;
  const started = clock.now();
  const faults: MrtFault[] = [];
  const ctx: CodecContext = as4Context;
  const records = readMrtFile(o.file);
  let session: ReplaySession | undefined;
  let localAs = o.localAs;
  let peers: readonly MrtPeer[] | undefined;
  let routes = 0;
  let lastTimestamp: number | undefined;
  let nextHop4: Uint8Array = new Uint8Array(4);
  const peerAddresses: Uint8Array[] = [];
  // Announcements waiting to go out together: same family and attribute bytes.
  let group: { key: Uint8Array; afi: number; attributes: PathAttributes; prefixes: { afi: Afi; length: number; addr: Uint8Array }[] } | undefined;

  const start = async (asn: number): Promise<ReplaySession> => {
    const socket = connect(o.localAddress === undefined ? { host: o.address, port: o.port } : { host: o.address, port: o.port, localAddress: o.localAddress });
    await Promise.race([once(socket, 'connect'), once(socket, 'error').then(([e]) => Promise.reject(new MrtError(`cannot connect to ${o.address} port ${o.port}: ${(e as Error).message}`)))]);
    const local = socket.localAddress ?? '0.0.0.0';
    const localBytes = parseAddress(local.startsWith('::ffff:') ? local.slice(7) : local);
    if (localBytes.length === 4) nextHop4 = localBytes;
    const s = new ReplaySession(socket, clock);
    await s.open(asn, localBytes.length === 4 ? localBytes : Uint8Array.of(10, 0, 0, 1));
    o.log(`session up with ${o.address} port ${o.port} as AS ${asn}`);
    return s;
  };
  const isEbgp = (): boolean => (o.peerAs ?? localAs) !== localAs;

  const flush = async (): Promise<void> => {
    const g = group;
    group = undefined;
    if (g === undefined || session === undefined) return;
    const attrs = forPeer(g.attributes, localAs!, isEbgp(), nextHop4);
    const list = NlriList.from(g.prefixes, g.afi === Afi.ipv4 ? Afi.ipv4 : Afi.ipv6);
    const withMp: PathAttributes = g.afi === Afi.ipv6 ? { ...attrs, mpReach: { afi: Afi.ipv6, safi: 1, nextHop: attrs.mpReach!.nextHop, nlri: list } } : attrs;
    for (const u of packUpdates(withMp, list, ctx)) await session.send(encodeUpdate(u, ctx));
  };

  const pace = async (timestamp: number): Promise<void> => {
    if (!o.isRealtime) return;
    if (lastTimestamp !== undefined && timestamp > lastTimestamp) {
      const waitMs = (timestamp - lastTimestamp) * 1000;
      await new Promise<void>((resolve) => clock.after(waitMs, resolve));
    }
    lastTimestamp = timestamp;
  };

  const announce = async (afi: number, prefix: { afi: Afi; length: number; addr: Uint8Array }, e: RibEntry): Promise<void> => {
    let attributes = e.attributes;
    if (afi === Afi.ipv6) {
      const hop = e.mpNextHop;
      if (hop === undefined || hop.nextHop.length !== 16) return;
      attributes = { ...attributes, mpReach: { afi: Afi.ipv6, safi: 1, nextHop: hop.nextHop, nlri: NlriList.empty(Afi.ipv6) } };
    }
    const key = afi === Afi.ipv6 ? concat(e.attributeBytes, e.mpNextHop!.nextHop) : e.attributeBytes;
    if (group !== undefined && (group.afi !== afi || !bytesEqual(group.key, key) || group.prefixes.length >= maxGroup)) await flush();
    group ??= { key: new Uint8Array(key), afi, attributes, prefixes: [] };
    group.prefixes.push(prefix);
    routes++;
  };

  try {
    for await (const item of records) {
      if (item.kind === 'fault') {
        faults.push(item);
        continue;
      }
      if (item.kind === 'peer-index-table') {
        peers = item.peers;
        const chosen = peers[o.peerIndex];
        if (chosen === undefined) throw new MrtError(`--peer ${o.peerIndex}: the PEER_INDEX_TABLE has ${peers.length} peers`);
        localAs ??= chosen.asn;
        session ??= await start(localAs);
        continue;
      }
      if (item.kind === 'rib') {
        if (peers === undefined || session === undefined || item.safi !== 1) continue;
        for (const e of item.entries) if (e.peerIndex === o.peerIndex) await announce(item.afi, item.prefix, e);
        continue;
      }
      if (item.kind === 'message' && item.message.type === 'update' && !item.isLocal) {
        const from = item.peering.peerAddress;
        let index = peerAddresses.findIndex((a) => bytesEqual(a, from));
        if (index < 0) index = peerAddresses.push(new Uint8Array(from)) - 1;
        if (index !== o.peerIndex) continue;
        localAs ??= item.peering.peerAs;
        session ??= await start(localAs);
        await pace(item.header.timestamp);
        const u = item.message;
        const a = forPeer(u.attributes, localAs, isEbgp(), nextHop4);
        routes += u.nlri.count + (u.attributes.mpReach?.nlri.count ?? 0) + u.withdrawn.count + (u.attributes.mpUnreach?.withdrawn.count ?? 0);
        await session.send(encodeMessage({ ...u, attributes: u.nlri.count > 0 || u.attributes.mpReach !== undefined ? a : u.attributes }, ctx));
      }
    }
    await flush();
    if (session === undefined) throw new MrtError(`${o.file}: nothing to replay (no PEER_INDEX_TABLE, and no UPDATE from peer ${o.peerIndex})`);
    await session.send(encodeUpdate(endOfRib(Afi.ipv4, 1), ctx));
    await session.send(encodeUpdate(endOfRib(Afi.ipv6, 1), ctx));
    const elapsedMs = Math.round(clock.now() - started);
    o.log(`replayed ${routes} routes in ${session.updates} UPDATEs in ${elapsedMs} ms`);
    if (o.holdUntil !== undefined || o.onInterrupt !== undefined) {
      let remove: (() => void) | undefined;
      const interrupted = o.onInterrupt === undefined ? undefined : new Promise<void>((resolve) => (remove = o.onInterrupt!(resolve)));
      await Promise.race([session.whenClosed, ...(o.holdUntil === undefined ? [] : [o.holdUntil]), ...(interrupted === undefined ? [] : [interrupted])]);
      remove?.();
    }
    return { routes, updates: session.updates, elapsedMs, faults };
  } finally {
    await session?.close();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
