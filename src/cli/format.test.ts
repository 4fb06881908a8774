// The pieces of tsbgp's gobgp-style text and JSON, and the route arguments of
// `global rib add`, one by one (whole outputs are compared with gobgp's in
// compare.test.ts and monitor.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAddress, parsePrefix } from '../lib/address.js';
import { AsSegmentType, Origin } from '../wire/attributes/types.js';
import { attributesToAny, peerToApi, routeToPath } from '../api/convert.js';
import { fakePeer } from '../api/fake-backend.js';
import { formatAsPath, formatAttributes, formatCommunity, formatExtCommunity, formatRib, formatRouteEvent, formatTimedelta } from './format.js';
import { formatNeighborTable, sortPeers } from './format-peer.js';
import { apiMessageJson, pathJson } from './json.js';
import { attributeView, pathView } from './path-view.js';
import { parseAsPath, parseCommunities } from './commands/global.js';
import { UsageError } from './args.js';

test('formatTimedelta: HH:MM:SS, days in front past 24 hours', () => {
  assert.equal(formatTimedelta(1000, 1000), '00:00:00');
  assert.equal(formatTimedelta(1000, 1000 + 3723), '01:02:03');
  assert.equal(formatTimedelta(0, 3 * 86_400 + 9), '3d 00:00:09');
  assert.equal(formatTimedelta(10, 5), '-00:00:05');
});

test('AS paths: gobgp notation both ways (sequence, {set}, (confed sequence), [confed set])', () => {
  assert.equal(
    formatAsPath([
      { type: 3, asns: [1, 2] },
      { type: 4, asns: [3, 4] },
      { type: 2, asns: [5] },
      { type: 1, asns: [6, 7] },
    ]),
    '(1 2) [3,4] 5 {6,7}',
  );
  assert.deepEqual(parseAsPath('65001,65002,{65003,65004} 4200000001'), [
    { type: AsSegmentType.sequence, asns: [65001, 65002] },
    { type: AsSegmentType.set, asns: [65003, 65004] },
    { type: AsSegmentType.sequence, asns: [4_200_000_001] },
  ]);
  assert.throws(() => parseAsPath('65001,{65002'), UsageError);
  assert.throws(() => parseAsPath('65001,x'), /aspath: expected a number/);
  assert.throws(() => parseAsPath('4294967296'), UsageError);
  fc.assert(
    fc.property(fc.array(fc.record({ type: fc.constantFrom(AsSegmentType.sequence, AsSegmentType.set), asns: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 4 }) }), { maxLength: 4 }), (segments) => {
      // Adjacent sequences merge, as on the wire they would be one segment.
      const merged = segments.reduce<{ type: 1 | 2; asns: number[] }[]>((out, s) => {
        const last = out.at(-1);
        if (last !== undefined && last.type === AsSegmentType.sequence && s.type === AsSegmentType.sequence) last.asns.push(...s.asns);
        else out.push({ type: s.type, asns: [...s.asns] });
        return out;
      }, []);
      assert.deepEqual(parseAsPath(formatAsPath(segments)), merged);
    }),
    { numRuns: 200 },
  );
});

test('communities: AS:N and the well-known names, both ways', () => {
  assert.deepEqual(parseCommunities('65000:100,no-export,blackhole,internet,4294967295'), [0xfde80064, 0xffffff01, 0xffff029a, 0, 0xffffffff]);
  assert.equal(formatCommunity(0xffffff02), 'no-advertise');
  assert.equal(formatCommunity(0xffffff05), '65535:65285');
  assert.throws(() => parseCommunities('65000:70000'), /community: expected AS:N/);
  assert.throws(() => parseCommunities('no-such-name'), UsageError);
});

test('extended communities: AS and address forms, 4-octet AS in asdot, opaque ones as a number', () => {
  assert.equal(formatExtCommunity({ kind: 'two-octet-as', type: 0, subType: 2, asn: 65000, localAdmin: 100 }), '65000:100');
  assert.equal(formatExtCommunity({ kind: 'four-octet-as', type: 2, subType: 2, asn: 4_200_000_001, localAdmin: 1 }), '64086.59905:1');
  assert.equal(formatExtCommunity({ kind: 'ipv4-address', type: 1, subType: 3, address: '10.0.0.1', localAdmin: 7 }), '10.0.0.1:7');
  assert.equal(formatExtCommunity({ kind: 'opaque', type: 3, value: Uint8Array.of(0x0c, 0, 0, 0, 0, 0, 8) }), '3377699720527880');
});

