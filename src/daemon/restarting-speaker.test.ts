// The restarting side of graceful restart (RFC 4724 4.1) in a whole Daemon: its session
// and a peer Session talk over a FakeNetwork on a ManualClock. After begin() (tsbgpd -r)
// the first OPEN carries R and F for the preserved families, a reconnect carries R = 0,
// and the daemon advertises nothing until the peer's End-of-RIB or the deferral time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Afi, Safi } from '../lib/address.js';
import { ManualClock } from '../lib/clock.js';
import { familyKey, type FamilyKey } from '../wire/context.js';
import { endOfRib } from '../wire/update.js';
import { Session } from '../session/session.js';
import { FakeNetwork, RecordingSink, recordingLogger, type FakeTransport } from '../session/testing.js';
import type { Transport } from '../session/transport.js';
import { parseConfig } from './config.js';
import { Daemon } from './daemon.js';
import { defaultDeferralTimeSec, deferralTimeOf, preservedFamilies } from './graceful-restart.js';
import { collector } from './testing.js';

const v4 = familyKey(Afi.ipv4, Safi.unicast);
const v6 = familyKey(Afi.ipv6, Safi.unicast);
const daemonAddress = '192.0.2.1';
const peerAddress = '192.0.2.2';

function daemonConfig(grExtra = ''): ReturnType<typeof parseConfig> {
  return parseConfig(
    `[global.config]
as = 65001
router-id = "10.0.0.1"
port = -1
[[neighbors]]
[neighbors.config]
neighbor-address = "${peerAddress}"
peer-as = 65002
[neighbors.transport.config]
local-address = "${daemonAddress}"
[neighbors.graceful-restart.config]
enabled = true
restart-time = 120
${grExtra}
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "ipv4-unicast"
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "ipv6-unicast"
[[originate]]
prefix = "172.17.254.1/32"
next-hop = "192.0.2.1"
`,
    'toml',
    'restart.toml',
  );
}

interface Harness {
  readonly net: FakeNetwork;
  readonly clock: ManualClock;
  readonly daemon: Daemon;
  readonly peer: Session;
  readonly sink: RecordingSink;
  /** The peer's side of each accepted connection, newest last. */
  readonly accepted: FakeTransport[];
  readonly lines: ReturnType<typeof collector>['lines'];
}

/** A daemon (optionally after a restart) and a passive peer with Graceful Restart. */
function harness(restart?: { readonly forwarding: readonly FamilyKey[]; readonly deferralTimeSec: number }, peerIsRestarting = false): Harness {
  const net = new FakeNetwork();
  const clock = new ManualClock();
  const { lines, logger } = collector();
  const daemon = new Daemon(daemonConfig(), { logger, clock, random: () => 0.5, connect: net.connector(daemonAddress), hostname: 'test' });
  if (restart !== undefined) daemon.restartingSpeaker.begin(restart.forwarding, restart.deferralTimeSec);
  const sink = new RecordingSink();
  const peer = new Session(
    {
      peerAddress: daemonAddress,
      peerPort: 179,
      localAddress: peerAddress,
      localAs: 65002,
      peerAs: 65001,
      routerId: Uint8Array.of(10, 0, 0, 2),
      holdTimeSec: 90,
      connectRetrySec: 5,
      isPassive: true,
      families: [v4, v6],
      gracefulRestart: { restartTimeSec: 120, isRestarting: peerIsRestarting },
    },
    { clock, random: () => 0.5, logger: recordingLogger(), sink, connect: net.connector(peerAddress) },
  );
  const accepted: FakeTransport[] = [];
  net.listen(peerAddress, 179, (t: Transport) => {
    accepted.push(t as FakeTransport);
    peer.handleIncoming(t);
  });
  return { net, clock, daemon, peer, sink, accepted, lines };
}

/** Pumps and advances the clock a second at a time until both sides are Established (bounded). */
function untilEstablished(h: Harness): void {
  for (let i = 0; i < 600; i++) {
    h.net.pump();
    if (h.peer.state === 'Established' && h.daemon.sessionOf(peerAddress)?.state === 'Established') return;
    h.clock.advance(1000);
  }
  assert.fail(`not Established: daemon ${h.daemon.sessionOf(peerAddress)?.state}, peer ${h.peer.state}`);
}

function restartBits(h: Harness): { readonly r: boolean | undefined; readonly f: ReadonlyMap<FamilyKey, boolean> } {
  const gr = h.peer.negotiated?.peerGracefulRestart;
  return { r: gr?.isRestarting, f: new Map((gr?.families ?? []).map((f) => [familyKey(f.afi, f.safi), f.isForwardingPreserved])) };
}

/** Stops the daemon: its Cease goes out, the shutdown wait runs on the manual clock. */
async function finish(h: Harness): Promise<void> {
  const stopped = h.daemon.stop();
  h.net.pump();
  h.clock.advance(10_000);
  await stopped;
}

const announced = (h: Harness): number => h.sink.updates.filter((u) => u.nlri.count > 0).length;

