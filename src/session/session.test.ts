// Session scripts on a ManualClock: the test plays the peer on a FakeTransport, feeding
// it messages and decoding what the session wrote.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.js';
import { Afi, Safi, parsePrefix } from '../lib/address.js';
import { familyKey, as4Context } from '../wire/context.js';
import type { Capability } from '../wire/capability-types.js';
import { NotifyCode, CeaseSubcode, FsmSubcode, OpenSubcode, HeaderSubcode, UpdateSubcode } from '../wire/errors.js';
import type { Message } from '../wire/message.js';
import { keepalive } from '../wire/keepalive.js';
import { ceaseNotification, shutdownCommunication, type NotificationMessage } from '../wire/notification.js';
import type { OpenMessage } from '../wire/open.js';
import { makeUpdate, endOfRib, type UpdateMessage } from '../wire/update.js';
import { NlriList } from '../wire/nlri.js';
import { AsSegmentType, Origin } from '../wire/attributes/types.js';
import { Session, idleHoldMs, openHoldMs, type SessionConfig, type SessionDeps } from './session.js';
import { FakeConnector, FakeNetwork, FakeTransport, RecordingSink, recordingLogger } from './testing.js';

const v4 = familyKey(Afi.ipv4, Safi.unicast);
const v6 = familyKey(Afi.ipv6, Safi.unicast);
const peerAddress = '192.0.2.2';

function harness(over: Partial<SessionConfig> = {}, deps: Partial<SessionDeps> = {}) {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const logger = recordingLogger();
  const sink = new RecordingSink();
  const config: SessionConfig = {
    peerAddress,
    peerPort: 179,
    localAddress: '192.0.2.1',
    localAs: 65000,
    peerAs: 65001,
    routerId: Uint8Array.of(10, 0, 0, 5),
    holdTimeSec: 90,
    connectRetrySec: 120,
    isPassive: false,
    families: [v4, v6],
    ...over,
  };
  const session = new Session(config, { clock, random: () => 0, logger, sink, connect: connector.connect, ...deps });
  const states: string[] = [];
  session.onState((s) => states.push(s));
  return { clock, connector, logger, sink, session, config, states };
}
type Harness = ReturnType<typeof harness>;

interface PeerOpenOptions {
  as?: number;
  id?: number[];
  hold?: number;
  caps?: Capability[];
}

function peerOpen(o: PeerOpenOptions = {}): OpenMessage {
  const as = o.as ?? 65001;
  return {
    type: 'open',
    version: 4,
    myAs: as > 0xffff ? 23456 : as,
    holdTime: o.hold ?? 90,
    bgpId: Uint8Array.from(o.id ?? [10, 0, 0, 2]),
    capabilities: o.caps ?? [
      { kind: 'multiprotocol', afi: 1, safi: 1 },
      { kind: 'multiprotocol', afi: 2, safi: 1 },
      { kind: 'four-octet-as', asn: as },
    ],
  };
}

/** Starts an active session and plays the peer up to Established; returns the transport. */
function establish(h: Harness, o: PeerOpenOptions = {}): FakeTransport {
  h.session.start();
  const t = h.connector.last;
  t.connectNow();
  t.receiveMessage(peerOpen(o));
  t.receiveMessage(keepalive);
  assert.equal(h.session.state, 'Established');
  t.takeSent();
  return t;
}

const types = (msgs: Message[]): string[] => msgs.map((m) => m.type);

function notificationsOf(msgs: Message[]): NotificationMessage[] {
  return msgs.filter((m): m is NotificationMessage => m.type === 'notification');
}

function route(prefix: string): UpdateMessage {
  return makeUpdate({
    attributes: { origin: Origin.incomplete, asPath: [{ type: AsSegmentType.sequence, asns: [65000] }], nextHop: Uint8Array.of(192, 0, 2, 1) },
    nlri: NlriList.from([parsePrefix(prefix)], Afi.ipv4),
  });
}

const header = (length: number, type: number): number[] => [...new Array<number>(16).fill(0xff), length >> 8, length & 0xff, type];

