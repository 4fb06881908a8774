// BfdWiring on a ManualClock: BFD to Established neighbors that enable it, the BGP
// session reset with Cease / BFD Down (RFC 9384) when BFD goes Down, no reset when the
// peer takes BFD AdminDown (RFC 5882 3.2), and no socket when no neighbor uses BFD.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.js';
import { BfdManager, type BfdPeerHandle } from '../bfd/manager.js';
import { Link } from '../bfd/testing.js';
import { defaultBfdTimers } from '../bfd/session.js';
import { CeaseSubcode } from '../wire/errors.js';
import { parseConfig, type DaemonConfig, type NeighborConfig } from './config.js';
import { BfdWiring, type BfdHost } from './bfd-wiring.js';
import type { PeerStateListener, PeerView } from './daemon.js';
import type { SessionState } from '../session/session.js';
import { collector } from './testing.js';

const daemonConfig: DaemonConfig = parseConfig(
  `[global.config]
  as = 64512
  router-id = "10.0.0.1"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.0.0.2"
    peer-as = 65000
  [neighbors.bfd.config]
    enabled = true
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.0.0.3"
    peer-as = 65000
`,
  'toml',
  'test.toml',
);

/** The daemon as the wiring sees it: sessions whose state the test sets. */
class FakeHost implements BfdHost {
  readonly currentConfig = daemonConfig;
  readonly calls: string[] = [];
  private listeners: PeerStateListener[] = [];
  private readonly views = new Map<string, { config: NeighborConfig; session: { state: SessionState; localAddress: string }; isAdminDown: boolean }>();

  constructor() {
    for (const n of daemonConfig.neighbors) this.views.set(n.address, { config: n, session: { state: 'Idle', localAddress: '10.0.0.1' }, isAdminDown: false });
  }

  onPeerState(fn: PeerStateListener): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  peerView(address: string): PeerView | undefined {
    return this.views.get(address) as unknown as PeerView | undefined;
  }

  setState(address: string, state: SessionState): void {
    const v = this.views.get(address)!;
    const previous = v.session.state;
    v.session.state = state;
    for (const l of this.listeners) l(v as unknown as PeerView, state, previous, 'test');
  }

  stopPeer(address: string, communication: string, subcode: number): Promise<void> {
    this.calls.push(`stop ${address} ${subcode} ${communication}`);
    this.setState(address, 'Idle');
    return Promise.resolve();
  }

  startPeer(address: string): boolean {
    this.calls.push(`start ${address}`);
    return true;
  }
}

/** A repeatable random source (discriminators must differ between sessions). */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 16807) % 2147483647;
    return x / 2147483647;
  };
}

interface World {
  readonly clock: ManualClock;
  readonly link: Link;
  readonly host: FakeHost;
  readonly wiring: BfdWiring;
  readonly peer: BfdManager;
  readonly peerHandle: BfdPeerHandle;
  readonly lines: ReturnType<typeof collector>['lines'];
  managers: number;
}

async function world(): Promise<World> {
  const clock = new ManualClock();
  const link = new Link();
  const { lines, logger } = collector();
  const host = new FakeHost();
  const w = { clock, link, host, lines, managers: 0 } as Partial<World> & { managers: number };
  const wiring = new BfdWiring(host, {
    logger,
    clock,
    random: lcg(7),
    createManager: (deps) => {
      w.managers++;
      return new BfdManager({ ...deps, transport: link.transport('10.0.0.1') });
    },
  });
  wiring.start();
  // The neighbor's side: its own manager, a session to us.
  const peer = new BfdManager({ clock, random: lcg(11), logger: collector().logger, transport: link.transport('10.0.0.2') });
  await peer.start();
  const peerHandle = peer.add({ remoteAddress: '10.0.0.1', timers: defaultBfdTimers });
  return Object.assign(w, { wiring, peer, peerHandle }) as World;
}

/** Lets promise callbacks run (the wiring's manager start, stopPeer's then). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function advanceUntil(clock: ManualClock, done: () => boolean, limitMs: number): number {
  const start = clock.now();
  while (!done() && clock.now() - start < limitMs) clock.advance(10);
  return clock.now() - start;
}

test('Established with bfd enabled: a BFD session comes Up; BFD Down resets BGP with Cease / BFD Down at once', async () => {
  const w = await world();
  w.host.setState('10.0.0.2', 'Established');
  await settle();
  advanceUntil(w.clock, () => w.peerHandle.state === 'Up', 5000);
  assert.equal(w.peerHandle.state, 'Up');
  const upLine = w.lines.find((l) => l.msg === 'bfd state' && l['to'] === 'Up');
  assert.deepEqual([upLine?.level, upLine?.['peer']], ['info', '10.0.0.2']);
  w.link.isCut = true;
  const took = advanceUntil(w.clock, () => w.host.calls.length > 0, 2000);
  assert.ok(took <= 900, `reset after ${took} ms`);
  assert.deepEqual(w.host.calls, [`stop 10.0.0.2 ${CeaseSubcode.bfdDown} BFD down`]);
  await settle();
  assert.deepEqual(w.host.calls.slice(1), ['start 10.0.0.2'], 'a configured neighbor connects again');
  const reset = w.lines.find((l) => l.msg === 'bfd down, resetting session');
  assert.deepEqual([reset?.['peer'], reset?.['diag']], ['10.0.0.2', 'control-detection-time-expired']);
  await w.wiring.stop();
  await w.peer.close();
});

test('the peer taking BFD AdminDown does not reset BGP (RFC 5882 3.2)', async () => {
  const w = await world();
  w.host.setState('10.0.0.2', 'Established');
  await settle();
  advanceUntil(w.clock, () => w.peerHandle.state === 'Up', 5000);
  w.peerHandle.remove();
  w.clock.advance(3000);
  assert.deepEqual(w.host.calls, []);
  await w.wiring.stop();
  await w.peer.close();
});

test('leaving Established removes the BFD session (the peer hears AdminDown); the next Established starts one', async () => {
  const w = await world();
  w.host.setState('10.0.0.2', 'Established');
  await settle();
  advanceUntil(w.clock, () => w.peerHandle.state === 'Up', 5000);
  w.host.setState('10.0.0.2', 'Idle');
  assert.deepEqual([w.peerHandle.state, w.peerHandle.remoteState], ['Down', 'AdminDown']);
  w.host.setState('10.0.0.2', 'Established');
  advanceUntil(w.clock, () => w.peerHandle.state === 'Up', 5000);
  assert.equal(w.peerHandle.state, 'Up');
  assert.equal(w.managers, 1);
  assert.deepEqual(w.host.calls, []);
  await w.wiring.stop();
  await w.peer.close();
});

test('a neighbor without bfd gets no session, and no socket is opened for it', async () => {
  const w = await world();
  w.host.setState('10.0.0.3', 'Established');
  w.clock.advance(5000);
  assert.equal(w.managers, 0);
  assert.equal(w.link.log.filter((e) => e.from === '10.0.0.1').length, 0);
  await w.wiring.stop();
  await w.peer.close();
});
