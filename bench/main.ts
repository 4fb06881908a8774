// `npm run bench`: the same generated table into tsbgpd, gobgpd, BIRD and FRR, one after
// the other in one run, each a plain receiver on loopback fed by our injector; ingest
// time, memory, withdraw-all and session drop; ratios first, then docs/bench.md and its
// chart (docs/bench.svg). Further sections: MRT print, FIB install, route change latency
// (bench/fib-latency.ts), many peers (bench/many-peers.ts).
// Installs nothing: a daemon that is not installed is reported as not run.

import { cpus, loadavg, release, totalmem, tmpdir } from 'node:os';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Scope, allocLoopback, freePort, repoRoot, waitExit } from '../test/interop/harness.js';
import { parseAddress } from '../src/lib/address.js';
import { generateTable, type GeneratedTable } from './generate.js';
import { Injector, timeSinkWrite } from './injector.js';
import { CpuSampler, StallProbe, readMemory, waitForRoutes, type WaitOutcome } from './measure.js';
import { daemonKinds, daemonVersion, isDaemonKind, missingReason, startReceiver, type DaemonKind, type Receiver } from './daemons.js';
import { daemonNames, markdown, ratioLines, sizeTable, type BenchReport, type DaemonRow, type PhaseResult, type RunResult, type SizeResult } from './report.js';
import { profileFiles, topFunctions } from './profile.js';
import { renderChart } from './chart.js';
import { mrtPrintMarkdown, runMrtPrintBench, type MrtPrintResult } from './mrt-print.js';
import { fibDaemonKinds, fibMarkdown, fibRatioLines, runFibBench, type FibBenchResult } from './fib-daemons.js';
import { defaultRoutesPerPeer, manyPeersMarkdown, runManyPeersBench, type ManyPeersResult } from './many-peers.js';
import { latencyLoadRoutes, latencyMarkdown, latencyRatePerS, runLatencyBench, type LatencyResult } from './fib-latency.js';

const usage = `Usage: npm run bench -- [options]

Feeds tsbgpd, gobgpd, BIRD and FRR the same generated table from a local injector
peer, one after the other, and reports ingest time, memory per route, withdraw-all
and session-drop times, with tsbgpd's ratios to the best other daemon.

Options:
  --size LIST       IPv4 prefixes per table: 100k, 1m or a number; a comma list runs
                    several sizes (default: 1m)
  --ipv6 SHARE      IPv6 prefixes as a share of the IPv4 count (default: 0.2)
  --attr-sets N     distinct attribute sets (default: 4000)
  --repeat N        runs per daemon and size; median, min and max (default: 1);
                    a comma list gives each size of --size its own count
  --daemons LIST    any of tsbgpd,gobgpd,bird,frr (default: all four)
  --no-teardown     measure ingest and memory only (no withdraw-all, no drop)
  --profile         one more tsbgpd ingest under node --cpu-prof (not counted);
                    prints the profile's directory and its heaviest functions
  --mrt-routes N    routes of the generated MRT RIB dump that 'tsbgp mrt print' and
                    'bgpdump -m' each print (default: 1m; 0 skips that part)
  --fib-routes N    IPv4 routes with three next hops each installed into a kernel
                    table by ip -batch, our writer and Fib, and over BGP by tsbgpd,
                    BIRD and FRR (those of --daemons), each in fresh network
                    namespaces (needs root; default: 100k; 0 skips that part)
  --latency-changes N
                    single-route UPDATEs at 20/s into tsbgpd, BIRD and FRR (those
                    of --daemons) holding 100k routes, each timed from the injector's
                    write to the kernel route notification: p50, p99, max (needs
                    root; default: 200; 0 skips that part)
  --many-peers N    N injector sessions of 10,000 routes each into each daemon of
                    --daemons at once: time to converge and memory (default: 100;
                    0 skips that part)
  --seed N          table generator seed (default: 1)
  --out FILE        Markdown report (default: docs/bench.md; "none" writes nothing),
                    with its chart beside it (FILE without .md, plus .svg)
  -h, --help        this text
`;

/** The injector's and the receivers' AS numbers (eBGP). */
const injectorAs = 65001;
const receiverAs = 65000;
/** Next hops of the table: documentation addresses (gobgpd drops 127/8 next hops). */
const nextHop4 = parseAddress('192.0.2.1');
const nextHop6 = parseAddress('2001:db8::1');

