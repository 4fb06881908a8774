import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Framer } from '../src/wire/framer.js';
import { decodeMessage } from '../src/wire/message.js';
import { as4Context } from '../src/wire/context.js';
import { maxMessageLength } from '../src/wire/header.js';
import { birdReceiverConfig, frrReceiverConfig } from './daemons.js';
import { loopbackPlan, manyPeersMarkdown, peerAnnouncement, setsPerPeer, type ManyPeersResult } from './many-peers.js';

function prefixesOf(bytes: Buffer): { prefixes: string[]; paths: Set<string>; endOfRib: number } {
  const prefixes: string[] = [];
  const paths = new Set<string>();
  let endOfRib = 0;
  for (const m of new Framer(maxMessageLength).push(bytes)) {
    assert.ok(m.length <= 4096);
    const msg = decodeMessage(m, as4Context);
    assert.equal(msg.type, 'update');
    if (msg.type !== 'update') continue;
    if (msg.nlri.count === 0) {
      endOfRib++;
      continue;
    }
    paths.add(JSON.stringify(msg.attributes.asPath));
    for (const p of msg.nlri) prefixes.push(`${p.prefix.addr.join('.')}/${p.prefix.length}`);
  }
  return { prefixes, paths, endOfRib };
}

test('peerAnnouncement: each peer its own /32s, every one once, in its attribute sets, End-of-RIB last', () => {
  const a = prefixesOf(peerAnnouncement(0, 1003));
  const b = prefixesOf(peerAnnouncement(1, 1003));
  assert.equal(a.prefixes.length, 1003);
  assert.equal(new Set(a.prefixes).size, 1003);
  assert.equal(a.endOfRib, 1);
  assert.equal(a.paths.size, setsPerPeer);
  assert.ok(a.prefixes.includes('10.0.0.0/32') && a.prefixes.includes('10.0.3.234/32'));
  // Peer 1 starts where peer 0 ends: 1003 = 10.0.3.235.
  assert.ok(b.prefixes.includes('10.0.3.235/32'));
  assert.equal(b.prefixes.filter((p) => a.prefixes.includes(p)).length, 0);
  assert.throws(() => peerAnnouncement(2000, 10_000), RangeError);
});

test('loopbackPlan: distinct peer addresses in one /16 of 127/8, none the daemon', () => {
  const plan = loopbackPlan(300, 42);
  assert.equal(plan.daemon, '127.42.0.1');
  assert.equal(new Set(plan.peers).size, 300);
  assert.equal(plan.peers[0], '127.42.1.1');
  assert.equal(plan.peers[250], '127.42.2.1');
  assert.ok(plan.peers.every((p) => p.startsWith('127.42.') && p !== plan.daemon));
  assert.throws(() => loopbackPlan(0, 42), RangeError);
});

test('receiver configs name every injector; one injector gives the single-peer config', () => {
  const s = { address: '127.1.0.1', port: 1790, as: 65000, peerAddress: '127.1.1.1', peerAs: 65001 };
  const single = birdReceiverConfig(s, '/tmp/b.log');
  assert.equal(single.match(/protocol bgp /g)?.length, 1);
  assert.match(single, /protocol bgp injector \{/);
  const many = birdReceiverConfig({ ...s, morePeerAddresses: ['127.1.1.2', '127.1.1.3'] }, '/tmp/b.log');
  assert.equal(many.match(/protocol bgp /g)?.length, 3);
  assert.match(many, /neighbor 127\.1\.1\.3 as 65001;/);
  const frr = frrReceiverConfig({ ...s, morePeerAddresses: ['127.1.1.2'] }, '/tmp/f.log');
  assert.equal(frr.match(/neighbor 127\.1\.1\.2 activate/g)?.length, 2);
  assert.equal(frr.match(/remote-as 65001/g)?.length, 2);
});

test('manyPeersMarkdown: figures per daemon, failures in their place', () => {
  const r: ManyPeersResult = {
    peers: 100,
    routesPerPeer: 10_000,
    loadAtStart: [1, 1, 1],
    loadAtEnd: [1, 1, 1],
    runs: [
      { kind: 'bird', version: 'BIRD 2.0.12', convergeS: 1.5, cpuS: 1.25, rssBeforeMb: 10, rssAfterMb: 110, peakMb: 120 },
      { kind: 'gobgpd', version: 'gobgpd 3.10.0', failure: 'timeout: not done' },
    ],
  };
  const text = manyPeersMarkdown(r);
  assert.match(text, /1,000,000 routes/);
  // (110 - 10) MiB over 1M routes = 105 bytes per route.
  assert.match(text, /\| BIRD 2\.0\.12 \| 1\.50 \| 1\.25 \| 10 \| 110 \| 120 \| 105 \|/);
  assert.match(text, /\| gobgpd 3\.10\.0 \| timeout: not done \|/);
});
