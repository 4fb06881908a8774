import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, configTypeOf, defaultMaximumPaths, dynamicNeighborConfig, loadConfig, matchDynamicRange, noMultipathConfig, parseConfig, type DaemonConfig } from './config.js';
import { Afi, Safi } from '../lib/address.js';
import { familyKey } from '../wire/context.js';
import { Origin, WellKnownCommunity } from '../wire/attributes/types.js';

const examples = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples');
const ipv4 = familyKey(Afi.ipv4, Safi.unicast);
const ipv6 = familyKey(Afi.ipv6, Safi.unicast);

const goodToml = `[global.config]
  as = 64512
  router-id = "172.17.0.1"
  port = 1790

[[neighbors]]
  [neighbors.config]
    neighbor-address = "172.17.0.21"
    peer-as = 64522
  [neighbors.timers.config]
    hold-time = 30

[[neighbors]]
  [neighbors.config]
    neighbor-address = "2001:DB8::2"
    peer-as = 64512
    local-as = 65000
  [neighbors.transport.config]
    passive-mode = true
    local-address = "2001:db8::1"
    remote-port = 1791
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"

[[originate]]
  prefix = "172.17.254.0/24"
  origin = "incomplete"
  communities = ["64512:100", "no-export"]
  med = 5

[[originate]]
  prefix = "2001:db8:1::/48"
  next-hop = "2001:db8::1"
`;

const goodYaml = `global:
  config:
    as: 64512
    router-id: 172.17.0.1
    port: 1790
neighbors:
  - config:
      neighbor-address: 172.17.0.21
      peer-as: 64522
    timers:
      config:
        hold-time: 30
  - config:
      neighbor-address: "2001:DB8::2"
      peer-as: 64512
      local-as: 65000
    transport:
      config:
        passive-mode: true
        local-address: "2001:db8::1"
        remote-port: 1791
    afi-safis:
      - config:
          afi-safi-name: ipv6-unicast
originate:
  - prefix: 172.17.254.0/24
    origin: incomplete
    communities: ["64512:100", no-export]
    med: 5
  - prefix: "2001:db8:1::/48"
    next-hop: "2001:db8::1"
`;

/** Compares configurations apart from the file name. */
function withoutFile(c: DaemonConfig): unknown {
  return { ...c, fileName: '' };
}

