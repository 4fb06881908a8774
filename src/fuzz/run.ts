// The fuzz runner behind `npm run fuzz -- --seconds N [--target NAME]... [--seed S]
// [--hang-ms M]` (scripts/fuzz.js gives it every target): runs each target for its share
// of N seconds, keeps every crash and hang input in
// test/fuzz-corpus/<target>/ (replayed by replay.test.ts) and the inputs that reached
// new code in a work corpus, and prints the figures docs/robustness.md records.

import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { Coverage, fuzz, inputName, type FuzzStats } from './engine.js';
import { repoRoot, type FuzzTarget } from './targets.js';

/** Kept crash and hang inputs, one folder per target. */
export const crashCorpusDir = join(repoRoot, 'test', 'fuzz-corpus');

/** A small deterministic generator (mulberry32), so a run is repeatable from its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readDir(dir: string): Uint8Array[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((f) => Uint8Array.from(readFileSync(join(dir, f))));
}

/** Runs the fuzzer with command-line `args` over `targets` (or those named by --target); false if anything crashed or hung. */
export async function runFuzz(args: readonly string[], targets: readonly FuzzTarget[]): Promise<boolean> {
  const targetByName = (name: string): FuzzTarget => {
    const t = targets.find((x) => x.name === name);
    if (t === undefined) throw new Error(`--target: no fuzz target "${name}" (targets: ${targets.map((x) => x.name).join(', ')})`);
    return t;
  };
  const { values } = parseArgs({
    args: [...args],
    options: {
      seconds: { type: 'string', default: '60' },
      target: { type: 'string', multiple: true },
      seed: { type: 'string' },
      'hang-ms': { type: 'string', default: '1000' },
      'max-length': { type: 'string', default: '8192' },
      work: { type: 'string', default: join(tmpdir(), 'tsbgp-fuzz') },
    },
  });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds: expected a positive number, got ${values.seconds}`);
  const chosen = values.target === undefined ? targets : values.target.map(targetByName);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  const random = seeded(seed);
  const hangMs = Number(values['hang-ms']);
  const maxLength = Number(values['max-length']);
  console.log(`fuzz: seed ${seed}, ${seconds} s over ${chosen.length} target(s), hang budget ${hangMs} ms`);
  const coverage = new Coverage((url) => url.includes('/dist/src/') && !url.includes('/dist/src/fuzz/'));
  const all: [string, FuzzStats][] = [];
  for (const target of chosen) {
    const crashDir = join(crashCorpusDir, target.name);
    const workDir = join(values.work, target.name);
    mkdirSync(workDir, { recursive: true });
    const start = [...target.seeds(), ...readDir(crashDir), ...readDir(workDir)];
    // Each target's figures are its own.
    coverage.forget();
    const stats = await fuzz(target, start, coverage, {
      seconds: seconds / chosen.length,
      hangMs,
      maxLength,
      random,
      batch: 32,
      onCrash(input, kind, detail) {
        mkdirSync(crashDir, { recursive: true });
        const file = join(crashDir, inputName(kind, input));
        writeFileSync(file, input);
        console.log(`fuzz: ${target.name}: ${kind} kept as ${file}\n${detail}`);
      },
      onCorpus(input) {
        writeFileSync(join(workDir, inputName('cov', input)), input);
      },
    });
    all.push([target.name, stats]);
    console.log(
      `fuzz: ${target.name}: ${stats.executions} executions in ${stats.seconds.toFixed(0)} s (${(stats.executions / stats.seconds).toFixed(0)}/s), ` +
        `corpus ${stats.corpus} (seeds ${target.seeds().length}), blocks covered ${stats.coveredBlocks} of ${stats.knownBlocks} seen, ` +
        `crashes ${stats.crashes} (${stats.signatures.size} distinct), hangs ${stats.hangs}`,
    );
  }
  coverage.close();
  const failed = all.filter(([, s]) => s.crashes > 0 || s.hangs > 0);
  if (failed.length > 0) {
    console.log(`fuzz: crashes or hangs in ${failed.map(([n]) => n).join(', ')}`);
  }
  return failed.length === 0;
}
