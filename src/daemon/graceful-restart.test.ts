// The graceful restart helper against a real RIB on a manual clock: routes kept stale
// on a transport loss, swept by End-of-RIB, dropped when the restart time runs out, not
// kept after a NOTIFICATION, and dropped at once for a family without the F bit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { parseAddress } from '../lib/address.js';
import { Rib } from '../rib/rib.js';
import type { PeerInfo } from '../rib/sink.js';
import { ipv4Unicast, ipv6Unicast, makeTestUpdate, peerInfo, scenarioAttributes } from '../rib/test-support.js';
import { localOpen, negotiate, type LocalOffer, type Negotiated } from '../session/capabilities.js';
import { GracefulRestartHelper } from './graceful-restart.js';
import type { GracefulRestartConfig } from './neighbor-options-config.js';

const ours: LocalOffer = { localAs: 64512, peerAs: 64522, routerId: parseAddress('10.0.0.1'), holdTimeSec: 90, families: [ipv4Unicast, ipv6Unicast], gracefulRestart: { restartTimeSec: 120 } };
const config: GracefulRestartConfig = { isEnabled: true, restartTimeSec: 120, staleRoutesTimeSec: 300, isHelperOnly: false };

/** What our side negotiates with a peer offering GR with these bits (no GR at all when `restartTimeSec` is undefined). */
function negotiated(restartTimeSec: number | undefined, isForwardingPreserved = true, families = [ipv4Unicast, ipv6Unicast]): Negotiated {
  const peer: LocalOffer = {
    localAs: 64522,
    peerAs: 64512,
    routerId: parseAddress('172.17.0.21'),
    holdTimeSec: 90,
    families: [ipv4Unicast, ipv6Unicast],
    ...(restartTimeSec === undefined ? {} : { gracefulRestart: { restartTimeSec, isRestarting: true, isForwardingPreserved, families } }),
  };
  return negotiate(ours, localOpen(peer));
}

function setup(): { clock: ManualClock; rib: Rib; helper: GracefulRestartHelper; info: PeerInfo; drops: string[] } {
  const clock = new ManualClock();
  const rib = new Rib({ clock });
  const drops: string[] = [];
  const helper = new GracefulRestartHelper({
    clock,
    logger: silentLogger,
    rib,
    drop: (info, reason) => {
      drops.push(reason);
      rib.onPeerDown(info, reason);
    },
  });
  const info = peerInfo({ address: '172.17.0.21', peerAs: 64522 });
  rib.onEstablished(info);
  helper.onEstablished(info, negotiated(90), config);
  rib.onUpdate(info, makeTestUpdate({ nlri: ['172.17.254.1/32', '172.17.254.2/32'], attributes: scenarioAttributes('172.17.0.21') }));
  return { clock, rib, helper, info, drops };
}

const staleOf = (rib: Rib): number => rib.peerCounts('172.17.0.21', ipv4Unicast).stale;

test('a transport loss keeps the routes stale; End-of-RIB after the restart sweeps what was not announced again', () => {
  const { rib, helper, info, drops } = setup();
  assert.equal(helper.onPeerDown(info, 'TcpConnectionFails', 'connection closed by peer'), true);
  assert.equal(staleOf(rib), 2);
  assert.equal(rib.get('172.17.254.1/32')?.best?.peer.address, '172.17.0.21');
  rib.onEstablished(info);
  helper.onEstablished(info, negotiated(90), config);
  assert.equal(staleOf(rib), 2, 'F bit set: the routes stay stale until End-of-RIB');
  rib.onUpdate(info, makeTestUpdate({ nlri: ['172.17.254.1/32'], attributes: scenarioAttributes('172.17.0.21') }));
  assert.equal(staleOf(rib), 1);
  rib.onEndOfRib(info, ipv4Unicast);
  helper.onEndOfRib(info, ipv4Unicast);
  assert.equal(staleOf(rib), 0);
  assert.notEqual(rib.get('172.17.254.1/32')?.best, undefined);
  assert.equal(rib.get('172.17.254.2/32')?.best, undefined);
  // IPv6 listed too: its End-of-RIB ends the restart.
  assert.equal(helper.isRestarting('172.17.0.21'), true);
  helper.onEndOfRib(info, ipv6Unicast);
  assert.equal(helper.isRestarting('172.17.0.21'), false);
  assert.deepEqual(drops, []);
});

