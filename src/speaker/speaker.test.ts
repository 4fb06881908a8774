import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.js';
import { formatAddress, formatPrefix } from '../lib/address.js';
import { Session } from '../session/session.js';
import { FakeNetwork, RecordingSink, recordingLogger } from '../session/testing.js';
import { familyKey } from '../wire/context.js';
import { Origin } from '../wire/attributes/types.js';
import { endOfRibFamily, type UpdateMessage } from '../wire/update.js';
import { parseResources } from './resources.js';
import { Speaker, type SpeakerBfd } from './speaker.js';
import type { BfdPeer, BfdPeerHandle, BfdState } from '../bfd/manager.js';
import { ResourceStore } from './store.js';

const v4 = familyKey(1, 1);

const resources = (extra: string): string => `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lab-pool, namespace: metallb-system }
spec: { addresses: [172.17.254.0/24] }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: rt-01, namespace: metallb-system }
spec: { myASN: 64522, peerASN: 64512, peerAddress: 172.17.0.1, sourceAddress: 172.17.0.21, password: pw }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: nginx-a, namespace: default, labels: { kubernetes.io/service-name: nginx } }
endpoints: [{ addresses: [10.244.1.2], nodeName: k8s-node-01 }]
${extra}`;

const nginx = (ip: string | undefined, policy = 'Cluster'): string => `---
apiVersion: v1
kind: Service
metadata: { name: nginx, namespace: default }
spec: { type: LoadBalancer, externalTrafficPolicy: ${policy}, ports: [{ port: 80 }] }
${ip === undefined ? '' : `status: { loadBalancer: { ingress: [{ ip: ${ip} }] } }`}
`;

function setup(createBfd?: () => SpeakerBfd) {
  const net = new FakeNetwork();
  const clock = new ManualClock();
  const sink = new RecordingSink();
  const router = new Session(
    { peerAddress: '172.17.0.21', peerPort: 179, localAddress: '172.17.0.1', localAs: 64512, peerAs: 64522, routerId: Uint8Array.of(172, 17, 0, 1), holdTimeSec: 90, connectRetrySec: 5, isPassive: true, families: [v4] },
    { clock, random: () => 0.5, logger: recordingLogger(), sink, connect: net.connector('172.17.0.1') },
  );
  net.listen('172.17.0.1', 179, (t) => router.handleIncoming(t));
  router.start();
  const logger = recordingLogger();
  const speaker = new Speaker({ nodeName: 'k8s-node-01' }, { clock, random: () => 0.5, logger, connect: net.connector('172.17.0.21'), ...(createBfd === undefined ? {} : { createBfd }) });
  const store = new ResourceStore();
  store.onChange(() => speaker.update(store.snapshot()));
  const load = (text: string): void => {
    const r = parseResources(text, 't.yaml');
    assert.deepEqual(r.errors.map((e) => e.message), []);
    store.replaceAll(r.resources);
  };
  const settle = (): void => {
    for (let i = 0; i < 20; i++) {
      net.pump();
      clock.advance(1000);
    }
    net.pump();
  };
  return { router, sink, speaker, logger, load, settle };
}

const announced = (u: UpdateMessage): string[] => [...u.nlri].map((n) => formatPrefix(n.prefix));
const withdrawn = (u: UpdateMessage): string[] => [...u.withdrawn].map((n) => formatPrefix(n.prefix));

test('the node announces the Service address with its own next hop, AS path [64522], origin incomplete, then End-of-RIB', () => {
  const h = setup();
  h.load(resources(nginx('172.17.254.1')));
  h.settle();
  assert.equal(h.router.state, 'Established');
  assert.deepEqual(h.speaker.peerNames, ['metallb-system/rt-01']);
  const routes = h.sink.updates.filter((u) => u.nlri.count > 0);
  assert.equal(routes.length, 1);
  assert.deepEqual(announced(routes[0]!), ['172.17.254.1/32']);
  const a = routes[0]!.attributes;
  assert.equal(a.origin, Origin.incomplete);
  assert.deepEqual(a.asPath?.flatMap((s) => s.asns), [64522]);
  assert.equal(formatAddress(a.nextHop!), '172.17.0.21');
  assert.equal(a.localPref, undefined);
  assert.deepEqual(h.sink.endOfRib, [v4]);
  assert.ok(h.sink.updates.every((u) => endOfRibFamily(u) === undefined || u.nlri.count === 0));
  const announce = h.logger.lines.filter((l) => l.msg === 'announce');
  assert.deepEqual(announce.map((l) => [l.fields['peer'], l.fields['prefix'], l.fields['nextHop']]), [['172.17.0.1', '172.17.254.1/32', '172.17.0.21']]);
  const warned = h.logger.lines.filter((l) => l.msg === 'peer option not applied');
  assert.deepEqual(warned.map((l) => l.fields['field']), ['password']);
});

