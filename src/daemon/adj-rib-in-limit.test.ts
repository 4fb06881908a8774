// The Adj-RIB-In memory cap: checked before storing (what is held already costs nothing
// more), the error line, the hold-down it shares with max-prefix, and through the daemon
// a flooding peer stopped while another peer's session and routes stay.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.js';
import { parseAddress, parsePrefix } from '../lib/address.js';
import { createLogger, silentLogger } from '../lib/logger.js';
import type { PathAttributes } from '../wire/attributes/types.js';
import { packUpdates } from '../wire/update.js';
import { Session } from '../session/session.js';
import { FakeNetwork, RecordingSink, recordingLogger } from '../session/testing.js';
import { Rib } from '../rib/rib.js';
import { attrSetBytes, ipv4RouteBytes, ipv6RouteBytes } from '../rib/memory-estimate.js';
import { asPath, attrKeyOf, ipv4Unicast, makeTestUpdate, peerInfo, scenarioAttributes } from '../rib/test-support.js';
import { ErrorAction } from '../wire/errors.js';
import { AdjRibInLimitGuard, bytesPerMib, mib } from './adj-rib-in-limit.js';
import type { AdjRibInLimitConfig } from './adj-rib-in-limit-config.js';
import { PeerHoldDown } from './peer-hold.js';
import { PrefixLimitGuard } from './prefix-limit.js';
import { parseConfig } from './config.js';
import { Daemon } from './daemon.js';
import { MetricsServer } from './metrics.js';

const address = '172.17.0.21';
const info = peerInfo({ address, peerAs: 64522 });
const oneMib: AdjRibInLimitConfig = { maxMemoryMib: 1, restartTimerSec: 30 };
const prefixes = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `10.${(from + i) >> 8}.${(from + i) & 255}.0/24`);

function setup(): { clock: ManualClock; rib: Rib; holds: PeerHoldDown; guard: AdjRibInLimitGuard; logger: ReturnType<typeof recordingLogger> } {
  const clock = new ManualClock();
  const rib = new Rib({ clock });
  const logger = recordingLogger();
  const holds = new PeerHoldDown({ clock, logger });
  return { clock, rib, holds, guard: new AdjRibInLimitGuard({ logger, rib, holds }), logger };
}

test('near the cap only what the UPDATE adds counts: held routes and known sets are free, new ones are not', () => {
  const { rib, guard } = setup();
  rib.onEstablished(info);
  const attrs = scenarioAttributes(address);
  const setBytes = attrSetBytes(2 + 4 + 1 + attrKeyOf(attrs).length);
  // A table just under 1 MiB with its set.
  const n = Math.floor((bytesPerMib - setBytes) / ipv4RouteBytes) - 10;
  const table = makeTestUpdate({ nlri: prefixes(0, n), attributes: attrs });
  assert.equal(guard.check(info, oneMib, table), undefined);
  rib.onUpdate(info, table);
  const held = rib.adjRibInBytes(address);
  assert.equal(held, n * ipv4RouteBytes + setBytes);
  const room = Math.floor((bytesPerMib - held) / ipv4RouteBytes);
  assert.equal(guard.check(info, oneMib, table), undefined, 'the same table again adds nothing');
  assert.equal(guard.check(info, oneMib, makeTestUpdate({ nlri: prefixes(n, room), attributes: attrs })), undefined, 'room for as many routes as fit');
  const over = guard.check(info, oneMib, makeTestUpdate({ nlri: prefixes(n, room + 1), attributes: attrs }));
  assert.deepEqual(over, { limit: oneMib, heldBytes: held, bytes: held + (room + 1) * ipv4RouteBytes, routes: n });
  // The same routes with a set the store would make: the set does not fit.
  const other = { ...attrs, asPath: asPath(64522, 64999) };
  const withNewSet = guard.check(info, oneMib, makeTestUpdate({ nlri: prefixes(n, room), attributes: other }));
  assert.equal(withNewSet?.bytes, held + room * ipv4RouteBytes + attrSetBytes(35 + attrKeyOf(other).length));
  assert.equal(guard.check(info, { ...oneMib, maxMemoryMib: 0 }, makeTestUpdate({ nlri: prefixes(n, 5000), attributes: attrs })), undefined, '0: no cap');
  // Withdrawals and treat-as-withdraw UPDATEs only free memory.
  assert.equal(guard.check(info, oneMib, makeTestUpdate({ withdrawn: prefixes(0, 10) })), undefined);
  assert.equal(guard.check(info, oneMib, makeTestUpdate({ nlri: prefixes(n, 500), attributes: attrs, action: ErrorAction.treatAsWithdraw })), undefined);
  // IPv6 routes cost their own size.
  const v6 = guard.check(info, oneMib, makeTestUpdate({ attributes: { origin: 0, asPath: asPath(64522) }, mpReach: { nextHop: '2001:db8::1', nlri: Array.from({ length: room + 1 }, (_, i) => `2001:db8:${i.toString(16)}::/48`) } }));
  assert.ok(v6 !== undefined && v6.bytes >= held + (room + 1) * ipv6RouteBytes);
});

