// The dependency direction of ../shared/STYLE.md ("Imports flow one way"), checked on
// every source file: a wrong import fails here rather than in review.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** For each concern, the concerns it may import (itself always allowed). */
const allowed: Readonly<Record<string, readonly string[]>> = {
  lib: [],
  wire: ['lib'],
  session: ['lib', 'wire', 'rib'],
  rib: ['lib', 'wire'],
  policy: ['lib', 'wire', 'rib'],
  bfd: ['lib'],
  fib: ['lib', 'wire', 'rib'],
  mrt: ['lib', 'wire'],
  api: ['lib', 'wire', 'rib', 'session', 'policy', 'fib', 'bfd'],
  speaker: ['lib', 'wire', 'session', 'bfd'],
  lab: ['lib'],
  cli: ['lib', 'wire', 'api', 'lab', 'mrt', 'speaker', 'session', 'bfd'],
  daemon: ['lib', 'wire', 'session', 'rib', 'policy', 'bfd', 'fib', 'api', 'mrt', 'fuzz'],
  // The fuzzer's engine and the codec targets; the config loader's targets live in daemon.
  fuzz: ['lib', 'wire', 'fib', 'mrt'],
  // The library entry point exports the core, never the daemon's wiring.
  architecture: [],
  index: ['lib', 'wire', 'session', 'rib', 'policy', 'bfd', 'fib', 'api', 'mrt', 'speaker'],
};

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function concernOf(file: string): string {
  const rel = relative(srcDir, file).split(sep);
  return rel.length === 1 ? rel[0]!.replace(/(\.test)?\.ts$/, '') : rel[0]!;
}

const importPattern = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

test('every import follows the dependency direction', () => {
  const violations: string[] = [];
  for (const file of sources(srcDir)) {
    // Tests may reach across concerns to build their fixtures, except into daemon.
    const isTest = file.endsWith('.test.ts');
    const from = concernOf(file);
    const permitted = allowed[from];
    assert.ok(permitted !== undefined, `${relative(srcDir, file)}: folder "${from}" has no entry in the dependency table`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(importPattern)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(srcDir + sep)) continue;
      const to = concernOf(target.replace(/\.js$/, '.ts'));
      if (to === from) continue;
      if (to === 'daemon' || (!isTest && !permitted.includes(to))) violations.push(`${relative(srcDir, file)} imports ${spec} (${from} -> ${to})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the wire codec depends on nothing but Node built-ins and lib', () => {
  const bad: string[] = [];
  for (const file of sources(join(srcDir, 'wire'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(importPattern)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.') || spec.startsWith('node:')) continue;
      // Test generators may use fast-check; nothing shipped in the codec does.
      if ((file.endsWith('.test.ts') || file.endsWith('arbitraries.ts')) && spec === 'fast-check') continue;
      bad.push(`${relative(srcDir, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});
