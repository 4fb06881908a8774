// UPDATE codec: real bytes from gobgpd, BIRD and FRR decoded to what the daemons were
// told to send and encoded back; End-of-RIB; attrKey; packing into several messages;
// the size limit; attributes prepared for sending.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader } from './reader.js';
import { headerLength } from './header.js';
import { familyKey, type CodecContext } from './context.js';
import { NlriList } from './nlri.js';
import { formatAddress, formatPrefix, parseAddress, parsePrefix, Afi } from '../lib/address.js';
import { decodeUpdate, encodeUpdate, endOfRib, endOfRibFamily, makeUpdate, packUpdates, packWithdrawals, prepareForSending, type UpdateMessage } from './update.js';
import { AttrType, type PathAttributes } from './attributes/types.js';
import { gobgpAs4, gobgpAs2, gobgpAddPath } from './fixtures/update-gobgp.js';
import { birdAs4, birdAs2 } from './fixtures/update-bird.js';
import { frrAs4, frrAs2 } from './fixtures/update-frr.js';

const as4: CodecContext = { isAs4: true, addPath: new Set(), isExtendedMessage: false };
const as2: CodecContext = { isAs4: false, addPath: new Set(), isExtendedMessage: false };
const addPath: CodecContext = { isAs4: true, addPath: new Set([familyKey(1, 1), familyKey(2, 1)]), isExtendedMessage: false };

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

function decodeHex(h: string, ctx: CodecContext): UpdateMessage {
  const bytes = unhex(h);
  return decodeUpdate(new Reader(bytes, headerLength, bytes.length), ctx);
}

const prefixes = (list: NlriList): string[] => [...list].map((n) => formatPrefix(n.prefix) + (n.pathId === 0 ? '' : `#${n.pathId}`));

/**
 * The message as we lay it out: MP attributes first then ascending type codes, Extended
 * Length only past 255 octets. For daemons that order or flag differently, our
 * encoding must equal this and nothing else may differ.
 */
function ourLayout(h: string): string {
  const b = unhex(h);
  const r = new Reader(b, headerLength, b.length);
  const withdrawn = r.bytes(r.u16());
  const section = new Reader(r.bytes(r.u16()));
  const nlri = r.rest();
  const attrs: { flags: number; type: number; value: Uint8Array }[] = [];
  while (!section.isEmpty) {
    const flags = section.u8();
    const type = section.u8();
    const len = (flags & 0x10) !== 0 ? section.u16() : section.u8();
    attrs.push({ flags: flags & 0xe0, type, value: section.bytes(len) });
  }
  const rank = (t: number): number => (t === AttrType.mpReach || t === AttrType.mpUnreach ? t - 100 : t);
  attrs.sort((a, b) => rank(a.type) - rank(b.type));
  const parts: number[] = [];
  for (const a of attrs) {
    if (a.value.length > 255) parts.push(a.flags | 0x10, a.type, a.value.length >> 8, a.value.length & 0xff, ...a.value);
    else parts.push(a.flags, a.type, a.value.length, ...a.value);
  }
  const body = [withdrawn.length >> 8, withdrawn.length & 0xff, ...withdrawn, parts.length >> 8, parts.length & 0xff, ...parts, ...nlri];
  const length = headerLength + body.length;
  return hex(Uint8Array.from([...new Array<number>(16).fill(0xff), length >> 8, length & 0xff, 2, ...body]));
}

/** Fixtures whose layout is already ours: re-encoding gives the very same bytes. */
const sameBytes = new Set([
  'gobgp.scenario',
  'gobgp.withdraw',
  'gobgp.ipv6Withdraw',
  'bird.attributes',
  'bird.scenario',
  'bird.endOfRibIpv4',
  'bird.endOfRibIpv6',
  'bird.withdraw',
  'frr.withdraw',
]);

