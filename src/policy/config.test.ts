import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { parseAddress } from '../lib/address.js';
import { AsPathPrependAction, CommunityAction, ExtCommunityAction, LargeCommunityAction, NextHopAction, SetLocalPrefAction, SetMedAction } from './actions.js';
import { AsPathCondition, AsPathLengthCondition, CommunityCondition, ExtCommunityCondition, LargeCommunityCondition, NeighborCondition, PrefixCondition } from './conditions.js';
import { PolicyConfigError, parseApplyPolicy, parsePolicyConfig, peerPolicies } from './config.js';
import { Disposition } from './policy.js';
import { parseExtCommunity } from './sets.js';
import { makeContext, makeRoute, sequence } from './test-support.js';

const comm = (high: number, low: number): number => high * 65536 + low;

// The scenario: rt-01 takes from the k8s speakers only addresses of the LoadBalancer
// pool, prefers them, and sends the client LAN nothing of the cluster's other routes.
const scenario = `
[global.config]
  as = 64512
  router-id = "172.17.0.1"
[global.apply-policy.config]
  import-policy-list = ["k8s-in"]
  default-import-policy = "reject-route"

[[defined-sets.prefix-sets]]
  prefix-set-name = "lb-pool"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "172.17.254.0/24"
    masklength-range = "24..32"
[[defined-sets.neighbor-sets]]
  neighbor-set-name = "k8s"
  neighbor-info-list = ["172.17.0.0/24"]

[[policy-definitions]]
  name = "k8s-in"
  [[policy-definitions.statements]]
    name = "lb-from-k8s"
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "lb-pool"
    [policy-definitions.statements.conditions.match-neighbor-set]
      neighbor-set = "k8s"
    [policy-definitions.statements.actions]
      route-disposition = "accept-route"
    [policy-definitions.statements.actions.bgp-actions]
      set-local-pref = 200
`;

test('the scenario: accept only the pool, le 32, from the k8s group, with LOCAL_PREF 200', () => {
  const config = parsePolicyConfig(parseToml(scenario));
  const { import: imp, export: exp } = peerPolicies(config.global);
  const node = makeContext('172.17.0.21');
  const accepted = imp.evaluate(makeRoute('172.17.254.1/32', { asPath: sequence(64522) }, '172.17.0.21'), node);
  assert.equal(accepted.accepted, true);
  assert.equal(accepted.attributes.localPref, 200);
  assert.equal(accepted.decidedBy, 'lb-from-k8s');
  assert.equal(imp.apply(makeRoute('10.244.1.0/24'), node), undefined, 'the pod network is not taken');
  assert.equal(imp.apply(makeRoute('172.17.254.1/32'), makeContext('172.17.1.10')), undefined, 'the pool from outside the k8s group is not taken');
  assert.equal(imp.apply(makeRoute('172.17.254.0/23'), node), undefined, 'shorter than /24 is not in the pool');
  assert.equal(exp.isPassThrough, true, 'no export policy: everything goes out unchanged');
});

test('the same policy written in YAML gives the same answers', () => {
  const yaml = `
global:
  config: { as: 64512, router-id: 172.17.0.1 }
  apply-policy:
    config:
      import-policy-list: [k8s-in]
      default-import-policy: reject-route
defined-sets:
  prefix-sets:
    - prefix-set-name: lb-pool
      prefix-list:
        - { ip-prefix: 172.17.254.0/24, masklength-range: "24..32" }
  neighbor-sets:
    - neighbor-set-name: k8s
      neighbor-info-list: [172.17.0.0/24]
policy-definitions:
  - name: k8s-in
    statements:
      - name: lb-from-k8s
        conditions:
          match-prefix-set: { prefix-set: lb-pool }
          match-neighbor-set: { neighbor-set: k8s }
        actions:
          route-disposition: accept-route
          bgp-actions: { set-local-pref: 200 }
`;
  const { import: imp } = peerPolicies(parsePolicyConfig(parseYaml(yaml)).global);
  const node = makeContext('172.17.0.22');
  assert.equal(imp.evaluate(makeRoute('172.17.254.7/32'), node).attributes.localPref, 200);
  assert.equal(imp.apply(makeRoute('172.17.253.7/32'), node), undefined);
});