test('going over: one error line with the peer, estimate, routes, cap and what happens next; held until the restart timer', () => {
  const { clock, guard, holds, logger } = setup();
  let restarts = 0;
  guard.holdDown(address, { limit: oneMib, heldBytes: 1_040_000, bytes: 1_050_000, routes: 8000 }, () => restarts++);
  const lines = logger.lines.filter((l) => l.level === 'error');
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.msg, 'adj-rib-in memory cap reached');
  assert.deepEqual(lines[0]!.fields, { peer: address, estimateMib: 1, routes: 8000, capMib: 1, withUpdateMib: 1, action: 'session closed (Cease/Out of Resources), reconnect allowed in 30 s' });
  assert.equal(holds.isHeld(address), true);
  assert.match(holds.reasonOf(address) ?? '', /adj-rib-in memory cap/);
  clock.advance(29_999);
  assert.equal(restarts, 0);
  clock.advance(1);
  assert.equal(restarts, 1);
  assert.equal(holds.isHeld(address), false);
  assert.ok(logger.lines.some((l) => l.msg === 'adj-rib-in memory cap restart' && l.fields['peer'] === address));
  guard.holdDown('172.17.0.22', { limit: { maxMemoryMib: 1, restartTimerSec: 0 }, heldBytes: 1, bytes: 2 * bytesPerMib, routes: 1 }, () => restarts++);
  assert.equal(logger.lines.at(-1)?.fields['action'], 'session closed (Cease/Out of Resources), stays down until started again');
  clock.advance(10_000_000);
  assert.equal(holds.isHeld('172.17.0.22'), true);
  assert.equal(restarts, 1);
});

test('max-prefix and the memory cap share one hold-down: either refuses, either release ends it', () => {
  const { clock, rib, holds, guard } = setup();
  const prefixLimits = new PrefixLimitGuard({ clock, logger: recordingLogger(), rib, holds });
  guard.holdDown(address, { limit: oneMib, heldBytes: 1, bytes: 2, routes: 1 }, () => {});
  assert.equal(prefixLimits.isHeld(address), true, 'the daemon asks the prefix guard');
  prefixLimits.release(address);
  assert.equal(holds.isHeld(address), false);
  guard.holdDown(address, { limit: oneMib, heldBytes: 1, bytes: 2, routes: 1 }, () => {});
  prefixLimits.close();
  clock.advance(60_000);
  assert.equal(holds.isHeld(address), false);
});

test('MiB to one decimal', () => {
  assert.equal(mib(0), 0);
  assert.equal(mib(bytesPerMib * 512.34), 512.3);
  assert.equal(mib(1_040_000), 1);
});

// ---- through the daemon, on in-memory sessions

const self = '192.0.2.1';
const flooder = { address: '192.0.2.11', as: 65011 };
const healthy = { address: '192.0.2.12', as: 65012 };

const daemonConfig = `[global.config]
as = 65001
router-id = "10.0.0.1"
port = -1
${[flooder, healthy]
  .map(
    (p) => `[[neighbors]]
[neighbors.config]
neighbor-address = "${p.address}"
peer-as = ${p.as}
[neighbors.transport.config]
local-address = "${self}"
[neighbors.timers.config]
connect-retry = 5
${p === flooder ? '[neighbors.adj-rib-in-limit.config]\nmax-memory-mib = 1\nrestart-timer = 30\n' : ''}`,
  )
  .join('')}`;

