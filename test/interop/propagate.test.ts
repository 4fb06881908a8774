// Learned routes through tsbgpd (RFC 4271 9.2) between two real gobgpd in different
// ASes: a route from one reaches the other with tsbgpd's AS prepended, never goes back
// to the peer it came from, and a withdrawal follows. tsbgpd's export policy sets a
// documentation next hop, since gobgpd drops a received 127/8 one (docs: PLATFORM).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, allocLoopback, freePort, waitFor } from './harness.js';
import { Tsbgpd } from './tsbgpd.js';
import { Gobgpd } from './gobgpd.js';
import type { RibRoute } from './peer.js';

const tsbgpdAs = 65001;
const asA = 65010;
const asB = 65020;
const exportNextHop = '192.0.2.1';
const fromA = ['10.10.1.0/24', '10.10.2.0/24'];
const fromB = ['10.20.1.0/24'];
const policy = `
[[policy-definitions]]
  name = "next-hop"
  [[policy-definitions.statements]]
    name = "documentation-next-hop"
    [policy-definitions.statements.actions]
      route-disposition = "accept-route"
    [policy-definitions.statements.actions.bgp-actions]
      set-next-hop = "${exportNextHop}"
`;

describe('tsbgpd passes learned routes between two gobgpd of different ASes', () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let a: Gobgpd;
  let b: Gobgpd;

  const routeAt = async (peer: Gobgpd, prefix: string): Promise<RibRoute[]> => (await peer.routes('ipv4')).filter((r) => r.prefix === prefix);

  before(async () => {
    scope = await Scope.create('propagate');
    const tsAddress = allocLoopback();
    const aAddress = allocLoopback();
    const bAddress = allocLoopback();
    const [tsPort, aPort, bPort] = await Promise.all([freePort(tsAddress), freePort(aAddress), freePort(bAddress)]);
    a = new Gobgpd(scope, { as: asA, address: aAddress, port: aPort, neighbors: [{ address: tsAddress, port: tsPort, as: tsbgpdAs, isPassive: true }], nextHop4: '192.0.2.10', nextHop6: '2001:db8::10' });
    b = new Gobgpd(scope, { as: asB, address: bAddress, port: bPort, neighbors: [{ address: tsAddress, port: tsPort, as: tsbgpdAs, isPassive: true }], nextHop4: '192.0.2.20', nextHop6: '2001:db8::20' });
    const applyPolicy = ['  [neighbors.apply-policy.config]', '    export-policy-list = ["next-hop"]'];
    tsbgpd = new Tsbgpd(scope, {
      as: tsbgpdAs,
      address: tsAddress,
      port: tsPort,
      neighbors: [
        { address: aAddress, port: aPort, as: asA, isPassive: false, extraToml: applyPolicy },
        { address: bAddress, port: bPort, as: asB, isPassive: false, extraToml: applyPolicy },
      ],
      originate: [],
      extraToml: policy,
    });
    await a.start();
    await b.start();
    // A's routes are there before the session: they go out in tsbgpd's first table to B.
    for (const p of fromA) await a.originate(p);
    await tsbgpd.start();
    await tsbgpd.waitForState(aAddress, 'Established', 20_000);
    await tsbgpd.waitForState(bAddress, 'Established', 20_000);
  });

  after(async () => {
    await scope?.cleanup();
  });

  it("a) A's routes reach B with tsbgpd's AS prepended and the exported next hop", async () => {
    for (const p of fromA) {
      const [r] = await waitFor(async () => ((await routeAt(b, p)).length > 0 ? routeAt(b, p) : undefined), { timeoutMs: 15_000, intervalMs: 250, what: `gobgpd B has ${p}`, scope });
      assert.deepEqual(r!.asPath, [tsbgpdAs, asA]);
      assert.equal(r!.nextHop, exportNextHop);
      assert.equal(r!.fromPeer, tsbgpd.options.address);
    }
  });

  it("b) a route B announces later reaches A (learned after the first table); A's own routes never come back to A", async () => {
    for (const p of fromB) await b.originate(p);
    const [r] = await waitFor(async () => ((await routeAt(a, fromB[0]!)).length > 0 ? routeAt(a, fromB[0]!) : undefined), { timeoutMs: 15_000, intervalMs: 250, what: `gobgpd A has ${fromB[0]}`, scope });
    assert.deepEqual(r!.asPath, [tsbgpdAs, asB]);
    for (const p of fromA) {
      const paths = await routeAt(a, p);
      assert.deepEqual(paths.map((x) => x.fromPeer), [undefined], `${p} at A: only its own path`);
    }
  });

  it('c) a withdrawal at A leaves B', async () => {
    await a.withdraw(fromA[1]!);
    await waitFor(async () => ((await routeAt(b, fromA[1]!)).length === 0 ? true : undefined), { timeoutMs: 15_000, intervalMs: 250, what: `gobgpd B loses ${fromA[1]}`, scope });
    assert.equal((await routeAt(b, fromA[0]!)).length, 1, 'the other route stays');
  });
});
