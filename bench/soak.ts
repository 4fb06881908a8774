// The soak: N light BGP peers (the injector of injector.ts) from loopback addresses of one
// dynamic-neighbors range connect to one tsbgpd, announce R routes each (a share of them
// shared by a group of peers: multipath sets), flap at random for a bounded time (TCP
// reset or Cease, reconnection, withdrawal and re-announcement of subsets), then settle
// in a known final state that is checked through the API: the Loc-RIB holds exactly what
// the peers that are up announce, nothing of the others, no session left over. Memory
// (VmRSS, and the V8 heap after full collections from --trace-gc) and tsbgpd's own
// event-loop delay (its metrics) are reported throughout. docs/robustness.md, "Soak".
// `npm run soak -- [--sessions N] [--routes N] [--seconds N] [--seed N]`.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { writeFile } from 'node:fs/promises';
import { Scope, freePort, waitExit, type DaemonProcess } from '../test/interop/harness.js';
import { tsbgpdBin, tsbgpdConfig } from '../test/interop/tsbgpd.js';
import { ApiClient } from '../src/api/client.js';
import { TableType, SessionState } from '../src/api/apipb.js';
import { Afi, formatPrefix, type Prefix } from '../src/lib/address.js';
import type { Random } from '../src/lib/clock.js';
import { NlriList } from '../src/wire/nlri.js';
import { as4Context } from '../src/wire/context.js';
import { encodeMessage } from '../src/wire/message.js';
import { endOfRib, packUpdates, packWithdrawals } from '../src/wire/update.js';
import { AsSegmentType, Origin, type PathAttributes } from '../src/wire/attributes/types.js';
import { Injector } from './injector.js';
import { seededRandom } from './generate.js';
import { readMemory } from './measure.js';

