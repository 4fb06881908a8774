import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocument } from 'yaml';
import { yamlToJs } from './yaml.js';

test('a map used as a key is refused with its offset, and no process warning is printed', () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w.message);
  };
  process.on('warning', onWarning);
  try {
    const text = 'neighbors:\n  ? { neighbor-address: 10.0.0.1 }\n  : 1\n';
    const r = yamlToJs(parseDocument(text));
    assert.ok('error' in r);
    assert.match(r.error, /map key must be a plain value/);
    assert.equal(r.offset, text.indexOf('{'));
    assert.deepEqual(yamlToJs(parseDocument('a: [1, 2]\nb: { c: d }\n')), { value: { a: [1, 2], b: { c: 'd' } } });
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings, []);
});

test('an alias before its anchor is an error, not an exception', () => {
  const r = yamlToJs(parseDocument('a: *x\nb: &x 1\n'));
  assert.ok('error' in r);
});
