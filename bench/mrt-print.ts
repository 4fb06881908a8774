// MRT print speed: a TABLE_DUMP_V2 file of N routes (default 1,000,000; 4 peers, AS paths
// of 2-9 AS numbers, communities and MED on some, one route in five IPv6) is generated,
// then `tsbgp mrt print FILE` and `bgpdump -m FILE` each write it to /dev/null. Reported:
// wall time, routes per second and peak resident memory (GNU time's %M), for N and for
// N/4, our printer with its heap capped at 48 MB (it would fail if memory grew with the file).
// Usage: npx tsc -p tsconfig.json && node dist/bench/mrt-print.js [routes]

import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Afi, type Prefix } from '../src/lib/address.js';
import { NlriList } from '../src/wire/nlri.js';
import type { PathAttributes } from '../src/wire/attributes/types.js';
import { encodePeerIndexTable, encodeRibRecord } from '../src/mrt/writer.js';
import { repoRoot } from '../test/interop/harness.js';

/** One tool's run over one file. */
export interface PrintRun {
  readonly tool: 'tsbgp' | 'bgpdump';
  readonly routes: number;
  readonly seconds: number;
  readonly routesPerSecond: number;
  readonly maxRssKb: number;
}

export interface MrtPrintResult {
  readonly fileBytes: number;
  readonly runs: readonly PrintRun[];
}

/** V8 old-space limit for our printer (MB). */
const heapCapMb = 48;

let seed = 0x2468ace1;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x100000000;
}
const pick = (n: number): number => Math.floor(random() * n);

function attributesFor(peer: number, isIpv6: boolean): PathAttributes {
  const asns = [65001 + peer, ...Array.from({ length: 1 + pick(8) }, () => (random() < 0.15 ? 0x10000 + pick(400_000_000) : 1 + pick(64_000)))];
  const a: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = { origin: random() < 0.9 ? 0 : 2, asPath: [{ type: 2, asns }] };
  if (random() < 0.3) a.med = pick(1000);
  if (random() < 0.6) a.communities = Array.from({ length: 1 + pick(6) }, () => pick(0x100000000));
  if (isIpv6) a.mpReach = { afi: Afi.ipv6, safi: 1, nextHop: Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 + peer), nlri: NlriList.empty(Afi.ipv6) };
  else a.nextHop = Uint8Array.of(192, 0, 2, 1 + peer);
  return a;
}

/** Writes the table with back-pressure; resolves to its size in bytes. */
export async function generateRibDump(path: string, routes: number): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (b: Uint8Array): Promise<void> => {
    bytes += b.length;
    if (!out.write(b)) await once(out, 'drain');
  };
  const t = 1_700_000_000;
  const peers = [0, 1, 2, 3].map((i) => ({ bgpId: Uint8Array.of(10, 0, 0, 1 + i), address: Uint8Array.of(192, 0, 2, 1 + i), asn: 65001 + i, isAs4: false }));
  await write(encodePeerIndexTable(t, Uint8Array.of(10, 0, 0, 100), 'bench', peers));
  for (let i = 0; i < routes; i++) {
    const isIpv6 = i % 5 === 4;
    const n = Math.floor(i / 5) * 4 + (i % 5);
    const prefix: Prefix = isIpv6
      ? { afi: Afi.ipv6, length: 48, addr: Uint8Array.of(0x20, 0x01, 0x0d, 0xb8 + ((n >> 16) & 0x3), (n >> 8) & 0xff, n & 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) }
      : { afi: Afi.ipv4, length: 24, addr: Uint8Array.of(1 + ((n >> 16) & 0x7f), (n >> 8) & 0xff, n & 0xff, 0) };
    const peer = i % 4;
    await write(encodeRibRecord(t, i, prefix, 1, [{ peerIndex: peer, originatedTime: t - pick(86_400), attributes: attributesFor(peer, isIpv6) }]));
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

/** Runs a command under GNU time with stdout to /dev/null: seconds and peak RSS. */
async function timed(command: string, args: readonly string[]): Promise<{ seconds: number; maxRssKb: number }> {
  const started = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-f', '%M', command, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const [code] = (await once(child, 'close')) as [number | null];
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const lines = stderr.trim().split('\n');
  const rss = Number(lines[lines.length - 1]);
  if (code !== 0 || !Number.isFinite(rss)) throw new Error(`${command} ${args.join(' ')} failed (exit ${String(code)}): ${stderr.slice(0, 500)}`);
  return { seconds, maxRssKb: rss };
}

/** Generates the dumps, runs both printers on each, removes the files. */
export async function runMrtPrintBench(routes = 1_000_000): Promise<MrtPrintResult> {
  const dir = await mkdtemp(join(tmpdir(), 'tsbgp-mrt-bench-'));
  try {
    const runs: PrintRun[] = [];
    let fileBytes = 0;
    for (const n of [Math.floor(routes / 4), routes]) {
      const path = join(dir, `rib-${n}.mrt`);
      const size = await generateRibDump(path, n);
      if (n === routes) fileBytes = size;
      // The heap capped far below the file's size: a reader holding more than a record would fail.
      const ours = await timed(process.execPath, [`--max-old-space-size=${heapCapMb}`, join(repoRoot, 'bin/tsbgp.js'), 'mrt', 'print', path]);
      runs.push({ tool: 'tsbgp', routes: n, ...ours, routesPerSecond: Math.round(n / ours.seconds) });
      const theirs = await timed('bgpdump', ['-m', path]);
      runs.push({ tool: 'bgpdump', routes: n, ...theirs, routesPerSecond: Math.round(n / theirs.seconds) });
    }
    return { fileBytes, runs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The result as a markdown table. */
export function mrtPrintMarkdown(r: MrtPrintResult): string {
  const lines = ['| tool | routes | seconds | routes/s | peak RSS (MB) |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const run of r.runs) lines.push(`| ${run.tool} | ${run.routes.toLocaleString('en-US')} | ${run.seconds.toFixed(2)} | ${run.routesPerSecond.toLocaleString('en-US')} | ${(run.maxRssKb / 1024).toFixed(1)} |`);
  return `MRT print (TABLE_DUMP_V2, ${(r.fileBytes / 1e6).toFixed(1)} MB file), output to /dev/null, tsbgp's heap capped at ${heapCapMb} MB:\n\n${lines.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const routes = Number(process.argv[2] ?? 1_000_000);
  process.stdout.write(mrtPrintMarkdown(await runMrtPrintBench(routes)));
}
