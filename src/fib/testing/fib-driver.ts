// A Fib behind stdin/stdout for tests: run inside a network namespace with
// `ip netns exec NS node dist/src/fib/testing/fib-driver.js` (a netlink socket belongs to
// the namespace it was opened in). One JSON command per input line, one JSON answer per
// output line; log lines go to stderr as JSON.

import { createInterface } from 'node:readline';
import { parseAddress, parsePrefix, formatPrefix, formatAddress } from '../../lib/address.js';
import { createLogger } from '../../lib/logger.js';
import { Fib, type FibOptions } from '../fib.js';
import { KernelWriter } from '../kernel-writer.js';
import { AddressFamily } from '../netlink.js';
import { decodeRoute, encodeRouteDump } from '../route-message.js';
import { openRouteSocket } from '../socket.js';
import { decodeLink, encodeLinkDump, type LinkInfo } from '../link-message.js';
import { decodeAddr, encodeAddrDump } from '../addr-message.js';

/** A command to the driver. */
export type DriverCommand =
  | { readonly id: number; readonly op: 'start'; readonly options?: Pick<FibOptions, 'table' | 'protocol' | 'metric' | 'batchSize'> }
  | { readonly id: number; readonly op: 'update'; readonly routes: readonly { readonly prefix: string; readonly nextHops: readonly string[] }[] }
  | { readonly id: number; readonly op: 'settle' }
  | { readonly id: number; readonly op: 'sweep' }
  | { readonly id: number; readonly op: 'status' }
  | { readonly id: number; readonly op: 'entry'; readonly prefix: string }
  | { readonly id: number; readonly op: 'stop'; readonly keepRoutes?: boolean }
  | { readonly id: number; readonly op: 'dump' }
  | { readonly id: number; readonly op: 'links' }
  | { readonly id: number; readonly op: 'addrs' };

/** A route as the `dump` command reports it, in `ip -j route` terms. */
export interface DumpedRoute {
  readonly dst: string;
  readonly table: number;
  readonly protocol: number;
  readonly scope: number;
  readonly type: number;
  readonly metric: number;
  readonly nextHops: readonly { readonly gateway: string | undefined; readonly ifindex: number; readonly weight: number; readonly flags: number }[];
  readonly prefSrc: string | undefined;
}

async function withWriter<T>(fn: (writer: KernelWriter) => Promise<T>): Promise<T> {
  const writer = new KernelWriter(openRouteSocket());
  try {
    return await fn(writer);
  } finally {
    writer.close();
  }
}

const dumpLinks = (): Promise<LinkInfo[]> => withWriter(async (writer) => (await writer.dump((w, seq) => encodeLinkDump(w, seq))).map(decodeLink));

const dumpAddrs = (): Promise<{ ifindex: number; address: string; prefix: string; scope: number }[]> =>
  withWriter(async (writer) =>
    (await writer.dump((w, seq) => encodeAddrDump(w, seq)))
      .map(decodeAddr)
      .filter((a) => a !== undefined)
      .map((a) => ({ ifindex: a.ifindex, address: formatAddress(a.address), prefix: formatPrefix(a.prefix), scope: a.scope })),
  );

async function dumpRoutes(): Promise<DumpedRoute[]> {
  return withWriter(async (writer) => {
    const out: DumpedRoute[] = [];
    for (const msg of await writer.dump((w, seq) => encodeRouteDump(w, AddressFamily.unspec, seq))) {
      const r = decodeRoute(msg);
      if (r === undefined) continue;
      out.push({
        dst: formatPrefix(r.dst),
        table: r.table,
        protocol: r.protocol,
        scope: r.scope,
        type: r.type,
        metric: r.metric,
        nextHops: r.nextHops.map((h) => ({ gateway: h.gateway === undefined ? undefined : formatAddress(h.gateway), ifindex: h.ifindex, weight: h.weight, flags: h.flags })),
        prefSrc: r.prefSrc === undefined ? undefined : formatAddress(r.prefSrc),
      });
    }
    return out;
  });
}

const logger = createLogger({ level: 'debug', format: 'json', write: (line) => process.stderr.write(line + '\n') });
let fib: Fib | undefined;

function needFib(): Fib {
  if (fib === undefined) throw new Error('driver: "start" first');
  return fib;
}

async function run(cmd: DriverCommand): Promise<unknown> {
  switch (cmd.op) {
    case 'start':
      fib = new Fib({ ...cmd.options, logger });
      return fib.start();
    case 'update':
      needFib().updateMany(cmd.routes.map((r) => ({ prefix: parsePrefix(r.prefix), nextHops: r.nextHops.map(parseAddress) })));
      return null;
    case 'settle':
      // Lets notifications already queued on the event socket be read before waiting.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await needFib().settled();
      return needFib().status();
    case 'sweep':
      return needFib().sweep();
    case 'status':
      return needFib().status();
    case 'entry':
      return needFib().entry(parsePrefix(cmd.prefix)) ?? null;
    case 'stop':
      await needFib().stop({ keepRoutes: cmd.keepRoutes ?? false });
      return null;
    case 'dump':
      return dumpRoutes();
    case 'links':
      return dumpLinks();
    case 'addrs':
      return dumpAddrs();
  }
}

const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  const cmd = JSON.parse(line) as DriverCommand;
  queue = queue.then(async () => {
    try {
      process.stdout.write(JSON.stringify({ id: cmd.id, ok: true, result: await run(cmd) }) + '\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({ id: cmd.id, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }) + '\n');
    }
  });
});
lines.on('close', () => {
  void queue.then(async () => {
    await fib?.stop({ keepRoutes: true });
    process.exit(0);
  });
});
