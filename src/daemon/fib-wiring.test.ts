// The FIB wiring on a manual clock with a real RIB and a recording Fib: off by
// configuration and off the platform, the RIB's multipath sets as desired routes, the
// restart hold (adopted next hops kept beside re-learned ones until End-of-RIB or the
// delay), shutdown keeping or removing, and the next-hop log.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress, formatPrefix, parseAddress, parsePrefix } from '../lib/address.js';
import { ManualClock } from '../lib/clock.js';
import { createLogger, type Logger } from '../lib/logger.js';
import type { FibOptions, FibRoute, FibStatus, FibState } from '../fib/fib.js';
import type { UnresolvedReason } from '../fib/resolver.js';
import { Rib } from '../rib/rib.js';
import type { PeerInfo } from '../rib/sink.js';
import { ipv4Unicast, ipv6Unicast, makeTestUpdate, peerInfo, scenarioAttributes } from '../rib/test-support.js';
import type { SessionState } from '../session/fsm.js';
import { parseConfig, type DaemonConfig } from './config.js';
import type { PeerStateListener, PeerView } from './daemon.js';
import { FibWiring, RestartHold, type FibHost, type FibLike } from './fib-wiring.js';
import { parseDaemonArgs } from './main.js';

const vip = '172.17.254.1/32';
const nodes = ['172.17.0.21', '172.17.0.22', '172.17.0.23'] as const;

/** A Fib that records what it is told. */
class RecordingFib implements FibLike {
  readonly desired = new Map<string, string[]>();
  readonly batches: FibRoute[][] = [];
  stoppedWith: { keepRoutes?: boolean } | undefined;
  swept = 0;
  hops: { nextHop: string; prefixes: number; unresolved: UnresolvedReason | undefined }[] = [];
  private readonly adopted: Map<string, FibRoute>;

  constructor(
    readonly options: FibOptions,
    private readonly state: FibState,
    adopted: readonly FibRoute[],
  ) {
    this.adopted = new Map(adopted.map((r) => [formatPrefix(r.prefix), r]));
    for (const r of adopted) this.desired.set(formatPrefix(r.prefix), r.nextHops.map(formatAddress));
  }

  async start(): Promise<FibStatus> {
    return this.status();
  }

  async stop(options: { readonly keepRoutes?: boolean } = {}): Promise<void> {
    this.stoppedWith = options;
  }

  updateMany(routes: Iterable<FibRoute>): void {
    const list = [...routes];
    this.batches.push(list);
    for (const r of list) {
      const key = formatPrefix(r.prefix);
      this.adopted.delete(key);
      if (r.nextHops.length === 0) this.desired.delete(key);
      else this.desired.set(key, r.nextHops.map(formatAddress).sort());
    }
  }

  sweep(): number {
    const n = this.adopted.size;
    for (const key of this.adopted.keys()) this.desired.delete(key);
    this.adopted.clear();
    this.swept += n;
    return n;
  }

  adoptedRoutes(): FibRoute[] {
    return [...this.adopted.values()];
  }

  nextHopStates(): { nextHop: string; prefixes: number; unresolved: UnresolvedReason | undefined }[] {
    return this.hops;
  }

  status(): FibStatus {
    return { state: this.state, reason: undefined, prefixes: this.desired.size, installed: this.desired.size, unresolved: 0, failed: 0 };
  }
}

interface FakePeer {
  readonly info: PeerInfo;
  state: SessionState;
  readonly isDynamic: boolean;
}

/** The daemon as the wiring sees it: a real RIB, peers whose state the test sets. */
class Host implements FibHost {
  readonly rib = new Rib({ multipath: { ebgpMaximumPaths: 64, ibgpMaximumPaths: 64, allowMultipleAs: false } });
  readonly peers: FakePeer[] = [];
  private listeners: PeerStateListener[] = [];

  constructor(readonly currentConfig: DaemonConfig) {}

  peerViews(): PeerView[] {
    return this.peers.map(
      (p) =>
        ({
          config: { address: p.info.address },
          session: { state: p.state, peerInfo: p.state === 'Established' ? p.info : undefined },
          ...(p.isDynamic ? { range: '172.17.0.0/24' } : {}),
          isAdminDown: false,
        }) as unknown as PeerView,
    );
  }

  onPeerState(fn: PeerStateListener): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  /** A peer connects (dynamic ones appear in OpenSent) and comes up. */
  connect(address: string, isDynamic = true): PeerInfo {
    const info = peerInfo({ address, peerAs: 64522 });
    const peer: FakePeer = { info, state: 'OpenSent', isDynamic };
    this.peers.push(peer);
    this.changed(peer);
    return info;
  }

  up(info: PeerInfo): void {
    const peer = this.peers.find((p) => p.info === info)!;
    peer.state = 'Established';
    this.rib.onEstablished(info);
    this.changed(peer);
  }

