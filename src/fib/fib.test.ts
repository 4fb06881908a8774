// The Fib against a real kernel table in a throwaway namespace (root needed; the netlink
// side runs in a child started with `ip netns exec`): the scenario's multipath route, held
// back next hops, a rejected route among good ones, random churn, adopt and sweep, stop.
// Without a namespace: a host without netlink turns the FIB off with a clear state.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAddress, parsePrefix } from '../lib/address.js';
import type { LogFields, Logger } from '../lib/logger.js';
import { Fib, type FibEntryStatus, type FibStatus } from './fib.js';
import { NetlinkUnavailableError } from './socket.js';
import { Driver, Netns } from './testing/netns.js';

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  metric?: number;
  nexthops?: { gateway: string; dev: string; weight: number }[];
}

/** The routes of protocol bgp in the namespace's main table, as `ip -j route` prints them. */
function bgpRoutes(ns: Netns, family: '-4' | '-6' = '-4'): IpRoute[] {
  return ns.ipJson<IpRoute[]>(family, 'route', 'show', 'proto', 'bgp').map((r) => ({ ...r, protocol: 'bgp' }));
}

function gatewaysOf(r: IpRoute | undefined): string[] {
  if (r === undefined) return [];
  return (r.nexthops?.map((h) => h.gateway) ?? (r.gateway === undefined ? [] : [r.gateway])).sort();
}

function logsWith(driver: Driver, msg: string): Record<string, unknown>[] {
  return driver.logs.filter((l) => l['msg'] === msg);
}

/** Settles until `check` holds (the driver may still be reading events), at most 50 rounds. */
async function settleUntil(driver: Driver, check: () => boolean): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await driver.call('settle');
    if (check()) return;
  }
  assert.fail('condition not reached after 50 settles');
}

