// Real TCP on loopback: two of our sessions, each behind its own listener, reach
// Established and carry an UPDATE. Waits are event-driven and bounded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { systemClock } from '../lib/clock.js';
import { Afi, Safi, parsePrefix, formatPrefix } from '../lib/address.js';
import { familyKey } from '../wire/context.js';
import { makeUpdate } from '../wire/update.js';
import { NlriList } from '../wire/nlri.js';
import { AsSegmentType, Origin } from '../wire/attributes/types.js';
import { listen, type Listener } from './listener.js';
import { tcpConnector, type Transport } from './transport.js';
import { Session, type SessionState } from './session.js';
import { RecordingSink, recordingLogger } from './testing.js';

const v4 = familyKey(Afi.ipv4, Safi.unicast);
const waitMs = 5000;

/** Resolves when `check` holds, re-checked on each of the session's state changes; fails after `waitMs`. */
function until(what: string, sessions: Session[], check: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check()) return resolve();
    const cancel = systemClock.after(waitMs, () => reject(new Error(`timed out waiting for ${what}`)));
    const poke = (): void => {
      if (check()) {
        cancel();
        resolve();
      }
    };
    for (const s of sessions) s.onState(poke);
  });
}

interface Side {
  session: Session;
  sink: RecordingSink;
  listener: Listener;
}

async function twoSpeakers(isBPassive: boolean): Promise<{ a: Side; b: Side }> {
  let sa: Session | undefined;
  let sb: Session | undefined;
  const hand = (s: Session | undefined, t: Transport): void => (s === undefined ? t.destroy() : s.handleIncoming(t));
  const la = await listen({ host: '127.0.0.1', port: 0 }, (t) => hand(sa, t));
  const lb = await listen({ host: '127.0.0.2', port: 0 }, (t) => hand(sb, t));
  const sinkA = new RecordingSink();
  const sinkB = new RecordingSink();
  const common = { holdTimeSec: 9, connectRetrySec: 1, families: [v4] };
  sa = new Session(
    { ...common, peerAddress: '127.0.0.2', peerPort: lb.address().port, localAddress: '127.0.0.1', localAs: 65000, peerAs: 65001, routerId: Uint8Array.of(10, 0, 0, 1), isPassive: false },
    { clock: systemClock, random: Math.random, logger: recordingLogger(), sink: sinkA, connect: tcpConnector },
  );
  sb = new Session(
    { ...common, peerAddress: '127.0.0.1', peerPort: la.address().port, localAddress: '127.0.0.2', localAs: 65001, peerAs: 65000, routerId: Uint8Array.of(10, 0, 0, 2), isPassive: isBPassive },
    { clock: systemClock, random: Math.random, logger: recordingLogger(), sink: sinkB, connect: tcpConnector },
  );
  return { a: { session: sa, sink: sinkA, listener: la }, b: { session: sb, sink: sinkB, listener: lb } };
}

async function cleanUp(sides: Side[]): Promise<void> {
  await Promise.all(sides.map((s) => s.session.stop('test over')));
  await Promise.all(sides.map((s) => s.listener.close()));
}

for (const isBPassive of [true, false]) {
  test(`real TCP: Established both ways and an UPDATE across (${isBPassive ? 'one passive' : 'both active'})`, async () => {
    const { a, b } = await twoSpeakers(isBPassive);
    try {
      const up = (): boolean => a.session.state === 'Established' && b.session.state === 'Established';
      b.session.start();
      a.session.start();
      await until('both Established', [a.session, b.session], up);
      assert.equal(a.sink.established[0]?.peerAs, 65001);
      assert.equal(b.sink.established[0]?.peerAs, 65000);
      assert.deepEqual([...b.sink.established[0]!.routerId], [10, 0, 0, 1]);

      const got = new Promise<void>((resolve, reject) => {
        const cancel = systemClock.after(waitMs, () => reject(new Error('timed out waiting for the UPDATE')));
        b.sink.onUpdate = (_peer, update) => {
          b.sink.updates.push(update);
          cancel();
          resolve();
        };
      });
      const sent = a.session.sendUpdate(
        makeUpdate({
          attributes: { origin: Origin.incomplete, asPath: [{ type: AsSegmentType.sequence, asns: [65000] }], nextHop: Uint8Array.of(172, 17, 0, 21) },
          nlri: NlriList.from([parsePrefix('172.17.254.1/32')], Afi.ipv4),
        }),
      );
      assert.equal(sent, true);
      await got;
      const u = b.sink.updates[0]!;
      assert.deepEqual([...u.nlri].map((n) => formatPrefix(n.prefix)), ['172.17.254.1/32']);
      assert.deepEqual(u.attributes.asPath, [{ type: AsSegmentType.sequence, asns: [65000] }]);

      // A stop reaches the other side as a Cease with its communication.
      const states: SessionState[] = [];
      b.session.onState((s) => states.push(s));
      await a.session.stop('bye');
      await until('B down', [b.session], () => b.session.state !== 'Established');
      assert.ok(states.includes('Idle'));
      assert.equal(b.sink.down.length, 1);
    } finally {
      await cleanUp([a, b]);
    }
  });
}

test('listen() rejects an address in use, naming it', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    await assert.rejects(listen({ host: '127.0.0.1', port }, () => {}), new RegExp(`127\\.0\\.0\\.1:${port}`));
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});

test('listen() reports its real port and stops accepting after close()', async () => {
  const l = await listen({ host: '127.0.0.1', port: 0 }, (t) => t.destroy());
  const { port, address } = l.address();
  assert.equal(address, '127.0.0.1');
  assert.ok(port > 0);
  await l.close();
  const refused = await new Promise<boolean>((resolve) => {
    const t = tcpConnector({ host: '127.0.0.1', port });
    t.on('error', () => resolve(true));
    t.on('connect', () => {
      t.destroy();
      resolve(false);
    });
  });
  assert.equal(refused, true);
});
