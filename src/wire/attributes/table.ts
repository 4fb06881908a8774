// The path attribute table (RFC 4271 4.3, 5): one row per known type code, the loop
// that reads an UPDATE's attribute section with the checks common to every attribute
// (RFC 7606 3 and 4: header and lengths, flags, duplicates, unrecognized well-known
// attributes, missing mandatory ones), and the writer that puts them back in order.

import { Reader, type OverrunError } from '../reader.js';
import { Writer } from '../writer.js';
import { WireError, ErrorAction, NotifyCode, UpdateSubcode } from '../errors.js';
import { as4Context, type CodecContext, type FamilyKey } from '../context.js';
import { AttrFlag, AttrType, type PathAttributes, type UnknownAttribute } from './types.js';
import { AttributeDraft, valueOverrun, type AttributeRow } from './row.js';
import { originRow } from './origin.js';
import { asPathRow, as4PathRow, mergeAs4Path } from './as-path.js';
import { nextHopRow } from './next-hop.js';
import { medRow } from './med.js';
import { localPrefRow } from './local-pref.js';
import { atomicAggregateRow } from './atomic-aggregate.js';
import { aggregatorRow, as4AggregatorRow, mergeAs4Aggregator } from './aggregator.js';
import { communitiesRow } from './communities.js';
import { originatorIdRow } from './originator-id.js';
import { clusterListRow } from './cluster-list.js';
import { mpReachRow } from './mp-reach.js';
import { mpUnreachRow } from './mp-unreach.js';
import { extCommunitiesRow } from './ext-communities.js';
import { largeCommunitiesRow } from './large-communities.js';

/** Every known attribute, by ascending type code. A new attribute is a new row here. */
export const attributeRows: readonly AttributeRow[] = [
  originRow,
  asPathRow,
  nextHopRow,
  medRow,
  localPrefRow,
  atomicAggregateRow,
  aggregatorRow,
  communitiesRow,
  originatorIdRow,
  clusterListRow,
  mpReachRow,
  mpUnreachRow,
  extCommunitiesRow,
  as4PathRow,
  as4AggregatorRow,
  largeCommunitiesRow,
];

const rowByType: (AttributeRow | undefined)[] = new Array<AttributeRow | undefined>(256).fill(undefined);
for (const row of attributeRows) rowByType[row.typeCode] = row;

/** The row of a type code, if the attribute is known. */
export function attributeRow(typeCode: number): AttributeRow | undefined {
  return rowByType[typeCode];
}

const optionalTransitive = AttrFlag.optional | AttrFlag.transitive;
const keptFlagBits = AttrFlag.optional | AttrFlag.transitive | AttrFlag.partial;

function isMp(typeCode: number): boolean {
  return typeCode === AttrType.mpReach || typeCode === AttrType.mpUnreach;
}

/** The attribute section as a whole: RFC 4271 6.3 Malformed Attribute List. */
const sectionOverrun: OverrunError = (detail) => new WireError(NotifyCode.updateMessage, UpdateSubcode.malformedAttributeList, detail);

/** RFC 4271 4.3: bits in conflict with the type code (Partial only on optional transitive). */
function isFlagsConflict(row: AttributeRow, flags: number): boolean {
  if ((flags & optionalTransitive) !== row.flags) return true;
  return (flags & AttrFlag.partial) !== 0 && row.flags !== optionalTransitive;
}

/** The text of a WireError without the code names its constructor put in front. */
function detailOf(e: WireError): string {
  const at = e.message.indexOf(': ');
  return at < 0 ? e.message : e.message.slice(at + 2);
}

/** A copy of `bytes[start, end)`: never a view, even of a Buffer (whose slice is one). */
function copyOf(bytes: Uint8Array, start: number, end = bytes.length): Uint8Array {
  return new Uint8Array(bytes.subarray(start, end));
}

/** Scratch for duplicate detection (RFC 7606 3.g); decoding is synchronous, so one suffices. */
const seen = new Uint8Array(256);
const noFaults: readonly WireError[] = Object.freeze([]);

