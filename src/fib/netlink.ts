// The netlink framing (RFC 3549 section 2.3, Linux include/uapi/linux/netlink.h): the
// message header, attributes (TLVs aligned to 4 bytes), the flag and type tables, and
// the decoding of NLMSG_ERROR acknowledgements with their extended-ACK text. Netlink is
// in host byte order, so this folder has its own cursor pair instead of wire/reader.ts.

import { constants as osConstants, endianness } from 'node:os';

/** Netlink control message types (netlink.h). */
export const NlmsgType = { noop: 1, error: 2, done: 3, overrun: 4 } as const;

/** rtnetlink message types (rtnetlink.h) used by the FIB. */
export const RtmType = {
  newLink: 16,
  delLink: 17,
  getLink: 18,
  newAddr: 20,
  delAddr: 21,
  getAddr: 22,
  newRoute: 24,
  delRoute: 25,
  getRoute: 26,
} as const;

/** nlmsg_flags bits; the values past 0x80 mean different things per request kind. */
export const NlmFlag = {
  request: 0x1,
  multi: 0x2,
  ack: 0x4,
  echo: 0x8,
  dumpInterrupted: 0x10,
  // GET requests
  root: 0x100,
  match: 0x200,
  dump: 0x300,
  // NEW requests
  replace: 0x100,
  exclusive: 0x200,
  create: 0x400,
  append: 0x800,
  // NLMSG_ERROR replies
  capped: 0x100,
  ackTlvs: 0x200,
} as const;

/** Attribute flag bits carried in nla_type. */
export const NlaFlag = { nested: 0x8000, netByteOrder: 0x4000, typeMask: 0x3fff } as const;

/** Extended-ACK attributes of an NLMSG_ERROR (NLMSGERR_ATTR_*). */
export const NlmsgErrAttr = { msg: 1, offset: 2, cookie: 3 } as const;

/** rtnetlink multicast groups (RTNLGRP_*), joined with NETLINK_ADD_MEMBERSHIP. */
export const RtnlGroup = { link: 1, ipv4Ifaddr: 5, ipv4Route: 7, ipv6Ifaddr: 9, ipv6Route: 11 } as const;

/** Protocol number of NETLINK_ROUTE for socket(AF_NETLINK, SOCK_RAW, protocol). */
export const NETLINK_ROUTE = 0;

/** Linux address families in rtnetlink messages. */
export const AddressFamily = { unspec: 0, inet: 2, inet6: 10 } as const;

export const NLMSG_HDRLEN = 16;
const NLA_HDRLEN = 4;

const isLittleEndian = endianness() === 'LE';

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(osConstants.errno)) if (!errnoNames.has(value)) errnoNames.set(value, name);

/** The symbolic name of a Linux errno (e.g. 22 -> "EINVAL"). */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

/** Rounds up to netlink's 4-byte alignment. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** The kernel sent bytes this codec cannot take apart. */
export class NetlinkError extends Error {
  override readonly name = 'NetlinkError';
}

/** Reads host-order fields with bounds checks: the only offset handling for received netlink bytes. */
export class NlReader {
  private readonly view: DataView;
  private pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    // A negative count (a length field below its header, or past 2^31 through align4) would move backwards.
    if (n < 0 || n > this.end - this.pos) throw new NetlinkError(`${what} needs ${n} bytes, ${this.end - this.pos} left`);
  }

  u8(what = 'field'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what = 'field'): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, isLittleEndian);
    this.pos += 2;
    return v;
  }

  u32(what = 'field'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, isLittleEndian);
    this.pos += 4;
    return v;
  }

  i32(what = 'field'): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, isLittleEndian);
    this.pos += 4;
    return v;
  }

  /** A copy of the next `n` bytes (kept after the datagram buffer is gone). */
  copy(n: number, what = 'field'): Uint8Array {
    this.need(n, what);
    // Always a plain Uint8Array that owns its bytes (Buffer#slice would share them).
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  /**
   * A reader over the next `n` bytes; this one moves past them and past `padding` more
   * bytes (alignment padding after a TLV, counted from the TLV's start; at most what is left).
   */
  take(n: number, what = 'field', padding = align4(n) - n): NlReader {
    this.need(n, what);
    const sub = new NlReader(this.buf, this.pos, this.pos + n);
    this.pos = Math.min(this.end, this.pos + n + padding);
    return sub;
  }

  skipBytes(n: number, what = 'field'): void {
    this.need(n, what);
    this.pos += n;
  }

  /** The remaining bytes as text up to the first NUL. */
  cString(): string {
    let stop = this.pos;
    while (stop < this.end && this.buf[stop] !== 0) stop++;
    const text = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, stop - this.pos).toString('utf8');
    this.pos = this.end;
    return text;
  }

  /**
   * Walks the attributes (struct nlattr) that fill the rest of this reader, calling
   * `fn(type, payload)` with the flag bits stripped from the type.
   */
  attributes(fn: (type: number, payload: NlReader) => void): void {
    while (this.remaining >= NLA_HDRLEN) {
      const len = this.u16('nla_len');
      const type = this.u16('nla_type') & NlaFlag.typeMask;
      if (len < NLA_HDRLEN) throw new NetlinkError(`attribute ${type} has length ${len}`);
      fn(type, this.take(len - NLA_HDRLEN, `attribute ${type}`));
    }
  }
}