const fixtureSets: [string, string, Readonly<Record<string, string>>, CodecContext][] = [
  ['gobgp', 'As4', gobgpAs4, as4],
  ['gobgp', 'As2', gobgpAs2, as2],
  ['gobgp', 'AddPath', gobgpAddPath, addPath],
  ['bird', 'As4', birdAs4, as4],
  ['bird', 'As2', birdAs2, as2],
  ['frr', 'As4', frrAs4, as4],
  ['frr', 'As2', frrAs2, as2],
];

for (const [daemon, variant, set, ctx] of fixtureSets) {
  test(`${daemon}${variant} fixtures decode without fault and encode back`, () => {
    for (const [name, h] of Object.entries(set)) {
      const msg = decodeHex(h, ctx);
      assert.deepStrictEqual(msg.faults, [], `${name}: ${msg.faults.map((f) => f.message).join('; ')}`);
      const again = hex(encodeUpdate(msg, ctx));
      if (sameBytes.has(`${daemon}.${name}`)) assert.equal(again, h, name);
      else assert.equal(again, ourLayout(h), name);
    }
  });
}

test('gobgpd: the scenario route, communities, a 4-octet path and IPv6', () => {
  for (const [set, ctx] of [[gobgpAs4, as4], [gobgpAs2, as2]] as const) {
    const scenario = decodeHex(set.scenario, ctx);
    assert.deepStrictEqual(prefixes(scenario.nlri), ['172.17.254.1/32']);
    assert.equal(scenario.attributes.origin, 2);
    assert.deepStrictEqual(scenario.attributes.asPath, [{ type: 2, asns: [65001] }]);
    assert.equal(formatAddress(scenario.attributes.nextHop!), '172.17.0.21');

    const communities = decodeHex(set.communities, ctx).attributes;
    assert.equal(communities.med, 100);
    assert.deepStrictEqual(communities.asPath, [{ type: 2, asns: [65001, 65010, 65020] }]);
    assert.deepStrictEqual(communities.communities, [65001 * 65536 + 100, 0xffffff01]);
    assert.deepStrictEqual(communities.largeCommunities, [[65001, 1, 2]]);

    // On the 2-octet session this came as AS_TRANS plus AS4_PATH / AS4_AGGREGATOR.
    const as4Path = decodeHex(set.as4Path, ctx);
    assert.deepStrictEqual(prefixes(as4Path.nlri), ['203.0.113.0/25']);
    assert.equal(as4Path.attributes.origin, 1);
    assert.deepStrictEqual(as4Path.attributes.asPath, [{ type: 2, asns: [65001, 4200000001, 65030] }]);
    assert.deepStrictEqual(as4Path.attributes.aggregator, { asn: 4200000002, address: parseAddress('192.0.2.1') });

    const ipv6 = decodeHex(set.ipv6, ctx);
    assert.equal(ipv6.nlri.count, 0);
    const mp = ipv6.attributes.mpReach!;
    assert.equal(mp.afi, Afi.ipv6);
    assert.equal(formatAddress(mp.nextHop), '2001:db8::21');
    assert.deepStrictEqual(prefixes(mp.nlri), ['2001:db8:100::/48']);

    assert.deepStrictEqual(prefixes(decodeHex(set.withdraw, ctx).withdrawn), ['172.17.254.1/32']);
    assert.deepStrictEqual(prefixes(decodeHex(set.ipv6Withdraw, ctx).attributes.mpUnreach!.withdrawn), ['2001:db8:100::/48']);
  }
});