/** What to run. */
export interface SoakOptions {
  readonly sessions: number;
  /** Routes each peer announces (IPv4 unicast). */
  readonly routes: number;
  /** Length of the flapping phase. */
  readonly seconds: number;
  readonly seed: number;
  /** Largest accepted growth of tsbgpd's heap after a full collection, idle before to idle after, MB. */
  readonly heapBoundMb?: number;
  /** Run tsbgpd under `node --cpu-prof`, writing the profile into this directory. */
  readonly cpuProfileDir?: string;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/** What the peers did during the flapping phase. */
export interface FlapCounts {
  /** Sessions dropped with a TCP reset (a dead peer). */
  readonly resets: number;
  /** Sessions closed with Cease / Administrative Shutdown. */
  readonly ceases: number;
  /** Sessions brought up again after a drop. */
  readonly reconnects: number;
  /** Connection attempts that did not reach Established (retried). */
  readonly connectFailures: number;
  /** Sessions that went down without the peer asking (tsbgpd closed them). */
  readonly unexpectedDowns: number;
  readonly withdrawOps: number;
  readonly withdrawnRoutes: number;
  readonly reannounceOps: number;
  readonly reannouncedRoutes: number;
}

/** VmRSS of tsbgpd at the checkpoints, kB. */
export interface SoakMemory {
  /** Started, no session. */
  readonly idleStartKb: number;
  /** Every peer up with every route. */
  readonly loadedKb: number;
  /** The largest VmRSS sampled (twice a second) or VmHWM, whichever is larger. */
  readonly peakKb: number;
  /** Settled in the final state. */
  readonly finalKb: number;
  /** Every peer gone again, after a quiet pause. */
  readonly idleEndKb: number;
  /**
   * V8 heap in use after the last full (mark-compact) collection, MB, from tsbgpd's
   * `--trace-gc` lines: at idle start (V8's own collection after start-up), loaded and
   * final state (the last one V8 ran in that phase, undefined if none), idle end (forced
   * by a heap snapshot, `--heapsnapshot-signal`). Unlike RSS this falls back when memory
   * is freed: V8 keeps the pages it grew into.
   */
  readonly heapAfterGcMb: { readonly idleStart: number | undefined; readonly loaded: number | undefined; readonly final: number | undefined; readonly idleEnd: number | undefined };
}

/** A comparison of the Loc-RIB with what the peers that are up announce. */
export interface RibCheck {
  readonly expectedPrefixes: number;
  readonly expectedPaths: number;
  readonly prefixes: number;
  readonly paths: number;
  /** Paths whose neighbor is a peer that is down (routes left behind). */
  readonly leftoverPaths: number;
  /** Up to 10 differences, as text. */
  readonly differences: readonly string[];
}

export interface SoakResult {
  readonly options: Required<Omit<SoakOptions, 'log' | 'cpuProfileDir'>>;
  readonly flaps: FlapCounts;
  /** Peers up in the final state. */
  readonly finalUp: number;
  /** The check after the initial load, the final state, and after every peer left. */
  readonly loadCheck: RibCheck;
  readonly finalCheck: RibCheck;
  readonly emptyCheck: RibCheck;
  /** Neighbors tsbgpd listed that it should not have (final state and at the end). */
  readonly strayPeers: readonly string[];
  readonly memory: SoakMemory;
  /**
   * tsbgpd's tsbgp_event_loop_delay_max_seconds (the largest since its start) after each
   * phase, ms. `final` is read once the final state shows in the table counts, before any
   * ListPeer or ListPath: the stall of the BGP work (start, load, flapping, settling).
   * `listed` follows the full check by ListPeer and ListPath; `end` the drain.
   */
  readonly eventLoopMaxMs: { readonly start: number; readonly load: number; readonly flap: number; readonly final: number; readonly listed: number; readonly end: number };
  /** The soak process's own largest event-loop delay after tsbgpd started, ms (its timers are the peers'). */
  readonly driverEventLoopMaxMs: number;
  /** How long the final check's ListPeer and ListPath (with their retries) took, ms. */
  readonly listMs: number;
  /** Phase durations, ms. */
  readonly phasesMs: { readonly start: number; readonly load: number; readonly flap: number; readonly settle: number; readonly drain: number; readonly total: number };
  /** Set if tsbgpd exited before it was stopped. */
  readonly daemonExit: string | undefined;
}

const peerAs = 65001;
const localAs = 65000;
/** Peers sharing a group's shared prefixes: the largest multipath set. */
const groupSize = 10;
/** Share of a peer's routes that its group shares. */
const sharedShare = 0.2;
/** Share of peers up in the final state. */
const finalUpShare = 0.7;
/** Between two actions of one peer, ms (uniform). */
const actionGapMs: readonly [number, number] = [1000, 8000];
/** A dropped peer stays away this long before it reconnects, ms (uniform). */
const downGapMs: readonly [number, number] = [200, 3000];
/** Operations in flight at once (connects, closes, sends) while flapping. */
const maxInFlight = 200;
/**
 * Connections opened at once to bring peers up (load, final state): tsbgpd takes new
 * sessions one after another, and a queue of hundreds would run past the handshake
 * timeout, each given up after tsbgpd did its work.
 */
const maxConnecting = 20;
const handshakeTimeoutMs = 30_000;
const tickMs = 50;
/** The live heap at idle is about 10 MB: growth beyond this is something left behind. */
const defaultHeapBoundMb = 8;
/** How long the final state and the empty state get to show in the Loc-RIB. */
const settleTimeoutMs = 60_000;
/** Attempts to bring a final-state peer up. */
const upAttempts = 5;
/** Pause after the drain before the last readings. */
const quietMs = 2000;
/** Longest wait for a full collection's line. */
const fullGcWaitMs = 30_000;
/** A full collection in `node --trace-gc` output: "Mark-Compact 12.4 (28.5) -> 10.0 (29.2) MB". */
const fullGcLine = /Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const between = (rnd: Random, [lo, hi]: readonly [number, number]): number => lo + rnd() * (hi - lo);

function ipv4(a: number, b: number, c: number, d: number): Uint8Array {
  return Uint8Array.of(a, b, c, d);
}

/** One peer's session and what it announces. */
class SoakPeer {
  injector: Injector | undefined;
  state: 'down' | 'up' = 'down';
  isBusy = false;
  nextActionMs = 0;
  /** Per route index: currently announced on the session. */
  readonly announced: Uint8Array;
  readonly attributes: PathAttributes;

  constructor(
    readonly index: number,
    readonly address: string,
    readonly prefixes: readonly Prefix[],
  ) {
    this.announced = new Uint8Array(prefixes.length);
    const n = index + 1;
    this.attributes = { origin: Origin.igp, asPath: [{ type: AsSegmentType.sequence, asns: [peerAs] }], nextHop: ipv4(100, 64 + (n >> 16), (n >> 8) & 0xff, n & 0xff) };
  }

  announceBytes(indices: readonly number[], isEndOfRib: boolean): Buffer {
    const list = NlriList.from(indices.map((i) => this.prefixes[i]!), Afi.ipv4);
    const messages = packUpdates(this.attributes, list, as4Context).map((u) => encodeMessage(u, as4Context));
    if (isEndOfRib) messages.push(encodeMessage(endOfRib(Afi.ipv4, 1), as4Context));
    return Buffer.concat(messages);
  }

  withdrawBytes(indices: readonly number[]): Buffer {
    const list = NlriList.from(indices.map((i) => this.prefixes[i]!), Afi.ipv4);
    return Buffer.concat(packWithdrawals(Afi.ipv4, 1, list, as4Context).map((u) => encodeMessage(u, as4Context)));
  }

