import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replayTarget, unknownCorpusFolders } from '../fuzz/replay.js';
import { coreTargets } from '../fuzz/targets.js';
import { configFuzzTargets } from './config-fuzz.js';
import { apiFuzzTargets } from './api-fuzz.js';

test('every folder of test/fuzz-corpus names a fuzz target', () => {
  assert.deepEqual(unknownCorpusFolders([...coreTargets, ...configFuzzTargets, ...apiFuzzTargets]), []);
});

for (const target of configFuzzTargets) {
  test(`${target.name}: kept crash and hang inputs and the example configs end cleanly`, async () => {
    const { problems, count } = await replayTarget(target);
    assert.ok(count > 0, 'the target has seeds');
    assert.deepEqual(problems, []);
  });
}