test('changes go as differences: a new address announced, the old one withdrawn, nothing resent', () => {
  const h = setup();
  h.load(resources(nginx('172.17.254.1')));
  h.settle();
  const before = h.sink.updates.length;
  h.load(resources(nginx('172.17.254.1')));
  h.settle();
  assert.equal(h.sink.updates.length, before, 'the same resources send nothing');
  h.load(resources(nginx('172.17.254.9')));
  h.settle();
  const fresh = h.sink.updates.slice(before);
  assert.deepEqual(fresh.flatMap(withdrawn), ['172.17.254.1/32']);
  assert.deepEqual(fresh.flatMap(announced), ['172.17.254.9/32']);
  assert.deepEqual(h.logger.lines.filter((l) => l.msg === 'withdraw').map((l) => l.fields['prefix']), ['172.17.254.1/32']);
  assert.equal(h.logger.lines.filter((l) => l.msg === 'peer option not applied').length, 1, 'warned once');
});

test('Local policy on a node without a ready endpoint withdraws; a cordoned node withdraws; the session stays', () => {
  const h = setup();
  h.load(resources(nginx('172.17.254.1')));
  h.settle();
  let from = h.sink.updates.length;
  h.load(resources(nginx('172.17.254.1', 'Local')).replace('nodeName: k8s-node-01', 'nodeName: k8s-node-02'));
  h.settle();
  assert.deepEqual(h.sink.updates.slice(from).flatMap(withdrawn), ['172.17.254.1/32']);
  h.load(resources(nginx('172.17.254.1')));
  h.settle();
  from = h.sink.updates.length;
  h.load(resources(nginx('172.17.254.1') + '---\napiVersion: v1\nkind: Node\nmetadata: { name: k8s-node-01 }\nspec: { unschedulable: true }\n'));
  h.settle();
  assert.deepEqual(h.sink.updates.slice(from).flatMap(withdrawn), ['172.17.254.1/32']);
  assert.ok(h.logger.lines.some((l) => l.msg === 'node withdrawn'));
  assert.equal(h.router.state, 'Established');
});

test('a BGPPeer that no longer selects the node is closed; stop() withdraws and sends Cease', async () => {
  const h = setup();
  h.load(resources(nginx('172.17.254.1')));
  h.settle();
  const from = h.sink.updates.length;
  await Promise.race([h.speaker.stop('maintenance'), Promise.resolve()]);
  h.settle();
  assert.deepEqual(h.sink.updates.slice(from).flatMap(withdrawn), ['172.17.254.1/32']);
  assert.notEqual(h.router.state, 'Established');
  assert.equal(h.sink.down.length, 1);

  const g = setup();
  g.load(resources(nginx('172.17.254.1')));
  g.settle();
  g.load(resources(nginx('172.17.254.1')).replace('sourceAddress: 172.17.0.21,', 'sourceAddress: 172.17.0.21, nodeSelectors: [{ matchLabels: { rack: b } }],'));
  g.settle();
  assert.deepEqual(g.speaker.peerNames, []);
  assert.notEqual(g.router.state, 'Established');
});

test('password and ebgpMultiHop go to the secured connector (MD5 key, TTL 255); nothing is warned then', () => {
  const net = new FakeNetwork();
  const clock = new ManualClock();
  const asked: unknown[] = [];
  const logger = recordingLogger();
  const speaker = new Speaker({ nodeName: 'k8s-node-01' }, {
    clock,
    random: () => 0.5,
    logger,
    connect: net.connector('172.17.0.21'),
    secureConnect: (security) => {
      asked.push(security);
      return net.connector('172.17.0.21');
    },
  });
  const r = parseResources(resources(nginx('172.17.254.1')).replace('password: pw', 'password: pw, ebgpMultiHop: true'), 't.yaml');
  const store = new ResourceStore();
  store.replaceAll(r.resources);
  speaker.update(store.snapshot());
  assert.deepEqual(asked, [{ md5Key: 'pw', ttl: 255 }]);
  assert.equal(logger.lines.filter((l) => l.msg === 'peer option not applied').length, 0);
});

