// BfdManager: two managers joined by an in-memory link on one ManualClock (handshake,
// failure detection, demultiplexing, AdminDown, refusals), then over real UDP on
// loopback (RFC 5881 ports) for IPv4 and IPv6.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { BfdManager, type BfdPeerHandle } from './manager.js';
import type { BfdControlPacket } from './packet.js';
import { UdpBfdTransport, bfdSourcePortMin, bfdSourcePortMax } from './transport.js';
import { Link } from './testing.js';
import { defaultBfdTimers } from './session.js';

/** Collected JSON log lines. */
function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger({ level: 'debug', format: 'json', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }) };
}

interface Pair {
  readonly clock: ManualClock;
  readonly link: Link;
  readonly a: BfdManager;
  readonly b: BfdManager;
  readonly logA: Record<string, unknown>[];
  readonly logB: Record<string, unknown>[];
  readonly ha: BfdPeerHandle;
  readonly hb: BfdPeerHandle;
}

async function pair(options: { isPassiveB?: boolean } = {}): Promise<Pair> {
  const clock = new ManualClock();
  const link = new Link();
  let seed = 1;
  const random = (): number => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const la = memoryLogger();
  const lb = memoryLogger();
  const a = new BfdManager({ clock, random, logger: la.logger, transport: link.transport('10.0.0.1') });
  const b = new BfdManager({ clock, random, logger: lb.logger, transport: link.transport('10.0.0.2') });
  await a.start();
  await b.start();
  const ha = a.add({ remoteAddress: '10.0.0.2', timers: defaultBfdTimers });
  const hb = b.add({ remoteAddress: '10.0.0.1', timers: { ...defaultBfdTimers, ...(options.isPassiveB === true ? { isPassive: true } : {}) } });
  return { clock, link, a, b, logA: la.lines, logB: lb.lines, ha, hb };
}

/** Advances in 10 ms steps until `done` or `limitMs`; returns the time taken. */
function advanceUntil(clock: ManualClock, done: () => boolean, limitMs: number): number {
  const start = clock.now();
  while (!done() && clock.now() - start < limitMs) clock.advance(10);
  return clock.now() - start;
}

test('two managers reach Up, then each declares the other down within the detection time of a cut', async () => {
  const p = await pair();
  advanceUntil(p.clock, () => p.ha.state === 'Up' && p.hb.state === 'Up', 5000);
  assert.deepEqual([p.ha.state, p.hb.state], ['Up', 'Up']);
  const changes: string[] = [];
  p.ha.onState((to, from, diag) => changes.push(`${from}->${to} ${diag}`));
  p.clock.advance(3000);
  assert.equal(p.ha.state, 'Up', 'stays Up while packets flow');
  p.link.isCut = true;
  const took = advanceUntil(p.clock, () => p.ha.state === 'Down' && p.hb.state === 'Down', 2000);
  assert.ok(took <= 900, `detected in ${took} ms`);
  assert.deepEqual(changes, ['Up->Down control-detection-time-expired']);
  const line = p.logA.find((l) => l['msg'] === 'bfd state' && l['to'] === 'Down');
  assert.deepEqual([line?.['peer'], line?.['from'], line?.['diag'], line?.['level']], ['10.0.0.2', 'Up', 'control-detection-time-expired', 'info']);
  p.link.isCut = false;
  advanceUntil(p.clock, () => p.ha.state === 'Up' && p.hb.state === 'Up', 5000);
  assert.deepEqual([p.ha.state, p.hb.state], ['Up', 'Up'], 'comes back when the link does');
  await p.a.close();
  await p.b.close();
});

test('each session sends from its own source port in 49152-65535, the same for all its packets', async () => {
  const p = await pair();
  p.clock.advance(3000);
  const ports = new Map<string, Set<number>>();
  for (const e of p.link.log) ports.set(e.from, (ports.get(e.from) ?? new Set()).add(e.sourcePort));
  for (const set of ports.values()) {
    assert.equal(set.size, 1);
    const [port] = set;
    assert.ok(port! >= bfdSourcePortMin && port! <= bfdSourcePortMax);
  }
  await p.a.close();
  await p.b.close();
});

test('a passive session waits for the first packet', async () => {
  const p = await pair({ isPassiveB: true });
  assert.equal(p.link.log.filter((e) => e.from === '10.0.0.2').length, 0);
  advanceUntil(p.clock, () => p.hb.state === 'Up', 5000);
  assert.equal(p.hb.state, 'Up');
  assert.equal(p.link.log[0]!.from, '10.0.0.1');
  await p.a.close();
  await p.b.close();
});

test('remove sends AdminDown: the peer goes Down, remote state AdminDown (RFC 5882 3.2: no failure)', async () => {
  const p = await pair();
  advanceUntil(p.clock, () => p.ha.state === 'Up' && p.hb.state === 'Up', 5000);
  p.ha.remove();
  assert.equal(p.ha.state, 'AdminDown');
  assert.deepEqual([p.hb.state, p.hb.remoteState], ['Down', 'AdminDown']);
  // The address is free for a new session at once.
  const again = p.a.add({ remoteAddress: '10.0.0.2', timers: defaultBfdTimers });
  advanceUntil(p.clock, () => again.state === 'Up' && p.hb.state === 'Up', 5000);
  assert.deepEqual([again.state, p.hb.state], ['Up', 'Up']);
  await p.a.close();
  await p.b.close();
});

test('close takes every session AdminDown and the peer hears of it', async () => {
  const p = await pair();
  advanceUntil(p.clock, () => p.ha.state === 'Up' && p.hb.state === 'Up', 5000);
  await p.a.close();
  assert.deepEqual([p.hb.state, p.hb.remoteState], ['Down', 'AdminDown']);
  assert.equal(p.clock.pendingCount > 0, true, 'b still runs');
  await p.b.close();
  assert.throws(() => p.b.add({ remoteAddress: '10.0.0.9', timers: defaultBfdTimers }), /closed/);
});

