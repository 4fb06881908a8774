import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredAnnouncements, type AnnounceInput } from './announcer.js';
import { parseResources, type Resource } from './resources.js';
import { ResourceStore } from './store.js';

function input(text: string): AnnounceInput {
  const r = parseResources(text, 'test.yaml');
  assert.deepEqual(r.errors.map((e) => e.message), []);
  const store = new ResourceStore();
  store.replaceAll(r.resources as Resource[]);
  return store.snapshot();
}

const base = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lab-pool, namespace: metallb-system, labels: { tier: lab } }
spec: { addresses: [172.17.254.0/24, "2001:db8:254::/64"] }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: rt-01, namespace: metallb-system }
spec: { myASN: 64522, peerASN: 64512, peerAddress: 172.17.0.1 }
`;

const service = (name: string, ip: string, policy = 'Cluster'): string => `---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default }
spec: { type: LoadBalancer, externalTrafficPolicy: ${policy}, ports: [{ port: 80 }] }
status: { loadBalancer: { ingress: [{ ip: "${ip}" }] } }
`;

const endpoints = (svc: string, list: readonly [string, boolean][]): string => `---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${svc}-x, namespace: default, labels: { kubernetes.io/service-name: ${svc} } }
endpoints:
${list.map(([node, ready]) => `  - { addresses: [10.244.0.1], nodeName: ${node}, conditions: { ready: ${ready} } }`).join('\n')}
`;

const prefixesFor = (i: AnnounceInput, node: string, peer = 'metallb-system/rt-01'): string[] => [...(desiredAnnouncements(i, node).peers.get(peer)?.routes.keys() ?? [])].sort();

test('no BGPAdvertisement: every address as a host route to every peer (the scenario)', () => {
  const i = input(base + service('nginx', '172.17.254.1') + service('v6', '2001:db8:254::5') + endpoints('nginx', [['k8s-node-02', true]]) + endpoints('v6', [['k8s-node-01', true]]));
  for (const node of ['k8s-node-01', 'k8s-node-02', 'k8s-node-03']) assert.deepEqual(prefixesFor(i, node), ['172.17.254.1/32', '2001:db8:254::5/128']);
  const route = desiredAnnouncements(i, 'k8s-node-01').peers.get('metallb-system/rt-01')!.routes.get('172.17.254.1/32')!;
  assert.deepEqual(route.communities, []);
  assert.equal(route.localPref, undefined);
  assert.deepEqual(route.services, ['default/nginx']);
});

test('Cluster: announced by every node while any endpoint is ready, by none when none is', () => {
  const ready = input(base + service('nginx', '172.17.254.1') + endpoints('nginx', [['k8s-node-01', false], ['k8s-node-02', true]]));
  assert.deepEqual(prefixesFor(ready, 'k8s-node-03'), ['172.17.254.1/32']);
  const none = input(base + service('nginx', '172.17.254.1') + endpoints('nginx', [['k8s-node-01', false]]));
  assert.deepEqual(prefixesFor(none, 'k8s-node-01'), []);
  const noSlice = input(base + service('nginx', '172.17.254.1'));
  assert.deepEqual(prefixesFor(noSlice, 'k8s-node-01'), []);
});

test('Local: only nodes with a ready endpoint of the Service announce', () => {
  const i = input(base + service('nginx', '172.17.254.1', 'Local') + endpoints('nginx', [['k8s-node-01', true], ['k8s-node-02', false]]));
  assert.deepEqual(prefixesFor(i, 'k8s-node-01'), ['172.17.254.1/32']);
  assert.deepEqual(prefixesFor(i, 'k8s-node-02'), []);
  assert.deepEqual(prefixesFor(i, 'k8s-node-03'), []);
});

test('an unschedulable, tainted or excluded node announces nothing (its sessions stay)', () => {
  const svc = service('nginx', '172.17.254.1') + endpoints('nginx', [['k8s-node-01', true]]);
  const node = (extra: string): string => `---\napiVersion: v1\nkind: Node\nmetadata: { name: k8s-node-01${extra.startsWith('labels') ? `, ${extra}` : ''} }\n${extra.startsWith('labels') ? '' : extra}\n`;
  for (const extra of ['spec: { unschedulable: true }', 'spec: { taints: [{ key: node.kubernetes.io/unschedulable, effect: NoSchedule }] }', 'labels: { node.kubernetes.io/exclude-from-external-load-balancers: "" }']) {
    const r = desiredAnnouncements(input(base + svc + node(extra)), 'k8s-node-01');
    assert.equal(r.isNodeWithdrawn, true, extra);
    assert.equal(r.peers.get('metallb-system/rt-01')?.routes.size, 0, extra);
  }
  assert.equal(desiredAnnouncements(input(base + svc + node('spec: {}')), 'k8s-node-01').isNodeWithdrawn, false);
});

test('BGPPeer nodeSelectors choose which nodes speak to it', () => {
  const peers = `---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: rack-a, namespace: metallb-system }
