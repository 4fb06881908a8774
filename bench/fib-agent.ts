// The FIB benchmark's helpers that must run inside a network namespace (started by
// bench/fib-daemons.ts through `ip netns exec`), each printing JSON lines:
//   count:  in the router's namespace, timestamps every IPv4 route notification
//           (RTNLGRP_IPV4_ROUTE) and, each time they pause, dumps the IPv4 routes
//           (RTM_GETROUTE) until the main table holds TARGET routes with HOPS next hops;
//           the last notification before that dump dates the install. Dumping only in
//           pauses keeps the counter from taking CPU the daemon under test needs.
//   inject: in the peers' namespace, one BGP session (bench/injector.ts) from each FROM
//           address, each announcing the same ROUTES /32 prefixes with itself as NEXT_HOP
//           (RFC 4271 5.1.3); on SIGUSR1 all three send at once; SIGTERM closes them.
//   watch:  in the router's namespace, the arrival time of each latency probe's route
//           (198.18.0.0/15, RFC 2544's benchmarking range) in the main table.
//   probe:  in the peers' namespace, one session: on SIGUSR1 it announces LOAD /32s, on
//           SIGUSR2 CHANGES probes, one /32 per UPDATE at RATE per second, each with the
//           time it was handed to the socket. Both clocks are the host's wall clock.
// Usage: node fib-agent.js count TARGET HOPS LIMIT_MS
//        node fib-agent.js inject ROUTER_ADDRESS PORT AS FROM1,FROM2,FROM3 ROUTES LIMIT_MS
//        node fib-agent.js watch CHANGES LIMIT_MS
//        node fib-agent.js probe ROUTER_ADDRESS PORT AS FROM LOAD CHANGES RATE LIMIT_MS

import { pathToFileURL } from 'node:url';
import { Afi, parseAddress } from '../src/lib/address.js';
import { Reader } from '../src/wire/reader.js';
import { NlriList } from '../src/wire/nlri.js';
import { as4Context } from '../src/wire/context.js';
import { encodeMessage } from '../src/wire/message.js';
import { endOfRib, packUpdates } from '../src/wire/update.js';
import { AsSegmentType, Origin } from '../src/wire/attributes/types.js';
import { AddressFamily, RtmType, RtnlGroup, splitMessages, type NlMessage } from '../src/fib/netlink.js';
import { KernelWriter } from '../src/fib/kernel-writer.js';
import { RouteTable, decodeRoute, encodeRouteDump } from '../src/fib/route-message.js';
import { openRouteSocket } from '../src/fib/socket.js';
import { Injector } from './injector.js';
import { prefixOf } from './fib-install.js';

/** Wall-clock milliseconds with a fraction: comparable between the bench's processes. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Routes of a dump in the main table with exactly `hops` next hops (other tables and cached clones are not counted). */
export function countMultipathRoutes(messages: readonly NlMessage[], hops: number): number {
  let n = 0;
  for (const msg of messages) {
    if (msg.type !== RtmType.newRoute) continue;
    const route = decodeRoute(msg);
    if (route !== undefined && route.table === RouteTable.main && route.nextHops.length === hops) n++;
  }
  return n;
}

/**
 * The announcement of `routes` /32 prefixes (10.0.0.0 upwards, as bench/fib-install.ts
 * installs them) from one injector: ORIGIN IGP, AS_PATH of its own AS, NEXT_HOP itself,
 * packed into UPDATEs of up to 4096 octets, then End-of-RIB (RFC 4724 2).
 */
export function announcement(routes: number, as: number, nextHop: string): Buffer {
  const packed = new Uint8Array(routes * 5);
  for (let i = 0; i < routes; i++) {
    packed[i * 5] = 32;
    packed.set(prefixOf(i), i * 5 + 1);
  }
  const nlri = NlriList.decode(new Reader(packed, 0, packed.length), Afi.ipv4, false);
  const attrs = { origin: Origin.igp, asPath: [{ type: AsSegmentType.sequence, asns: [as] }], nextHop: parseAddress(nextHop) };
  const messages = packUpdates(attrs, nlri, as4Context).map((u) => encodeMessage(u, as4Context));
  messages.push(encodeMessage(endOfRib(Afi.ipv4, 1), as4Context));
  return Buffer.concat(messages.map((m) => Buffer.from(m.buffer, m.byteOffset, m.byteLength)));
}

const print = (o: object): boolean => process.stdout.write(JSON.stringify(o) + '\n');
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** No route notification for this long: the daemon may be done, time for a dump. */
const quietMs = 200;
/** How often the counter looks at the notifications. */
const tickMs = 25;

