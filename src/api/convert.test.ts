// Conversions between tsbgp's types and the apipb messages: round trips both ways,
// byte equality with what gobgpd sends, and errors that name the field.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Afi, parseAddress, parsePrefix } from '../lib/address.js';
import { NlriList } from '../wire/nlri.js';
import { Writer } from '../wire/writer.js';
import { as4Context, familyKey } from '../wire/context.js';
import { encodeAttributes } from '../wire/attributes/table.js';
import { pathAttributesArb, prefixArb } from '../wire/update-arbitraries.js';
import { AsSegmentType, Origin, type PathAttributes } from '../wire/attributes/types.js';
import type { Capability } from '../wire/capability-types.js';
import { ApiError, type RouteView } from './backend.js';
import {
  attributesFromAny,
  attributesToAny,
  attributesToWire,
  capabilityToAny,
  familyFromGlobal,
  familyToGlobal,
  packAny,
  pathToRouteInput,
  prefixFromAny,
  prefixToAny,
  routeToPath,
  typeUrlPrefix,
  unpackAny,
} from './convert.js';
import { capabilities, ipv4Route, ipv6Route } from './fixtures/gobgpd-any.js';
import type { AnyMessage } from './apipb.js';

const ipv4Unicast = familyKey(Afi.ipv4, 1);
const ipv6Unicast = familyKey(Afi.ipv6, 1);

function withoutPartial(a: PathAttributes): PathAttributes {
  const { partial: _p, ...rest } = a;
  return rest;
}

function hexOf(any: AnyMessage): [string, string] {
  return [any.type_url.slice(typeUrlPrefix.length + 'apipb.'.length), Buffer.from(any.value).toString('hex')];
}

function anyOf(name: string, hex: string): AnyMessage {
  return { type_url: `${typeUrlPrefix}apipb.${name}`, value: Buffer.from(hex, 'hex') };
}

test('path attributes survive attributesToAny then attributesFromAny', () => {
  fc.assert(
    fc.property(pathAttributesArb(as4Context), (attrs) => {
      const expected = withoutPartial(attrs);
      assert.deepStrictEqual(attributesFromAny(attributesToAny(attrs), 'pattrs'), expected);
    }),
    { numRuns: 300 },
  );
});

test('Any attribute lists survive attributesFromAny then attributesToAny', () => {
  fc.assert(
    fc.property(pathAttributesArb(as4Context), (attrs) => {
      const anys = attributesToAny(attrs);
      const again = attributesToAny(attributesFromAny(anys, 'pattrs'));
      assert.deepStrictEqual(again.map(hexOf), anys.map(hexOf));
    }),
    { numRuns: 200 },
  );
});

test('prefixes survive IPAddressPrefix both ways', () => {
  fc.assert(
    fc.property(fc.oneof(prefixArb(Afi.ipv4), prefixArb(Afi.ipv6)), (prefix) => {
      assert.deepStrictEqual(prefixFromAny(prefixToAny(prefix), 'nlri'), prefix);
    }),
    { numRuns: 300 },
  );
});

test('attributes encode to the bytes gobgpd sends (IPv4 route)', () => {
  const attrs: PathAttributes = {
    origin: Origin.incomplete,
    asPath: [{ type: AsSegmentType.sequence, asns: [65001, 65002] }],
    nextHop: parseAddress('192.0.2.1'),
    med: 10,
    localPref: 200,
    aggregator: { asn: 65001, address: parseAddress('192.0.2.9') },
    communities: [65000 * 0x10000 + 1, 0xffffff01],
    largeCommunities: [[1, 2, 3]],
  };
  const [nlri, ...pattrs] = ipv4Route;
  assert.deepEqual(hexOf(prefixToAny(parsePrefix('10.9.0.0/24'))), nlri);
  assert.deepEqual(attributesToAny(attrs).map(hexOf), pattrs);
  // And gobgpd's bytes read back to the same attributes.
  assert.deepStrictEqual(attributesFromAny(pattrs.map(([n, h]) => anyOf(n, h)), 'pattrs'), attrs);
});

