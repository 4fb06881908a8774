// A scripted BGP speaker for RFC 7606 tests: OPEN/KEEPALIVE/NOTIFICATION through our
// codec, UPDATEs assembled byte by byte so any attribute can be made malformed on
// purpose (the codec rightly refuses to encode those). It records what it receives.

import { connect, type Socket } from 'node:net';
import { encodeMessage, decodeMessage } from '../../src/wire/message.js';
import { Framer } from '../../src/wire/framer.js';
import { beginMessage, endMessage, MessageType, maxMessageLength } from '../../src/wire/header.js';
import { Writer } from '../../src/wire/writer.js';
import { describeNotification, type NotificationMessage } from '../../src/wire/notification.js';
import { defaultContext } from '../../src/wire/context.js';
import { AttrFlag, AttrType, AsSegmentType } from '../../src/wire/attributes/types.js';
import { Afi, Safi, parseAddress, parsePrefix } from '../../src/lib/address.js';

/** AS_TRANS (RFC 6793 9), for a 4-octet AS in the 2-octet OPEN field. */
const asTrans = 23456;

export interface RawPeerOptions {
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly as: number;
  /** BGP Identifier, dotted quad. */
  readonly routerId: string;
  readonly holdTimeSec: number;
}

/** One message received, in order, with its arrival time. */
export interface ReceivedMessage {
  readonly type: number;
  readonly atMs: number;
  readonly bytes: Uint8Array;
}

// ---- Attribute and UPDATE builders (raw bytes) ----

/** One path attribute: flags, type, value; extended length when the value needs it. */
export function attribute(flags: number, type: number, value: Uint8Array): Uint8Array {
  const isExtended = value.length > 255 || (flags & AttrFlag.extendedLength) !== 0;
  const w = new Writer(4 + value.length);
  w.u8(isExtended ? flags | AttrFlag.extendedLength : flags).u8(type);
  if (isExtended) w.u16(value.length);
  else w.u8(value.length);
  return w.bytes(value).finish();
}

export function originAttribute(value: number): Uint8Array {
  return attribute(AttrFlag.transitive, AttrType.origin, Uint8Array.of(value));
}

/** AS_PATH of one AS_SEQUENCE, 4- or 2-octet numbers. */
export function asPathAttribute(asns: readonly number[], isAs4: boolean): Uint8Array {
  const w = new Writer();
  w.u8(AsSegmentType.sequence).u8(asns.length);
  for (const asn of asns) {
    if (isAs4) w.u32(asn);
    else w.u16(asn > 0xffff ? asTrans : asn);
  }
  return attribute(AttrFlag.transitive, AttrType.asPath, w.finish());
}

export function nextHopAttribute(address: string): Uint8Array {
  return attribute(AttrFlag.transitive, AttrType.nextHop, parseAddress(address));
}

/** NLRI encoding (RFC 4271 4.3): length in bits, then the significant octets. */
export function nlri(prefixes: readonly string[]): Uint8Array {
  const w = new Writer();
  for (const text of prefixes) {
    const p = parsePrefix(text);
    w.u8(p.length).bytes(p.addr.subarray(0, Math.ceil(p.length / 8)));
  }
  return w.finish();
}

/** MP_REACH_NLRI for IPv6 unicast with a global next hop (RFC 4760 3, RFC 2545 3). */
export function mpReachIpv6Attribute(nextHop: string, prefixes: readonly string[]): Uint8Array {
  const nh = parseAddress(nextHop);
  const w = new Writer();
  w.u16(Afi.ipv6).u8(Safi.unicast).u8(nh.length).bytes(nh).u8(0).bytes(nlri(prefixes));
  return attribute(AttrFlag.optional, AttrType.mpReach, w.finish());
}

/** MP_UNREACH_NLRI for IPv6 unicast. */
export function mpUnreachIpv6Attribute(prefixes: readonly string[]): Uint8Array {
  const w = new Writer();
  w.u16(Afi.ipv6).u8(Safi.unicast).bytes(nlri(prefixes));
  return attribute(AttrFlag.optional, AttrType.mpUnreach, w.finish());
}

/** An UPDATE from raw parts: withdrawn routes, attributes (already encoded), NLRI. */
export function updateMessage(parts: { readonly withdrawn?: Uint8Array; readonly attributes?: readonly Uint8Array[]; readonly nlri?: Uint8Array }): Uint8Array {
  const w = beginMessage(MessageType.update);
  const withdrawn = parts.withdrawn ?? new Uint8Array(0);
  w.u16(withdrawn.length).bytes(withdrawn);
  const attrs = parts.attributes ?? [];
  w.u16(attrs.reduce((n, a) => n + a.length, 0));
  for (const a of attrs) w.bytes(a);
  w.bytes(parts.nlri ?? new Uint8Array(0));
  return endMessage(w, maxMessageLength);
}

// ---- The speaker ----

/**
 * One BGP session driven by the test: connects, exchanges OPEN and KEEPALIVE, then
 * sends what it is told and keeps its keepalives going. Everything received is kept.
 */
