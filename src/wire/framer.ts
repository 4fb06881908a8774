// Framer: cuts a TCP byte stream into whole BGP messages (RFC 4271 4.1), checking each
// header as soon as its 19 octets are in, before waiting for the body.

import { readHeader, headerLength, maxExtendedMessageLength } from './header.js';

/**
 * Feed it TCP chunks in order; it returns the messages they complete. Each returned
 * message is a fresh copy the caller owns. A partial message is kept across calls in
 * one buffer of at most the current maximum length, so memory stays bounded.
 * A bad header throws the WireError of RFC 4271 6.1; messages completed earlier in the
 * same chunk are dropped with it (the session is reset anyway), and every later push
 * throws the same error.
 */
export class Framer {
  private maxLength: number;
  private pending = new Uint8Array(0);
  private pendingLength = 0;
  /** Length of the message being assembled in `pending`, once its header is checked. */
  private expected = 0;
  private failure: Error | undefined;

  constructor(maxLength: number) {
    this.maxLength = checkMaxLength(maxLength);
  }

  /** Octets held of an incomplete message. */
  get buffered(): number {
    return this.pendingLength;
  }

  /** Raises (or lowers) the limit, e.g. to 65535 once Extended Message is negotiated (RFC 8654). */
  setMaxLength(maxLength: number): void {
    this.maxLength = checkMaxLength(maxLength);
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failure !== undefined) throw this.failure;
    try {
      return this.cut(chunk);
    } catch (err) {
      this.failure = err as Error;
      throw err;
    }
  }

  private cut(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let pos = 0;
    if (this.pendingLength > 0) {
      pos = this.fill(chunk, pos, headerLength);
      if (this.pendingLength < headerLength) return out;
      if (this.expected === 0) this.expected = readHeader(this.pending, 0, this.maxLength).length;
      pos = this.fill(chunk, pos, this.expected);
      if (this.pendingLength < this.expected) return out;
      out.push(this.pending.slice(0, this.expected));
      this.pendingLength = 0;
      this.expected = 0;
    }
    while (chunk.length - pos >= headerLength) {
      const { length } = readHeader(chunk, pos, this.maxLength);
      if (chunk.length - pos < length) break;
      out.push(chunk.slice(pos, pos + length));
      pos += length;
    }
    if (pos < chunk.length) {
      if (chunk.length - pos >= headerLength) this.expected = readHeader(chunk, pos, this.maxLength).length;
      this.fill(chunk, pos, chunk.length - pos);
    }
    return out;
  }

  /** Copies from `chunk` into `pending` until it holds `target` octets; returns the new position. */
  private fill(chunk: Uint8Array, pos: number, target: number): number {
    const n = Math.min(target - this.pendingLength, chunk.length - pos);
    if (n <= 0) return pos;
    if (this.pending.length < this.pendingLength + n) {
      const next = new Uint8Array(Math.max(this.maxLength, this.pendingLength + n));
      next.set(this.pending.subarray(0, this.pendingLength));
      this.pending = next;
    }
    this.pending.set(chunk.subarray(pos, pos + n), this.pendingLength);
    this.pendingLength += n;
    return pos + n;
  }
}

function checkMaxLength(n: number): number {
  if (!Number.isInteger(n) || n < headerLength || n > maxExtendedMessageLength) throw new RangeError(`maximum message length must be an integer in ${headerLength}..${maxExtendedMessageLength}, got ${n}`);
  return n;
}
