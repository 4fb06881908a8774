// The stock gobgp CLI (GoBGP 3.10) driving a running tsbgpd through its API, in the
// scenario's router role: tsbgpd with a dynamic-neighbors range and its API on a free
// loopback port, three real gobgpd speakers announcing 172.17.254.1/32 with the nodes'
// next hops and origin incomplete. What the user sees: `gobgp global`, `gobgp
// neighbor`, `gobgp global rib`, `gobgp monitor adj-in` (the scenario's three lines,
// and the withdrawals when sessions go, which gobgpd itself does not print), a route
// added with `gobgp global rib add` reaching the speakers, `gobgp neighbor X shutdown`.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, requireBinary, waitFor, type DaemonProcess } from './harness.js';
import type { Gobgpd } from './gobgpd.js';
import type { Tsbgpd } from './tsbgpd.js';
import { nodeAs, nodeNextHops, routerAs, service, startRouterScenario } from './scenario.js';

const establishedMs = 20_000;
const routeMs = 10_000;
/** gobgp monitor's first column, e.g. 2019-07-27T07:32:17Z. */
const timestamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /;

/** A monitor line with its time replaced by TIME, or undefined if it has none. */
function normalized(line: string): string | undefined {
  return timestamp.test(line) ? line.replace(timestamp, 'TIME ') : undefined;
}

