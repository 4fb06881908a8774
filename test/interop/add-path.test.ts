// ADD-PATH send (RFC 7911) from tsbgpd to a real gobgpd that receives paths
// (`add-paths receive = true`): three gobgpd in different ASes announce one prefix,
// tsbgpd (`send-max = 2`) passes two of its paths to the fourth gobgpd, which holds
// both from tsbgpd; when one goes, the third takes its place; when two go, one stays.
// A gobgpd without ADD-PATH (the first source) keeps getting the best path only.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, allocLoopback, freePort, waitFor } from './harness.js';
import { Tsbgpd } from './tsbgpd.js';
import { Gobgpd } from './gobgpd.js';
import type { RibRoute } from './peer.js';

const tsbgpdAs = 65001;
const sourceAs = [65010, 65020, 65030];
const receiverAs = 65040;
const prefix = '10.30.1.0/24';
const exportNextHop = '192.0.2.1';
// gobgpd drops a received 127/8 next hop (README): tsbgpd sends a documentation one.
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

describe('ADD-PATH send: tsbgpd gives a receiving gobgpd up to send-max paths per prefix', () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let sources: Gobgpd[];
  let receiver: Gobgpd;

  /** The prefix's paths at the receiver that came from tsbgpd: their AS paths, sorted. */
  const pathsAtReceiver = async (): Promise<string[]> => {
    const routes: RibRoute[] = (await receiver.routes('ipv4')).filter((r) => r.prefix === prefix && r.fromPeer === tsbgpd.options.address);
    return routes.map((r) => r.asPath.join(' ')).sort();
  };
  const waitPaths = (expected: readonly string[], what: string): Promise<string[]> =>
    waitFor(async () => {
      const paths = await pathsAtReceiver();
      return JSON.stringify(paths) === JSON.stringify(expected) ? paths : undefined;
    }, { timeoutMs: 15_000, intervalMs: 250, what, scope });

  before(async () => {
    scope = await Scope.create('add-path');
    const tsAddress = allocLoopback();
    const addresses = sourceAs.map(() => allocLoopback());
    const receiverAddress = allocLoopback();
    const tsPort = await freePort(tsAddress);
    const ports = await Promise.all(addresses.map((a) => freePort(a)));
    const receiverPort = await freePort(receiverAddress);
    sources = addresses.map(
      (address, i) => new Gobgpd(scope, { as: sourceAs[i]!, address, port: ports[i]!, neighbors: [{ address: tsAddress, port: tsPort, as: tsbgpdAs, isPassive: true }], nextHop4: `192.0.2.${11 + i}`, nextHop6: `2001:db8::${11 + i}` }),
    );
    receiver = new Gobgpd(scope, {
      as: receiverAs,
      address: receiverAddress,
      port: receiverPort,
      neighbors: [{ address: tsAddress, port: tsPort, as: tsbgpdAs, isPassive: true, extraToml: ['  [neighbors.add-paths.config]', '    receive = true'] }],
      nextHop4: '192.0.2.40',
      nextHop6: '2001:db8::40',
    });
    const applyPolicy = ['  [neighbors.apply-policy.config]', '    export-policy-list = ["next-hop"]'];
    tsbgpd = new Tsbgpd(scope, {
      as: tsbgpdAs,
      address: tsAddress,
      port: tsPort,
      neighbors: [
        ...addresses.map((address, i) => ({ address, port: ports[i]!, as: sourceAs[i]!, isPassive: false, extraToml: applyPolicy })),
        { address: receiverAddress, port: receiverPort, as: receiverAs, isPassive: false, extraToml: [...applyPolicy, '  [neighbors.add-paths.config]', '    send-max = 2'] },
      ],
      originate: [],
      extraToml: policy,
    });
    for (const s of sources) await s.start();
    await receiver.start();
    await tsbgpd.start();
    for (const address of [...addresses, receiverAddress]) await tsbgpd.waitForState(address, 'Established', 20_000);
  });

  after(async () => {
    await scope?.cleanup();
  });

  it('a) three paths in tsbgpd: the receiver holds two of them from tsbgpd, the best among them', async () => {
    // Equal AS path lengths: the lowest router ID wins (RFC 4271 9.1.2.2 f), the first source's.
    for (const s of sources) await s.originate(prefix);
    const paths = await waitPaths([`${tsbgpdAs} ${sourceAs[0]}`, `${tsbgpdAs} ${sourceAs[1]}`], 'the receiver holds the best two paths');
    assert.equal(paths.length, 2);
  });

  it('b) a source without ADD-PATH gets the best path only', async () => {
    const at = (await sources[2]!.routes('ipv4')).filter((r) => r.prefix === prefix && r.fromPeer === tsbgpd.options.address);
    assert.deepEqual(at.map((r) => r.asPath), [[tsbgpdAs, sourceAs[0]]]);
  });

  it('c) the best path withdrawn: the third takes its place', async () => {
    await sources[0]!.withdraw(prefix);
    await waitPaths([`${tsbgpdAs} ${sourceAs[1]}`, `${tsbgpdAs} ${sourceAs[2]}`], 'the receiver holds the second and third paths');
  });

  it('d) one path left: the receiver holds that one only', async () => {
    await sources[1]!.withdraw(prefix);
    await waitPaths([`${tsbgpdAs} ${sourceAs[2]}`], 'the receiver holds the third path only');
  });
});
