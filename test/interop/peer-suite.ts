// The interop checks every peer daemon gets, run once per daemon from its own test
// file: sessions with tsbgpd active and passive, routes both ways in both families,
// withdrawals both ways, and the shutdown communication of a SIGTERM.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, allocLoopback, freePort, waitFor, runId } from './harness.js';
import { Tsbgpd, defaultShutdownMessage, type OriginateSpec, type TsbgpdOptions } from './tsbgpd.js';
import { type PeerDaemon, type PeerOptions, type RibRoute, familyOf, parseAsPathText } from './peer.js';

export type PeerFactory = (scope: Scope, options: PeerOptions) => PeerDaemon;

const tsbgpdAs = 65001;
const peerAs = 65002;
const establishedMs = 20_000;
const routeMs = 10_000;

/** What tsbgpd announces, with documentation next hops (never on an interface). */
const tsbgpdRoutes: readonly OriginateSpec[] = [
  { prefix: '203.0.113.0/24', nextHop: '192.0.2.1', origin: 'igp', communities: ['65001:100'], med: 10 },
  { prefix: '2001:db8:1::/48', nextHop: '2001:db8::1', origin: 'igp' },
];
/** What the peer announces. */
const peerPrefixes = ['198.51.100.0/24', '2001:db8:2::/48'] as const;
const peerNextHop4 = '192.0.2.2';
const peerNextHop6 = '2001:db8::2';

interface Pair {
  scope: Scope;
  tsbgpd: Tsbgpd;
  peer: PeerDaemon;
}

/** Starts the peer, then tsbgpd, on fresh loopback addresses and ports. */
async function startPair(scope: Scope, makePeer: PeerFactory, isTsbgpdPassive: boolean, shutdownMessage: string | undefined): Promise<Pair> {
  const tsAddress = allocLoopback();
  const peerAddress = allocLoopback();
  const [tsPort, peerPort] = await Promise.all([freePort(tsAddress), freePort(peerAddress)]);
  const peer = makePeer(scope, {
    as: peerAs,
    address: peerAddress,
    port: peerPort,
    neighbors: [{ address: tsAddress, port: tsPort, as: tsbgpdAs, isPassive: !isTsbgpdPassive }],
    nextHop4: peerNextHop4,
    nextHop6: peerNextHop6,
  });
  const options: TsbgpdOptions = {
    as: tsbgpdAs,
    address: tsAddress,
    port: tsPort,
    neighbors: [{ address: peerAddress, port: peerPort, as: peerAs, isPassive: isTsbgpdPassive }],
    originate: tsbgpdRoutes,
    ...(shutdownMessage === undefined ? {} : { shutdownMessage }),
  };
  const tsbgpd = new Tsbgpd(scope, options);
  await peer.start();
  await tsbgpd.start();
  return { scope, tsbgpd, peer };
}

async function bothEstablished(p: Pair): Promise<void> {
  const peerAddress = p.peer.options.address;
  const tsAddress = p.tsbgpd.options.address;
  await p.tsbgpd.waitForState(peerAddress, 'Established', establishedMs);
  await waitFor(() => p.peer.isEstablished(tsAddress), { timeoutMs: establishedMs, intervalMs: 250, what: `${p.peer.kind} shows ${tsAddress} Established`, scope: p.scope });
}

async function peerRoute(p: Pair, prefix: string): Promise<RibRoute | undefined> {
  return (await p.peer.routes(familyOf(prefix))).find((r) => r.prefix === prefix && r.fromPeer === p.tsbgpd.options.address);
}

/** Stops tsbgpd with SIGTERM and checks the peer shows `text` as received communication. */
async function checkShutdownCommunication(p: Pair, text: string): Promise<void> {
  const status = await p.tsbgpd.stop();
  assert.equal(status, 0, 'tsbgpd exits 0 on SIGTERM');
  const tsAddress = p.tsbgpd.options.address;
  assert.ok(
    p.tsbgpd.entries('notification sent', p.peer.options.address).some((e) => e['code'] === 6 && e['subcode'] === 2),
    'tsbgpd logs the Cease / Administrative Shutdown it sent',
  );
  const shown = await waitFor(() => p.peer.receivedShutdownCommunication(tsAddress), { timeoutMs: 10_000, what: `${p.peer.kind} shows the shutdown communication from ${tsAddress}`, scope: p.scope });
  assert.equal(shown, text);
  await waitFor(async () => !(await p.peer.isEstablished(tsAddress)), { timeoutMs: 10_000, what: `${p.peer.kind} leaves Established`, scope: p.scope });
}

