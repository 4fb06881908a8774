// The benchmark's results: per daemon and table size, the runs' figures summarised as
// median, min and max; tsbgpd's ratios to the best other daemon; and the Markdown
// document (docs/bench.md) with the machine and the method.

import type { DaemonKind } from './daemons.js';
import type { EndMethod } from './measure.js';
import type { SinkTiming } from './injector.js';
import type { TableShape } from './generate.js';

/** One timed phase: how long, or why it has no figure. */
export type PhaseResult = { readonly ms: number; readonly method: EndMethod } | { readonly failure: string };

/** What one run of one daemon measured. */
export interface RunResult {
  readonly ingest: PhaseResult;
  /** Daemon CPU seconds (all threads) from the first UPDATE to the end of ingest. */
  readonly ingestCpuS?: number;
  /** Resident memory with the session up and no route, then after ingest, then the peak. */
  readonly rssBeforeKb?: number;
  readonly rssAfterKb?: number;
  readonly hwmKb?: number;
  readonly withdraw?: PhaseResult;
  readonly reannounce?: PhaseResult;
  readonly drop?: PhaseResult;
  /** UPDATEs the daemon sent the injector (a plain receiver sends none). */
  readonly returnedUpdates?: number;
  /** Count queries made during ingest. */
  readonly queries?: number;
  /**
   * Longest wait of a cheap API request sent 25 ms after each reply during the phase, ms: about the
   * daemon's longest event-loop block (only for a daemon with `ping`, i.e. tsbgpd).
   */
  readonly ingestStallMs?: number;
  /** Daemon CPU seconds of the withdraw-all and of the session drop (wall time on a loaded machine counts others' work). */
  readonly withdrawCpuS?: number;
  readonly dropCpuS?: number;
  readonly withdrawStallMs?: number;
  readonly dropStallMs?: number;
  /** The ingest's start and end, performance.now() ms (to cut a CPU profile to it). */
  readonly ingestWindowMs?: readonly [number, number];
}

/** All runs of one daemon at one size. */
export interface DaemonRow {
  readonly kind: DaemonKind;
  readonly version: string;
  /** Set when the daemon could not run at all (not installed, failed to start). */
  readonly missing?: string;
  readonly runs: RunResult[];
}

/** One table size. */
export interface SizeResult {
  readonly label: string;
  readonly ipv4: number;
  readonly ipv6: number;
  readonly total: number;
  readonly attributeSets: number;
  readonly shape: TableShape;
  readonly sink: SinkTiming;
  readonly rows: DaemonRow[];
}

export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly kernel: string;
  readonly node: string;
  readonly loadAtStart: readonly number[];
  readonly loadAtEnd: readonly number[];
}

export interface BenchReport {
  readonly startedAt: Date;
  readonly durationS: number;
  readonly command: string;
  readonly seed: number;
  readonly machine: MachineInfo;
  readonly sizes: readonly SizeResult[];
  /** Where the CPU profile went and its heaviest functions, when --profile was given. */
  readonly profile?: { readonly dir: string; readonly file?: string; readonly top: readonly ProfileEntry[]; readonly note?: string };
}

/** A function's own (self) share of a CPU profile. */
export interface ProfileEntry {
  readonly name: string;
  readonly where: string;
  readonly selfMs: number;
  readonly share: number;
}

/** Median, min and max of the values (median of an even count: mean of the middle two). */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function spread(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  const median = v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]!, n: v.length };
}

const phaseMs = (p: PhaseResult | undefined): number | undefined => (p !== undefined && 'ms' in p ? p.ms : undefined);
const defined = <T>(xs: readonly (T | undefined)[]): T[] => xs.filter((x): x is T => x !== undefined);

