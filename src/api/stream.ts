// Writing server streams (ListPath, ListPeer, WatchEvent, ...): waiting for a full
// stream to drain, and giving the event loop its turn during a long listing.

import type * as grpc from '@grpc/grpc-js';

export type Stream<Res> = grpc.ServerWritableStream<unknown, Res>;

/** Resolves when the stream can take more, or is gone. */
function drained<Res>(call: Stream<Res>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
  });
}

/**
 * Longest a listing works between two turns of the event loop. A stream that keeps
 * taking messages never makes `send` wait, and awaiting a settled promise runs on in the
 * same turn: without this, a long listing would hold up sessions and timers until done.
 */
const listingSliceMs = 10;
/** When each stream's current slice of work began. */
const sliceBegan = new WeakMap<object, number>();

/** Writes one message of a listing; waits when the stream is full or the slice is used up. */
export async function sendInSlices<Res>(call: Stream<Res>, message: Res): Promise<void> {
  if (!call.write(message)) await drained(call);
  const now = performance.now();
  const began = sliceBegan.get(call);
  if (began === undefined) {
    sliceBegan.set(call, now);
  } else if (now - began >= listingSliceMs) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    sliceBegan.set(call, performance.now());
  }
}

export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
