// The batching writer against a scripted kernel: batch sizes and ACK flags on the wire,
// each refusal mapped back to its request, success implied by the batch's last ACK,
// lost answers, the in-flight window, and dumps. No privilege needed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddress } from '../lib/address.js';
import { ENOBUFS, KernelWriter } from './kernel-writer.js';
import { KernelError, NlmFlag, NlmsgType, NlWriter, RtmType, splitMessages, type NlMessage } from './netlink.js';
import { RouteScope, RouteType, encodeRouteRequest } from './route-message.js';
import { NetlinkSocketError, type NetlinkSocket } from './socket.js';
import * as replies from './fixtures/kernel-replies.js';

const ENETUNREACH = 101;

/** A kernel in a box: answers each datagram like netlink_rcv_skb, when told to. */
class ScriptedKernel implements NetlinkSocket {
  readonly datagrams: NlMessage[][] = [];
  private onData: ((d: Uint8Array) => void) | undefined;
  private onError: ((e: NetlinkSocketError) => void) | undefined;
  private held: Uint8Array[] = [];
  isHolding = false;

  constructor(private readonly refuse: (seq: number, index: number) => { errno: number; text?: string } | undefined = () => undefined) {}

  private count = 0;

  send(datagram: Uint8Array): void {
    const msgs = splitMessages(Uint8Array.from(datagram));
    this.datagrams.push(msgs);
    const w = new NlWriter();
    for (const m of msgs) {
      const refusal = this.refuse(m.seq, this.count++);
      if (refusal === undefined && (m.flags & NlmFlag.ack) === 0) continue;
      const hasText = refusal?.text !== undefined;
      const at = w.beginMessage(NlmsgType.error, NlmFlag.capped | (hasText ? NlmFlag.ackTlvs : 0), m.seq, 1234);
      w.u32(refusal === undefined ? 0 : -refusal.errno);
      w.u32(16).u16(m.type).u16(m.flags).u32(m.seq).u32(0);
      if (hasText) w.attrBytes(1, new TextEncoder().encode(refusal!.text + '\0'));
      w.endMessage(at);
    }
    if (w.length > 0) this.deliver(w.finish());
  }

  deliver(d: Uint8Array): void {
    if (this.isHolding) this.held.push(d);
    else queueMicrotask(() => this.onData!(d));
  }

  release(): void {
    this.isHolding = false;
    const held = this.held;
    this.held = [];
    for (const d of held) this.deliver(d);
  }

  lose(): void {
    this.held = [];
    this.isHolding = false;
    this.onError!(new NetlinkSocketError('recv: no buffer space', 'ENOBUFS', ENOBUFS));
  }

  listen(onDatagram: (d: Uint8Array) => void, onError: (e: NetlinkSocketError) => void): void {
    this.onData = onDatagram;
    this.onError = onError;
  }

  join(): void {}
  setRef(): void {}
  isClosed = false;
  close(): void {
    this.isClosed = true;
  }
}

function routeRequest(i: number) {
  const route = {
    dst: { afi: 1 as const, length: 32, addr: Uint8Array.of(10, 0, (i >> 8) & 0xff, i & 0xff) },
    table: 254,
    protocol: 186,
    scope: RouteScope.universe,
    type: RouteType.unicast,
    metric: 20,
    tos: 0,
    nextHops: [{ gateway: parseAddress('172.17.0.21'), ifindex: 0, weight: 1, flags: 0 }],
    prefSrc: undefined,
    flags: 0,
  };
  return (w: NlWriter, seq: number) => encodeRouteRequest(w, 'replace', route, seq, NlmFlag.request);
}

async function submit(writer: KernelWriter, n: number): Promise<(KernelError | undefined)[]> {
  const results = new Array<KernelError | undefined | 'pending'>(n).fill('pending');
  for (let i = 0; i < n; i++) writer.request(routeRequest(i), (e) => (results[i] = e));
  await writer.idle();
  assert.ok(!results.includes('pending'), 'every request got an answer');
  return results as (KernelError | undefined)[];
}

test('1,200 requests go out as 500 + 500 + 200 with an ACK asked only on each last message', async () => {
  const kernel = new ScriptedKernel();
  const writer = new KernelWriter(kernel);
  const results = await submit(writer, 1200);
  assert.deepEqual(
    kernel.datagrams.map((d) => d.length),
    [500, 500, 200],
  );
  for (const d of kernel.datagrams) {
    assert.deepEqual(
      d.map((m, i) => ((m.flags & NlmFlag.ack) !== 0 ? i : -1)).filter((i) => i >= 0),
      [d.length - 1],
    );
    assert.ok(d.every((m) => m.type === RtmType.newRoute && (m.flags & NlmFlag.replace) !== 0));
  }
  assert.ok(results.every((r) => r === undefined));
  assert.deepEqual(writer.stats, { requests: 1200, failures: 0, datagrams: 3 });
});

