import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { batchedWriter, createLogger } from './logger.js';

test('batchedWriter writes the lines of one turn in one write, in order, when the turn ends', async () => {
  const writes: string[] = [];
  const write = batchedWriter((text) => writes.push(text));
  write('one');
  write('two');
  assert.deepEqual(writes, [], 'nothing written within the turn');
  await nextTurn();
  assert.deepEqual(writes, ['one\ntwo\n']);
  write('three');
  await nextTurn();
  assert.deepEqual(writes, ['one\ntwo\n', 'three\n']);
});

test('batchedWriter writes at once when 64 KB are held', () => {
  const writes: string[] = [];
  const write = batchedWriter((text) => writes.push(text));
  const line = 'x'.repeat(1023);
  for (let i = 0; i < 64; i++) write(line);
  assert.equal(writes.length, 1);
  assert.equal(writes[0]!.length, 64 * 1024);
});

test('a logger over a batched writer keeps every line and its order', async () => {
  const writes: string[] = [];
  const logger = createLogger({ format: 'json', write: batchedWriter((text) => writes.push(text)) });
  for (let i = 0; i < 1000; i++) logger.info('session down', { peer: `127.0.0.${i % 250}`, n: i });
  await nextTurn();
  const lines = writes.join('').trimEnd().split('\n').map((l) => JSON.parse(l) as { n: number; msg: string });
  assert.deepEqual(lines.map((l) => l.n), Array.from({ length: 1000 }, (_, i) => i));
  assert.ok(lines.every((l) => l.msg === 'session down'));
});

test('lines held when the process exits are written', () => {
  // The default logger of a process that exits in the same turn it logged.
  const script = `import('${new URL('./logger.js', import.meta.url).href}').then(({ createLogger }) => { const l = createLogger({ format: 'json' }); l.info('last words', { n: 1 }); l.error('and these'); process.exit(3); });`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(run.status, 3);
  const lines = run.stderr.trimEnd().split('\n').map((l) => JSON.parse(l) as { msg: string });
  assert.deepEqual(lines.map((l) => l.msg), ['last words', 'and these']);
});
