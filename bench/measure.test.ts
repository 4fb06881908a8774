import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CpuSampler, StallProbe, readCpuTicks, readMemory, waitForRoutes } from './measure.js';

test('memory and CPU of a live process come from /proc', () => {
  const m = readMemory(process.pid);
  assert.ok(m.rssKb > 1000 && m.hwmKb >= m.rssKb);
  assert.ok((readCpuTicks(process.pid) ?? -1) >= 0);
  assert.equal(readCpuTicks(0x7ffffff0), undefined);
});

test('idle starts after the last busy sample, tolerating one stray tick, once the window has passed', () => {
  const s = new CpuSampler(process.pid);
  // Busy (2 ticks per 20 ms) until 100 ms, then idle with one stray tick at 200 ms.
  const ticks = [0, 2, 4, 6, 8, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 11, 11, 11];
  ticks.forEach((t, i) => s.addSample(i * 20, t));
  assert.equal(s.idleSince(250), 100);
  assert.equal(s.idleSince(300), undefined, 'idle for 260 ms only');
  s.addSample(400, 14);
  assert.equal(s.idleSince(10), undefined, 'busy again');
  assert.equal(s.cpuSecondsBetween(0, 100), 0.1);
});

test('waitForRoutes asks only once the process is idle and reports the idle start', async () => {
  // This test process is the "daemon": it is idle while the loop waits.
  const sampler = new CpuSampler(process.pid).start();
  try {
    let asked = 0;
    const start = performance.now();
    const outcome = await waitForRoutes({ sampler, count: async () => (++asked, 10), target: 10, startMs: start, timeoutMs: 5000, idleWindowMs: 100 });
    assert.equal(outcome.kind, 'done');
    assert.ok(asked >= 1 && asked <= 3, `${asked} queries`);
  } finally {
    sampler.stop();
  }
});

test('a count that stays short while idle is reported as stalled, not waited on to the timeout', async () => {
  const sampler = new CpuSampler(process.pid).start();
  try {
    const outcome = await waitForRoutes({ sampler, count: async () => 5, target: 10, startMs: performance.now(), timeoutMs: 5000, idleWindowMs: 100, stallMs: 300 });
    assert.equal(outcome.kind, 'stalled');
    assert.ok(outcome.kind === 'stalled' && outcome.lastCount === 5);
  } finally {
    sampler.stop();
  }
});

test('a timeout is bounded and says what was last seen', async () => {
  const sampler = new CpuSampler(process.pid).start();
  try {
    const started = performance.now();
    const outcome = await waitForRoutes({ sampler, count: async () => { throw new Error('no answer'); }, target: 10, startMs: started, timeoutMs: 300, idleWindowMs: 100 });
    assert.equal(outcome.kind, 'timeout');
    assert.ok(performance.now() - started < 2000);
    assert.ok(outcome.kind === 'timeout' && /no answer/.test(outcome.reason), outcome.kind === 'timeout' ? outcome.reason : '');
  } finally {
    sampler.stop();
  }
});

test('StallProbe keeps the longest wait of its pings', async () => {
  const waits = [1, 60, 5];
  let i = 0;
  const probe = new StallProbe(() => new Promise((resolve) => setTimeout(resolve, waits[Math.min(i++, waits.length - 1)])), 1).start();
  // Bounded: at most 40 turns of 10 ms for three pings to finish.
  for (let t = 0; t < 40 && i < 3; t++) await new Promise((r) => setTimeout(r, 10));
  const { longestMs, pings } = await probe.stop();
  assert.ok(pings >= 3, `${pings} pings`);
  assert.ok(longestMs >= 55 && longestMs < 1000, `longest ${longestMs} ms`);
});