  announce(info: PeerInfo, prefix = vip): void {
    this.rib.onUpdate(info, makeTestUpdate({ nlri: [prefix], attributes: scenarioAttributes(info.address) }));
  }

  endOfRib(info: PeerInfo): void {
    this.rib.onEndOfRib(info, ipv4Unicast);
    this.rib.onEndOfRib(info, ipv6Unicast);
  }

  private changed(peer: FakePeer): void {
    const view = this.peerViews().find((v) => v.config.address === peer.info.address)!;
    for (const l of this.listeners) l(view, peer.state, 'Idle', 'test');
  }
}

function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', format: 'json', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

const routerConfig = (zebra: string, extra = '[[peer-groups]]\n[peer-groups.config]\npeer-group-name = "k8s"\npeer-as = 64522\n[[dynamic-neighbors]]\n[dynamic-neighbors.config]\nprefix = "172.17.0.0/24"\npeer-group = "k8s"\n'): DaemonConfig =>
  parseConfig(`[global.config]\nas = 64512\nrouter-id = "172.17.0.1"\n[global.use-multiple-paths.config]\nenabled = true\n${extra}${zebra}`, 'toml', 'rt.toml');

const route = (prefix: string, ...hops: string[]): FibRoute => ({ prefix: parsePrefix(prefix), nextHops: hops.map(parseAddress) });

function setup(zebra: string, options: { adopted?: FibRoute[]; state?: FibState; isRestart?: boolean; extra?: string; platform?: string } = {}) {
  const clock = new ManualClock();
  const host = new Host(options.extra === undefined ? routerConfig(zebra) : routerConfig(zebra, options.extra));
  const { logger, lines } = captureLogger();
  const made: RecordingFib[] = [];
  const wiring = new FibWiring(host, {
    logger,
    clock,
    isRestart: options.isRestart ?? false,
    platform: options.platform ?? 'linux',
    createFib: (o) => {
      const fib = new RecordingFib(o, options.state ?? 'running', options.adopted ?? []);
      made.push(fib);
      return fib;
    },
  });
  return { clock, host, lines, made, wiring, fib: (): RecordingFib => made[0]! };
}

const enabled = '[zebra.config]\nenabled = true\n';

test('off unless zebra.config.enabled, and off (an info line) where there is no netlink', async () => {
  const a = setup('');
  assert.equal(await a.wiring.start(), undefined);
  assert.equal(a.made.length, 0);
  assert.match(String(a.lines.find((l) => l['msg'] === 'fib off')?.['reason']), /zebra\.config\.enabled is not true/);

  const b = setup(enabled, { platform: 'darwin' });
  await b.wiring.start();
  assert.equal(b.made.length, 0, 'no Fib is made off Linux');
  const off = b.lines.find((l) => l['msg'] === 'fib off')!;
  assert.equal(off['level'], 'info');
  assert.match(String(off['reason']), /no netlink on darwin/);
  await b.wiring.stop();
});

test('the Fib gets the configured table, protocol and metric', async () => {
  const s = setup('[zebra.config]\nenabled = true\ntable = 100\nprotocol = 200\nmetric = 5\n');
  await s.wiring.start();
  assert.equal(s.fib().options.table, 100);
  assert.equal(s.fib().options.protocol, 200);
  assert.equal(s.fib().options.metric, 5);
});

test('the multipath set of the three nodes becomes one desired route; withdrawals shrink it; the last removes it', async () => {
  const s = setup(enabled);
  await s.wiring.start();
  assert.equal(s.wiring.isHolding, false, 'nothing adopted, nothing held');
  const infos = nodes.map((a) => s.host.connect(a));
  for (const i of infos) s.host.up(i);
  for (const i of infos) s.host.announce(i);
  assert.deepEqual(s.fib().desired.get(vip), [...nodes]);
  s.host.rib.onUpdate(infos[0]!, makeTestUpdate({ withdrawn: [vip] }));
  assert.deepEqual(s.fib().desired.get(vip), [nodes[1], nodes[2]]);
  s.host.rib.onPeerDown(infos[1]!);
  s.host.rib.onPeerDown(infos[2]!);
  assert.equal(s.fib().desired.has(vip), false);
  await s.wiring.stop();
  assert.deepEqual(s.fib().stoppedWith, { keepRoutes: false }, 'routes are removed at shutdown by default');
});

test('routes the RIB holds before the FIB starts are sent at start', async () => {
  const s = setup(enabled);
  const info = s.host.connect(nodes[0]);
  s.host.up(info);
  s.host.announce(info);
  await s.wiring.start();
  assert.deepEqual(s.fib().desired.get(vip), [nodes[0]]);
});

