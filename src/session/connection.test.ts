// Receiving in slices: a connection whose messages took this turn's receiving time
// pauses its transport until the next turn, so one busy peer cannot hold the loop.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { systemClock } from '../lib/clock.js';
import { defaultContext } from '../wire/context.js';
import { encodeMessage } from '../wire/message.js';
import { Connection, type ConnectionHandler } from './connection.js';
import { FakeTransport } from './testing.js';

/** A transport that records pause and resume, as a socket would take them. */
class PausableTransport extends FakeTransport {
  calls: string[] = [];
  pause(): void {
    this.calls.push('pause');
  }
  resume(): void {
    this.calls.push('resume');
  }
}

function handler(onMessage: () => void): ConnectionHandler {
  return {
    onConnect: () => undefined,
    onMessage,
    onFramingError: () => assert.fail('framing error'),
    onLost: () => undefined,
    onQueueShrunk: () => undefined,
    onSendHoldExpired: () => undefined,
  };
}

function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin: stands for the work of a large UPDATE
  }
}

const keepalives = (n: number): Uint8Array => {
  const one = encodeMessage({ type: 'keepalive' }, defaultContext);
  const out = new Uint8Array(one.length * n);
  for (let i = 0; i < n; i++) out.set(one, i * one.length);
  return out;
};

test('a chunk whose messages take the turn\'s receiving time pauses the transport until the next turn', async () => {
  await nextTurn();
  const t = new PausableTransport({ address: '127.0.0.1', port: 179 }, { address: '127.0.0.2', port: 40000 });
  let handled = 0;
  new Connection(t, false, true, systemClock, handler(() => {
    handled++;
    busyFor(3);
  }));
  t.emit('data', keepalives(10));
  assert.equal(handled, 10, 'the chunk is handled in full');
  assert.deepEqual(t.calls, ['pause']);
  await nextTurn();
  assert.deepEqual(t.calls, ['pause', 'resume']);
});

test('quick chunks do not pause', async () => {
  await nextTurn();
  const t = new PausableTransport({ address: '127.0.0.1', port: 179 }, { address: '127.0.0.2', port: 40001 });
  let handled = 0;
  new Connection(t, false, true, systemClock, handler(() => handled++));
  for (let i = 0; i < 5; i++) t.emit('data', keepalives(3));
  assert.equal(handled, 15);
  assert.deepEqual(t.calls, []);
});
