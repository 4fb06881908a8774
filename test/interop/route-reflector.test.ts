// tsbgpd as a route reflector (RFC 4456) between two real gobgpd in its own AS: a route
// from the client reaches the non-client, with ORIGINATOR_ID (the client's router ID)
// and CLUSTER_LIST (tsbgpd's cluster ID) and the next hop unchanged; a route from the
// non-client reaches the client.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, allocLoopback, freePort, waitFor } from './harness.js';
import { Tsbgpd } from './tsbgpd.js';
import { Gobgpd } from './gobgpd.js';

const as = 65001;
const clusterId = '10.0.0.99';

interface RawAttr {
  readonly type: number;
  readonly value?: unknown;
  readonly nexthop?: string;
}

describe('tsbgpd reflects routes between a client and a non-client gobgpd (iBGP)', () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let client: Gobgpd;
  let other: Gobgpd;

  /** The attributes of the first path for `prefix` in the daemon's RIB, undefined while absent. */
  const attrsAt = async (peer: Gobgpd, prefix: string): Promise<RawAttr[] | undefined> => {
    const text = (await peer.cli(['global', 'rib', '-j'])).trim();
    if (text === '' || text === 'null') return undefined;
    const paths = (JSON.parse(text) as Record<string, readonly { readonly attrs?: RawAttr[] }[]>)[prefix];
    return paths?.[0]?.attrs;
  };

  before(async () => {
    scope = await Scope.create('route-reflector');
    const tsAddress = allocLoopback();
    const cAddress = allocLoopback();
    const oAddress = allocLoopback();
    const [tsPort, cPort, oPort] = await Promise.all([freePort(tsAddress), freePort(cAddress), freePort(oAddress)]);
    client = new Gobgpd(scope, { as, address: cAddress, port: cPort, neighbors: [{ address: tsAddress, port: tsPort, as, isPassive: true }], nextHop4: '192.0.2.31', nextHop6: '2001:db8::31' });
    other = new Gobgpd(scope, { as, address: oAddress, port: oPort, neighbors: [{ address: tsAddress, port: tsPort, as, isPassive: true }], nextHop4: '192.0.2.41', nextHop6: '2001:db8::41' });
    tsbgpd = new Tsbgpd(scope, {
      as,
      address: tsAddress,
      port: tsPort,
      neighbors: [
        { address: cAddress, port: cPort, as, isPassive: false, extraToml: ['  [neighbors.route-reflector.config]', '    route-reflector-client = true', `    route-reflector-cluster-id = "${clusterId}"`] },
        { address: oAddress, port: oPort, as, isPassive: false },
      ],
      originate: [],
    });
    await client.start();
    await other.start();
    await tsbgpd.start();
    await tsbgpd.waitForState(cAddress, 'Established', 20_000);
    await tsbgpd.waitForState(oAddress, 'Established', 20_000);
  });

  after(async () => {
    await scope?.cleanup();
  });

  it("a) the client's route reaches the non-client with ORIGINATOR_ID, CLUSTER_LIST, its own next hop", async () => {
    await client.originate('10.30.1.0/24');
    const attrs = await waitFor(() => attrsAt(other, '10.30.1.0/24'), { timeoutMs: 15_000, intervalMs: 250, what: 'the non-client has 10.30.1.0/24', scope });
    const byType = new Map(attrs.map((a) => [a.type, a]));
    assert.equal(byType.get(3)?.nexthop, '192.0.2.31', 'next hop unchanged');
    assert.equal(JSON.stringify(byType.get(9)?.value), JSON.stringify(client.options.address), 'ORIGINATOR_ID: the client');
    assert.deepEqual(byType.get(10)?.value, [clusterId], 'CLUSTER_LIST: our cluster ID');
  });

  it("b) the non-client's route reaches the client", async () => {
    await other.originate('10.40.1.0/24');
    const attrs = await waitFor(() => attrsAt(client, '10.40.1.0/24'), { timeoutMs: 15_000, intervalMs: 250, what: 'the client has 10.40.1.0/24', scope });
    assert.equal(new Map(attrs.map((a) => [a.type, a])).get(3)?.nexthop, '192.0.2.41');
  });
});
