import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markdown, ratioLines, spread, type BenchReport, type RunResult, type SizeResult } from './report.js';
import type { TableShape } from './generate.js';

const run = (ingestMs: number, rssBeforeKb: number, rssAfterKb: number): RunResult => ({ ingest: { ms: ingestMs, method: 'cpu-idle' }, ingestCpuS: ingestMs / 1000, rssBeforeKb, rssAfterKb, hwmKb: rssAfterKb });

const shape: TableShape = {
  updates: 10,
  announceBytes: 1000,
  withdrawUpdates: 5,
  withdrawBytes: 500,
  ipv4Lengths: new Map([[24, 1000]]),
  ipv6Lengths: new Map(),
  pathLengths: new Map([[3, 4]]),
  communityShare: 0.4,
  largestSet: 300,
  generateMs: 10,
};

const size: SizeResult = {
  label: '1k',
  ipv4: 1000,
  ipv6: 0,
  total: 1000,
  attributeSets: 4,
  shape,
  sink: { bytes: 1000, ms: 1 },
  rows: [
    { kind: 'tsbgpd', version: 'tsbgpd 0.1.0', runs: [run(3000, 1000, 2000), run(1000, 1000, 2000), run(2000, 1000, 2000)] },
    { kind: 'bird', version: 'BIRD 2.0.12', runs: [run(500, 100, 200)] },
    { kind: 'gobgpd', version: 'gobgpd 3.10.0', runs: [{ ingest: { failure: 'timeout: not done after 30 s' } }] },
    { kind: 'frr', version: 'FRR', missing: 'vtysh not installed (apt-get install frr)', runs: [] },
  ],
};

test('spread: median of odd and even counts, min and max', () => {
  assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assert.deepEqual(spread([4, 1, 2, 3]), { median: 2.5, min: 1, max: 4, n: 4 });
  assert.equal(spread([]), undefined);
});

test('ratios compare tsbgpd\'s medians with the best other daemon that has a figure', () => {
  const lines = ratioLines(size);
  const ingest = lines.find((l) => l.startsWith('ingest:'));
  assert.equal(ingest, 'ingest: tsbgpd 2.00 s vs BIRD 0.50 s (best other) = 4.00x (tsbgpd is behind)');
  assert.ok(lines.some((l) => l.startsWith('memory per route:') && l.includes('10.00x')), lines.join('\n'));
});

test('the document names failures, missing daemons and a loaded machine', () => {
  const report: BenchReport = {
    startedAt: new Date(0),
    durationS: 1,
    command: 'npm run bench',
    seed: 1,
    machine: { cores: 2, cpuModel: 'cpu', memoryGb: 1, kernel: '6', node: 'v20', loadAtStart: [3, 2, 1], loadAtEnd: [1, 1, 1] },
    sizes: [size],
  };
  const text = markdown(report);
  assert.match(text, /Shared machine/);
  assert.match(text, /not run: vtysh not installed/);
  assert.match(text, /gobgpd: ingest: timeout: not done after 30 s/);
  assert.match(text, /\| tsbgpd 0\.1\.0 \| 2\.00 \(1\.00-3\.00\) \|/);
});