/** What `decodeAttributes` found. */
export interface DecodedAttributes {
  readonly attributes: PathAttributes;
  /** The section's bytes without MP_REACH_NLRI / MP_UNREACH_NLRI. */
  readonly attrKey: Uint8Array;
  readonly faults: readonly WireError[];
  readonly action: ErrorAction | undefined;
  readonly disabledFamilies: readonly FamilyKey[] | undefined;
}

/**
 * Reads an UPDATE's attribute section. `hasNlriField` says whether the NLRI field holds
 * routes (NEXT_HOP is then mandatory). Tolerated faults are returned; a fault calling
 * for a session reset is thrown as a WireError.
 */
export function decodeAttributes(section: Uint8Array, ctx: CodecContext, hasNlriField: boolean): DecodedAttributes {
  seen.fill(0);
  const draft = new AttributeDraft();
  const r = new Reader(section, 0, section.length, sectionOverrun);
  // Where MP attributes sit, to leave them out of attrKey (at most two: 3.g).
  let mp1Start = -1;
  let mp1End = -1;
  let mp2Start = -1;
  let mp2End = -1;
  while (!r.isEmpty) {
    const start = r.offset;
    const left = r.remaining;
    // RFC 7606 4: too few octets for an attribute header, or a length running past the
    // section, is treat-as-withdraw; the Total Path Attribute Length still locates the NLRI.
    if (left < 3 || (left < 4 && (section[start]! & AttrFlag.extendedLength) !== 0)) {
      draft.note(new WireError(NotifyCode.updateMessage, UpdateSubcode.malformedAttributeList, `${left} octets left, too few for an attribute header`, copyOf(section, start), ErrorAction.treatAsWithdraw));
      break;
    }
    const flags = r.u8('attribute flags');
    const type = r.u8('attribute type');
    const length = (flags & AttrFlag.extendedLength) !== 0 ? r.u16('attribute length') : r.u8('attribute length');
    if (length > r.remaining) {
      const detail = `attribute type ${type} of length ${length} runs ${length - r.remaining} octets past the attribute section`;
      // RFC 7606 4 (last paragraph), 5.3: treat-as-withdraw needs every NLRI, and an
      // MP attribute cut short hides some; the session has to be reset.
      const action = isMp(type) ? ErrorAction.sessionReset : ErrorAction.treatAsWithdraw;
      draft.note(new WireError(NotifyCode.updateMessage, UpdateSubcode.attributeLengthError, detail, copyOf(section, start), action));
      break;
    }
    const end = r.offset + length;
    if (isMp(type)) {
      if (mp1Start < 0) {
        mp1Start = start;
        mp1End = end;
      } else {
        mp2Start = start;
        mp2End = end;
      }
    }
    if (seen[type] !== 0) {
      // RFC 7606 3.g: a repeated MP attribute resets the session; any other repeat is
      // dropped and the first kept.
      const action = isMp(type) ? ErrorAction.sessionReset : ErrorAction.attributeDiscard;
      draft.note(new WireError(NotifyCode.updateMessage, UpdateSubcode.malformedAttributeList, `attribute type ${type} repeated`, copyOf(section, start, end), action));
      r.skipBytes(length);
      continue;
    }
    seen[type] = 1;
    const row = rowByType[type];
    if (row === undefined) {
      // RFC 4271 6.3: an unknown well-known attribute cannot be passed on or ignored.
      if ((flags & AttrFlag.optional) === 0) {
        throw new WireError(NotifyCode.updateMessage, UpdateSubcode.unrecognizedWellKnownAttribute, `unknown well-known attribute type ${type}`, copyOf(section, start, end));
      }
      const unknown: UnknownAttribute = { flags: flags & keptFlagBits, typeCode: type, value: r.copy(length, 'attribute value') };
      (draft.attrs.unknown ??= []).push(unknown);
      continue;
    }
    const value = r.take(length, row.name, valueOverrun);
    if (isFlagsConflict(row, flags)) {
      draft.note(new WireError(NotifyCode.updateMessage, UpdateSubcode.attributeFlagsError, `${row.name} with flags 0x${flags.toString(16)}`, copyOf(section, start, end), row.flagsAction));
      // Under treat-as-withdraw the value is still read: its NLRI (MP_REACH) are withdrawn.
      if (row.flagsAction === ErrorAction.attributeDiscard) continue;
    }
    try {
      row.decode(value, ctx, flags, draft);
      if ((flags & AttrFlag.partial) !== 0 && row.flags === optionalTransitive) (draft.attrs.partial ??= []).push(type);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      const action = e.action > row.action ? e.action : row.action;
      draft.note(new WireError(NotifyCode.updateMessage, e.subcode, `${row.name}: ${detailOf(e)}`, copyOf(section, start, end), action, { cause: e }));
    }
  }
  if (!ctx.isAs4) {
    // RFC 6793 4.2.3: rebuild the 4-octet path and aggregator of a 2-octet session.
    const isAs4PathUsable = mergeAs4Aggregator(draft);
    if (isAs4PathUsable && draft.as4Path !== undefined && draft.attrs.asPath !== undefined) draft.attrs.asPath = mergeAs4Path(draft.attrs.asPath, draft.as4Path);
  }
  const mpReach = draft.attrs.mpReach;
  if (hasNlriField || (mpReach !== undefined && mpReach.nlri.count > 0)) {
    // RFC 7606 3.d: a missing well-known mandatory attribute is treat-as-withdraw. NEXT_HOP
    // is mandatory only with NLRI in the NLRI field (RFC 4760 3). `seen` also counts one
    // that came malformed: that fault is already recorded.
    for (const type of hasNlriField ? mandatoryWithNlriField : mandatoryWithMpOnly) {
      if (seen[type] === 0) {
        draft.note(new WireError(NotifyCode.updateMessage, UpdateSubcode.missingWellKnownAttribute, `missing ${rowByType[type]!.name}`, Uint8Array.of(type), ErrorAction.treatAsWithdraw));
      }
    }
  }
  return {
    attributes: draft.attrs,
    attrKey: attrKeyOf(section, mp1Start, mp1End, mp2Start, mp2End),
    faults: draft.faults ?? noFaults,
    action: draft.action,
    disabledFamilies: draft.disabledFamilies,
  };
}