test('a peer going over a 1 MiB cap with distinct attribute sets gets Cease / Out of Resources and one error line; another peer is untouched', async (t) => {
  const net = new FakeNetwork();
  const clock = new ManualClock();
  const logText: string[] = [];
  const logger = createLogger({ level: 'info', format: 'text', clock, write: (l) => logText.push(l) });
  const daemon = new Daemon(parseConfig(daemonConfig, 'toml', 'cap.toml'), { logger, clock, random: () => 0.5, connect: net.connector(self), hostname: 'tsbgpd' });
  const remote = (p: { address: string; as: number }): { session: Session; logger: ReturnType<typeof recordingLogger> } => {
    const remoteLogger = recordingLogger();
    const session = new Session(
      { peerAddress: self, peerPort: 179, localAddress: p.address, localAs: p.as, peerAs: 65001, routerId: parseAddress(p.address), holdTimeSec: 90, connectRetrySec: 5, isPassive: true, families: [ipv4Unicast] },
      { clock, random: () => 0.5, logger: remoteLogger, sink: new RecordingSink(), connect: net.connector(p.address) },
    );
    net.listen(p.address, 179, (conn) => session.handleIncoming(conn));
    session.start();
    return { session, logger: remoteLogger };
  };
  const flood = remote(flooder);
  const good = remote(healthy);
  const settle = (seconds: number, until: () => boolean): void => {
    for (let i = 0; i < seconds && !until(); i++) {
      net.pump();
      clock.advance(1000);
    }
    net.pump();
  };
  const announce = (r: { session: Session }, attributes: PathAttributes, prefix: string): void => {
    for (const u of packUpdates(attributes, [parsePrefix(prefix)], r.session.negotiated!.tx)) r.session.sendUpdate(u);
    net.pump();
  };
  const metrics = await MetricsServer.start(daemon, { isReady: () => true }, { host: '127.0.0.1', port: 0, logger: silentLogger });
  try {
    await daemon.start();
    settle(30, () => flood.session.state === 'Established' && good.session.state === 'Established');
    assert.equal(flood.session.state, 'Established');
    assert.equal(good.session.state, 'Established');
    const goodAttrs: PathAttributes = { origin: 0, asPath: asPath(healthy.as), nextHop: parseAddress(healthy.address) };
    for (let i = 0; i < 3; i++) announce(good, goodAttrs, `192.168.${i}.0/24`);

    // Distinct attribute sets, one route each: about 2 KB per UPDATE, so about 500 of them to 1 MiB.
    let sent = 0;
    for (; sent < 3000 && daemon.sessionOf(flooder.address)?.state === 'Established'; sent++) {
      const communities = Array.from({ length: 40 }, (_, c) => ((flooder.as << 16) | ((sent * 40 + c) & 0xffff)) >>> 0);
      announce(flood, { origin: 0, asPath: asPath(flooder.as, 64512 + (sent % 1000)), nextHop: parseAddress(flooder.address), communities, med: sent }, `10.${(sent >> 8) & 255}.${sent & 255}.0/24`);
    }
    assert.ok(sent > 300 && sent < 1000, `stopped after ${sent} UPDATEs`);
    const received = flood.logger.lines.filter((l) => l.msg === 'notification received');
    assert.equal(received.length, 1);
    assert.deepEqual([received[0]!.fields['code'], received[0]!.fields['subcode']], [6, 8], 'Cease / Out of Resources');
    // The session's own lines repeat the reason; the one line for the operator is the error.
    const capLines = logText.filter((l) => l.includes(' ERROR '));
    assert.equal(capLines.length, 1);
    t.diagnostic(capLines[0]!);
    assert.match(capLines[0]!, /ERROR adj-rib-in memory cap reached peer=192\.0\.2\.11 estimateMib=1 routes=\d+ capMib=1 withUpdateMib=1 action="session closed \(Cease\/Out of Resources\), reconnect allowed in 30 s"$/);
    const routesHeld = Number(/routes=(\d+)/.exec(capLines[0]!)![1]);
    assert.ok(routesHeld === sent - 1, `the refused UPDATE's route is not among the ${routesHeld} held`);

    // The flooder's routes leave; the healthy peer keeps its session and routes, and can add more.
    settle(1, () => false);
    assert.equal(daemon.rib.adjRibInBytes(flooder.address), 0);
    assert.equal(daemon.rib.prefixCount(ipv4Unicast), 3);
    announce(good, goodAttrs, '192.168.3.0/24');
    for (let i = 0; i < 4; i++) assert.equal(daemon.rib.get(`192.168.${i}.0/24`)?.best?.peer.address, healthy.address);
    assert.equal(good.session.state, 'Established');
    assert.equal(daemon.peerView(healthy.address)?.stats.flops, 0);
    assert.equal(good.logger.lines.filter((l) => l.msg.startsWith('notification')).length, 0);
    const estimate = (peer: string): number | undefined => metrics.collect().find((f) => f.name === 'tsbgp_bgp_adj_rib_in_bytes_estimate')?.samples.find((s) => s.labels?.['peer'] === peer)?.value;
    assert.equal(estimate(healthy.address), daemon.rib.adjRibInBytes(healthy.address));
    assert.ok((estimate(healthy.address) ?? 0) > 4 * ipv4RouteBytes);
    assert.equal(estimate(flooder.address), 0);

    // Held down for the restart timer, then connected again.
    settle(28, () => false);
    assert.equal(daemon.sessionOf(flooder.address)?.state, 'Idle', 'held down for 30 s');
    settle(10, () => flood.session.state === 'Established');
    assert.equal(flood.session.state, 'Established');
    assert.ok(logText.some((l) => /INFO {2}adj-rib-in memory cap restart peer=192\.0\.2\.11/.test(l)));
  } finally {
    await metrics.close();
    const stopping = daemon.stop();
    for (let i = 0; i < 10; i++) {
      net.pump();
      clock.advance(1000);
    }
    await stopping;
    void flood.session.stop();
    void good.session.stop();
    net.pump();
  }
});
