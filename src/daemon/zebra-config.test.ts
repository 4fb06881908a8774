// `[zebra.config]`: defaults, our keys, gobgpd's external-zebra keys warned about,
// redistribution refused by name, and values checked with the line of the key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from './config.js';
import { defaultZebraConfig, zebraChanges } from './zebra-config.js';

const base = '[global.config]\nas = 64512\nrouter-id = "172.17.0.1"\n';

function rejects(text: string, pattern: RegExp): void {
  assert.throws(
    () => parseConfig(text, 'toml', 'f.conf'),
    (e: unknown) => e instanceof ConfigError && pattern.test(e.message),
  );
}

test('without [zebra] the FIB writer is off with the defaults', () => {
  const c = parseConfig(base, 'toml', 'f.conf');
  assert.deepEqual(c.zebra, defaultZebraConfig);
  assert.equal(c.zebra?.isEnabled, false);
  assert.deepEqual(c.warnings, []);
});

test('enabled = true as in the scenario: main table, protocol bgp (186), metric 20, sweep after 120 s', () => {
  const c = parseConfig(`${base}[zebra.config]\n  enabled = true\n`, 'toml', 'f.conf');
  assert.deepEqual(c.zebra, { isEnabled: true, table: 254, protocol: 186, metric: 20, keepRoutesOnShutdown: false, sweepDelaySec: 120, sweepSettleSec: 5 });
  assert.deepEqual(c.warnings, []);
});

test('our keys are read: table, protocol by name or number, metric, keep-routes-on-shutdown, sweep timers', () => {
  const c = parseConfig(`${base}[zebra.config]\nenabled = true\ntable = 100\nprotocol = "zebra"\nmetric = 0\nkeep-routes-on-shutdown = true\nsweep-delay = 30\nsweep-settle-time = 2\n`, 'toml', 'f.conf');
  assert.deepEqual(c.zebra, { isEnabled: true, table: 100, protocol: 11, metric: 0, keepRoutesOnShutdown: true, sweepDelaySec: 30, sweepSettleSec: 2 });
  assert.equal(parseConfig(`${base}[zebra.config]\nenabled = true\ntable = "main"\nprotocol = 200\n`, 'toml', 'f.conf').zebra?.protocol, 200);
});

test("gobgpd's keys about its external zebra are accepted with a warning each, never silently", () => {
  const text = `${base}[zebra.config]\nenabled = true\nurl = "unix:/var/run/quagga/zserv.api"\nversion = 2\nnexthop-trigger-enable = false\nsoftware-name = "frr7.3"\n`;
  const c = parseConfig(text, 'toml', 'f.conf');
  assert.equal(c.zebra?.isEnabled, true);
  assert.deepEqual(
    c.warnings.map((w) => w.split(': ').slice(0, 2).join(': ')),
    ['f.conf:6: zebra.config.url', 'f.conf:7: zebra.config.version', 'f.conf:8: zebra.config.nexthop-trigger-enable', 'f.conf:9: zebra.config.software-name'],
  );
  assert.match(c.warnings[0]!, /external zebra daemon .* does not need it \(ignored\)$/);
  rejects(`${base}[zebra.config]\nversion = "two"\n`, /^f\.conf:5: zebra\.config\.version: expected an integer/);
});

test('our keys without enabled = true are warned about: the writer is off', () => {
  const c = parseConfig(`${base}[zebra.config]\nmetric = 30\n`, 'toml', 'f.conf');
  assert.equal(c.zebra?.isEnabled, false);
  assert.match(c.warnings[0]!, /^f\.conf:5: zebra\.config\.metric: has no effect: zebra\.config\.enabled is not true/);
});

test('redistribution is refused by name (not implemented), a warning with --allow-unsupported', () => {
  const text = `${base}[zebra.config]\nenabled = true\nredistribute-route-type-list = ["connect", "static", "kernel"]\n`;
  rejects(text, /^f\.conf:6: zebra\.config\.redistribute-route-type-list: not supported by tsbgpd yet/);
  const c = parseConfig(text, 'toml', 'f.conf', { allowUnsupported: true });
  assert.deepEqual(c.warnings, ['f.conf:6: zebra.config.redistribute-route-type-list: not supported by tsbgpd yet; ignored']);
});

test('bad values name the key and its line', () => {
  rejects(`${base}[zebra.config]\nenabled = "yes"\n`, /^f\.conf:5: zebra\.config\.enabled: expected true or false, got "yes"$/);
  rejects(`${base}[zebra.config]\ntable = 255\n`, /^f\.conf:5: zebra\.config\.table: expected "main" or a table number .* other than 255 \(local\), got 255$/);
  rejects(`${base}[zebra.config]\ntable = 0\n`, /^f\.conf:5: zebra\.config\.table: expected/);
  // Our routes are swept at start: a protocol of the kernel's or of static routes would delete theirs.
  rejects(`${base}[zebra.config]\nprotocol = 4\n`, /^f\.conf:5: zebra\.config\.protocol: expected "bgp", "zebra" or a number from 5 to 255/);
  rejects(`${base}[zebra.config]\nprotocol = "kernel"\n`, /^f\.conf:5: zebra\.config\.protocol: expected/);
  rejects(`${base}[zebra.config]\nprotocol = 256\n`, /^f\.conf:5: zebra\.config\.protocol: expected/);
  rejects(`${base}[zebra.config]\nmetric = -1\n`, /^f\.conf:5: zebra\.config\.metric: expected an integer from 0 to 4294967295, got -1$/);
  rejects(`${base}[zebra.config]\nsweep-delay = 1.5\n`, /^f\.conf:5: zebra\.config\.sweep-delay: expected seconds from 0 to 86400, got 1\.5$/);
  rejects(`${base}[zebra.config]\nkeep-routes = true\n`, /^f\.conf:5: zebra\.config\.keep-routes: unknown key$/);
  rejects(`${base}[zebra]\nfoo = 1\n`, /^f\.conf:5: zebra\.foo: unknown key$/);
});

test('YAML reads the same section', () => {
  const c = parseConfig('global:\n  config:\n    as: 64512\n    router-id: 172.17.0.1\nzebra:\n  config:\n    enabled: true\n    metric: 7\n', 'yaml', 'f.yaml');
  assert.equal(c.zebra?.isEnabled, true);
  assert.equal(c.zebra?.metric, 7);
});

test('zebraChanges names the keys that differ', () => {
  assert.deepEqual(zebraChanges(defaultZebraConfig, defaultZebraConfig), []);
  assert.deepEqual(zebraChanges(defaultZebraConfig, { ...defaultZebraConfig, isEnabled: true, metric: 5 }), ['enabled', 'metric']);
});
