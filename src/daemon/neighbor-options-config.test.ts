// gobgpd's graceful-restart and prefix-limit keys as tsbgpd reads them: defaults, the
// peer group's values inherited, and errors naming the key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Afi, Safi } from '../lib/address.js';
import { familyKey } from '../wire/context.js';
import { ConfigError, parseConfig } from './config.js';

const v4 = familyKey(Afi.ipv4, Safi.unicast);
const v6 = familyKey(Afi.ipv6, Safi.unicast);
const head = '[global.config]\nas = 64512\nrouter-id = "10.0.0.1"\n';

test('graceful-restart: restart-time defaults to the hold time, stale-routes-time to 360 s; mp-graceful-restart picks families', () => {
  const c = parseConfig(
    `${head}[[neighbors]]
[neighbors.config]
neighbor-address = "10.0.0.2"
peer-as = 64522
[neighbors.timers.config]
hold-time = 30
[neighbors.graceful-restart.config]
enabled = true
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "ipv4-unicast"
[neighbors.afi-safis.mp-graceful-restart.config]
enabled = true
[neighbors.afi-safis.prefix-limit.config]
max-prefixes = 1000
shutdown-threshold-pct = 80
restart-timer = 60
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "ipv6-unicast"
`,
    'toml',
    'f.toml',
  );
  const n = c.neighbors[0]!;
  assert.deepEqual(n.gracefulRestart, { isEnabled: true, restartTimeSec: 30, staleRoutesTimeSec: 360, isHelperOnly: false, families: [v4] });
  assert.deepEqual(n.prefixLimits, [{ family: v4, maxPrefixes: 1000, shutdownThresholdPct: 80, restartTimerSec: 60 }]);
  assert.deepEqual(n.families, [v4, v6]);
});

test('a neighbor of a peer group takes its graceful-restart; enabled = false means none', () => {
  const c = parseConfig(
    `${head}[[peer-groups]]
[peer-groups.config]
peer-group-name = "cluster"
peer-as = 64522
[peer-groups.graceful-restart.config]
enabled = true
restart-time = 120
stale-routes-time = 200
[[neighbors]]
[neighbors.config]
neighbor-address = "10.0.0.2"
peer-group = "cluster"
[[neighbors]]
[neighbors.config]
neighbor-address = "10.0.0.3"
peer-group = "cluster"
[neighbors.graceful-restart.config]
enabled = false
`,
    'toml',
    'f.toml',
  );
  assert.deepEqual(c.neighbors[0]!.gracefulRestart, { isEnabled: true, restartTimeSec: 120, staleRoutesTimeSec: 200, isHelperOnly: false });
  assert.equal(c.neighbors[1]!.gracefulRestart, undefined);
});

test('errors name the key: restart-time over 12 bits, max-prefixes missing, notification-enabled asked for', () => {
  const nb = (extra: string): string => `${head}[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-as = 64522\n${extra}`;
  assert.throws(() => parseConfig(nb('[neighbors.graceful-restart.config]\nrestart-time = 4096\n'), 'toml', 'f.toml'), (e: unknown) => e instanceof ConfigError && /^f\.toml:9: neighbors\[0\]\.graceful-restart\.config\.restart-time: expected an integer from 1 to 4095, got 4096$/.test(e.message));
  assert.throws(
    () => parseConfig(nb('[[neighbors.afi-safis]]\n[neighbors.afi-safis.config]\nafi-safi-name = "ipv4-unicast"\n[neighbors.afi-safis.prefix-limit.config]\nrestart-timer = 5\n'), 'toml', 'f.toml'),
    /neighbors\[0\]\.afi-safis\[0\]\.prefix-limit\.config\.max-prefixes: missing/,
  );
  assert.throws(() => parseConfig(nb('[neighbors.graceful-restart.config]\nnotification-enabled = true\n'), 'toml', 'f.toml'), /graceful-restart\.config\.notification-enabled: not supported by tsbgpd yet/);
});

test('route-reflector-client with its cluster ID, route-server-client; a bad cluster ID named', () => {
  const nb = (extra: string): string => `${head}[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-as = 64512\n${extra}`;
  const c = parseConfig(nb('[neighbors.route-reflector.config]\nroute-reflector-client = true\nroute-reflector-cluster-id = "10.0.0.99"\n[neighbors.route-server.config]\nroute-server-client = true\n'), 'toml', 'f.toml');
  assert.deepEqual(c.neighbors[0]!.routeReflectorClient, { clusterId: '10.0.0.99' });
  assert.equal(c.neighbors[0]!.isRouteServerClient, true);
  const off = parseConfig(nb('[neighbors.route-reflector.config]\nroute-reflector-client = false\n'), 'toml', 'f.toml');
  assert.equal(off.neighbors[0]!.routeReflectorClient, undefined);
  assert.throws(() => parseConfig(nb('[neighbors.route-reflector.config]\nroute-reflector-cluster-id = "10.0.0.300"\n'), 'toml', 'f.toml'), /route-reflector\.config\.route-reflector-cluster-id: expected a cluster ID/);
});