const everything = `
[[defined-sets.prefix-sets]]
  prefix-set-name = "v6"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "2001:db8::/32"
    masklength-range = "48..64"
[[defined-sets.neighbor-sets]]
  neighbor-set-name = "one"
  neighbor-info-list = ["10.0.255.1", "2001:db8::1"]
[[defined-sets.bgp-defined-sets.as-path-sets]]
  as-path-set-name = "from-65001"
  as-path-list = ["^65001_", "_65002$"]
[[defined-sets.bgp-defined-sets.community-sets]]
  community-set-name = "c"
  community-list = ["65001:100", "^65002:.*$"]
[[defined-sets.bgp-defined-sets.ext-community-sets]]
  ext-community-set-name = "e"
  ext-community-list = ["RT:65001:100"]
[[defined-sets.bgp-defined-sets.large-community-sets]]
  large-community-set-name = "l"
  large-community-list = ["65001:0:1"]

[[policy-definitions]]
  name = "all-keys"
  [[policy-definitions.statements]]
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "v6"
      match-set-options = "invert"
    [policy-definitions.statements.conditions.match-neighbor-set]
      neighbor-set = "one"
      match-set-options = "any"
    [policy-definitions.statements.conditions.bgp-conditions.match-as-path-set]
      as-path-set = "from-65001"
      match-set-options = "all"
    [policy-definitions.statements.conditions.bgp-conditions.match-community-set]
      community-set = "c"
      match-set-options = "any"
    [policy-definitions.statements.conditions.bgp-conditions.match-ext-community-set]
      ext-community-set = "e"
      match-set-options = "invert"
    [policy-definitions.statements.conditions.bgp-conditions.match-large-community-set]
      large-community-set = "l"
    [policy-definitions.statements.conditions.bgp-conditions.as-path-length]
      operator = "le"
      value = 4
    [policy-definitions.statements.actions.bgp-actions]
      set-med = "-200"
      set-local-pref = 110
      set-next-hop = "self"
      [policy-definitions.statements.actions.bgp-actions.set-as-path-prepend]
        as = "last-as"
        repeat-n = 2
      [policy-definitions.statements.actions.bgp-actions.set-community]
        options = "ADD"
        [policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]
          communities-list = ["65100:20", "no-export"]
      [policy-definitions.statements.actions.bgp-actions.set-ext-community]
        options = "replace"
        [policy-definitions.statements.actions.bgp-actions.set-ext-community.set-ext-community-method]
          communities-list = ["RT:65100:1"]
      [policy-definitions.statements.actions.bgp-actions.set-large-community]
        options = "remove"
        [policy-definitions.statements.actions.bgp-actions.set-large-community.set-large-community-method]
          communities-list = ["^65001:0:.*$"]
  [[policy-definitions.statements]]
    name = "rest"
    [policy-definitions.statements.conditions.match-neighbor-set]
      neighbor-set = "one"
      match-set-options = "invert"
    [policy-definitions.statements.actions]
      route-disposition = "reject-route"
`;