test('each refusal reaches its own request with errno and kernel text; the rest succeed', async () => {
  const refused = new Set([3, 499, 700]);
  const kernel = new ScriptedKernel((_seq, index) => (refused.has(index) ? { errno: ENETUNREACH, text: 'Nexthop has invalid gateway' } : undefined));
  const writer = new KernelWriter(kernel);
  const results = await submit(writer, 1000);
  for (let i = 0; i < results.length; i++) {
    if (!refused.has(i)) {
      assert.equal(results[i], undefined, `request ${i}`);
      continue;
    }
    const e = results[i]!;
    assert.ok(e instanceof KernelError);
    assert.equal(e.code, 'ENETUNREACH');
    assert.equal(e.kernelMessage, 'Nexthop has invalid gateway');
  }
  assert.equal(writer.stats.failures, 3);
});

test('a refused last message is its batch ACK as well', async () => {
  const kernel = new ScriptedKernel((_seq, index) => (index === 9 ? { errno: 22 } : undefined));
  const writer = new KernelWriter(kernel, { batchSize: 10 });
  const results = await submit(writer, 10);
  assert.equal(results[9]?.code, 'EINVAL');
  assert.ok(results.slice(0, 9).every((r) => r === undefined));
});

test('no more batches than the window are unanswered at once', async () => {
  const kernel = new ScriptedKernel();
  kernel.isHolding = true;
  const writer = new KernelWriter(kernel, { batchSize: 10, maxBatchesInFlight: 2 });
  let answered = 0;
  for (let i = 0; i < 50; i++) writer.request(routeRequest(i), () => answered++);
  writer.flush();
  assert.equal(kernel.datagrams.length, 2);
  for (let round = 0; round < 10 && answered < 50; round++) {
    kernel.release();
    kernel.isHolding = true;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  kernel.release();
  await writer.idle();
  assert.equal(answered, 50);
  assert.equal(kernel.datagrams.length, 5);
});

test('lost answers (ENOBUFS) fail the batches in flight with ENOBUFS, and later work goes on', async () => {
  const kernel = new ScriptedKernel();
  kernel.isHolding = true;
  const writer = new KernelWriter(kernel, { batchSize: 10, maxBatchesInFlight: 1 });
  const results: (KernelError | undefined)[] = [];
  for (let i = 0; i < 20; i++) writer.request(routeRequest(i), (e) => results.push(e));
  writer.flush();
  kernel.lose();
  assert.equal(results.length, 10);
  assert.ok(results.every((e) => e?.errno === ENOBUFS));
  await writer.idle();
  assert.equal(results.length, 20);
  assert.ok(results.slice(10).every((e) => e === undefined));
});

test('the captured kernel replies decode to their requests', async () => {
  const kernel = new ScriptedKernel();
  const writer = new KernelWriter(kernel);
  kernel.isHolding = true;
  const results: (KernelError | undefined)[] = [];
  // Sequence numbers 1-3 as in the capture: make the writer use them by starting below.
  (writer as unknown as { seq: number }).seq = 0;
  writer.request(routeRequest(1), (e) => results.push(e));
  writer.request(routeRequest(2), (e) => results.push(e));
  writer.flush();
  const sent = kernel.datagrams[0]!;
  assert.deepEqual(
    sent.map((m) => m.seq),
    [1, 2],
  );
  kernel.release();
  // Replace the scripted answers with the real ones.
  (kernel as unknown as { onData: (d: Uint8Array) => void }).onData(Buffer.from(replies.errorInvalidGateway + replies.ackSuccess, 'hex'));
  await writer.idle();
  assert.equal(results[0]?.code, 'ENETUNREACH');
  assert.equal(results[0]?.kernelMessage, 'Nexthop has invalid gateway');
  assert.equal(results[1], undefined);
});

test('a dump collects multi-part replies up to NLMSG_DONE and retries an interrupted one', async () => {
  let attempt = 0;
  const kernel = new ScriptedKernel();
  kernel.send = (datagram) => {
    const [req] = splitMessages(Uint8Array.from(datagram));
    attempt++;
    const w = new NlWriter();
    for (let i = 0; i < 3; i++) {
      const at = w.beginMessage(RtmType.newLink, NlmFlag.multi | (attempt === 1 && i === 1 ? NlmFlag.dumpInterrupted : 0), req!.seq, 1);
      w.u32(i);
      w.endMessage(at);
    }
    const done = w.beginMessage(NlmsgType.done, NlmFlag.multi, req!.seq, 1);
    w.u32(0);
    w.endMessage(done);
    kernel.deliver(w.finish());
  };
  const writer = new KernelWriter(kernel);
  const msgs = await writer.dump((w, seq) => {
    const at = w.beginMessage(RtmType.getLink, NlmFlag.request | NlmFlag.dump, seq);
    w.u32(0);
    w.endMessage(at);
    return at;
  });
  assert.equal(attempt, 2);
  assert.equal(msgs.length, 3);
  assert.deepEqual(
    msgs.map((m) => m.body.u32()),
    [0, 1, 2],
  );
});

test('close answers pending requests with ECANCELED and closes the socket', () => {
  const kernel = new ScriptedKernel();
  kernel.isHolding = true;
  const writer = new KernelWriter(kernel);
  const results: (KernelError | undefined)[] = [];
  writer.request(routeRequest(1), (e) => results.push(e));
  writer.flush();
  writer.request(routeRequest(2), (e) => results.push(e));
  writer.close();
  assert.deepEqual(
    results.map((e) => e?.code),
    ['ECANCELED', 'ECANCELED'],
  );
  assert.ok(kernel.isClosed);
});