test('active open: Connect, OpenSent, OpenConfirm, Established, with the right bytes', () => {
  const h = harness();
  h.session.start();
  assert.equal(h.session.state, 'Connect');
  assert.deepEqual(h.connector.attempts[0]!.options, { host: peerAddress, port: 179, localAddress: '192.0.2.1' });
  const t = h.connector.last;
  t.connectNow();
  assert.equal(h.session.state, 'OpenSent');
  const [open] = t.takeSent();
  assert.equal(open?.type, 'open');
  const o = open as OpenMessage;
  assert.equal(o.myAs, 65000);
  assert.equal(o.holdTime, 90);
  assert.deepEqual([...o.bgpId], [10, 0, 0, 5]);

  t.receiveMessage(peerOpen());
  assert.equal(h.session.state, 'OpenConfirm');
  assert.deepEqual(types(t.takeSent()), ['keepalive']);
  assert.equal(h.sink.established.length, 0);

  t.receiveMessage(keepalive);
  assert.equal(h.session.state, 'Established');
  assert.deepEqual(h.states, ['Connect', 'OpenSent', 'OpenConfirm', 'Established']);
  const info = h.sink.established[0]!;
  assert.equal(info.peerAs, 65001);
  assert.equal(info.isEbgp, true);
  assert.deepEqual([...info.families].sort(), [v4, v6].sort());
  assert.equal(h.session.peerInfo, info);
  const stateLines = h.logger.lines.filter((l) => l.msg === 'session state');
  assert.deepEqual(
    stateLines.map((l) => [l.fields.peer, l.fields.from, l.fields.to]),
    [
      [peerAddress, 'Idle', 'Connect'],
      [peerAddress, 'Connect', 'OpenSent'],
      [peerAddress, 'OpenSent', 'OpenConfirm'],
      [peerAddress, 'OpenConfirm', 'Established'],
    ],
  );
  assert.ok(stateLines.every((l) => typeof l.fields.reason === 'string' && l.fields.reason !== ''));
  assert.ok(h.logger.lines.some((l) => l.msg === 'message received' && l.fields.type === 'open' && typeof l.fields.length === 'number'));
  assert.ok(h.logger.lines.some((l) => l.msg === 'message sent' && l.fields.type === 'keepalive' && l.fields.length === 19));
});

test('passive: waits in Active without connecting, then takes the incoming connection', () => {
  const h = harness({ isPassive: true });
  h.session.start();
  assert.equal(h.session.state, 'Active');
  h.clock.advance(3600_000);
  assert.equal(h.connector.attempts.length, 0);
  assert.equal(h.session.state, 'Active');
  const t = new FakeTransport({ address: '192.0.2.1', port: 179 }, { address: peerAddress, port: 51000 });
  h.session.handleIncoming(t);
  assert.equal(h.session.state, 'OpenSent');
  assert.deepEqual(types(t.takeSent()), ['open']);
  t.receiveMessage(peerOpen());
  t.receiveMessage(keepalive);
  assert.equal(h.session.state, 'Established');
  assert.equal(h.connector.attempts.length, 0);
});

test('a refused connection falls back to Active and retries after the jittered ConnectRetry time', () => {
  const h = harness();
  h.session.start();
  h.connector.last.fail('ECONNREFUSED');
  assert.equal(h.session.state, 'Active');
  // random() = 0: 75 % of 120 s.
  h.clock.advance(89_999);
  assert.equal(h.connector.attempts.length, 1);
  h.clock.advance(1);
  assert.equal(h.session.state, 'Connect');
  assert.equal(h.connector.attempts.length, 2);
  // A connect that hangs is abandoned when the timer fires again.
  h.clock.advance(90_000);
  assert.equal(h.connector.attempts.length, 3);
  assert.equal(h.connector.attempts[1]!.transport.isDestroyed, true);
});

test('connect retry jitter stays within 75-100 % of the configured time (RFC 4271 10)', () => {
  for (const r of [0, 0.5, 0.999]) {
    const h = harness({}, { random: () => r });
    h.session.start();
    h.connector.last.fail();
    const expected = 120_000 * (0.75 + 0.25 * r);
    h.clock.advance(Math.floor(expected) - 1);
    assert.equal(h.connector.attempts.length, 1, `random ${r}`);
    h.clock.advance(2);
    assert.equal(h.connector.attempts.length, 2, `random ${r}`);
  }
});

