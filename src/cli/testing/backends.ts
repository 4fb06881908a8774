// Fake daemons for the CLI tests: the scenario's router (src/api/fake-backend.ts) plus
// peers in every state and routes carrying every attribute the API converts, so both
// `gobgp` and `tsbgp` have something to print in each format.

import { parseAddress, parsePrefix } from '../../lib/address.js';
import { familyKey } from '../../wire/context.js';
import { AsSegmentType, Origin, WellKnownCommunity, type PathAttributes } from '../../wire/attributes/types.js';
import { fakePeer, scenarioBackend, zeroCounters, type FakeBackend } from '../../api/fake-backend.js';
import type { RouteView } from '../../api/backend.js';

const ipv4 = familyKey(1, 1);
const ipv6 = familyKey(2, 1);

function route(fields: Omit<RouteView, 'family' | 'prefix' | 'pathId' | 'isBest' | 'isMultipath' | 'nextHop'> & { prefix: string; nextHop: string; isBest?: boolean; pathId?: number }): RouteView {
  const prefix = parsePrefix(fields.prefix);
  const { prefix: _p, nextHop, isBest, pathId, ...rest } = fields;
  return { ...rest, family: prefix.afi === 1 ? ipv4 : ipv6, prefix, nextHop: parseAddress(nextHop), pathId: pathId ?? 0, isBest: isBest ?? true, isMultipath: false };
}

/** Routes of this speaker carry its own router ID; an IPv6 peer's is 10.0.0.9. */
const source = (address: string, peerAs: number, isEbgp = true): RouteView['source'] => ({
  address,
  peerAs,
  routerId: address === 'local' ? '172.17.0.1' : address.includes(':') ? '10.0.0.9' : address,
  isEbgp,
});

/**
 * The scenario (three Established peers, 172.17.254.1/32 from each) and more: peers Idle
 * and never up, administratively down, Active after a session, iBGP with a 4-octet AS,
 * and an IPv6 peer with every capability kind; routes with every attribute, an IPv6
 * table, and an Adj-RIB-Out. Times are relative to `nowMs`.
 */