/** The figures of a row, each as a spread over the runs that produced it. */
export interface RowSummary {
  readonly ingestS?: Spread;
  readonly prefixesPerS?: Spread;
  readonly cpuS?: Spread;
  readonly hwmMb?: Spread;
  readonly bytesPerRoute?: Spread;
  readonly withdrawS?: Spread;
  readonly reannounceS?: Spread;
  readonly dropS?: Spread;
  /** Longest API waits (see RunResult), ms. */
  readonly ingestStallMs?: Spread;
  readonly dropStallMs?: Spread;
  /** Distinct failure texts, by phase. */
  readonly failures: readonly string[];
  readonly methods: readonly EndMethod[];
}

export function summarizeRow(row: DaemonRow, total: number): RowSummary {
  const ok = row.runs.filter((r) => 'ms' in r.ingest);
  const secs = (f: (r: RunResult) => PhaseResult | undefined): Spread | undefined => spread(defined(row.runs.map((r) => phaseMs(f(r)))).map((ms) => ms / 1000));
  const failures = new Set<string>();
  for (const r of row.runs) {
    for (const [phase, p] of [['ingest', r.ingest], ['withdraw', r.withdraw], ['re-announce', r.reannounce], ['drop', r.drop]] as const) {
      if (p !== undefined && 'failure' in p) failures.add(`${phase}: ${p.failure}`);
    }
  }
  const methods = new Set<EndMethod>();
  for (const r of row.runs) for (const p of [r.ingest, r.withdraw, r.reannounce, r.drop]) if (p !== undefined && 'method' in p) methods.add(p.method);
  const summary: { -readonly [K in keyof RowSummary]: RowSummary[K] } = { failures: [...failures], methods: [...methods] };
  const ingestS = secs((r) => r.ingest);
  if (ingestS !== undefined) summary.ingestS = ingestS;
  const pps = spread(defined(ok.map((r) => phaseMs(r.ingest))).map((ms) => total / (ms / 1000)));
  if (pps !== undefined) summary.prefixesPerS = pps;
  const cpu = spread(defined(ok.map((r) => r.ingestCpuS)));
  if (cpu !== undefined) summary.cpuS = cpu;
  const hwm = spread(defined(ok.map((r) => r.hwmKb)).map((kb) => kb / 1024));
  if (hwm !== undefined) summary.hwmMb = hwm;
  const bpr = spread(defined(ok.map((r) => (r.rssAfterKb === undefined || r.rssBeforeKb === undefined ? undefined : ((r.rssAfterKb - r.rssBeforeKb) * 1024) / total))));
  if (bpr !== undefined) summary.bytesPerRoute = bpr;
  const withdrawS = secs((r) => r.withdraw);
  if (withdrawS !== undefined) summary.withdrawS = withdrawS;
  const reannounceS = secs((r) => r.reannounce);
  if (reannounceS !== undefined) summary.reannounceS = reannounceS;
  const dropS = secs((r) => r.drop);
  if (dropS !== undefined) summary.dropS = dropS;
  const ingestStall = spread(defined(ok.map((r) => r.ingestStallMs)));
  if (ingestStall !== undefined) summary.ingestStallMs = ingestStall;
  const dropStall = spread(defined(ok.map((r) => r.dropStallMs)));
  if (dropStall !== undefined) summary.dropStallMs = dropStall;
  return summary;
}

export const daemonNames: Record<DaemonKind, string> = { tsbgpd: 'tsbgpd', gobgpd: 'gobgpd', bird: 'BIRD', frr: 'FRR' };

/** Which figures are compared, and whether less is better (all of them are). */
const comparedFigures: readonly { readonly key: keyof RowSummary; readonly label: string; readonly unit: string; readonly digits: number }[] = [
  { key: 'ingestS', label: 'ingest', unit: 's', digits: 2 },
  { key: 'cpuS', label: 'ingest CPU (daemon, all threads)', unit: 's', digits: 2 },
  { key: 'bytesPerRoute', label: 'memory per route', unit: 'B', digits: 0 },
  { key: 'hwmMb', label: 'peak RSS', unit: 'MB', digits: 0 },
  { key: 'withdrawS', label: 'withdraw-all', unit: 's', digits: 2 },
  { key: 'dropS', label: 'session drop', unit: 's', digits: 2 },
];

