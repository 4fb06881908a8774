// Replays what the fuzzer kept: every input that ever crashed or hung a target
// (test/fuzz-corpus/<target>/) and every seed must end normally or with the target's
// own error, within a time budget. Each concern's tests call it for its targets.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOne } from './engine.js';
import { repoRoot, type FuzzTarget } from './targets.js';

/** Where kept crash and hang inputs live, one folder per target. */
export const corpusDir = join(repoRoot, 'test', 'fuzz-corpus');

/** Generous next to the fuzzer's 1 s budget: a test machine may be busy. */
const hangMs = 3000;

/** The folders of the corpus that are no target's, for a check that none is forgotten. */
export function unknownCorpusFolders(targets: readonly FuzzTarget[]): string[] {
  const names = new Set(targets.map((t) => t.name));
  const dirs = existsSync(corpusDir) ? readdirSync(corpusDir) : [];
  return dirs.filter((d) => !names.has(d) && d !== 'README.md');
}

/** Problems found replaying `target`'s kept inputs and seeds; empty when all is well. */
export async function replayTarget(target: FuzzTarget): Promise<{ readonly problems: string[]; readonly count: number }> {
  const dir = join(corpusDir, target.name);
  const kept = existsSync(dir) ? readdirSync(dir).sort().map((f) => ({ name: f, input: Uint8Array.from(readFileSync(join(dir, f))) })) : [];
  const seeds = target.seeds().map((input, i) => ({ name: `seed ${i}`, input }));
  const problems: string[] = [];
  for (const { name, input } of [...kept, ...seeds]) {
    const out = await runOne(target, input);
    if (out.kind === 'crash') problems.push(`${target.name} ${name}: ${out.error instanceof Error ? (out.error.stack ?? out.error.message) : String(out.error)}`);
    else if (out.ms > hangMs) problems.push(`${target.name} ${name}: took ${out.ms.toFixed(0)} ms`);
  }
  return { problems, count: kept.length + seeds.length };
}