  indicesWhere(isAnnounced: boolean): number[] {
    const out: number[] = [];
    this.announced.forEach((v, i) => {
      if ((v === 1) === isAnnounced) out.push(i);
    });
    return out;
  }
}

/** The routes of a run: peer i's shared prefixes (its group's) first, then its own. */
function peerPrefixes(i: number, routes: number): Prefix[] {
  const shared = Math.floor(routes * sharedShare);
  const own = routes - shared;
  const out: Prefix[] = [];
  // /28s: 2^20 own routes in 10/8, 2^16 shared ones in 172.16/12.
  const group = Math.floor(i / groupSize);
  for (let j = 0; j < shared; j++) {
    const k = (group * shared + j) * 16;
    out.push({ afi: Afi.ipv4, length: 28, addr: ipv4(172, 16 + (k >>> 16), (k >>> 8) & 0xff, k & 0xff) });
  }
  for (let j = 0; j < own; j++) {
    const k = (i * own + j) * 16;
    out.push({ afi: Afi.ipv4, length: 28, addr: ipv4(10, k >>> 16, (k >>> 8) & 0xff, k & 0xff) });
  }
  return out;
}

/** Runs `fn` over `items`, at most `limit` at once. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Reads one unlabelled sample of tsbgpd's /metrics. */
async function scrapeMetric(url: string, name: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (m === null) throw new Error(`soak: ${url} has no ${name} sample`);
  return Number(m[1]);
}

/** Runs the soak; tsbgpd is started and stopped (by PID) inside. */
export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? ((): void => undefined);
  const options = { sessions: o.sessions, routes: o.routes, seconds: o.seconds, seed: o.seed, heapBoundMb: o.heapBoundMb ?? defaultHeapBoundMb };
  if (!Number.isInteger(options.sessions) || options.sessions < 1 || options.sessions > 60_000) throw new RangeError(`--sessions must be 1..60000, got ${options.sessions}`);
  if (!Number.isInteger(options.routes) || options.routes < 1 || options.routes * options.sessions > 1 << 20) throw new RangeError(`--routes must be 1.. with sessions x routes at most ${1 << 20}, got ${options.routes}`);
  if (!(options.seconds >= 0 && options.seconds <= 3600)) throw new RangeError(`--seconds must be 0..3600, got ${options.seconds}`);
  const rnd = seededRandom(options.seed);
  const began = performance.now();
  const driverLoop = monitorEventLoopDelay({ resolution: 10 });
  driverLoop.enable();

  // One /16 of 127/8 per run (never 127.0/16): tsbgpd on .0.1, peers from .1.1 on.
  const second = 1 + (((process.pid ^ options.seed) >>> 0) % 254);
  const base = `127.${second}`;
  const daemonAddress = `${base}.0.1`;
  const peers = Array.from({ length: options.sessions }, (_, i) => new SoakPeer(i, `${base}.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`, peerPrefixes(i, options.routes)));

  const scope = await Scope.create('soak');
  let proc: DaemonProcess | undefined;
  let client: ApiClient | undefined;
  const counts = { resets: 0, ceases: 0, reconnects: 0, connectFailures: 0, unexpectedDowns: 0, withdrawOps: 0, withdrawnRoutes: 0, reannounceOps: 0, reannouncedRoutes: 0 };
  let peakKb = 0;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const port = await freePort(daemonAddress);
    const apiPort = await freePort(daemonAddress);
    const metricsPort = await freePort('127.0.0.1');
    const conf = scope.path('tsbgpd.toml');
    await writeFile(conf, tsbgpdConfig({ as: localAs, address: daemonAddress, port, neighbors: [], peerGroups: [{ name: 'soak', as: peerAs }], dynamicNeighbors: [{ prefix: `${base}.0.0/16`, peerGroup: 'soak' }], isMultipath: true, originate: [] }));
    const target = `${daemonAddress}:${apiPort}`;
    const profile = o.cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', o.cpuProfileDir];
    proc = scope.spawn('tsbgpd', { command: process.execPath, args: ['--trace-gc', '--heapsnapshot-signal=SIGUSR2', ...profile, tsbgpdBin, '-f', conf, '--log-format', 'json', '--log-level', 'info', '--api-hosts', target, '--metrics-port', String(metricsPort)] });
    const daemon = proc;
    let lastFullGc: { readonly atMs: number; readonly afterMb: number } | undefined;
    daemon.onLine((line) => {
      const m = fullGcLine.exec(line);
      if (m !== null) lastFullGc = { atMs: performance.now(), afterMb: Number(m[1]) };
    });
    /** The heap after the last full collection since `sinceMs`, waiting up to `waitMs` for one. */
    const heapAfterGc = async (sinceMs: number, waitMs: number): Promise<number | undefined> => {
      const deadline = performance.now() + waitMs;
      while ((lastFullGc === undefined || lastFullGc.atMs < sinceMs) && performance.now() < deadline) await delay(250);
      return lastFullGc !== undefined && lastFullGc.atMs >= sinceMs ? lastFullGc.afterMb : undefined;
    };
    const api = new ApiClient({ target, timeoutMs: 30_000 });
    client = api;
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const loopMaxMs = async (): Promise<number> => (await scrapeMetric(metricsUrl, 'tsbgp_event_loop_delay_max_seconds')) * 1000;
    const alive = (): void => {
      if (!daemon.isRunning) throw new Error(`soak: tsbgpd exited (${String(daemon.exitStatus)})\n${scope.recentLogs()}`);
    };

