// Manual micro-benchmark of the RIB alone (no codec, no sockets): how fast UPDATEs go into
// the Adj-RIB-In and Loc-RIB, and what a route costs in memory. Not a test.
//   npx tsc -p tsconfig.json && node --expose-gc dist/bench/rib-ingest.js [--per-update N]
// Scenarios: 1,000,000 IPv4 prefixes from one peer with 4,000 attribute sets, and
// 100 peers x the same 10,000 prefixes (each peer its own next hop and 40 attribute sets).

import { Afi, type Prefix } from '../src/lib/address.js';
import { NlriList } from '../src/wire/nlri.js';
import type { UpdateMessage } from '../src/wire/update.js';
import { AsSegmentType, Origin, type PathAttributes } from '../src/wire/attributes/types.js';
import { Rib, type RibOptions } from '../src/rib/rib.js';
import type { PeerInfo } from '../src/rib/sink.js';
import { familyKey } from '../src/wire/context.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with node --expose-gc');
  process.exit(1);
}

const args = process.argv.slice(2);
const perUpdateArg = args.indexOf('--per-update');
/** Most prefixes per UPDATE (a 4096-byte UPDATE holds about 1,000 /24s). */
const maxPerUpdate = perUpdateArg >= 0 ? Number(args[perUpdateArg + 1]) : 500;
const onlyArg = args.indexOf('--only');
/** "one" or "many": run one scenario only. */
const only = onlyArg >= 0 ? args[onlyArg + 1] : undefined;

function memoryNow(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  // The IPv4 tables keep keys in typed arrays, whose bytes live outside the V8 heap.
  return m.heapUsed + m.arrayBuffers;
}

/** A deterministic pseudo-random source (xorshift32), so runs compare. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

function distinctPrefixes(count: number, seed: number): Prefix[] {
  const rnd = random(seed);
  const seen = new Set<number>();
  const out: Prefix[] = [];
  // Roughly the Internet's mix: mostly /24, then /22, /23, /20, a few /16.
  const lengths = [24, 24, 24, 24, 24, 24, 22, 22, 23, 20, 16];
  while (out.length < count) {
    const length = lengths[Math.floor(rnd() * lengths.length)]!;
    const addr = (Math.floor(rnd() * 0xdf000000) + 0x01000000) & (0xffffffff << (32 - length));
    const key = (addr >>> 0) * 64 + length;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ afi: Afi.ipv4, length, addr: Uint8Array.of(addr >>> 24, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff) });
  }
  return out;
}

interface AttrSetSpec {
  readonly attributes: PathAttributes;
  readonly attrKey: Uint8Array;
}

function attributeSets(count: number, peerAs: number, nextHop: Uint8Array, seed: number): AttrSetSpec[] {
  const rnd = random(seed);
  const out: AttrSetSpec[] = [];
  for (let i = 0; i < count; i++) {
    const asns = [peerAs];
    const hops = 1 + Math.floor(rnd() * 6);
    for (let h = 0; h < hops; h++) asns.push(1 + Math.floor(rnd() * 400000));
    const attributes: PathAttributes = {
      origin: rnd() < 0.9 ? Origin.igp : Origin.incomplete,
      asPath: [{ type: AsSegmentType.sequence, asns }],
      nextHop,
      ...(rnd() < 0.3 ? { med: Math.floor(rnd() * 100) } : {}),
      ...(rnd() < 0.5 ? { communities: [(peerAs << 16) | Math.floor(rnd() * 1000)] } : {}),
    };
    // The RIB treats attrKey as the attributes' identity; stand-in bytes of a realistic size.
    const attrKey = new Uint8Array(40 + asns.length * 4);
    new DataView(attrKey.buffer).setUint32(0, i);
    new DataView(attrKey.buffer).setUint32(4, peerAs);
    attrKey.set(nextHop, 8);
    out.push({ attributes, attrKey });
  }
  return out;
}

/** UPDATEs announcing `prefixes`, each prefix with a random one of `sets`, packed per set. */
function buildUpdates(prefixes: readonly Prefix[], sets: readonly AttrSetSpec[], seed: number): UpdateMessage[] {
  const rnd = random(seed);
  const groups: Prefix[][] = sets.map(() => []);
  for (const p of prefixes) groups[Math.floor(rnd() * sets.length)]!.push(p);
  const updates: UpdateMessage[] = [];
  const empty = NlriList.empty(Afi.ipv4);
  groups.forEach((group, i) => {
    for (let at = 0; at < group.length; at += maxPerUpdate) {
      updates.push({
        type: 'update',
        withdrawn: empty,
        attributes: sets[i]!.attributes,
        nlri: NlriList.from(group.slice(at, at + maxPerUpdate), Afi.ipv4),
        attrKey: sets[i]!.attrKey,
        faults: [],
      });
    }
  });
  // Shuffle so UPDATEs of one attribute set do not come in a row.
  for (let i = updates.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [updates[i], updates[j]] = [updates[j]!, updates[i]!];
  }
  return updates;
}