test('hold timer expiry sends Hold Timer Expired and goes Idle; a KEEPALIVE restarts it', () => {
  const h = harness();
  const t = establish(h);
  h.clock.advance(60_000);
  t.receiveMessage(keepalive);
  h.clock.advance(89_000);
  assert.equal(h.session.state, 'Established');
  h.clock.advance(1_000);
  assert.equal(h.session.state, 'Idle');
  const [n] = notificationsOf(t.takeSent());
  assert.equal(n?.code, NotifyCode.holdTimerExpired);
  assert.equal(t.isEnded, true);
  assert.equal(h.sink.down.length, 1);
  assert.match(h.sink.down[0]!, /hold timer/);
  assert.equal(h.session.peerInfo, undefined);
  assert.ok(h.logger.lines.some((l) => l.msg === 'notification sent' && l.level === 'warn' && l.fields.code === 4 && l.fields.peer === peerAddress));
});

test('OpenSent waits 4 minutes for the OPEN (RFC 4271 8.2.2)', () => {
  const h = harness();
  h.session.start();
  const t = h.connector.last;
  t.connectNow();
  h.clock.advance(openHoldMs - 1);
  assert.equal(h.session.state, 'OpenSent');
  h.clock.advance(1);
  assert.equal(h.session.state, 'Idle');
  assert.equal(notificationsOf(t.sent())[0]?.code, NotifyCode.holdTimerExpired);
});

test('KEEPALIVEs go out every third of the negotiated hold time', () => {
  const h = harness();
  const t = establish(h, { hold: 30 });
  h.clock.advance(9_999);
  assert.deepEqual(types(t.takeSent()), []);
  h.clock.advance(1);
  assert.deepEqual(types(t.takeSent()), ['keepalive']);
  t.receiveMessage(keepalive);
  h.clock.advance(10_000);
  t.receiveMessage(keepalive);
  h.clock.advance(10_000);
  assert.deepEqual(types(t.takeSent()), ['keepalive', 'keepalive']);
  assert.equal(h.session.state, 'Established');
});

test('hold time 0: no KEEPALIVEs and no hold timer', () => {
  const h = harness();
  h.session.start();
  const t = h.connector.last;
  t.connectNow();
  t.receiveMessage(peerOpen({ hold: 0 }));
  t.receiveMessage(keepalive);
  assert.equal(h.session.state, 'Established');
  assert.equal(h.session.negotiated?.holdTimeSec, 0);
  t.takeSent();
  h.clock.advance(24 * 3600_000);
  assert.deepEqual(types(t.takeSent()), []);
  assert.equal(h.session.state, 'Established');
});

test('an OPEN from the wrong AS gets Bad Peer AS and the session goes Idle', () => {
  const h = harness();
  h.session.start();
  const t = h.connector.last;
  t.connectNow();
  t.takeSent();
  t.receiveMessage(peerOpen({ as: 65099 }));
  assert.equal(h.session.state, 'Idle');
  const [n] = notificationsOf(t.takeSent());
  assert.equal(n?.code, NotifyCode.openMessage);
  assert.equal(n?.subcode, OpenSubcode.badPeerAs);
  assert.deepEqual([...n!.data], [0, 0, 0xfe, 0x4b]);
  assert.equal(t.isEnded, true);
  const line = h.logger.lines.find((l) => l.msg === 'notification sent');
  assert.equal(line?.fields.subcode, OpenSubcode.badPeerAs);
  assert.match(String(line?.fields.error), /Bad Peer AS/);
  assert.equal(h.sink.established.length, 0);
});

test('an UPDATE in OpenConfirm is an FSM Error, sub-code 2 (RFC 6608)', () => {
  const h = harness();
  h.session.start();
  const t = h.connector.last;
  t.connectNow();
  t.receiveMessage(peerOpen());
  assert.equal(h.session.state, 'OpenConfirm');
  t.takeSent();
  t.receiveMessage(route('172.17.254.1/32'));
  assert.equal(h.session.state, 'Idle');
  const [n] = notificationsOf(t.takeSent());
  assert.equal(n?.code, NotifyCode.fsm);
  assert.equal(n?.subcode, FsmSubcode.unexpectedInOpenConfirm);
  assert.equal(h.sink.updates.length, 0);
});

