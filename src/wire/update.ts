// UPDATE (RFC 4271 4.3), with the RFC 7606 revised error handling, multiprotocol NLRI
// (RFC 4760), ADD-PATH (RFC 7911), End-of-RIB (RFC 4724 2), and the packing of an
// announcement into as many messages as the size limit needs (RFC 4271 4.3, RFC 8654).

import { Afi, type Prefix } from '../lib/address.js';
import { NlriList, type Nlri } from './nlri.js';
import { Reader } from './reader.js';
import { beginMessage, endMessage, headerLength, MessageType, maxExtendedMessageLength, maxMessageLength } from './header.js';
import { familyKey, type CodecContext, type FamilyKey } from './context.js';
import { AttrFlag, AttrType, type PathAttributes, type UnknownAttribute } from './attributes/types.js';
import { attrKeyFor, attributesLength, decodeAttributes, encodeAttributes } from './attributes/table.js';
import { isParsedFamily } from './attributes/mp-reach.js';
import type { WireError, ErrorAction } from './errors.js';

export { prepareForSending } from './attributes/table.js';

export interface UpdateMessage {
  readonly type: 'update';
  /** The IPv4 unicast Withdrawn Routes field. */
  readonly withdrawn: NlriList;
  /** Attributes as decoded, without those RFC 7606 said to discard. */
  readonly attributes: PathAttributes;
  /** The IPv4 unicast NLRI field. */
  readonly nlri: NlriList;
  /**
   * The attribute bytes other than MP_REACH_NLRI / MP_UNREACH_NLRI, as received (or
   * as encoded): equal bytes mean equal attributes, so the RIB can share one copy.
   * Received bytes are read with the session's context (2- or 4-octet AS numbers):
   * compare keys of one session, or of sessions with the same context. Built messages
   * (makeUpdate) use the 4-octet encoding. The MP_REACH_NLRI next hop is not in it.
   */
  readonly attrKey: Uint8Array;
  /** Faults found and tolerated under RFC 7606 (session-reset faults are thrown). */
  readonly faults: readonly WireError[];
  /**
   * The strongest action of `faults`, or undefined when there are none. Under
   * treat-as-withdraw every NLRI of the message (field and MP_REACH_NLRI) is to be
   * withdrawn; under AFI/SAFI disable the same, plus `disabledFamilies`.
   */
  readonly action?: ErrorAction;
  /**
   * Families whose MP_REACH_NLRI / MP_UNREACH_NLRI was malformed after its AFI/SAFI
   * (RFC 4760 7): drop the peer's routes of these and ignore them for the session.
   */
  readonly disabledFamilies?: readonly FamilyKey[];
}

const ipv4Unicast = familyKey(Afi.ipv4, 1);

// Most UPDATEs leave one of the two IPv4 fields empty: one shared (immutable) empty list.
const emptyLists = [NlriList.empty(Afi.ipv4, false), NlriList.empty(Afi.ipv4, true)] as const;
function emptyIpv4(hasPathId: boolean): NlriList {
  return emptyLists[hasPathId ? 1 : 0];
}

/** The largest message `ctx` allows (RFC 4271 4.1, RFC 8654). */
export function messageLimit(ctx: CodecContext): number {
  return ctx.isExtendedMessage ? maxExtendedMessageLength : maxMessageLength;
}

/**
 * Decodes an UPDATE body (after the header). Faults RFC 7606 tolerates are in `faults`
 * and `action`; the rest throw WireError with the NOTIFICATION to send.
 */
export function decodeUpdate(body: Reader, ctx: CodecContext): UpdateMessage {
  const hasPathId = ctx.addPath.has(ipv4Unicast);
  // RFC 4271 6.3: a length running past the message is a Malformed Attribute List (the
  // body reader's default error); a field that does not parse as NLRI is an Invalid
  // Network Field and, not being parseable, a session reset (RFC 7606 5.3).
  const withdrawnLength = body.u16('Withdrawn Routes Length');
  const withdrawn = withdrawnLength === 0 ? emptyIpv4(hasPathId) : NlriList.decode(body.take(withdrawnLength, 'Withdrawn Routes'), Afi.ipv4, hasPathId);
  const attributesLength = body.u16('Total Path Attribute Length');
  const section = body.bytes(attributesLength, 'path attributes');
  const nlri = body.isEmpty ? emptyIpv4(hasPathId) : NlriList.decode(body, Afi.ipv4, hasPathId);
  const decoded = decodeAttributes(section, ctx, nlri.count > 0);
  const msg = { type: 'update' as const, withdrawn, attributes: decoded.attributes, nlri, attrKey: decoded.attrKey, faults: decoded.faults };
  if (decoded.action === undefined) return msg;
  return decoded.disabledFamilies === undefined ? { ...msg, action: decoded.action } : { ...msg, action: decoded.action, disabledFamilies: decoded.disabledFamilies };
}

