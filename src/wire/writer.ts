// Writer: a growing output buffer with back-filled length fields, used by every encoder.

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialSize = 256) {
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
    this.view.setUint16(this.pos, v & 0xffff);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.grow(4);
    this.view.setUint32(this.pos, v >>> 0);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    this.grow(8);
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Reserves a 1-, 2- or 4-byte length field; returns the position to `fill` later. */
  reserve(size: 1 | 2 | 4): number {
    const at = this.pos;
    this.grow(size);
    this.pos += size;
    return at;
  }

  /** Writes into a reserved field the number of bytes written since it. */
  fill(at: number, size: 1 | 2 | 4, extra = 0): void {
    const len = this.pos - at - size + extra;
    if (size === 1) this.buf[at] = len;
    else if (size === 2) this.view.setUint16(at, len);
    else this.view.setUint32(at, len);
  }

  /** Writes `value` at an absolute position already written (e.g. a header length). */
  patchU16(at: number, value: number): void {
    this.view.setUint16(at, value);
  }

  /** The bytes written so far (a copy the caller owns). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