test('the restart time running out while the peer is down drops its routes', () => {
  const { clock, rib, helper, info, drops } = setup();
  assert.equal(helper.onPeerDown(info, 'TcpConnectionFails', 'read ECONNRESET'), true);
  clock.advance(89_999);
  assert.equal(staleOf(rib), 2, "the peer's restart time (90 s) has not passed");
  clock.advance(1);
  assert.deepEqual(drops, ['graceful restart: restart time expired']);
  assert.equal(rib.get('172.17.254.1/32')?.best, undefined);
  assert.equal(helper.isRestarting('172.17.0.21'), false);
});

test('back without End-of-RIB: the stale-routes time sweeps the stale routes', () => {
  const { clock, rib, helper, info } = setup();
  helper.onPeerDown(info, 'TcpConnectionFails', 'closed');
  rib.onEstablished(info);
  helper.onEstablished(info, negotiated(90), config);
  clock.advance(299_999);
  assert.equal(staleOf(rib), 2);
  clock.advance(1);
  assert.equal(staleOf(rib), 0);
  assert.equal(rib.get('172.17.254.1/32')?.best, undefined);
});

test('no routes kept after a NOTIFICATION, a hold timer expiry, or without the peer\'s capability or ours', () => {
  for (const event of ['NotifMsg', 'HoldTimer_Expires', 'ManualStop'] as const) {
    const { helper, info } = setup();
    assert.equal(helper.onPeerDown(info, event, event), false, event);
  }
  const { rib, helper, info } = setup();
  helper.onEstablished(info, negotiated(undefined), config);
  assert.equal(helper.onPeerDown(info, 'TcpConnectionFails', 'closed'), false, 'the peer sent no GR capability');
  rib.onEstablished(info);
  helper.onEstablished(info, negotiated(90), undefined);
  assert.equal(helper.onPeerDown(info, 'TcpConnectionFails', 'closed'), false, 'GR not enabled on our side');
});

test('a family listed without the F bit after the restart loses its stale routes at once', () => {
  const { rib, helper, info } = setup();
  helper.onPeerDown(info, 'TcpConnectionFails', 'closed');
  rib.onEstablished(info);
  helper.onEstablished(info, negotiated(90, false), config);
  assert.equal(staleOf(rib), 0);
  assert.equal(rib.get('172.17.254.1/32')?.best, undefined);
});

test('a family the peer did not list is dropped at the session loss; listed ones kept', () => {
  const { rib, helper, info } = setup();
  rib.onUpdate(info, makeTestUpdate({ mpReach: { nextHop: '2001:db8::21', nlri: ['2001:db8:1::/48'] }, attributes: scenarioAttributes('172.17.0.21') }));
  helper.onEstablished(info, negotiated(90, true, [ipv4Unicast]), config);
  assert.equal(helper.onPeerDown(info, 'TcpConnectionFails', 'closed'), true);
  assert.equal(staleOf(rib), 2);
  assert.equal(rib.get('2001:db8:1::/48')?.best, undefined);
});

test('forget drops a down peer\'s stale routes and cancels its timer', () => {
  const { clock, rib, helper, info, drops } = setup();
  helper.onPeerDown(info, 'TcpConnectionFails', 'closed');
  helper.forget('172.17.0.21', 'neighbor removed');
  assert.deepEqual(drops, ['neighbor removed']);
  clock.advance(200_000);
  assert.deepEqual(drops, ['neighbor removed']);
  assert.equal(rib.peerCounts('172.17.0.21', ipv4Unicast).received, 0);
});