test('every supported key is read into its condition or action', () => {
  const config = parsePolicyConfig(parseToml(everything));
  const policy = config.policies.get('all-keys')!;
  assert.deepEqual(policy.statements.map((s) => s.name), ['all-keys_stmt0', 'rest']);
  const [first, rest] = policy.statements;
  assert.deepEqual(first!.conditions.map((c) => c.constructor), [PrefixCondition, NeighborCondition, AsPathCondition, CommunityCondition, ExtCommunityCondition, LargeCommunityCondition, AsPathLengthCondition]);
  assert.deepEqual(first!.conditions.map((c) => ('option' in c ? c.option : undefined)), ['invert', 'any', 'all', 'any', 'invert', 'any', undefined]);
  assert.deepEqual(first!.actions.map((a) => a.constructor), [CommunityAction, ExtCommunityAction, LargeCommunityAction, SetMedAction, SetLocalPrefAction, AsPathPrependAction, NextHopAction]);
  assert.equal(first!.disposition, Disposition.none);
  assert.equal(rest!.disposition, Disposition.reject);

  const a = peerPolicies({ importPolicies: [policy] }).import;
  const route = makeRoute('10.1.0.0/16', {
    med: 250,
    asPath: sequence(65001, 65002),
    communities: [comm(65002, 9)],
    largeCommunities: [[65001, 0, 1], [7, 7, 7]],
    nextHop: parseAddress('10.0.255.1'),
  }, '10.0.255.1');
  const out = a.evaluate(route, makeContext('10.0.255.1', '10.0.255.254'));
  assert.equal(out.accepted, true, 'the first statement has no disposition and the default accepts');
  assert.equal(out.attributes.med, 50);
  assert.equal(out.attributes.localPref, 110);
  assert.deepEqual(out.attributes.asPath, sequence(65001, 65001, 65001, 65002));
  assert.deepEqual(out.attributes.communities, [comm(65002, 9), comm(65100, 20), 0xffffff01]);
  assert.deepEqual(out.attributes.extCommunities, [parseExtCommunity('RT:65100:1')]);
  assert.deepEqual(out.attributes.largeCommunities, [[7, 7, 7]]);
  assert.deepEqual(out.nextHop, parseAddress('10.0.255.254'));
  assert.equal(a.apply(route, makeContext('10.0.255.2')), undefined, 'from another neighbor the second statement rejects it');
});

test('apply-policy layers: a neighbor\'s keys replace the global ones one by one', () => {
  const config = parsePolicyConfig(parseToml(`${everything}
[[policy-definitions]]
  name = "other"
[global.apply-policy.config]
  import-policy-list = ["all-keys"]
  default-import-policy = "reject-route"
  export-policy-list = ["other"]
`));
  const neighbor = parseApplyPolicy({ config: { 'import-policy-list': ['other'] } }, 'neighbors[0].apply-policy', config.policies);
  const p = peerPolicies(neighbor, undefined, config.global);
  assert.deepEqual(p.import.policies.map((x) => x.name), ['other']);
  assert.equal(p.import.defaultDisposition, Disposition.reject, 'the default still comes from global');
  assert.deepEqual(p.export.policies.map((x) => x.name), ['other']);
  assert.equal(p.export.defaultDisposition, Disposition.accept, 'gobgpd\'s default');
  const none = peerPolicies();
  assert.equal(none.import.isPassThrough && none.export.isPassThrough, true);
});

interface BadCase {
  readonly label: string;
  readonly toml: string;
  readonly keyPath: string;
  readonly problem: RegExp;
}

const prefixSet = `
[[defined-sets.prefix-sets]]
  prefix-set-name = "ps"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "10.0.0.0/8"
`;

const statementWith = (body: string): string => `${prefixSet}
[[policy-definitions]]
  name = "p"
  [[policy-definitions.statements]]
    name = "s"
${body}`;

