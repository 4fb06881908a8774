// gobgpd's long-lived graceful restart keys (RFC 9494) as tsbgpd reads them: long-lived-enabled
// with per family long-lived-graceful-restart.config, inherited from a peer group, and errors
// naming the key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Afi, Safi } from '../lib/address.js';
import { familyKey } from '../wire/context.js';
import { ConfigError, parseConfig } from './config.js';
import { longLivedOffer } from './graceful-restart.js';

const v4 = familyKey(Afi.ipv4, Safi.unicast);
const v6 = familyKey(Afi.ipv6, Safi.unicast);
const head = '[global.config]\nas = 64512\nrouter-id = "10.0.0.1"\n';

function neighbor(grConfig: string, families: string): string {
  return `${head}[[neighbors]]
[neighbors.config]
neighbor-address = "10.0.0.2"
peer-as = 64522
[neighbors.graceful-restart.config]
enabled = true
${grConfig}${families}`;
}

const v4Llgr = `[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "ipv4-unicast"
[neighbors.afi-safis.mp-graceful-restart.config]
enabled = true
[neighbors.afi-safis.long-lived-graceful-restart.config]
enabled = true
restart-time = 3600
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "ipv6-unicast"
[neighbors.afi-safis.long-lived-graceful-restart.config]
enabled = false
restart-time = 60
`;

test('long-lived-enabled with a family\'s long-lived-graceful-restart: that family with its restart-time', () => {
  const c = parseConfig(neighbor('long-lived-enabled = true\n', v4Llgr), 'toml', 'f.toml');
  const gr = c.neighbors[0]!.gracefulRestart;
  assert.deepEqual(gr?.longLived, [{ family: v4, staleTimeSec: 3600 }]);
  assert.deepEqual(longLivedOffer(gr), { families: [{ family: v4, staleTimeSec: 3600 }] });
  assert.equal(c.warnings.length, 0);
  const off = parseConfig(neighbor('', v4Llgr), 'toml', 'f.toml').neighbors[0]!.gracefulRestart;
  assert.equal(off?.longLived, undefined, 'without long-lived-enabled: none');
  assert.equal(longLivedOffer(off), undefined);
  assert.notEqual(v4, v6);
});

test('a peer group\'s long-lived settings are inherited', () => {
  const c = parseConfig(
    `${head}[[peer-groups]]
[peer-groups.config]
peer-group-name = "g"
peer-as = 64522
[peer-groups.graceful-restart.config]
enabled = true
long-lived-enabled = true
[[peer-groups.afi-safis]]
[peer-groups.afi-safis.config]
afi-safi-name = "ipv4-unicast"
[peer-groups.afi-safis.long-lived-graceful-restart.config]
enabled = true
restart-time = 7200
[[neighbors]]
[neighbors.config]
neighbor-address = "10.0.0.2"
peer-group = "g"
`,
    'toml',
    'f.toml',
  );
  assert.deepEqual(c.neighbors[0]!.gracefulRestart?.longLived, [{ family: v4, staleTimeSec: 7200 }]);
});

test('errors name the key: restart-time missing or over 24 bits, an unknown key', () => {
  const llgr = (body: string): string => neighbor('long-lived-enabled = true\n', `[[neighbors.afi-safis]]\n[neighbors.afi-safis.config]\nafi-safi-name = "ipv4-unicast"\n[neighbors.afi-safis.long-lived-graceful-restart.config]\n${body}`);
  assert.throws(() => parseConfig(llgr('enabled = true\n'), 'toml', 'f.toml'), (e: unknown) => e instanceof ConfigError && /afi-safis\[0\]\.long-lived-graceful-restart\.config\.restart-time: missing/.test(e.message));
  assert.throws(() => parseConfig(llgr('enabled = true\nrestart-time = 16777216\n'), 'toml', 'f.toml'), /long-lived-graceful-restart\.config\.restart-time: expected an integer from 1 to 16777215, got 16777216/);
  assert.throws(() => parseConfig(llgr('enabled = true\nrestart-time = 60\nhelper-only = true\n'), 'toml', 'f.toml'), /long-lived-graceful-restart\.config\.helper-only: unknown key/);
  assert.throws(() => parseConfig(neighbor('long-lived-enabled = 1\n', ''), 'toml', 'f.toml'), /long-lived-enabled/);
});
