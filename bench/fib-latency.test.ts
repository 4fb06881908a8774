import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Framer } from '../src/wire/framer.js';
import { decodeMessage } from '../src/wire/message.js';
import { as4Context } from '../src/wire/context.js';
import { maxMessageLength } from '../src/wire/header.js';
import { maxProbes, probeIndexOf, probePrefixOf, probeUpdate } from './fib-agent.js';
import { latencyMarkdown, latencyStats, percentile, type LatencyResult } from './fib-latency.js';

test('probe prefixes: 198.18.0.0/15, index and prefix map both ways, nothing else is a probe', () => {
  for (const i of [0, 1, 255, 256, 65_535, 65_536, maxProbes - 1]) assert.equal(probeIndexOf(probePrefixOf(i), 32), i);
  assert.deepEqual([...probePrefixOf(65_536 + 258)], [198, 19, 1, 2]);
  assert.throws(() => probePrefixOf(maxProbes), RangeError);
  assert.equal(probeIndexOf(Uint8Array.of(10, 0, 0, 1), 32), undefined);
  assert.equal(probeIndexOf(Uint8Array.of(198, 20, 0, 1), 32), undefined);
  assert.equal(probeIndexOf(Uint8Array.of(198, 18, 0, 0), 24), undefined);
});

test('probeUpdate: one UPDATE announcing that probe alone, NEXT_HOP the injector', () => {
  const messages = new Framer(maxMessageLength).push(probeUpdate(300, 65001, '172.17.0.21'));
  assert.equal(messages.length, 1);
  const msg = decodeMessage(messages[0]!, as4Context);
  assert.equal(msg.type, 'update');
  if (msg.type !== 'update') return;
  const prefixes = [...msg.nlri].map((p) => `${p.prefix.addr.join('.')}/${p.prefix.length}`);
  assert.deepEqual(prefixes, ['198.18.1.44/32']);
  assert.deepEqual([...msg.attributes.nextHop!], [172, 17, 0, 21]);
});

test('percentile is nearest-rank', () => {
  const v = Array.from({ length: 200 }, (_, i) => i + 1);
  assert.equal(percentile(v, 0.5), 100);
  assert.equal(percentile(v, 0.99), 198);
  assert.equal(percentile([7], 0.99), 7);
  assert.throws(() => percentile([], 0.5), RangeError);
});

test('latencyStats pairs by probe index and counts probes that never arrived', () => {
  const sent = new Map([[0, 1000], [1, 1050], [2, 1100], [3, 1150]]);
  const arrived = new Map([[0, 1002], [2, 1101], [1, 1060], [9, 5000]]);
  assert.deepEqual(latencyStats(sent, arrived), { p50Ms: 2, p99Ms: 10, maxMs: 10, sent: 4, arrived: 3 });
  assert.equal(latencyStats(sent, new Map()), undefined);
});

test('latencyMarkdown: a row per daemon, failures in place of figures', () => {
  const r: LatencyResult = {
    changes: 200,
    loadRoutes: 100_000,
    ratePerS: 20,
    loadAtStart: [1, 1, 1],
    loadAtEnd: [1, 1, 1],
    daemons: [
      { kind: 'tsbgpd', version: 'tsbgpd 0.1.0', stats: { p50Ms: 1.5, p99Ms: 4.25, maxMs: 6, sent: 200, arrived: 200 } },
      { kind: 'frr', version: 'FRR', failure: 'not run: zebra missing' },
    ],
  };
  const text = latencyMarkdown(r);
  assert.match(text, /\| tsbgpd 0\.1\.0 \| 1\.50 \| 4\.25 \| 6\.00 \| 200 of 200 \|/);
  assert.match(text, /\| FRR \| not run: zebra missing \|/);
  assert.match(text, /100,000 routes/);
});
