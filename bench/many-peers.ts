// `npm run bench`'s many-peers section: N injector sessions (bench/injector.ts) from N
// loopback addresses into one daemon (tsbgpd, gobgpd, BIRD, FRR as the plain receivers
// of bench/daemons.ts), each announcing R /32s of its own (RFC 4271 9.1: every path is
// held), all at once; the time until the daemon holds all N x R routes and has gone idle,
// its CPU, and its memory. Loopback only: Linux routes all of 127/8 to lo.
// Usage: npx tsc -p tsconfig.json && node dist/bench/many-peers.js [peers] [routes] [daemons]

import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Scope, freePort, waitExit } from '../test/interop/harness.js';
import { Afi, parseAddress } from '../src/lib/address.js';
import { Reader } from '../src/wire/reader.js';
import { NlriList } from '../src/wire/nlri.js';
import { as4Context } from '../src/wire/context.js';
import { encodeMessage } from '../src/wire/message.js';
import { endOfRib, packUpdates } from '../src/wire/update.js';
import { AsSegmentType, Origin } from '../src/wire/attributes/types.js';
import { Injector } from './injector.js';
import { CpuSampler, readMemory, waitForRoutes, type EndMethod } from './measure.js';
import { daemonKinds, daemonVersion, missingReason, startReceiver, type DaemonKind, type Receiver } from './daemons.js';

/** Defaults of the issue: 100 peers of 10,000 routes each. */
export const defaultRoutesPerPeer = 10_000;
/** Attribute sets per peer (AS paths differing in their second AS), so not one UPDATE shape. */
export const setsPerPeer = 10;

const receiverAs = 65000;
const injectorAs = 65001;
/** A documentation next hop: gobgpd drops routes whose next hop is in 127/8. */
const nextHop = parseAddress('192.0.2.1');
/** 10.0.0.0/8 holds 2^24 /32s. */
const maxRoutes = 1 << 24;

/** One daemon's run: its figures, or why there are none. */
export interface ManyPeersRun {
  readonly kind: DaemonKind;
  readonly version: string;
  /** First UPDATE written to every route held, the daemon idle again. */
  readonly convergeS?: number;
  /** How the end was found: `poll` (the daemon never went idle) makes convergeS an upper bound. */
  readonly method?: EndMethod;
  /** Daemon CPU (all threads) over the same span. */
  readonly cpuS?: number;
  /** VmRSS with every session up and no route, after convergence, and VmHWM; MB. */
  readonly rssBeforeMb?: number;
  readonly rssAfterMb?: number;
  readonly peakMb?: number;
  readonly failure?: string;
}

/** The many-peers section's figures. */
export interface ManyPeersResult {
  readonly peers: number;
  readonly routesPerPeer: number;
  readonly runs: readonly ManyPeersRun[];
  readonly loadAtStart: readonly number[];
  readonly loadAtEnd: readonly number[];
}

/**
 * Peer `peer`'s announcement: /32s 10.0.0.0 + peer x routes upwards (no two peers share
 * a prefix), in `setsPerPeer` attribute sets (AS_PATH [injectorAs, 65100 + set]),
 * packed up to 4096 octets per UPDATE, then End-of-RIB (RFC 4724 2).
 */
export function peerAnnouncement(peer: number, routes: number): Buffer {
  const first = peer * routes;
  if (!Number.isInteger(first) || first < 0 || first + routes > maxRoutes) throw new RangeError(`peer ${peer} x ${routes} routes does not fit in 10.0.0.0/8`);
  const messages: Uint8Array[] = [];
  for (let set = 0; set < setsPerPeer; set++) {
    const count = Math.floor(routes / setsPerPeer) + (set < routes % setsPerPeer ? 1 : 0);
    if (count === 0) continue;
    const packed = new Uint8Array(count * 5);
    for (let k = 0; k < count; k++) {
      const n = first + set + k * setsPerPeer;
      packed.set([32, 10, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff], k * 5);
    }
    const nlri = NlriList.decode(new Reader(packed, 0, packed.length), Afi.ipv4, false);
    const attrs = { origin: Origin.igp, asPath: [{ type: AsSegmentType.sequence, asns: [injectorAs, 65100 + set] }], nextHop };
    for (const u of packUpdates(attrs, nlri, as4Context)) messages.push(encodeMessage(u, as4Context));
  }
  messages.push(encodeMessage(endOfRib(Afi.ipv4, 1), as4Context));
  return Buffer.concat(messages.map((m) => Buffer.from(m.buffer, m.byteOffset, m.byteLength)));
}