    // Started: the API and the metrics answer.
    for (let attempt = 0; ; attempt++) {
      alive();
      try {
        await api.getBgp();
        await loopMaxMs();
        break;
      } catch (err) {
        if (attempt >= 150) throw new Error(`soak: tsbgpd did not answer within 15 s: ${(err as Error).message}\n${scope.recentLogs()}`);
        await delay(100);
      }
    }
    const memNow = (): number => {
      const m = readMemory(daemon.pid);
      peakKb = Math.max(peakKb, m.rssKb, m.hwmKb);
      return m.rssKb;
    };
    sampler = setInterval(() => {
      if (daemon.isRunning) memNow();
    }, 500);
    const idleStartKb = memNow();
    const idleStartHeap = await heapAfterGc(0, 5000);
    if (idleStartHeap === undefined) log('no full collection at start-up: the heap growth is not measured');
    const startLoopMs = await loopMaxMs();
    const startMs = performance.now() - began;
    driverLoop.reset();
    log(`tsbgpd pid ${daemon.pid} on ${daemonAddress}:${port}, range ${base}.0.0/16; idle RSS ${(idleStartKb / 1024).toFixed(1)} MB`);

    /** Brings a peer up and announces its routes (all of them after a drop). Resolves false on failure. */
    const bringUp = async (p: SoakPeer, isAll: boolean): Promise<boolean> => {
      try {
        const inj = await Injector.connect({ localAddress: p.address, remoteAddress: daemonAddress, remotePort: port, as: peerAs, routerId: p.address, holdTimeSec: 90, handshakeTimeoutMs });
        if (isAll) p.announced.fill(1);
        await inj.send(p.announceBytes(p.indicesWhere(true), true));
        p.injector = inj;
        p.state = 'up';
        return true;
      } catch {
        counts.connectFailures++;
        return false;
      }
    };
    const takeDown = async (p: SoakPeer, isReset: boolean): Promise<void> => {
      const inj = p.injector;
      p.injector = undefined;
      p.state = 'down';
      if (inj === undefined) return;
      if (isReset) {
        inj.drop();
        counts.resets++;
      } else {
        await inj.close();
        counts.ceases++;
      }
    };
    /** A peer whose session ended without it asking is down. */
    const noticeDown = (p: SoakPeer): void => {
      if (p.state === 'up' && p.injector?.isOpen !== true) {
        counts.unexpectedDowns++;
        p.injector = undefined;
        p.state = 'down';
      }
    };
    const send = async (p: SoakPeer, bytes: Buffer): Promise<boolean> => {
      try {
        await p.injector!.send(bytes);
        return true;
      } catch {
        noticeDown(p);
        return false;
      }
    };

