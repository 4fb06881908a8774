import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocate, allocationFailed, type AllocationInput } from './controller.js';
import { parseResources, type IpAddressPool, type Namespace, type Service } from './resources.js';

/** Resources from YAML (throws on errors so a typo in a test shows at once). */
function load(text: string): { pools: IpAddressPool[]; services: Service[]; namespaces: Namespace[] } {
  const r = parseResources(text, 'test.yaml');
  assert.deepEqual(r.errors.map((e) => e.message), []);
  return {
    pools: r.resources.filter((x): x is IpAddressPool => x.kind === 'IPAddressPool'),
    services: r.resources.filter((x): x is Service => x.kind === 'Service'),
    namespaces: r.resources.filter((x): x is Namespace => x.kind === 'Namespace'),
  };
}

const pool = (name: string, addresses: string, extra = ''): string => `---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: ${name} }\nspec:\n  addresses: [${addresses}]\n${extra}`;

interface SvcOptions {
  readonly ns?: string;
  readonly annotations?: Record<string, string>;
  readonly spec?: string;
  readonly ports?: readonly number[];
  readonly ingress?: readonly string[];
  readonly labels?: Record<string, string>;
}

function svc(name: string, o: SvcOptions = {}): string {
  const ann = Object.entries(o.annotations ?? {}).map(([k, v]) => `    ${k}: "${v}"`).join('\n');
  const labels = Object.entries(o.labels ?? {}).map(([k, v]) => `    ${k}: "${v}"`).join('\n');
  return `---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${o.ns ?? 'default'}
${ann === '' ? '' : `  annotations:\n${ann}\n`}${labels === '' ? '' : `  labels:\n${labels}\n`}spec:
  type: LoadBalancer
  ports: [${(o.ports ?? [80]).map((p) => `{ port: ${p} }`).join(', ')}]
${o.spec ?? ''}
${o.ingress === undefined ? '' : `status:\n  loadBalancer:\n    ingress: [${o.ingress.map((i) => `{ ip: "${i}" }`).join(', ')}]\n`}`;
}

const addressesOf = (input: AllocationInput): Record<string, readonly string[]> => Object.fromEntries([...allocate(input).assignments].map(([k, a]) => [k, a.addresses]));

test('next free address in order; the scenario gets 172.17.254.1 after the network address is taken by avoidBuggyIPs', () => {
  const input = load(pool('lab', '172.17.254.0/24', '  avoidBuggyIPs: true\n') + svc('nginx') + svc('web'));
  assert.deepEqual(addressesOf(input), { 'default/nginx': ['172.17.254.1'], 'default/web': ['172.17.254.2'] });
  const plain = load(pool('lab', '172.17.254.0/24') + svc('nginx'));
  assert.deepEqual(addressesOf(plain), { 'default/nginx': ['172.17.254.0'] }, 'without avoidBuggyIPs .0 is an address like any other');
});

test('avoidBuggyIPs skips .255 and .0 across a /23', () => {
  const input = load(pool('p', '10.0.0.254-10.0.1.2', '  avoidBuggyIPs: true\n') + svc('a') + svc('b') + svc('c'));
  assert.deepEqual(addressesOf(input), { 'default/a': ['10.0.0.254'], 'default/b': ['10.0.1.1'], 'default/c': ['10.0.1.2'] });
});

test('requested addresses: spec.loadBalancerIP and the loadBalancerIPs annotation; not in a pool or taken -> event', () => {
  const input = load(
    pool('lab', '172.17.254.0/24') +
      svc('a', { spec: '  loadBalancerIP: 172.17.254.50' }) +
      svc('b', { annotations: { 'metallb.universe.tf/loadBalancerIPs': '172.17.254.60' } }) +
      svc('c', { annotations: { 'metallb.universe.tf/loadBalancerIPs': '192.0.2.1' } }) +
      svc('d', { spec: '  loadBalancerIP: 172.17.254.50' }) +
      svc('e'),
  );
  const r = allocate(input);
  assert.deepEqual(r.assignments.get('default/a')?.addresses, ['172.17.254.50']);
  assert.deepEqual(r.assignments.get('default/b')?.addresses, ['172.17.254.60']);
  assert.deepEqual(r.assignments.get('default/e')?.addresses, ['172.17.254.0']);
  assert.equal(r.assignments.has('default/c'), false);
  assert.equal(r.assignments.has('default/d'), false);
  assert.deepEqual(r.events.map((e) => [e.service, e.reason]), [['default/c', allocationFailed], ['default/d', allocationFailed]]);
  assert.match(r.events[0]!.message, /192\.0\.2\.1 is not in any IPAddressPool/);
  assert.match(r.events[1]!.message, /172\.17\.254\.50 is already used by default\/a/);
});

