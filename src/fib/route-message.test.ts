// Route messages both ways: our requests byte for byte against what iproute2 sent for the
// same routes (fixtures/ip-route.ts), requests decoded back, random routes round-tripped,
// and routes installed by `ip` in a throwaway namespace decoded as `ip -j route` prints them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Afi, formatAddress, formatPrefix, maskAddress, parseAddress, parsePrefix } from '../lib/address.js';
import { NlmFlag, NlWriter, RtmType, splitMessages } from './netlink.js';
import { RouteProtocol, RouteScope, RouteTable, RouteType, decodeRoute, encodeRouteRequest, type KernelNextHop, type KernelRoute, type RouteOp } from './route-message.js';
import * as ipRoute from './fixtures/ip-route.js';
import { Driver, Netns } from './testing/netns.js';
import type { DumpedRoute } from './testing/fib-driver.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function route(dst: string, gateways: string[], extra: Partial<KernelRoute> = {}): KernelRoute {
  return {
    dst: parsePrefix(dst),
    table: RouteTable.main,
    protocol: RouteProtocol.bgp,
    scope: RouteScope.universe,
    type: RouteType.unicast,
    metric: 20,
    tos: 0,
    nextHops: gateways.map((g) => ({ gateway: parseAddress(g), ifindex: 0, weight: 1, flags: 0 })),
    prefSrc: undefined,
    flags: 0,
    ...extra,
  };
}

function encode(op: RouteOp, r: KernelRoute): Uint8Array {
  const w = new NlWriter(64);
  encodeRouteRequest(w, op, r, ipRoute.capturedSeq);
  return w.finish();
}

const cases: { name: string; op: RouteOp; route: KernelRoute; bytes: string }[] = [
  { name: 'add, IPv4, three next hops', op: 'add', route: route('172.17.254.1/32', ['172.17.0.21', '172.17.0.22', '172.17.0.23']), bytes: ipRoute.addMultipathV4 },
  {
    name: 'add, IPv4, one next hop with interface',
    op: 'add',
    route: { ...route('172.17.254.2/32', []), nextHops: [{ gateway: parseAddress('172.17.0.21'), ifindex: 3, weight: 1, flags: 0 }] },
    bytes: ipRoute.addSingleV4,
  },
  { name: 'add, IPv6, two next hops', op: 'add', route: route('2001:db8:254::1/128', ['2001:db8::21', '2001:db8::22']), bytes: ipRoute.addMultipathV6 },
  { name: 'replace, IPv4, two next hops', op: 'replace', route: route('172.17.254.1/32', ['172.17.0.21', '172.17.0.22']), bytes: ipRoute.replaceMultipathV4 },
  { name: 'delete, IPv4', op: 'delete', route: route('172.17.254.2/32', []), bytes: ipRoute.deleteV4 },
];

for (const c of cases) {
  test(`encode equals iproute2: ${c.name}`, () => {
    assert.equal(hex(encode(c.op, c.route)), c.bytes);
  });

  test(`decode of iproute2's request: ${c.name}`, () => {
    const [msg] = splitMessages(Buffer.from(c.bytes, 'hex'));
    assert.equal(msg!.type, c.op === 'delete' ? RtmType.delRoute : RtmType.newRoute);
    assert.equal(msg!.seq, ipRoute.capturedSeq);
    const r = decodeRoute(msg!)!;
    assert.equal(formatPrefix(r.dst), formatPrefix(c.route.dst));
    assert.equal(r.metric, 20);
    assert.equal(r.protocol, RouteProtocol.bgp);
    assert.equal(r.table, RouteTable.main);
    if (c.op !== 'delete') assert.deepEqual(r.nextHops, c.route.nextHops);
  });
}

test('replace asks for create and replace, add for create and exclusive', () => {
  const flagsOf = (op: RouteOp): number => splitMessages(encode(op, route('10.0.0.0/8', ['192.0.2.1'])))[0]!.flags;
  assert.equal(flagsOf('replace'), NlmFlag.request | NlmFlag.ack | NlmFlag.create | NlmFlag.replace);
  assert.equal(flagsOf('add'), NlmFlag.request | NlmFlag.ack | NlmFlag.create | NlmFlag.exclusive);
});

test('a table above 255 goes in RTA_TABLE and decodes back', () => {
  const r = decodeRoute(splitMessages(encode('replace', route('10.0.0.0/8', ['192.0.2.1'], { table: 1000 })))[0]!)!;
  assert.equal(r.table, 1000);
});

