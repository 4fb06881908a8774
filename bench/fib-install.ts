// Manual benchmark of the FIB writer (not a test): 100,000 /32 routes with three next hops
// each installed into a fresh network namespace by our batched rtnetlink writer, by the
// whole Fib (resolution included), and by `ip -batch`; prints the times and the ratio.
//   npx tsc -p tsconfig.json && node dist/bench/fib-install.js [--routes N] [--runs N]
// With NETLINK_PACKAGE=/path/to/node_modules/netlink it also times the npm package
// `netlink` (RawNetlinkSocket) under the same writer, for docs/fib.md.
// Needs root; namespaces are named tsbgp-bench-<pid>-<random> and deleted at the end.
// `npm run bench` runs one round of it through measureDirectInstall (bench/fib-daemons.ts).

import { execFileSync } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Fib } from '../src/fib/fib.js';
import { KernelWriter } from '../src/fib/kernel-writer.js';
import { NlmFlag } from '../src/fib/netlink.js';
import { RouteScope, RouteType, encodeRouteRequest, type KernelRoute } from '../src/fib/route-message.js';
import { openRouteSocket, NetlinkSocketError, type NetlinkSocket } from '../src/fib/socket.js';
import { Netns, scriptPath } from '../src/fib/testing/netns.js';

const args = process.argv.slice(2);
function arg(name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1]! : fallback;
}
let routeCount = Number(arg('--routes', '100000'));
const runs = Number(arg('--runs', '3'));
/** The three next hops of every route: on the namespace's 172.17.0.0/24 link. */
export const gateways = ['172.17.0.21', '172.17.0.22', '172.17.0.23'];