/** A bound for every phase: generous for the slow daemons, still finite. */
function phaseTimeoutMs(routes: number): number {
  return 30_000 + (90_000 * routes) / 1_000_000;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  if (m === null) throw new Error(`--size: expected 100k, 1m or a number, got "${text}"`);
  const scale = m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1;
  const n = Math.round(Number(m[1]) * scale);
  if (n < 1 || n > 5_000_000) throw new Error(`--size: ${text} is outside 1..5m`);
  return n;
}

function positiveInteger(flag: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${flag}: expected an integer 1..${max}, got "${text}"`);
  return n;
}

interface Options {
  readonly sizes: readonly { readonly label: string; readonly ipv4: number; readonly repeat: number }[];
  readonly ipv6Share: number;
  readonly attributeSets: number;
  readonly daemons: readonly DaemonKind[];
  readonly isTeardown: boolean;
  readonly isProfile: boolean;
  readonly seed: number;
  readonly mrtRoutes: number;
  readonly fibRoutes: number;
  readonly latencyChanges: number;
  readonly manyPeers: number;
  readonly out: string | undefined;
}

function parseOptions(argv: readonly string[]): Options | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      size: { type: 'string', default: '1m' },
      ipv6: { type: 'string', default: '0.2' },
      'attr-sets': { type: 'string', default: '4000' },
      repeat: { type: 'string', default: '1' },
      daemons: { type: 'string', default: daemonKinds.join(',') },
      'no-teardown': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      'mrt-routes': { type: 'string', default: '1m' },
      'fib-routes': { type: 'string', default: '100k' },
      'latency-changes': { type: 'string', default: '200' },
      'many-peers': { type: 'string', default: '100' },
      out: { type: 'string', default: 'docs/bench.md' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) return undefined;
  const daemons = values.daemons!.split(',').map((d) => d.trim()).filter((d) => d !== '');
  for (const d of daemons) if (!isDaemonKind(d)) throw new Error(`--daemons: unknown daemon "${d}" (known: ${daemonKinds.join(', ')})`);
  const ipv6Share = Number(values.ipv6);
  if (!(ipv6Share >= 0 && ipv6Share <= 1)) throw new Error(`--ipv6: expected a share 0..1, got "${values.ipv6}"`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`--seed: expected an integer 0..4294967295, got "${values.seed}"`);
  const sizes = values.size!.split(',');
  const repeats = values.repeat!.split(',').map((r) => positiveInteger('--repeat', r, 100));
  if (repeats.length !== 1 && repeats.length !== sizes.length) throw new Error(`--repeat: give one count or one per size (${sizes.length}), got ${repeats.length}`);
  return {
    sizes: sizes.map((s, i) => ({ label: s.trim(), ipv4: parseSize(s), repeat: repeats.length === 1 ? repeats[0]! : repeats[i]! })),
    ipv6Share,
    attributeSets: positiveInteger('--attr-sets', values['attr-sets']!, 1_000_000),
    daemons: daemons as DaemonKind[],
    isTeardown: values['no-teardown'] !== true,
    isProfile: values.profile === true,
    seed,
    mrtRoutes: values['mrt-routes'] === '0' ? 0 : parseSize(values['mrt-routes']!),
    fibRoutes: values['fib-routes'] === '0' ? 0 : parseSize(values['fib-routes']!),
    latencyChanges: values['latency-changes'] === '0' ? 0 : positiveInteger('--latency-changes', values['latency-changes']!, 100_000),
    manyPeers: values['many-peers'] === '0' ? 0 : positiveInteger('--many-peers', values['many-peers']!, 1000),
    out: values.out === 'none' ? undefined : values.out!,
  };
}

function toPhase(outcome: WaitOutcome, startMs: number): PhaseResult {
  return outcome.kind === 'done' ? { ms: outcome.endMs - startMs, method: outcome.method } : { failure: `${outcome.kind}: ${outcome.reason}` };
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/**
 * After the ingest: nothing, withdraw-all only, or withdraw-all, re-announce and drop.
 * A profiled tsbgpd withdraws before it stops: the profile is written at exit, and
 * dropping a full table on shutdown takes it longer than the stop allows.
 */
type Teardown = 'none' | 'withdraw' | 'full';

/** One daemon, one fresh process: ingest and memory, then the teardown asked for. */
async function runOnce(kind: DaemonKind, table: GeneratedTable, teardown: Teardown, cpuProfileDir?: string): Promise<RunResult> {
  const scope = await Scope.create(`bench-${kind}`);
  let receiver: Receiver | undefined;
  let injector: Injector | undefined;
  let sampler: CpuSampler | undefined;
  try {
    const address = allocLoopback();
    const peerAddress = allocLoopback();
    const port = await freePort(address);
    receiver = await startReceiver(kind, { scope, address, port, as: receiverAs, peerAddress, peerAs: injectorAs, ...(cpuProfileDir === undefined ? {} : { cpuProfileDir }) });
    const proc = receiver.process;
    sampler = new CpuSampler(proc.pid).start();
    injector = await Injector.connect({ localAddress: peerAddress, remoteAddress: address, remotePort: port, as: injectorAs, routerId: peerAddress, holdTimeSec: 240, handshakeTimeoutMs: 20_000 });
    // Let the fresh session settle (timers, the daemon's own End-of-RIB) before the baseline.
    await delay(500);
    const before = readMemory(proc.pid);
    const timeoutMs = phaseTimeoutMs(table.total);
    const r = receiver;
    const inj = injector;
    const failFast = (): string | undefined => (proc.isRunning ? (inj.isOpen ? undefined : `session down: ${inj.closeReason ?? 'closed'}`) : `${kind} exited (${String(proc.exitStatus)})`);
    const phase = async (bytes: Buffer | 'drop', target: number): Promise<{ result: PhaseResult; startMs: number; endMs?: number; queries: number; stallMs?: number }> => {
      const probe = r.ping === undefined ? undefined : new StallProbe(r.ping).start();
      let startMs: number;
      if (bytes === 'drop') {
        startMs = inj.drop();
      } else {
        startMs = performance.now();
        // A failed write ends the session: failFast sees it and names the reason.
        inj.send(bytes).catch((err: unknown) => (inj.closeReason ??= `write failed: ${errorText(err)}`));
      }
      const outcome = await waitForRoutes({
        sampler: sampler!,
        count: () => r.routeCount(),
        target,
        startMs,
        timeoutMs,
        // After a drop the session is down on purpose.
        failFast: bytes === 'drop' ? () => (proc.isRunning ? undefined : `${kind} exited`) : failFast,
      });
      const stall = await probe?.stop();
      // The wait is timed from here: a pause of this process counts in it too.
      if (stall !== undefined && stall.ownLongestMs >= 100) console.log(`   (the bench process itself was held ${stall.ownLongestMs.toFixed(0)} ms during this phase; the longest API wait, ${stall.longestMs.toFixed(0)} ms, includes it)`);
      return { result: toPhase(outcome, startMs), startMs, ...(outcome.kind === 'done' ? { endMs: outcome.endMs } : {}), queries: outcome.queries, ...(stall === undefined ? {} : { stallMs: stall.longestMs }) };
    };

    const ingest = await phase(table.announce, table.total);
    if (!('ms' in ingest.result)) return { ingest: ingest.result, returnedUpdates: inj.receivedUpdates, queries: ingest.queries };
    const after = readMemory(proc.pid);
    const result: { -readonly [K in keyof RunResult]: RunResult[K] } = {
      ingest: ingest.result,
      ingestCpuS: sampler.cpuSecondsBetween(ingest.startMs, ingest.endMs!),
      rssBeforeKb: before.rssKb,
      rssAfterKb: after.rssKb,
      hwmKb: after.hwmKb,
      queries: ingest.queries,
      ingestWindowMs: [ingest.startMs, ingest.endMs!],
      ...(ingest.stallMs === undefined ? {} : { ingestStallMs: ingest.stallMs }),
    };
    if (teardown !== 'none') {
      const withdraw = await phase(table.withdraw, 0);
      result.withdraw = withdraw.result;
      if (withdraw.stallMs !== undefined) result.withdrawStallMs = withdraw.stallMs;
      if (withdraw.endMs !== undefined) result.withdrawCpuS = sampler.cpuSecondsBetween(withdraw.startMs, withdraw.endMs);
      if ('ms' in result.withdraw && teardown === 'full') {
        result.reannounce = (await phase(table.announce, table.total)).result;
        if ('ms' in result.reannounce) {
          const drop = await phase('drop', 0);
          result.drop = drop.result;
          if (drop.stallMs !== undefined) result.dropStallMs = drop.stallMs;
          if (drop.endMs !== undefined) result.dropCpuS = sampler.cpuSecondsBetween(drop.startMs, drop.endMs);
        }
      }
    }
    result.returnedUpdates = inj.receivedUpdates;
    return result;
  } catch (err) {
    const proc = receiver?.process;
    // A daemon that died shows first as a missing /proc entry: say so, with its last words.
    if (proc !== undefined && (await waitExit(proc, 1500))) {
      const last = proc.recentLines(3).map((l) => (l.length > 300 ? `${l.slice(0, 300)}...` : l));
      return { ingest: { failure: `failed: ${kind} exited (${String(proc.exitStatus)})${last.length > 0 ? `, last output: ${last.join(' | ')}` : ''}` } };
    }
    return { ingest: { failure: `failed: ${errorText(err)}` } };
  } finally {
    sampler?.stop();
    if (injector?.isOpen === true) await injector.close();
    try {
      await receiver?.stop();
    } finally {
      await scope.cleanup();
    }
  }
}

function describeRun(r: RunResult, total: number): string {
  const s = (p: PhaseResult | undefined): string => (p === undefined ? '-' : 'ms' in p ? `${(p.ms / 1000).toFixed(2)} s${p.method === 'poll' ? ' (poll)' : ''}` : p.failure);
  if (!('ms' in r.ingest)) return `ingest ${r.ingest.failure}`;
  const bpr = r.rssAfterKb !== undefined && r.rssBeforeKb !== undefined ? Math.round(((r.rssAfterKb - r.rssBeforeKb) * 1024) / total) : undefined;
  return [
    `ingest ${s(r.ingest)} (${Math.round(total / (r.ingest.ms / 1000)).toLocaleString('en-US')} prefixes/s, CPU ${r.ingestCpuS?.toFixed(2)} s)`,
    `${bpr ?? '-'} B/route, peak RSS ${Math.round((r.hwmKb ?? 0) / 1024)} MB`,
    `withdraw-all ${s(r.withdraw)}${r.withdrawCpuS === undefined ? '' : ` (CPU ${r.withdrawCpuS.toFixed(2)} s)`}`,
    `drop ${s(r.drop)}${r.dropCpuS === undefined ? '' : ` (CPU ${r.dropCpuS.toFixed(2)} s)`}`,
    ...(r.ingestStallMs === undefined ? [] : [`longest API wait: ingest ${r.ingestStallMs.toFixed(0)} ms, withdraw-all ${r.withdrawStallMs?.toFixed(0) ?? '-'} ms, drop ${r.dropStallMs?.toFixed(0) ?? '-'} ms`]),
  ].join('; ');
}

function gcNow(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function main(): Promise<void> {
  let options: Options | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${errorText(err)}\n${usage}`);
    process.exit(2);
  }
  if (options === undefined) {
    process.stdout.write(usage);
    return;
  }
  const startedAt = new Date();
  const started = performance.now();
  const loadAtStart = loadavg();
  const machine = { cores: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? 'unknown', memoryGb: totalmem() / 2 ** 30, kernel: release(), node: process.version };
  console.log(`bench: ${machine.cores} cores, ${machine.memoryGb.toFixed(1)} GB, node ${machine.node}; load ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  if ((globalThis as { gc?: () => void }).gc === undefined) console.log('bench: note: run with node --expose-gc (npm run bench does) for steadier memory in this process');

  const missing = new Map<DaemonKind, string>();
  const versions = new Map<DaemonKind, string>();
  for (const kind of options.daemons) {
    const why = missingReason(kind);
    if (why !== undefined) {
      missing.set(kind, why);
      console.log(`bench: ${daemonNames[kind]}: ${why}; it is reported as not run`);
    }
    versions.set(kind, why === undefined ? await daemonVersion(kind) : daemonNames[kind]);
  }
  console.log(`bench: daemons: ${options.daemons.map((k) => versions.get(k)).join(', ')}`);

  const sizes: SizeResult[] = [];
  let largest: GeneratedTable | undefined;
  for (const size of options.sizes) {
    const ipv6 = Math.round(size.ipv4 * options.ipv6Share);
    console.log(`\n== ${size.ipv4.toLocaleString('en-US')} IPv4 + ${ipv6.toLocaleString('en-US')} IPv6 prefixes: generating (seed ${options.seed})`);
    const table = generateTable({ ipv4Count: size.ipv4, ipv6Count: ipv6, attributeSets: options.attributeSets, seed: options.seed, peerAs: injectorAs, nextHop4, nextHop6 });
    console.log(`   ${table.shape.updates.toLocaleString('en-US')} UPDATEs, ${(table.shape.announceBytes / 1e6).toFixed(1)} MB, generated in ${(table.shape.generateMs / 1000).toFixed(1)} s`);
    // Best of three: the check is whether the injector could ever be the limit.
    const sinks = [];
    for (let i = 0; i < 3; i++) sinks.push(await timeSinkWrite(table.announce));
    const sink = sinks.reduce((a, b) => (b.ms < a.ms ? b : a));
    console.log(`   injector into a discarding socket: ${sink.ms.toFixed(0)} ms (${Math.round(table.total / (sink.ms / 1000)).toLocaleString('en-US')} prefixes/s)`);
    const rows: DaemonRow[] = options.daemons.map((kind) => {
      const why = missing.get(kind);
      return { kind, version: versions.get(kind)!, ...(why === undefined ? {} : { missing: why }), runs: [] };
    });
    for (let rep = 1; rep <= size.repeat; rep++) {
      // Each repeat starts with the next daemon, so none always runs first (or last) in
      // whatever else the machine is doing.
      const order = rows.map((_, i) => rows[(i + rep - 1) % rows.length]!);
      for (const row of order) {
        if (row.missing !== undefined) continue;
        gcNow();
        const result = await runOnce(row.kind, table, options.isTeardown ? 'full' : 'none');
        row.runs.push(result);
        console.log(`   [${size.label} ${rep}/${size.repeat}] ${daemonNames[row.kind]}: ${describeRun(result, table.total)}`);
      }
    }
    const result: SizeResult = { label: size.label, ipv4: size.ipv4, ipv6, total: table.total, attributeSets: options.attributeSets, shape: table.shape, sink, rows };
    sizes.push(result);
    if (largest === undefined || table.total > largest.total) largest = table;
  }

  let profile: BenchReport['profile'];
  if (options.isProfile && largest !== undefined) {
    const why = missingReason('tsbgpd');
    const dir = mkdtempSync(join(tmpdir(), 'tsbgp-bench-profile-'));
    if (why !== undefined) {
      profile = { dir, top: [], note: `not run: ${why}` };
    } else {
      console.log(`\n== CPU profile of tsbgpd ingesting ${largest.total.toLocaleString('en-US')} prefixes (node --cpu-prof into ${dir})`);
      const run = await runOnce('tsbgpd', largest, 'withdraw', dir);
      console.log(`   ${describeRun(run, largest.total)}`);
      const file = profileFiles(dir).at(-1);
      // performance.now() and the profile's clock are both CLOCK_MONOTONIC, apart by a constant.
      const offsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
      const w = run.ingestWindowMs;
      const window = w === undefined ? undefined : { fromUs: w[0] * 1000 + offsetUs, toUs: w[1] * 1000 + offsetUs };
      const top = file === undefined ? [] : topFunctions(file, pathToFileURL(repoRoot).href, 15, window);
      const covers = window === undefined ? 'It covers the daemon from start to exit (the ingest did not finish).' : 'The table counts only samples taken during the ingest (first UPDATE to all prefixes held).';
      profile = file === undefined ? { dir, top, note: 'no .cpuprofile was written (did tsbgpd exit normally?)' } : { dir, file, top, note: covers };
      console.log(`   profile: ${file ?? `${dir} (empty)`}`);
      for (const e of top) console.log(`   ${(100 * e.share).toFixed(1).padStart(5)}%  ${e.selfMs.toFixed(0).padStart(6)} ms  ${e.name}  ${e.where}`);
    }
  }

  let mrt: MrtPrintResult | undefined;
  if (options.mrtRoutes > 0) {
    console.log(`\n== MRT print: ${options.mrtRoutes.toLocaleString('en-US')} routes, tsbgp mrt print against bgpdump -m`);
    try {
      mrt = await runMrtPrintBench(options.mrtRoutes);
      for (const r of mrt.runs) console.log(`   ${r.tool} ${r.routes.toLocaleString('en-US')} routes: ${r.seconds.toFixed(2)} s, ${r.routesPerSecond.toLocaleString('en-US')} routes/s, peak RSS ${(r.maxRssKb / 1024).toFixed(1)} MB`);
      const ours = mrt.runs.filter((r) => r.tool === 'tsbgp').at(-1);
      const theirs = mrt.runs.filter((r) => r.tool === 'bgpdump').at(-1);
      if (ours !== undefined && theirs !== undefined) console.log(`   tsbgp mrt print takes ${(ours.seconds / theirs.seconds).toFixed(2)}x bgpdump's time`);
    } catch (err) {
      console.log(`   not run: ${errorText(err)}`);
    }
  }

  let fib: FibBenchResult | undefined;
  if (options.fibRoutes > 0) {
    console.log(`\n== FIB install: ${options.fibRoutes.toLocaleString('en-US')} routes x 3 next hops, ip -batch, our writer and Fib, then tsbgpd, BIRD and FRR over BGP`);
    try {
      fib = await runFibBench(options.fibRoutes, (l) => console.log(`   ${l}`), fibDaemonKinds.filter((k) => options.daemons.includes(k)));
      for (const l of fibRatioLines(fib)) console.log(`   ${l}`);
    } catch (err) {
      console.log(`   not run: ${errorText(err)}`);
    }
  }

  let latency: LatencyResult | undefined;
  if (options.latencyChanges > 0) {
    console.log(`\n== Route change latency: ${options.latencyChanges.toLocaleString('en-US')} single-route UPDATEs at ${latencyRatePerS}/s on ${latencyLoadRoutes.toLocaleString('en-US')} routes, tsbgpd, BIRD and FRR, injector write to kernel notification`);
    try {
      latency = await runLatencyBench(options.latencyChanges, (l) => console.log(`   ${l}`), fibDaemonKinds.filter((k) => options.daemons.includes(k)));
    } catch (err) {
      console.log(`   not run: ${errorText(err)}`);
    }
  }

  let many: ManyPeersResult | undefined;
  if (options.manyPeers > 0) {
    console.log(`\n== Many peers: ${options.manyPeers.toLocaleString('en-US')} sessions x ${defaultRoutesPerPeer.toLocaleString('en-US')} routes into each daemon at once, time to converge and memory`);
    try {
      gcNow();
      many = await runManyPeersBench(options.manyPeers, defaultRoutesPerPeer, (l) => console.log(`   ${l}`), options.daemons);
    } catch (err) {
      console.log(`   not run: ${errorText(err)}`);
    }
  }

  const report: BenchReport = {
    startedAt,
    durationS: (performance.now() - started) / 1000,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    seed: options.seed,
    machine: { ...machine, loadAtStart, loadAtEnd: loadavg() },
    sizes,
    ...(profile === undefined ? {} : { profile }),
  };
  console.log('');
  for (const s of sizes) {
    console.log(`== ${s.total.toLocaleString('en-US')} prefixes (${s.label}): tsbgpd against the best other daemon (medians)`);
    const lines = ratioLines(s);
    for (const l of lines.length > 0 ? lines : ['(no ratio: tsbgpd or every other daemon has no figure)']) console.log(`   ${l}`);
  }
  for (const s of sizes) {
    console.log(`\n${s.total.toLocaleString('en-US')} prefixes (${s.label}):`);
    for (const l of sizeTable(s)) console.log(l);
  }
  if (options.out !== undefined) {
    const path = resolve(options.out);
    const chartPath = `${path.replace(/\.md$/, '')}.svg`;
    writeFileSync(chartPath, renderChart(report));
    const chartLink = `\n## Chart\n\nIngest time and memory per route, medians per daemon and size: ![ingest and memory per route](${basename(chartPath)})\n`;
    writeFileSync(path, markdown(report) + chartLink + (mrt === undefined ? '' : `\n## MRT print\n\n${mrtPrintMarkdown(mrt)}`) + (fib === undefined ? '' : `\n## FIB install\n\n${fibMarkdown(fib)}`) + (latency === undefined ? '' : `\n## Route change latency\n\n${latencyMarkdown(latency)}`) + (many === undefined ? '' : `\n## Many peers\n\n${manyPeersMarkdown(many)}`));
    console.log(`\nbench: report written to ${path}, chart to ${chartPath}`);
  }
  if (profile !== undefined) console.log(`bench: CPU profile in ${profile.file ?? profile.dir}`);
}

await main();
