// A listing must not hold the event loop: sendInSlices lets it turn every few
// milliseconds even when the stream takes every message at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import { sendInSlices } from './stream.js';

/** A stream that takes every message without ever asking the writer to wait. */
class EagerStream extends EventEmitter {
  written = 0;
  write(): boolean {
    this.written++;
    return true;
  }
}

function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin: stands for the work of turning one destination into a message
  }
}

test('a long listing lets the event loop turn while the stream keeps up', async () => {
  const stream = new EagerStream();
  const call = stream as unknown as grpc.ServerWritableStream<unknown, { n: number }>;
  let turns = 0;
  let isListing = true;
  const probe = (): void => {
    if (!isListing) return;
    turns++;
    setImmediate(probe);
  };
  setImmediate(probe);
  const began = performance.now();
  // 400 messages at 0.25 ms each: about 100 ms of work.
  for (let i = 0; i < 400; i++) {
    busyFor(0.25);
    await sendInSlices(call, { n: i });
  }
  const tookMs = performance.now() - began;
  isListing = false;
  assert.equal(stream.written, 400);
  // One turn per 10 ms slice at least; without slicing the probe would never run.
  assert.ok(turns >= Math.floor(tookMs / 20), `${turns} turns of the event loop in ${tookMs.toFixed(0)} ms of listing`);
});