const arbAfi = fc.constantFrom(Afi.ipv4, Afi.ipv6);
const arbRoute = arbAfi.chain((afi) => {
  const size = afi === Afi.ipv4 ? 4 : 16;
  const addr = fc.uint8Array({ minLength: size, maxLength: size });
  const hop: fc.Arbitrary<KernelNextHop> = fc.record({ gateway: addr, ifindex: fc.integer({ min: 0, max: 0x7fffffff }), weight: fc.integer({ min: 1, max: 256 }), flags: fc.constant(0) }, { noNullPrototype: true });
  return fc.record({
    dst: fc.tuple(addr, fc.integer({ min: 0, max: size * 8 })).map(([a, length]) => ({ afi, length, addr: maskAddress(a, length) })),
    table: fc.oneof(fc.integer({ min: 1, max: 252 }), fc.integer({ min: 256, max: 0xffffffff })),
    protocol: fc.integer({ min: 1, max: 255 }),
    scope: fc.constant(RouteScope.universe),
    type: fc.constant(RouteType.unicast),
    metric: fc.integer({ min: 0, max: 0xffffffff }),
    tos: fc.constant(0),
    nextHops: fc.array(hop, { minLength: 2, maxLength: 8 }),
    prefSrc: fc.constant(undefined),
    flags: fc.constant(0),
  }, { noNullPrototype: true });
});

test('random routes round-trip through encode and decode', () => {
  fc.assert(
    fc.property(arbRoute, (r) => {
      const decoded = decodeRoute(splitMessages(encode('replace', r))[0]!)!;
      assert.deepEqual(decoded, r);
    }),
    { numRuns: 300 },
  );
});

test('truncated route messages fail with NetlinkError only', () => {
  fc.assert(
    fc.property(arbRoute, fc.nat(), (r, cut) => {
      const bytes = encode('replace', r);
      const at = 16 + (cut % (bytes.length - 16));
      const truncated = Uint8Array.from(bytes.subarray(0, at));
      // Keep nlmsg_len truthful so the error comes from the route decoder.
      new DataView(truncated.buffer).setUint32(0, at, true);
      try {
        const msg = splitMessages(truncated)[0];
        if (msg !== undefined) decodeRoute(msg);
      } catch (e) {
        assert.equal((e as Error).name, 'NetlinkError');
      }
    }),
    { numRuns: 300 },
  );
});

// ---- routes installed by `ip`, read back by our dump, compared with `ip -j route` ----

interface IpJsonRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  table?: string;
  type?: string;
  prefsrc?: string;
  nexthops?: { gateway: string; dev: string; weight: number }[];
}

let ns: Netns;
let driver: Driver;
let ifindexByName: Map<string, number>;

before(() => {
  ns = Netns.create();
  ns.veth('fa0', 'fb0');
  ns.ip('addr', 'add', '172.17.0.1/24', 'dev', 'fa0');
  ns.ip('addr', 'add', '2001:db8::1/64', 'dev', 'fa0', 'nodad');
  ns.ip('route', 'add', '172.17.254.1/32', 'proto', 'bgp', 'metric', '20', 'nexthop', 'via', '172.17.0.21', 'nexthop', 'via', '172.17.0.22', 'weight', '3', 'nexthop', 'via', '172.17.0.23');
  ns.ip('route', 'add', '172.17.254.2/32', 'via', '172.17.0.21', 'proto', 'static', 'metric', '7');
  ns.ip('route', 'add', 'blackhole', '10.99.0.0/16', 'proto', 'bgp');
  ns.ip('route', 'add', '10.10.0.0/16', 'via', '172.17.0.30', 'table', '1000', 'proto', 'bgp', 'metric', '20');
  ns.ip('-6', 'route', 'add', '2001:db8:254::1/128', 'proto', 'bgp', 'metric', '20', 'nexthop', 'via', '2001:db8::21', 'nexthop', 'via', '2001:db8::22');
  ifindexByName = new Map(ns.ipJson<{ ifname: string; ifindex: number }[]>('link').map((l) => [l.ifname, l.ifindex]));
  driver = Driver.spawn(ns);
});

after(async () => {
  try {
    await driver?.close();
  } finally {
    driver?.kill();
    ns?.delete();
  }
});

const scopeNames: Record<string, number> = { global: RouteScope.universe, link: RouteScope.link, host: RouteScope.host };
const protocolNames: Record<string, number> = { kernel: RouteProtocol.kernel, static: RouteProtocol.static, bgp: RouteProtocol.bgp, boot: RouteProtocol.boot };

/** Our decoded route in the shape of one `ip -j -d route` entry. */
function asIp(r: DumpedRoute, ifname: Map<number, string>): IpJsonRoute {
  const prefix = parsePrefix(r.dst);
  const isHost = prefix.length === prefix.addr.length * 8;
  const out: IpJsonRoute = { dst: prefix.length === 0 ? 'default' : isHost ? formatAddress(prefix.addr) : r.dst };
  if (r.nextHops.length === 1 && r.nextHops[0]!.weight === 1) {
    if (r.nextHops[0]!.gateway !== undefined) out.gateway = r.nextHops[0]!.gateway;
    out.dev = ifname.get(r.nextHops[0]!.ifindex);
  } else if (r.nextHops.length > 1) {
    out.nexthops = r.nextHops.map((h) => ({ gateway: h.gateway!, dev: ifname.get(h.ifindex)!, weight: h.weight }));
  }
  return out;
}