test('a KEEPALIVE in OpenSent is an FSM Error, sub-code 1', () => {
  const h = harness();
  h.session.start();
  const t = h.connector.last;
  t.connectNow();
  t.receiveMessage(keepalive);
  assert.equal(h.session.state, 'Idle');
  assert.equal(notificationsOf(t.sent())[0]?.subcode, FsmSubcode.unexpectedInOpenSent);
});

test('idle hold back-off: 5 s doubling to 120 s after repeated failures, reset by a stable session', () => {
  const h = harness();
  h.session.start();
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    const t = h.connector.last;
    t.connectNow();
    t.receiveMessage(peerOpen({ as: 65099 }));
    assert.equal(h.session.state, 'Idle');
    const before = h.connector.attempts.length;
    let waited = 0;
    while (h.connector.attempts.length === before && waited < 600_000) {
      h.clock.advance(1000);
      waited += 1000;
    }
    assert.equal(h.session.state, 'Connect');
    waits.push(waited);
  }
  assert.deepEqual(waits, [5, 10, 20, 40, 80, 120, 120, 120].map((s) => s * 1000));
  assert.equal(idleHoldMs(30), 120_000);

  // Established long enough: the next failure starts the back-off again.
  const t = h.connector.last;
  t.connectNow();
  t.receiveMessage(peerOpen());
  t.receiveMessage(keepalive);
  assert.equal(h.session.state, 'Established');
  h.clock.advance(60_000);
  t.receiveMessage(ceaseNotification(CeaseSubcode.administrativeReset, 'restarting'));
  assert.equal(h.session.state, 'Idle');
  const before = h.connector.attempts.length;
  h.clock.advance(4_999);
  assert.equal(h.connector.attempts.length, before);
  h.clock.advance(1);
  assert.equal(h.connector.attempts.length, before + 1);
});

test('a NOTIFICATION received is logged with its communication; the session restarts by itself', () => {
  const h = harness();
  const t = establish(h);
  t.receiveMessage(ceaseNotification(CeaseSubcode.administrativeShutdown, 'maintenance: back in 5'));
  assert.equal(h.session.state, 'Idle');
  assert.deepEqual(notificationsOf(t.takeSent()), []);
  const line = h.logger.lines.find((l) => l.msg === 'notification received');
  assert.equal(line?.level, 'warn');
  assert.equal(line?.fields.code, NotifyCode.cease);
  assert.equal(line?.fields.subcode, CeaseSubcode.administrativeShutdown);
  assert.equal(line?.fields.communication, 'maintenance: back in 5');
  assert.match(String(line?.fields.error), /Administrative Shutdown/);
  assert.match(h.sink.down[0]!, /notification received/);
  const attempts = h.connector.attempts.length;
  h.clock.advance(idleHoldMs(1));
  assert.equal(h.session.state, 'Connect');
  assert.equal(h.connector.attempts.length, attempts + 1);
});

test('stop() sends Cease / Administrative Shutdown with the communication, closes, and stays down', async () => {
  const h = harness();
  const t = establish(h);
  await h.session.stop('maintenance window');
  assert.equal(h.session.state, 'Idle');
  const [n] = notificationsOf(t.takeSent());
  assert.equal(n?.code, NotifyCode.cease);
  assert.equal(n?.subcode, CeaseSubcode.administrativeShutdown);
  assert.equal(shutdownCommunication(n!), 'maintenance window');
  assert.equal(t.isClosed, true);
  assert.equal(h.logger.lines.find((l) => l.msg === 'notification sent')?.fields.communication, 'maintenance window');
  assert.equal(h.sink.down.length, 1);
  h.clock.advance(3600_000);
  assert.equal(h.connector.attempts.length, 1);
  assert.equal(h.session.state, 'Idle');
  // start() brings it back.
  h.session.start();
  assert.equal(h.session.state, 'Connect');
  assert.equal(h.connector.attempts.length, 2);
});

test('stop() waits at most a second for a peer that reads nothing', async () => {
  const h = harness();
  const t = establish(h);
  t.isWritable = false;
  t.closeOnEnd = false;
  assert.equal(h.session.sendUpdate(route('10.0.0.0/8')), true);
  let isDone = false;
  const stopped = h.session.stop('', CeaseSubcode.peerDeconfigured).then(() => (isDone = true));
  assert.equal(h.session.state, 'Idle');
  await Promise.resolve();
  assert.equal(isDone, false);
  h.clock.advance(1000);
  await stopped;
  assert.equal(t.isDestroyed, true);
});