/**
 * tsbgpd against the best other daemon, per figure: "ingest: tsbgpd 3.10 s, best other
 * BIRD 0.45 s: 6.9x (slower)". Figures nobody else produced are left out.
 */
export function ratioLines(size: SizeResult): string[] {
  const summaries = new Map(size.rows.filter((r) => r.missing === undefined).map((r) => [r.kind, summarizeRow(r, size.total)] as const));
  const ours = summaries.get('tsbgpd');
  if (ours === undefined) return [];
  const lines: string[] = [];
  for (const f of comparedFigures) {
    const mine = (ours[f.key] as Spread | undefined)?.median;
    if (mine === undefined) continue;
    let best: { kind: DaemonKind; value: number } | undefined;
    for (const [kind, s] of summaries) {
      const v = (s[f.key] as Spread | undefined)?.median;
      if (kind === 'tsbgpd' || v === undefined) continue;
      if (best === undefined || v < best.value) best = { kind, value: v };
    }
    if (best === undefined) continue;
    // Below the 20 ms resolution of the end time a ratio means nothing.
    const floor = f.unit === 's' ? 0.02 : 0;
    if (best.value <= floor) {
      lines.push(`${f.label}: tsbgpd ${mine.toFixed(f.digits)} ${f.unit} vs ${daemonNames[best.kind]} ${best.value.toFixed(f.digits)} ${f.unit} (best other, below the resolution: no ratio)`);
      continue;
    }
    const ratio = mine / best.value;
    const verdict = ratio > 1.05 ? 'tsbgpd is behind' : ratio < 0.95 ? 'tsbgpd is ahead' : 'even';
    lines.push(`${f.label}: tsbgpd ${mine.toFixed(f.digits)} ${f.unit} vs ${daemonNames[best.kind]} ${best.value.toFixed(f.digits)} ${f.unit} (best other) = ${ratio.toFixed(2)}x (${verdict})`);
  }
  return lines;
}