/**
 * Encodes an UPDATE, header included. Path identifiers are written or left out as
 * `ctx.addPath` says, whatever the lists hold; 4-octet AS numbers become AS_TRANS plus
 * AS4_PATH / AS4_AGGREGATOR on a 2-octet session (RFC 6793 4.2.2). Throws RangeError
 * when the message exceeds the limit of `ctx` (use packUpdates to split).
 */
export function encodeUpdate(msg: UpdateMessage, ctx: CodecContext): Uint8Array {
  if (msg.withdrawn.afi !== Afi.ipv4 || msg.nlri.afi !== Afi.ipv4) throw new RangeError('the Withdrawn Routes and NLRI fields hold IPv4 prefixes only (use MP attributes)');
  const hasPathId = ctx.addPath.has(ipv4Unicast);
  const w = beginMessage(MessageType.update, 128 + msg.withdrawn.byteLength + msg.nlri.byteLength);
  const withdrawnAt = w.reserve(2);
  msg.withdrawn.withPathId(hasPathId).encode(w);
  w.fill(withdrawnAt, 2);
  const attributesAt = w.reserve(2);
  encodeAttributes(msg.attributes, w, ctx);
  w.fill(attributesAt, 2);
  msg.nlri.withPathId(hasPathId).encode(w);
  return endMessage(w, messageLimit(ctx));
}

/** The parts of an UPDATE to build; missing lists are empty. */
export interface UpdateParts {
  readonly withdrawn?: NlriList;
  readonly attributes?: PathAttributes;
  readonly nlri?: NlriList;
}

/** An UPDATE to send: attrKey filled, no faults. */
export function makeUpdate(parts: UpdateParts): UpdateMessage {
  const attributes = parts.attributes ?? {};
  return {
    type: 'update',
    withdrawn: parts.withdrawn ?? NlriList.empty(Afi.ipv4),
    attributes,
    nlri: parts.nlri ?? NlriList.empty(Afi.ipv4),
    attrKey: attrKeyFor(attributes),
    faults: [],
  };
}

/**
 * The End-of-RIB marker of a family (RFC 4724 2): for IPv4 unicast an empty UPDATE,
 * for any other family an UPDATE holding only an empty MP_UNREACH_NLRI.
 */
export function endOfRib(afi: number, safi: number): UpdateMessage {
  if (afi === Afi.ipv4 && safi === 1) return makeUpdate({});
  if (isParsedFamily(afi, safi)) return makeUpdate({ attributes: { mpUnreach: { afi, safi, withdrawn: NlriList.empty(afi) } } });
  // A family we do not parse still has its marker: the raw attribute.
  const value = Uint8Array.of(afi >> 8, afi & 0xff, safi);
  return makeUpdate({ attributes: { unknown: [{ flags: AttrFlag.optional, typeCode: AttrType.mpUnreach, value }] } });
}

/** True if `attrs` has no attribute other than `except`. */
function hasOnly(attrs: PathAttributes, except: keyof PathAttributes | undefined): boolean {
  for (const key in attrs) {
    if (key !== except && attrs[key as keyof PathAttributes] !== undefined) return false;
  }
  return true;
}

/** The family an UPDATE marks as End-of-RIB (RFC 4724 2), or undefined if it is not one. */
export function endOfRibFamily(update: UpdateMessage): FamilyKey | undefined {
  if (update.nlri.count > 0 || update.withdrawn.count > 0 || update.action !== undefined) return undefined;
  const attrs = update.attributes;
  const mp = attrs.mpUnreach;
  if (mp !== undefined) return mp.withdrawn.count === 0 && hasOnly(attrs, 'mpUnreach') ? familyKey(mp.afi, mp.safi) : undefined;
  const unknown = attrs.unknown;
  if (unknown !== undefined) {
    const only: UnknownAttribute | undefined = unknown.length === 1 ? unknown[0] : undefined;
    if (only === undefined || only.typeCode !== AttrType.mpUnreach || only.value.length !== 3 || !hasOnly(attrs, 'unknown')) return undefined;
    return familyKey((only.value[0]! << 8) | only.value[1]!, only.value[2]!);
  }
  return hasOnly(attrs, undefined) ? ipv4Unicast : undefined;
}