const bad: readonly BadCase[] = [
  {
    label: 'a bad masklength-range',
    toml: `[[defined-sets.prefix-sets]]\nprefix-set-name = "x"\n[[defined-sets.prefix-sets.prefix-list]]\nip-prefix = "10.0.0.0/16"\nmasklength-range = "8..12"\n`,
    keyPath: 'defined-sets.prefix-sets[0].prefix-list[0].masklength-range',
    problem: /expected "MIN\.\.MAX" .* got "8\.\.12"/,
  },
  {
    label: 'a prefix with host bits',
    toml: `[[defined-sets.prefix-sets]]\nprefix-set-name = "x"\n[[defined-sets.prefix-sets.prefix-list]]\nip-prefix = "10.0.0.1/8"\n`,
    keyPath: 'defined-sets.prefix-sets[0].prefix-list[0].ip-prefix',
    problem: /host bits/,
  },
  {
    label: 'mixed families in a prefix set',
    toml: `[[defined-sets.prefix-sets]]\nprefix-set-name = "x"\n[[defined-sets.prefix-sets.prefix-list]]\nip-prefix = "10.0.0.0/8"\n[[defined-sets.prefix-sets.prefix-list]]\nip-prefix = "2001:db8::/32"\n`,
    keyPath: 'defined-sets.prefix-sets[0].prefix-list',
    problem: /one family/,
  },
  {
    label: 'a duplicate set name',
    toml: `${prefixSet}${prefixSet}`,
    keyPath: 'defined-sets.prefix-sets[1].prefix-set-name',
    problem: /duplicate prefix set "ps" \(also defined-sets\.prefix-sets\[0\]\.prefix-set-name\)/,
  },
  {
    label: 'a bad neighbor',
    toml: `[[defined-sets.neighbor-sets]]\nneighbor-set-name = "n"\nneighbor-info-list = ["10.0.0.300"]\n`,
    keyPath: 'defined-sets.neighbor-sets[0].neighbor-info-list[0]',
    problem: /expected an IP address or prefix/,
  },
  {
    label: 'a bad AS path expression',
    toml: `[[defined-sets.bgp-defined-sets.as-path-sets]]\nas-path-set-name = "a"\nas-path-list = ["^65001_", "(65001"]\n`,
    keyPath: 'defined-sets.bgp-defined-sets.as-path-sets[0].as-path-list[1]',
    problem: /AS path regular expression/,
  },
  {
    label: 'a bad ext community',
    toml: `[[defined-sets.bgp-defined-sets.ext-community-sets]]\next-community-set-name = "e"\next-community-list = ["XX:1:1"]\n`,
    keyPath: 'defined-sets.bgp-defined-sets.ext-community-sets[0].ext-community-list[0]',
    problem: /RT:ASN:VALUE/,
  },
  {
    label: 'an unknown key',
    toml: `[[defined-sets.prefix-sets]]\nprefix-set-name = "x"\nprefix-lsit = []\n`,
    keyPath: 'defined-sets.prefix-sets[0].prefix-lsit',
    problem: /unknown key/,
  },
  {
    label: 'an unknown set',
    toml: statementWith(`    [policy-definitions.statements.conditions.match-prefix-set]\n      prefix-set = "nope"\n`),
    keyPath: 'policy-definitions[0].statements[0].conditions.match-prefix-set.prefix-set',
    problem: /unknown prefix set "nope" \(defined: "ps"\)/,
  },
  {
    label: '"all" on a prefix set',
    toml: statementWith(`    [policy-definitions.statements.conditions.match-prefix-set]\n      prefix-set = "ps"\n      match-set-options = "all"\n`),
    keyPath: 'policy-definitions[0].statements[0].conditions.match-prefix-set.match-set-options',
    problem: /expected "any" or "invert", got "all"/,
  },
  {
    label: 'an unsupported condition',
    toml: statementWith(`    [policy-definitions.statements.conditions.bgp-conditions]\n      rpki-validation-result = "invalid"\n`),
    keyPath: 'policy-definitions[0].statements[0].conditions.bgp-conditions.rpki-validation-result',
    problem: /not supported by tsbgpd yet/,
  },
  {
    label: 'a bad set-med',
    toml: statementWith(`    [policy-definitions.statements.actions.bgp-actions]\n      set-med = "+-10"\n`),
    keyPath: 'policy-definitions[0].statements[0].actions.bgp-actions.set-med',
    problem: /expected "VALUE" to set, "\+VALUE" or "-VALUE".* got "\+-10"/,
  },
  {
    label: 'a bad route-disposition',
    toml: statementWith(`    [policy-definitions.statements.actions]\n      route-disposition = "accept"\n`),
    keyPath: 'policy-definitions[0].statements[0].actions.route-disposition',
    problem: /expected "accept-route", "reject-route" or "none", got "accept"/,
  },
  {
    label: 'a bad community to add',
    toml: statementWith(`    [policy-definitions.statements.actions.bgp-actions.set-community]\n      options = "add"\n      [policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]\n        communities-list = ["65001:100", "70000:1"]\n`),
    keyPath: 'policy-definitions[0].statements[0].actions.bgp-actions.set-community.set-community-method.communities-list[1]',
    problem: /got "70000:1"/,
  },
  {
    label: 'a bad community option',
    toml: statementWith(`    [policy-definitions.statements.actions.bgp-actions.set-community]\n      options = "append"\n`),
    keyPath: 'policy-definitions[0].statements[0].actions.bgp-actions.set-community.options',
    problem: /expected "add", "remove" or "replace", got "append"/,
  },
  {
    label: 'prepend without a count',
    toml: statementWith(`    [policy-definitions.statements.actions.bgp-actions.set-as-path-prepend]\n      as = "65001"\n`),
    keyPath: 'policy-definitions[0].statements[0].actions.bgp-actions.set-as-path-prepend.repeat-n',
    problem: /missing/,
  },
  {
    label: 'a next hop that is not an address',
    toml: statementWith(`    [policy-definitions.statements.actions.bgp-actions]\n      set-next-hop = "router"\n`),
    keyPath: 'policy-definitions[0].statements[0].actions.bgp-actions.set-next-hop',
    problem: /expected "self" or an IP address, got "router"/,
  },
  {
    label: 'a duplicate statement name across policies',
    toml: `${statementWith('')}\n[[policy-definitions]]\n  name = "q"\n  [[policy-definitions.statements]]\n    name = "s"\n`,
    keyPath: 'policy-definitions[1].statements[0].name',
    problem: /duplicate statement name "s"/,
  },
  {
    label: 'a duplicate policy name',
    toml: `[[policy-definitions]]\nname = "p"\n[[policy-definitions]]\nname = "p"\n`,
    keyPath: 'policy-definitions[1].name',
    problem: /duplicate policy "p"/,
  },
  {
    label: 'an unknown policy in apply-policy',
    toml: `[[policy-definitions]]\nname = "p"\n[global.apply-policy.config]\nimport-policy-list = ["p", "q"]\n`,
    keyPath: 'global.apply-policy.config.import-policy-list[1]',
    problem: /unknown policy "q" \(defined: "p"\)/,
  },
  {
    label: 'a policy listed twice',
    toml: `[[policy-definitions]]\nname = "p"\n[global.apply-policy.config]\nexport-policy-list = ["p", "p"]\n`,
    keyPath: 'global.apply-policy.config.export-policy-list[1]',
    problem: /duplicate policy "p"/,
  },
  {
    label: 'a bad default policy',
    toml: `[global.apply-policy.config]\ndefault-export-policy = "reject"\n`,
    keyPath: 'global.apply-policy.config.default-export-policy',
    problem: /expected "accept-route" or "reject-route", got "reject"/,
  },
];

