// The `bfd.config` keys of neighbors and peer groups (a tsbgpd extension), merged key
// by key, with MetalLB's defaults, refused with the file, line and key when wrong.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, dynamicNeighborConfig, parseConfig } from './config.js';

const config = (extra: string): string => `[global.config]
  as = 64512
  router-id = "172.17.0.1"

[[peer-groups]]
  [peer-groups.config]
    peer-group-name = "nodes"
    peer-as = 64522
  [peer-groups.bfd.config]
    enabled = true
    detect-multiplier = 5

[[dynamic-neighbors]]
  [dynamic-neighbors.config]
    prefix = "172.17.0.0/24"
    peer-group = "nodes"
${extra}`;

test('a neighbor with bfd enabled gets the defaults 300/300/3', () => {
  const c = parseConfig(
    config(`
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.0.0.2"
    peer-as = 65000
  [neighbors.bfd.config]
    enabled = true
`),
    'toml',
    'test.toml',
  );
  assert.deepEqual(c.neighbors[0]!.bfd, { desiredMinTxMs: 300, requiredMinRxMs: 300, detectMultiplier: 3 });
});

test('a neighbor takes the keys it does not write from its group; enabled = false turns it off', () => {
  const c = parseConfig(
    config(`
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.0.0.2"
    peer-group = "nodes"
  [neighbors.bfd.config]
    desired-min-tx-interval-ms = 100
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.0.0.3"
    peer-group = "nodes"
  [neighbors.bfd.config]
    enabled = false
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.0.0.4"
    peer-as = 65000
`),
    'toml',
    'test.toml',
  );
  assert.deepEqual(c.neighbors[0]!.bfd, { desiredMinTxMs: 100, requiredMinRxMs: 300, detectMultiplier: 5 });
  assert.equal(c.neighbors[1]!.bfd, undefined);
  assert.equal(c.neighbors[2]!.bfd, undefined);
});

test('dynamic neighbors get their peer group BFD', () => {
  const c = parseConfig(config(''), 'toml', 'test.toml');
  assert.deepEqual(dynamicNeighborConfig(c, '172.17.0.21')?.neighbor.bfd, { desiredMinTxMs: 300, requiredMinRxMs: 300, detectMultiplier: 5 });
});

test('YAML works the same', () => {
  const c = parseConfig(
    `global:
  config:
    as: 64512
    router-id: 172.17.0.1
neighbors:
  - config:
      neighbor-address: 10.0.0.2
      peer-as: 65000
    bfd:
      config:
        enabled: true
        required-min-rx-interval-ms: 500
`,
    'yaml',
    'test.yaml',
  );
  assert.deepEqual(c.neighbors[0]!.bfd, { desiredMinTxMs: 300, requiredMinRxMs: 500, detectMultiplier: 3 });
});

for (const [key, value, message] of [
  ['detect-multiplier', '1', /test.toml:\d+: neighbors\[0\]\.bfd\.config\.detect-multiplier: expected an integer from 2 to 255, got 1/],
  ['desired-min-tx-interval-ms', '5', /neighbors\[0\]\.bfd\.config\.desired-min-tx-interval-ms: expected milliseconds, an integer from 10 to 60000, got 5/],
  ['enabled', '"yes"', /neighbors\[0\]\.bfd\.config\.enabled: expected true or false/],
  ['echo-mode', 'true', /neighbors\[0\]\.bfd\.config\.echo-mode: unknown key/],
] as const) {
  test(`refused: ${key} = ${value}`, () => {
    const text = config(`
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.0.0.2"
    peer-as = 65000
  [neighbors.bfd.config]
    ${key} = ${value}
`);
    assert.throws(() => parseConfig(text, 'toml', 'test.toml'), (err: unknown) => err instanceof ConfigError && message.test(err.message));
  });
}