export class RawPeer {
  readonly options: RawPeerOptions;
  readonly received: ReceivedMessage[] = [];
  private readonly socket: Socket;
  private readonly framer = new Framer(maxMessageLength);
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private closeReason = '';
  private peerIsAs4 = false;
  private openSeen = false;

  private constructor(options: RawPeerOptions, socket: Socket) {
    this.options = options;
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.markClosed('connection closed'));
    socket.on('error', (err) => this.markClosed(`socket error: ${err.message}`));
  }

  /** Connects from `localAddress` and runs the OPEN exchange; resolves once Established. */
  static async connect(options: RawPeerOptions, timeoutMs = 10_000): Promise<RawPeer> {
    const socket = connect({ host: options.remoteAddress, port: options.remotePort, localAddress: options.localAddress });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const peer = new RawPeer(options, socket);
    peer.send(peer.openBytes());
    const started = Date.now();
    // Established once the peer's OPEN and a KEEPALIVE after it have arrived (RFC 4271 8.2.2).
    while (!peer.openSeen || !peer.received.some((m) => m.type === MessageType.keepalive)) {
      if (peer.closed) throw new Error(`raw peer: session closed during OPEN exchange: ${peer.closeReason}${peer.describeNotification()}`);
      if (Date.now() - started > timeoutMs) {
        peer.destroy();
        throw new Error(`raw peer: no OPEN/KEEPALIVE from ${options.remoteAddress}:${options.remotePort} within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const intervalMs = Math.max(1000, Math.floor((options.holdTimeSec * 1000) / 3));
    peer.keepaliveTimer = setInterval(() => peer.send(encodeMessage({ type: 'keepalive' }, defaultContext)), intervalMs);
    return peer;
  }

  private openBytes(): Uint8Array {
    const { as, holdTimeSec, routerId } = this.options;
    return encodeMessage(
      {
        type: 'open',
        version: 4,
        myAs: as > 0xffff ? asTrans : as,
        holdTime: holdTimeSec,
        bgpId: parseAddress(routerId),
        capabilities: [
          { kind: 'multiprotocol', afi: Afi.ipv4, safi: Safi.unicast },
          { kind: 'multiprotocol', afi: Afi.ipv6, safi: Safi.unicast },
          { kind: 'route-refresh' },
          { kind: 'four-octet-as', asn: as },
        ],
      },
      defaultContext,
    );
  }

  private onData(chunk: Buffer): void {
    let messages: Uint8Array[];
    try {
      messages = this.framer.push(chunk);
    } catch (err) {
      this.markClosed(`bad framing from the peer: ${err instanceof Error ? err.message : String(err)}`);
      this.socket.destroy();
      return;
    }
    for (const bytes of messages) {
      const type = bytes[18]!;
      this.received.push({ type, atMs: Date.now(), bytes });
      if (type === MessageType.open) {
        const open = decodeMessage(bytes, defaultContext);
        if (open.type === 'open') {
          this.openSeen = true;
          this.peerIsAs4 = open.capabilities.some((c) => c.kind === 'four-octet-as');
          this.send(encodeMessage({ type: 'keepalive' }, defaultContext));
        }
      }
    }
  }

  private markClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    if (this.keepaliveTimer !== undefined) clearInterval(this.keepaliveTimer);
  }

  /** Four-octet AS numbers negotiated (both OPENs carried the capability). */
  get isAs4(): boolean {
    return this.peerIsAs4;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Messages of `type` received at or after `sinceMs`. */
  count(type: number, sinceMs = 0): number {
    return this.received.filter((m) => m.type === type && m.atMs >= sinceMs).length;
  }

  /** The NOTIFICATIONs received, decoded. */
  notifications(): NotificationMessage[] {
    const out: NotificationMessage[] = [];
    for (const m of this.received) {
      if (m.type !== MessageType.notification) continue;
      const msg = decodeMessage(m.bytes, defaultContext);
      if (msg.type === 'notification') out.push(msg);
    }
    return out;
  }

  private describeNotification(): string {
    const n = this.notifications();
    return n.length === 0 ? '' : `; NOTIFICATION ${n.map(describeNotification).join(', ')}`;
  }

  /** Announces IPv4 prefixes (NEXT_HOP) with AS path [own AS]. */
  announceIpv4(prefixes: readonly string[], nextHop: string, extra: readonly Uint8Array[] = []): void {
    this.send(updateMessage({ attributes: [originAttribute(0), asPathAttribute([this.options.as], this.isAs4), nextHopAttribute(nextHop), ...extra], nlri: nlri(prefixes) }));
  }

  /** Announces IPv6 prefixes (MP_REACH_NLRI) with AS path [own AS]. */
  announceIpv6(prefixes: readonly string[], nextHop: string): void {
    this.send(updateMessage({ attributes: [originAttribute(0), asPathAttribute([this.options.as], this.isAs4), mpReachIpv6Attribute(nextHop, prefixes)] }));
  }

  /** Stops sending KEEPALIVEs and stops reading: a peer that hangs with its connection open. */
  goSilent(): void {
    if (this.keepaliveTimer !== undefined) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    this.socket.pause();
  }

  /** Closes the TCP connection without a NOTIFICATION. */
  destroy(): void {
    this.markClosed('closed by the test');
    this.socket.destroy();
  }
}
