// The BFD session state machine (RFC 5880 6.2, 6.8) on a ManualClock: the transition
// table, the three-way handshake, detection, Poll/Final, rates and jitter.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.js';
import { BfdSession, bfdTransitions, stepBfd, slowTxUs, type BfdTimers } from './session.js';
import type { BfdControlPacket, BfdState } from './packet.js';

const local = 0x11111111;
const remote = 0x22222222;
const timers300: BfdTimers = { desiredMinTxMs: 300, requiredMinRxMs: 300, detectMultiplier: 3 };

interface Rig {
  readonly clock: ManualClock;
  readonly session: BfdSession;
  readonly sent: { readonly at: number; readonly p: BfdControlPacket }[];
  readonly changes: string[];
  random: number;
}

function rig(timers: BfdTimers = timers300, isStarted = true): Rig {
  const clock = new ManualClock();
  const r: Rig = { clock, sent: [], changes: [], random: 0, session: undefined as unknown as BfdSession };
  const session = new BfdSession(local, timers, { clock, random: () => r.random, send: (p) => r.sent.push({ at: clock.now(), p }) });
  session.onState((to, from, diag) => r.changes.push(`${from}->${to} ${diag}`));
  (r as { session: BfdSession }).session = session;
  if (isStarted) session.start();
  return r;
}

/** A packet from the peer; by default it knows our discriminator and runs 300 ms x 3. */
function peer(state: BfdState, extra: Partial<BfdControlPacket> = {}): BfdControlPacket {
  return {
    diag: 0,
    state,
    isPoll: false,
    isFinal: false,
    isControlPlaneIndependent: false,
    isDemand: false,
    detectMult: 3,
    myDiscriminator: remote,
    yourDiscriminator: state === 'Down' || state === 'AdminDown' ? 0 : local,
    desiredMinTxUs: 300_000,
    requiredMinRxUs: 300_000,
    requiredMinEchoRxUs: 0,
    ...extra,
  };
}

const last = (r: Rig): BfdControlPacket => r.sent[r.sent.length - 1]!.p;

/** Brings a session Up through the three-way handshake and the Poll it starts. */
function up(r: Rig): void {
  r.session.receive(peer('Down'));
  r.session.receive(peer('Up'));
  assert.equal(r.session.state, 'Up');
  r.session.receive(peer('Up', { isFinal: true }));
}

// RFC 5880 6.8.6, every (local, received) pair: the expected next state or "stay".
const table: readonly [BfdState, BfdState, BfdState | 'stay'][] = [
  ['Down', 'AdminDown', 'stay'],
  ['Down', 'Down', 'Init'],
  ['Down', 'Init', 'Up'],
  ['Down', 'Up', 'stay'],
  ['Init', 'AdminDown', 'Down'],
  ['Init', 'Down', 'stay'],
  ['Init', 'Init', 'Up'],
  ['Init', 'Up', 'Up'],
  ['Up', 'AdminDown', 'Down'],
  ['Up', 'Down', 'Down'],
  ['Up', 'Init', 'stay'],
  ['Up', 'Up', 'stay'],
  ['AdminDown', 'AdminDown', 'stay'],
  ['AdminDown', 'Down', 'stay'],
  ['AdminDown', 'Init', 'stay'],
  ['AdminDown', 'Up', 'stay'],
];

for (const [from, received, want] of table) {
  test(`transition table: ${from} + received ${received} -> ${want}`, () => {
    const t = stepBfd(from, received);
    assert.equal(t === undefined || t.next === from ? 'stay' : t.next, want);
  });
}

test('transition table: every change to Down from Init or Up is diag 3 (neighbor signaled)', () => {
  for (const [, byReceived] of Object.entries(bfdTransitions)) {
    for (const t of Object.values(byReceived)) if (t.next === 'Down') assert.equal(t.diag, 3);
  }
});

test('the same table driven through a session: each case reaches its state', () => {
  for (const [from, received, want] of table) {
    const r = rig();
    if (from === 'Init') r.session.receive(peer('Down'));
    if (from === 'Up') up(r);
    if (from === 'AdminDown') r.session.adminDown();
    assert.equal(r.session.state, from, `setup for ${from}`);
    r.session.receive(peer(received, received === 'Down' || received === 'AdminDown' ? {} : { yourDiscriminator: local }));
    assert.equal(r.session.state, want === 'stay' ? from : want, `${from} + ${received}`);
  }
});

test('an active session sends Down at once, at the slow rate (6.8.3), Your Discriminator 0', () => {
  const r = rig();
  assert.equal(r.sent.length, 1);
  const p = last(r);
  assert.deepEqual([p.state, p.yourDiscriminator, p.myDiscriminator, p.desiredMinTxUs, p.requiredMinRxUs, p.detectMult], ['Down', 0, local, slowTxUs, 300_000, 3]);
  // random() = 0: no jitter reduction, next after exactly 1 s.
  r.clock.advance(999);
  assert.equal(r.sent.length, 1);
  r.clock.advance(1);
  assert.equal(r.sent.length, 2);
});

