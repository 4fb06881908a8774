import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replayTarget } from './replay.js';
import { coreTargets } from './targets.js';

for (const target of coreTargets) {
  test(`${target.name}: kept crash and hang inputs and all seeds end cleanly`, async () => {
    const { problems, count } = await replayTarget(target);
    assert.ok(count > 0, 'the target has seeds');
    assert.deepEqual(problems, []);
  });
}