test('restart: adopted next hops stay beside re-learned ones until every session sent End-of-RIB and the range settled', async () => {
  const adopted = [route(vip, ...nodes), route('10.99.0.0/16', nodes[1])];
  const s = setup(enabled, { adopted });
  await s.wiring.start();
  assert.equal(s.wiring.isHolding, true);
  assert.ok(s.lines.some((l) => l['msg'] === 'fib keeps adopted routes until the peers have sent End-of-RIB' && l['routes'] === 2));

  // .21 comes back first: its route joins the adopted set, nothing shrinks.
  const n1 = s.host.connect(nodes[0]);
  s.host.up(n1);
  s.host.announce(n1);
  assert.deepEqual(s.fib().desired.get(vip), [...nodes]);
  s.host.endOfRib(n1);
  // .23 connects within the settle time; .22 never comes back.
  s.clock.advance(2000);
  const n3 = s.host.connect(nodes[2]);
  s.clock.advance(10_000);
  assert.equal(s.wiring.isHolding, true, 'a session still opening holds the sweep');
  s.host.up(n3);
  s.host.announce(n3);
  s.host.endOfRib(n3);
  s.clock.advance(4000);
  assert.equal(s.wiring.isHolding, true, 'not before the settle time (5 s) after the last End-of-RIB');
  assert.deepEqual(s.fib().desired.get(vip), [...nodes]);
  assert.equal(s.fib().desired.get('10.99.0.0/16')?.[0], nodes[1]);
  s.clock.advance(1500);
  assert.equal(s.wiring.isHolding, false);
  assert.deepEqual(s.fib().desired.get(vip), [nodes[0], nodes[2]], ".22's next hop swept, the re-learned ones kept");
  assert.equal(s.fib().desired.has('10.99.0.0/16'), false, 'the prefix nobody announced again is swept');
  const swept = s.lines.find((l) => l['msg'] === 'fib adopted routes swept')!;
  assert.deepEqual([swept['reason'], swept['relearned'], swept['removed']], ['end-of-rib', 1, 1]);
  // After the hold the RIB alone decides.
  s.host.rib.onPeerDown(n3);
  assert.deepEqual(s.fib().desired.get(vip), [nodes[0]]);
});

test('restart: a configured neighbor that stays down holds the sweep until sweep-delay', async () => {
  const neighbor = '[[neighbors]]\n[neighbors.config]\nneighbor-address = "172.17.0.21"\npeer-as = 64522\n';
  const s = setup('[zebra.config]\nenabled = true\nsweep-delay = 30\n', { adopted: [route(vip, nodes[0])], extra: neighbor });
  s.host.peers.push({ info: peerInfo({ address: nodes[0], peerAs: 64522 }), state: 'Active', isDynamic: false });
  await s.wiring.start();
  s.clock.advance(29_000);
  assert.equal(s.wiring.isHolding, true);
  assert.deepEqual(s.fib().desired.get(vip), [nodes[0]]);
  s.clock.advance(1000);
  assert.equal(s.wiring.isHolding, false);
  assert.equal(s.fib().desired.has(vip), false);
  assert.equal(s.lines.find((l) => l['msg'] === 'fib adopted routes swept')?.['reason'], 'timer');
});

test('restart: with configured neighbors only, the sweep follows the last End-of-RIB at once', async () => {
  const neighbors = nodes.slice(0, 2).map((a) => `[[neighbors]]\n[neighbors.config]\nneighbor-address = "${a}"\npeer-as = 64522\n`).join('');
  const s = setup(enabled, { adopted: [route(vip, nodes[0], nodes[1]), route('10.99.0.0/16', nodes[1])], extra: neighbors });
  const a = s.host.connect(nodes[0], false);
  const b = s.host.connect(nodes[1], false);
  await s.wiring.start();
  s.host.up(a);
  s.host.announce(a);
  s.host.endOfRib(a);
  s.clock.advance(1000);
  assert.equal(s.wiring.isHolding, true, 'the second neighbor has not finished');
  s.host.up(b);
  s.host.announce(b);
  s.host.endOfRib(b);
  s.clock.advance(250);
  assert.equal(s.wiring.isHolding, false);
  assert.deepEqual(s.fib().desired.get(vip), [nodes[0], nodes[1]]);
  assert.equal(s.fib().desired.has('10.99.0.0/16'), false);
});

test('sweep-delay = 0 sweeps the adopted routes at start', async () => {
  const s = setup('[zebra.config]\nenabled = true\nsweep-delay = 0\n', { adopted: [route(vip, nodes[0])] });
  await s.wiring.start();
  assert.equal(s.wiring.isHolding, false);
  assert.equal(s.fib().swept, 1);
});