    const expectation = (): Map<string, Set<string>> => {
      const out = new Map<string, Set<string>>();
      for (const p of peers) {
        if (p.state !== 'up') continue;
        p.announced.forEach((v, i) => {
          if (v !== 1) return;
          const text = formatPrefix(p.prefixes[i]!);
          let set = out.get(text);
          if (set === undefined) out.set(text, (set = new Set()));
          set.add(p.address);
        });
      }
      return out;
    };
    const upAddresses = (): Set<string> => new Set(peers.filter((p) => p.state === 'up').map((p) => p.address));
    const strayPeers: string[] = [];
    /** Neighbors tsbgpd lists: every up peer Established, no other neighbor. */
    const peersMatch = async (): Promise<string | undefined> => {
      const up = upAddresses();
      const listed = await api.listPeer();
      const established = new Set<string>();
      const stray: string[] = [];
      for (const peer of listed) {
        const address = peer.state?.neighbor_address ?? peer.conf?.neighbor_address ?? '';
        if (!up.has(address)) stray.push(`${address} (${peer.state?.session_state ?? '?'})`);
        else if (peer.state?.session_state === SessionState.established) established.add(address);
      }
      if (stray.length > 0) return `neighbors that should be gone: ${stray.slice(0, 5).join(', ')}${stray.length > 5 ? ` and ${stray.length - 5} more` : ''}`;
      if (established.size !== up.size) return `${established.size} of ${up.size} peers Established`;
      return undefined;
    };
    const countsOf = async (): Promise<{ destinations: number; paths: number }> => {
      const t = await api.getTable({ table_type: TableType.global, family: { afi: Afi.ipv4, safi: 1 } });
      return { destinations: Number(t.num_destination ?? 0), paths: Number(t.num_path ?? 0) };
    };
    /** The full comparison of the Loc-RIB (ListPath) with the expectation. */
    const compareRib = async (): Promise<RibCheck> => {
      const want = expectation();
      const up = upAddresses();
      const differences: string[] = [];
      let prefixes = 0;
      let paths = 0;
      let leftoverPaths = 0;
      const seen = new Set<string>();
      for await (const d of api.listPathStream({ table_type: TableType.global, family: { afi: Afi.ipv4, safi: 1 } })) {
        prefixes++;
        const prefix = d.prefix ?? '';
        seen.add(prefix);
        const got = new Set<string>();
        for (const path of d.paths ?? []) {
          paths++;
          const from = path.neighbor_ip ?? '';
          got.add(from);
          if (!up.has(from)) leftoverPaths++;
        }
        const expected = want.get(prefix) ?? new Set<string>();
        const missing = [...expected].filter((a) => !got.has(a));
        const extra = [...got].filter((a) => !expected.has(a));
        if ((missing.length > 0 || extra.length > 0) && differences.length < 10) differences.push(`${prefix}: missing from ${missing.join(' ') || '-'}, extra from ${extra.join(' ') || '-'}`);
      }
      let expectedPaths = 0;
      for (const [prefix, set] of want) {
        expectedPaths += set.size;
        if (!seen.has(prefix) && differences.length < 10) differences.push(`${prefix}: absent, expected from ${[...set].slice(0, 5).join(' ')}`);
      }
      return { expectedPrefixes: want.size, expectedPaths, prefixes, paths, leftoverPaths, differences };
    };
    /**
     * Waits (bounded) until the table counts (GetTable) match the peers, with no listing
     * call: ListPeer and ListPath cost tsbgpd's event loop in proportion to what they
     * list, and the stall figure of the BGP work is taken without them.
     */
    const settleCounts = async (what: string): Promise<RibCheck> => {
      const deadline = performance.now() + settleTimeoutMs;
      let c = { destinations: 0, paths: 0 };
      let want = expectation();
      let expectedPaths = 0;
      for (let attempt = 0; attempt < 1000 && performance.now() < deadline; attempt++) {
        alive();
        for (const p of peers) noticeDown(p);
        want = expectation();
        expectedPaths = 0;
        for (const set of want.values()) expectedPaths += set.size;
        c = await countsOf();
        if (c.destinations === want.size && c.paths === expectedPaths) break;
        await delay(250);
      }
      const differences = c.destinations === want.size && c.paths === expectedPaths ? [] : [`${what}: table holds ${c.destinations} prefixes / ${c.paths} paths after ${settleTimeoutMs / 1000} s, expected ${want.size} / ${expectedPaths}`];
      return { expectedPrefixes: want.size, expectedPaths, prefixes: c.destinations, paths: c.paths, leftoverPaths: 0, differences };
    };
    /**
     * Waits (bounded) until the neighbors and the table counts match the peers, then
     * compares the whole table; a mismatch is looked at again until the time is up.
     */
    const settle = async (what: string): Promise<RibCheck> => {
      const deadline = performance.now() + settleTimeoutMs;
      let last: RibCheck | undefined;
      let why = '';
      for (let attempt = 0; attempt < 1000 && performance.now() < deadline; attempt++) {
        alive();
        for (const p of peers) noticeDown(p);
        const want = expectation();
        let expectedPaths = 0;
        for (const set of want.values()) expectedPaths += set.size;
        const peerProblem = await peersMatch();
        const c = await countsOf();
        if (peerProblem !== undefined) why = peerProblem;
        else if (c.destinations !== want.size || c.paths !== expectedPaths) why = `table holds ${c.destinations} prefixes / ${c.paths} paths, expected ${want.size} / ${expectedPaths}`;
        else {
          last = await compareRib();
          if (last.differences.length === 0 && last.leftoverPaths === 0) return last;
          why = last.differences.join('; ');
        }
        await delay(250);
      }
      log(`${what}: not settled after ${settleTimeoutMs / 1000} s: ${why}`);
      if ((await peersMatch()) !== undefined) strayPeers.push(...(await api.listPeer()).map((p) => p.state?.neighbor_address ?? '').filter((a) => !upAddresses().has(a)));
      return last ?? (await compareRib());
    };