const mandatoryWithNlriField: readonly number[] = [AttrType.origin, AttrType.asPath, AttrType.nextHop];
const mandatoryWithMpOnly: readonly number[] = [AttrType.origin, AttrType.asPath];

/** The section without the (at most two) MP attribute ranges, as one new array. */
function attrKeyOf(section: Uint8Array, s1: number, e1: number, s2: number, e2: number): Uint8Array {
  if (s1 < 0) return copyOf(section, 0);
  if (s2 < 0) {
    // RFC 7606 5.1 puts MP attributes first: then this is a single slice.
    if (s1 === 0) return copyOf(section, e1);
    const key = new Uint8Array(section.length - (e1 - s1));
    key.set(section.subarray(0, s1));
    key.set(section.subarray(e1), s1);
    return key;
  }
  if (s1 === 0 && s2 === e1) return copyOf(section, e2);
  const key = new Uint8Array(section.length - (e1 - s1) - (e2 - s2));
  key.set(section.subarray(0, s1));
  key.set(section.subarray(e1, s2), s1);
  key.set(section.subarray(e2), s1 + (s2 - e1));
  return key;
}

function writeHeader(w: Writer, flags: number, typeCode: number, length: number): void {
  if (length > 0xffff) throw new RangeError(`attribute type ${typeCode} of ${length} octets exceeds the 65535-octet limit`);
  if (length > 0xff) w.u8(flags | AttrFlag.extendedLength).u8(typeCode).u16(length);
  else w.u8(flags).u8(typeCode).u8(length);
}

function writeRow(row: AttributeRow, attrs: PathAttributes, w: Writer, ctx: CodecContext): void {
  const length = row.valueLength(attrs, ctx);
  if (length < 0) return;
  // RFC 4271 5: a Partial bit once set stays set along the path.
  const isPartial = row.flags === optionalTransitive && attrs.partial !== undefined && attrs.partial.includes(row.typeCode);
  writeHeader(w, row.flags | (isPartial ? AttrFlag.partial : 0), row.typeCode, length);
  const before = w.length;
  row.encode(attrs, w, ctx);
  if (w.length - before !== length) throw new Error(`${row.name} wrote ${w.length - before} octets, announced ${length}`);
}