async function count(target: number, hops: number, limitMs: number): Promise<void> {
  const deadline = wallMs() + limitMs;
  let lastChangeMs = 0;
  let notifications = 0;
  let lost = 0;
  const monitor = openRouteSocket();
  monitor.join(RtnlGroup.ipv4Route);
  monitor.listen(
    () => {
      notifications++;
      lastChangeMs = wallMs();
    },
    // ENOBUFS: some notifications were dropped; the report says so.
    () => lost++,
  );
  const writer = new KernelWriter(openRouteSocket());
  const countNow = async (): Promise<number> => countMultipathRoutes(await writer.dump((w, seq) => encodeRouteDump(w, AddressFamily.inet, seq)), hops);
  let dumps = 0;
  let last = -1;
  try {
    const startMs = wallMs();
    last = await countNow();
    print({ ready: true, count: last, dumpMs: wallMs() - startMs });
    let dumpedAt = notifications;
    while (wallMs() < deadline) {
      await delay(tickMs);
      if (notifications === dumpedAt || wallMs() - lastChangeMs < quietMs) continue;
      const seen = notifications;
      const dumpStartMs = wallMs();
      let n: number;
      try {
        n = await countNow();
      } catch (err) {
        // A dump interrupted by changes again and again: the table is still moving.
        print({ dumpError: (err as Error).message, atMs: wallMs() });
        continue;
      }
      const endMs = wallMs();
      dumps++;
      dumpedAt = seen;
      last = n;
      print({ count: n, atMs: endMs, dumpMs: endMs - dumpStartMs });
      if (n >= target) {
        print({ done: true, count: n, lastChangeMs, confirmedMs: endMs, dumpMs: endMs - dumpStartMs, dumps, notifications, lost });
        return;
      }
    }
    print({ done: false, count: last, dumps, notifications, lost });
  } finally {
    writer.close();
    monitor.close();
  }
}

async function inject(router: string, port: number, as: number, from: readonly string[], routes: number, limitMs: number): Promise<void> {
  const deadline = wallMs() + limitMs;
  const buffers = from.map((a) => announcement(routes, as, a));
  const injectors: Injector[] = [];
  let go: () => void = () => undefined;
  const isGo = new Promise<void>((resolve) => (go = resolve));
  let isStopped = false;
  let stop: () => void = () => undefined;
  const isStop = new Promise<void>((resolve) => (stop = resolve)).then(() => void (isStopped = true));
  process.on('SIGUSR1', () => go());
  process.on('SIGTERM', () => stop());
  const limit = setTimeout(() => stop(), limitMs);
  try {
    // The daemon may still be starting: retry the connection, bounded by the deadline.
    for (const address of from) {
      for (let attempt = 1; ; attempt++) {
        try {
          injectors.push(await Injector.connect({ localAddress: address, remoteAddress: router, remotePort: port, as, routerId: address, holdTimeSec: 240, handshakeTimeoutMs: 20_000 }));
          break;
        } catch (err) {
          if (isStopped || wallMs() + 500 > deadline || attempt >= 200) throw err;
          await delay(250);
        }
      }
    }
    print({ ready: true, bytes: buffers[0]!.length });
    if ((await Promise.race([isGo.then(() => 'go'), isStop.then(() => 'stop')])) === 'stop') return;
    const startMs = wallMs();
    const written = await Promise.all(injectors.map((inj, i) => inj.send(buffers[i]!)));
    print({ startMs, writtenMs: performance.timeOrigin + Math.max(...written.map((w) => w.writtenMs)) });
    await isStop;
    print({ closed: injectors.map((i) => i.closeReason ?? 'open') });
  } finally {
    clearTimeout(limit);
    for (const inj of injectors) await inj.close();
  }
}

/** Latency probes live in 198.18.0.0/15 (RFC 2544 benchmarking range), apart from the loaded 10/8 routes. */
export const maxProbes = 1 << 17;

/** The i-th probe's /32. */
export function probePrefixOf(i: number): Uint8Array {
  if (!Number.isInteger(i) || i < 0 || i >= maxProbes) throw new RangeError(`probe index ${i} outside 0..${maxProbes - 1}`);
  return Uint8Array.of(198, 18 + (i >> 16), (i >> 8) & 0xff, i & 0xff);
}

/** The probe index of a /32 in 198.18.0.0/15, else undefined. */
export function probeIndexOf(addr: Uint8Array, length: number): number | undefined {
  if (length !== 32 || addr.length !== 4 || addr[0] !== 198 || (addr[1]! & 0xfe) !== 18) return undefined;
  return ((addr[1]! - 18) << 16) | (addr[2]! << 8) | addr[3]!;
}

/** One UPDATE announcing probe i alone: ORIGIN IGP, AS_PATH of `as`, NEXT_HOP `nextHop`. */
export function probeUpdate(i: number, as: number, nextHop: string): Buffer {
  const packed = Uint8Array.of(32, ...probePrefixOf(i));
  const nlri = NlriList.decode(new Reader(packed, 0, packed.length), Afi.ipv4, false);
  const attrs = { origin: Origin.igp, asPath: [{ type: AsSegmentType.sequence, asns: [as] }], nextHop: parseAddress(nextHop) };
  const [update] = packUpdates(attrs, nlri, as4Context).map((u) => encodeMessage(u, as4Context));
  return Buffer.from(update!.buffer, update!.byteOffset, update!.byteLength);
}