test('shutdown detaches from the RIB first, then keeps the routes with -r or keep-routes-on-shutdown', async () => {
  for (const [zebra, isRestart] of [[enabled, true], ['[zebra.config]\nenabled = true\nkeep-routes-on-shutdown = true\n', false]] as const) {
    const s = setup(zebra, { isRestart });
    await s.wiring.start();
    const info = s.host.connect(nodes[0]);
    s.host.up(info);
    s.host.announce(info);
    const stopping = s.wiring.stop();
    // The sessions go down after the FIB let go: the kernel keeps the route.
    s.host.rib.onPeerDown(info);
    await stopping;
    assert.deepEqual(s.fib().desired.get(vip), [nodes[0]]);
    assert.deepEqual(s.fib().stoppedWith, { keepRoutes: true });
  }
});

test('a reload applies keep-routes-on-shutdown and says the other zebra keys need a restart', async () => {
  const s = setup(enabled);
  await s.wiring.start();
  s.wiring.reload(routerConfig('[zebra.config]\nenabled = true\nkeep-routes-on-shutdown = true\nmetric = 7\n'));
  const warn = s.lines.find((l) => l['msg'] === 'config reload: zebra settings need a restart')!;
  assert.equal(warn['changed'], 'metric');
  await s.wiring.stop();
  assert.deepEqual(s.fib().stoppedWith, { keepRoutes: true });
});

test('next hops that stop resolving are logged once with the reason, and again when they resolve', async () => {
  const s = setup(enabled);
  await s.wiring.start();
  s.fib().hops = [{ nextHop: '172.17.9.9', prefixes: 1, unresolved: 'no-route' }];
  s.clock.advance(1000);
  s.clock.advance(1000);
  const held = s.lines.filter((l) => l['msg'] === 'fib next hop unresolved, its routes are held back');
  assert.equal(held.length, 1);
  assert.deepEqual([held[0]!['level'], held[0]!['nextHop'], held[0]!['reason'], held[0]!['prefixes']], ['warn', '172.17.9.9', 'no-route', 1]);
  s.fib().hops = [{ nextHop: '172.17.9.9', prefixes: 1, unresolved: undefined }];
  s.clock.advance(1000);
  assert.equal(s.lines.filter((l) => l['msg'] === 'fib next hop resolved' && l['nextHop'] === '172.17.9.9').length, 1);
  await s.wiring.stop();
});

test('RestartHold adds held next hops of the same family only, and hands back what the RIB said', () => {
  const hold = new RestartHold([route(vip, nodes[0], '2001:db8::1'), route('10.0.0.0/8', nodes[1])]);
  const out = hold.apply([route(vip, nodes[2]), route('192.0.2.0/24', nodes[2])]);
  assert.deepEqual(out.map((r) => [formatPrefix(r.prefix), r.nextHops.map(formatAddress)]), [
    [vip, [nodes[2], nodes[0]]],
    ['192.0.2.0/24', [nodes[2]]],
  ]);
  assert.deepEqual(hold.apply([route(vip)]).map((r) => r.nextHops.map(formatAddress)), [[nodes[0]]], 'a withdrawal during the hold keeps the adopted next hops');
  assert.deepEqual(hold.release().map((r) => [formatPrefix(r.prefix), r.nextHops.length]), [[vip, 0]]);
  assert.equal(hold.size, 0);
});

test('RestartHold: an adopted next hop learned again is the RIB\'s; its withdrawal during the hold takes it out at once', () => {
  const hold = new RestartHold([route(vip, nodes[0], nodes[1], nodes[2])]);
  // All three peers are back: the RIB names every adopted next hop.
  assert.deepEqual(hold.apply([route(vip, nodes[0], nodes[1], nodes[2])]).map((r) => r.nextHops.map(formatAddress)), [[nodes[0], nodes[1], nodes[2]]]);
  // One fails before the sweep: it leaves, the hold adds nothing back.
  assert.deepEqual(hold.apply([route(vip, nodes[0], nodes[1])]).map((r) => r.nextHops.map(formatAddress)), [[nodes[0], nodes[1]]]);
  // Only next hops never learned again are still held.
  const partial = new RestartHold([route(vip, nodes[0], nodes[1])]);
  assert.deepEqual(partial.apply([route(vip, nodes[0])]).map((r) => r.nextHops.map(formatAddress)), [[nodes[0], nodes[1]]]);
  assert.deepEqual(partial.apply([route(vip)]).map((r) => r.nextHops.map(formatAddress)), [[nodes[1]]]);
});

test('tsbgpd -r / --graceful-restart says this run ends in a restart; without it the field is absent', () => {
  for (const flag of ['-r', '--graceful-restart']) {
    const p = parseDaemonArgs(['-f', 'rt.toml', flag]);
    assert.equal(p.kind === 'run' && p.args.isGracefulRestart, true);
  }
  const p = parseDaemonArgs(['-f', 'rt.toml']);
  assert.equal(p.kind === 'run' && 'isGracefulRestart' in p.args, false);
});