test('stop() in Connect drops the attempt; a passive session stops without any bytes', async () => {
  const h = harness();
  h.session.start();
  await h.session.stop();
  assert.equal(h.connector.attempts[0]!.transport.isDestroyed, true);
  assert.equal(h.session.state, 'Idle');
  const p = harness({ isPassive: true });
  p.session.start();
  await p.session.stop();
  assert.equal(p.session.state, 'Idle');
});

test('collision, our identifier higher: the connection we initiated stays', () => {
  const h = harness({ routerId: Uint8Array.of(10, 0, 0, 9) });
  h.session.start();
  const out = h.connector.last;
  out.connectNow();
  assert.deepEqual(types(out.takeSent()), ['open']);
  const inc = new FakeTransport({ address: '192.0.2.1', port: 179 }, { address: peerAddress, port: 52000 });
  h.session.handleIncoming(inc);
  assert.equal(h.session.state, 'OpenSent');
  // The peer's OPEN on its own connection: its identifier 10.0.0.2 is lower.
  inc.receiveMessage(peerOpen());
  const [lost] = notificationsOf(inc.sent());
  assert.equal(lost?.code, NotifyCode.cease);
  assert.equal(lost?.subcode, CeaseSubcode.connectionCollisionResolution);
  assert.equal(inc.isClosed, true);
  assert.equal(h.session.state, 'OpenSent');
  out.receiveMessage(peerOpen());
  out.receiveMessage(keepalive);
  assert.equal(h.session.state, 'Established');
  assert.deepEqual(types(out.takeSent()), ['keepalive']);
  assert.equal(out.isClosed, false);
});

test('collision, the peer\'s identifier higher: its connection wins, ours gets the Cease', () => {
  const h = harness({ routerId: Uint8Array.of(10, 0, 0, 1) });
  h.session.start();
  const out = h.connector.last;
  out.connectNow();
  const inc = new FakeTransport({ address: '192.0.2.1', port: 179 }, { address: peerAddress, port: 52000 });
  h.session.handleIncoming(inc);
  inc.receiveMessage(peerOpen({ id: [10, 0, 0, 2] }));
  const [lost] = notificationsOf(out.sent());
  assert.equal(lost?.subcode, CeaseSubcode.connectionCollisionResolution);
  assert.equal(out.isClosed, true);
  // Our OPEN and KEEPALIVE go on the winning connection.
  assert.deepEqual(types(inc.takeSent()), ['open', 'keepalive']);
  assert.equal(h.session.state, 'OpenConfirm');
  inc.receiveMessage(keepalive);
  assert.equal(h.session.state, 'Established');
  assert.equal(h.sink.established.length, 1);
  assert.deepEqual([...h.sink.established[0]!.routerId], [10, 0, 0, 2]);
});

test('collision decided when the second connection arrives after the first OPEN', () => {
  const h = harness({ routerId: Uint8Array.of(10, 0, 0, 1) });
  h.session.start();
  const out = h.connector.last;
  out.connectNow();
  out.receiveMessage(peerOpen({ id: [10, 0, 0, 2] }));
  assert.equal(h.session.state, 'OpenConfirm');
  const inc = new FakeTransport({ address: '192.0.2.1', port: 179 }, { address: peerAddress, port: 52000 });
  h.session.handleIncoming(inc);
  // The peer's identifier is known and higher: its connection wins at once.
  assert.equal(notificationsOf(out.sent()).at(-1)?.subcode, CeaseSubcode.connectionCollisionResolution);
  assert.equal(h.session.state, 'OpenSent');
  assert.deepEqual(types(inc.takeSent()), ['open']);
  inc.receiveMessage(peerOpen({ id: [10, 0, 0, 2] }));
  inc.receiveMessage(keepalive);
  assert.equal(h.session.state, 'Established');
});