describe('Fib in a namespace', () => {
  let ns: Netns;
  let driver: Driver;

  before(async () => {
    ns = Netns.create();
    ns.veth('fa0', 'fb0');
    ns.ip('addr', 'add', '172.17.0.1/24', 'dev', 'fa0');
    ns.ip('addr', 'add', '2001:db8::1/64', 'dev', 'fa0', 'nodad');
    driver = Driver.spawn(ns);
    const status = await driver.call<FibStatus>('start');
    assert.equal(status.state, 'running');
  });

  after(async () => {
    try {
      await driver?.close();
    } finally {
      driver?.kill();
      ns?.delete();
    }
  });

  test('the scenario: one route, protocol bgp, metric 20, three next hops of weight 1; then two; then none', async () => {
    const set = (nextHops: string[]) => driver.call('update', { routes: [{ prefix: '172.17.254.1/32', nextHops }] });
    const ops = async (): Promise<number[]> => {
      const o = (await driver.call<FibStatus>('status')).operations;
      return [o?.add ?? -1, o?.replace ?? -1, o?.delete ?? -1, o?.errors ?? -1];
    };
    const start = await ops();
    const moved = async (): Promise<number[]> => (await ops()).map((n, i) => n - start[i]!);
    await set(['172.17.0.21', '172.17.0.22', '172.17.0.23']);
    await driver.call('settle');
    let routes = bgpRoutes(ns);
    assert.equal(routes.length, 1);
    assert.equal(routes[0]!.dst, '172.17.254.1');
    assert.equal(routes[0]!.metric, 20);
    assert.deepEqual(routes[0]!.nexthops, [
      { gateway: '172.17.0.21', dev: 'fa0', weight: 1, flags: [] },
      { gateway: '172.17.0.22', dev: 'fa0', weight: 1, flags: [] },
      { gateway: '172.17.0.23', dev: 'fa0', weight: 1, flags: [] },
    ]);
    assert.deepEqual(await moved(), [1, 0, 0, 0], 'one add');

    await set(['172.17.0.21', '172.17.0.23']);
    await driver.call('settle');
    routes = bgpRoutes(ns);
    assert.equal(routes.length, 1);
    assert.deepEqual(gatewaysOf(routes[0]), ['172.17.0.21', '172.17.0.23']);
    assert.deepEqual(await moved(), [1, 1, 0, 0], 'then one replace');

    await set([]);
    await driver.call('settle');
    assert.deepEqual(bgpRoutes(ns), []);
    assert.deepEqual(await moved(), [1, 1, 1, 0], 'then one delete');
  });

  test('IPv6 multipath goes in as one route as well', async () => {
    await driver.call('update', { routes: [{ prefix: '2001:db8:254::1/128', nextHops: ['2001:db8::21', '2001:db8::22'] }] });
    await driver.call('settle');
    const routes = bgpRoutes(ns, '-6');
    assert.equal(routes.length, 1);
    assert.equal(routes[0]!.metric, 20);
    assert.deepEqual(gatewaysOf(routes[0]), ['2001:db8::21', '2001:db8::22']);
    await driver.call('update', { routes: [{ prefix: '2001:db8:254::1/128', nextHops: [] }] });
    await driver.call('settle');
    assert.deepEqual(bgpRoutes(ns, '-6'), []);
  });

  test('a route whose next hop is not on a connected network stays out until an address makes it reachable', async () => {
    await driver.call('update', { routes: [{ prefix: '172.17.254.5/32', nextHops: ['10.20.0.7'] }] });
    await driver.call('settle');
    assert.deepEqual(bgpRoutes(ns), []);
    const held = await driver.call<FibEntryStatus>('entry', { prefix: '172.17.254.5/32' });
    assert.deepEqual(held.unresolved, [{ nextHop: '10.20.0.7', reason: 'no-route' }]);
    assert.equal(held.installed, undefined);

    ns.ip('addr', 'add', '10.20.0.1/24', 'dev', 'fa0');
    await settleUntil(driver, () => bgpRoutes(ns).length === 1);
    const routes = bgpRoutes(ns);
    assert.equal(routes[0]!.dst, '172.17.254.5');
    assert.equal(routes[0]!.gateway, '10.20.0.7');

    // And out again when the address goes: the kernel flushes it, the FIB holds it back.
    ns.ip('addr', 'del', '10.20.0.1/24', 'dev', 'fa0');
    await settleUntil(driver, () => bgpRoutes(ns).length === 0);
    const again = await driver.call<FibEntryStatus>('entry', { prefix: '172.17.254.5/32' });
    assert.equal(again.unresolved.length, 1);
    await driver.call('update', { routes: [{ prefix: '172.17.254.5/32', nextHops: [] }] });
    await driver.call('settle');
  });

  test('a next hop behind a static route resolves recursively to its on-link gateway', async () => {
    ns.ip('route', 'add', '10.30.0.0/16', 'via', '172.17.0.40', 'proto', 'static');
    try {
      await driver.call('update', { routes: [{ prefix: '172.17.254.6/32', nextHops: ['10.30.1.1'] }] });
      await settleUntil(driver, () => bgpRoutes(ns).length === 1);
      assert.equal(bgpRoutes(ns)[0]!.gateway, '172.17.0.40');
    } finally {
      await driver.call('update', { routes: [{ prefix: '172.17.254.6/32', nextHops: [] }] });
      await driver.call('settle');
      ns.ip('route', 'del', '10.30.0.0/16', 'via', '172.17.0.40');
    }
    assert.deepEqual(bgpRoutes(ns), []);
  });

  test('a route the kernel refuses is logged with its error; the rest of the batch is installed; a next hop change retries it', async () => {
    // 172.17.0.1 is our own address: it resolves to fa0 but the kernel refuses a gateway that is local.
    // Its resolution is left to the kernel by making the FIB believe it is a neighbour: a /32 route.
    const routes = Array.from({ length: 50 }, (_, i) => ({ prefix: `172.17.253.${i}/32`, nextHops: ['172.17.0.21'] }));
    routes.push({ prefix: '172.17.252.0/24', nextHops: ['172.17.0.255'] });
    const errors = async (): Promise<number> => (await driver.call<FibStatus>('status')).operations?.errors ?? -1;
    const errorsBefore = await errors();
    await driver.call('update', { routes });
    await driver.call('settle');
    assert.equal(await errors(), errorsBefore + 1, 'the refusal is counted');
    const installed = bgpRoutes(ns);
    assert.equal(installed.length, 50, 'every good route of the batch is in');
    const rejected = logsWith(driver, 'fib route rejected');
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]!['prefix'], '172.17.252.0/24');
    assert.equal(typeof rejected[0]!['code'], 'string');
    assert.notEqual(rejected[0]!['code'], '');
    const entry = await driver.call<FibEntryStatus>('entry', { prefix: '172.17.252.0/24' });
    assert.ok(entry.error !== undefined, 'the entry keeps the kernel error');

    // Settling again does not hammer the kernel with the same refused request.
    await driver.call('settle');
    assert.equal(logsWith(driver, 'fib route rejected').length, 1);
    assert.equal(await errors(), errorsBefore + 1);

    // A new next hop is tried at once and goes in.
    await driver.call('update', { routes: [{ prefix: '172.17.252.0/24', nextHops: ['172.17.0.22'] }] });
    await driver.call('settle');
    assert.deepEqual(gatewaysOf(bgpRoutes(ns).find((r) => r.dst === '172.17.252.0/24')), ['172.17.0.22']);
    await driver.call('update', { routes: [...routes.map((r) => ({ ...r, nextHops: [] })), { prefix: '172.17.252.0/24', nextHops: [] }] });
    await driver.call('settle');
    assert.deepEqual(bgpRoutes(ns), []);
  });

  test('thousands of random desired-state changes end with the kernel table equal to the desired table', async () => {
    const gateways = ['172.17.0.21', '172.17.0.22', '172.17.0.23', '172.17.0.24'];
    const arbChange = fc.record({
      prefix: fc.integer({ min: 0, max: 399 }).map((i) => `10.77.${i >> 8}.${i & 0xff}/32`),
      nextHops: fc.subarray(gateways),
    });
    const seed = Number(process.env['FIB_SEED'] ?? Date.now() % 1_000_000);
    const all = fc.sample(arbChange, { numRuns: 3000, seed });
    // Batches of mixed sizes: single changes, some within one datagram, some spanning several.
    const sizes = [1, 3, 600, 17, 1200, 250, 1, 928];
    const batches: (typeof all)[] = [];
    for (let at = 0, i = 0; at < all.length; at += sizes[i++ % sizes.length]!) batches.push(all.slice(at, at + sizes[i % sizes.length]!));
    const desired = new Map<string, string[]>();
    let changes = 0;
    for (const batch of batches) {
      for (const c of batch) {
        if (c.nextHops.length === 0) desired.delete(c.prefix);
        else desired.set(c.prefix, [...c.nextHops].sort());
      }
      changes += batch.length;
      await driver.call('update', { routes: batch });
      // Half of the batches settle in between, half pile up behind requests in flight.
      if (batches.indexOf(batch) % 2 === 0) await driver.call('settle');
    }
    await driver.call('settle');
    assert.ok(changes >= 1000, `only ${changes} changes`);
    const kernel = new Map(bgpRoutes(ns).map((r) => [`${r.dst}/32`, gatewaysOf(r)]));
    assert.deepEqual(kernel, desired, `seed ${seed}`);
    assert.ok(bgpRoutes(ns).every((r) => r.metric === 20 && (r.nexthops ?? []).every((h) => h.weight === 1)));
    await driver.call('update', { routes: [...desired.keys()].map((prefix) => ({ prefix, nextHops: [] })) });
    await driver.call('settle');
    assert.deepEqual(bgpRoutes(ns), []);
  });

  test('a route of ours deleted by someone else is put back', async () => {
    await driver.call('update', { routes: [{ prefix: '172.17.254.9/32', nextHops: ['172.17.0.21'] }] });
    await driver.call('settle');
    // `ip` returns once the route is gone; the FIB may have put it back already.
    ns.ip('route', 'del', '172.17.254.9/32', 'proto', 'bgp', 'metric', '20');
    await settleUntil(driver, () => bgpRoutes(ns).some((r) => r.dst === '172.17.254.9'));
    await driver.call('update', { routes: [{ prefix: '172.17.254.9/32', nextHops: [] }] });
    await driver.call('settle');
  });
});

