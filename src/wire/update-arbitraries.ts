// fast-check arbitraries for PathAttributes and UpdateMessage (test support). They
// produce what a decoder can give back exactly: non-empty segments of at most 255 AS
// numbers, confederation segments only in front (RFC 5065 5.3) and, for 2-octet
// sessions, holding 2-octet AS numbers only (AS4_PATH cannot carry them, RFC 6793 3),
// unknown attributes sorted by a type code no row owns, and sizes that fit in 4096.

import fc from 'fast-check';
import { Afi, maskAddress, type Prefix } from '../lib/address.js';
import { familyKey, type CodecContext } from './context.js';
import { NlriList, type Nlri } from './nlri.js';
import { makeUpdate, type UpdateMessage } from './update.js';
import { AsSegmentType, AttrFlag, AttrType, asTrans, type Aggregator, type AsPathSegment, type LargeCommunity, type MpReach, type MpUnreach, type Origin, type PathAttributes, type UnknownAttribute } from './attributes/types.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const asn = fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0x10000, max: 0xffffffff }), fc.constant(asTrans));
const twoOctetAsn = fc.integer({ min: 0, max: 0xffff });
const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });

/** A prefix of `afi` with its host bits clear. */
export function prefixArb(afi: Afi): fc.Arbitrary<Prefix> {
  const width = afi === Afi.ipv4 ? 4 : 16;
  return fc.tuple(fc.integer({ min: 0, max: width * 8 }), bytes(width)).map(([length, addr]) => ({ afi, length, addr: maskAddress(addr, length) }));
}

// fc.record builds objects without a prototype; the decoder's have Object's, and
// deepStrictEqual compares prototypes: records are copied into plain objects.

/** A packed NLRI list of the family, with path identifiers if `ctx` has ADD-PATH for it. */
export function nlriListArb(afi: Afi, safi: number, ctx: CodecContext, maxLength = 8): fc.Arbitrary<NlriList> {
  const hasPathId = ctx.addPath.has(familyKey(afi, safi));
  const entry: fc.Arbitrary<Nlri> = fc.record({ prefix: prefixArb(afi), pathId: hasPathId ? u32 : fc.constant(0) });
  return fc.array(entry, { maxLength }).map((entries) => NlriList.from(entries, afi, hasPathId));
}

function segmentArb(types: readonly AsSegmentType[], asns: fc.Arbitrary<number>): fc.Arbitrary<AsPathSegment> {
  return fc.record({ type: fc.constantFrom(...types), asns: fc.array(asns, { minLength: 1, maxLength: 8 }) }).map((s) => ({ ...s }));
}

export function asPathArb(isAs4: boolean): fc.Arbitrary<AsPathSegment[]> {
  const confed = fc.array(segmentArb([AsSegmentType.confedSequence, AsSegmentType.confedSet], isAs4 ? asn : twoOctetAsn), { maxLength: 2 });
  const plain = fc.array(segmentArb([AsSegmentType.sequence, AsSegmentType.set], asn), { maxLength: 4 });
  return fc.tuple(confed, plain).map(([c, p]) => [...c, ...p]);
}

const knownTypes = new Set<number>(Object.values(AttrType));

const unknownArb: fc.Arbitrary<UnknownAttribute[]> = fc
  .uniqueArray(
    fc.record({
      flags: fc.constantFrom(AttrFlag.optional, AttrFlag.optional | AttrFlag.transitive, AttrFlag.optional | AttrFlag.transitive | AttrFlag.partial),
      typeCode: fc.integer({ min: 1, max: 255 }).filter((t) => !knownTypes.has(t)),
      value: fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 24 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 250, maxLength: 300 }) }),
    }),
    { selector: (u) => u.typeCode, maxLength: 3 },
  )
  .map((list) => list.map((u) => ({ ...u })).sort((a, b) => a.typeCode - b.typeCode));

function mpReachArb(ctx: CodecContext): fc.Arbitrary<MpReach> {
  return fc.tuple(fc.constantFrom(Afi.ipv4, Afi.ipv6), fc.constantFrom(1, 2), fc.boolean(), fc.boolean()).chain(([afi, safi, isV6NextHop, hasLinkLocal]) => {
    // IPv4 NLRI over an IPv6 next hop is RFC 8950.
    const globalLength = afi === Afi.ipv6 || isV6NextHop ? 16 : 4;
    return fc.tuple(bytes(globalLength), bytes(16), nlriListArb(afi, safi, ctx)).map(([nextHop, linkLocal, nlri]): MpReach =>
      globalLength === 16 && hasLinkLocal ? { afi, safi, nextHop, linkLocalNextHop: linkLocal, nlri } : { afi, safi, nextHop, nlri },
    );
  });
}