test('routes installed by ip decode to what ip -j route prints', async () => {
  const ifname = new Map([...ifindexByName].map(([n, i]) => [i, n]));
  // ip first: a route the kernel adds in between (an IPv6 link-local address coming up
  // on a new link) is then in our later dump too; only "ip's routes are in ours" is checked.
  const ip = [...ns.ipJson<IpJsonRoute[]>('-d', 'route', 'show', 'table', 'all'), ...ns.ipJson<IpJsonRoute[]>('-6', '-d', 'route', 'show', 'table', 'all')];
  const ours = await driver.call<DumpedRoute[]>('dump');
  assert.ok(ip.length >= 8, `ip printed ${ip.length} routes`);
  // Every route ip prints is in our dump, with the same key fields and next hops.
  for (const want of ip) {
    const tableId = want.table === undefined ? RouteTable.main : want.table === 'local' ? RouteTable.local : want.table === 'main' ? RouteTable.main : Number(want.table);
    const family = want.dst.includes(':') || (want.gateway ?? want.nexthops?.[0]?.gateway ?? '').includes(':') ? 'v6' : 'v4';
    const match = ours.filter((r) => {
      const got = asIp(r, ifname);
      const isV6 = r.dst.includes(':');
      // IPv6 keeps routes that differ only by interface (fe80::/64 on each link).
      const isSameDev = want.dev === undefined || got.dev === want.dev;
      return got.dst === want.dst && r.table === tableId && (family === 'v6') === isV6 && (want.metric === undefined || r.metric === want.metric) && r.type === typeNumber(want.type) && isSameDev;
    });
    assert.equal(match.length, 1, `one decoded route for ${JSON.stringify(want)}, got ${JSON.stringify(match)}`);
    const r = match[0]!;
    const got = asIp(r, ifname);
    if (want.protocol !== undefined && want.protocol in protocolNames) assert.equal(r.protocol, protocolNames[want.protocol], `protocol of ${want.dst}`);
    if (want.scope !== undefined) assert.equal(r.scope, scopeNames[want.scope], `scope of ${want.dst}`);
    if (want.prefsrc !== undefined) assert.equal(r.prefSrc, want.prefsrc);
    if (want.nexthops !== undefined) assert.deepEqual(got.nexthops, want.nexthops.map((h) => ({ gateway: h.gateway, dev: h.dev, weight: h.weight })));
    else {
      assert.equal(got.gateway, want.gateway, `gateway of ${want.dst}`);
      if (want.dev !== undefined) assert.equal(got.dev, want.dev, `dev of ${want.dst}`);
    }
  }
  const mp = ours.find((r) => r.dst === '172.17.254.1/32')!;
  assert.deepEqual(
    mp.nextHops.map((h) => [h.gateway, h.weight]),
    [
      ['172.17.0.21', 1],
      ['172.17.0.22', 3],
      ['172.17.0.23', 1],
    ],
  );
  assert.equal(ours.find((r) => r.dst === '10.10.0.0/16')?.table, 1000);
});

function typeNumber(name: string | undefined): number {
  if (name === undefined || name === 'unicast') return RouteType.unicast;
  const t = (RouteType as Record<string, number>)[name];
  assert.ok(t !== undefined, `route type ${name}`);
  return t;
}

test('interfaces and addresses decode to what ip -j prints', async () => {
  const links = await driver.call<{ ifindex: number; name: string; isUp: boolean }[]>('links');
  const ipLinks = ns.ipJson<{ ifindex: number; ifname: string; operstate: string; flags: string[] }[]>('link');
  assert.deepEqual(
    links.map((l) => [l.ifindex, l.name]).sort(),
    ipLinks.map((l) => [l.ifindex, l.ifname]).sort(),
  );
  assert.equal(links.find((l) => l.name === 'fa0')?.isUp, true);
  const addrs = await driver.call<{ ifindex: number; address: string; prefix: string }[]>('addrs');
  const ipAddrs = ns.ipJson<{ ifindex: number; addr_info: { local: string; prefixlen: number }[] }[]>('addr').flatMap((l) => l.addr_info.map((a) => [l.ifindex, a.local, a.prefixlen] as const));
  assert.deepEqual(addrs.map((a) => `${a.ifindex} ${a.address}/${a.prefix.split('/')[1]}`).sort(), ipAddrs.map(([i, a, len]) => `${i} ${a}/${len}`).sort());
  assert.ok(addrs.some((a) => a.prefix === '172.17.0.0/24' && a.address === '172.17.0.1'));
});
