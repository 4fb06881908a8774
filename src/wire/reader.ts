// Reader: the only code that handles offsets into received bytes. Every read checks
// its bounds and fails with a WireError chosen by whoever made the reader, so a
// short field becomes the NOTIFICATION the RFC asks for and never an exception of
// another kind.

import { WireError, NotifyCode, UpdateSubcode } from './errors.js';

/** Builds the error a reader raises when a field runs past its end. */
export type OverrunError = (detail: string) => WireError;

const defaultOverrun: OverrunError = (detail) => new WireError(NotifyCode.updateMessage, UpdateSubcode.malformedAttributeList, detail);

export class Reader {
  private readonly buf: Uint8Array;
  // Made on first use (u64 only): a DataView per reader was most of the cost of `take`.
  private view: DataView | undefined;
  private pos: number;
  private readonly end: number;
  private readonly overrun: OverrunError;

  constructor(buf: Uint8Array, start = 0, end = buf.length, overrun: OverrunError = defaultOverrun) {
    this.buf = buf;
    this.view = undefined;
    this.pos = start;
    this.end = end;
    this.overrun = overrun;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Offset of the next byte within the underlying buffer. */
  get offset(): number {
    return this.pos;
  }

  get isEmpty(): boolean {
    return this.pos >= this.end;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) throw this.overrun(`${what} needs ${n} bytes, ${this.end - this.pos} left`);
  }

  u8(what = 'field'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what = 'field'): number {
    this.need(2, what);
    const b = this.buf;
    const v = (b[this.pos]! << 8) | b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(what = 'field'): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    const v = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
    this.pos += 4;
    return v;
  }

  u64(what = 'field'): bigint {
    this.need(8, what);
    this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  /** The next `n` bytes as a view on the same memory (no copy). */
  bytes(n: number, what = 'field'): Uint8Array {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A copy of the next `n` bytes, for values kept after the message buffer is reused. */
  copy(n: number, what = 'field'): Uint8Array {
    // A Uint8Array constructed from a view copies it (Buffer.slice would not) at a
    // third of the cost of Uint8Array.from.
    return new Uint8Array(this.bytes(n, what));
  }

  /** Everything left, as a view. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** A reader over the next `n` bytes (a length-prefixed field); this one skips them. */
  take(n: number, what = 'field', overrun: OverrunError = this.overrun): Reader {
    this.need(n, what);
    const sub = new Reader(this.buf, this.pos, this.pos + n, overrun);
    this.pos += n;
    return sub;
  }

  /** The next byte without consuming it. */
  peek(what = 'field'): number {
    this.need(1, what);
    return this.buf[this.pos]!;
  }

  skipBytes(n: number, what = 'field'): void {
    this.need(n, what);
    this.pos += n;
  }

  /** Throws `error(detail)` unless every byte was read: decoders end with this. */
  expectEmpty(what: string, error: OverrunError = this.overrun): void {
    if (this.pos !== this.end) throw error(`${this.end - this.pos} unexpected bytes after ${what}`);
  }
}