test('an incoming connection while Established is refused with Cease / Connection Rejected', () => {
  const h = harness();
  const t = establish(h);
  const extra = new FakeTransport({ address: '192.0.2.1', port: 179 }, { address: peerAddress, port: 53000 });
  h.session.handleIncoming(extra);
  const [n] = notificationsOf(extra.sent());
  assert.equal(n?.subcode, CeaseSubcode.connectionRejected);
  assert.equal(extra.isClosed, true);
  assert.equal(h.session.state, 'Established');
  assert.equal(t.isClosed, false);
});

test('after a drop, the peer connecting during the idle hold is accepted at once', () => {
  const h = harness({ isPassive: true });
  h.session.start();
  const first = new FakeTransport({ address: '192.0.2.1', port: 179 }, { address: peerAddress, port: 51000 });
  h.session.handleIncoming(first);
  first.receiveMessage(peerOpen());
  first.receiveMessage(keepalive);
  first.closeNow(false);
  assert.equal(h.session.state, 'Idle');
  assert.equal(h.sink.down.length, 1);
  h.clock.advance(1000);
  const again = new FakeTransport({ address: '192.0.2.1', port: 179 }, { address: peerAddress, port: 51001 });
  h.session.handleIncoming(again);
  assert.equal(h.session.state, 'OpenSent');
  assert.deepEqual(types(again.takeSent()), ['open']);
  again.receiveMessage(peerOpen());
  again.receiveMessage(keepalive);
  assert.equal(h.session.state, 'Established');
  // The idle hold timer is gone: nothing happens when it would have fired.
  h.clock.advance(idleHoldMs(1));
  assert.equal(h.session.state, 'Established');
  assert.equal(h.connector.attempts.length, 0);
});

test('an incoming connection to a stopped session is refused', () => {
  const h = harness();
  const t = new FakeTransport({ address: '192.0.2.1', port: 179 }, { address: peerAddress, port: 53000 });
  h.session.handleIncoming(t);
  assert.equal(notificationsOf(t.sent())[0]?.subcode, CeaseSubcode.connectionRejected);
  assert.equal(t.isClosed, true);
  assert.equal(h.session.state, 'Idle');
});

test('back-pressure: sendUpdate says false at the high-water mark, onDrain runs after drain', () => {
  const h = harness({}, { queueLimits: { highWaterBytes: 1000, lowWaterBytes: 200, hardCapBytes: 100_000 } });
  const t = establish(h);
  let drains = 0;
  h.session.onDrain(() => drains++);
  t.isWritable = false;
  const results: boolean[] = [];
  for (let i = 0; i < 40 && (results.length === 0 || results.at(-1) === true); i++) results.push(h.session.sendUpdate(route(`10.${i}.0.0/16`)));
  assert.equal(results.at(-1), false);
  assert.ok(results.length > 2);
  assert.ok(results.slice(0, -1).every((r) => r));
  assert.ok(h.session.queuedBytes >= 1000);
  // Only the first was handed to the transport; the rest wait in memory.
  assert.equal(types(t.takeSent()).length, 1);
  // A KEEPALIVE due meanwhile goes ahead of the queued UPDATEs.
  h.clock.advance(30_000);
  t.receiveMessage(keepalive);
  assert.equal(drains, 0);
  t.drain();
  assert.equal(drains, 1);
  assert.equal(h.session.queuedBytes, 0);
  const flushed = types(t.takeSent());
  assert.equal(flushed[0], 'keepalive');
  assert.equal(flushed.length, results.length);
  assert.ok(flushed.slice(1).every((x) => x === 'update'));
  assert.equal(h.session.sendUpdate(route('10.200.0.0/16')), true);
});

test('above the hard cap the session resets with Cease / Out of Resources', () => {
  const h = harness({}, { queueLimits: { highWaterBytes: 500, lowWaterBytes: 100, hardCapBytes: 2000 } });
  const t = establish(h);
  t.isWritable = false;
  t.closeOnEnd = false;
  let n = 0;
  while (h.session.state === 'Established' && n < 1000) {
    h.session.sendUpdate(route(`10.${n % 256}.${n >> 8}.0/24`));
    n++;
  }
  assert.equal(h.session.state, 'Idle');
  assert.ok(n < 1000);
  t.takeSent();
  // The Cease goes out once the peer reads; the queued UPDATEs never do.
  t.drain();
  const after = t.takeSent();
  assert.deepEqual(types(after), ['notification']);
  assert.equal(notificationsOf(after)[0]?.subcode, CeaseSubcode.outOfResources);
  assert.equal(h.sink.down.length, 1);
});

