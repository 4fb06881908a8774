// The peer drivers checked against each other, without tsbgpd: gobgpd, BIRD and FRR
// in a chain on loopback. When a tsbgpd interop test fails, this file tells whether
// the driver or tsbgpd is at fault.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, allocLoopback, freePort, waitFor } from './harness.js';
import { Gobgpd } from './gobgpd.js';
import { Bird } from './bird.js';
import { Frr } from './frr.js';
import type { PeerDaemon, RibRoute } from './peer.js';
import { familyOf } from './peer.js';

describe('peer drivers against each other (gobgpd, BIRD, FRR)', () => {
  let scope: Scope;
  let daemons: PeerDaemon[] = [];
  const prefixes = new Map<string, [string, string]>();

  before(async () => {
    scope = await Scope.create('drivers');
    const addr = [allocLoopback(), allocLoopback(), allocLoopback()];
    const port = await Promise.all(addr.map((a) => freePort(a)));
    const as = [65101, 65102, 65103];
    // A chain, not a triangle: gobgpd re-advertises with its own (127.x) address as
    // next hop, and FRR answers a 127/8 next hop with NOTIFICATION 3/8 (it resets
    // the session instead of treating the route as withdrawn). Each link has one
    // active and one passive side.
    const neighbor = (i: number, isPassive: boolean) => ({ address: addr[i]!, port: port[i]!, as: as[i]!, isPassive });
    const base = (i: number) => ({ as: as[i]!, address: addr[i]!, port: port[i]!, nextHop4: `192.0.2.${101 + i}`, nextHop6: `2001:db8::${101 + i}` });
    daemons = [
      new Gobgpd(scope, { ...base(0), neighbors: [neighbor(1, false)] }),
      new Bird(scope, { ...base(1), neighbors: [neighbor(0, true), neighbor(2, false)] }),
      new Frr(scope, { ...base(2), neighbors: [neighbor(1, true)] }),
    ];
    daemons.forEach((d, i) => prefixes.set(d.kind, [`198.51.100.${i * 16}/28`, `2001:db8:${101 + i}::/48`]));
    for (const d of daemons) await d.start();
  });

  after(async () => {
    await scope?.cleanup();
  });

  it('brings up all three sessions', async () => {
    for (const d of daemons) {
      for (const n of d.options.neighbors) {
        await waitFor(() => d.isEstablished(n.address), { timeoutMs: 20_000, intervalMs: 500, what: `${d.kind} Established with ${n.address}`, scope });
      }
    }
  });

  /** Adjacent daemons, both directions. */
  const links = (): [PeerDaemon, PeerDaemon][] => [
    [daemons[0]!, daemons[1]!],
    [daemons[1]!, daemons[0]!],
    [daemons[1]!, daemons[2]!],
    [daemons[2]!, daemons[1]!],
  ];

  const find = async (d: PeerDaemon, prefix: string, from: string): Promise<RibRoute | undefined> => (await d.routes(familyOf(prefix))).find((r) => r.prefix === prefix && r.fromPeer === from);

  it('carries originated IPv4 and IPv6 routes with AS path and next hop', async () => {
    for (const d of daemons) for (const p of prefixes.get(d.kind)!) await d.originate(p);
    for (const [src, dst] of links()) {
      for (const p of prefixes.get(src.kind)!) {
        const route = await waitFor(() => find(dst, p, src.options.address), { timeoutMs: 10_000, what: `${dst.kind} receives ${p} from ${src.kind}`, scope });
        assert.deepEqual(route.asPath, [src.options.as], `${dst.kind}: AS path of ${p}`);
        assert.equal(route.nextHop, familyOf(p) === 'ipv4' ? src.options.nextHop4 : src.options.nextHop6, `${dst.kind}: next hop of ${p}`);
      }
    }
  });

  it('withdraws them', async () => {
    for (const d of daemons) for (const p of prefixes.get(d.kind)!) await d.withdraw(p);
    for (const [src, dst] of links()) {
      for (const p of prefixes.get(src.kind)!) {
        await waitFor(async () => (await dst.routes(familyOf(p))).every((r) => r.prefix !== p), { timeoutMs: 10_000, what: `${dst.kind} drops ${p}`, scope });
      }
    }
  });
});
