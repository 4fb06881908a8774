import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration, parseResources, selectorMatches, type BgpAdvertisement, type BgpPeer, type IpAddressPool, type Node, type Service, type EndpointSlice } from './resources.js';
import { formatBigAddress } from './addresses.js';

const scenario = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lab-pool, namespace: metallb-system, labels: { tier: lab } }
spec:
  addresses: [172.17.254.0/24, "10.0.0.10-10.0.0.20", "2001:db8::/120"]
  autoAssign: false
  avoidBuggyIPs: true
  serviceAllocation:
    priority: 5
    namespaces: [web]
    serviceSelectors: [{ matchExpressions: [{ key: app, operator: In, values: [nginx] }] }]
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: rt-01, namespace: metallb-system }
spec:
  myASN: 64522
  peerASN: 64512
  peerAddress: 172.17.0.1
  peerPort: 1179
  holdTime: 1m30s
  keepaliveTime: 30s
  sourceAddress: 172.17.0.21
  password: secret
  ebgpMultiHop: true
  bfdProfile: fast
  nodeSelectors: [{ matchLabels: { kubernetes.io/hostname: k8s-node-01 } }]
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: lab, namespace: metallb-system }
spec:
  ipAddressPools: [lab-pool]
  aggregationLength: 24
  localPref: 200
  communities: ["65535:65282", vpn-only, "large:1:2:3"]
  peers: [rt-01]
---
apiVersion: v1
kind: Service
metadata:
  name: nginx
  namespace: web
  annotations:
    metallb.universe.tf/loadBalancerIPs: "172.17.254.7, 2001:db8::7"
    metallb.universe.tf/allow-shared-ip: shared
    metallb.universe.tf/address-pool: lab-pool
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  ipFamilies: [IPv4, IPv6]
  ports: [{ port: 80, protocol: TCP }]
  selector: { app: nginx }
status:
  loadBalancer:
    ingress: [{ ip: 172.17.254.7 }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: nginx-abc, namespace: web, labels: { kubernetes.io/service-name: nginx } }
addressType: IPv4
endpoints:
  - { addresses: [10.244.1.2], conditions: { ready: true }, nodeName: k8s-node-01 }
  - { addresses: [10.244.2.2], conditions: { ready: false }, nodeName: k8s-node-02 }
  - { addresses: [10.244.3.2], nodeName: k8s-node-03 }
---
apiVersion: v1
kind: Node
metadata: { name: k8s-node-02, labels: { kubernetes.io/hostname: k8s-node-02 } }
spec:
  taints: [{ key: node.kubernetes.io/unschedulable, effect: NoSchedule }]
status:
  addresses: [{ type: InternalIP, address: 172.17.0.22 }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: other }
`;

test('the scenario documents load with every field', () => {
  const r = parseResources(scenario, 'lab.yaml');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.skipped, ['lab.yaml document 7: kind ConfigMap']);
  const [pool, peer, ad, svc, eps, node] = r.resources as [IpAddressPool, BgpPeer, BgpAdvertisement, Service, EndpointSlice, Node];
  assert.equal(pool.ranges.length, 3);
  assert.equal(formatBigAddress(pool.ranges[0]!.first, false), '172.17.254.0');
  assert.equal(formatBigAddress(pool.ranges[0]!.last, false), '172.17.254.255');
  assert.equal(formatBigAddress(pool.ranges[1]!.last, false), '10.0.0.20');
  assert.equal(pool.ranges[2]!.isV6, true);
  assert.equal(pool.ranges[2]!.last - pool.ranges[2]!.first, 255n);
  assert.equal(pool.autoAssign, false);
  assert.equal(pool.avoidBuggyIPs, true);
  assert.equal(pool.serviceAllocation?.priority, 5);
  assert.deepEqual(pool.serviceAllocation?.namespaces, ['web']);
  assert.equal(peer.holdTimeSec, 90);
  assert.equal(peer.keepaliveSec, 30);
  assert.equal(peer.peerPort, 1179);
  assert.equal(peer.password, 'secret');
  assert.equal(peer.ebgpMultiHop, true);
  assert.equal(peer.bfdProfile, 'fast');
  assert.equal(peer.nodeSelectors.length, 1);
  assert.equal(ad.aggregationLength, 24);
  assert.equal(ad.aggregationLengthV6, 128);
  assert.equal(ad.localPref, 200);
  assert.deepEqual(ad.communities, ['65535:65282', 'vpn-only', 'large:1:2:3']);
  assert.deepEqual(svc.requestedIPs, ['172.17.254.7', '2001:db8::7']);
  assert.equal(svc.sharingKey, 'shared');
  assert.equal(svc.addressPool, 'lab-pool');
  assert.equal(svc.externalTrafficPolicy, 'Local');
  assert.deepEqual(svc.ipFamilies, ['IPv4', 'IPv6']);
  assert.deepEqual(svc.ingress, ['172.17.254.7']);
  assert.equal(eps.serviceName, 'nginx');
  assert.deepEqual(eps.endpoints.map((e) => e.isReady), [true, false, true], 'an unset ready condition means ready');
  assert.equal(node.isUnschedulable, true, 'the unschedulable taint');
  assert.deepEqual(node.internalIPs, ['172.17.0.22']);
});

test('v1beta1 BGPPeer is accepted; defaults fill in', () => {
  const r = parseResources('apiVersion: metallb.io/v1beta1\nkind: BGPPeer\nmetadata: {name: p}\nspec: {myASN: 1, peerASN: 2, peerAddress: "2001:db8::1"}\n', 'p.yaml');
  assert.deepEqual(r.errors, []);
  const p = r.resources[0] as BgpPeer;
  assert.equal(p.peerPort, 179);
  assert.equal(p.meta.namespace, 'default');
  assert.equal(p.holdTimeSec, undefined);
  assert.equal(p.ebgpMultiHop, false);
});

test('a bad document names file, document, kind/name and field; the others still load', () => {
  const text = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: good }
spec: { addresses: [10.0.0.0/24] }
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: bad, namespace: ms }
spec: { addresses: [10.0.0.0/24, 10.0.1.1/24] }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: nopeer }
spec: { myASN: 1, peerASN: 70000000000, peerAddress: 1.2.3.4 }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: slow }
spec: { myASN: 1, peerASN: 2, peerAddress: 1.2.3.4, holdTime: 90 seconds }
---
apiVersion: v9
kind: Service
metadata: { name: s }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: ad }
spec: { communities: ["70000:1"], nodeSelectors: [{ matchExpressions: [{ key: a, operator: Maybe }] }] }
---
key: [unclosed
`;
  const r = parseResources(text, 'dir/x.yaml');
  assert.deepEqual(r.resources.map((x) => x.meta.name), ['good']);
  const messages = r.errors.map((e) => e.message);
  assert.equal(messages.length, 6);
  assert.match(messages[0]!, /^dir\/x\.yaml document 2 \(IPAddressPool ms\/bad\): spec\.addresses\[1\]: host bits set/);
  assert.match(messages[1]!, /document 3 \(BGPPeer nopeer\): spec\.peerASN: expected a whole number 1\.\.4294967295/);
  assert.match(messages[2]!, /document 4 \(BGPPeer slow\): spec\.holdTime: not a duration/);
  assert.match(messages[3]!, /document 5 \(Service s\): apiVersion: expected v1/);
  assert.match(messages[4]!, /document 6 \(BGPAdvertisement ad\): spec\.communities\[0\]: standard community halves/);
  assert.match(messages[5]!, /document 7 .*YAML/);
  assert.equal(r.errors[1]!.field, 'spec.peerASN');
});