test('send hold timer (RFC 9687): nothing written for 8 minutes while data waits -> code 8 and close', () => {
  const h = harness();
  const t = establish(h);
  t.closeOnEnd = false;
  t.isWritable = false;
  h.session.sendUpdate(route('10.0.0.0/8'));
  // The peer keeps sending KEEPALIVEs, so only the send side is stuck.
  for (let s = 0; s < 479; s++) {
    h.clock.advance(1000);
    if (s % 20 === 0) t.receiveMessage(keepalive);
  }
  assert.equal(h.session.state, 'Established');
  h.clock.advance(1000);
  assert.equal(h.session.state, 'Idle');
  assert.match(h.sink.down[0]!, /send hold/);
  h.clock.advance(1000);
  assert.equal(t.isDestroyed, true);
  assert.ok(h.logger.lines.some((l) => l.msg === 'notification sent' && l.fields.code === NotifyCode.sendHoldTimerExpired));
});

test('malformed messages get the matching NOTIFICATION; bytes after the fault are not read', () => {
  const cases: { name: string; bytes: number[]; code: number; subcode: number }[] = [
    { name: 'bad marker', bytes: [...new Array<number>(16).fill(0), 0, 19, 4], code: NotifyCode.messageHeader, subcode: HeaderSubcode.connectionNotSynchronized },
    { name: 'bad length', bytes: header(18, 4), code: NotifyCode.messageHeader, subcode: HeaderSubcode.badMessageLength },
    { name: 'bad type', bytes: header(19, 9), code: NotifyCode.messageHeader, subcode: HeaderSubcode.badMessageType },
    // Withdrawn Routes Length 16 with 2 octets of body left.
    { name: 'withdrawn length past the end', bytes: [...header(23, 2), 0, 16, 0, 0], code: NotifyCode.updateMessage, subcode: UpdateSubcode.malformedAttributeList },
  ];
  for (const c of cases) {
    const h = harness();
    const t = establish(h);
    // A valid UPDATE right behind the bad message, in the same chunk.
    const chunk = Buffer.concat([Uint8Array.from(c.bytes), Buffer.from([...header(19, 4)])]);
    t.receive(chunk);
    assert.equal(h.session.state, 'Idle', c.name);
    const sent = notificationsOf(t.takeSent());
    assert.equal(sent.length, 1, c.name);
    assert.equal(sent[0]!.code, c.code, c.name);
    assert.equal(sent[0]!.subcode, c.subcode, c.name);
    assert.equal(h.logger.lines.filter((l) => l.msg === 'notification sent').length, 1, c.name);
  }
  const h = harness();
  const t = establish(h);
  t.receive(Buffer.concat([Uint8Array.from([...header(23, 2), 0, 16, 0, 0]), Buffer.from(endOfRibBytes())]));
  assert.deepEqual(h.sink.endOfRib, []);
});

function endOfRibBytes(): Uint8Array {
  return Uint8Array.from([...header(23, 2), 0, 0, 0, 0]);
}

test('End-of-RIB goes to onEndOfRib, routes to onUpdate', () => {
  const h = harness();
  const t = establish(h);
  t.receiveMessage(route('172.17.254.1/32'));
  t.receiveMessage(endOfRib(Afi.ipv4, Safi.unicast));
  t.receiveMessage(endOfRib(Afi.ipv6, Safi.unicast));
  assert.equal(h.sink.updates.length, 1);
  assert.equal([...h.sink.updates[0]!.nlri].length, 1);
  assert.deepEqual(h.sink.endOfRib, [v4, v6]);
});

test('an UPDATE with an RFC 7606 fault is logged and still handed to the sink', () => {
  const h = harness();
  const t = establish(h);
  // ORIGIN 5 (undefined: treat-as-withdraw), AS_PATH [65001], NEXT_HOP 192.0.2.2, NLRI 10/8.
  const attrs = [0x40, 1, 1, 5, 0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9, 0x40, 3, 4, 192, 0, 2, 2];
  const body = [0, 0, 0, attrs.length, ...attrs, 8, 10];
  t.receive(Uint8Array.from([...header(19 + body.length, 2), ...body]));
  assert.equal(h.session.state, 'Established');
  assert.equal(h.sink.updates.length, 1);
  assert.equal(h.sink.updates[0]!.action, 2);
  const line = h.logger.lines.find((l) => l.msg === 'update fault');
  assert.equal(line?.level, 'warn');
  assert.equal(line?.fields.action, 'treat-as-withdraw');
  assert.equal(line?.fields.peer, peerAddress);
  assert.match(String(line?.fields.error), /ORIGIN/);
});

