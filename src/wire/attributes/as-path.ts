// AS_PATH (RFC 4271 4.3, 5.1.2; confederation segments of RFC 5065 3) and AS4_PATH
// (RFC 6793). On a 2-octet session a 4-octet path travels as an AS_PATH holding
// AS_TRANS plus an AS4_PATH; the decoder merges them back (RFC 6793 4.2.3), so
// PathAttributes.asPath always holds real AS numbers.
// Malformed AS_PATH: treat-as-withdraw (RFC 7606 7.2); malformed AS4_PATH: attribute
// discard (RFC 6793 6).

import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import { ErrorAction, UpdateSubcode } from '../errors.js';
import { AsSegmentType, AttrFlag, AttrType, asTrans, type AsPathSegment, type PathAttributes } from './types.js';
import { malformed, type AttributeRow } from './row.js';

/** RFC 4271 4.3: the segment length is one octet; longer runs are split on encode. */
const maxSegmentLength = 255;

function isConfed(type: number): boolean {
  return type === AsSegmentType.confedSequence || type === AsSegmentType.confedSet;
}

/**
 * The path length of RFC 4271 9.1.2.2 a) as RFC 6793 4.2.3 counts it: an AS_SET counts
 * as one, confederation segments (RFC 5065 5.3) count as nothing.
 */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === AsSegmentType.sequence) n += s.asns.length;
    else if (s.type === AsSegmentType.set) n += 1;
  }
  return n;
}

/** Reads segments of `asnSize`-octet AS numbers (RFC 7606 7.2 lists what is malformed). */
function readSegments(r: Reader, asnSize: 2 | 4, name: string): AsPathSegment[] {
  const segments: AsPathSegment[] = [];
  while (!r.isEmpty) {
    if (r.remaining < 2) throw malformed(UpdateSubcode.malformedAsPath, `${name}: one octet left where a segment header is due`);
    const type = r.u8('segment type');
    const count = r.u8('segment length');
    if (type < AsSegmentType.set || type > AsSegmentType.confedSet) throw malformed(UpdateSubcode.malformedAsPath, `${name}: unknown segment type ${type}`);
    if (count === 0) throw malformed(UpdateSubcode.malformedAsPath, `${name}: segment of length zero`);
    if (count * asnSize > r.remaining) throw malformed(UpdateSubcode.malformedAsPath, `${name}: segment of ${count} AS numbers overruns the attribute`);
    const asns = new Array<number>(count);
    if (asnSize === 4) for (let i = 0; i < count; i++) asns[i] = r.u32('AS number');
    else for (let i = 0; i < count; i++) asns[i] = r.u16('AS number');
    segments.push({ type: type as AsSegmentType, asns });
  }
  return segments;
}

function segmentsLength(segments: readonly AsPathSegment[], asnSize: 2 | 4, isConfedDropped: boolean): number {
  let n = 0;
  for (const s of segments) {
    if (isConfedDropped && isConfed(s.type)) continue;
    if (s.asns.length === 0) throw new RangeError('an AS_PATH segment must hold at least one AS number');
    n += Math.ceil(s.asns.length / maxSegmentLength) * 2 + s.asns.length * asnSize;
  }
  return n;
}

/** Writes segments, splitting any longer than 255; on 2 octets, a 4-octet AS becomes AS_TRANS. */
function writeSegments(w: Writer, segments: readonly AsPathSegment[], asnSize: 2 | 4, isConfedDropped: boolean): void {
  for (const s of segments) {
    if (isConfedDropped && isConfed(s.type)) continue;
    for (let from = 0; from < s.asns.length; from += maxSegmentLength) {
      const to = Math.min(from + maxSegmentLength, s.asns.length);
      w.u8(s.type).u8(to - from);
      for (let i = from; i < to; i++) {
        const asn = s.asns[i]!;
        if (asnSize === 4) w.u32(asn);
        else w.u16(asn > 0xffff ? asTrans : asn);
      }
    }
  }
}

/** True if a 2-octet session needs AS4_PATH for this path (RFC 6793 4.2.2). */
function needsAs4Path(segments: readonly AsPathSegment[]): boolean {
  for (const s of segments) {
    // AS4_PATH carries no confederation segments (RFC 6793 3), so they cannot need it.
    if (isConfed(s.type)) continue;
    for (const asn of s.asns) if (asn > 0xffff) return true;
  }
  return false;
}