test('gobgpd with ADD-PATH: path identifiers in the NLRI field and MP attributes', () => {
  assert.deepStrictEqual(prefixes(decodeHex(gobgpAddPath.communities, addPath).nlri), ['198.51.100.0/24#1']);
  assert.deepStrictEqual(prefixes(decodeHex(gobgpAddPath.secondPath, addPath).nlri), ['198.51.100.0/24#2']);
  assert.deepStrictEqual(prefixes(decodeHex(gobgpAddPath.ipv6, addPath).attributes.mpReach!.nlri), ['2001:db8:100::/48#1']);
  assert.deepStrictEqual(prefixes(decodeHex(gobgpAddPath.withdraw, addPath).withdrawn), ['172.17.254.1/32#1']);
  assert.deepStrictEqual(prefixes(decodeHex(gobgpAddPath.ipv6Withdraw, addPath).attributes.mpUnreach!.withdrawn), ['2001:db8:100::/48#1']);
});

test('BIRD: static routes with communities, End-of-RIB per family, withdrawals', () => {
  for (const [set, ctx] of [[birdAs4, as4], [birdAs2, as2]] as const) {
    const a = decodeHex(set.attributes, ctx);
    assert.deepStrictEqual(prefixes(a.nlri), ['192.0.2.0/24']);
    assert.deepStrictEqual(a.attributes.asPath, [{ type: 2, asns: [65002, 4200000003] }]);
    assert.equal(formatAddress(a.attributes.nextHop!), '172.17.0.22');
    assert.deepStrictEqual(a.attributes.communities, [65002 * 65536 + 10, 0xffffff01]);
    assert.deepStrictEqual(a.attributes.extCommunities, [unhex('0002fdea00000007')]);
    assert.deepStrictEqual(a.attributes.largeCommunities, [[65002, 0, 1]]);
    // The bgp_med of the static route is not sent to an eBGP peer.
    assert.equal(a.attributes.med, undefined);
    assert.equal(endOfRibFamily(a), undefined);

    assert.equal(endOfRibFamily(decodeHex(set.endOfRibIpv4, ctx)), familyKey(1, 1));
    assert.equal(endOfRibFamily(decodeHex(set.endOfRibIpv6, ctx)), familyKey(2, 1));
    const ipv6 = decodeHex(set.ipv6, ctx).attributes.mpReach!;
    assert.equal(formatAddress(ipv6.nextHop), '2001:db8::22');
    assert.deepStrictEqual(prefixes(ipv6.nlri), ['2001:db8:200::/48']);
    assert.deepStrictEqual(prefixes(decodeHex(set.withdraw, ctx).withdrawn), ['192.0.2.0/24', '172.17.254.2/32']);
  }
});

test('FRR: route-map communities, extended and large communities, aggregator', () => {
  for (const [set, ctx] of [[frrAs4, as4], [frrAs2, as2]] as const) {
    const a = decodeHex(set.attributes, ctx);
    assert.deepStrictEqual(prefixes(a.nlri), ['192.0.2.128/25']);
    assert.deepStrictEqual(a.attributes.asPath, [{ type: 2, asns: [65003, 4200000004] }]);
    assert.equal(a.attributes.med, 30);
    assert.equal(a.attributes.isAtomicAggregate, true);
    assert.deepStrictEqual(a.attributes.aggregator, { asn: 0xe3822448, address: parseAddress('192.0.2.5') });
    assert.deepStrictEqual(a.attributes.communities, [65003 * 65536 + 30, 65003 * 65536 + 31]);
    assert.deepStrictEqual(a.attributes.extCommunities, [unhex('0002fdeb00000009')]);
    assert.deepStrictEqual(a.attributes.largeCommunities, [[65003, 0, 3]]);
    const ipv6 = decodeHex(set.ipv6, ctx).attributes;
    assert.equal(formatAddress(ipv6.mpReach!.nextHop), '2001:db8::23');
    assert.deepStrictEqual(ipv6.largeCommunities, [[65003, 0, 6]]);
  }
});

