import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Afi } from '../src/lib/address.js';
import { Framer } from '../src/wire/framer.js';
import { decodeMessage } from '../src/wire/message.js';
import { as4Context } from '../src/wire/context.js';
import { maxMessageLength } from '../src/wire/header.js';
import type { UpdateMessage } from '../src/wire/update.js';
import { generateTable, seededRandom, type TableSpec } from './generate.js';

const spec: TableSpec = {
  ipv4Count: 5000,
  ipv6Count: 1000,
  attributeSets: 300,
  seed: 7,
  peerAs: 65001,
  nextHop4: Uint8Array.of(192, 0, 2, 1),
  nextHop6: Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
};

function updatesOf(bytes: Buffer): UpdateMessage[] {
  return new Framer(maxMessageLength).push(bytes).map((m) => {
    const msg = decodeMessage(m, as4Context);
    assert.equal(msg.type, 'update');
    return msg as UpdateMessage;
  });
}

const table = generateTable(spec);
const announced = updatesOf(table.announce);

test('the same seed gives the same bytes, another seed other bytes', () => {
  assert.deepEqual(generateTable(spec).announce, table.announce);
  assert.notDeepEqual(generateTable({ ...spec, seed: 8 }).announce, table.announce);
  const a = seededRandom(1);
  const b = seededRandom(1);
  for (let i = 0; i < 10; i++) assert.equal(a(), b());
});

test('every prefix is announced exactly once, in UPDATEs our codec decodes without faults', () => {
  const seen = new Set<string>();
  let v4 = 0;
  let v6 = 0;
  for (const u of announced) {
    assert.deepEqual(u.faults, []);
    for (const n of u.nlri) {
      const key = `${Buffer.from(n.prefix.addr).toString('hex')}/${n.prefix.length}`;
      assert.ok(!seen.has(key), `${key} announced twice`);
      seen.add(key);
      v4++;
    }
    for (const n of u.attributes.mpReach?.nlri ?? []) {
      assert.equal(n.prefix.afi, Afi.ipv6);
      seen.add(`${Buffer.from(n.prefix.addr).toString('hex')}/${n.prefix.length}`);
      v6++;
    }
  }
  assert.equal(v4, spec.ipv4Count);
  assert.equal(v6, spec.ipv6Count);
  assert.equal(seen.size, table.total);
  assert.equal(announced.length, table.shape.updates + 2, 'the table ends with End-of-RIB for IPv4 and IPv6');
});

test('the shape is a full table\'s: mostly /24, lengths /8../24, paths of 1-8 AS numbers from the peer, communities on a share', () => {
  const h = table.shape.ipv4Lengths;
  assert.ok((h.get(24) ?? 0) / spec.ipv4Count > 0.55);
  assert.ok(Math.min(...h.keys()) >= 8 && Math.max(...h.keys()) === 24);
  assert.ok(Math.max(...table.shape.ipv6Lengths.keys()) <= 48);
  const attrSets = new Set<string>();
  for (const u of announced) {
    const path = u.attributes.asPath;
    if (path === undefined) continue;
    const asns = path[0]!.asns;
    assert.equal(asns[0], spec.peerAs);
    assert.ok(asns.length >= 1 && asns.length <= 8);
    attrSets.add(Buffer.from(u.attrKey).toString('hex'));
  }
  assert.ok(attrSets.size > spec.attributeSets * 0.5, `${attrSets.size} distinct attribute sets`);
  assert.ok(table.shape.communityShare > 0.1 && table.shape.communityShare < 0.9);
});

test('the withdrawals remove every announced prefix', () => {
  let withdrawn = 0;
  for (const u of updatesOf(table.withdraw)) withdrawn += u.withdrawn.count + (u.attributes.mpUnreach?.withdrawn.count ?? 0);
  assert.equal(withdrawn, table.total);
});