test('Go durations', () => {
  assert.equal(parseGoDuration('90s'), 90_000);
  assert.equal(parseGoDuration('1m30s'), 90_000);
  assert.equal(parseGoDuration('300ms'), 300);
  assert.equal(parseGoDuration('1h'), 3_600_000);
  assert.throws(() => parseGoDuration('90'), /not a duration/);
});

test('label selectors: matchLabels and the four operators', () => {
  const labels = { zone: 'a', role: 'worker' };
  const sel = (matchLabels: Record<string, string>, matchExpressions: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values: string[] }[] = []) => ({ matchLabels, matchExpressions });
  assert.equal(selectorMatches(sel({}), labels), true);
  assert.equal(selectorMatches(sel({ zone: 'a' }), labels), true);
  assert.equal(selectorMatches(sel({ zone: 'b' }), labels), false);
  assert.equal(selectorMatches(sel({}, [{ key: 'zone', operator: 'In', values: ['a', 'b'] }]), labels), true);
  assert.equal(selectorMatches(sel({}, [{ key: 'zone', operator: 'In', values: ['b'] }]), labels), false);
  assert.equal(selectorMatches(sel({}, [{ key: 'zone', operator: 'NotIn', values: ['b'] }]), labels), true);
  assert.equal(selectorMatches(sel({}, [{ key: 'gone', operator: 'NotIn', values: ['b'] }]), labels), true);
  assert.equal(selectorMatches(sel({}, [{ key: 'role', operator: 'Exists', values: [] }]), labels), true);
  assert.equal(selectorMatches(sel({}, [{ key: 'role', operator: 'DoesNotExist', values: [] }]), labels), false);
  assert.equal(selectorMatches(sel({ zone: 'a' }, [{ key: 'gpu', operator: 'DoesNotExist', values: [] }]), labels), true);
});

test("a status-only Service (the controller's status file) needs no spec", () => {
  const r = parseResources('apiVersion: v1\nkind: Service\nmetadata: {name: nginx, namespace: default}\nstatus: {loadBalancer: {ingress: [{ip: 172.17.254.1}]}}\n', 'status/default.nginx.yaml', true);
  assert.deepEqual(r.errors, []);
  const s = r.resources[0] as Service;
  assert.equal(s.isStatusOnly, true);
  assert.deepEqual(s.ingress, ['172.17.254.1']);
  assert.equal(parseResources('apiVersion: v1\nkind: Service\nmetadata: {name: nginx}\n', 'x.yaml').errors[0]?.field, 'spec');
});

test('a document with a map as a key is an error of its own; the other documents load', () => {
  const r = parseResources('apiVersion: v1\nkind: Node\nmetadata:\n  ? { name: x }\n  : y\n---\napiVersion: v1\nkind: Node\nmetadata: { name: k8s-node-01 }\n', 'nodes.yaml');
  assert.equal(r.resources.length, 1);
  assert.match(r.errors[0]!.message, /map key must be a plain value/);
});