/**
 * RFC 6793 4.2.3: the AS path of a 2-octet session. When AS_PATH counts fewer AS
 * numbers than AS4_PATH, AS4_PATH is ignored; otherwise the leading part of AS_PATH
 * (confederation segments, then as many AS numbers as AS4_PATH lacks) is put in
 * front of AS4_PATH.
 */
export function mergeAs4Path(asPath: readonly AsPathSegment[], as4Path: readonly AsPathSegment[]): AsPathSegment[] {
  const needed = asPathLength(asPath) - asPathLength(as4Path);
  if (needed < 0) return asPath.slice();
  const out: AsPathSegment[] = [];
  let left = needed;
  for (const s of asPath) {
    if (isConfed(s.type)) {
      out.push(s);
      continue;
    }
    if (left === 0) break;
    if (s.type === AsSegmentType.set) {
      out.push(s);
      left -= 1;
    } else {
      const take = Math.min(left, s.asns.length);
      out.push(take === s.asns.length ? s : { type: s.type, asns: s.asns.slice(0, take) });
      left -= take;
    }
  }
  const last = out[out.length - 1];
  const first = as4Path[0];
  // A sequence cut from AS_PATH and the sequence AS4_PATH starts with are one run.
  if (last !== undefined && first !== undefined && last.type === AsSegmentType.sequence && first.type === AsSegmentType.sequence && last.asns.length + first.asns.length <= maxSegmentLength) {
    out[out.length - 1] = { type: AsSegmentType.sequence, asns: [...last.asns, ...first.asns] };
    for (let i = 1; i < as4Path.length; i++) out.push(as4Path[i]!);
  } else {
    out.push(...as4Path);
  }
  return out;
}

export const asPathRow: AttributeRow = {
  typeCode: AttrType.asPath,
  name: 'AS_PATH',
  flags: AttrFlag.transitive,
  action: ErrorAction.treatAsWithdraw,
  flagsAction: ErrorAction.treatAsWithdraw,
  decode(r, ctx, _flags, into) {
    into.attrs.asPath = readSegments(r, ctx.isAs4 ? 4 : 2, 'AS_PATH');
  },
  valueLength: (a: PathAttributes, ctx) => (a.asPath === undefined ? -1 : segmentsLength(a.asPath, ctx.isAs4 ? 4 : 2, false)),
  encode(a, w, ctx) {
    writeSegments(w, a.asPath!, ctx.isAs4 ? 4 : 2, false);
  },
};

export const as4PathRow: AttributeRow = {
  typeCode: AttrType.as4Path,
  name: 'AS4_PATH',
  flags: AttrFlag.optional | AttrFlag.transitive,
  action: ErrorAction.attributeDiscard,
  // RFC 6793 6 chose attribute discard for a malformed AS4_PATH, flags included.
  flagsAction: ErrorAction.attributeDiscard,
  decode(r, ctx, _flags, into) {
    // RFC 6793 6: never sent between 4-octet speakers; discard it (and log).
    if (ctx.isAs4) throw malformed(UpdateSubcode.optionalAttributeError, 'AS4_PATH on a 4-octet session');
    // RFC 6793 6: too short to hold one AS number is malformed.
    if (r.remaining < 6) throw malformed(UpdateSubcode.malformedAsPath, `AS4_PATH of length ${r.remaining}`);
    const segments = readSegments(r, 4, 'AS4_PATH');
    // RFC 6793 6: confederation segments in AS4_PATH are dropped and the rest used.
    const kept = segments.filter((s) => !isConfed(s.type));
    if (kept.length !== segments.length) {
      into.note(malformed(UpdateSubcode.malformedAsPath, 'AS4_PATH: confederation segments dropped'));
    }
    into.as4Path = kept;
  },
  valueLength: (a, ctx) => (ctx.isAs4 || a.asPath === undefined || !needsAs4Path(a.asPath) ? -1 : segmentsLength(a.asPath, 4, true)),
  encode(a, w) {
    writeSegments(w, a.asPath!, 4, true);
  },
};