/** The i-th route's destination, 10.0.0.0/32 upwards (i < 2^24). */
export function prefixOf(i: number): Uint8Array {
  return Uint8Array.of(10, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
}

function textOf(a: Uint8Array): string {
  return a.join('.');
}

/** The npm package's raw socket behind our NetlinkSocket interface. */
function packageSocket(dir: string): NetlinkSocket {
  interface RawSocket {
    send(msg: Uint8Array, options: object, cb: (e?: Error) => void): void;
    on(event: 'message', fn: (msg: Buffer) => void): void;
    on(event: 'error', fn: (e: Error & { code?: string; errno?: number }) => void): void;
    addMembership(group: number): void;
    setRecvBufferSize(n: number): void;
    ref(): void;
    unref(): void;
    close(): void;
  }
  const mod = createRequire(import.meta.url)(dir) as { RawNetlinkSocket: new (protocol: number, options: object) => RawSocket };
  const raw = new mod.RawNetlinkSocket(0, { recvBufferSize: 8 * 1024 * 1024 });
  return {
    send: (d) =>
      raw.send(Buffer.from(d.buffer, d.byteOffset, d.byteLength), {}, (e) => {
        if (e !== undefined && e !== null) throw e;
      }),
    listen: (onData, onError) => {
      raw.on('message', (m) => onData(m));
      raw.on('error', (e) => onError(new NetlinkSocketError(e.message, e.code ?? 'EUNKNOWN', e.errno ?? 0)));
    },
    join: (g) => raw.addMembership(g),
    setRef: (r) => (r ? raw.ref() : raw.unref()),
    close: () => raw.close(),
  };
}

/** Inside the namespace: install the routes with the bare writer; prints the seconds. */
async function insideWriter(socketKind: string, ifindex: number): Promise<void> {
  const socket = socketKind === 'addon' ? openRouteSocket() : packageSocket(socketKind);
  const writer = new KernelWriter(socket);
  const nextHops = gateways.map((g) => ({ gateway: Uint8Array.from(g.split('.').map(Number)), ifindex, weight: 1, flags: 0 }));
  let failures = 0;
  const started = performance.now();
  for (let i = 0; i < routeCount; i++) {
    const route: KernelRoute = { dst: { afi: 1, length: 32, addr: prefixOf(i) }, table: 254, protocol: 186, scope: RouteScope.universe, type: RouteType.unicast, metric: 20, tos: 0, nextHops, prefSrc: undefined, flags: 0 };
    writer.request(
      (w, seq) => encodeRouteRequest(w, 'replace', route, seq, NlmFlag.request),
      (e) => {
        if (e !== undefined) failures++;
      },
    );
  }
  await writer.idle();
  const seconds = (performance.now() - started) / 1000;
  writer.close();
  process.stdout.write(JSON.stringify({ seconds, failures }) + '\n');
}

/** Inside the namespace: the whole Fib, from updates to every ACK. */
async function insideFib(): Promise<void> {
  const fib = new Fib();
  await fib.start();
  const hops = gateways.map((g) => Uint8Array.from(g.split('.').map(Number)));
  const started = performance.now();
  for (let i = 0; i < routeCount; i++) fib.update({ prefix: { afi: 1, length: 32, addr: prefixOf(i) }, nextHops: hops });
  await fib.settled();
  const seconds = (performance.now() - started) / 1000;
  const status = fib.status();
  await fib.stop({ keepRoutes: true });
  process.stdout.write(JSON.stringify({ seconds, failures: status.failed, installed: status.installed }) + '\n');
}

function freshNamespace(): Netns {
  const ns = Netns.create('bench');
  ns.veth('fa0', 'fb0');
  ns.ip('addr', 'add', '172.17.0.1/24', 'dev', 'fa0');
  return ns;
}

function countRoutes(ns: Netns): number {
  return ns.ip('route', 'show', 'proto', 'bgp').split('\n').filter((l) => l.startsWith('10.')).length;
}

function runInside(ns: Netns, mode: string, extra: string[] = []): { seconds: number; failures: number } {
  const out = execFileSync('ip', ['netns', 'exec', ns.name, process.execPath, scriptPath('../../../bench/fib-install.js'), '--inside', mode, '--routes', String(routeCount), ...extra], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { seconds: number; failures: number };
}

function timeIpBatch(ns: Netns): number {
  const file = join(tmpdir(), `tsbgp-fib-bench-${process.pid}.txt`);
  const lines: string[] = [];
  for (let i = 0; i < routeCount; i++) lines.push(`route replace ${textOf(prefixOf(i))}/32 proto bgp metric 20 ${gateways.map((g) => `nexthop via ${g} weight 1`).join(' ')}`);
  writeFileSync(file, lines.join('\n') + '\n');
  try {
    const started = performance.now();
    execFileSync('ip', ['-n', ns.name, '-batch', file]);
    return (performance.now() - started) / 1000;
  } finally {
    rmSync(file, { force: true });
  }
}

/** Seconds each way of installing the same routes, one fresh namespace per way. */
export interface DirectInstall {
  /** Our batching writer over our addon's socket. */
  readonly writer: number;
  /** The whole Fib: resolution, state, the writer. */
  readonly fib: number;
  readonly ipBatch: number;
}

/** One fresh namespace, one way of installing `routes` routes, checked by counting them after. */
function measureOne(mode: string, packageDir: string | undefined): number {
  const ns = freshNamespace();
  try {
    let seconds: number;
    if (mode === 'ipBatch') seconds = timeIpBatch(ns);
    else {
      const ifindex = ns.ipJson<{ ifindex: number }[]>('link', 'show', 'dev', 'fa0')[0]!.ifindex;
      const r = mode === 'fib' ? runInside(ns, 'fib') : runInside(ns, 'writer', ['--socket', mode === 'writer' ? 'addon' : packageDir!, '--ifindex', String(ifindex)]);
      if (r.failures !== 0) throw new Error(`${mode}: ${r.failures} routes refused`);
      seconds = r.seconds;
    }
    const n = countRoutes(ns);
    if (n !== routeCount) throw new Error(`${mode}: ${n} routes in the table, expected ${routeCount}`);
    return seconds;
  } finally {
    ns.delete();
  }
}

/** One round: `routes` /32 routes with three next hops by our writer, the Fib and `ip -batch`. */
export function measureDirectInstall(routes: number): DirectInstall {
  routeCount = routes;
  return { writer: measureOne('writer', undefined), fib: measureOne('fib', undefined), ipBatch: measureOne('ipBatch', undefined) };
}

async function outside(): Promise<void> {
  const packageDir = process.env['NETLINK_PACKAGE'];
  const results: Record<string, number[]> = { writer: [], fib: [], ipBatch: [] };
  if (packageDir !== undefined) results['writerNetlinkPackage'] = [];
  for (let run = 1; run <= runs; run++) {
    for (const mode of Object.keys(results)) {
      const seconds = measureOne(mode, packageDir);
      results[mode]!.push(seconds);
      console.log(`run ${run} ${mode.padEnd(22)} ${seconds.toFixed(3)} s  (${Math.round(routeCount / seconds)} routes/s)`);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\n${routeCount} routes x 3 next hops, median of ${runs}:`);
  for (const [mode, xs] of Object.entries(results)) console.log(`  ${mode.padEnd(22)} ${median(xs).toFixed(3)} s`);
  console.log(`  ip -batch / writer = ${(median(results['ipBatch']!) / median(results['writer']!)).toFixed(2)}x, ip -batch / Fib = ${(median(results['ipBatch']!) / median(results['fib']!)).toFixed(2)}x`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (args.includes('--inside')) {
    const mode = arg('--inside', 'writer');
    if (mode === 'fib') await insideFib();
    else await insideWriter(arg('--socket', 'addon'), Number(arg('--ifindex', '0')));
  } else {
    await outside();
  }
}
