import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddress } from '../lib/address.js';
import { Origin } from '../wire/attributes/types.js';
import { makeContext, makeRoute, sequence } from '../policy/test-support.js';
import { ConfigError, dynamicNeighborConfig, parseConfig, type DaemonConfig } from './config.js';
import { assignmentSignature, neighborPolicies, noDaemonPolicy } from './policy-config.js';

// The scenario's router (docs/policy.md): LoadBalancer prefixes from the k8s speakers at
// LOCAL_PREF 200, nothing else; towards the upstream neighbor, MED 77 and a community.
const policyToml = `[global.config]
  as = 64512
  router-id = "172.17.0.1"
[global.apply-policy.config]
  import-policy-list = ["k8s-in"]
  default-import-policy = "reject-route"

[[peer-groups]]
  [peer-groups.config]
    peer-group-name = "k8s"
    peer-as = 64522
  [peer-groups.apply-policy.config]
    export-policy-list = ["nothing-out"]

[[dynamic-neighbors]]
  [dynamic-neighbors.config]
    prefix = "172.17.0.0/24"
    peer-group = "k8s"

[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.0.0.2"
    peer-as = 65000
  [neighbors.apply-policy.config]
    import-policy-list = []
    default-import-policy = "accept-route"
    export-policy-list = ["upstream-out"]

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

[[policy-definitions]]
  name = "upstream-out"
  [[policy-definitions.statements]]
    name = "mark"
    [policy-definitions.statements.actions.bgp-actions]
      set-med = "77"
      [policy-definitions.statements.actions.bgp-actions.set-community]
        options = "add"
        [policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]
          communities-list = ["64512:77"]

[[policy-definitions]]
  name = "nothing-out"
  [[policy-definitions.statements]]
    name = "drop"
    [policy-definitions.statements.actions]
      route-disposition = "reject-route"
`;

const policyYaml = `global:
  config: { as: 64512, router-id: 172.17.0.1 }
  apply-policy:
    config:
      import-policy-list: [k8s-in]
      default-import-policy: reject-route
peer-groups:
  - config: { peer-group-name: k8s, peer-as: 64522 }
    apply-policy:
      config: { export-policy-list: [nothing-out] }
dynamic-neighbors:
  - config: { prefix: 172.17.0.0/24, peer-group: k8s }
neighbors:
  - config: { neighbor-address: 10.0.0.2, peer-as: 65000 }
    apply-policy:
      config:
        import-policy-list: []
        default-import-policy: accept-route
        export-policy-list: [upstream-out]
defined-sets:
  prefix-sets:
    - prefix-set-name: lb-pool
      prefix-list:
        - { ip-prefix: 172.17.254.0/24, masklength-range: "24..32" }
  neighbor-sets:
    - { neighbor-set-name: k8s, neighbor-info-list: [172.17.0.0/24] }
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
  - name: upstream-out
    statements:
      - name: mark
        actions:
          bgp-actions:
            set-med: "77"
            set-community:
              options: add
              set-community-method: { communities-list: ["64512:77"] }
  - name: nothing-out
    statements:
      - name: drop
        actions: { route-disposition: reject-route }
`;

const attributes = { origin: Origin.incomplete, asPath: sequence(64522) };

/** What each of a config's peers gets: the speaker from the range, and the upstream neighbor. */
function check(c: DaemonConfig): void {
  const policy = c.policy ?? noDaemonPolicy;
  const speaker = dynamicNeighborConfig(c, '172.17.0.21')!.neighbor;
  const fromSpeaker = neighborPolicies(policy, speaker);
  const node = makeContext('172.17.0.21');
  const lb = fromSpeaker.import.apply(makeRoute('172.17.254.1/32', attributes, '172.17.0.21'), node);
  assert.equal(lb?.attributes.localPref, 200);
  assert.equal(fromSpeaker.import.apply(makeRoute('10.244.1.0/24', attributes, '172.17.0.21'), node), undefined, 'the pod network: default reject-route');
  assert.equal(fromSpeaker.export.apply(makeRoute('172.17.254.0/24', attributes), node), undefined, "the group's export policy");

  const upstream = neighborPolicies(policy, c.neighbors[0]!);
  const ctx = makeContext('10.0.0.2');
  const any = makeRoute('10.244.1.0/24', attributes);
  assert.equal(upstream.import.apply(any, ctx), any, "the neighbor's own import keys replace global's");
  assert.equal(upstream.import.isPassThrough, true);
  const out = upstream.export.apply(makeRoute('10.1.0.0/24', attributes), ctx)!;
  assert.equal(out.attributes.med, 77);
  assert.deepEqual(out.attributes.communities, [((64512 << 16) | 77) >>> 0]);
}

test('defined-sets, policy-definitions and apply-policy of global, peer groups and neighbors, in TOML and YAML', () => {
  const t = parseConfig(policyToml, 'toml', 'p.toml');
  const y = parseConfig(policyYaml, 'yaml', 'p.yaml');
  assert.deepEqual(t.warnings, []);
  check(t);
  check(y);
  // No session setting changed by the policies: a neighbor's session is the same without them.
  assert.equal(t.neighbors[0]!.peerAs, 65000);
  assert.equal(Object.keys(t.neighbors[0]!).includes('policy'), false);
});

