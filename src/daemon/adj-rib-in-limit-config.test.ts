// The `adj-rib-in-limit.config` keys of neighbors and peer groups (a tsbgpd extension):
// the default when absent, values, 0 for no cap, merged key by key with the group's,
// refused with the file, line and key when wrong.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from './config.js';
import { defaultAdjRibInLimit } from './adj-rib-in-limit-config.js';

const config = (extra: string): string => `[global.config]
  as = 64512
  router-id = "172.17.0.1"

[[peer-groups]]
  [peer-groups.config]
    peer-group-name = "transit"
    peer-as = 65000
  [peer-groups.adj-rib-in-limit.config]
    max-memory-mib = 2048
${extra}`;

const neighbor = (address: string, body: string): string => `
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${address}"
    peer-as = 65000
${body}`;

test('absent: no field, the daemon applies the default of 1024 MiB and 60 s', () => {
  const c = parseConfig(config(neighbor('10.0.0.2', '')), 'toml', 'test.toml');
  assert.equal(c.neighbors[0]!.adjRibInLimit, undefined);
  assert.deepEqual(defaultAdjRibInLimit, { maxMemoryMib: 1024, restartTimerSec: 60 });
});

test('written: the values; 0 turns the cap off; a key not written takes the default', () => {
  const c = parseConfig(
    config(
      neighbor('10.0.0.2', '  [neighbors.adj-rib-in-limit.config]\n    max-memory-mib = 256\n    restart-timer = 0\n') +
        neighbor('10.0.0.3', '  [neighbors.adj-rib-in-limit.config]\n    max-memory-mib = 0\n') +
        neighbor('10.0.0.4', '  [neighbors.adj-rib-in-limit.config]\n    restart-timer = 300\n'),
    ),
    'toml',
    'test.toml',
  );
  assert.deepEqual(c.neighbors[0]!.adjRibInLimit, { maxMemoryMib: 256, restartTimerSec: 0 });
  assert.deepEqual(c.neighbors[1]!.adjRibInLimit, { maxMemoryMib: 0, restartTimerSec: 60 });
  assert.deepEqual(c.neighbors[2]!.adjRibInLimit, { maxMemoryMib: 1024, restartTimerSec: 300 });
});

test('a neighbor of a group takes each key it does not write from the group', () => {
  const c = parseConfig(
    config(
      neighbor('10.0.0.2', '    peer-group = "transit"\n') +
        neighbor('10.0.0.3', '    peer-group = "transit"\n  [neighbors.adj-rib-in-limit.config]\n    restart-timer = 5\n'),
    ),
    'toml',
    'test.toml',
  );
  assert.deepEqual(c.neighbors[0]!.adjRibInLimit, { maxMemoryMib: 2048, restartTimerSec: 60 });
  assert.deepEqual(c.neighbors[1]!.adjRibInLimit, { maxMemoryMib: 2048, restartTimerSec: 5 });
});

test('YAML reads the same', () => {
  const c = parseConfig(
    `global:
  config:
    as: 64512
    router-id: 172.17.0.1
neighbors:
  - config:
      neighbor-address: 10.0.0.2
      peer-as: 65000
    adj-rib-in-limit:
      config:
        max-memory-mib: 512
`,
    'yaml',
    'test.yaml',
  );
  assert.deepEqual(c.neighbors[0]!.adjRibInLimit, { maxMemoryMib: 512, restartTimerSec: 60 });
});

for (const [key, value, message] of [
  ['max-memory-mib', '-1', /test\.toml:\d+: neighbors\[0\]\.adj-rib-in-limit\.config\.max-memory-mib: expected MiB, an integer from 0 \(no cap\) to 1048576, got -1/],
  ['max-memory-mib', '1.5', /neighbors\[0\]\.adj-rib-in-limit\.config\.max-memory-mib: expected MiB, an integer from 0 \(no cap\) to 1048576, got 1\.5/],
  ['max-memory-mib', '"1G"', /neighbors\[0\]\.adj-rib-in-limit\.config\.max-memory-mib: expected MiB, an integer from 0 \(no cap\) to 1048576, got "1G"/],
  ['max-memory-mib', '2000000', /max-memory-mib: expected MiB, an integer from 0 \(no cap\) to 1048576, got 2000000/],
  ['restart-timer', '70000', /neighbors\[0\]\.adj-rib-in-limit\.config\.restart-timer: expected an integer from 0 to 65535, got 70000/],
  ['max-memory', '10', /neighbors\[0\]\.adj-rib-in-limit\.config\.max-memory: unknown key/],
] as const) {
  test(`refused: ${key} = ${value}`, () => {
    const text = config(neighbor('10.0.0.2', `  [neighbors.adj-rib-in-limit.config]\n    ${key} = ${value}\n`));
    assert.throws(() => parseConfig(text, 'toml', 'test.toml'), (err: unknown) => err instanceof ConfigError && message.test(err.message));
  });
}
