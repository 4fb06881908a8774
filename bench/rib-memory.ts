// Manual measurement behind the Adj-RIB-In memory estimate (src/rib/memory-estimate.ts):
// heap bytes per route held, IPv4 and IPv6, and per distinct attribute set, from UPDATEs
// encoded and decoded by the codec as a session would hand them to the RIB. Not a test.
//   npx tsc -p tsconfig.json && node --expose-gc dist/bench/rib-memory.js

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Afi, type Prefix } from '../src/lib/address.js';
import { Reader } from '../src/wire/reader.js';
import { NlriList } from '../src/wire/nlri.js';
import { headerLength } from '../src/wire/header.js';
import { as4Context, familyKey } from '../src/wire/context.js';
import { decodeUpdate, encodeUpdate, makeUpdate, type UpdateMessage } from '../src/wire/update.js';
import { AsSegmentType, Origin, type PathAttributes } from '../src/wire/attributes/types.js';
import { Rib } from '../src/rib/rib.js';
import { ipv4RouteBytes } from '../src/rib/memory-estimate.js';
import type { PeerInfo } from '../src/rib/sink.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with node --expose-gc');
  process.exit(1);
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Heap and typed-array bytes in use, after the collector ran and freed buffers' memory (which it does off the main turn). */
async function memoryNow(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await turn();
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function peerInfo(index: number): PeerInfo {
  return {
    address: `10.0.${index}.1`,
    peerAs: 65000 + index,
    localAs: 64512,
    routerId: Uint8Array.of(10, 0, index, 1),
    isEbgp: true,
    families: new Set([familyKey(Afi.ipv4, 1), familyKey(Afi.ipv6, 1)]),
    addPathRx: new Set(),
  };
}

/** The message as a session decodes it off the wire. */
function received(update: UpdateMessage): UpdateMessage {
  const bytes = encodeUpdate(update, as4Context);
  return decodeUpdate(new Reader(bytes, headerLength), as4Context);
}

function ipv4(i: number): Prefix {
  const a = 0x01000000 + i * 256;
  return { afi: Afi.ipv4, length: 24, addr: Uint8Array.of(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, 0) };
}

function ipv6(i: number): Prefix {
  return { afi: Afi.ipv6, length: 48, addr: Uint8Array.of(0x20, 0x01, (i >>> 24) & 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) };
}

function attributes(peerAs: number, pathLength: number, communities: number, seed: number, isIpv6: boolean, prefixes: readonly Prefix[]): PathAttributes {
  const asns = [peerAs];
  for (let h = 1; h < pathLength; h++) asns.push(((seed * 7919 + h * 104729) % 400000) + 1);
  const base: PathAttributes = {
    origin: Origin.igp,
    asPath: [{ type: AsSegmentType.sequence, asns }],
    ...(communities === 0 ? {} : { communities: Array.from({ length: communities }, (_, c) => ((peerAs << 16) | (seed + c)) >>> 0) }),
    med: seed,
  };
  if (!isIpv6) return { ...base, nextHop: Uint8Array.of(10, 0, 0, 1) };
  return { ...base, mpReach: { afi: Afi.ipv6, safi: 1, nextHop: Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), nlri: NlriList.from(prefixes, Afi.ipv6) } };
}

/**
 * Memory kept after `feed` built its messages and handed them to the RIB, the messages
 * gone: a set's attributes are the decoded message's, shared while the message lives.
 */
async function kept(feed: () => void): Promise<number> {
  const before = await memoryNow();
  feed();
  return (await memoryNow()) - before;
}

/** Routes in UPDATEs of 500 prefixes sharing one attribute set: what a route costs. */
async function routeCost(label: string, count: number, isIpv6: boolean, peers: number): Promise<void> {
  const prefixOf = isIpv6 ? ipv6 : ipv4;
  const rib = new Rib();
  for (let p = 0; p < peers; p++) {
    const info = peerInfo(p);
    rib.onEstablished(info);
    const bytes = await kept(() => {
      for (let at = 0; at < count; at += 500) {
        const prefixes = Array.from({ length: Math.min(500, count - at) }, (_, i) => prefixOf(at + i));
        const attrs = attributes(info.peerAs, 3, 1, p, isIpv6, prefixes);
        rib.onUpdate(info, received(isIpv6 ? makeUpdate({ attributes: attrs }) : makeUpdate({ attributes: attrs, nlri: NlriList.from(prefixes, Afi.ipv4) })));
      }
    });
    console.log(`${label}, peer ${p + 1}: ${(bytes / count).toFixed(1)} bytes/route`);
  }
}

/** One route per UPDATE, each with attributes of its own: what a distinct set costs beyond its route. */
async function setCost(count: number, pathLength: number, communities: number, routeBytes: number): Promise<void> {
  const info = peerInfo(1);
  const rib = new Rib();
  rib.onEstablished(info);
  let keyLength = 0;
  const bytes = await kept(() => {
    for (let i = 0; i < count; i++) {
      const update = received(makeUpdate({ attributes: attributes(info.peerAs, pathLength, communities, i, false, []), nlri: NlriList.from([ipv4(i)], Afi.ipv4) }));
      keyLength = update.attrKey.length;
      rib.onUpdate(info, update);
    }
  });
  const perSet = bytes / count - routeBytes;
  console.log(`attribute set, AS_PATH ${pathLength}, ${communities} communities: attrKey ${keyLength} bytes, ${perSet.toFixed(0)} bytes/set beyond its route`);
}

// Each case in a process of its own: a finished case's typed arrays are freed off the
// main thread, at a time of the collector's choosing, and would blur the next one.
const setCases = [
  [1, 0],
  [5, 2],
  [20, 10],
  [50, 50],
  [100, 200],
] as const;
const which = process.argv[2];
if (which === undefined) {
  console.log(`node ${process.version}`);
  const cases = ['ipv4', 'ipv6', ...setCases.map((_, i) => `set${i}`)];
  for (const c of cases) process.stdout.write(execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), c]));
} else if (which === 'ipv4') {
  await routeCost('IPv4 /24, 300,000 routes', 300_000, false, 3);
} else if (which === 'ipv6') {
  await routeCost('IPv6 /48, 300,000 routes', 300_000, true, 3);
} else {
  const [pathLength, communities] = setCases[Number(which.slice(3))]!;
  // The route of each UPDATE at the estimate's figure: what is left is the set.
  await setCost(20_000, pathLength, communities, ipv4RouteBytes);
}