spec:
  myASN: 64522
  peerASN: 64512
  peerAddress: 10.0.0.1
  nodeSelectors: [{ matchExpressions: [{ key: rack, operator: In, values: [a] }] }]
---
apiVersion: v1
kind: Node
metadata: { name: k8s-node-01, labels: { rack: a } }
`;
  const i = input(base + peers);
  assert.deepEqual([...desiredAnnouncements(i, 'k8s-node-01').peers.keys()].sort(), ['metallb-system/rack-a', 'metallb-system/rt-01']);
  assert.deepEqual([...desiredAnnouncements(i, 'k8s-node-02').peers.keys()], ['metallb-system/rt-01']);
  const byHost = input(base.replace('peerAddress: 172.17.0.1 }', 'peerAddress: 172.17.0.1, nodeSelectors: [{ matchLabels: { kubernetes.io/hostname: k8s-node-02 } }] }'));
  assert.deepEqual([...desiredAnnouncements(byHost, 'k8s-node-02').peers.keys()], ['metallb-system/rt-01'], 'the hostname label exists without a Node resource');
  assert.deepEqual([...desiredAnnouncements(byHost, 'k8s-node-01').peers.keys()], []);
});

test('advertisements: pool selection, aggregation, communities (literal and named), localPref to iBGP only, peers, nodeSelectors', () => {
  const ibgp = `---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: rr, namespace: metallb-system }
spec: { myASN: 64522, peerASN: 64522, peerAddress: 172.17.0.10 }
---
apiVersion: metallb.io/v1beta1
kind: Community
metadata: { name: names, namespace: metallb-system }
spec: { communities: [{ name: no-export, value: "65535:65281" }] }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: host, namespace: metallb-system }
spec: { ipAddressPoolSelectors: [{ matchLabels: { tier: lab } }], localPref: 150, communities: [no-export, "large:64522:1:2"] }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: agg, namespace: metallb-system }
spec: { ipAddressPools: [lab-pool], aggregationLength: 24, aggregationLengthV6: 64, communities: ["64522:100"], peers: [rr] }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: elsewhere, namespace: metallb-system }
spec: { ipAddressPools: [lab-pool], aggregationLength: 16, nodeSelectors: [{ matchLabels: { kubernetes.io/hostname: k8s-node-09 } }] }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: otherpool, namespace: metallb-system }
spec: { ipAddressPools: [nope], aggregationLength: 8 }
`;
  const i = input(base + ibgp + service('a', '172.17.254.1') + service('b', '172.17.254.2') + service('c', '2001:db8:254::9') + endpoints('a', [['n', true]]) + endpoints('b', [['n', true]]) + endpoints('c', [['n', true]]));
  const r = desiredAnnouncements(i, 'k8s-node-01');
  assert.deepEqual(r.problems, []);
  const rt = r.peers.get('metallb-system/rt-01')!.routes;
  const rr = r.peers.get('metallb-system/rr')!.routes;
  assert.deepEqual([...rt.keys()].sort(), ['172.17.254.1/32', '172.17.254.2/32', '2001:db8:254::9/128']);
  assert.deepEqual([...rr.keys()].sort(), ['172.17.254.0/24', '172.17.254.1/32', '172.17.254.2/32', '2001:db8:254::/64', '2001:db8:254::9/128']);
  const host = rt.get('172.17.254.1/32')!;
  assert.equal(host.localPref, undefined, 'no LOCAL_PREF to an external peer');
  assert.deepEqual(host.communities, [0xffffff01]);
  assert.deepEqual(host.largeCommunities, [[64522, 1, 2]]);
  assert.equal(rr.get('172.17.254.1/32')!.localPref, 150, 'LOCAL_PREF to the internal peer');
  const agg = rr.get('172.17.254.0/24')!;
  assert.deepEqual(agg.communities, [64522 * 65536 + 100]);
  assert.deepEqual(agg.services, ['default/a', 'default/b'], 'both Services behind the aggregate');
  assert.equal(agg.localPref, undefined);
});

test('an unknown community name or peer name is reported, the rest still announced', () => {
  const ad = `---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: ad, namespace: metallb-system }
spec: { communities: [missing-name], peers: [ghost, rt-01] }
`;
  const r = desiredAnnouncements(input(base + ad + service('a', '172.17.254.1') + endpoints('a', [['n', true]])), 'k8s-node-01');
  assert.deepEqual(r.problems.map((p) => p.field), ['spec.communities[0]', 'spec.peers']);
  assert.deepEqual([...r.peers.get('metallb-system/rt-01')!.routes.keys()], ['172.17.254.1/32']);
});