test('a passive session is silent until the peer speaks, then answers at once', () => {
  const r = rig({ ...timers300, isPassive: true });
  r.clock.advance(5000);
  assert.equal(r.sent.length, 0);
  r.session.receive(peer('Down'));
  assert.equal(r.session.state, 'Init');
  assert.equal(r.sent.length, 1);
  assert.deepEqual([last(r).state, last(r).yourDiscriminator], ['Init', remote]);
});

test('three-way handshake: Down, Init, Up; Up starts a Poll for the fast rate; Final ends it', () => {
  const r = rig();
  r.session.receive(peer('Down'));
  assert.equal(r.session.state, 'Init');
  assert.deepEqual([last(r).state, last(r).yourDiscriminator], ['Init', remote]);
  r.session.receive(peer('Up'));
  assert.equal(r.session.state, 'Up');
  assert.deepEqual(r.changes, ['Down->Init none', 'Init->Up none']);
  assert.deepEqual([last(r).state, last(r).isPoll, last(r).desiredMinTxUs], ['Up', true, 300_000]);
  // The faster rate applies at once (a decrease of Desired Min TX, 6.8.3).
  assert.equal(r.session.txIntervalMs, 300);
  r.clock.advance(300);
  assert.equal(last(r).isPoll, true, 'Poll repeats until the Final');
  r.session.receive(peer('Up', { isFinal: true }));
  r.clock.advance(300);
  assert.equal(last(r).isPoll, false);
  assert.equal(last(r).isFinal, false);
});

test('detection: Up with no packet for 3 x 300 ms goes Down, diag 1 (6.8.4)', () => {
  const r = rig();
  up(r);
  assert.equal(r.session.detectionTimeMs, 900);
  r.clock.advance(899);
  assert.equal(r.session.state, 'Up');
  r.clock.advance(1);
  assert.equal(r.session.state, 'Down');
  assert.equal(r.changes[r.changes.length - 1], 'Up->Down control-detection-time-expired');
  assert.deepEqual([last(r).state, last(r).diag, last(r).desiredMinTxUs], ['Down', 1, slowTxUs]);
});

test('every packet restarts the detection timer', () => {
  const r = rig();
  up(r);
  for (let i = 0; i < 10; i++) {
    r.clock.advance(800);
    r.session.receive(peer('Up'));
  }
  assert.equal(r.session.state, 'Up');
});

test('detection time uses the slower of our Required Min RX and the peer Desired Min TX, times the peer multiplier', () => {
  const r = rig();
  r.session.receive(peer('Down', { detectMult: 5, desiredMinTxUs: 1_000_000 }));
  assert.equal(r.session.detectionTimeMs, 5000);
  r.session.receive(peer('Up', { detectMult: 2, desiredMinTxUs: 100_000 }));
  assert.equal(r.session.detectionTimeMs, 600);
});

test('the tx interval is the slower of our Desired Min TX and the peer Required Min RX', () => {
  const r = rig();
  up(r);
  r.session.receive(peer('Up', { requiredMinRxUs: 500_000 }));
  assert.equal(r.session.txIntervalMs, 500);
});

test('peer Down while Up: Down with diag 3; peer AdminDown: Down, remote state AdminDown', () => {
  const a = rig();
  up(a);
  a.session.receive(peer('Down'));
  assert.deepEqual([a.session.state, a.session.diag, a.session.remoteState], ['Down', 'neighbor-signaled-session-down', 'Down']);
  const b = rig();
  up(b);
  b.session.receive(peer('AdminDown'));
  assert.deepEqual([b.session.state, b.session.diag, b.session.remoteState], ['Down', 'neighbor-signaled-session-down', 'AdminDown']);
});

test("the peer's Poll is answered at once with Final and no Poll (6.5)", () => {
  const r = rig();
  up(r);
  r.clock.advance(100);
  const before = r.sent.length;
  r.session.receive(peer('Up', { isPoll: true, desiredMinTxUs: 200_000 }));
  assert.equal(r.sent.length, before + 1);
  assert.deepEqual([last(r).isFinal, last(r).isPoll, r.sent[r.sent.length - 1]!.at], [true, false, 100]);
});

test('a slower Desired Min TX while Up waits for the Final (6.8.3), a faster one does not', () => {
  const r = rig();
  up(r);
  r.session.setTimers({ ...timers300, desiredMinTxMs: 1000 });
  assert.equal(r.session.txIntervalMs, 300);
  r.clock.advance(300);
  assert.deepEqual([last(r).isPoll, last(r).desiredMinTxUs], [true, 1_000_000]);
  r.session.receive(peer('Up', { isFinal: true }));
  assert.equal(r.session.txIntervalMs, 1000);
  r.session.setTimers({ ...timers300, desiredMinTxMs: 100 });
  assert.equal(r.session.txIntervalMs, 300, 'still bounded by the peer Required Min RX');
  r.session.receive(peer('Up', { isFinal: true, requiredMinRxUs: 50_000 }));
  assert.equal(r.session.txIntervalMs, 100);
});