describe('Fib start and stop', () => {
  let ns: Netns;
  const drivers: Driver[] = [];

  before(() => {
    ns = Netns.create();
    ns.veth('fa0', 'fb0');
    ns.ip('addr', 'add', '172.17.0.1/24', 'dev', 'fa0');
  });

  after(async () => {
    try {
      for (const d of drivers) await d.close();
    } finally {
      for (const d of drivers) d.kill();
      ns?.delete();
    }
  });

  function spawn(prefix: readonly string[] = []): Driver {
    const d = Driver.spawn(ns, prefix);
    drivers.push(d);
    return d;
  }

  test('start adopts our routes, keeps them while the RIB refills, then sweeps the ones not re-learned', async () => {
    // Left over by an earlier run: three of ours, one with a stale metric, and one of another protocol.
    ns.ip('route', 'add', '172.17.254.1/32', 'proto', 'bgp', 'metric', '20', 'nexthop', 'via', '172.17.0.21', 'nexthop', 'via', '172.17.0.22');
    ns.ip('route', 'add', '172.17.254.2/32', 'via', '172.17.0.21', 'proto', 'bgp', 'metric', '20');
    ns.ip('route', 'add', '172.17.254.3/32', 'via', '172.17.0.23', 'proto', 'bgp', 'metric', '20');
    ns.ip('route', 'add', '172.17.254.4/32', 'via', '172.17.0.23', 'proto', 'static', 'metric', '20');
    const d = spawn();
    const status = await d.call<FibStatus>('start');
    assert.equal(status.state, 'running');
    assert.equal(status.installed, 3);
    assert.equal((await d.call<FibEntryStatus>('entry', { prefix: '172.17.254.2/32' })).isAdopted, true);

    // The RIB re-learns .1 unchanged and .2 with another next hop; .3 never comes back.
    await d.call('update', {
      routes: [
        { prefix: '172.17.254.1/32', nextHops: ['172.17.0.22', '172.17.0.21'] },
        { prefix: '172.17.254.2/32', nextHops: ['172.17.0.22'] },
      ],
    });
    await d.call('settle');
    assert.deepEqual(bgpRoutes(ns).map((r) => [r.dst, gatewaysOf(r)]), [
      ['172.17.254.1', ['172.17.0.21', '172.17.0.22']],
      ['172.17.254.2', ['172.17.0.22']],
      ['172.17.254.3', ['172.17.0.23']],
    ]);
    assert.equal(await d.call('sweep'), 1);
    await d.call('settle');
    assert.deepEqual(bgpRoutes(ns).map((r) => r.dst), ['172.17.254.1', '172.17.254.2']);
    assert.equal(ns.ipJson<IpRoute[]>('route', 'show', 'proto', 'static').length, 1, 'other protocols are left alone');

    // Stop removes ours, unless told to keep them.
    await d.call('stop', { keepRoutes: true });
    assert.equal(bgpRoutes(ns).length, 2);
    const d2 = spawn();
    assert.equal((await d2.call<FibStatus>('start')).installed, 2);
    await d2.call('stop');
    assert.deepEqual(bgpRoutes(ns), []);
    assert.equal(ns.ipJson<IpRoute[]>('route', 'show', 'proto', 'static').length, 1);
  });

  test('without the privilege to write the table the FIB says so and writes nothing', async () => {
    const d = spawn(['setpriv', '--inh-caps=-all', '--bounding-set=-all', '--reuid=65534', '--regid=65534', '--clear-groups']);
    const status = await d.call<FibStatus>('start');
    assert.equal(status.state, 'read-only');
    assert.match(status.reason ?? '', /CAP_NET_ADMIN/);
    assert.equal(logsWith(d, 'fib cannot write the kernel table; routes are tracked but not installed').length, 1);
    await d.call('update', { routes: [{ prefix: '172.17.254.1/32', nextHops: ['172.17.0.21'] }] });
    await d.call('settle');
    assert.deepEqual(bgpRoutes(ns), []);
    await d.call('stop');
  });
});

