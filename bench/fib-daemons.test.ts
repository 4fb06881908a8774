import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Framer } from '../src/wire/framer.js';
import { decodeMessage } from '../src/wire/message.js';
import { as4Context } from '../src/wire/context.js';
import { maxMessageLength } from '../src/wire/header.js';
import { NlWriter, splitMessages } from '../src/fib/netlink.js';
import { RouteScope, RouteType, encodeRouteRequest, type KernelRoute } from '../src/fib/route-message.js';
import { announcement, countMultipathRoutes } from './fib-agent.js';
import { birdFibConfig, fibMarkdown, fibRatioLines, frrFibConfig, tsbgpdFibConfig, type FibBenchResult } from './fib-daemons.js';

const hop = (last: number): { gateway: Uint8Array; ifindex: number; weight: number; flags: number } => ({ gateway: Uint8Array.of(172, 17, 0, last), ifindex: 2, weight: 1, flags: 0 });

function route(i: number, hops: number, table = 254): KernelRoute {
  return { dst: { afi: 1, length: 32, addr: Uint8Array.of(10, 0, 0, i) }, table, protocol: 186, scope: RouteScope.universe, type: RouteType.unicast, metric: 20, tos: 0, nextHops: [21, 22, 23].slice(0, hops).map(hop), prefSrc: undefined, flags: 0 };
}

test('countMultipathRoutes counts main-table routes with exactly that many next hops', () => {
  const w = new NlWriter();
  let seq = 1;
  // Three with 3 hops, one with 2, one with 1, one in another table, one deletion.
  for (const r of [route(1, 3), route(2, 3), route(3, 2), route(4, 1), route(5, 3, 100), route(6, 3)]) encodeRouteRequest(w, 'replace', r, seq++);
  encodeRouteRequest(w, 'delete', route(7, 3), seq++);
  const datagram = w.finish();
  // Decoding consumes the messages' readers: split afresh for each count.
  assert.equal(splitMessages(datagram).length, 7);
  assert.equal(countMultipathRoutes(splitMessages(datagram), 3), 3);
  assert.equal(countMultipathRoutes(splitMessages(datagram), 2), 1);
  assert.equal(countMultipathRoutes(splitMessages(datagram), 1), 1);
});

test('announcement: every /32 once, NEXT_HOP the injector, End-of-RIB last', () => {
  const bytes = announcement(3000, 65001, '172.17.0.22');
  const messages = new Framer(maxMessageLength).push(bytes);
  const prefixes = new Set<string>();
  let endOfRib = 0;
  for (const m of messages) {
    assert.ok(m.length <= 4096);
    const msg = decodeMessage(m, as4Context);
    assert.equal(msg.type, 'update');
    if (msg.type !== 'update') continue;
    if (msg.nlri.count === 0) {
      endOfRib++;
      continue;
    }
    assert.deepEqual([...msg.attributes.nextHop!], [172, 17, 0, 22]);
    assert.deepEqual(msg.attributes.asPath?.[0]?.asns, [65001]);
    for (const p of msg.nlri) prefixes.add(`${p.prefix.addr.join('.')}/${p.prefix.length}`);
  }
  assert.equal(endOfRib, 1);
  assert.equal(messages.at(-1)!.length, 23);
  assert.equal(prefixes.size, 3000);
  assert.ok(prefixes.has('10.0.0.0/32') && prefixes.has('10.0.11.183/32'));
});

test('daemon configurations: three passive injector neighbors, multipath, kernel writes on', () => {
  const ts = tsbgpdFibConfig();
  assert.match(ts, /\[zebra\.config\]\n {2}enabled = true/);
  assert.match(ts, /\[global\.use-multiple-paths\.config\]\n {2}enabled = true/);
  assert.equal(ts.match(/passive-mode = true/g)?.length, 3);
  assert.equal(ts.match(/default-export-policy = "reject-route"/g)?.length, 3);
  const bird = birdFibConfig('/tmp/x.log');
  assert.match(bird, /protocol kernel \{ ipv4 \{ export all; \}; merge paths on; \}/);
  assert.equal(bird.match(/protocol bgp injector\d from injector \{ neighbor 172\.17\.0\.2\d as 65001; \}/g)?.length, 3);
  const frr = frrFibConfig('/tmp/x.log');
  assert.match(frr, /maximum-paths 8/);
  assert.equal(frr.match(/neighbor 172\.17\.0\.2\d peer-group INJ/g)?.length, 3);
});

const result: FibBenchResult = {
  routes: 100_000,
  hops: 3,
  direct: { writer: 0.5, fib: 1.25, ipBatch: 2.5 },
  daemons: [
    { kind: 'tsbgpd', version: 'tsbgpd 0.1.0', seconds: 4, confirmedSeconds: 4.2, cpuSeconds: 3 },
    { kind: 'bird', version: 'BIRD 2.0.12', seconds: 8, confirmedSeconds: 8.1, cpuSeconds: 1.5 },
    { kind: 'frr', version: 'FRR bgpd 8.4.4', failure: 'failed: zebra exited (1)' },
  ],
  loadAtStart: [1, 0.5, 0.25],
  loadAtEnd: [2, 1, 0.5],
};

test('fibRatioLines compares tsbgpd with the fastest other daemon that has a figure, and the direct ways with ip -batch', () => {
  assert.deepEqual(fibRatioLines(result), [
    'over BGP, tsbgpd takes 0.50x the time of the fastest other daemon (BIRD, 8.00 s)',
    'over BGP, tsbgpd uses 2.00x the CPU of the leanest other daemon (BIRD, 1.50 s)',
    'alone, our writer takes 0.20x and the whole Fib 0.50x the time of `ip -batch`',
  ]);
  assert.deepEqual(fibRatioLines({ ...result, daemons: result.daemons.slice(0, 1), direct: { failure: 'needs root' } }), []);
});

test('fibMarkdown: one row per way, failures in place of figures, load and ratios', () => {
  const md = fibMarkdown(result);
  assert.match(md, /^100,000 IPv4 \/32 routes with 3 next hops each/);
  assert.match(md, /\| `ip -batch` \(`route replace` lines\) \| 2\.50 \| 40,000 \| - \|/);
  assert.match(md, /\| tsbgpd's netlink writer alone \| 0\.50 \| 200,000 \| - \|/);
  assert.match(md, /\| tsbgpd 0\.1\.0 over BGP \(\[zebra\.config\], multipath\) \| 4\.00 \| 25,000 \| 3\.00 \|/);
  assert.match(md, /\| FRR bgpd 8\.4\.4 over BGP \(bgpd \+ zebra, maximum-paths 8\) \| failed: zebra exited \(1\) \| \| \|/);
  assert.match(md, /Load average 1\.00 0\.50 0\.25 at the start, 2\.00 1\.00 0\.50 at the end/);
  assert.match(md, /- over BGP, tsbgpd takes 0\.50x/);
  const failed = fibMarkdown({ ...result, direct: { failure: 'needs root' } });
  assert.match(failed, /\| tsbgpd's Fib alone \(resolution, state, writer\) \| needs root \| \| \|/);
});
