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
  private readonly view: DataView;
  private pos: number;
  private readonly end: number;
  private readonly overrun: OverrunError;

  constructor(buf: Uint8Array, start = 0, end = buf.length, overrun: OverrunError = defaultOverrun) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
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
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what = 'field'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(what = 'field'): bigint {
    this.need(8, what);
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
    return Uint8Array.from(this.bytes(n, what));
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

  skip(n: number, what = 'field'): void {
    this.need(n, what);
    this.pos += n;
  }

  /** Throws `error(detail)` unless every byte was read: decoders end with this. */
  expectEmpty(what: string, error: OverrunError = this.overrun): void {
    if (this.pos !== this.end) throw error(`${this.end - this.pos} unexpected bytes after ${what}`);
  }
}