    // Load: every peer up with every route.
    const loadBegan = performance.now();
    for (let attempt = 0; attempt < upAttempts; attempt++) {
      const down = peers.filter((p) => p.state === 'down');
      if (down.length === 0) break;
      if (attempt > 0) await delay(1000);
      await forEachLimited(down, maxConnecting, (p) => bringUp(p, true).then(() => undefined));
    }
    const loadCheck = await settleCounts('load');
    const loadedKb = memNow();
    const loadedHeap = await heapAfterGc(loadBegan, 0);
    const loadLoopMs = await loopMaxMs();
    const loadMs = performance.now() - loadBegan;
    log(`load: ${upAddresses().size} peers up, ${loadCheck.prefixes} prefixes / ${loadCheck.paths} paths in ${(loadMs / 1000).toFixed(1)} s; RSS ${(loadedKb / 1024).toFixed(1)} MB; event loop max ${loadLoopMs.toFixed(0)} ms`);

    // Flap: each peer acts every few seconds until the deadline.
    const flapBegan = performance.now();
    const flapDeadline = flapBegan + options.seconds * 1000;
    let inFlight = 0;
    for (const p of peers) p.nextActionMs = flapBegan + between(rnd, actionGapMs);
    const act = async (p: SoakPeer): Promise<void> => {
      noticeDown(p);
      if (p.state === 'down') {
        const isUp = await bringUp(p, true);
        if (isUp) counts.reconnects++;
        p.nextActionMs = performance.now() + between(rnd, isUp ? actionGapMs : downGapMs);
        return;
      }
      const r = rnd();
      if (r < 0.4) {
        await takeDown(p, rnd() < 0.5);
        p.nextActionMs = performance.now() + between(rnd, downGapMs);
        return;
      }
      const announced = p.indicesWhere(true);
      const withdrawn = p.indicesWhere(false);
      if (r < 0.7 || withdrawn.length === 0) {
        const chosen = announced.filter(() => rnd() < 0.25);
        if (chosen.length > 0 && (await send(p, p.withdrawBytes(chosen)))) {
          for (const i of chosen) p.announced[i] = 0;
          counts.withdrawOps++;
          counts.withdrawnRoutes += chosen.length;
        }
      } else if (await send(p, p.announceBytes(withdrawn, false))) {
        for (const i of withdrawn) p.announced[i] = 1;
        counts.reannounceOps++;
        counts.reannouncedRoutes += withdrawn.length;
      }
      p.nextActionMs = performance.now() + between(rnd, actionGapMs);
    };
    const running = new Set<Promise<void>>();
    let lastReportMs = flapBegan;
    while (performance.now() < flapDeadline) {
      alive();
      const now = performance.now();
      for (const p of peers) {
        if (inFlight >= maxInFlight) break;
        if (p.isBusy || p.nextActionMs > now) continue;
        p.isBusy = true;
        inFlight++;
        const op: Promise<void> = act(p).finally(() => {
          p.isBusy = false;
          inFlight--;
          running.delete(op);
        });
        running.add(op);
      }
      if (now - lastReportMs >= 10_000) {
        lastReportMs = now;
        log(`flap: ${((now - flapBegan) / 1000).toFixed(0)} s, ${upAddresses().size} up, ${counts.resets + counts.ceases} drops, ${counts.reconnects} reconnects, RSS ${(memNow() / 1024).toFixed(1)} MB`);
      }
      await delay(tickMs);
    }
    // Operations in flight end on their own bounds (handshake timeout, close timeout).
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(running), new Promise<void>((resolve) => (drainTimer = setTimeout(resolve, handshakeTimeoutMs + 5000)))]);
    clearTimeout(drainTimer);
    const flapLoopMs = await loopMaxMs();
    const flapCounts: FlapCounts = { ...counts };
    const flapMs = performance.now() - flapBegan;
    log(`flap: ${counts.resets} resets, ${counts.ceases} ceases, ${counts.reconnects} reconnects, ${counts.withdrawOps} withdrawals (${counts.withdrawnRoutes} routes), ${counts.reannounceOps} re-announcements; event loop max ${flapLoopMs.toFixed(0)} ms`);

    // Final state: a random subset up, each with the routes it has announced by now.
    const settleBegan = performance.now();
    const finalUp = new Set(peers.filter(() => rnd() < finalUpShare));
    for (const p of peers) noticeDown(p);
    await forEachLimited(peers.filter((p) => !finalUp.has(p) && p.state === 'up'), maxInFlight, (p) => takeDown(p, rnd() < 0.5));
    for (let attempt = 0; attempt < upAttempts; attempt++) {
      for (const p of peers) noticeDown(p);
      const down = [...finalUp].filter((p) => p.state === 'down');
      if (down.length === 0) break;
      if (attempt > 0) await delay(1000);
      await forEachLimited(down, maxConnecting, (p) => bringUp(p, true).then(() => undefined));
    }
    await settleCounts('final state');
    const finalKb = memNow();
    const finalHeap = await heapAfterGc(settleBegan, 0);
    const finalLoopMs = await loopMaxMs();
    const listBegan = performance.now();
    const finalCheck = await settle('final state');
    const listMs = performance.now() - listBegan;
    const listedLoopMs = await loopMaxMs();
    log(`final: listings (ListPeer, ListPath) took ${(listMs / 1000).toFixed(1)} s; event loop max ${listedLoopMs.toFixed(0)} ms`);
    const settleMs = performance.now() - settleBegan;
    const finalUpCount = upAddresses().size;
    log(`final: ${finalUpCount} peers up, ${finalCheck.prefixes} prefixes / ${finalCheck.paths} paths (expected ${finalCheck.expectedPrefixes} / ${finalCheck.expectedPaths}), ${finalCheck.leftoverPaths} left behind; RSS ${(finalKb / 1024).toFixed(1)} MB`);

    // Drain: every peer leaves; the table and the neighbor list empty; memory after a pause.
    const drainBegan = performance.now();
    await forEachLimited(peers.filter((p) => p.state === 'up'), maxInFlight, (p) => takeDown(p, rnd() < 0.5));
    const emptyCheck = await settle('empty');
    await delay(quietMs);
    alive();
    const idleEndKb = memNow();
    const endLoopMs = await loopMaxMs();
    // A heap snapshot collects everything first; it blocks tsbgpd, so it comes after the readings.
    const snapshotAt = performance.now();
    daemon.signal('SIGUSR2');
    const idleEndHeap = await heapAfterGc(snapshotAt, fullGcWaitMs);
    const drainMs = performance.now() - drainBegan;
    log(`drain: table ${emptyCheck.prefixes} prefixes; RSS ${(idleEndKb / 1024).toFixed(1)} MB (idle start ${(idleStartKb / 1024).toFixed(1)}, peak ${(peakKb / 1024).toFixed(1)}); event loop max ${endLoopMs.toFixed(0)} ms`);

    return {
      options,
      flaps: flapCounts,
      finalUp: finalUpCount,
      loadCheck,
      finalCheck,
      emptyCheck,
      strayPeers,
      memory: { idleStartKb, loadedKb, peakKb, finalKb, idleEndKb, heapAfterGcMb: { idleStart: idleStartHeap, loaded: loadedHeap, final: finalHeap, idleEnd: idleEndHeap } },
      eventLoopMaxMs: { start: startLoopMs, load: loadLoopMs, flap: flapLoopMs, final: finalLoopMs, listed: listedLoopMs, end: endLoopMs },
      listMs,
      driverEventLoopMaxMs: driverLoop.max / 1e6,
      phasesMs: { start: startMs, load: loadMs, flap: flapMs, settle: settleMs, drain: drainMs, total: performance.now() - began },
      daemonExit: daemon.isRunning ? undefined : String(daemon.exitStatus),
    };
  } finally {
    driverLoop.disable();
    if (sampler !== undefined) clearInterval(sampler);
    for (const p of peers) p.injector?.drop();
    client?.close();
    if (proc !== undefined) {
      // A CPU profile is written at exit: give it time.
      await proc.kill(o.cpuProfileDir === undefined ? 5000 : 60_000);
      await waitExit(proc, 1000);
    }
    await scope.cleanup();
  }
}