export function richBackend(nowMs: number): FakeBackend {
  const b = scenarioBackend(nowMs);
  b.global = { ...b.global!, families: [ipv4, ipv6] };
  b.peers.set('172.17.0.30', fakePeer({ address: '172.17.0.30', peerAs: 64530, localAs: 64512, description: 'spare node' }));
  b.peers.set('172.17.0.31', fakePeer({ address: '172.17.0.31', peerAs: 64531, localAs: 64512, isAdminDown: true, state: 'Idle', upSinceMs: nowMs - 90_061_000, downSinceMs: nowMs - 3_723_000, flops: 2 }));
  b.peers.set(
    '172.17.0.32',
    fakePeer({ address: '172.17.0.32', peerAs: 4_200_000_001, localAs: 64512, state: 'Active', upSinceMs: nowMs - 200_000_000, downSinceMs: nowMs - 5_000, flops: 1, holdTimeSec: 30, keepaliveSec: 10 }),
  );
  b.peers.set(
    '172.17.0.40',
    fakePeer({
      address: '172.17.0.40',
      peerAs: 64512,
      localAs: 64512,
      isEbgp: false,
      state: 'Established',
      session: { address: '172.17.0.40', peerAs: 64512, localAs: 64512, routerId: parseAddress('10.0.0.40'), isEbgp: false, families: new Set([ipv4]), addPathRx: new Set() },
      upSinceMs: nowMs - 86_400_000 * 3 - 7_000,
      received: { ...zeroCounters, open: 1, update: 7, keepalive: 9000, notification: 1, routeRefresh: 2, discarded: 1, total: 9012 },
      sent: { ...zeroCounters, open: 1, update: 3, keepalive: 9001, routeRefresh: 1, total: 9006 },
      outQueue: 3,
      negotiatedHoldTimeSec: 180,
      negotiatedKeepaliveSec: 60,
      holdTimeSec: 180,
      keepaliveSec: 60,
      families: [{ family: ipv4, isEnabled: true, received: 4, accepted: 3, advertised: 2 }],
      localCapabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'route-refresh' }, { kind: 'four-octet-as', asn: 64512 }],
      remoteCapabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'route-refresh' }, { kind: 'route-refresh-old' }, { kind: 'four-octet-as', asn: 64512 }],
    }),
  );
  b.peers.set(
    '2001:db8::2',
    fakePeer({
      address: '2001:db8::2',
      peerAs: 65002,
      localAs: 64512,
      state: 'Established',
      session: { address: '2001:db8::2', peerAs: 65002, localAs: 64512, routerId: parseAddress('10.0.0.9'), isEbgp: true, families: new Set([ipv4, ipv6]), addPathRx: new Set([ipv6]) },
      upSinceMs: nowMs - 125_000,
      families: [
        { family: ipv4, isEnabled: true, received: 0, accepted: 0, advertised: 1 },
        { family: ipv6, isEnabled: true, received: 2, accepted: 1, advertised: 0, isAddPathReceive: true },
      ],
      localCapabilities: [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'multiprotocol', afi: 2, safi: 1 },
        { kind: 'route-refresh' },
        // At most 12 capabilities in all: gobgp's sort of them is stable only up to 12.
        { kind: 'enhanced-route-refresh' },
        { kind: 'graceful-restart', isRestarting: false, isNotificationSupported: true, restartTimeSec: 120, families: [{ afi: 1, safi: 1, isForwardingPreserved: true }, { afi: 2, safi: 1, isForwardingPreserved: false }] },
        { kind: 'four-octet-as', asn: 64512 },
        { kind: 'add-path', families: [{ afi: 2, safi: 1, mode: 3 }] },
        { kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
        { kind: 'fqdn', hostname: 'rt-01', domain: 'lab' },
      ],
      remoteCapabilities: [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'multiprotocol', afi: 2, safi: 1 },
        { kind: 'route-refresh' },
        { kind: 'graceful-restart', isRestarting: true, isNotificationSupported: false, restartTimeSec: 90, families: [{ afi: 2, safi: 1, isForwardingPreserved: true }] },
        { kind: 'long-lived-graceful-restart', families: [{ afi: 2, safi: 1, isForwardingPreserved: true, staleTimeSec: 3600 }] },
        { kind: 'four-octet-as', asn: 65002 },
        { kind: 'add-path', families: [{ afi: 2, safi: 1, mode: 2 }] },
        { kind: 'role', role: 2 },
        { kind: 'unknown', code: 200, value: Uint8Array.of(1, 2) },
      ],
    }),
  );
  const rich: PathAttributes = {
    origin: Origin.igp,
    asPath: [
      { type: AsSegmentType.sequence, asns: [64512, 4_200_000_001, 65000] },
      { type: AsSegmentType.set, asns: [65100, 65101] },
    ],
    nextHop: parseAddress('172.17.0.40'),
    med: 50,
    localPref: 200,
    isAtomicAggregate: true,
    aggregator: { asn: 65000, address: parseAddress('10.0.0.1') },
    communities: [(64512 << 16) + 100, WellKnownCommunity.noExport, WellKnownCommunity.blackhole],
    originatorId: parseAddress('10.0.0.40'),
    clusterList: [parseAddress('10.0.0.1'), parseAddress('10.0.0.2')],
    extCommunities: [Uint8Array.of(0x00, 0x02, 0xfd, 0xe8, 0, 0, 0, 100), Uint8Array.of(0x01, 0x03, 10, 0, 0, 1, 0, 7), Uint8Array.of(0x02, 0x02, 0, 0x01, 0x00, 0x00, 0, 5), Uint8Array.of(0x43, 0x00, 0, 0, 0, 0, 0, 0)],
    largeCommunities: [[64512, 1, 2]],
    unknown: [{ flags: 0xc0, typeCode: 99, value: Uint8Array.of(0xde, 0xad) }],
  };
  b.routes.push(
    route({ prefix: '10.20.0.0/16', nextHop: '172.17.0.40', attributes: rich, source: source('172.17.0.40', 64512, false), receivedAtMs: nowMs - 7_200_000 }),
    route({
      prefix: '10.20.0.0/16',
      nextHop: '172.17.0.40',
      attributes: { origin: Origin.egp, asPath: [{ type: AsSegmentType.sequence, asns: [64512, 65000] }], nextHop: parseAddress('172.17.0.40'), med: 10 },
      source: source('172.17.0.40', 64512, false),
      receivedAtMs: nowMs - 7_000,
      isBest: false,
      isFiltered: true,
    }),
    route({
      prefix: '192.168.100.0/24',
      nextHop: '172.17.0.40',
      attributes: { origin: Origin.igp, asPath: [], nextHop: parseAddress('172.17.0.40'), localPref: 100 },
      source: source('172.17.0.40', 64512, false),
      receivedAtMs: nowMs - 30_000,
      isStale: true,
    }),
    route({ prefix: '10.0.0.0/8', nextHop: '0.0.0.0', attributes: { origin: Origin.igp, nextHop: parseAddress('0.0.0.0') }, source: source('local', 64512, false), receivedAtMs: nowMs - 600_000 }),
    route({
      prefix: '2001:db8:100::/48',
      nextHop: '2001:db8::2',
      attributes: { origin: Origin.igp, asPath: [{ type: AsSegmentType.sequence, asns: [65002] }], communities: [(65002 << 16) + 1] },
      linkLocalNextHop: parseAddress('fe80::2'),
      source: source('2001:db8::2', 65002),
      receivedAtMs: nowMs - 125_000,
      pathId: 1,
    }),
    route({
      prefix: '2001:db8:100::/48',
      nextHop: '2001:db8::2',
      attributes: { origin: Origin.incomplete, asPath: [{ type: AsSegmentType.sequence, asns: [65002, 65003] }] },
      source: source('2001:db8::2', 65002),
      receivedAtMs: nowMs - 100_000,
      pathId: 2,
      isBest: false,
    }),
    route({ prefix: '2001:db8:ffff:ffff:ffff:ffff:ffff:0/112', nextHop: '2001:db8::2', attributes: { origin: Origin.igp, asPath: [{ type: AsSegmentType.sequence, asns: [65002] }] }, source: source('2001:db8::2', 65002), receivedAtMs: nowMs - 5_000 }),
  );
  b.adjOut.set('172.17.0.40', [
    { ...b.routes.find((r) => r.source.address === '172.17.0.21')!, attributes: { origin: Origin.incomplete, asPath: [{ type: AsSegmentType.sequence, asns: [64522] }], nextHop: parseAddress('172.17.0.21'), localPref: 100 } },
    route({ prefix: '10.0.0.0/8', nextHop: '172.17.0.1', attributes: { origin: Origin.igp, asPath: [], nextHop: parseAddress('172.17.0.1'), localPref: 100 }, source: source('local', 64512, false), receivedAtMs: nowMs - 600_000 }),
  ]);
  return b;
}