/** The addresses of one run: the daemon on 127.S.0.1, peers from 127.S.1.1 on (one /16 of 127/8 per run). */
export function loopbackPlan(peers: number, second: number): { readonly daemon: string; readonly peers: string[] } {
  if (peers < 1 || peers > 250 * 254) throw new RangeError(`peers must be 1..${250 * 254}, got ${peers}`);
  return { daemon: `127.${second}.0.1`, peers: Array.from({ length: peers }, (_, i) => `127.${second}.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`) };
}

/** Bound on the convergence: generous for the slowest daemon, still finite. */
function convergeLimitMs(total: number): number {
  return 60_000 + (180_000 * total) / 1_000_000;
}

/** Sessions opened at once while connecting. */
const connectBatch = 10;

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Connection attempts refused before giving up, and the pause between them. */
const refusedTries = 40;
const refusedPauseMs = 250;

/**
 * `connect`, again while the daemon refuses the connection: gobgpd answers its API before
 * its BGP listener is up when it has many neighbors to set up (10 s at the most).
 */
async function connectRetrying(connect: () => Promise<Injector>): Promise<Injector> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect();
    } catch (err) {
      if (!/\bECONNREFUSED\b/.test((err as Error).message) || attempt >= refusedTries) throw err;
      await delay(refusedPauseMs);
    }
  }
}

/** One daemon, one fresh process; every session closed and the daemon stopped before it returns. */
async function runOnce(kind: DaemonKind, peers: number, routesPerPeer: number, buffers: readonly Buffer[], second: number): Promise<Omit<ManyPeersRun, 'kind' | 'version'>> {
  const plan = loopbackPlan(peers, second);
  const scope = await Scope.create(`bench-many-${kind}`);
  let receiver: Receiver | undefined;
  let sampler: CpuSampler | undefined;
  const injectors: Injector[] = [];
  try {
    const port = await freePort(plan.daemon);
    receiver = await startReceiver(kind, { scope, address: plan.daemon, port, as: receiverAs, peerAddress: plan.peers[0]!, morePeerAddresses: plan.peers.slice(1), peerAs: injectorAs });
    const proc = receiver.process;
    for (let i = 0; i < peers; i += connectBatch) {
      const batch = plan.peers.slice(i, i + connectBatch);
      injectors.push(...(await Promise.all(batch.map((a) => connectRetrying(() => Injector.connect({ localAddress: a, remoteAddress: plan.daemon, remotePort: port, as: injectorAs, routerId: a, holdTimeSec: 240, handshakeTimeoutMs: 30_000 }))))));
    }
    // Let the fresh sessions settle (timers, the daemon's End-of-RIBs) before the baseline.
    await delay(1000);
    const before = readMemory(proc.pid);
    sampler = new CpuSampler(proc.pid).start();
    const total = peers * routesPerPeer;
    const startMs = performance.now();
    let writeError: string | undefined;
    injectors.forEach((inj, i) => inj.send(buffers[i]!).catch((err: unknown) => (writeError ??= `write failed: ${errorText(err)}`)));
    const r = receiver;
    const outcome = await waitForRoutes({
      sampler,
      count: () => r.routeCount(),
      target: total,
      startMs,
      timeoutMs: convergeLimitMs(total),
      failFast: () => (proc.isRunning ? (writeError ?? injectors.find((inj) => !inj.isOpen)?.closeReason) : `${kind} exited (${String(proc.exitStatus)})`),
    });
    if (outcome.kind !== 'done') return { failure: `${outcome.kind}: ${outcome.reason}` };
    const after = readMemory(proc.pid);
    return {
      convergeS: (outcome.endMs - startMs) / 1000,
      method: outcome.method,
      cpuS: sampler.cpuSecondsBetween(startMs, outcome.endMs),
      rssBeforeMb: before.rssKb / 1024,
      rssAfterMb: after.rssKb / 1024,
      peakMb: after.hwmKb / 1024,
    };
  } catch (err) {
    const proc = receiver?.process;
    if (proc !== undefined && (await waitExit(proc, 1500))) return { failure: `failed: ${kind} exited (${String(proc.exitStatus)})` };
    return { failure: `failed: ${errorText(err)}` };
  } finally {
    sampler?.stop();
    for (const inj of injectors) if (inj.isOpen) await inj.close();
    try {
      await receiver?.stop();
    } finally {
      await scope.cleanup();
    }
  }
}

