import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderChart } from './chart.js';
import type { BenchReport, RunResult, SizeResult } from './report.js';
import type { TableShape } from './generate.js';

const run = (ingestMs: number, rssBeforeKb: number, rssAfterKb: number): RunResult => ({ ingest: { ms: ingestMs, method: 'cpu-idle' }, rssBeforeKb, rssAfterKb, hwmKb: rssAfterKb });

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

const size = (label: string, total: number, tsbgpdMs: number): SizeResult => ({
  label,
  ipv4: total,
  ipv6: 0,
  total,
  attributeSets: 4,
  shape,
  sink: { bytes: 1000, ms: 1 },
  rows: [
    { kind: 'tsbgpd', version: 'tsbgpd 0.1.0', runs: [run(tsbgpdMs, 1000, 2000)] },
    { kind: 'bird', version: 'BIRD 2.0.12', runs: [run(tsbgpdMs / 4, 100, 200)] },
    { kind: 'gobgpd', version: 'gobgpd 3.10.0', runs: [{ ingest: { failure: 'timeout' } }] },
    { kind: 'frr', version: 'FRR', missing: 'not installed', runs: [] },
  ],
});

const report: BenchReport = {
  startedAt: new Date(0),
  durationS: 1,
  command: 'npm run bench',
  seed: 1,
  machine: { cores: 2, cpuModel: 'cpu', memoryGb: 1, kernel: '6', node: 'v20', loadAtStart: [0, 0, 0], loadAtEnd: [0, 0, 0] },
  sizes: [size('1k', 1000, 2000), size('2k', 2000, 4000)],
};

const bars = (svg: string): { height: number; title: string }[] =>
  [...svg.matchAll(/<rect class="bar" [^>]*height="([\d.]+)"[^>]*><title>([^<]*)<\/title><\/rect>/g)].map((m) => ({ height: Number(m[1]), title: m[2]! }));

test('the chart is one svg element with a titled bar per daemon with a figure, per size and panel', () => {
  const svg = renderChart(report);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.equal(svg.match(/<svg/g)?.length, 1);
  // Every opened rect and text is closed.
  assert.equal((svg.match(/<text/g) ?? []).length, (svg.match(/<\/text>/g) ?? []).length);
  const b = bars(svg);
  // Two panels x two sizes x (tsbgpd, BIRD): gobgpd failed, FRR did not run.
  assert.equal(b.length, 8);
  assert.ok(b.some((x) => x.title === 'tsbgpd 1k: 2.00 s'), b.map((x) => x.title).join('; '));
  assert.ok(b.some((x) => x.title === 'BIRD 2k: 1.00 s'));
  assert.ok(!b.some((x) => x.title.startsWith('gobgpd') || x.title.startsWith('FRR')));
});

test('bars scale with their value: the largest fills the panel, the others in proportion', () => {
  const b = bars(renderChart(report));
  const h = (title: string): number => b.find((x) => x.title === title)!.height;
  const full = h('tsbgpd 2k: 4.00 s');
  assert.ok(full > 0);
  assert.equal(h('tsbgpd 1k: 2.00 s'), full / 2);
  assert.equal(h('BIRD 2k: 1.00 s'), full / 4);
  // Bytes per route: tsbgpd (1000 KiB over 1000 routes) is ten times BIRD's.
  assert.equal(h('tsbgpd 1k: 1024 B'), 10 * h('BIRD 1k: 102 B'));
});

test('text is escaped', () => {
  const odd: BenchReport = { ...report, sizes: [{ ...size('<1&k>', 1000, 1000) }] };
  const svg = renderChart(odd);
  assert.ok(svg.includes('&lt;1&amp;k&gt;'));
  assert.ok(!svg.includes('<1&k>'));
});