test('a 4-octet route encoded for a 2-octet session matches what the daemons sent', () => {
  // BIRD lays attributes out as we do: the very same bytes.
  assert.equal(hex(encodeUpdate(decodeHex(birdAs4.attributes, as4), as2)), birdAs2.attributes);
  assert.equal(hex(encodeUpdate(decodeHex(gobgpAs4.as4Path, as4), as2)), ourLayout(gobgpAs2.as4Path));
  assert.equal(hex(encodeUpdate(decodeHex(frrAs4.attributes, as4), as2)), ourLayout(frrAs2.attributes));
});

test('attrKey is the attribute bytes without MP attributes, wherever they sit', () => {
  const section = (h: string): string => {
    const b = unhex(h);
    const r = new Reader(b, headerLength, b.length);
    r.skipBytes(r.u16());
    return hex(r.bytes(r.u16()));
  };
  // No MP attribute: the whole section.
  assert.equal(hex(decodeHex(gobgpAs4.communities, as4).attrKey), section(gobgpAs4.communities));
  // MP_REACH_NLRI first (BIRD, 32 octets with its 4-octet header) or last (gobgpd, 31).
  assert.equal(hex(decodeHex(birdAs4.ipv6, as4).attrKey), section(birdAs4.ipv6).slice(32 * 2));
  const gobgp = section(gobgpAs4.ipv6);
  assert.equal(hex(decodeHex(gobgpAs4.ipv6, as4).attrKey), gobgp.slice(0, gobgp.length - 31 * 2));
  // The same attributes from another message share the key; the MP next hop is not in it.
  const ours = makeUpdate({ attributes: decodeHex(birdAs4.ipv6, as4).attributes });
  assert.equal(hex(ours.attrKey), hex(decodeHex(hex(encodeUpdate(ours, as4)), as4).attrKey));
});

test('End-of-RIB markers encode as RFC 4724 2 says and are recognised', () => {
  assert.equal(hex(encodeUpdate(endOfRib(1, 1), as4)), birdAs4.endOfRibIpv4);
  assert.equal(hex(encodeUpdate(endOfRib(2, 1), as4)), birdAs4.endOfRibIpv6);
  for (const [afi, safi] of [[1, 1], [1, 2], [2, 1], [2, 2], [1, 128], [25, 70]] as const) {
    const marker = endOfRib(afi, safi);
    assert.equal(endOfRibFamily(marker), familyKey(afi, safi));
    assert.equal(endOfRibFamily(decodeHex(hex(encodeUpdate(marker, addPath)), addPath)), familyKey(afi, safi));
  }
  assert.equal(endOfRibFamily(decodeHex(gobgpAs4.ipv6Withdraw, as4)), undefined);
  assert.equal(endOfRibFamily(makeUpdate({ attributes: { origin: 0 } })), undefined);
});

test('IPv4 NLRI over an IPv6 next hop (RFC 8950) and a link-local next hop (RFC 2545)', () => {
  const attributes: PathAttributes = {
    origin: 0,
    asPath: [],
    mpReach: { afi: 1, safi: 1, nextHop: parseAddress('2001:db8::1'), linkLocalNextHop: parseAddress('fe80::1'), nlri: NlriList.from([parsePrefix('192.0.2.0/24')], Afi.ipv4) },
  };
  const bytes = encodeUpdate(makeUpdate({ attributes }), as4);
  // AFI 1, SAFI 1, next hop length 32.
  assert.equal(hex(bytes.subarray(headerLength + 7, headerLength + 11)), '00010120');
  const back = decodeHex(hex(bytes), as4);
  assert.deepStrictEqual(back.faults, []);
  assert.deepStrictEqual(back.attributes, attributes);
});

test('encodeUpdate refuses a message over the limit; Extended Message allows more', () => {
  const many = NlriList.from(Array.from({ length: 1500 }, (_, i) => parsePrefix(`10.${i >> 8}.${i & 0xff}.0/24`)), Afi.ipv4);
  const msg = makeUpdate({ attributes: { origin: 0, asPath: [], nextHop: parseAddress('192.0.2.1') }, nlri: many });
  assert.throws(() => encodeUpdate(msg, as4), RangeError);
  const bytes = encodeUpdate(msg, { ...as4, isExtendedMessage: true });
  assert.equal(decodeHex(hex(bytes), as4).nlri.count, 1500);
});