test('the address-pool annotation; autoAssign false pools only on request; priority orders pools', () => {
  const input = load(
    pool('manual', '10.9.0.0/30', '  autoAssign: false\n') +
      pool('low', '10.2.0.0/30', '  serviceAllocation: { priority: 20 }\n') +
      pool('high', '10.1.0.0/30', '  serviceAllocation: { priority: 10 }\n') +
      svc('auto') +
      svc('pinned', { annotations: { 'metallb.universe.tf/address-pool': 'manual' } }) +
      svc('lowpool', { annotations: { 'metallb.universe.tf/address-pool': 'low' } }) +
      svc('missing', { annotations: { 'metallb.universe.tf/address-pool': 'nope' } }),
  );
  const r = allocate(input);
  assert.deepEqual(r.assignments.get('default/auto'), { service: 'default/auto', pool: 'high', addresses: ['10.1.0.0'] });
  assert.equal(r.assignments.get('default/pinned')?.pool, 'manual');
  assert.equal(r.assignments.get('default/lowpool')?.pool, 'low');
  assert.match(r.events.find((e) => e.service === 'default/missing')!.message, /pool nope .* does not exist/);
  const onlyManual = load(pool('manual', '10.9.0.0/30', '  autoAssign: false\n') + svc('auto'));
  assert.match(allocate(onlyManual).events[0]!.message, /no IPAddressPool with autoAssign/);
});

test('serviceAllocation namespaces and selectors restrict who takes from a pool', () => {
  const input = load(
    pool('team', '10.1.0.0/30', '  serviceAllocation:\n    priority: 1\n    namespaceSelectors: [{ matchLabels: { team: blue } }]\n') +
      pool('general', '10.2.0.0/30') +
      '---\napiVersion: v1\nkind: Namespace\nmetadata: { name: blue, labels: { team: blue } }\n' +
      svc('a', { ns: 'blue' }) +
      svc('b', { ns: 'red' }),
  );
  assert.deepEqual(addressesOf(input), { 'blue/a': ['10.1.0.0'], 'red/b': ['10.2.0.0'] });
  const bySelector = load(pool('p', '10.1.0.0/30', '  serviceAllocation:\n    namespaces: [web]\n    serviceSelectors: [{ matchLabels: { app: nginx } }]\n') + svc('a', { ns: 'web', labels: { app: 'nginx' } }) + svc('b', { ns: 'web' }) + svc('c', { ns: 'x', labels: { app: 'nginx' } }));
  const r = allocate(bySelector);
  assert.deepEqual([...r.assignments.keys()], ['web/a']);
  assert.equal(r.events.length, 2);
});

test('sharing: same key and no common port share one address; a clash or another key gets its own or an event', () => {
  const key = { 'metallb.universe.tf/allow-shared-ip': 'k' };
  const input = load(
    pool('p', '10.0.0.0/30') +
      svc('http', { annotations: key, ports: [80] }) +
      svc('https', { annotations: key, ports: [443] }) +
      svc('zclash', { annotations: key, ports: [80] }) +
      svc('other', { annotations: { ...key, 'metallb.universe.tf/loadBalancerIPs': '10.0.0.0' }, ports: [8080], spec: '  externalTrafficPolicy: Local' }),
  );
  const r = allocate(input);
  assert.deepEqual(r.assignments.get('default/http')?.addresses, ['10.0.0.0']);
  assert.deepEqual(r.assignments.get('default/https')?.addresses, ['10.0.0.0'], 'shares with http');
  assert.deepEqual(r.assignments.get('default/zclash')?.addresses, ['10.0.0.1'], 'port 80 clashes: its own address');
  assert.equal(r.assignments.has('default/other'), false);
  assert.match(r.events[0]!.message, /externalTrafficPolicy differs/);
});