test('an IPv6 route becomes MP_REACH_NLRI with the next hop and NLRI, as gobgpd sends it', () => {
  const route: RouteView = {
    family: ipv6Unicast,
    prefix: parsePrefix('2001:db8::/32'),
    pathId: 0,
    attributes: { origin: Origin.igp },
    nextHop: parseAddress('2001:db8::1'),
    source: { address: 'local', peerAs: 64512, routerId: '172.17.0.1', isEbgp: false },
    receivedAtMs: 1_564_212_737_000,
    isBest: true,
    isMultipath: false,
  };
  const path = routeToPath(route);
  assert.deepEqual([hexOf(path.nlri!), ...path.pattrs!.map(hexOf)], ipv6Route);
  assert.deepEqual(path.family, { afi: 2, safi: 1 });
  assert.deepEqual(path.age, { seconds: 1_564_212_737, nanos: 0 });
  assert.equal(path.neighbor_ip, '');
  const back = pathToRouteInput(path, 'path');
  assert.deepStrictEqual(back.nextHop, route.nextHop);
  assert.deepStrictEqual(back.prefix, route.prefix);
  assert.deepStrictEqual(back.attributes, { origin: Origin.igp });
  assert.equal(back.family, ipv6Unicast);
});

test('an IPv4 route carries NEXT_HOP, the flags and the source', () => {
  const route: RouteView = {
    family: ipv4Unicast,
    prefix: parsePrefix('172.17.254.1/32'),
    pathId: 7,
    attributes: { origin: Origin.incomplete, asPath: [{ type: AsSegmentType.sequence, asns: [64522] }] },
    nextHop: parseAddress('172.17.0.21'),
    source: { address: '172.17.0.21', peerAs: 64522, routerId: '172.17.0.21', isEbgp: true },
    receivedAtMs: 1500,
    isBest: false,
    isMultipath: true,
    isStale: true,
  };
  const path = routeToPath(route, { isWithdraw: true, isNlriBinary: true, isAttributeBinary: true });
  assert.deepEqual(path.pattrs!.map((a) => hexOf(a)[0]), ['OriginAttribute', 'AsPathAttribute', 'NextHopAttribute']);
  assert.equal(path.best, false);
  assert.equal(path.multipath, true);
  assert.equal(path.stale, true);
  assert.equal(path.is_withdraw, true);
  assert.equal(path.identifier, 7);
  assert.equal(path.neighbor_ip, '172.17.0.21');
  assert.equal(path.source_asn, 64522);
  assert.equal(path.is_from_external, true);
  assert.deepEqual(path.age, { seconds: 1, nanos: 500_000_000 });
  // RFC 4271 4.3: prefix length 32 then four octets.
  assert.equal(Buffer.from(path.nlri_binary!).toString('hex'), '20ac11fe01');
  // ORIGIN (flags 0x40, type 1, length 1, INCOMPLETE), AS_PATH, NEXT_HOP.
  assert.deepEqual(path.pattrs_binary!.map((b) => Buffer.from(b).toString('hex')), ['40010102', '4002060201' + '0000fc0a', '400304ac110015']);
});

test('attributesToWire splits the encoded section into single attributes', () => {
  fc.assert(
    fc.property(pathAttributesArb(as4Context), (attrs) => {
      const w = new Writer();
      encodeAttributes(attrs, w, as4Context);
      const parts = attributesToWire(attrs);
      assert.deepStrictEqual(Buffer.concat(parts), Buffer.from(w.finish()));
    }),
    { numRuns: 200 },
  );
});

test('capabilities encode to the bytes gobgpd sends', () => {
  const caps: Capability[] = [
    { kind: 'multiprotocol', afi: 1, safi: 1 },
    { kind: 'four-octet-as', asn: 64522 },
    { kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
    { kind: 'fqdn', hostname: 'vm', domain: '' },
    { kind: 'route-refresh' },
  ];
  assert.deepEqual(caps.map((c) => hexOf(capabilityToAny(c))), capabilities);
});

test('every capability kind packs to a message the API declares', () => {
  const caps: Capability[] = [
    { kind: 'route-refresh-old' },
    { kind: 'enhanced-route-refresh' },
    { kind: 'extended-message' },
    { kind: 'graceful-restart', isRestarting: true, isNotificationSupported: false, restartTimeSec: 120, families: [{ afi: 1, safi: 1, isForwardingPreserved: true }] },
    { kind: 'long-lived-graceful-restart', families: [{ afi: 2, safi: 1, isForwardingPreserved: false, staleTimeSec: 3600 }] },
    { kind: 'add-path', families: [{ afi: 1, safi: 1, mode: 3 }] },
    { kind: 'role', role: 2 },
    { kind: 'unknown', code: 200, value: Uint8Array.of(1, 2) },
  ];
  const names = caps.map((c) => unpackAny(capabilityToAny(c), 'cap').name);
  assert.deepEqual(names, [
    'RouteRefreshCiscoCapability',
    'EnhancedRouteRefreshCapability',
    'UnknownCapability',
    'GracefulRestartCapability',
    'LongLivedGracefulRestartCapability',
    'AddPathCapability',
    'UnknownCapability',
    'UnknownCapability',
  ]);
  const gr = unpackAny(capabilityToAny(caps[3]!), 'cap').value;
  assert.equal(gr['flags'], 0x08);
  assert.equal(gr['time'], 120);
});

test('extended communities keep their 8 octets through the typed messages', () => {
  const communities = ['0002fde800000064', '4002fde800000064', '010bc000020900c8', '020200010f2c0001', '0300000000000001', '8006000000000000'].map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
  const anys = attributesToAny({ extCommunities: communities });
  const inner = unpackAny(anys[0], 'pattrs[0]').value['communities'] as AnyMessage[];
  assert.deepEqual(
    inner.map((a) => hexOf(a)[0]),
    ['TwoOctetAsSpecificExtended', 'TwoOctetAsSpecificExtended', 'IPv4AddressSpecificExtended', 'FourOctetAsSpecificExtended', 'UnknownExtended', 'UnknownExtended'],
  );
  assert.deepStrictEqual(attributesFromAny(anys, 'pattrs').extCommunities, communities);
});

test('Global.families numbers families AFI << 16 | SAFI', () => {
  assert.equal(familyToGlobal(ipv4Unicast), 65537);
  assert.equal(familyFromGlobal(131073), ipv6Unicast);
});

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, `expected an ApiError, got ${String(e)}`);
    assert.equal(e.code, 'invalid-argument');
    return e.field;
  }
  assert.fail('expected an error');
}

