// The benchmark's chart (docs/bench.svg): ingest seconds and bytes per route as bar
// charts, one group of bars per table size, one bar per daemon, from the same medians as
// the Markdown table. Plain SVG text, so that it renders on a code host as an image.

import { daemonNames, summarizeRow, type BenchReport, type Spread } from './report.js';
import type { DaemonKind } from './daemons.js';

/** One panel of the chart: a figure of RowSummary, its label and unit. */
interface Panel {
  readonly key: 'ingestS' | 'bytesPerRoute';
  readonly title: string;
  readonly unit: string;
  readonly digits: number;
}

const panels: readonly Panel[] = [
  { key: 'ingestS', title: 'Ingest time (s, less is better)', unit: 's', digits: 2 },
  { key: 'bytesPerRoute', title: 'Memory per route (bytes, less is better)', unit: 'B', digits: 0 },
];

/** A colour per daemon, fixed so that a daemon looks the same in every chart. */
const colours: Record<DaemonKind, string> = { tsbgpd: '#1f77b4', gobgpd: '#2ca02c', bird: '#ff7f0e', frr: '#d62728' };

const bar = { width: 28, gap: 6 };
const groupGap = 30;
const plotHeight = 200;
const margin = { left: 60, top: 40, right: 20, bottom: 50 };
const panelGap = 40;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** One bar to draw: where it belongs and its value. */
interface BarValue {
  readonly kind: DaemonKind;
  readonly size: string;
  readonly value: number;
}

function panelBars(report: BenchReport, panel: Panel): BarValue[][] {
  return report.sizes.map((s) =>
    s.rows.flatMap((row) => {
      if (row.missing !== undefined) return [];
      const v: Spread | undefined = summarizeRow(row, s.total)[panel.key];
      return v === undefined ? [] : [{ kind: row.kind, size: s.label, value: v.median }];
    }),
  );
}

/**
 * The SVG document: per panel a bar per daemon with a figure (a daemon that did not run
 * or has no figure has no bar), grouped by table size, heights proportional to the
 * value (the tallest bar of a panel fills its height), each bar with a `<title>` naming
 * daemon, size and value, and a legend.
 */
export function renderChart(report: BenchReport): string {
  const groups = panels.map((p) => panelBars(report, p));
  const groupWidths = groups.map((g) => g.map((bars) => Math.max(1, bars.length) * (bar.width + bar.gap)));
  const panelWidth = Math.max(200, ...groupWidths.map((w) => w.reduce((a, b) => a + b + groupGap, 0)));
  const width = margin.left + panelWidth + margin.right;
  const panelHeight = margin.top + plotHeight + margin.bottom;
  const legendHeight = 30;
  const height = panels.length * panelHeight + (panels.length - 1) * panelGap + legendHeight;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  panels.forEach((panel, pi) => {
    const top = pi * (panelHeight + panelGap);
    const baseY = top + margin.top + plotHeight;
    const bars = groups[pi]!;
    const max = Math.max(0, ...bars.flat().map((b) => b.value));
    out.push(`<text x="${margin.left}" y="${top + 20}" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`);
    out.push(`<line x1="${margin.left}" y1="${baseY}" x2="${margin.left + panelWidth}" y2="${baseY}" stroke="#333"/>`);
    out.push(`<line x1="${margin.left}" y1="${top + margin.top}" x2="${margin.left}" y2="${baseY}" stroke="#333"/>`);
    if (max > 0) out.push(`<text x="${margin.left - 4}" y="${top + margin.top + 4}" text-anchor="end">${escapeXml(max.toFixed(panel.digits))}</text>`);
    out.push(`<text x="${margin.left - 4}" y="${baseY + 4}" text-anchor="end">0</text>`);
    let x = margin.left + groupGap / 2;
    bars.forEach((group, gi) => {
      const label = report.sizes[gi]!.label;
      group.forEach((b, bi) => {
        // Negative bytes per route (memory returned to the system during ingest) draw as zero.
        const h = max > 0 ? (Math.max(0, b.value) / max) * plotHeight : 0;
        const bx = x + bi * (bar.width + bar.gap);
        const text = `${daemonNames[b.kind]} ${b.size}: ${b.value.toFixed(panel.digits)} ${panel.unit}`;
        out.push(`<rect class="bar" x="${bx.toFixed(1)}" y="${(baseY - h).toFixed(1)}" width="${bar.width}" height="${h.toFixed(1)}" fill="${colours[b.kind]}"><title>${escapeXml(text)}</title></rect>`);
        out.push(`<text x="${(bx + bar.width / 2).toFixed(1)}" y="${(baseY - h - 3).toFixed(1)}" text-anchor="middle" font-size="10">${escapeXml(b.value.toFixed(panel.digits))}</text>`);
      });
      const w = groupWidths[pi]![gi]!;
      out.push(`<text x="${(x + w / 2).toFixed(1)}" y="${baseY + 18}" text-anchor="middle">${escapeXml(label)}</text>`);
      x += w + groupGap;
    });
  });
  const legendY = height - 10;
  const kinds = [...new Set(report.sizes.flatMap((s) => s.rows.filter((r) => r.missing === undefined).map((r) => r.kind)))];
  kinds.forEach((kind, i) => {
    const lx = margin.left + i * 90;
    out.push(`<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${colours[kind]}"/>`);
    out.push(`<text x="${lx + 16}" y="${legendY}">${escapeXml(daemonNames[kind])}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
