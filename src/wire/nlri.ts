// NLRI lists (RFC 4271 4.3; RFC 4760 5 for MP_REACH/MP_UNREACH; RFC 7911 3 for the
// path identifier of ADD-PATH). A list is kept packed: one copy of the wire bytes,
// validated once, with the bits past each prefix length cleared. Iterating with
// `forEachRaw` allocates nothing, so a full table costs no object per prefix here.

import { Afi, addressBits, addressBytes, type Prefix } from '../lib/address.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';
import { WireError, ErrorAction, NotifyCode, UpdateSubcode } from './errors.js';

/** One route's destination: the prefix and its ADD-PATH identifier (0 when none). */
export interface Nlri {
  readonly prefix: Prefix;
  readonly pathId: number;
}

/**
 * Called per prefix: `bytes[offset .. offset + ceil(length/8))` are its significant
 * octets (trailing bits already zero). Do not keep `bytes` past the call's owner's life.
 */
export type RawNlriVisitor = (bytes: Uint8Array, offset: number, length: number, pathId: number) => void;

export class NlriList implements Iterable<Nlri> {
  /** An empty list of the family. */
  static empty(afi: Afi, hasPathId = false): NlriList {
    return new NlriList(afi, hasPathId, new Uint8Array(0), 0);
  }

  private constructor(
    readonly afi: Afi,
    readonly hasPathId: boolean,
    /** The wire encoding, normalised. */
    readonly bytes: Uint8Array,
    readonly count: number,
  ) {}

  /**
   * Reads every byte left in `reader` as NLRI. A prefix longer than the family allows
   * or running past the field is an error with `subcode` and `action` (RFC 7606 5.3:
   * a field that cannot be parsed cannot be treated as withdrawn).
   */
  static decode(reader: Reader, afi: Afi, hasPathId: boolean, subcode: number = UpdateSubcode.invalidNetworkField, action: ErrorAction = ErrorAction.sessionReset): NlriList {
    // A copy (Buffer.slice would give a view) at a third of the cost of Uint8Array.from.
    const out = new Uint8Array(reader.rest());
    const maxBits = addressBits(afi);
    const fail = (detail: string): WireError => new WireError(NotifyCode.updateMessage, subcode, detail, new Uint8Array(0), action);
    let pos = 0;
    let count = 0;
    while (pos < out.length) {
      if (hasPathId) {
        if (pos + 5 > out.length) throw fail('NLRI path identifier runs past the field');
        pos += 4;
      }
      const len = out[pos++]!;
      if (len > maxBits) throw fail(`prefix length ${len} exceeds ${maxBits}`);
      const n = (len + 7) >> 3;
      if (pos + n > out.length) throw fail(`prefix of length ${len} runs past the field`);
      if ((len & 7) !== 0) out[pos + n - 1]! &= (0xff << (8 - (len & 7))) & 0xff;
      pos += n;
      count++;
    }
    return new NlriList(afi, hasPathId, out, count);
  }

  /** Builds a list from prefixes; path identifiers are written only if `hasPathId`. */
  static from(entries: Iterable<Nlri | Prefix>, afi: Afi, hasPathId = false): NlriList {
    const parts: number[] = [];
    let count = 0;
    for (const e of entries) {
      const prefix = 'prefix' in e ? e.prefix : e;
      const pathId = 'prefix' in e ? e.pathId : 0;
      if (prefix.afi !== afi) throw new RangeError(`prefix of AFI ${prefix.afi} in a list of AFI ${afi}`);
      if (hasPathId) parts.push((pathId >>> 24) & 0xff, (pathId >>> 16) & 0xff, (pathId >>> 8) & 0xff, pathId & 0xff);
      parts.push(prefix.length);
      const n = (prefix.length + 7) >> 3;
      for (let i = 0; i < n; i++) parts.push(prefix.addr[i]!);
      count++;
    }
    return new NlriList(afi, hasPathId, Uint8Array.from(parts), count);
  }

  /** Visits each prefix without allocating. */
  forEachRaw(visit: RawNlriVisitor): void {
    const b = this.bytes;
    let pos = 0;
    while (pos < b.length) {
      let pathId = 0;
      if (this.hasPathId) {
        pathId = ((b[pos]! << 24) | (b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!) >>> 0;
        pos += 4;
      }
      const len = b[pos++]!;
      visit(b, pos, len, pathId);
      pos += (len + 7) >> 3;
    }
  }

  *[Symbol.iterator](): Iterator<Nlri> {
    const width = addressBytes(this.afi);
    const items: Nlri[] = [];
    this.forEachRaw((bytes, offset, length, pathId) => {
      const addr = new Uint8Array(width);
      addr.set(bytes.subarray(offset, offset + ((length + 7) >> 3)));
      items.push({ prefix: { afi: this.afi, length, addr }, pathId });
    });
    yield* items;
  }

  /** The same prefixes with or without path identifiers (ids dropped, or set to 0). */
  withPathId(hasPathId: boolean): NlriList {
    if (hasPathId === this.hasPathId) return this;
    return NlriList.from(this, this.afi, hasPathId);
  }

  encode(w: Writer): void {
    w.bytes(this.bytes);
  }

  get byteLength(): number {
    return this.bytes.length;
  }
}

export { Afi };
