import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMetrics } from './metrics.js';
import { parseDaemonArgs } from './main.js';

test('the text format: HELP and TYPE before the samples, label values and help escaped, special values spelled', () => {
  const text = renderMetrics([
    { name: 'x_total', help: 'a \\ back\nslash', type: 'counter', samples: [{ labels: { peer: 'a"b\\c\nd' }, value: 3 }] },
    { name: 'y', help: 'values', type: 'gauge', samples: [{ value: Infinity }, { labels: { k: 'v' }, value: -Infinity }, { labels: { k: 'w' }, value: NaN }, { labels: { k: 'z' }, value: 0.25 }] },
  ]);
  assert.equal(
    text,
    [
      '# HELP x_total a \\\\ back\\nslash',
      '# TYPE x_total counter',
      'x_total{peer="a\\"b\\\\c\\nd"} 3',
      '# HELP y values',
      '# TYPE y gauge',
      'y +Inf',
      'y{k="v"} -Inf',
      'y{k="w"} NaN',
      'y{k="z"} 0.25',
      '',
    ].join('\n'),
  );
});

test('--metrics-port and --metrics-host: off by default, loopback unless told, checked', () => {
  const run = (extra: string[]): unknown => {
    const parsed = parseDaemonArgs(['-f', 'x.toml', ...extra]);
    return parsed.kind === 'run' ? parsed.args.metrics : undefined;
  };
  assert.equal(run([]), undefined);
  assert.deepEqual(run(['--metrics-port', '9179']), { host: '127.0.0.1', port: 9179 });
  assert.deepEqual(run(['--metrics-port', '9179', '--metrics-host', '::1']), { host: '::1', port: 9179 });
  assert.throws(() => run(['--metrics-port', '70000']), /--metrics-port must be a port number/);
  assert.throws(() => run(['--metrics-port', 'x']), /--metrics-port must be a port number/);
  assert.throws(() => run(['--metrics-host', '::1']), /--metrics-host needs --metrics-port/);
});