test('packUpdates splits IPv4 announcements into messages within the limit, in order', () => {
  const list = Array.from({ length: 3000 }, (_, i) => parsePrefix(`10.${i >> 8}.${i & 0xff}.0/24`));
  const attributes: PathAttributes = { origin: 0, asPath: [{ type: 2, asns: [65001, 4200000001] }], nextHop: parseAddress('192.0.2.1'), communities: [1, 2, 3] };
  for (const ctx of [as4, as2, addPath, { ...as4, isExtendedMessage: true }]) {
    const messages = packUpdates(attributes, list, ctx);
    const got: string[] = [];
    for (const m of messages) {
      const bytes = encodeUpdate(m, ctx);
      assert.ok(bytes.length <= (ctx.isExtendedMessage ? 65535 : 4096));
      const back = decodeHex(hex(bytes), ctx);
      assert.deepStrictEqual(back.faults, []);
      assert.deepStrictEqual(back.attributes, attributes);
      for (const n of back.nlri) got.push(formatPrefix(n.prefix));
    }
    assert.deepStrictEqual(got, list.map(formatPrefix));
    // Each message but the last is full: no room for one more /24 (4 octets, 8 with a path id).
    const perPrefix = ctx.addPath.has(familyKey(1, 1)) ? 8 : 4;
    for (const m of messages.slice(0, -1)) assert.ok(encodeUpdate(m, ctx).length + perPrefix > (ctx.isExtendedMessage ? 65535 : 4096));
  }
  assert.deepStrictEqual(packUpdates(attributes, [], as4), []);
});

test('packUpdates puts IPv6 routes in one MP_REACH_NLRI per message', () => {
  const list = Array.from({ length: 1200 }, (_, i) => parsePrefix(`2001:db8:${i.toString(16)}::/48`));
  const attributes: PathAttributes = { origin: 2, asPath: [{ type: 2, asns: [64522] }], mpReach: { afi: 2, safi: 1, nextHop: parseAddress('2001:db8::1'), nlri: NlriList.empty(Afi.ipv6) } };
  for (const ctx of [as4, addPath]) {
    const messages = packUpdates(attributes, list, ctx);
    assert.ok(messages.length > 1);
    const got: string[] = [];
    for (const m of messages) {
      const bytes = encodeUpdate(m, ctx);
      assert.ok(bytes.length <= 4096);
      const back = decodeHex(hex(bytes), ctx);
      assert.equal(formatAddress(back.attributes.mpReach!.nextHop), '2001:db8::1');
      for (const n of back.attributes.mpReach!.nlri) got.push(formatPrefix(n.prefix));
    }
    assert.deepStrictEqual(got, list.map(formatPrefix));
  }
});

test('packWithdrawals uses the Withdrawn Routes field for IPv4 unicast, MP_UNREACH_NLRI otherwise', () => {
  const v4 = Array.from({ length: 2000 }, (_, i) => parsePrefix(`10.${i >> 8}.${i & 0xff}.0/24`));
  const m4 = packWithdrawals(Afi.ipv4, 1, v4, as4);
  assert.ok(m4.length > 1);
  assert.deepStrictEqual(m4.flatMap((m) => prefixes(decodeHex(hex(encodeUpdate(m, as4)), as4).withdrawn)), v4.map(formatPrefix));
  const v6 = Array.from({ length: 500 }, (_, i) => ({ prefix: parsePrefix(`2001:db8:${i.toString(16)}::/48`), pathId: i + 1 }));
  const m6 = packWithdrawals(Afi.ipv6, 1, v6, addPath);
  const back = m6.flatMap((m) => prefixes(decodeHex(hex(encodeUpdate(m, addPath)), addPath).attributes.mpUnreach!.withdrawn));
  assert.deepStrictEqual(back, v6.map((n) => `${formatPrefix(n.prefix)}#${n.pathId}`));
});