function writeUnknown(u: UnknownAttribute, w: Writer): void {
  if (rowByType[u.typeCode] !== undefined && !isMp(u.typeCode)) throw new RangeError(`an unknown attribute cannot have the type code ${u.typeCode} of ${rowByType[u.typeCode]!.name}`);
  writeHeader(w, u.flags & keptFlagBits, u.typeCode, u.value.length);
  w.bytes(u.value);
}

const mpRows: readonly AttributeRow[] = [mpReachRow, mpUnreachRow];
const otherRows: readonly AttributeRow[] = attributeRows.filter((row) => !isMp(row.typeCode));

/**
 * Writes the attributes: MP_REACH_NLRI and MP_UNREACH_NLRI first (RFC 7606 5.1 says
 * SHALL, which overrides RFC 4271 5's ascending order for them), then everything else
 * by ascending type code (RFC 4271 5), unknown attributes among them. Extended Length
 * only for values over 255 octets. `isMpIncluded` false leaves out the MP attributes.
 */
export function encodeAttributes(attrs: PathAttributes, w: Writer, ctx: CodecContext, isMpIncluded = true): void {
  const unknown = attrs.unknown === undefined || attrs.unknown.length === 0 ? undefined : [...attrs.unknown].sort((a, b) => a.typeCode - b.typeCode);
  if (isMpIncluded) {
    for (const row of mpRows) {
      writeRow(row, attrs, w, ctx);
      if (unknown !== undefined) for (const u of unknown) if (u.typeCode === row.typeCode) writeUnknown(u, w);
    }
  }
  let next = 0;
  for (const row of otherRows) {
    if (unknown !== undefined) {
      for (; next < unknown.length && unknown[next]!.typeCode < row.typeCode; next++) if (!isMp(unknown[next]!.typeCode)) writeUnknown(unknown[next]!, w);
    }
    writeRow(row, attrs, w, ctx);
  }
  if (unknown !== undefined) for (; next < unknown.length; next++) if (!isMp(unknown[next]!.typeCode)) writeUnknown(unknown[next]!, w);
}

/** The length `encodeAttributes` would write. */
export function attributesLength(attrs: PathAttributes, ctx: CodecContext, isMpIncluded = true): number {
  let n = 0;
  for (const row of attributeRows) {
    if (!isMpIncluded && isMp(row.typeCode)) continue;
    const length = row.valueLength(attrs, ctx);
    if (length >= 0) n += (length > 0xff ? 4 : 3) + length;
  }
  for (const u of attrs.unknown ?? []) {
    if (!isMpIncluded && isMp(u.typeCode)) continue;
    n += (u.value.length > 0xff ? 4 : 3) + u.value.length;
  }
  return n;
}

/**
 * The attrKey of attributes built here rather than received: their encoding without
 * MP attributes, always with 4-octet AS numbers so that it does not depend on a session.
 */
export function attrKeyFor(attrs: PathAttributes): Uint8Array {
  const w = new Writer(64);
  encodeAttributes(attrs, w, as4Context, false);
  return w.finish();
}

/**
 * Attributes as they may be passed to another peer (RFC 4271 5, 9.1.3): unknown
 * optional non-transitive attributes are dropped, unknown optional transitive ones
 * kept with the Partial bit set. Known attributes are the caller's (policy's) concern.
 */
export function prepareForSending(attrs: PathAttributes): PathAttributes {
  if (attrs.unknown === undefined) return attrs;
  const kept: UnknownAttribute[] = [];
  for (const u of attrs.unknown) {
    if ((u.flags & optionalTransitive) !== optionalTransitive) continue;
    kept.push((u.flags & AttrFlag.partial) !== 0 ? u : { ...u, flags: u.flags | AttrFlag.partial });
  }
  const { unknown: _dropped, ...rest } = attrs;
  return kept.length === 0 ? rest : { ...rest, unknown: kept };
}