function peerInfo(index: number, peerAs: number): PeerInfo {
  const address = `10.${(index >> 8) & 0xff}.${index & 0xff}.1`;
  return {
    address,
    peerAs,
    localAs: 64512,
    routerId: Uint8Array.of(10, (index >> 8) & 0xff, index & 0xff, 1),
    isEbgp: true,
    families: new Set([familyKey(Afi.ipv4, 1)]),
    addPathRx: new Set(),
  };
}

interface Feed {
  readonly peer: PeerInfo;
  readonly updates: readonly UpdateMessage[];
}

function run(label: string, feeds: readonly Feed[], options: RibOptions, isListening: boolean): Rib {
  const before = memoryNow();
  const rib = new Rib(options);
  let events = 0;
  if (isListening) rib.subscribe((changes) => (events += changes.length));
  let prefixes = 0;
  for (const f of feeds) for (const u of f.updates) prefixes += u.nlri.count;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (const f of feeds) {
    rib.onEstablished(f.peer);
    for (const u of f.updates) rib.onUpdate(f.peer, u);
  }
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const after = memoryNow();
  const family = familyKey(Afi.ipv4, 1);
  const routes = rib.routeCount(family);
  console.log(
    `${label}${isListening ? ' +feed' : ''}: ${prefixes.toLocaleString('en')} prefixes in ${elapsedMs.toFixed(0)} ms = ` +
      `${Math.round(prefixes / (elapsedMs / 1000)).toLocaleString('en')} prefixes/s (CPU ${cpuMs.toFixed(0)} ms, all threads); ${routes.toLocaleString('en')} routes, ` +
      `${rib.prefixCount(family).toLocaleString('en')} Loc-RIB prefixes, ${rib.attrStore.size} attribute sets, ` +
      `${((after - before) / routes).toFixed(1)} bytes/route${isListening ? `, ${events.toLocaleString('en')} events` : ''}`,
  );
  return rib;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The session of `peer` drops: time until the Loc-RIB is empty, and the longest stretch
 * without a turn of the event loop (the removal's slices yield through the clock's timer).
 */
async function dropPeer(rib: Rib, peer: PeerInfo): Promise<void> {
  const family = familyKey(Afi.ipv4, 1);
  const routes = rib.routeCount(family);
  // CPU time as well as wall time: on a loaded machine a turn's wall time counts the
  // time other processes had the core.
  const cpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const start = performance.now();
  const cpuStart = cpuMs();
  rib.onPeerDown(peer, 'bench');
  let last = performance.now();
  let lastCpu = cpuMs();
  let longestMs = last - start;
  let longestCpuMs = lastCpu - cpuStart;
  let turns = 0;
  // Bounded: a slice removes at least one prefix.
  while (rib.prefixCount(family) > 0 && turns <= routes + 1) {
    await turn();
    const now = performance.now();
    const cpu = cpuMs();
    longestMs = Math.max(longestMs, now - last);
    longestCpuMs = Math.max(longestCpuMs, cpu - lastCpu);
    last = now;
    lastCpu = cpu;
    turns++;
  }
  const ms = performance.now() - start;
  console.log(
    `  session drop: ${routes.toLocaleString('en')} routes gone in ${ms.toFixed(0)} ms (CPU ${(cpuMs() - cpuStart).toFixed(0)} ms), ` +
      `longest turn of the event loop ${longestMs.toFixed(1)} ms (CPU ${longestCpuMs.toFixed(1)} ms) over ${turns} turns`,
  );
}

console.log(`node ${process.version}, at most ${maxPerUpdate} prefixes per UPDATE`);

if (only !== 'many') {
  const prefixes = distinctPrefixes(1_000_000, 1);
  const peer = peerInfo(1, 64601);
  const sets = attributeSets(4000, peer.peerAs, Uint8Array.of(10, 0, 1, 1), 2);
  const feeds = [{ peer, updates: buildUpdates(prefixes, sets, 3) }];
  console.log(`one peer: ${feeds[0]!.updates.length.toLocaleString('en')} UPDATEs`);
  for (let i = 0; i < 3; i++) {
    await dropPeer(run('1 peer x 1,000,000', feeds, {}, false), peer);
    await dropPeer(run('1 peer x 1,000,000', feeds, {}, true), peer);
  }
}
if (only !== 'one') {
  const prefixes = distinctPrefixes(10_000, 4);
  const feeds: Feed[] = [];
  for (let p = 0; p < 100; p++) {
    const peer = peerInfo(100 + p, 65000 + p);
    const sets = attributeSets(40, peer.peerAs, Uint8Array.of(10, 1, p, 1), 10 + p);
    feeds.push({ peer, updates: buildUpdates(prefixes, sets, 1000 + p) });
  }
  const multipath: RibOptions = { multipath: { ebgpMaximumPaths: 8, ibgpMaximumPaths: 8, allowMultipleAs: true } };
  for (let i = 0; i < 3; i++) {
    run('100 peers x 10,000', feeds, {}, false);
    run('100 peers x 10,000', feeds, {}, true);
    run('100 peers x 10,000 multipath 8', feeds, multipath, true);
  }
}