test('UPDATEs restart the hold timer (RFC 4271 8.2.2)', () => {
  const h = harness();
  const t = establish(h);
  for (let i = 0; i < 10; i++) {
    h.clock.advance(60_000);
    t.receiveMessage(route(`10.${i}.0.0/16`));
  }
  assert.equal(h.session.state, 'Established');
  assert.equal(h.sink.updates.length, 10);
});

test('the sink may send from onEstablished; sendUpdate outside Established returns false', () => {
  const h = harness();
  assert.equal(h.session.sendUpdate(route('10.0.0.0/8')), false);
  let sentInside: boolean | undefined;
  h.sink.onUp = () => {
    sentInside = h.session.sendUpdate(route('172.17.254.1/32'));
  };
  const t = establish(h);
  assert.equal(sentInside, true);
  const updates = t.sent().filter((m) => m.type === 'update');
  assert.equal(updates.length, 1);
});

test('Extended Message raises the receive limit to 65535 (RFC 8654)', () => {
  const h = harness();
  const t = establish(h, { caps: [{ kind: 'four-octet-as', asn: 65001 }, { kind: 'extended-message' }] });
  const prefixes = Array.from({ length: 2000 }, (_, i) => parsePrefix(`10.${i >> 8}.${i & 255}.0/24`));
  const big = makeUpdate({ attributes: { origin: Origin.igp, asPath: [{ type: AsSegmentType.sequence, asns: [65001] }], nextHop: Uint8Array.of(192, 0, 2, 2) }, nlri: NlriList.from(prefixes, Afi.ipv4) });
  t.receiveMessage(big, { ...as4Context, isExtendedMessage: true });
  assert.equal(h.session.state, 'Established');
  assert.equal(h.sink.updates[0]?.nlri.count, 2000);
});

test('two sessions in memory, both active, settle on one connection and exchange routes', () => {
  const net = new FakeNetwork();
  const clock = new ManualClock();
  const make = (local: string, peer: string, as: number, peerAs: number, id: number) => {
    const sink = new RecordingSink();
    const logger = recordingLogger();
    const session = new Session(
      { peerAddress: peer, peerPort: 179, localAddress: local, localAs: as, peerAs, routerId: Uint8Array.of(10, 0, 0, id), holdTimeSec: 90, connectRetrySec: 5, isPassive: false, families: [v4] },
      { clock, random: () => 0.5, logger, sink, connect: net.connector(local) },
    );
    net.listen(local, 179, (t) => session.handleIncoming(t));
    return { session, sink, logger };
  };
  const a = make('192.0.2.1', '192.0.2.2', 65000, 65001, 1);
  const b = make('192.0.2.2', '192.0.2.1', 65001, 65000, 2);
  a.session.start();
  b.session.start();
  for (let i = 0; i < 20 && !(a.session.state === 'Established' && b.session.state === 'Established'); i++) {
    net.pump();
    clock.advance(1000);
  }
  assert.equal(a.session.state, 'Established');
  assert.equal(b.session.state, 'Established');
  assert.equal(a.sink.established.length, 1);
  assert.equal(b.sink.established.length, 1);
  assert.equal(a.session.sendUpdate(route('172.17.254.1/32')), true);
  net.pump();
  assert.equal(b.sink.updates.length, 1);
  clock.advance(300_000);
  net.pump();
  assert.equal(a.session.state, 'Established');
  assert.equal(b.session.state, 'Established');
});

test('invalid configuration is refused with the field named', () => {
  assert.throws(() => harness({ holdTimeSec: 2 }), /holdTimeSec/);
  assert.throws(() => harness({ routerId: new Uint8Array(4) }), /routerId/);
  assert.throws(() => harness({ peerAs: 0 }), /peerAs/);
});