test('after -r: R and F (per preserved family) on the first OPEN, R = 0 after a reconnect', async () => {
  const h = harness({ forwarding: [v4], deferralTimeSec: 0 });
  await h.daemon.start();
  h.peer.start();
  untilEstablished(h);
  const first = restartBits(h);
  assert.equal(first.r, true, 'R set on the first session');
  assert.equal(first.f.get(v4), true, 'F set for the family the FIB kept');
  assert.equal(first.f.get(v6), false, 'F clear for the other');

  // The transport goes without a NOTIFICATION; the daemon reconnects after its idle hold.
  h.accepted.at(-1)!.destroy();
  h.net.pump();
  assert.notEqual(h.daemon.sessionOf(peerAddress)?.state, 'Established');
  untilEstablished(h);
  assert.equal(h.accepted.length, 2, 'a second connection');
  const second = restartBits(h);
  assert.equal(second.r, false, 'R clear on a reconnect');
  assert.equal(second.f.get(v4), true, 'F unchanged');
  await finish(h);
});

test('without -r: R and F clear, routes sent at once', async () => {
  const h = harness();
  await h.daemon.start();
  h.peer.start();
  untilEstablished(h);
  const bits = restartBits(h);
  assert.equal(bits.r, false);
  assert.deepEqual([...bits.f.values()], [false, false]);
  h.net.pump();
  assert.equal(announced(h), 1, 'the originate route went out without waiting');
  assert.equal(h.daemon.restartingSpeaker.isDeferring, false);
  await finish(h);
});

test('after -r: nothing is advertised until the peer has sent End-of-RIB for every family', async () => {
  const h = harness({ forwarding: [v4, v6], deferralTimeSec: 360 });
  await h.daemon.start();
  h.peer.start();
  untilEstablished(h);
  h.net.pump();
  assert.equal(h.daemon.restartingSpeaker.isDeferring, true);
  assert.equal(announced(h), 0, 'deferred');
  assert.equal(h.sink.endOfRib.length, 0, 'no End-of-RIB either');
  h.peer.sendUpdate(endOfRib(Afi.ipv4, Safi.unicast));
  h.net.pump();
  assert.equal(h.daemon.restartingSpeaker.isDeferring, true, 'IPv6 End-of-RIB still awaited');
  assert.equal(announced(h), 0);
  h.peer.sendUpdate(endOfRib(Afi.ipv6, Safi.unicast));
  h.net.pump();
  assert.equal(h.daemon.restartingSpeaker.isDeferring, false);
  assert.equal(announced(h), 1, 'the route went out');
  assert.deepEqual([...h.sink.endOfRib].sort(), [v4, v6].sort(), 'then End-of-RIB per family');
  assert.ok(h.lines.some((l) => l.msg === 'graceful restart: advertisement deferral over' && l['reason'] === 'End-of-RIB from every peer'));
  await finish(h);
});

test('after -r: the selection deferral time ends the wait for a peer that sends no End-of-RIB', async () => {
  const h = harness({ forwarding: [], deferralTimeSec: 30 });
  await h.daemon.start();
  h.peer.start();
  untilEstablished(h);
  h.net.pump();
  assert.equal(announced(h), 0);
  assert.ok(h.clock.now() < 30_000, 'established before the deferral time');
  h.clock.advance(30_000 - h.clock.now() - 1);
  h.net.pump();
  assert.equal(announced(h), 0, 'still deferred 1 ms before the time');
  h.clock.advance(1);
  h.net.pump();
  assert.equal(announced(h), 1);
  assert.equal(restartBits(h).f.get(v4), false, 'no F without a preserved family');
  await finish(h);
});

test('after -r: a peer that restarts too (its R bit set) is not waited for', async () => {
  const h = harness({ forwarding: [v4], deferralTimeSec: 360 }, true);
  await h.daemon.start();
  h.peer.start();
  untilEstablished(h);
  h.net.pump();
  assert.equal(h.daemon.restartingSpeaker.isDeferring, false);
  assert.equal(announced(h), 1);
  await finish(h);
});

test('deferral time: the longest of the neighbors with graceful restart, 360 s by default; F only with the FIB running', () => {
  assert.equal(deferralTimeOf([]), 0);
  assert.equal(deferralTimeOf([{ gracefulRestart: undefined }]), 0);
  const gr = { isEnabled: true, restartTimeSec: 90, staleRoutesTimeSec: 360, isHelperOnly: false };
  assert.equal(deferralTimeOf([{ gracefulRestart: gr }]), defaultDeferralTimeSec);
  assert.equal(deferralTimeOf([{ gracefulRestart: { ...gr, deferralTimeSec: 30 } }, { gracefulRestart: { ...gr, deferralTimeSec: 45 } }]), 45);
  assert.deepEqual(preservedFamilies({ state: 'running' }), [v4, v6]);
  assert.deepEqual(preservedFamilies({ state: 'read-only' }), []);
  assert.deepEqual(preservedFamilies(undefined), []);
  const parsed = daemonConfig('deferral-time = 20').neighbors[0]!.gracefulRestart;
  assert.equal(parsed?.deferralTimeSec, 20);
  assert.equal(deferralTimeOf(daemonConfig('deferral-time = 20').neighbors), 20);
});