/** Cuts a packed list into lists of at most `room` encoded octets each. */
function splitNlri(list: NlriList, room: number): NlriList[] {
  const bytes = list.bytes;
  if (bytes.length <= room) return [list];
  const out: NlriList[] = [];
  const idLength = list.hasPathId ? 4 : 0;
  let start = 0;
  let pos = 0;
  while (pos < bytes.length) {
    const size = idLength + 1 + ((bytes[pos + idLength]! + 7) >> 3);
    if (size > room) throw new RangeError(`the attributes leave ${room} octets per message, too few for one prefix`);
    if (pos + size - start > room) {
      out.push(NlriList.decode(new Reader(bytes, start, pos), list.afi, list.hasPathId));
      start = pos;
    }
    pos += size;
  }
  out.push(NlriList.decode(new Reader(bytes, start, pos), list.afi, list.hasPathId));
  return out;
}

/** Room for NLRI in one message, after the fixed fields and `attributeOctets`. */
function roomFor(attributeOctets: number, maxLength: number): number {
  // Header, Withdrawn Routes Length, Total Path Attribute Length.
  return maxLength - headerLength - 2 - 2 - attributeOctets;
}

function toList(nlri: NlriList | readonly (Nlri | Prefix)[], afi: Afi, hasPathId: boolean): NlriList {
  const list = nlri instanceof NlriList ? nlri : NlriList.from(nlri, afi, hasPathId);
  if (list.afi !== afi) throw new RangeError(`NLRI of AFI ${list.afi} where AFI ${afi} is expected`);
  return list.withPathId(hasPathId);
}

/**
 * Announces `nlri` with `attributes` in as few UPDATEs as fit in `maxLength` each.
 * Without `attributes.mpReach` the prefixes go in the NLRI field (IPv4); with it, in
 * MP_REACH_NLRI (its AFI/SAFI and next hop; its own NLRI are replaced), one per message.
 */
export function packUpdates(attributes: PathAttributes, nlri: NlriList | readonly (Nlri | Prefix)[], ctx: CodecContext, maxLength = messageLimit(ctx)): UpdateMessage[] {
  const mp = attributes.mpReach;
  const attrKey = attrKeyFor(attributes);
  const messages: UpdateMessage[] = [];
  const empty = NlriList.empty(Afi.ipv4);
  if (mp === undefined) {
    const list = toList(nlri, Afi.ipv4, ctx.addPath.has(ipv4Unicast));
    if (list.count === 0) return [];
    for (const part of splitNlri(list, roomFor(attributesLength(attributes, ctx), maxLength))) {
      messages.push({ type: 'update', withdrawn: empty, attributes, nlri: part, attrKey, faults: [] });
    }
    return messages;
  }
  if (!isParsedFamily(mp.afi, mp.safi)) throw new RangeError(`no NLRI encoding for AFI ${mp.afi} SAFI ${mp.safi}`);
  const list = toList(nlri, mp.afi, ctx.addPath.has(familyKey(mp.afi, mp.safi)));
  if (list.count === 0) return [];
  // MP_REACH_NLRI with no NLRI: its header (extended length assumed) and fixed fields.
  const emptyMp: PathAttributes = { ...attributes, mpReach: { ...mp, nlri: NlriList.empty(mp.afi, list.hasPathId) } };
  const fixed = attributesLength(emptyMp, ctx) + 1;
  for (const part of splitNlri(list, roomFor(fixed, maxLength))) {
    messages.push({ type: 'update', withdrawn: empty, attributes: { ...attributes, mpReach: { ...mp, nlri: part } }, nlri: empty, attrKey, faults: [] });
  }
  return messages;
}

/**
 * Withdraws `nlri` of a family in as few UPDATEs as fit in `maxLength` each: the
 * Withdrawn Routes field for IPv4 unicast, MP_UNREACH_NLRI for the others.
 */
export function packWithdrawals(afi: Afi, safi: number, nlri: NlriList | readonly (Nlri | Prefix)[], ctx: CodecContext, maxLength = messageLimit(ctx)): UpdateMessage[] {
  const list = toList(nlri, afi, ctx.addPath.has(familyKey(afi, safi)));
  if (list.count === 0) return [];
  const messages: UpdateMessage[] = [];
  if (afi === Afi.ipv4 && safi === 1) {
    for (const part of splitNlri(list, roomFor(0, maxLength))) messages.push(makeUpdate({ withdrawn: part }));
    return messages;
  }
  if (!isParsedFamily(afi, safi)) throw new RangeError(`no NLRI encoding for AFI ${afi} SAFI ${safi}`);
  // MP_UNREACH_NLRI header with extended length, AFI and SAFI.
  for (const part of splitNlri(list, roomFor(4 + 3, maxLength))) messages.push(makeUpdate({ attributes: { mpUnreach: { afi, safi, withdrawn: part } } }));
  return messages;
}
