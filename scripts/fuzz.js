#!/usr/bin/env node
// `npm run fuzz -- --seconds N [--target NAME]...`: the compiled fuzzer (src/fuzz/) over
// the codec targets, the config loader's (src/daemon/config-fuzz.ts) and the API
// handlers' (src/daemon/api-fuzz.ts); exits 1 when an input crashed or hung (kept in
// test/fuzz-corpus/<target>/).
import { runFuzz } from '../dist/src/fuzz/run.js';
import { coreTargets } from '../dist/src/fuzz/targets.js';
import { configFuzzTargets } from '../dist/src/daemon/config-fuzz.js';
import { apiFuzzTargets } from '../dist/src/daemon/api-fuzz.js';

const isClean = await runFuzz(process.argv.slice(2), [...coreTargets, ...configFuzzTargets, ...apiFuzzTargets]);
process.exitCode = isClean ? 0 : 1;