describe('the stock gobgp CLI against tsbgpd as the router (three gobgpd speakers)', () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let nodes: readonly Gobgpd[] = [];
  let monitor: DaemonProcess;
  const monitorLines: string[] = [];

  const nodeAddress = (i: number): string => nodes[i]!.options.address;
  const routeLine = (nextHop: string): string => `TIME [ROUTE] ${service} via ${nextHop} aspath [${nodeAs}] attrs [{Origin: ?}]`;
  const delRoutes = (): string[] => monitorLines.filter((l) => l.includes('[DELROUTE]'));

  before(async () => {
    scope = await Scope.create('gobgp-cli');
    ({ tsbgpd, nodes } = await startRouterScenario(scope, { isApiServed: true }));
    for (const n of nodes) await tsbgpd.waitForState(n.options.address, 'Established', establishedMs);
    // Started before any route is announced: it sees each one arrive.
    monitor = scope.spawn('gobgp-monitor-adj-in', { command: requireBinary('gobgp'), args: [...tsbgpd.gobgpTarget(), 'monitor', 'adj-in'] });
    monitor.onLine((line, stream) => {
      if (stream === 'stdout') monitorLines.push(line);
    });
    await tsbgpd.waitForLog('api call', (e) => e['method'] === 'WatchEvent', 10_000);
  });

  after(async () => {
    await scope?.cleanup();
  });

  it('gobgp global: AS 64512 and the router ID', async () => {
    const out = await tsbgpd.gobgp(['global']);
    assert.match(out, new RegExp(`^AS:\\s+${routerAs}\\nRouter-ID: ${tsbgpd.options.address.replaceAll('.', '\\.')}\\n`));
    assert.match(out, /Multipath: enabled/);
  });

  it('gobgp neighbor: the three speakers Established', async () => {
    const lines = (await tsbgpd.gobgp(['neighbor'])).trimEnd().split('\n');
    assert.match(lines[0]!, /^Peer\s+AS\s+Up\/Down\s+State\s+\|#Received\s+Accepted$/);
    const rows = lines.slice(1).map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows.map((r) => r[0]), nodes.map((n) => n.options.address));
    for (const r of rows) {
      assert.equal(r[1], String(nodeAs));
      assert.equal(r[3], 'Establ');
    }
  });

  it('gobgp monitor adj-in prints the scenario\'s three lines as the speakers announce', async () => {
    for (const [i, n] of nodes.entries()) {
      await n.cli(['global', 'rib', '-a', 'ipv4', 'add', service, 'nexthop', nodeNextHops[i]!, 'origin', 'incomplete']);
    }
    const lines = await waitFor(() => {
      const routes = monitorLines.map(normalized).filter((l): l is string => l !== undefined && l.includes('[ROUTE]'));
      return routes.length >= 3 ? routes : undefined;
    }, { timeoutMs: routeMs, intervalMs: 100, what: 'three [ROUTE] lines from gobgp monitor adj-in', scope });
    assert.deepEqual([...lines].sort(), nodeNextHops.map(routeLine).sort());
    assert.equal(lines.length, 3);
  });

  it('gobgp global rib: 172.17.254.1/32 via the three next hops, one best', async () => {
    const lines = await waitFor(async () => {
      const out = (await tsbgpd.gobgp(['global', 'rib'])).trimEnd().split('\n');
      return out.length === 4 ? out : undefined;
    }, { timeoutMs: routeMs, intervalMs: 250, what: 'three paths in gobgp global rib', scope });
    assert.match(lines[0]!, /^ {3}Network\s+Next Hop\s+AS_PATH\s+Age\s+Attrs$/);
    const rows = lines.slice(1);
    assert.equal(rows.filter((l) => l.startsWith('*> ')).length, 1, 'one best');
    assert.equal(rows.filter((l) => l.startsWith('*  ')).length, 2);
    const hops = rows.map((l) => {
      const m = /^\*[> ] 172\.17\.254\.1\/32 +(\S+) +64522 +\d\d:\d\d:\d\d +\[\{Origin: \?\}\]$/.exec(l);
      assert.ok(m !== null, `row: ${l}`);
      return m[1]!;
    });
    assert.deepEqual(hops.sort(), [...nodeNextHops]);
    assert.match(await tsbgpd.gobgp(['global', 'rib', 'summary']), /Destination: 1, Path: 3/);
  });

  it('gobgp global rib add: the route reaches the gobgpd speakers; del withdraws it', async () => {
    await tsbgpd.gobgp(['global', 'rib', 'add', '10.99.0.0/24', 'nexthop', '192.0.2.1']);
    for (const n of nodes) {
      const route = await waitFor(async () => (await n.routes('ipv4')).find((r) => r.prefix === '10.99.0.0/24'), {
        timeoutMs: routeMs,
        intervalMs: 250,
        what: `10.99.0.0/24 in gobgpd ${n.options.address}'s global rib`,
        scope,
      });
      assert.equal(route.nextHop, '192.0.2.1');
      assert.deepEqual(route.asPath, [routerAs]);
    }
    assert.match(await tsbgpd.gobgp(['neighbor', nodeAddress(0), 'adj-out']), /10\.99\.0\.0\/24 +192\.0\.2\.1 +64512 /);
    await tsbgpd.gobgp(['global', 'rib', 'del', '10.99.0.0/24']);
    for (const n of nodes) {
      await waitFor(async () => !(await n.routes('ipv4')).some((r) => r.prefix === '10.99.0.0/24'), { timeoutMs: routeMs, intervalMs: 250, what: `10.99.0.0/24 gone from gobgpd ${n.options.address}`, scope });
    }
  });

  it('gobgp neighbor ADDR shutdown: the session goes down and stays down; monitor prints the withdrawal', async () => {
    const address = nodeAddress(0);
    await tsbgpd.gobgp(['neighbor', address, 'shutdown', '--reason', 'maintenance']);
    await tsbgpd.waitForLog('notification sent', (e) => e['peer'] === address && e['subcode'] === 2, routeMs);
    await waitFor(async () => !(await nodes[0]!.isEstablished(tsbgpd.options.address)), { timeoutMs: routeMs, intervalMs: 250, what: `gobgpd ${address} sees the session down`, scope });
    const line = await waitFor(() => delRoutes().map(normalized).find((l) => l?.includes(`via ${nodeNextHops[0]} `)), {
      timeoutMs: routeMs,
      intervalMs: 100,
      what: `[DELROUTE] via ${nodeNextHops[0]}`,
      scope,
    });
    assert.equal(line, `TIME [DELROUTE] ${service} via ${nodeNextHops[0]} aspath [${nodeAs}] attrs [{Origin: ?}]`);
    // gobgpd retries every few seconds; tsbgpd refuses while the neighbor is shut down.
    const row = await waitFor(async () => (await tsbgpd.gobgp(['neighbor'])).split('\n').find((l) => l.startsWith(`${address} `)), { timeoutMs: routeMs, intervalMs: 250, what: `${address} in gobgp neighbor`, scope });
    assert.match(row, /\s(Idle|Idle\(Admin\))\s/);
    assert.match(await tsbgpd.gobgp(['neighbor', address]), /BGP state = IDLE/);
  });

  it('a speaker that stops: monitor adj-in prints [DELROUTE] for its route (gobgpd prints nothing here)', async () => {
    const before = delRoutes().length;
    await nodes[1]!.stop();
    const line = await waitFor(() => delRoutes().slice(before).map(normalized)[0], { timeoutMs: establishedMs, intervalMs: 100, what: `[DELROUTE] after ${nodeAddress(1)} stopped`, scope });
    assert.equal(line, `TIME [DELROUTE] ${service} via ${nodeNextHops[1]} aspath [${nodeAs}] attrs [{Origin: ?}]`);
    const rib = await tsbgpd.gobgp(['global', 'rib']);
    assert.doesNotMatch(rib, new RegExp(`${nodeNextHops[1]!.replaceAll('.', '\\.')}`));
    assert.match(rib, /\*> 172\.17\.254\.1\/32 +172\.17\.0\.23 /);
  });
});