test('exhaustion: the pool runs out, the later Service gets an event, the others keep theirs', () => {
  const input = load(pool('tiny', '10.0.0.1-10.0.0.2') + svc('a') + svc('b') + svc('c'));
  const r = allocate(input);
  assert.deepEqual([...r.assignments.keys()], ['default/a', 'default/b']);
  assert.equal(r.events.length, 1);
  assert.equal(r.events[0]!.service, 'default/c');
  assert.match(r.events[0]!.message, /no available IPv4 address in pool tiny/);
});

test('restart stability: addresses in the status are kept, even when a new Service sorts first', () => {
  const input = load(pool('p', '10.0.0.0/29') + svc('zeta', { ingress: ['10.0.0.0'] }) + svc('alpha') + svc('mid', { ingress: ['10.0.0.5'] }));
  assert.deepEqual(addressesOf(input), { 'default/zeta': ['10.0.0.0'], 'default/mid': ['10.0.0.5'], 'default/alpha': ['10.0.0.1'] });
  // A status outside every pool (the pool shrank) is not kept: a new address is given.
  const shrunk = load(pool('p', '10.0.0.0/30') + svc('mid', { ingress: ['10.0.0.5'] }));
  assert.deepEqual(addressesOf(shrunk), { 'default/mid': ['10.0.0.0'] });
  // A changed request wins over the old status.
  const moved = load(pool('p', '10.0.0.0/29') + svc('mid', { ingress: ['10.0.0.5'], spec: '  loadBalancerIP: 10.0.0.6' }));
  assert.deepEqual(addressesOf(moved), { 'default/mid': ['10.0.0.6'] });
  // Running again over its own output changes nothing.
  const first = allocate(load(pool('p', '10.0.0.0/29') + svc('a') + svc('b')));
  const again = load(pool('p', '10.0.0.0/29') + svc('b', { ingress: [...first.assignments.get('default/b')!.addresses] }) + svc('a', { ingress: [...first.assignments.get('default/a')!.addresses] }));
  assert.deepEqual(addressesOf(again), Object.fromEntries([...first.assignments].map(([k, a]) => [k, a.addresses])));
});

test('dual-stack: one address per family from one pool; RequireDualStack fails on an IPv4-only pool', () => {
  const input = load(
    pool('v4only', '10.0.0.0/30', '  serviceAllocation: { priority: 1 }\n') +
      pool('dual', '10.1.0.0/30, "2001:db8::/126"') +
      svc('ds', { spec: '  ipFamilies: [IPv4, IPv6]\n  ipFamilyPolicy: RequireDualStack' }) +
      svc('v6', { spec: '  ipFamilies: [IPv6]' }),
  );
  const r = allocate(input);
  assert.deepEqual(r.assignments.get('default/ds'), { service: 'default/ds', pool: 'dual', addresses: ['10.1.0.0', '2001:db8::'] });
  assert.deepEqual(r.assignments.get('default/v6')?.addresses, ['2001:db8::1']);
  const v4 = load(pool('v4only', '10.0.0.0/30') + svc('ds', { spec: '  ipFamilies: [IPv4, IPv6]\n  ipFamilyPolicy: RequireDualStack' }));
  assert.match(allocate(v4).events[0]!.message, /no available IPv4 and IPv6 address/);
  const prefer = load(pool('v4only', '10.0.0.0/30') + svc('ds', { spec: '  ipFamilyPolicy: PreferDualStack' }));
  assert.deepEqual(addressesOf(prefer), { 'default/ds': ['10.0.0.0'] }, 'PreferDualStack takes what the pool has');
});

test('Services not of type LoadBalancer get nothing', () => {
  const input = load(pool('p', '10.0.0.0/30') + svc('a').replace('type: LoadBalancer', 'type: ClusterIP'));
  const r = allocate(input);
  assert.equal(r.assignments.size, 0);
  assert.equal(r.events.length, 0);
});
