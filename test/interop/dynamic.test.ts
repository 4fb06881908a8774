// The scenario's router role with real speakers: three gobgpd (AS 64522) on loopback
// addresses of one /24 connect to a tsbgpd that knows no neighbor, only a
// dynamic-neighbors range of that /24 with peer group k8s, and multipath on. Each
// announces the service address 172.17.254.1/32 with its node's next hop (172.17.0.2x:
// written in routes, never configured or sent to). Checked from tsbgpd's log lines: the
// sessions, the routes, the Loc-RIB's multipath set, and what a withdrawal and a
// departing speaker change, each in one published RIB event.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, waitFor, holdsFor } from './harness.js';
import type { Gobgpd } from './gobgpd.js';
import type { Tsbgpd, LogEntry } from './tsbgpd.js';
import { nodeAs, nodeNextHops, service, startRouterScenario } from './scenario.js';
const establishedMs = 20_000;
const routeMs = 10_000;
/** How long a set must stay as it is to count as the one event of a change. */
const settleMs = 1500;

const sorted = (a: readonly string[]): string[] => [...a].sort();

describe('tsbgpd as the router: dynamic neighbors from a range, multipath Loc-RIB (three gobgpd)', () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let nodes: readonly Gobgpd[] = [];
  let range = '';

  /** `best path` lines for the service address, from log index `from` on. */
  const bestPaths = (from = 0): LogEntry[] => tsbgpd.log.slice(from).filter((e) => e.msg === 'best path' && e['prefix'] === service);
  const multipathOf = (e: LogEntry | undefined): string[] => sorted((e?.['multipath'] as string[] | undefined) ?? []);

  /**
   * Waits for the first `best path` line after `from`, checks it holds `expected`, and
   * that no other follows while the set settles: the change came as one event.
   */
  async function expectOneEvent(from: number, expected: readonly string[], what: string): Promise<void> {
    const first = await waitFor(() => bestPaths(from)[0], { timeoutMs: routeMs, intervalMs: 100, what: `tsbgpd "best path" for ${service} after ${what}`, scope });
    assert.deepEqual(multipathOf(first), sorted(expected), `multipath set after ${what}`);
    await holdsFor(() => (bestPaths(from).length > 1 ? `a second "best path" line after ${what}: ${JSON.stringify(bestPaths(from)[1])}` : undefined), { durationMs: settleMs, intervalMs: 100, scope });
  }

  before(async () => {
    scope = await Scope.create('dynamic-neighbors');
    ({ tsbgpd, nodes, range } = await startRouterScenario(scope));
  });

  after(async () => {
    await scope?.cleanup();
  });

  it('a) accepts the three speakers from the range with the group AS; all Established', async () => {
    for (const n of nodes) {
      const address = n.options.address;
      await tsbgpd.waitForState(address, 'Established', establishedMs);
      await waitFor(() => n.isEstablished(tsbgpd.options.address), { timeoutMs: establishedMs, intervalMs: 250, what: `gobgpd ${address} shows tsbgpd Established`, scope });
      const accepted = tsbgpd.entries('dynamic neighbor accepted', address);
      assert.ok(accepted.length >= 1, `tsbgpd logs "dynamic neighbor accepted" for ${address}`);
      assert.equal(accepted.at(-1)!['range'], range);
      assert.equal(accepted.at(-1)!['peerGroup'], 'k8s');
      assert.equal(accepted.at(-1)!['peerAs'], nodeAs);
    }
    assert.equal(tsbgpd.options.neighbors.length, 0, 'tsbgpd has no configured neighbor');
  });

  it('b) receives the service address from each speaker with its next hop', async () => {
    for (const n of nodes) await n.originate(service);
    for (const [i, n] of nodes.entries()) {
      const route = await waitFor(() => tsbgpd.route(n.options.address, service), { timeoutMs: routeMs, intervalMs: 100, what: `tsbgpd "route received" ${service} from ${n.options.address}`, scope });
      assert.equal(route.nextHop, nodeNextHops[i]);
      assert.equal(route.asPath, String(nodeAs));
    }
  });

  it('c) holds one best path with a multipath set of the three next hops', async () => {
    const last = await waitFor(() => {
      const e = bestPaths().at(-1);
      return multipathOf(e).length === 3 ? e : undefined;
    }, { timeoutMs: routeMs, intervalMs: 100, what: `tsbgpd "best path" ${service} with three next hops`, scope });
    assert.deepEqual(multipathOf(last), sorted(nodeNextHops));
    assert.ok(nodeNextHops.includes(last['best'] as (typeof nodeNextHops)[number]), `best ${String(last['best'])} is one of the set`);
    // As the routes came, one by one: one event each, the set growing by one.
    assert.deepEqual(bestPaths().map((e) => multipathOf(e).length), [1, 2, 3]);
  });

  it('d) a withdrawal removes that route only: the set has two, in one event', async () => {
    const [gone, ...kept] = nodes as [Gobgpd, Gobgpd, Gobgpd];
    const from = tsbgpd.log.length;
    await gone.withdraw(service);
    await tsbgpd.waitForLog('route withdrawn', (e) => e['prefix'] === service && e['peer'] === gone.options.address, routeMs, from);
    assert.equal(tsbgpd.route(gone.options.address, service), undefined);
    for (const n of kept) assert.notEqual(tsbgpd.route(n.options.address, service), undefined, `${n.options.address}'s route stays`);
    await expectOneEvent(from, [nodeNextHops[1], nodeNextHops[2]], `the withdrawal by ${gone.options.address}`);
    assert.equal(tsbgpd.state(gone.options.address), 'Established', 'the withdrawing speaker stays connected');
  });

  it('e) a speaker that stops takes its session and its route with it', async () => {
    const leaving = nodes[1]!;
    const address = leaving.options.address;
    const from = tsbgpd.log.length;
    await leaving.stop();
    await tsbgpd.waitForLog('dynamic neighbor removed', (e) => e['peer'] === address, establishedMs, from);
    await tsbgpd.waitForLog('peer routes dropped', (e) => e['peer'] === address, routeMs, from);
    assert.notEqual(tsbgpd.state(address), 'Established');
    assert.equal(tsbgpd.route(address, service), undefined);
    assert.notEqual(tsbgpd.route(nodes[2]!.options.address, service), undefined);
    await expectOneEvent(from, [nodeNextHops[2]], `${address} stopped`);
    assert.equal(tsbgpd.state(nodes[0]!.options.address), 'Established');
    assert.equal(tsbgpd.state(nodes[2]!.options.address), 'Established');
  });
});