test("a policy change shows in the assignment's signature; a peer without policies ignores the definitions", () => {
  const a = parseConfig(policyToml, 'toml', 'p.toml');
  const b = parseConfig(policyToml.replace('set-med = "77"', 'set-med = "78"'), 'toml', 'p.toml');
  const sig = (c: DaemonConfig, n: DaemonConfig['neighbors'][number]) => {
    const p = neighborPolicies(c.policy!, n);
    return [assignmentSignature(c.policy!, p.import), assignmentSignature(c.policy!, p.export)];
  };
  const [aImport, aExport] = sig(a, a.neighbors[0]!);
  const [bImport, bExport] = sig(b, b.neighbors[0]!);
  assert.equal(aImport, 'accept');
  assert.equal(bImport, 'accept');
  assert.notEqual(aExport, bExport);
  assert.deepEqual(sig(a, a.neighbors[0]!), sig(parseConfig(policyToml, 'toml', 'p.toml'), a.neighbors[0]!));
});

const base = '[global.config]\nas = 64512\nrouter-id = "10.0.0.1"\n';

test('a policy error names the file, the line and the key, in TOML and YAML', () => {
  const rejects = (text: string, pattern: RegExp, type: 'toml' | 'yaml' = 'toml', allowUnsupported = false) =>
    assert.throws(() => parseConfig(text, type, 'f.conf', { allowUnsupported }), (err: unknown) => err instanceof ConfigError && pattern.test(err.message) && (err.cause !== undefined || /unknown key|not supported/.test(err.message)));
  const statement = (lines: string) => `${base}[[policy-definitions]]\nname = "p"\n[[policy-definitions.statements]]\nname = "s"\n${lines}`;
  rejects(statement('[policy-definitions.statements.actions.bgp-actions]\nset-med = "+-10"\n'), /^f\.conf:9: policy-definitions\[0\]\.statements\[0\]\.actions\.bgp-actions\.set-med: expected "VALUE" to set, "\+VALUE" or "-VALUE" .*got "\+-10"$/);
  rejects(statement('[policy-definitions.statements.conditions.match-prefix-set]\nprefix-set = "nope"\n'), /^f\.conf:9: policy-definitions\[0\]\.statements\[0\]\.conditions\.match-prefix-set\.prefix-set: .*nope/);
  rejects(`${base}[global.apply-policy.config]\nimport-policy-list = ["missing"]\n`, /^f\.conf:5: global\.apply-policy\.config\.import-policy-list\[0\]: unknown policy "missing"/);
  rejects(
    `${base}[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-as = 2\n[neighbors.apply-policy.config]\ndefault-export-policy = "drop"\n`,
    /^f\.conf:9: neighbors\[0\]\.apply-policy\.config\.default-export-policy: expected "accept-route" or "reject-route", got "drop"$/,
  );
  rejects(
    `${base}[[peer-groups]]\n[peer-groups.config]\npeer-group-name = "g"\n[peer-groups.apply-policy.config]\nexport-policy-list = ["x"]\n`,
    /^f\.conf:8: peer-groups\[0\]\.apply-policy\.config\.export-policy-list\[0\]: unknown policy "x" \(no \[\[policy-definitions\]\] defined\)$/,
  );
  rejects(`${base}[[defined-sets.prefix-sets]]\nprefix-set-name = "a"\n[[defined-sets.prefix-sets.prefix-list]]\nip-prefix = "10.1.1.1/24"\n`, /^f\.conf:7: defined-sets\.prefix-sets\[0\]\.prefix-list\[0\]\.ip-prefix: /);
  // Keys a policy cannot skip are errors even with --allow-unsupported.
  rejects(statement('[policy-definitions.statements.conditions]\ncall-policy = "q"\n'), /^f\.conf:9: policy-definitions\[0\]\.statements\[0\]\.conditions\.call-policy: not supported/, 'toml', true);
  rejects('global:\n  config: { as: 1, router-id: 1.1.1.1 }\npolicy-definitions:\n  - name: p\n    statements:\n      - actions:\n          bgp-actions:\n            set-local-pref: -1\n', /^f\.conf:8: policy-definitions\[0\]\.statements\[0\]\.actions\.bgp-actions\.set-local-pref: expected /, 'yaml');
  // A family's apply-policy (gobgpd's per-AFI policies) is still refused.
  rejects(`${base}[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-as = 2\n[[neighbors.afi-safis]]\n[neighbors.afi-safis.config]\nafi-safi-name = "ipv4-unicast"\n[neighbors.afi-safis.apply-policy.config]\nimport-policy-list = []\n`, /^f\.conf:11: neighbors\[0\]\.afi-safis\[0\]\.apply-policy: not supported/);
});

test('a configuration without policy keys has no policies: every peer passes everything', () => {
  const c = parseConfig(`${base}[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-as = 2\n`, 'toml', 'f.conf');
  const p = neighborPolicies(c.policy!, c.neighbors[0]!);
  assert.equal(p.import.isPassThrough, true);
  assert.equal(p.export.isPassThrough, true);
  assert.equal(parseAddress(c.neighbors[0]!.address).length, 4);
});