function fmt(s: Spread | undefined, digits: number, scale = 1): string {
  if (s === undefined) return '-';
  const f = (x: number): string => (x * scale).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}-${f(s.max)})` : f(s.median);
}

/** The Markdown table of one size. */
export function sizeTable(size: SizeResult): string[] {
  const lines = [
    '| daemon | ingest s | prefixes/s | daemon CPU s | peak RSS MB | bytes/route | withdraw-all s | session drop s | longest API wait ms (ingest / drop) | runs |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --- |',
  ];
  for (const row of size.rows) {
    if (row.missing !== undefined) {
      lines.push(`| ${row.version} | not run: ${row.missing} | | | | | | | | 0 |`);
      continue;
    }
    const s = summarizeRow(row, size.total);
    const ok = row.runs.filter((r) => 'ms' in r.ingest).length;
    const runs = ok === row.runs.length ? `${ok}` : `${ok} of ${row.runs.length} (others: ${s.failures.filter((f) => f.startsWith('ingest')).map((f) => f.replace(/^ingest: /, '')).join('; ')})`;
    const ingest = s.ingestS === undefined ? `timeout/failed` : fmt(s.ingestS, 2);
    lines.push(`| ${row.version} | ${ingest} | ${fmt(s.prefixesPerS, 0)} | ${fmt(s.cpuS, 2)} | ${fmt(s.hwmMb, 0)} | ${fmt(s.bytesPerRoute, 0)} | ${fmt(s.withdrawS, 2)} | ${fmt(s.dropS, 2)} | ${s.ingestStallMs === undefined && s.dropStallMs === undefined ? '-' : `${fmt(s.ingestStallMs, 0)} / ${fmt(s.dropStallMs, 0)}`} | ${runs} |`);
  }
  return lines;
}

const count = (n: number): string => n.toLocaleString('en-US');

function histogramText(h: ReadonlyMap<number, number>, total: number, prefix: string): string {
  return [...h].map(([len, n]) => `${prefix}${len} ${((100 * n) / total).toFixed(n / total < 0.001 ? 3 : 1)}%`).join(', ');
}

/** The whole docs/bench.md. */
export function markdown(r: BenchReport): string {
  const m = r.machine;
  const load = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(', ');
  const isShared = Math.max(...m.loadAtStart.slice(0, 2), ...m.loadAtEnd.slice(0, 2)) > m.cores * 0.5;
  const versions = new Map<string, string>();
  for (const s of r.sizes) for (const row of s.rows) versions.set(row.kind, row.version);
  const out: string[] = [
    '# Benchmark: full-table ingest, side by side',
    '',
    `\`npm run bench\` (bench/main.ts) feeds each daemon the same generated table from a local injector peer and measures ingest time, memory and table teardown, in one run. This file is written by \`${r.command}\`.`,
    '',
    `- Date: ${r.startedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC; the run took ${Math.round(r.durationS)} s; seed ${r.seed}.`,
    `- Machine: ${m.cores} cores (\`nproc\`), ${m.cpuModel}, ${m.memoryGb.toFixed(1)} GB memory, Linux ${m.kernel}, node ${m.node}.`,
    `- Daemons: ${[...versions.values()].join(', ')}.`,
    `- Load averages (1, 5, 15 min) at start: ${load(m.loadAtStart)}; at end: ${load(m.loadAtEnd)}.`,
  ];
  if (isShared) {
    out.push(
      `- **Shared machine**: other work ran on these ${m.cores} cores during the run, so absolute times are inflated and noisy. All daemons ran under the same conditions, one after the other, repeat by repeat (each repeat starting with the next daemon); the ratios are the figure to read, and the daemons' CPU seconds suffer less from the load than their wall-clock times.`,
    );
  }
  for (const s of r.sizes) {
    out.push('', `## ${count(s.ipv4)} IPv4 + ${count(s.ipv6)} IPv6 prefixes (\`--size ${s.label}\`)`, '');
    const mb = (b: number): string => (b / 1e6).toFixed(1);
    out.push(
      `Table: ${count(s.total)} prefixes in ${count(s.shape.updates)} UPDATEs (${mb(s.shape.announceBytes)} MB), ${count(s.attributeSets)} attribute sets (largest carries ${count(s.shape.largestSet)} prefixes), communities on ${(100 * s.shape.communityShare).toFixed(0)}% of routes; withdrawal: ${count(s.shape.withdrawUpdates)} UPDATEs (${mb(s.shape.withdrawBytes)} MB). Generated in ${(s.shape.generateMs / 1000).toFixed(1)} s before any clock started.`,
      '',
      `Injector check: the same bytes written into a socket that discards them took ${s.sink.ms.toFixed(0)} ms (${((s.sink.bytes / 1e6) / (s.sink.ms / 1000)).toFixed(0)} MB/s, ${count(Math.round(s.total / (s.sink.ms / 1000)))} prefixes/s): the injector is not the bottleneck for any daemon slower than that.`,
      '',
    );
    const ratios = ratioLines(s);
    if (ratios.length > 0) {
      out.push('tsbgpd against the best other daemon (medians; below 1 is better):', '', ...ratios.map((l) => `- ${l}`), '');
    }
    out.push(...sizeTable(s));
    const notes: string[] = [];
    for (const row of s.rows) {
      if (row.missing !== undefined) continue;
      const sum = summarizeRow(row, s.total);
      for (const f of sum.failures) notes.push(`${daemonNames[row.kind]}: ${f}`);
      if (sum.methods.includes('poll')) notes.push(`${daemonNames[row.kind]}: some end times are count-query replies (it never went idle), an upper bound.`);
      const returned = Math.max(0, ...row.runs.map((x) => x.returnedUpdates ?? 0));
      if (returned > 0) notes.push(`${daemonNames[row.kind]} sent ${count(returned)} UPDATEs back to the injector.`);
    }
    if (notes.length > 0) out.push('', 'Notes:', '', ...notes.map((n) => `- ${n}`));
    out.push(
      '',
      `IPv4 prefix lengths: ${histogramText(s.shape.ipv4Lengths, s.ipv4, '/')}.`,
      '',
      `IPv6 prefix lengths: ${histogramText(s.shape.ipv6Lengths, Math.max(1, s.ipv6), '/')}.`,
      '',
      `AS_PATH lengths (attribute sets): ${[...s.shape.pathLengths].map(([n, c]) => `${n}: ${count(c)}`).join(', ')}.`,
    );
  }
  if (r.profile !== undefined) {
    out.push('', '## Where tsbgpd spends its time', '');
    out.push(`CPU profile (\`--profile\`, node --cpu-prof, a separate run not counted above): ${r.profile.file ?? r.profile.dir}.${r.profile.note === undefined ? '' : ` ${r.profile.note}`}`, '');
    if (r.profile.top.length > 0) {
      out.push('| function | where | self ms | share |', '| --- | --- | --: | --: |');
      for (const e of r.profile.top) out.push(`| ${e.name} | ${e.where} | ${e.selfMs.toFixed(0)} | ${(100 * e.share).toFixed(1)}% |`);
    }
  }
  out.push(
    '',
    '## How it is measured',
    '',
    '- **Table**: generated from a seed (bench/generate.ts): IPv4 prefix lengths with the spread of a full table (about 60% /24, /22 and /23 next, a thin tail to /8), IPv6 mostly /48, /32, /44 and /40; attribute sets with Zipf popularity, AS paths of 1 to 8 AS numbers (a quarter of them 4-octet), MED on about 30%, communities on about 45% of the sets, large communities and AGGREGATOR on a few. Prefixes of one attribute set are packed as a peer packs them (up to 4096 octets per UPDATE), the UPDATEs shuffled, End-of-RIB for both families at the end. A real full table has far more distinct attribute sets (hundreds of thousands), hence many more and smaller UPDATEs; `--attr-sets N` moves toward that.',
    '- **Injector** (bench/injector.ts): a minimal BGP speaker over TCP with our codec: OPEN (4-octet AS, multiprotocol IPv4 and IPv6 unicast), KEEPALIVE, then every UPDATE, encoded before the clock starts, in one socket write. It connects from its own loopback address to each daemon, configured as a plain receiver: one passive eBGP neighbor, import all, export nothing, no kernel routes, logging at info (bench/daemons.ts).',
    '- **Ingest**: from the first UPDATE written to the moment the daemon holds every prefix and has finished working. The daemon\'s CPU time is sampled from /proc/PID/stat every 20 ms; once it has been idle for 250 ms, its own CLI (tsbgpd: its API, GetTable on the global table; gobgpd: `gobgp global rib summary`; BIRD: `birdc show route count`; FRR: `pfxRcd` of `show bgp ... summary json`) is asked for the count, and if it is complete, the end is where the idle stretch began (to within one 20 ms sample). Besides, a fallback query goes out 20 s after the start and then every 40 s, for a daemon that never goes idle: count queries are rare because gobgpd answers them on the goroutine that applies UPDATEs (polling it every 100 ms made its ingest 5 times slower).',
    '- **Memory**: VmRSS from /proc/PID/status with the session up and no route, and again when the ingest is done; bytes per route = the difference / prefixes. Peak RSS = VmHWM after ingest.',
    '- **Withdraw-all**: the injector withdraws every prefix (pre-encoded UPDATEs); time until the count is 0, measured the same way. Then everything is announced again, and the injector drops the session with a TCP RST (no NOTIFICATION): **session drop** is the time until the count is 0.',
    '- **Longest API wait** (tsbgpd only: the others answer through a CLI process): during the ingest and the session drop a cheap API request (GetBgp) goes out 25 ms after each reply (rare enough not to keep the daemon from looking idle); the longest round trip is about the longest stretch the daemon\'s event loop was blocked, what its other peers and its API see at worst.',
    '- Every daemon gets a fresh process per run; repeats go round all daemons in turn. Medians, with min-max in parentheses when there are several runs.',
  );
  return out.join('\n') + '\n';
}