/** Registers the interop tests of tsbgpd against one peer daemon. */
export function describePeerInterop(name: string, makePeer: PeerFactory): void {
  describe(`tsbgpd and ${name}, tsbgpd connects (${name} passive)`, () => {
    let pair: Pair;
    let scope: Scope;
    const shutdownMessage = `interop ${runId}: maintenance, back soon`;

    before(async () => {
      scope = await Scope.create(`${name}-active`);
      pair = await startPair(scope, makePeer, false, shutdownMessage);
    });
    after(async () => {
      await scope?.cleanup();
    });

    it('a) reaches Established, seen by tsbgpd and by the peer', async () => {
      await bothEstablished(pair);
    });

    it('b) IPv4 and IPv6 routes of tsbgpd reach the peer with AS path [tsbgpd] and the configured next hop', async () => {
      for (const r of tsbgpdRoutes) {
        const route = await waitFor(() => peerRoute(pair, r.prefix), { timeoutMs: routeMs, what: `${name} receives ${r.prefix} from tsbgpd`, scope });
        assert.deepEqual(route.asPath, [tsbgpdAs], `AS path of ${r.prefix}`);
        assert.equal(route.nextHop, r.nextHop, `next hop of ${r.prefix}`);
      }
    });

    it('c) IPv4 and IPv6 routes of the peer reach tsbgpd with its AS path and next hop', async () => {
      for (const prefix of peerPrefixes) await pair.peer.originate(prefix);
      const peerAddress = pair.peer.options.address;
      for (const prefix of peerPrefixes) {
        const route = await waitFor(() => pair.tsbgpd.route(peerAddress, prefix), { timeoutMs: routeMs, intervalMs: 100, what: `tsbgpd "route received" ${prefix} from ${name}`, scope });
        assert.deepEqual(parseAsPathText(route.asPath), [peerAs], `AS path of ${prefix}`);
        assert.equal(route.nextHop, familyOf(prefix) === 'ipv4' ? peerNextHop4 : peerNextHop6, `next hop of ${prefix}`);
      }
    });

    it('d) a withdrawal on either side removes the route on the other', async () => {
      const peerAddress = pair.peer.options.address;
      // Peer side: withdraw the IPv4 route; the IPv6 one stays.
      await pair.peer.withdraw(peerPrefixes[0]);
      await pair.tsbgpd.waitForLog('route withdrawn', (e) => e['prefix'] === peerPrefixes[0], routeMs);
      assert.equal(pair.tsbgpd.route(peerAddress, peerPrefixes[0]), undefined, `${peerPrefixes[0]} gone from tsbgpd`);
      assert.notEqual(pair.tsbgpd.route(peerAddress, peerPrefixes[1]), undefined, `${peerPrefixes[1]} still at tsbgpd`);
      // tsbgpd side: drop the IPv4 originate entry and SIGHUP; the IPv6 one stays.
      const [gone, kept] = tsbgpdRoutes as [OriginateSpec, OriginateSpec];
      await pair.tsbgpd.reload({ ...pair.tsbgpd.options, originate: [kept] });
      await waitFor(async () => (await peerRoute(pair, gone.prefix)) === undefined, { timeoutMs: routeMs, what: `${name} drops ${gone.prefix}`, scope });
      assert.notEqual(await peerRoute(pair, kept.prefix), undefined, `${kept.prefix} still at ${name}`);
      assert.ok(await pair.peer.isEstablished(pair.tsbgpd.options.address), 'the reload kept the session up');
    });

    it('e) SIGTERM of tsbgpd shows its shutdown communication at the peer', async () => {
      await checkShutdownCommunication(pair, shutdownMessage);
    });
  });

  describe(`tsbgpd and ${name}, ${name} connects (tsbgpd passive)`, () => {
    let pair: Pair;
    let scope: Scope;

    before(async () => {
      scope = await Scope.create(`${name}-passive`);
      pair = await startPair(scope, makePeer, true, undefined);
    });
    after(async () => {
      await scope?.cleanup();
    });

    it('a) reaches Established, seen by tsbgpd and by the peer', async () => {
      await bothEstablished(pair);
      const route = await waitFor(() => peerRoute(pair, tsbgpdRoutes[0]!.prefix), { timeoutMs: routeMs, what: `${name} receives ${tsbgpdRoutes[0]!.prefix}`, scope });
      assert.deepEqual(route.asPath, [tsbgpdAs]);
    });

    it('e) SIGTERM without --shutdown-message sends the default communication', async () => {
      await checkShutdownCommunication(pair, defaultShutdownMessage);
    });
  });
}