test('on a host without netlink the FIB is off and says why', async () => {
  const lines: { level: string; msg: string; fields: LogFields | undefined }[] = [];
  const logger: Logger = {
    debug: (msg, fields) => lines.push({ level: 'debug', msg, fields }),
    info: (msg, fields) => lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields) => lines.push({ level: 'error', msg, fields }),
    isDebug: true,
    child: () => logger,
  };
  const fib = new Fib({
    logger,
    openSocket: () => {
      throw new NetlinkUnavailableError('netlink exists only on Linux, not on darwin');
    },
  });
  const status = await fib.start();
  assert.equal(status.state, 'off');
  assert.match(status.reason ?? '', /only on Linux/);
  assert.deepEqual(
    lines.filter((l) => l.level === 'warn').map((l) => l.msg),
    ['fib off: no netlink on this host, routes are not installed'],
  );
  fib.update({ prefix: parsePrefix('172.17.254.1/32'), nextHops: [parseAddress('172.17.0.21')] });
  await fib.settled();
  assert.deepEqual(fib.entry(parsePrefix('172.17.254.1/32'))?.desired, ['172.17.0.21']);
  await fib.stop();
  assert.equal(fib.state, 'stopped');
});

test('options are checked with clear messages', () => {
  assert.throws(() => new Fib({ table: 255 }), /fib table must be 1 to 4294967295 and not local \(255\), not 255/);
  assert.throws(() => new Fib({ protocol: 0 }), /fib protocol must be 1 to 255, not 0/);
  assert.throws(() => new Fib({ metric: -1 }), /fib metric must be 0 to 4294967295, not -1/);
});