test('packUpdates refuses attributes that leave no room for a prefix', () => {
  const attributes: PathAttributes = { origin: 0, asPath: [], nextHop: parseAddress('192.0.2.1'), communities: new Array<number>(1020).fill(1) };
  assert.throws(() => packUpdates(attributes, [parsePrefix('10.0.0.0/8')], as4), RangeError);
});

test('path identifiers follow the context, not the list', () => {
  const list = NlriList.from([{ prefix: parsePrefix('10.0.0.0/8'), pathId: 7 }], Afi.ipv4, true);
  const msg = makeUpdate({ attributes: { origin: 0, asPath: [], nextHop: parseAddress('192.0.2.1') }, nlri: list });
  assert.deepStrictEqual(prefixes(decodeHex(hex(encodeUpdate(msg, as4)), as4).nlri), ['10.0.0.0/8']);
  assert.deepStrictEqual(prefixes(decodeHex(hex(encodeUpdate(msg, addPath)), addPath).nlri), ['10.0.0.0/8#7']);
});

test('prepareForSending drops unknown non-transitive attributes and marks transitive ones Partial (RFC 4271 5)', () => {
  const attrs: PathAttributes = {
    origin: 0,
    unknown: [
      { flags: 0xc0, typeCode: 99, value: Uint8Array.of(1) },
      { flags: 0x80, typeCode: 40, value: Uint8Array.of(2) },
      { flags: 0xe0, typeCode: 41, value: Uint8Array.of(3) },
    ],
  };
  assert.deepStrictEqual(prepareForSending(attrs), {
    origin: 0,
    unknown: [
      { flags: 0xe0, typeCode: 99, value: Uint8Array.of(1) },
      { flags: 0xe0, typeCode: 41, value: Uint8Array.of(3) },
    ],
  });
  assert.deepStrictEqual(prepareForSending({ origin: 0, unknown: [{ flags: 0x80, typeCode: 40, value: Uint8Array.of(2) }] }), { origin: 0 });
  const plain: PathAttributes = { origin: 1 };
  assert.equal(prepareForSending(plain), plain);
});

test('unknown attributes and Partial bits are written back in type-code order', () => {
  const attrs: PathAttributes = { origin: 0, communities: [5], partial: [AttrType.communities], unknown: [{ flags: 0xe0, typeCode: 99, value: Uint8Array.of(1) }, { flags: 0xc0, typeCode: 4 + 16, value: new Uint8Array(300) }] };
  const bytes = encodeUpdate(makeUpdate({ attributes: attrs }), as4);
  const back = decodeHex(hex(bytes), as4);
  assert.deepStrictEqual(back.attributes.partial, [AttrType.communities]);
  assert.deepStrictEqual(back.attributes.unknown!.map((u) => [u.flags, u.typeCode, u.value.length]), [[0xc0, 20, 300], [0xe0, 99, 1]]);
  // COMMUNITIES went out with Optional, Transitive and Partial set.
  assert.equal(hex(bytes.subarray(headerLength + 8, headerLength + 10)), 'e008');
});

test('decoded values are copies, not views of a reused receive Buffer', () => {
  const buffer = Buffer.from(gobgpAs4.communities, 'hex');
  const msg = decodeUpdate(new Reader(buffer, headerLength, buffer.length), as4);
  const before = { key: hex(msg.attrKey), nextHop: hex(msg.attributes.nextHop!), nlri: prefixes(msg.nlri) };
  buffer.fill(0);
  assert.deepStrictEqual({ key: hex(msg.attrKey), nextHop: hex(msg.attributes.nextHop!), nlri: prefixes(msg.nlri) }, before);
  assert.ok(!(msg.attrKey instanceof Buffer));
});
