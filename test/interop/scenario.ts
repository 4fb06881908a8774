// The scenario's router role on loopback, shared by the tests that need it: a tsbgpd
// (AS 64512) knowing no neighbor, only a dynamic-neighbors range of its /24 with peer
// group k8s and multipath on, and three gobgpd speakers (AS 64522) on addresses of that
// /24 connecting to it. Each speaker puts its node's next hop 172.17.0.2x on the routes
// it announces (written in routes, never configured or sent to).

import { allocLoopback, freePort, type Scope } from './harness.js';
import { Gobgpd } from './gobgpd.js';
import { Tsbgpd } from './tsbgpd.js';

export const routerAs = 64512;
export const nodeAs = 64522;
/** The LoadBalancer service address every node announces. */
export const service = '172.17.254.1/32';
export const nodeNextHops = ['172.17.0.21', '172.17.0.22', '172.17.0.23'] as const;

export interface RouterScenario {
  readonly tsbgpd: Tsbgpd;
  readonly nodes: readonly Gobgpd[];
  /** The dynamic-neighbors range, the /24 of every address. */
  readonly range: string;
}

/**
 * Starts the router, then the three speakers (which connect by themselves). With
 * `isApiServed`, tsbgpd's API listens on a free port of its address (`gobgp` reaches it
 * through `tsbgpd.gobgp(...)`).
 */
export async function startRouterScenario(scope: Scope, options: { readonly isApiServed?: boolean } = {}): Promise<RouterScenario> {
  const routerAddress = allocLoopback();
  const nodeAddresses = nodeNextHops.map(() => allocLoopback());
  const range = `${routerAddress.split('.').slice(0, 3).join('.')}.0/24`;
  const routerPort = await freePort(routerAddress);
  const apiPort = options.isApiServed === true ? await freePort(routerAddress) : undefined;
  const nodePorts = await Promise.all(nodeAddresses.map((a) => freePort(a)));
  const tsbgpd = new Tsbgpd(scope, {
    as: routerAs,
    address: routerAddress,
    port: routerPort,
    neighbors: [],
    peerGroups: [{ name: 'k8s', as: nodeAs }],
    dynamicNeighbors: [{ prefix: range, peerGroup: 'k8s' }],
    isMultipath: true,
    originate: [],
    ...(apiPort === undefined ? {} : { apiHosts: `${routerAddress}:${apiPort}` }),
  });
  const nodes = nodeAddresses.map(
    (address, i) =>
      new Gobgpd(scope, {
        as: nodeAs,
        address,
        port: nodePorts[i]!,
        neighbors: [{ address: routerAddress, port: routerPort, as: routerAs, isPassive: false }],
        nextHop4: nodeNextHops[i]!,
        nextHop6: `2001:db8::${21 + i}`,
      }),
  );
  await tsbgpd.start();
  await Promise.all(nodes.map((n) => n.start()));
  return { tsbgpd, nodes, range };
}