/** Failures of a run against the issue's bounds, as text (empty: passed). */
export function soakFailures(r: SoakResult, stallBoundMs = 100): string[] {
  const out: string[] = [];
  if (r.daemonExit !== undefined) out.push(`tsbgpd exited (${r.daemonExit})`);
  for (const [name, c] of [['load', r.loadCheck], ['final', r.finalCheck], ['empty', r.emptyCheck]] as const) {
    if (c.differences.length > 0) out.push(`${name}: Loc-RIB differs: ${c.differences.join('; ')}`);
    if (c.leftoverPaths > 0) out.push(`${name}: ${c.leftoverPaths} paths of peers that are down`);
    if (c.prefixes !== c.expectedPrefixes || c.paths !== c.expectedPaths) out.push(`${name}: ${c.prefixes} prefixes / ${c.paths} paths, expected ${c.expectedPrefixes} / ${c.expectedPaths}`);
  }
  if (r.strayPeers.length > 0) out.push(`neighbors left over: ${r.strayPeers.slice(0, 5).join(', ')}`);
  const h = r.memory.heapAfterGcMb;
  if (h.idleStart === undefined || h.idleEnd === undefined) out.push('the heap after a full collection was not read at idle start and end');
  else if (h.idleEnd - h.idleStart > r.options.heapBoundMb) out.push(`the heap grew ${(h.idleEnd - h.idleStart).toFixed(1)} MB from idle to idle (bound ${r.options.heapBoundMb} MB)`);
  if (r.eventLoopMaxMs.final > stallBoundMs) out.push(`tsbgpd's event loop stalled ${r.eventLoopMaxMs.final.toFixed(0)} ms in the BGP work (bound ${stallBoundMs} ms)`);
  return out;
}