/** Prints the first arrival of each probe's route in the main table, until `changes` arrived or the limit. */
async function watch(changes: number, limitMs: number): Promise<void> {
  const deadline = wallMs() + limitMs;
  const seen = new Set<number>();
  let lost = 0;
  const monitor = openRouteSocket();
  monitor.join(RtnlGroup.ipv4Route);
  monitor.listen(
    (datagram) => {
      // Stamped once per datagram, before decoding: the decode is not the daemon's time.
      const atMs = wallMs();
      for (const msg of splitMessages(datagram)) {
        if (msg.type !== RtmType.newRoute) continue;
        const route = decodeRoute(msg);
        if (route === undefined || route.table !== RouteTable.main) continue;
        const i = probeIndexOf(route.dst.addr, route.dst.length);
        if (i === undefined || seen.has(i)) continue;
        seen.add(i);
        print({ probe: i, atMs });
      }
    },
    () => lost++,
  );
  try {
    print({ ready: true });
    while (seen.size < changes && wallMs() < deadline) await delay(tickMs);
    print({ done: seen.size >= changes, seen: seen.size, lost });
  } finally {
    monitor.close();
  }
}

/** One session from `from`: the load on SIGUSR1, the probes at `rate` per second on SIGUSR2. */
async function probe(router: string, port: number, as: number, from: string, load: number, changes: number, rate: number, limitMs: number): Promise<void> {
  if (rate < 1 || changes > maxProbes) throw new Error(`fib-agent probe: RATE must be at least 1 and CHANGES at most ${maxProbes}`);
  const deadline = wallMs() + limitMs;
  const loadBytes = announcement(load, as, from);
  const probes = Array.from({ length: changes }, (_, i) => probeUpdate(i, as, from));
  const signal = (name: NodeJS.Signals): Promise<void> => new Promise((resolve) => process.once(name, () => resolve()));
  const isLoad = signal('SIGUSR1');
  const isProbe = signal('SIGUSR2');
  let isStopped = false;
  let stop: () => void = () => undefined;
  const isStop = new Promise<void>((resolve) => (stop = resolve)).then(() => void (isStopped = true));
  process.on('SIGTERM', () => stop());
  const limit = setTimeout(() => stop(), limitMs);
  let injector: Injector | undefined;
  try {
    for (let attempt = 1; injector === undefined; attempt++) {
      try {
        injector = await Injector.connect({ localAddress: from, remoteAddress: router, remotePort: port, as, routerId: from, holdTimeSec: 240, handshakeTimeoutMs: 20_000 });
      } catch (err) {
        if (isStopped || wallMs() + 500 > deadline || attempt >= 200) throw err;
        await delay(250);
      }
    }
    const inj = injector;
    print({ ready: true, bytes: loadBytes.length });
    if ((await Promise.race([isLoad.then(() => 'go'), isStop.then(() => 'stop')])) === 'stop') return;
    const loadStartMs = wallMs();
    await inj.send(loadBytes);
    print({ loadStartMs, loadWrittenMs: wallMs() });
    if ((await Promise.race([isProbe.then(() => 'go'), isStop.then(() => 'stop')])) === 'stop') return;
    const intervalMs = 1000 / rate;
    const firstMs = wallMs();
    for (let i = 0; i < probes.length && !isStopped && inj.isOpen; i++) {
      const dueMs = firstMs + i * intervalMs;
      const waitMs = dueMs - wallMs();
      if (waitMs > 0) await delay(waitMs);
      const sentMs = wallMs();
      await inj.send(probes[i]!);
      print({ probe: i, sentMs });
    }
    print({ sent: true, closed: inj.closeReason ?? 'open' });
    await isStop;
  } finally {
    clearTimeout(limit);
    await injector?.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [mode, ...rest] = process.argv.slice(2);
  const numberAt = (i: number, what: string): number => {
    const n = Number(rest[i]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`fib-agent ${mode ?? ''}: ${what} must be an integer, got "${rest[i] ?? ''}"`);
    return n;
  };
  if (mode === 'count') await count(numberAt(0, 'TARGET'), numberAt(1, 'HOPS'), numberAt(2, 'LIMIT_MS'));
  else if (mode === 'watch') await watch(numberAt(0, 'CHANGES'), numberAt(1, 'LIMIT_MS'));
  else if (mode === 'probe') await probe(rest[0] ?? '', numberAt(1, 'PORT'), numberAt(2, 'AS'), rest[3] ?? '', numberAt(4, 'LOAD'), numberAt(5, 'CHANGES'), numberAt(6, 'RATE'), numberAt(7, 'LIMIT_MS'));
  else if (mode === 'inject') await inject(rest[0] ?? '', numberAt(1, 'PORT'), numberAt(2, 'AS'), (rest[3] ?? '').split(','), numberAt(4, 'ROUTES'), numberAt(5, 'LIMIT_MS'));
  else {
    process.stderr.write('usage: fib-agent count TARGET HOPS LIMIT_MS | inject ROUTER PORT AS FROM,FROM,FROM ROUTES LIMIT_MS | watch CHANGES LIMIT_MS | probe ROUTER PORT AS FROM LOAD CHANGES RATE LIMIT_MS\n');
    process.exit(2);
  }
  process.exit(0);
}