test('a faster Required Min RX while Up keeps the old detection time until the Final', () => {
  const r = rig({ ...timers300, requiredMinRxMs: 1000 });
  up(r);
  assert.equal(r.session.detectionTimeMs, 3000);
  r.session.setTimers({ ...timers300, requiredMinRxMs: 100 });
  r.session.receive(peer('Up', { desiredMinTxUs: 100_000 }));
  assert.equal(r.session.detectionTimeMs, 3000);
  r.session.receive(peer('Up', { isFinal: true, desiredMinTxUs: 100_000 }));
  assert.equal(r.session.detectionTimeMs, 300);
});

test('a change during a Poll Sequence gets a Poll of its own after the first ends', () => {
  const r = rig();
  up(r);
  r.session.setTimers({ ...timers300, desiredMinTxMs: 500 });
  r.session.receive(peer('Up', { isFinal: true }));
  assert.equal(r.session.txIntervalMs, 500);
  r.session.setTimers({ ...timers300, desiredMinTxMs: 600 });
  r.session.setTimers({ ...timers300, desiredMinTxMs: 700 });
  r.session.receive(peer('Up', { isFinal: true }));
  // That Final acknowledged the Poll that carried 600; 700 is polled next.
  assert.equal(r.session.txIntervalMs, 600);
  r.clock.advance(600);
  assert.deepEqual([last(r).isPoll, last(r).desiredMinTxUs], [true, 700_000]);
  r.session.receive(peer('Up', { isFinal: true }));
  assert.equal(r.session.txIntervalMs, 700);
  r.clock.advance(700);
  assert.equal(last(r).isPoll, false);
});

test('jitter: 75-100% of the interval; 75-90% with Detect Mult 1 (6.8.7)', () => {
  const gaps = (timers: BfdTimers, random: number): number => {
    const r = rig(timers);
    r.random = random;
    up(r);
    const from = r.sent.length;
    r.clock.advance(2000);
    return r.sent[from + 1]!.at - r.sent[from]!.at;
  };
  assert.equal(gaps(timers300, 0), 300);
  assert.equal(Math.round(gaps(timers300, 0.999999)), 225);
  assert.equal(gaps({ ...timers300, detectMultiplier: 1 }, 0), 270);
  assert.equal(Math.round(gaps({ ...timers300, detectMultiplier: 1 }, 0.999999)), 225);
});

test('Down for a detection time after the peer went quiet forgets its discriminator (6.8.1)', () => {
  const r = rig();
  up(r);
  r.clock.advance(900);
  assert.equal(r.session.state, 'Down');
  assert.equal(r.session.remoteDiscriminator, remote);
  r.clock.advance(900);
  assert.equal(r.session.remoteDiscriminator, 0);
  r.clock.advance(1000);
  assert.deepEqual([last(r).state, last(r).yourDiscriminator], ['Down', 0]);
});

test('a passive session falls silent again once it forgot the peer', () => {
  const r = rig({ ...timers300, isPassive: true });
  r.session.receive(peer('Down'));
  r.clock.advance(3000); // Init -> Down at 900 ms, peer forgotten 900 ms later
  const count = r.sent.length;
  r.clock.advance(5000);
  assert.equal(r.sent.length, count);
});

test('adminDown: AdminDown with diag 7, three packets, then silence; packets ignored', () => {
  const r = rig();
  up(r);
  const from = r.sent.length;
  r.session.adminDown();
  assert.equal(r.changes[r.changes.length - 1], 'Up->AdminDown administratively-down');
  r.clock.advance(10_000);
  const after = r.sent.slice(from).map((s) => `${s.p.state}/${s.p.diag}`);
  assert.deepEqual(after, ['AdminDown/7', 'AdminDown/7', 'AdminDown/7']);
  r.session.receive(peer('Up'));
  assert.equal(r.session.state, 'AdminDown');
});

test("the peer's Demand mode silences periodic packets once both are Up (6.8.7)", () => {
  const r = rig();
  up(r);
  r.session.receive(peer('Up', { isDemand: true }));
  const count = r.sent.length;
  r.clock.advance(600);
  assert.equal(r.sent.length, count);
});

test('stop cancels every timer', () => {
  const r = rig();
  up(r);
  r.session.stop();
  assert.equal(r.clock.pendingCount, 0);
});

test('timers out of range are refused with the field named', () => {
  assert.throws(() => rig({ ...timers300, detectMultiplier: 0 }), /detectMultiplier must be an integer from 1 to 255, got 0/);
  assert.throws(() => rig({ ...timers300, desiredMinTxMs: 0.5 }), /desiredMinTxMs/);
});