/** Asserts that parsing throws a ConfigError whose message matches. */
function rejects(text: string, pattern: RegExp, type: 'toml' | 'yaml' = 'toml', allowUnsupported = false): void {
  assert.throws(
    () => parseConfig(text, type, 'f.conf', { allowUnsupported }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

test('TOML and YAML give the same configuration, defaults applied', () => {
  const t = parseConfig(goodToml, 'toml', 'a.toml');
  const y = parseConfig(goodYaml, 'yaml', 'a.yaml');
  assert.deepEqual(withoutFile(t), withoutFile(y));
  assert.deepEqual(t.global, { as: 64512, routerId: '172.17.0.1', port: 1790, localAddressList: ['0.0.0.0', '::'] });
  const [a, b] = t.neighbors;
  assert.deepEqual(a, {
    address: '172.17.0.21',
    peerAs: 64522,
    localAs: 64512,
    isLocalAsFromGlobal: true,
    description: '',
    isPassive: false,
    remotePort: 179,
    holdTimeSec: 30,
    keepaliveSec: 10,
    connectRetrySec: 120,
    families: [ipv4],
  });
  assert.equal(b!.address, '2001:db8::2');
  assert.equal(b!.localAs, 65000);
  assert.equal(b!.localAddress, '2001:db8::1');
  assert.equal(b!.isPassive, true);
  assert.equal(b!.remotePort, 1791);
  assert.equal(b!.holdTimeSec, 90);
  assert.equal(b!.keepaliveSec, 30);
  assert.deepEqual(b!.families, [ipv6]);
  const [r4, r6] = t.originate;
  assert.equal(r4!.prefixText, '172.17.254.0/24');
  assert.equal(r4!.origin, Origin.incomplete);
  assert.deepEqual(r4!.communities, [((64512 << 16) | 100) >>> 0, WellKnownCommunity.noExport]);
  assert.equal(r4!.med, 5);
  assert.equal(r4!.nextHop, undefined);
  assert.equal(r6!.origin, Origin.igp);
  assert.equal(r6!.nextHop, '2001:db8::1');
  assert.deepEqual(t.warnings, []);
});

test('the configuration is frozen', () => {
  const c = parseConfig(goodToml, 'toml', 'a.toml');
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.neighbors) && Object.isFrozen(c.neighbors[0]) && Object.isFrozen(c.global.localAddressList));
  assert.throws(() => {
    (c.global as { as: number }).as = 1;
  }, TypeError);
});

test('an IPv6 neighbor without afi-safis offers both unicast families', () => {
  const c = parseConfig('[global.config]\nas = 1\nrouter-id = "1.1.1.1"\n[[neighbors]]\n[neighbors.config]\nneighbor-address = "fe80::1"\npeer-as = 2\n', 'toml', 'f');
  assert.deepEqual(c.neighbors[0]!.families, [ipv4, ipv6]);
});

test('the examples are valid and say the same in both formats', () => {
  const t = loadConfig(resolve(examples, 'tsbgpd.toml'));
  const y = loadConfig(resolve(examples, 'tsbgpd.yaml'));
  assert.deepEqual(withoutFile(t), withoutFile(y));
  assert.equal(t.neighbors.length, 3);
  assert.equal(t.originate.length, 2);
});

test('the type comes from -t, else the extension, else TOML', () => {
  assert.equal(configTypeOf('x.yaml'), 'yaml');
  assert.equal(configTypeOf('x.yml'), 'yaml');
  assert.equal(configTypeOf('x.conf'), 'toml');
  assert.equal(configTypeOf('x.conf', 'yaml'), 'yaml');
  assert.throws(() => configTypeOf('x.conf', 'json'), ConfigError);
});

const base = '[global.config]\nas = 64512\nrouter-id = "10.0.0.1"\n';
const nb = (lines: string): string => `${base}[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-as = 2\n${lines}`;

test('each bad value is named with its file, line and key', () => {
  const cases: readonly [string, RegExp][] = [
    ['[global.config]\nas = 0\nrouter-id = "10.0.0.1"\n', /^f\.conf:2: global\.config\.as: expected an AS number from 1 to 4294967295, got 0$/],
    ['[global.config]\nas = 4294967296\nrouter-id = "10.0.0.1"\n', /^f\.conf:2: global\.config\.as: expected .*, got 4294967296$/],
    ['[global.config]\nas = "x"\nrouter-id = "10.0.0.1"\n', /^f\.conf:2: global\.config\.as: expected .*, got "x"$/],
    ['[global.config]\nas = 1\nrouter-id = "::1"\n', /^f\.conf:3: global\.config\.router-id: expected an IPv4 address other than 0\.0\.0\.0, got "::1"$/],
    ['[global.config]\nas = 1\n', /^f\.conf:1: global\.config\.router-id: missing/],
    [`${base}port = 70000\n`, /^f\.conf:4: global\.config\.port: expected -1 \(do not listen\) or a port from 1 to 65535, got 70000$/],
    [`${base}local-address-list = ["1.2.3"]\n`, /^f\.conf:4: global\.config\.local-address-list\[0\]: expected an IP address, got "1\.2\.3"$/],
    [nb('[neighbors.timers.config]\nhold-time = 2\n'), /^f\.conf:9: neighbors\[0\]\.timers\.config\.hold-time: expected 0 or an integer from 3 to 65535, got 2$/],
    [nb('[neighbors.timers.config]\nhold-time = 9\nkeepalive-interval = 10\n'), /^f\.conf:10: neighbors\[0\]\.timers\.config\.keepalive-interval: expected an integer from 1 to the hold-time \(9\), got 10$/],
    [nb('[neighbors.transport.config]\nlocal-address = "::1"\n'), /^f\.conf:9: neighbors\[0\]\.transport\.config\.local-address: expected an IPv4 address \(the neighbor's family\), got "::1"$/],
    [nb('[neighbors.transport.config]\npassive-mode = "yes"\n'), /^f\.conf:9: .*passive-mode: expected true or false, got "yes"$/],
    [nb('[neighbors.ebgp-multihop.config]\nenabled = true\nmultihop-ttl = 300\n'), /^f\.conf:10: .*multihop-ttl: expected an integer from 1 to 255, got 300$/],
    [nb('[[neighbors.afi-safis]]\n[neighbors.afi-safis.config]\nafi-safi-name = "ipv5"\n'), /^f\.conf:10: neighbors\[0\]\.afi-safis\[0\]\.config\.afi-safi-name: expected a family name/],
    [`${nb('')}[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-as = 3\n`, /^f\.conf:10: neighbors\[1\]\.config\.neighbor-address: duplicate neighbor 10\.0\.0\.2/],
    [`${base}[[originate]]\nprefix = "10.1.1.1/24"\n`, /^f\.conf:5: originate\[0\]\.prefix: expected a prefix .*host bits zero.*, got "10\.1\.1\.1\/24"$/],
    [`${base}[[originate]]\nprefix = "10.1.1.0/24"\nnext-hop = "2001:db8::1"\n`, /^f\.conf:6: originate\[0\]\.next-hop: expected a unicast IPv4 address \(the prefix's family\), got "2001:db8::1"$/],
    [`${base}[[originate]]\nprefix = "10.1.1.0/24"\norigin = "bgp"\n`, /^f\.conf:6: originate\[0\]\.origin: expected "igp", "egp" or "incomplete", got "bgp"$/],
    [`${base}[[originate]]\nprefix = "10.1.1.0/24"\ncommunities = ["65536:1"]\n`, /^f\.conf:6: originate\[0\]\.communities\[0\]: expected "ASN:VALUE"/],
    [`${base}[[originate]]\nprefix = "10.1.1.0/24"\nmed = -1\n`, /^f\.conf:6: originate\[0\]\.med: expected an integer from 0 to 4294967295, got -1$/],
    [`${base}[[originate]]\nprefix = "10.1.1.0/24"\n[[originate]]\nprefix = "10.1.1.0/24"\n`, /^f\.conf:7: originate\[1\]\.prefix: duplicate prefix 10\.1\.1\.0\/24/],
  ];
  for (const [text, pattern] of cases) rejects(text, pattern);
});

test('a YAML error names the line of the key too', () => {
  rejects('global:\n  config:\n    as: 1\n    router-id: 1.1.1.1\nneighbors:\n  - config:\n      neighbor-address: 10.0.0.2\n      peer-as: 0\n', /^f\.conf:8: neighbors\[0\]\.config\.peer-as: expected an AS number/, 'yaml');
});

test('keys gobgpd knows but tsbgpd does not implement are refused by name, or warned with allowUnsupported', () => {
  const text = `${nb('remove-private-as = "all"\n[neighbors.as-path-options.config]\nallow-own-as = 1\n')}[[rpki-servers]]\n[rpki-servers.config]\naddress = "10.0.0.9"\n`;
  rejects(text, /^f\.conf:8: neighbors\[0\]\.config\.remove-private-as: not supported by tsbgpd yet .*also unsupported: neighbors\[0\]\.as-path-options at line 9, rpki-servers at line 11\)$/);
  const c = parseConfig(text, 'toml', 'f.conf', { allowUnsupported: true });
  assert.deepEqual(c.warnings, [
    'f.conf:8: neighbors[0].config.remove-private-as: not supported by tsbgpd yet; ignored',
    'f.conf:9: neighbors[0].as-path-options: not supported by tsbgpd yet; ignored',
    'f.conf:11: rpki-servers: not supported by tsbgpd yet; ignored',
  ]);
  rejects(`${base}[global.graceful-restart.config]\nenabled = true\n`, /^f\.conf:4: global\.graceful-restart: not supported/);
  rejects(`${base}[[peer-groups]]\n[peer-groups.config]\npeer-group-name = "g"\nremove-private-as = "all"\n`, /^f\.conf:7: peer-groups\[0\]\.config\.remove-private-as: not supported/);
  rejects(`${base}[zebra.config]\nenabled = true\nredistribute-route-type-list = ["connect"]\n`, /^f\.conf:6: zebra\.config\.redistribute-route-type-list: not supported/);
  rejects(nb('[[neighbors.afi-safis]]\n[neighbors.afi-safis.config]\nafi-safi-name = "l2vpn-evpn"\n'), /^f\.conf:10: neighbors\[0\]\.afi-safis\[0\]\.config\.afi-safi-name: not supported/);
});

test('keys gobgpd does not know are errors even with allowUnsupported', () => {
  rejects(nb('foo = 1\n'), /^f\.conf:8: neighbors\[0\]\.config\.foo: unknown key$/, 'toml', true);
  rejects(`${base}[global.listen-config]\nport = 1\n`, /^f\.conf:4: global\.listen-config: unknown key$/, 'toml', true);
  rejects(`${base}[[originate]]\nprefix = "10.0.0.0/8"\nlocal-pref = 1\n`, /^f\.conf:6: originate\[0\]\.local-pref: unknown key$/, 'toml', true);
});

test('ebgp-multihop is read without a warning: its TTL is applied', () => {
  const c = parseConfig(nb('[neighbors.ebgp-multihop.config]\nenabled = true\nmultihop-ttl = 5\n'), 'toml', 'f.conf');
  assert.deepEqual(c.neighbors[0]!.ebgpMultihop, { isEnabled: true, ttl: 5 });
  assert.deepEqual(c.warnings, []);
});

test('auth-password and ttl-security are read for neighbors and inherited from peer groups', () => {
  const c = parseConfig(nb('auth-password = "s3cret"\n[neighbors.ttl-security.config]\nenabled = true\nttl-min = 254\n'), 'toml', 'f.conf');
  assert.equal(c.neighbors[0]!.authPassword, 's3cret');
  assert.deepEqual(c.neighbors[0]!.ttlSecurity, { isEnabled: true, ttlMin: 254 });
  const g = parseConfig(`${base}[[peer-groups]]\n[peer-groups.config]\npeer-group-name = "g"\nauth-password = "grp"\n[peer-groups.ttl-security.config]\nenabled = true\n[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-group = "g"\npeer-as = 65002\n`, 'toml', 'f.conf');
  assert.equal(g.neighbors[0]!.authPassword, 'grp');
  assert.deepEqual(g.neighbors[0]!.ttlSecurity, { isEnabled: true, ttlMin: 255 });
  rejects(nb(`auth-password = "${'x'.repeat(81)}"\n`), /^f\.conf:8: neighbors\[0\]\.config\.auth-password: expected a password of at most 80 bytes/);
  rejects(nb('[neighbors.ttl-security.config]\nenabled = true\nttl-min = 0\n'), /^f\.conf:10: neighbors\[0\]\.ttl-security\.config\.ttl-min: expected an integer from 1 to 255, got 0$/);
});

test('idle-hold-time-after-reset sets the base of the idle hold back-off; 0 is refused', () => {
  const c = parseConfig(nb('[neighbors.timers.config]\nidle-hold-time-after-reset = 30\n'), 'toml', 'f.conf');
  assert.equal(c.neighbors[0]!.idleHoldTimeAfterResetSec, 30);
  assert.deepEqual(c.warnings, []);
  assert.throws(() => parseConfig(nb('[neighbors.timers.config]\nidle-hold-time-after-reset = 0\n'), 'toml', 'f.conf'), /f\.conf:9: neighbors\[0\]\.timers\.config\.idle-hold-time-after-reset/);
});

test('malformed TOML and YAML are rejected with their line', () => {
  rejects('[global.config]\nas = = 1\n', /^f\.conf:2:\d+: invalid TOML: /);
  rejects('[global.config]\nas = 1\n[global.config]\n', /^f\.conf:3:\d+: invalid TOML: /);
  rejects('global:\n  config:\n    as: 1\n   bad: [\n', /^f\.conf:\d+:\d+: invalid YAML: /, 'yaml');
  rejects('global:\n  config:\n    as: 1\n    as: 2\n', /^f\.conf:4:\d+: invalid YAML: /, 'yaml');
});

test('locating keys follows array-of-tables elements and dotted keys', () => {
  const text = `${base}[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-as = 2\n[[neighbors]]\n# comment\nconfig.neighbor-address = "10.0.0.3"\nconfig.peer-as = 0\n`;
  rejects(text, /^f\.conf:11: neighbors\[1\]\.config\.peer-as: /);
});

test('loadConfig reports an unreadable file', () => {
  assert.throws(() => loadConfig('/nonexistent/tsbgpd.toml'), /^ConfigError: \/nonexistent\/tsbgpd\.toml: cannot read the configuration file \(ENOENT\)$/);
  assert.ok(readFileSync(resolve(examples, 'tsbgpd.toml'), 'utf8').includes('[[originate]]'));
});

// ---- peer groups, dynamic neighbors, use-multiple-paths ----

const routerToml = `[global.config]
  as = 64512
  router-id = "172.17.0.1"
[global.use-multiple-paths.config]
  enabled = true
[global.use-multiple-paths.ebgp.config]
  maximum-paths = 8
  allow-multiple-as = true
[global.use-multiple-paths.ibgp.config]
  maximum-paths = 4

[[peer-groups]]
  [peer-groups.config]
    peer-group-name = "k8s"
    peer-as = 64522
    description = "cluster nodes"
  [peer-groups.timers.config]
    hold-time = 30
    keepalive-interval = 5
  [peer-groups.transport.config]
    remote-port = 1179
[[peer-groups]]
  [peer-groups.config]
    peer-group-name = "edge"
    peer-as = 64600
    local-as = 65000
  [[peer-groups.afi-safis]]
    [peer-groups.afi-safis.config]
      afi-safi-name = "ipv6-unicast"

[[dynamic-neighbors]]
  [dynamic-neighbors.config]
    prefix = "172.17.0.0/24"
    peer-group = "k8s"
[[dynamic-neighbors]]
  [dynamic-neighbors.config]
    prefix = "172.17.0.128/25"
    peer-group = "edge"

[[neighbors]]
  [neighbors.config]
    neighbor-address = "172.17.0.10"
    peer-group = "k8s"
  [neighbors.timers.config]
    hold-time = 60
[[neighbors]]
  [neighbors.config]
    neighbor-address = "172.17.1.10"
    peer-group = "edge"
    peer-as = 64601
`;

const routerYaml = `global:
  config: { as: 64512, router-id: 172.17.0.1 }
  use-multiple-paths:
    config: { enabled: true }
    ebgp: { config: { maximum-paths: 8, allow-multiple-as: true } }
    ibgp: { config: { maximum-paths: 4 } }
peer-groups:
  - config: { peer-group-name: k8s, peer-as: 64522, description: cluster nodes }
    timers: { config: { hold-time: 30, keepalive-interval: 5 } }
    transport: { config: { remote-port: 1179 } }
  - config: { peer-group-name: edge, peer-as: 64600, local-as: 65000 }
    afi-safis:
      - config: { afi-safi-name: ipv6-unicast }
dynamic-neighbors:
  - config: { prefix: 172.17.0.0/24, peer-group: k8s }
  - config: { prefix: 172.17.0.128/25, peer-group: edge }
neighbors:
  - config: { neighbor-address: 172.17.0.10, peer-group: k8s }
    timers: { config: { hold-time: 60 } }
  - config: { neighbor-address: 172.17.1.10, peer-group: edge, peer-as: 64601 }
`;

test('peer groups, dynamic neighbors and use-multiple-paths read the same from TOML and YAML', () => {
  const t = parseConfig(routerToml, 'toml', 'r.toml');
  const y = parseConfig(routerYaml, 'yaml', 'r.yaml');
  assert.deepEqual(withoutFile(t), withoutFile(y));
  assert.deepEqual(t.useMultiplePaths, { isEnabled: true, ebgpMaximumPaths: 8, ibgpMaximumPaths: 4, allowMultipleAs: true });
  assert.deepEqual(t.peerGroups.map((g) => g.name), ['k8s', 'edge']);
  assert.deepEqual(t.peerGroups[0]!.settings, { peerAs: 64522, description: 'cluster nodes', remotePort: 1179, holdTimeSec: 30, keepaliveSec: 5 });
  assert.deepEqual(
    t.dynamicNeighbors.map((r) => [r.prefixText, r.peerGroup]),
    [['172.17.0.0/24', 'k8s'], ['172.17.0.128/25', 'edge']],
  );
  assert.deepEqual(t.warnings, []);
});

test('a neighbor of a group takes each key it does not set from the group', () => {
  const c = parseConfig(routerToml, 'toml', 'r.toml');
  const [a, b] = c.neighbors;
  assert.deepEqual(a, {
    address: '172.17.0.10',
    peerAs: 64522,
    localAs: 64512,
    isLocalAsFromGlobal: true,
    description: 'cluster nodes',
    isPassive: false,
    remotePort: 1179,
    holdTimeSec: 60,
    keepaliveSec: 5,
    connectRetrySec: 120,
    families: [ipv4],
    peerGroup: 'k8s',
  });
  assert.equal(b!.peerAs, 64601, 'its own peer-as wins');
  assert.equal(b!.localAs, 65000);
  assert.equal(b!.isLocalAsFromGlobal, false);
  assert.deepEqual(b!.families, [ipv6], "the group's afi-safis list");
});

test('a dynamic peer gets the group of the longest range holding it, passive', () => {
  const c = parseConfig(routerToml, 'toml', 'r.toml');
  assert.equal(matchDynamicRange(c.dynamicNeighbors, '172.17.0.21')?.prefixText, '172.17.0.0/24');
  assert.equal(matchDynamicRange(c.dynamicNeighbors, '172.17.0.200')?.prefixText, '172.17.0.128/25');
  assert.equal(matchDynamicRange(c.dynamicNeighbors, '172.17.1.21'), undefined);
  assert.equal(matchDynamicRange(c.dynamicNeighbors, '2001:db8::1'), undefined);
  assert.equal(matchDynamicRange(c.dynamicNeighbors, 'not an address'), undefined);
  const d = dynamicNeighborConfig(c, '172.17.0.22');
  assert.deepEqual(d?.neighbor, {
    address: '172.17.0.22',
    peerAs: 64522,
    localAs: 64512,
    isLocalAsFromGlobal: true,
    description: 'cluster nodes',
    isPassive: true,
    remotePort: 1179,
    holdTimeSec: 30,
    keepaliveSec: 5,
    connectRetrySec: 120,
    families: [ipv4],
    peerGroup: 'k8s',
  });
  assert.ok(Object.isFrozen(d!.neighbor));
  assert.equal(dynamicNeighborConfig(c, '172.17.0.200')?.neighbor.peerAs, 64600);
  assert.equal(dynamicNeighborConfig(c, '10.0.0.1'), undefined);
});

test("the scenario's router configuration is accepted; multipath defaults", () => {
  const scenario = `[global.config]
  as = 64512
  router-id = "172.17.0.1"
[global.use-multiple-paths.config]
  enabled = true
[[peer-groups]]
  [peer-groups.config]
    peer-group-name = "k8s"
    peer-as = 64522
[[dynamic-neighbors]]
  [dynamic-neighbors.config]
    prefix = "172.17.0.0/24"
    peer-group = "k8s"
`;
  const c = parseConfig(scenario, 'toml', 'rt-01.toml');
  assert.deepEqual(c.useMultiplePaths, { isEnabled: true, ebgpMaximumPaths: defaultMaximumPaths, ibgpMaximumPaths: defaultMaximumPaths, allowMultipleAs: false });
  assert.deepEqual(c.neighbors, []);
  assert.equal(dynamicNeighborConfig(c, '172.17.0.23')?.neighbor.peerAs, 64522);
  assert.deepEqual(parseConfig(base, 'toml', 'f').useMultiplePaths, noMultipathConfig);
  assert.equal(parseConfig(`${base}[global.use-multiple-paths.config]\nenabled = false\n`, 'toml', 'f').useMultiplePaths.isEnabled, false);
});

const group = (lines = ''): string => `${base}[[peer-groups]]\n[peer-groups.config]\npeer-group-name = "k8s"\npeer-as = 64522\n${lines}`;
const range = (prefix: string, name = 'k8s'): string => `[[dynamic-neighbors]]\n[dynamic-neighbors.config]\nprefix = "${prefix}"\npeer-group = "${name}"\n`;

test('each bad peer group, dynamic neighbor or multipath value is named with its line', () => {
  const cases: readonly [string, RegExp][] = [
    [`${base}[[peer-groups]]\n[peer-groups.config]\npeer-as = 1\n`, /^f\.conf:5: peer-groups\[0\]\.config\.peer-group-name: missing/],
    [`${base}[[peer-groups]]\n[peer-groups.config]\npeer-group-name = ""\n`, /^f\.conf:6: peer-groups\[0\]\.config\.peer-group-name: expected a non-empty name, got ""$/],
    [`${group()}[[peer-groups]]\n[peer-groups.config]\npeer-group-name = "k8s"\n`, /^f\.conf:10: peer-groups\[1\]\.config\.peer-group-name: duplicate peer group "k8s" \(also peer-groups\[0\]\)$/],
    [group('local-as = 0\n'), /^f\.conf:8: peer-groups\[0\]\.config\.local-as: expected an AS number from 1 to 4294967295, got 0$/],
    [group('[peer-groups.timers.config]\nhold-time = 1\n'), /^f\.conf:9: peer-groups\[0\]\.timers\.config\.hold-time: expected 0 or an integer from 3 to 65535, got 1$/],
    [group('[peer-groups.timers.config]\nhold-time = 9\nkeepalive-interval = 10\n'), /^f\.conf:10: peer-groups\[0\]\.timers\.config\.keepalive-interval: expected an integer from 1 to the hold-time \(9\), got 10$/],
    [group('foo = 1\n'), /^f\.conf:8: peer-groups\[0\]\.config\.foo: unknown key$/],
    [`${base}[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-group = "nope"\n`, /^f\.conf:7: neighbors\[0\]\.config\.peer-group: unknown peer group "nope" \(no \[\[peer-groups\]\] defined\)$/],
    [`${group()}[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-group = "k9s"\n`, /^f\.conf:11: neighbors\[0\]\.config\.peer-group: unknown peer group "k9s" \(defined: "k8s"\)$/],
    [`${base}[[peer-groups]]\n[peer-groups.config]\npeer-group-name = "g"\n[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-group = "g"\n`, /^f\.conf:8: neighbors\[0\]\.config\.peer-as: missing, and peer group "g" sets none$/],
    [`${base}[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\n`, /^f\.conf:5: neighbors\[0\]\.config\.peer-as: expected an AS number from 1 to 4294967295, got nothing$/],
    // The keepalive of the neighbor against the hold time of its group: the neighbor's line.
    [`${group('[peer-groups.timers.config]\nhold-time = 9\n')}[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-group = "k8s"\n[neighbors.timers.config]\nkeepalive-interval = 20\n`, /^f\.conf:15: neighbors\[0\]\.timers\.config\.keepalive-interval: expected an integer from 1 to the hold-time \(9\), got 20$/],
    // The group's local address against the family of the neighbor: the group's line.
    [`${group('[peer-groups.transport.config]\nlocal-address = "2001:db8::1"\n')}[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-group = "k8s"\n`, /^f\.conf:9: peer-groups\[0\]\.transport\.config\.local-address: expected an IPv4 address \(the neighbor's family\), got "2001:db8::1"$/],
    [`${group('[peer-groups.transport.config]\nlocal-address = "2001:db8::1"\n')}${range('172.17.0.0/24')}`, /^f\.conf:9: peer-groups\[0\]\.transport\.config\.local-address: expected an IPv4 address \(the family of dynamic-neighbors\[0\] prefix 172\.17\.0\.0\/24\), got "2001:db8::1"$/],
    [`${group()}${range('172.17.0.1/24')}`, /^f\.conf:10: dynamic-neighbors\[0\]\.config\.prefix: expected a prefix "address\/length" with the host bits zero \(host bits set in "172\.17\.0\.1\/24"\), got "172\.17\.0\.1\/24"$/],
    [`${group()}${range('172.17.0.0/33')}`, /^f\.conf:10: dynamic-neighbors\[0\]\.config\.prefix: expected a prefix .*bad prefix length/],
    [`${group()}${range('172.17.0.0')}`, /^f\.conf:10: dynamic-neighbors\[0\]\.config\.prefix: expected a prefix .*no "\/len"/],
    [`${group()}${range('172.17.0.0/24', 'k9s')}`, /^f\.conf:11: dynamic-neighbors\[0\]\.config\.peer-group: unknown peer group "k9s" \(defined: "k8s"\)$/],
    [`${group()}[[dynamic-neighbors]]\n[dynamic-neighbors.config]\npeer-group = "k8s"\n`, /^f\.conf:9: dynamic-neighbors\[0\]\.config\.prefix: missing/],
    [`${group()}[[dynamic-neighbors]]\n[dynamic-neighbors.config]\nprefix = "10.0.0.0/8"\n`, /^f\.conf:9: dynamic-neighbors\[0\]\.config\.peer-group: missing/],
    [`${group()}[[dynamic-neighbors]]\n[dynamic-neighbors.config]\nprefix = "10.0.0.0/8"\npeer-group = "k8s"\nport = 1\n`, /^f\.conf:12: dynamic-neighbors\[0\]\.config\.port: unknown key$/],
    [`${group()}${range('10.0.0.0/8')}${range('10.0.0.0/8')}`, /^f\.conf:14: dynamic-neighbors\[1\]\.config\.prefix: duplicate range 10\.0\.0\.0\/8 \(also dynamic-neighbors\[0\]\)$/],
    [`${base}[[peer-groups]]\n[peer-groups.config]\npeer-group-name = "g"\n${range('10.0.0.0/8', 'g')}`, /^f\.conf:10: dynamic-neighbors\[0\]\.config\.peer-group: peer group "g" sets no peer-as/],
    [`${base}[global.use-multiple-paths.config]\nenabled = "yes"\n`, /^f\.conf:5: global\.use-multiple-paths\.config\.enabled: expected true or false, got "yes"$/],
    [`${base}[global.use-multiple-paths.ebgp.config]\nmaximum-paths = 0\n`, /^f\.conf:5: global\.use-multiple-paths\.ebgp\.config\.maximum-paths: expected an integer from 1 to 1024, got 0$/],
    [`${base}[global.use-multiple-paths.ebgp.config]\nallow-multiple-as = 1\n`, /^f\.conf:5: global\.use-multiple-paths\.ebgp\.config\.allow-multiple-as: expected true or false, got 1$/],
    [`${base}[global.use-multiple-paths.ibgp.config]\nallow-multiple-as = true\n`, /^f\.conf:5: global\.use-multiple-paths\.ibgp\.config\.allow-multiple-as: unknown key$/],
    [`${base}[global.use-multiple-paths.ibgp.config]\nmaximum-paths = 2000\n`, /^f\.conf:5: global\.use-multiple-paths\.ibgp\.config\.maximum-paths: expected an integer from 1 to 1024, got 2000$/],
  ];
  for (const [text, pattern] of cases) rejects(text, pattern);
});

test('YAML with a map or a list as a key is refused with file and place', () => {
  assert.throws(() => parseConfig('global:\n  ? [a]\n  : 1\n', 'yaml', 'rt.yaml'), (err: unknown) => err instanceof ConfigError && /^rt\.yaml:2:5: invalid YAML: a map key/.test(err.message));
});