test('malformed requests name the field at fault', () => {
  const nlri = prefixToAny(parsePrefix('10.0.0.0/8'));
  const origin = packAny('OriginAttribute', { origin: 0 });
  assert.equal(fieldOf(() => pathToRouteInput({ nlri, pattrs: [origin, packAny('NextHopAttribute', { next_hop: 'x.y' })] }, 'path')), 'path.pattrs[1].next_hop');
  assert.equal(fieldOf(() => pathToRouteInput({ nlri, pattrs: [origin] }, 'path')), 'path.pattrs');
  assert.equal(fieldOf(() => pathToRouteInput({ pattrs: [origin] }, 'path')), 'path.nlri');
  assert.equal(fieldOf(() => pathToRouteInput({ nlri: packAny('IPAddressPrefix', { prefix: '10.0.0.0', prefix_len: 33 }), pattrs: [] }, 'path')), 'path.nlri.prefix_len');
  assert.equal(fieldOf(() => attributesFromAny([packAny('OriginAttribute', { origin: 3 })], 'pattrs')), 'pattrs[0].origin');
  assert.equal(fieldOf(() => attributesFromAny([origin, origin], 'pattrs')), 'pattrs[1]');
  assert.equal(fieldOf(() => attributesFromAny([{ type_url: 'type.googleapis.com/apipb.Nope', value: new Uint8Array(0) }], 'pattrs')), 'pattrs[0]');
  assert.equal(fieldOf(() => attributesFromAny([{ type_url: `${typeUrlPrefix}apipb.OriginAttribute`, value: Uint8Array.of(0x08) }], 'pattrs')), 'pattrs[0]');
  const mp = packAny('MpReachNLRIAttribute', { family: { afi: 2, safi: 1 }, next_hops: ['2001:db8::1'], nlris: [nlri] });
  assert.equal(fieldOf(() => attributesFromAny([mp], 'pattrs')), 'pattrs[0].nlris[0]');
  assert.equal(fieldOf(() => pathToRouteInput({ nlri, family: { afi: 2, safi: 1 }, pattrs: [origin, packAny('NextHopAttribute', { next_hop: '192.0.2.1' })] }, 'path')), 'path.family');
});

test('MP_REACH_NLRI read from the API keeps a link-local next hop and its prefixes', () => {
  const p = parsePrefix('2001:db8:1::/48');
  const mp = packAny('MpReachNLRIAttribute', { family: { afi: 2, safi: 1 }, next_hops: ['2001:db8::1', 'fe80::1'], nlris: [prefixToAny(p)] });
  const attrs = attributesFromAny([mp], 'pattrs');
  assert.deepStrictEqual(attrs.mpReach, { afi: 2, safi: 1, nextHop: parseAddress('2001:db8::1'), linkLocalNextHop: parseAddress('fe80::1'), nlri: NlriList.from([p], Afi.ipv6) });
  const route = pathToRouteInput({ nlri: prefixToAny(p), family: { afi: 2, safi: 1 }, pattrs: [mp] }, 'path');
  assert.deepStrictEqual(route.linkLocalNextHop, parseAddress('fe80::1'));
});