/** Runs the section for each daemon in turn; a daemon that cannot run says why. */
export async function runManyPeersBench(peers: number, routesPerPeer: number, log: (line: string) => void = () => undefined, kinds: readonly DaemonKind[] = daemonKinds): Promise<ManyPeersResult> {
  const loadAtStart = loadavg();
  const buffers = Array.from({ length: peers }, (_, i) => peerAnnouncement(i, routesPerPeer));
  // One /16 of 127/8 per run, away from 127.0/16 and from the harness's own block most of the time.
  const second = 1 + (process.pid % 254);
  const runs: ManyPeersRun[] = [];
  for (const kind of kinds) {
    const why = missingReason(kind);
    const version = why === undefined ? await daemonVersion(kind) : kind;
    if (why !== undefined) {
      runs.push({ kind, version, failure: `not run: ${why}` });
      log(`${version}: not run: ${why}`);
      continue;
    }
    const r = { kind, version, ...(await runOnce(kind, peers, routesPerPeer, buffers, second)) };
    runs.push(r);
    log(r.convergeS === undefined ? `${version}: ${r.failure ?? 'no figure'}` : `${version}: converged in ${r.convergeS.toFixed(2)} s${r.method === 'poll' ? ' (by a count query: an upper bound)' : ''} (CPU ${r.cpuS?.toFixed(2)} s), RSS ${r.rssBeforeMb?.toFixed(0)} -> ${r.rssAfterMb?.toFixed(0)} MB, peak ${r.peakMb?.toFixed(0)} MB`);
  }
  return { peers, routesPerPeer, runs, loadAtStart, loadAtEnd: loadavg() };
}

/** The `## Many peers` section's body for docs/bench.md. */
export function manyPeersMarkdown(r: ManyPeersResult): string {
  const total = r.peers * r.routesPerPeer;
  const f = (x: number | undefined, digits: number): string => (x === undefined ? '-' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
  const lines = ['| daemon | converge s | daemon CPU s | RSS before MB | RSS after MB | peak RSS MB | bytes/route |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const run of r.runs) {
    if (run.convergeS === undefined) {
      lines.push(`| ${run.version} | ${run.failure ?? 'not run'} | | | | | |`);
      continue;
    }
    const bpr = run.rssAfterMb === undefined || run.rssBeforeMb === undefined ? undefined : ((run.rssAfterMb - run.rssBeforeMb) * 1024 * 1024) / total;
    lines.push(`| ${run.version} | ${f(run.convergeS, 2)}${run.method === 'poll' ? ' (poll)' : ''} | ${f(run.cpuS, 2)} | ${f(run.rssBeforeMb, 0)} | ${f(run.rssAfterMb, 0)} | ${f(run.peakMb, 0)} | ${f(bpr, 0)} |`);
  }
  return [
    `${r.peers.toLocaleString('en-US')} injector sessions from as many loopback addresses into one daemon (the plain receivers of the ingest section), each announcing ${r.routesPerPeer.toLocaleString('en-US')} IPv4 /32s of its own in ${setsPerPeer} attribute sets, all written at once: ${total.toLocaleString('en-US')} routes. **Converge** runs from the first write to the daemon holding every route and gone idle (measured as the ingest is); RSS before is with every session up and no route; "(poll)" marks an end found by a count query while the daemon was still busy, an upper bound. Load average ${r.loadAtStart.map((l) => l.toFixed(2)).join(' ')} at the start, ${r.loadAtEnd.map((l) => l.toFixed(2)).join(' ')} at the end.`,
    '',
    ...lines,
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const peers = Number(process.argv[2] ?? 100);
  const routes = Number(process.argv[3] ?? defaultRoutesPerPeer);
  const kinds = (process.argv[4]?.split(',') ?? daemonKinds).filter((k): k is DaemonKind => (daemonKinds as readonly string[]).includes(k));
  const r = await runManyPeersBench(peers, routes, (l) => console.log(`   ${l}`), kinds);
  process.stdout.write(`\n${manyPeersMarkdown(r)}`);
}