const mb = (kb: number): string => (kb / 1024).toFixed(1);
const heap = (v: number | undefined): string => (v === undefined ? 'no full GC' : v.toFixed(1));

/** The run as lines of text: the figures docs/robustness.md records. */
export function soakReport(r: SoakResult): string[] {
  const f = r.flaps;
  const o = r.options;
  return [
    `command: npm run soak -- --sessions ${o.sessions} --routes ${o.routes} --seconds ${o.seconds} --seed ${o.seed}`,
    `sessions ${o.sessions}, routes per peer ${o.routes} (${Math.floor(o.routes * sharedShare)} shared by groups of ${groupSize}), flapping ${o.seconds} s`,
    `flapping phase: ${f.resets} TCP resets, ${f.ceases} Cease closes, ${f.reconnects} reconnects, ${f.connectFailures} failed connects (retried), ${f.unexpectedDowns} unexpected downs; ${f.withdrawOps} partial withdrawals (${f.withdrawnRoutes} routes), ${f.reannounceOps} re-announcements (${f.reannouncedRoutes} routes)`,
    `load: ${r.loadCheck.prefixes} prefixes / ${r.loadCheck.paths} paths (expected ${r.loadCheck.expectedPrefixes} / ${r.loadCheck.expectedPaths})`,
    `final: ${r.finalUp} peers up; ${r.finalCheck.prefixes} prefixes / ${r.finalCheck.paths} paths (expected ${r.finalCheck.expectedPrefixes} / ${r.finalCheck.expectedPaths}); ${r.finalCheck.leftoverPaths} paths of down peers; stray neighbors ${r.strayPeers.length}`,
    `empty: ${r.emptyCheck.prefixes} prefixes / ${r.emptyCheck.paths} paths after every peer left`,
    `tsbgpd heap after full GC MB: idle start ${heap(r.memory.heapAfterGcMb.idleStart)}, loaded ${heap(r.memory.heapAfterGcMb.loaded)}, final state ${heap(r.memory.heapAfterGcMb.final)}, idle end ${heap(r.memory.heapAfterGcMb.idleEnd)} (bound on growth ${o.heapBoundMb})`,
    `tsbgpd RSS MB: idle start ${mb(r.memory.idleStartKb)}, loaded ${mb(r.memory.loadedKb)}, peak ${mb(r.memory.peakKb)}, final state ${mb(r.memory.finalKb)}, idle end ${mb(r.memory.idleEndKb)} (growth ${mb(r.memory.idleEndKb - r.memory.idleStartKb)})`,
    `tsbgpd event-loop delay max ms (cumulative): after start ${r.eventLoopMaxMs.start.toFixed(0)}, load ${r.eventLoopMaxMs.load.toFixed(0)}, flap ${r.eventLoopMaxMs.flap.toFixed(0)}, final state ${r.eventLoopMaxMs.final.toFixed(0)}, after ListPeer+ListPath (${(r.listMs / 1000).toFixed(1)} s) ${r.eventLoopMaxMs.listed.toFixed(0)}, end ${r.eventLoopMaxMs.end.toFixed(0)}; soak process ${r.driverEventLoopMaxMs.toFixed(0)}`,
    `phases s: start ${(r.phasesMs.start / 1000).toFixed(1)}, load ${(r.phasesMs.load / 1000).toFixed(1)}, flap ${(r.phasesMs.flap / 1000).toFixed(1)}, settle ${(r.phasesMs.settle / 1000).toFixed(1)}, drain ${(r.phasesMs.drain / 1000).toFixed(1)}, total ${(r.phasesMs.total / 1000).toFixed(1)}`,
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { sessions: { type: 'string', default: '1000' }, routes: { type: 'string', default: '100' }, seconds: { type: 'string', default: '120' }, seed: { type: 'string' }, 'heap-bound-mb': { type: 'string' }, 'cpu-prof': { type: 'string' } },
    strict: true,
  });
  const seed = values.seed === undefined ? Math.floor(Math.random() * 0x7fffffff) : Number(values.seed);
  const result = await runSoak({
    sessions: Number(values.sessions),
    routes: Number(values.routes),
    seconds: Number(values.seconds),
    seed,
    ...(values['heap-bound-mb'] === undefined ? {} : { heapBoundMb: Number(values['heap-bound-mb']) }),
    ...(values['cpu-prof'] === undefined ? {} : { cpuProfileDir: values['cpu-prof'] }),
    log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
  });
  console.log('');
  for (const line of soakReport(result)) console.log(line);
  const failures = soakFailures(result);
  console.log(failures.length === 0 ? 'result: pass' : `result: FAIL\n  ${failures.join('\n  ')}`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  });
}