function mpUnreachArb(ctx: CodecContext): fc.Arbitrary<MpUnreach> {
  return fc.tuple(fc.constantFrom(Afi.ipv4, Afi.ipv6), fc.constantFrom(1, 2)).chain(([afi, safi]) => nlriListArb(afi, safi, ctx).map((withdrawn) => ({ afi, safi, withdrawn })));
}

/** Drops undefined fields so that the object equals what the decoder builds. */
function compact(attrs: Record<string, unknown>): PathAttributes {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) out[k] = v;
  return out as PathAttributes;
}

const partialCandidates = [AttrType.aggregator, AttrType.communities, AttrType.extCommunities, AttrType.largeCommunities] as const;
const partialField: Record<number, keyof PathAttributes> = {
  [AttrType.aggregator]: 'aggregator',
  [AttrType.communities]: 'communities',
  [AttrType.extCommunities]: 'extCommunities',
  [AttrType.largeCommunities]: 'largeCommunities',
};

function hasFourOctetAsn(path: readonly AsPathSegment[]): boolean {
  return path.some((s) => (s.type === AsSegmentType.sequence || s.type === AsSegmentType.set) && s.asns.some((a) => a > 0xffff));
}

/** Attributes that decode back to themselves under `ctx`. */
export function pathAttributesArb(ctx: CodecContext): fc.Arbitrary<PathAttributes> {
  const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
  return fc
    .record({
      origin: opt(fc.constantFrom<Origin>(0, 1, 2)),
      asPath: opt(asPathArb(ctx.isAs4)),
      nextHop: opt(bytes(4)),
      med: opt(u32),
      localPref: opt(u32),
      isAtomicAggregate: opt(fc.constant(true as const)),
      aggregator: opt(fc.record({ asn, address: bytes(4) }).map((a) => ({ ...a }))),
      communities: opt(fc.array(u32, { minLength: 1, maxLength: 10 })),
      originatorId: opt(bytes(4)),
      clusterList: opt(fc.array(bytes(4), { minLength: 1, maxLength: 4 })),
      mpReach: opt(mpReachArb(ctx)),
      mpUnreach: opt(mpUnreachArb(ctx)),
      extCommunities: opt(fc.array(bytes(8), { minLength: 1, maxLength: 4 })),
      largeCommunities: opt(fc.array(fc.tuple(u32, u32, u32) as fc.Arbitrary<LargeCommunity>, { minLength: 1, maxLength: 4 })),
      unknown: opt(unknownArb.filter((l) => l.length > 0)),
      partialPick: fc.subarray([...partialCandidates]),
    })
    .map(({ partialPick, ...fields }) => {
      let aggregator: Aggregator | undefined = fields.aggregator;
      // RFC 6793 4.2.3: an AGGREGATOR of a 2-octet AS other than AS_TRANS makes the
      // receiver ignore AS4_PATH; such a pair cannot come back unchanged.
      if (!ctx.isAs4 && aggregator !== undefined && aggregator.asn <= 0xffff && aggregator.asn !== asTrans && fields.asPath !== undefined && hasFourOctetAsn(fields.asPath)) {
        aggregator = { ...aggregator, asn: aggregator.asn + 0x10000 };
      }
      const partial = partialPick.filter((t) => (t === AttrType.aggregator ? aggregator : fields[partialField[t] as keyof typeof fields]) !== undefined);
      return compact({ ...fields, aggregator, partial: partial.length > 0 ? partial : undefined });
    });
}

/** UPDATEs (built with makeUpdate) whose encoding under `ctx` decodes back to them. */
export function updateMessageArb(ctx: CodecContext): fc.Arbitrary<UpdateMessage> {
  return fc
    .record({
      withdrawn: nlriListArb(Afi.ipv4, 1, ctx),
      attributes: pathAttributesArb(ctx),
      nlri: nlriListArb(Afi.ipv4, 1, ctx),
    })
    .map((parts) => makeUpdate(parts));
}