const nextHop = parseAddress('192.0.2.1');
const route = {
  family: 0x0101,
  prefix: parsePrefix('10.1.0.0/24'),
  pathId: 0,
  attributes: { origin: Origin.igp, asPath: [{ type: AsSegmentType.sequence, asns: [65001] }], nextHop, med: 0, communities: [0xffffff01], unknown: [{ flags: 0xc0, typeCode: 17, value: Uint8Array.of(0) }] },
  nextHop,
  source: { address: '172.17.0.21', peerAs: 65001, routerId: '172.17.0.21', isEbgp: true },
  receivedAtMs: 1_564_212_737_000,
  isBest: true,
  isMultipath: false,
} as const;

test('a route from the API: the Attrs column leaves out AS_PATH, NEXT_HOP and AS4_PATH', () => {
  const view = pathView(routeToPath(route));
  assert.equal(formatAttributes(view), '[{Origin: i} {Med: 0} {Communities: no-export}]');
  assert.equal(formatRouteEvent(view, Date.parse('2019-07-27T07:32:17Z')), '2019-07-27T07:32:17Z [ROUTE] 10.1.0.0/24 via 192.0.2.1 aspath [65001] attrs [{Origin: i} {Med: 0} {Communities: no-export}]\n');
  const withdrawn = pathView(routeToPath({ ...route, attributes: {}, nextHop: new Uint8Array(0) }, { isWithdraw: true }));
  assert.equal(formatRouteEvent(withdrawn, Date.parse('2019-07-27T07:32:18Z')), '2019-07-27T07:32:18Z [DELROUTE] 10.1.0.0/24 via fictitious aspath [] attrs []\n');
  assert.equal(formatRib([], 'global', 0), 'Network not in table\n');
  const rib = formatRib([view, { ...view, isBest: false, isStale: true, prefix: '10.1.0.0/24' }], 'global', 1_564_212_737 + 62).split('\n');
  assert.equal(rib[0], '   Network              Next Hop             AS_PATH              Age        Attrs');
  assert.equal(rib[1], '*> 10.1.0.0/24          192.0.2.1            65001                00:01:02   [{Origin: i} {Med: 0} {Communities: no-export}]');
  assert.equal(rib[2], 'S* 10.1.0.0/24          192.0.2.1            65001                00:01:02   [{Origin: i} {Med: 0} {Communities: no-export}]');
});

test('an attribute of a type this CLI does not know is shown by name, not dropped', () => {
  const view = attributeView({ type_url: 'type.googleapis.com/apipb.PmsiTunnelAttribute', value: new Uint8Array(0) });
  assert.deepEqual(view, { code: 'other', typeName: 'PmsiTunnelAttribute' });
  const [origin] = attributesToAny({ origin: Origin.egp });
  assert.deepEqual(attributeView(origin!), { code: 1, origin: Origin.egp });
});

test('JSON: gobgp path form; API messages without defaults, in .proto order', () => {
  const json = pathJson(pathView(routeToPath(route)));
  assert.deepEqual(json, {
    nlri: { prefix: '10.1.0.0/24' },
    age: 1_564_212_737,
    best: true,
    attrs: [
      { type: 1, value: 0 },
      { type: 2, as_paths: [{ segment_type: 2, num: 1, asns: [65001] }] },
      { type: 3, nexthop: '192.0.2.1' },
      { type: 4, metric: 0 },
      { type: 8, communities: [0xffffff01] },
      { flags: 0xc0, type: 17, value: 'AA==' },
    ],
    stale: false,
    'source-id': '172.17.0.21',
    'neighbor-ip': '172.17.0.21',
  });
  const peer = apiMessageJson(peerToApi(fakePeer({ address: '192.0.2.9', peerAs: 65009, localAs: 64512 })), 'apipb.Peer') as Record<string, unknown>;
  assert.deepEqual(Object.keys(peer).slice(0, 4), ['apply_policy', 'conf', 'ebgp_multihop', 'route_reflector']);
  assert.deepEqual(peer['conf'], { local_asn: 64512, neighbor_address: '192.0.2.9', peer_asn: 65009, type: 1 });
  assert.equal(JSON.stringify(apiMessageJson({ listen_addresses: [], asn: 1, router_id: '' }, 'apipb.Global')), '{"asn":1}');
});

test('the neighbor table sorts by address, IPv4 first, and marks an unknown AS with "*"', () => {
  const peers = ['2001:db8::1', '10.0.0.10', '10.0.0.9'].map((address) => peerToApi(fakePeer({ address, peerAs: address === '10.0.0.9' ? 0 : 65001, localAs: 64512 })));
  assert.deepEqual(
    sortPeers(peers).map((p) => p.conf?.neighbor_address),
    ['10.0.0.9', '10.0.0.10', '2001:db8::1'],
  );
  assert.equal(
    formatNeighborTable(peers, 0),
    'Peer           AS Up/Down State       |#Received  Accepted\n' +
      '10.0.0.9        *   never Idle        |        0         0\n' +
      '10.0.0.10   65001   never Idle        |        0         0\n' +
      '2001:db8::1 65001   never Idle        |        0         0\n',
  );
});