test('demultiplexing: Your Discriminator selects the session, zero selects by source address', async () => {
  const p = await pair();
  advanceUntil(p.clock, () => p.ha.state === 'Up', 5000);
  const toA = p.link.log.filter((e) => e.from === '10.0.0.2');
  const bDiscr = toA[toA.length - 1]!.p.myDiscriminator;
  const aDiscr = toA[toA.length - 1]!.p.yourDiscriminator;
  const base = toA[toA.length - 1]!.p;
  // Another host using a's discriminator is not that session's peer.
  p.link.inject('10.0.0.66', '10.0.0.1', { ...base, state: 'Down', diag: 0 });
  p.link.inject('10.0.0.66', '10.0.0.1', { ...base, state: 'Down', yourDiscriminator: aDiscr });
  assert.equal(p.ha.state, 'Up');
  // Unknown discriminator: discarded.
  p.link.inject('10.0.0.2', '10.0.0.1', { ...base, state: 'Down', yourDiscriminator: aDiscr ^ 1 });
  assert.equal(p.ha.state, 'Up');
  // The peer's own Down, by discriminator: taken (the link cut so b does not answer).
  p.link.isCut = true;
  p.link.inject('10.0.0.2', '10.0.0.1', { ...base, myDiscriminator: bDiscr, state: 'Down' });
  assert.equal(p.ha.state, 'Down');
  const discards = p.logA.filter((l) => l['msg'] === 'bfd packet discarded').map((l) => l['reason']);
  assert.deepEqual(discards, ['discriminator of another peer', 'discriminator of another peer', 'no session']);
  await p.a.close();
  await p.b.close();
});

test('malformed and authenticated packets are discarded and logged, once per peer for authentication', async () => {
  const p = await pair();
  const end = p.link.ends.get('10.0.0.1')!;
  end({ bytes: new Uint8Array([0x20, 0x40, 0x00, 0x18]), remoteAddress: '10.0.0.2', remotePort: 50000 });
  const base: BfdControlPacket = { diag: 0, state: 'Down', isPoll: false, isFinal: false, isControlPlaneIndependent: false, isDemand: false, detectMult: 3, myDiscriminator: 5, yourDiscriminator: 0, desiredMinTxUs: 1e6, requiredMinRxUs: 1e6, requiredMinEchoRxUs: 0 };
  for (let i = 0; i < 3; i++) p.link.inject('10.0.0.2', '10.0.0.1', { ...base, auth: { type: 'simplePassword', keyId: 1, password: new Uint8Array([1]) } });
  const discards = p.logA.filter((l) => l['msg'] === 'bfd packet discarded');
  assert.deepEqual(
    discards.map((l) => [l['level'], l['reason']]),
    [
      ['debug', 'truncated'],
      ['warn', 'authentication'],
    ],
  );
  await p.a.close();
  await p.b.close();
});

test('a second session to the same address is refused; bad timers name the field', async () => {
  const p = await pair();
  assert.throws(() => p.a.add({ remoteAddress: '10.0.0.2', timers: defaultBfdTimers }), /a BFD session to 10.0.0.2 exists already/);
  assert.throws(() => p.a.add({ remoteAddress: '10.0.0.3', timers: { ...defaultBfdTimers, detectMultiplier: 300 } }), /detectMultiplier/);
  await p.a.close();
  await p.b.close();
});

/** Real sockets with a ManualClock: advance, then let the event loop deliver (bounded). */
async function advanceReal(clock: ManualClock, done: () => boolean, limitMs: number): Promise<void> {
  const start = clock.now();
  while (!done() && clock.now() - start < limitMs) {
    clock.advance(50);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

// Ports of their own: other tests on this host may use 3784 at the same time.
const portBase = 20000 + Math.floor(Math.random() * 20000);
for (const family of [
  { name: 'IPv4', a: '127.0.0.1', b: '127.0.0.2', portA: portBase, portB: portBase + 1 },
  { name: 'IPv6', a: '::1', b: '::1', portA: portBase + 2, portB: portBase + 3 },
]) {
  test(`over UDP on loopback (${family.name}): Up, then Down when one side closes`, async () => {
    const clock = new ManualClock();
    const la = memoryLogger();
    const lb = memoryLogger();
    const ta = new UdpBfdTransport({ port: family.portA, peerPort: family.portB });
    const tb = new UdpBfdTransport({ port: family.portB, peerPort: family.portA });
    const a = new BfdManager({ clock, random: Math.random, logger: la.logger, transport: ta });
    const b = new BfdManager({ clock, random: Math.random, logger: lb.logger, transport: tb });
    try {
      await a.start({ listenAddress: family.a });
      await b.start({ listenAddress: family.b });
      const ha = a.add({ remoteAddress: family.b, localAddress: family.a, timers: defaultBfdTimers });
      const hb = b.add({ remoteAddress: family.a, localAddress: family.b, timers: defaultBfdTimers });
      await advanceReal(clock, () => ha.state === 'Up' && hb.state === 'Up', 10_000);
      assert.deepEqual([ha.state, hb.state], ['Up', 'Up']);
      await a.close();
      await advanceReal(clock, () => hb.state === 'Down', 3000);
      assert.equal(hb.state, 'Down');
      assert.equal(hb.remoteState, 'AdminDown');
      assert.deepEqual(la.lines.filter((l) => l['level'] === 'error'), []);
    } finally {
      await a.close();
      await b.close();
    }
  });
}
