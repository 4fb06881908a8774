// Session protections against real daemons on loopback: TCP MD5 (RFC 2385) with FRR and
// BIRD, tsbgpd active and passive; a wrong password never reaches Established; GTSM
// (RFC 5082) with both; and GTSM against a sender whose TTL is too low (loopback does
// not decrement the TTL, so the sender's own TTL is what arrives).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, allocLoopback, freePort, holdsFor, waitFor, runId } from './harness.js';
import { Tsbgpd } from './tsbgpd.js';
import { Frr } from './frr.js';
import { Bird } from './bird.js';
import type { NeighborSpec, PeerDaemon, PeerOptions } from './peer.js';

const tsbgpdAs = 65001;
const peerAs = 65002;
const establishedMs = 20_000;
/** How long a session that must not come up is watched (several connect retries of 3 s). */
const neverUpMs = 10_000;

type Kind = 'frr' | 'bird';
/** Protection settings of one side, as NeighborSpec writes them. */
type Protection = Pick<NeighborSpec, 'password' | 'isGtsm' | 'ttl'>;

interface Pair {
  readonly tsbgpd: Tsbgpd;
  readonly peer: PeerDaemon;
}

function makePeer(kind: Kind, scope: Scope, o: PeerOptions): PeerDaemon {
  return kind === 'frr' ? new Frr(scope, o) : new Bird(scope, o);
}

/** The peer, then tsbgpd, on fresh loopback addresses; `ours` and `theirs` are each side's settings. */
async function startPair(scope: Scope, kind: Kind, isTsbgpdPassive: boolean, ours: Protection, theirs: Protection): Promise<Pair> {
  const tsAddress = allocLoopback();
  const peerAddress = allocLoopback();
  const [tsPort, peerPort] = await Promise.all([freePort(tsAddress), freePort(peerAddress)]);
  const peer = makePeer(kind, scope, {
    as: peerAs,
    address: peerAddress,
    port: peerPort,
    neighbors: [{ address: tsAddress, port: tsPort, as: tsbgpdAs, isPassive: !isTsbgpdPassive, ...theirs }],
    nextHop4: '192.0.2.2',
    nextHop6: '2001:db8::2',
  });
  const tsbgpd = new Tsbgpd(scope, {
    as: tsbgpdAs,
    address: tsAddress,
    port: tsPort,
    neighbors: [{ address: peerAddress, port: peerPort, as: peerAs, isPassive: isTsbgpdPassive, ...ours }],
    originate: [],
  });
  await peer.start();
  await tsbgpd.start();
  return { tsbgpd, peer };
}

async function bothEstablished(scope: Scope, p: Pair): Promise<void> {
  await p.tsbgpd.waitForState(p.peer.options.address, 'Established', establishedMs);
  const tsAddress = p.tsbgpd.options.address;
  await waitFor(() => p.peer.isEstablished(tsAddress), { timeoutMs: establishedMs, intervalMs: 250, what: `${p.peer.kind} shows ${tsAddress} Established`, scope });
}

/**
 * Neither side reaches Established; with `isTsbgpdOnly` only tsbgpd is watched: a peer
 * may see our OPEN and KEEPALIVE and call the session up, while everything it sends
 * after its first flight is dropped (see the GTSM case below).
 */
async function neverEstablished(scope: Scope, p: Pair, isTsbgpdOnly = false): Promise<void> {
  const peerAddress = p.peer.options.address;
  const tsAddress = p.tsbgpd.options.address;
  await holdsFor(async () => {
    if (p.tsbgpd.state(peerAddress) === 'Established') return 'tsbgpd reached Established';
    if (!isTsbgpdOnly && (await p.peer.isEstablished(tsAddress))) return `${p.peer.kind} reached Established`;
    return undefined;
  }, { durationMs: neverUpMs, intervalMs: 500, scope });
  assert.equal(p.tsbgpd.entries('session state', peerAddress).filter((e) => e['to'] === 'Established').length, 0);
}

/** Each case in its own scope, stopped (every process killed) before the next starts. */
function scoped(name: string, body: (scope: Scope) => Promise<void>): void {
  it(name, async () => {
    const scope = await Scope.create(`tcp-auth-${runId}`);
    try {
      await body(scope);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${scope.recentLogs()}`, { cause: err });
    } finally {
      await scope.cleanup();
    }
  });
}

describe('TCP MD5 and GTSM against FRR and BIRD', { concurrency: false }, () => {
  for (const kind of ['frr', 'bird'] as const) {
    for (const isTsbgpdPassive of [false, true]) {
      scoped(`${kind}: the same MD5 password, tsbgpd ${isTsbgpdPassive ? 'passive' : 'active'}: Established`, async (scope) => {
        await bothEstablished(scope, await startPair(scope, kind, isTsbgpdPassive, { password: 'md5-S3cret' }, { password: 'md5-S3cret' }));
      });
    }
    scoped(`${kind}: a wrong MD5 password never reaches Established`, async (scope) => {
      await neverEstablished(scope, await startPair(scope, kind, true, { password: 'ours' }, { password: 'theirs' }));
    });
    scoped(`${kind}: GTSM on both sides: Established`, async (scope) => {
      await bothEstablished(scope, await startPair(scope, kind, false, { isGtsm: true }, { isGtsm: true }));
    });
  }

  scoped('frr: MD5 with a dynamic-neighbors range whose peer group has the password (TCP_MD5SIG_EXT): Established', async (scope) => {
    const tsAddress = allocLoopback();
    const peerAddress = allocLoopback();
    const [tsPort, peerPort] = await Promise.all([freePort(tsAddress), freePort(peerAddress)]);
    const range = `${peerAddress.split('.').slice(0, 3).join('.')}.0/24`;
    const peer = new Frr(scope, {
      as: peerAs,
      address: peerAddress,
      port: peerPort,
      neighbors: [{ address: tsAddress, port: tsPort, as: tsbgpdAs, isPassive: false, password: 'range-key' }],
      nextHop4: '192.0.2.2',
      nextHop6: '2001:db8::2',
    });
    const tsbgpd = new Tsbgpd(scope, {
      as: tsbgpdAs,
      address: tsAddress,
      port: tsPort,
      neighbors: [],
      peerGroups: [{ name: 'ranged', as: peerAs, password: 'range-key' }],
      dynamicNeighbors: [{ prefix: range, peerGroup: 'ranged' }],
      originate: [],
    });
    await peer.start();
    await tsbgpd.start();
    await bothEstablished(scope, { tsbgpd, peer });
  });

  scoped('frr: MD5 on one side only never reaches Established', async (scope) => {
    await neverEstablished(scope, await startPair(scope, 'frr', false, { password: 'only-ours' }, {}));
  });

  scoped('frr with GTSM never reaches Established with tsbgpd sending TTL 2 (ebgp-multihop); with TTL 255 it does', async (scope) => {
    await neverEstablished(scope, await startPair(scope, 'frr', false, { ttl: 2 }, { isGtsm: true }));
    await bothEstablished(scope, await startPair(scope, 'frr', false, { ttl: 255 }, { isGtsm: true }));
  });

  // The least TTL is set on an accepted connection, so the peer's first flight (its
  // OPEN, sent right after the handshake) may be read before it applies; the KEEPALIVE
  // that would take tsbgpd to Established comes after our OPEN, and is dropped.
  scoped('tsbgpd with GTSM never reaches Established with bird sending TTL 2 (multihop 2)', async (scope) => {
    await neverEstablished(scope, await startPair(scope, 'bird', true, { isGtsm: true }, { ttl: 2 }), true);
  });
});