/** Builds netlink datagrams in host order into one growing buffer, so a batch of messages goes out in one sendmsg. */
export class NlWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialSize = 65536) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  private grow(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.grow(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.grow(2);
    this.view.setUint16(this.pos, v, isLittleEndian);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.grow(4);
    this.view.setUint32(this.pos, v >>> 0, isLittleEndian);
    this.pos += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Zero bytes up to the next 4-byte boundary. */
  pad(): this {
    const target = align4(this.pos);
    this.grow(target - this.pos);
    while (this.pos < target) this.buf[this.pos++] = 0;
    return this;
  }

  /** Starts a message: writes an nlmsghdr with its length to be filled by `endMessage`. */
  beginMessage(type: number, flags: number, seq: number, portId = 0): number {
    const at = this.pos;
    this.u32(0).u16(type).u16(flags).u32(seq).u32(portId);
    return at;
  }

  endMessage(at: number): void {
    this.pad();
    this.view.setUint32(at, this.pos - at, isLittleEndian);
  }

  /** ORs `flags` into the nlmsg_flags of the message begun at `at`. */
  addFlags(at: number, flags: number): void {
    this.view.setUint16(at + 6, this.view.getUint16(at + 6, isLittleEndian) | flags, isLittleEndian);
  }

  /** Starts an attribute (or a nested one); `endAttr` fills its length. */
  beginAttr(type: number): number {
    const at = this.pos;
    this.u16(0).u16(type);
    return at;
  }

  endAttr(at: number): void {
    this.view.setUint16(at, this.pos - at, isLittleEndian);
    this.pad();
  }

  /** Starts an rtnexthop entry inside RTA_MULTIPATH (its length is u16 like an attribute's). */
  beginRaw(): number {
    return this.pos;
  }

  endRaw(at: number): void {
    this.view.setUint16(at, this.pos - at, isLittleEndian);
    this.pad();
  }

  attrBytes(type: number, value: Uint8Array): this {
    const at = this.beginAttr(type);
    this.bytes(value);
    this.endAttr(at);
    return this;
  }

  attrU32(type: number, value: number): this {
    this.u16(8).u16(type).u32(value);
    return this;
  }

  /** The bytes written so far, as a view (valid until the next write or `reset`). */
  view8(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }
}

/** One received netlink message: header fields and a reader over its payload. */
export interface NlMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly portId: number;
  readonly body: NlReader;
}

/** Splits a received datagram into its messages. */
export function splitMessages(datagram: Uint8Array): NlMessage[] {
  const out: NlMessage[] = [];
  const r = new NlReader(datagram);
  while (r.remaining >= NLMSG_HDRLEN) {
    const len = r.u32('nlmsg_len');
    if (len < NLMSG_HDRLEN) throw new NetlinkError(`message length ${len} is shorter than its header`);
    const type = r.u16('nlmsg_type');
    const flags = r.u16('nlmsg_flags');
    const seq = r.u32('nlmsg_seq');
    const portId = r.u32('nlmsg_pid');
    out.push({ type, flags, seq, portId, body: r.take(Math.min(len - NLMSG_HDRLEN, r.remaining), 'message body') });
  }
  return out;
}

/** An NLMSG_ERROR: errno 0 is an acknowledgement. */
export interface NlAck {
  /** Positive errno, 0 for success. */
  readonly errno: number;
  /** Sequence number of the request it answers. */
  readonly seq: number;
  /** Type of the request it answers. */
  readonly requestType: number;
  /** The kernel's extended-ACK text (e.g. "Nexthop has invalid gateway"), when it gave one. */
  readonly message: string | undefined;
}

/** Decodes the payload of an NLMSG_ERROR (struct nlmsgerr plus extended-ACK TLVs). */
export function decodeAck(msg: NlMessage): NlAck {
  const r = msg.body;
  const error = r.i32('nlmsgerr.error');
  const len = r.u32('request nlmsg_len');
  const requestType = r.u16('request nlmsg_type');
  r.skipBytes(2, 'request nlmsg_flags');
  const seq = r.u32('request nlmsg_seq');
  r.skipBytes(4, 'request nlmsg_pid');
  // Without NETLINK_CAP_ACK the kernel echoes the whole request after the header.
  if ((msg.flags & NlmFlag.capped) === 0 && error !== 0) r.skipBytes(Math.min(r.remaining, align4(len) - NLMSG_HDRLEN), 'echoed request');
  let message: string | undefined;
  if ((msg.flags & NlmFlag.ackTlvs) !== 0) {
    r.attributes((type, value) => {
      if (type === NlmsgErrAttr.msg) message = value.cString();
    });
  }
  return { errno: -error, seq, requestType, message };
}

/** A request the kernel refused, with its errno and reason. */
export class KernelError extends Error {
  override readonly name = 'KernelError';
  constructor(
    readonly errno: number,
    readonly kernelMessage: string | undefined,
  ) {
    super(kernelMessage === undefined ? errnoName(errno) : `${errnoName(errno)}: ${kernelMessage}`);
  }

  /** The errno name, e.g. "EINVAL". */
  get code(): string {
    return errnoName(this.errno);
  }
}
