// Next hop resolution, case by case, on a kernel view built by hand: connected routes,
// recursion through a static route, the most specific route deciding, our own routes and
// the default route never used, links going down, and our own addresses.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress, parseAddress, parsePrefix } from '../lib/address.js';
import { IfFlag, OperState } from './link-message.js';
import { Resolver } from './resolver.js';
import { NextHopFlag, RouteProtocol, RouteScope, RouteTable, RouteType, type KernelRoute } from './route-message.js';

function route(dst: string, hops: { via?: string; dev: number; flags?: number }[], extra: Partial<KernelRoute> = {}): KernelRoute {
  return {
    dst: parsePrefix(dst),
    table: RouteTable.main,
    protocol: RouteProtocol.kernel,
    scope: hops.every((h) => h.via === undefined) ? RouteScope.link : RouteScope.universe,
    type: RouteType.unicast,
    metric: 0,
    tos: 0,
    nextHops: hops.map((h) => ({ gateway: h.via === undefined ? undefined : parseAddress(h.via), ifindex: h.dev, weight: 1, flags: h.flags ?? 0 })),
    prefSrc: undefined,
    flags: 0,
    ...extra,
  };
}

function link(ifindex: number, isUp: boolean) {
  return { ifindex, name: `fa${ifindex}`, flags: isUp ? IfFlag.up | IfFlag.lowerUp : 0, operState: isUp ? OperState.up : OperState.down, isUp };
}

function resolved(r: Resolver, nh: string): string[] | string {
  const res = r.resolve(parseAddress(nh));
  return res.reason ?? res.hops.map((h) => `${formatAddress(h.gateway)}%${h.ifindex}`);
}

function lab(): Resolver {
  const r = new Resolver({ table: RouteTable.main, protocol: RouteProtocol.bgp });
  r.applyLink(link(3, true), false);
  r.applyLink(link(4, true), false);
  r.applyAddr({ ifindex: 3, address: parseAddress('172.17.0.1'), prefix: parsePrefix('172.17.0.0/24'), scope: 0 }, false);
  r.applyRoute(route('172.17.0.0/24', [{ dev: 3 }]), false);
  r.applyRoute(route('172.17.1.0/24', [{ dev: 4 }]), false);
  return r;
}

test('a next hop on a connected network resolves to itself on that interface', () => {
  assert.deepEqual(resolved(lab(), '172.17.0.21'), ['172.17.0.21%3']);
});

test('a next hop behind a static route resolves to the static route gateways', () => {
  const r = lab();
  r.applyRoute(route('10.30.0.0/16', [{ via: '172.17.0.40', dev: 3 }, { via: '172.17.1.40', dev: 4 }], { protocol: RouteProtocol.static }), false);
  assert.deepEqual(resolved(r, '10.30.1.1'), ['172.17.0.40%3', '172.17.1.40%4']);
});

test('unknown networks, our own address and the default route do not resolve', () => {
  const r = lab();
  assert.equal(resolved(r, '10.20.0.7'), 'no-route');
  assert.equal(resolved(r, '172.17.0.1'), 'own-address');
  r.applyRoute(route('0.0.0.0/0', [{ via: '172.17.0.254', dev: 3 }], { protocol: RouteProtocol.boot }), false);
  assert.equal(resolved(r, '10.20.0.7'), 'via-default');
  const viaDefault = new Resolver({ table: RouteTable.main, protocol: RouteProtocol.bgp, resolveViaDefault: true });
  viaDefault.applyRoute(route('172.17.0.0/24', [{ dev: 3 }]), false);
  viaDefault.applyRoute(route('0.0.0.0/0', [{ via: '172.17.0.254', dev: 3 }]), false);
  assert.deepEqual(resolved(viaDefault, '10.20.0.7'), ['172.17.0.254%3']);
});

test('our own routes never resolve a next hop', () => {
  const r = lab();
  r.applyRoute(route('10.40.0.0/16', [{ via: '172.17.0.21', dev: 3 }], { protocol: RouteProtocol.bgp, metric: 20 }), false);
  assert.equal(resolved(r, '10.40.0.1'), 'no-route');
});

test('the most specific route decides, even when it is a blackhole', () => {
  const r = lab();
  r.applyRoute(route('172.17.0.128/25', [], { type: RouteType.blackhole }), false);
  assert.equal(resolved(r, '172.17.0.200'), 'unusable-route');
  assert.deepEqual(resolved(r, '172.17.0.21'), ['172.17.0.21%3']);
});

test('a link going down or a dead next hop takes its resolutions away, and back', () => {
  const r = lab();
  assert.deepEqual(resolved(r, '172.17.1.9'), ['172.17.1.9%4']);
  const before = r.version;
  assert.equal(r.applyLink(link(4, false), false), true);
  assert.ok(r.version > before);
  assert.equal(resolved(r, '172.17.1.9'), 'link-down');
  assert.equal(r.applyLink(link(4, true), false), true);
  assert.deepEqual(resolved(r, '172.17.1.9'), ['172.17.1.9%4']);
  r.applyRoute(route('172.17.1.0/24', [{ dev: 4, flags: NextHopFlag.linkDown }]), false);
  assert.equal(resolved(r, '172.17.1.9'), 'link-down');
});

test('removing the connected route makes the next hop unreachable again', () => {
  const r = lab();
  assert.equal(r.applyRoute(route('172.17.1.0/24', [{ dev: 4 }]), true), true);
  assert.equal(resolved(r, '172.17.1.9'), 'no-route');
  assert.equal(r.applyRoute(route('172.17.1.0/24', [{ dev: 4 }]), true), false, 'a second delete changes nothing');
});

test('recursion stops at the depth limit', () => {
  const r = new Resolver({ table: RouteTable.main, protocol: RouteProtocol.bgp, maxDepth: 3 });
  // 10.0.0.0/8 via 10.1.1.1, which only the same route covers: a loop.
  r.applyRoute(route('10.0.0.0/8', [{ via: '10.1.1.1', dev: 3 }], { protocol: RouteProtocol.static }), false);
  assert.equal(resolved(r, '10.2.2.2'), 'too-deep');
});