/** A BFD manager whose sessions' states the test sets. */
class FakeBfd implements SpeakerBfd {
  readonly added: BfdPeer[] = [];
  readonly sessions: { state: BfdState; remoteState: BfdState; isRemoved: boolean; set(state: BfdState, remote?: BfdState): void }[] = [];
  isClosed = false;
  start(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.isClosed = true;
    return Promise.resolve();
  }
  add(peer: BfdPeer): BfdPeerHandle {
    this.added.push(peer);
    const listeners: ((state: BfdState, previous: BfdState, diag: string) => void)[] = [];
    const s = {
      state: 'Down' as BfdState,
      remoteState: 'Down' as BfdState,
      isRemoved: false,
      set(state: BfdState, remote: BfdState = state): void {
        const previous = s.state;
        s.state = state;
        s.remoteState = remote;
        for (const fn of listeners) fn(state, previous, 'control detection time expired');
      },
    };
    this.sessions.push(s);
    return {
      get state() {
        return s.state;
      },
      get remoteState() {
        return s.remoteState;
      },
      onState: (fn) => listeners.push(fn),
      remove: () => {
        s.isRemoved = true;
      },
    };
  }
}

const withBfd = (text: string): string =>
  text.replace('password: pw }', 'password: pw, bfdProfile: fast }') +
  '---\napiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: { name: fast, namespace: metallb-system }\nspec: { receiveInterval: 200, transmitInterval: 100, detectMultiplier: 4 }\n';

test('a bfdProfile starts BFD with the profile timers once Established; BFD Down resets the session (Cease / BFD Down) and it comes back', async () => {
  const bfd = new FakeBfd();
  const h = setup(() => bfd);
  h.load(withBfd(resources(nginx('172.17.254.1'))));
  h.settle();
  assert.equal(h.router.state, 'Established');
  assert.equal(bfd.added.length, 1);
  assert.deepEqual(bfd.added[0], { remoteAddress: '172.17.0.1', localAddress: '172.17.0.21', timers: { desiredMinTxMs: 100, requiredMinRxMs: 200, detectMultiplier: 4 } });
  bfd.sessions[0]!.set('Up');
  assert.equal(h.speaker.bfdStateOf('metallb-system/rt-01'), 'Up');
  // The peer going AdminDown is no path failure (RFC 5882 3.2): nothing happens.
  bfd.sessions[0]!.set('Down', 'AdminDown');
  h.settle();
  assert.equal(h.sink.down.length, 0);
  bfd.sessions[0]!.set('Up');
  bfd.sessions[0]!.set('Down');
  await new Promise((r) => setImmediate(r));
  h.settle();
  assert.equal(bfd.sessions[0]!.isRemoved, true);
  assert.equal(h.sink.down.length, 1);
  assert.match(h.sink.down[0]!, /BFD/i);
  assert.ok(h.logger.lines.some((l) => l.msg === 'bfd down, resetting session'));
  // The speaker connects again; a new BFD session starts with the new Established.
  for (let i = 0; i < 5 && h.router.state !== 'Established'; i++) {
    await new Promise((r) => setImmediate(r));
    h.settle();
  }
  assert.equal(h.router.state, 'Established');
  assert.equal(bfd.added.length, 2);
  const stopped = h.speaker.stop('done');
  h.settle();
  await stopped;
  assert.equal(bfd.isClosed, true);
});

test('without BFD support or with a missing BFDProfile the session runs without BFD and says so once', () => {
  const h = setup();
  h.load(withBfd(resources(nginx('172.17.254.1'))));
  h.settle();
  assert.equal(h.router.state, 'Established');
  assert.equal(h.logger.lines.filter((l) => l.msg === 'peer option not applied' && l.fields?.['field'] === 'bfdProfile').length, 1);
  const bfd = new FakeBfd();
  const g = setup(() => bfd);
  g.load(resources(nginx('172.17.254.1')).replace('password: pw }', 'password: pw, bfdProfile: nope }'));
  g.settle();
  assert.equal(g.router.state, 'Established');
  assert.equal(bfd.added.length, 0);
  assert.equal(g.logger.lines.filter((l) => l.msg === 'resource problem' && String(l.fields?.['error']).includes('nope')).length, 1);
});
