import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../lib/logger.js';
import { MetricsServer, renderMetrics, type FibCounts } from './metrics.js';
import { parseDaemonArgs } from './main.js';
import { parseConfig } from './config.js';
import { Daemon } from './daemon.js';

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

test('FIB operations and errors: read from the FIB\'s counts at each scrape, absent when it gives none', async () => {
  const config = parseConfig('[global.config]\nas = 64512\nrouter-id = "192.0.2.1"\nport = -1\n', 'toml', 'm.toml');
  const daemon = new Daemon(config, { logger: silentLogger, hostname: 'm.test' });
  let fib: FibCounts = { state: 'running', prefixes: 1, installed: 1, unresolved: 0, failed: 0, operations: { add: 1, replace: 0, delete: 0, errors: 0 } };
  const metrics = await MetricsServer.start(daemon, { fib: () => fib, isReady: () => true }, { host: '127.0.0.1', port: 0, logger: silentLogger });
  try {
    const sample = (name: string, labels: Record<string, string> = {}): number | undefined =>
      metrics
        .collect()
        .find((f) => f.name === name)
        ?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v))?.value;
    assert.equal(sample('tsbgp_fib_operations_total', { op: 'add' }), 1);
    assert.equal(sample('tsbgp_fib_operations_total', { op: 'delete' }), 0);
    assert.equal(sample('tsbgp_fib_errors_total'), 0);
    fib = { ...fib, operations: { add: 1, replace: 4, delete: 2, errors: 3 } };
    assert.deepEqual(['add', 'replace', 'delete'].map((op) => sample('tsbgp_fib_operations_total', { op })), [1, 4, 2]);
    assert.equal(sample('tsbgp_fib_errors_total'), 3);
    fib = { state: 'running', prefixes: 0, installed: 0, unresolved: 0, failed: 0 };
    assert.equal(sample('tsbgp_fib_errors_total'), undefined, 'absent when the FIB gives no counts');
  } finally {
    await metrics.close();
  }
});