for (const c of bad) {
  test(`configuration error: ${c.label}`, () => {
    assert.throws(
      () => parsePolicyConfig(parseToml(c.toml)),
      (err: unknown) => {
        assert.ok(err instanceof PolicyConfigError, String(err));
        assert.equal(err.keyPath, c.keyPath);
        assert.match(err.problem, c.problem);
        assert.equal(err.message, `${c.keyPath}: ${err.problem}`);
        return true;
      },
    );
  });
}

test('a wrong value carries what was expected and what came', () => {
  try {
    parsePolicyConfig(parseToml(`[global.apply-policy.config]\ndefault-import-policy = 3\n`));
    assert.fail('no error');
  } catch (err) {
    assert.ok(err instanceof PolicyConfigError);
    assert.equal(err.expected, '"accept-route" or "reject-route"');
    assert.equal(err.got, 3);
  }
});

test('no policy keys at all: no sets, no policies, accept everything', () => {
  const config = parsePolicyConfig(parseToml('[global.config]\nas = 1\nrouter-id = "1.1.1.1"\n'));
  assert.equal(config.policies.size, 0);
  assert.equal(config.definedSets.prefixSets.size, 0);
  assert.equal(peerPolicies(config.global).import.isPassThrough, true);
});

test('set-med accepts a bare number, as YAML writes it', () => {
  const config = parsePolicyConfig(parseYaml(`
policy-definitions:
  - name: p
    statements:
      - actions: { bgp-actions: { set-med: 100, set-as-path-prepend: { as: 65001, repeat-n: 1 } } }
`));
  const out = peerPolicies({ importPolicies: [config.policies.get('p')!] }).import.evaluate(makeRoute('10.0.0.0/8'), makeContext('10.0.0.1'));
  assert.equal(out.attributes.med, 100);
  assert.deepEqual(out.attributes.asPath, sequence(65001));
});
