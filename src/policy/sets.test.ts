import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Afi, parseAddress, parsePrefix, type Prefix } from '../lib/address.js';
import { keyToPrefix, prefixKey } from '../rib/prefix-key.js';
import { AsSegmentType, type AsPathSegment } from '../wire/attributes/types.js';
import {
  AsPathPattern,
  AsPathSet,
  CommunitySet,
  ExtCommunitySet,
  LargeCommunitySet,
  NeighborSet,
  PrefixSet,
  SetMemberError,
  asPathText,
  extCommunityValueText,
  hasPrefix,
  parseCommunity,
  parseExtCommunity,
  parseLargeCommunity,
  parseLengthRange,
  type PrefixSetEntry,
} from './sets.js';
import { sequence } from './test-support.js';

function entry(prefix: string, range?: string): PrefixSetEntry {
  const p = parsePrefix(prefix);
  const r = range === undefined ? { minLength: p.length, maxLength: p.length } : parseLengthRange(range);
  return { prefix: p, ...r };
}

const comm = (high: number, low: number): number => high * 65536 + low;
const key = (text: string): number | string => prefixKey(parsePrefix(text));

test('a prefix set entry without a range matches exactly its prefix', () => {
  const set = new PrefixSet('ps', [entry('10.33.0.0/16')]);
  assert.equal(set.matches(key('10.33.0.0/16')), true);
  assert.equal(set.matches(key('10.33.1.0/24')), false);
  assert.equal(set.matches(key('10.0.0.0/8')), false);
  assert.equal(set.matches(key('10.34.0.0/16')), false);
});

test('a prefix set entry with a masklength-range matches more specifics of those lengths only', () => {
  const set = new PrefixSet('ps', [entry('10.33.0.0/16', '21..24')]);
  assert.equal(set.matches(key('10.33.0.0/16')), false);
  assert.equal(set.matches(key('10.33.8.0/21')), true);
  assert.equal(set.matches(key('10.33.200.0/24')), true);
  assert.equal(set.matches(key('10.33.200.128/25')), false);
  assert.equal(set.matches(key('10.32.8.0/21')), false);
});

test('the scenario prefix set: 172.17.254.0/24 and everything inside it up to /32', () => {
  const set = new PrefixSet('lb', [entry('172.17.254.0/24', '24..32')]);
  for (const p of ['172.17.254.0/24', '172.17.254.1/32', '172.17.254.128/25', '172.17.254.255/32']) assert.equal(set.matches(key(p)), true, p);
  for (const p of ['172.17.255.1/32', '172.17.0.0/16', '172.17.253.1/32', '0.0.0.0/0']) assert.equal(set.matches(key(p)), false, p);
});

test('any entry of a set may match, not only the most specific one', () => {
  // gobgpd looks at the longest matching entry only, so 10.1.2.0/24 would miss here.
  const set = new PrefixSet('ps', [entry('10.0.0.0/8', '8..32'), entry('10.1.0.0/16')]);
  assert.equal(set.matches(key('10.1.2.0/24')), true);
  assert.equal(set.matches(key('10.1.0.0/16')), true);
});

test('IPv6 prefix sets match on the key, and not IPv4 routes', () => {
  const set = new PrefixSet('ps6', [entry('2001:db8::/32', '48..64'), entry('::/0')]);
  assert.equal(set.matches(key('2001:db8:1::/48')), true);
  assert.equal(set.matches(key('2001:db8:1:2::/64')), true);
  assert.equal(set.matches(key('2001:db8:1:2::/80')), false);
  assert.equal(set.matches(key('2001:db9::/48')), false);
  assert.equal(set.matches(key('::/0')), true);
  assert.equal(set.matches(key('10.0.0.0/8')), false);
  const v4 = new PrefixSet('ps4', [entry('0.0.0.0/0', '0..32')]);
  assert.equal(v4.matches(key('2001:db8::/32')), false);
  assert.equal(v4.matches(key('255.255.255.255/32')), true);
});

test('a prefix set refuses mixed families and impossible ranges', () => {
  assert.throws(() => new PrefixSet('x', [entry('10.0.0.0/8'), entry('2001:db8::/32')]), SetMemberError);
  assert.throws(() => new PrefixSet('x', [{ prefix: parsePrefix('10.0.0.0/16'), minLength: 8, maxLength: 12 }]), SetMemberError);
  assert.throws(() => new PrefixSet('x', [{ prefix: parsePrefix('10.0.0.0/16'), minLength: 24, maxLength: 33 }]), SetMemberError);
  assert.throws(() => parseLengthRange('24-32'), SetMemberError);
});

/** The obvious reading of a prefix set, to check the trie against. */
function naiveMatch(entries: readonly PrefixSetEntry[], p: Prefix): boolean {
  return entries.some((e) => e.prefix.afi === p.afi && p.length >= e.prefix.length && e.minLength <= p.length && p.length <= e.maxLength && hasPrefix(p.addr, e.prefix.addr, e.prefix.length));
}

function arbPrefix(afi: Afi): fc.Arbitrary<Prefix> {
  const bits = afi === Afi.ipv4 ? 32 : 128;
  // Few distinct high bits so that entries and routes overlap often.
  return fc.tuple(fc.integer({ min: 0, max: bits }), fc.uint8Array({ minLength: bits / 8, maxLength: bits / 8 }), fc.integer({ min: 0, max: 3 })).map(([length, bytes, top]) => {
    bytes[0] = 10 + top;
    return keyToPrefix(prefixKey({ afi, length, addr: maskTo(bytes, length) }));
  });
}

function maskTo(addr: Uint8Array, length: number): Uint8Array {
  const out = Uint8Array.from(addr);
  for (let bit = length; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return out;
}

for (const afi of [Afi.ipv4, Afi.ipv6]) {
  test(`the prefix trie agrees with a linear scan (${afi === Afi.ipv4 ? 'IPv4' : 'IPv6'}, property)`, () => {
    const bits = afi === Afi.ipv4 ? 32 : 128;
    const arbEntry = fc.tuple(arbPrefix(afi), fc.integer({ min: 0, max: bits }), fc.integer({ min: 0, max: bits })).map(([prefix, a, b]) => {
      const max = Math.max(prefix.length, a, b);
      return { prefix, minLength: Math.max(prefix.length, Math.min(a, b)), maxLength: max };
    });
    fc.assert(
      fc.property(fc.array(arbEntry, { maxLength: 12 }), fc.array(arbPrefix(afi), { minLength: 1, maxLength: 20 }), (entries, routes) => {
        const set = new PrefixSet('p', entries);
        for (const r of routes) assert.equal(set.matches(prefixKey(r)), naiveMatch(entries, r));
      }),
      { numRuns: 300 },
    );
  });
}

test('a neighbor set takes addresses and ranges of both families', () => {
  const set = new NeighborSet('k8s', [parsePrefix('172.17.0.0/24'), { ...parsePrefix('10.0.255.1/32') }, parsePrefix('2001:db8::/64')]);
  assert.equal(set.matches(parseAddress('172.17.0.21')), true);
  assert.equal(set.matches(parseAddress('172.17.1.21')), false);
  assert.equal(set.matches(parseAddress('10.0.255.1')), true);
  assert.equal(set.matches(parseAddress('10.0.255.2')), false);
  assert.equal(set.matches(parseAddress('2001:db8::5')), true);
  assert.equal(set.matches(new Uint8Array(0)), false);
  const addr = parseAddress('172.17.0.22');
  assert.equal(set.matches(addr), true);
  assert.equal(set.matches(addr), true, 'the cached answer is the same');
});

const confedPath: AsPathSegment[] = [
  { type: AsSegmentType.confedSequence, asns: [64512, 64513] },
  { type: AsSegmentType.sequence, asns: [65001, 65002] },
  { type: AsSegmentType.set, asns: [65003, 65004] },
];

test('the AS path text is gobgpd\'s', () => {
  assert.equal(asPathText(sequence(65001, 65002, 65003)), '65001 65002 65003');
  assert.equal(asPathText(confedPath), '(64512 64513) 65001 65002 {65003,65004}');
  assert.equal(asPathText([{ type: AsSegmentType.confedSet, asns: [1, 2] }]), '[1,2]');
  assert.equal(asPathText(undefined), '');
  assert.equal(asPathText([]), '');
});

test('AS path patterns: ^N_ (from), _N$ (origin), _N_ (through), ^N$ (only), and general expressions', () => {
  const path = sequence(65001, 65002, 65003);
  const cases: [string, boolean][] = [
    ['^65001_', true],
    ['^65002_', false],
    ['^6500_', false],
    ['_65003$', true],
    ['_65002$', false],
    ['_65002_', true],
    ['_6500_', false],
    ['_65004_', false],
    ['^65001$', false],
    ['^65001', true],
    ['^65001_65002_', true],
    ['^65001_65003', false],
    ['65001_[0-9]+_.*$', true],
    ['^6[0-9]+_65002_65003$', true],
    ['.*', true],
  ];
  for (const [source, expected] of cases) assert.equal(new AsPathPattern(source).matches(path), expected, source);
  assert.equal(new AsPathPattern('^65001$').matches(sequence(65001)), true);
  assert.equal(new AsPathPattern('^$').matches([]), true);
  assert.equal(new AsPathPattern('_65001_').matches(undefined), false);
  assert.throws(() => new AsPathPattern('^(65001'), SetMemberError);
});

test('AS path patterns see sets and confederation segments in their text form', () => {
  assert.equal(new AsPathPattern('_65004_').matches(confedPath), true);
  assert.equal(new AsPathPattern('_64512_').matches(confedPath), true);
  assert.equal(new AsPathPattern('^65001_').matches(confedPath), false, 'the text starts with the confederation sequence');
  // "{65003,65004}": the path ends in "}", so `_65004$` cannot match, as in gobgpd.
  assert.equal(new AsPathPattern('_65004$').matches(confedPath), false);
  assert.equal(new AsPathPattern('_65004_').matches([{ type: AsSegmentType.confedSet, asns: [65004, 1] }]), true);
});

test('the one-AS forms answer as the regular expression would (property)', () => {
  const arbPath = fc.array(
    fc.record({ type: fc.constantFrom(AsSegmentType.sequence, AsSegmentType.set, AsSegmentType.confedSequence), asns: fc.array(fc.constantFrom(1, 2, 3, 65001, 4200000000), { maxLength: 4 }) }),
    { maxLength: 3 },
  );
  const arbPattern = fc.tuple(fc.constantFrom('^', '_'), fc.constantFrom(1, 2, 65001, 4200000000), fc.constantFrom('$', '_')).map(([a, n, b]) => `${a}${n}${b}`);
  fc.assert(
    fc.property(arbPath, arbPattern, (path, source) => {
      const p = new AsPathPattern(source);
      assert.equal(p.matches(path), p.regex.test(asPathText(path)));
    }),
    { numRuns: 500 },
  );
});

test('an AS path set answers any and all', () => {
  const set = new AsPathSet('a', ['^65001_', '_65003$']);
  assert.equal(set.matchesAny(sequence(65001, 9)), true);
  assert.equal(set.matchesAll(sequence(65001, 9)), false);
  assert.equal(set.matchesAll(sequence(65001, 65003)), true);
  assert.equal(new AsPathSet('e', []).matchesAny(sequence(1)), false);
  assert.equal(new AsPathSet('e', []).matchesAll(sequence(1)), true);
});

test('community values and members', () => {
  assert.equal(parseCommunity('65001:100'), comm(65001, 100));
  assert.equal(parseCommunity('4259840100'), 4259840100);
  assert.equal(parseCommunity('no-export'), 0xffffff01);
  assert.equal(parseCommunity('NO_ADVERTISE'), 0xffffff02);
  assert.throws(() => parseCommunity('65536:1'), SetMemberError);
  assert.throws(() => parseCommunity('x'), SetMemberError);
  const set = new CommunitySet('c', ['65001:100', '^65002:.*$', 'no-export']);
  assert.equal(set.matchesAny([comm(65001, 100)]), true);
  assert.equal(set.matchesAny([comm(65002, 7)]), true);
  assert.equal(set.matchesAny([0xffffff01]), true);
  assert.equal(set.matchesAny([comm(65003, 7)]), false);
  assert.equal(set.matchesAny(undefined), false);
  assert.equal(set.matchesAll([comm(65001, 100), comm(65002, 1), 0xffffff01]), true);
  assert.equal(set.matchesAll([comm(65001, 100), 0xffffff01]), false);
  assert.throws(() => new CommunitySet('bad', ['(']), SetMemberError);
});

test('a community member with digits around a colon is anchored, as gobgpd does', () => {
  const set = new CommunitySet('c', ['65001:1.*']);
  assert.equal(set.matchesAny([comm(65001, 17)]), true);
  assert.equal(set.matchesAny([comm(165, 1)]), false);
  // Without digits around the colon it is searched anywhere in "high:low".
  const loose = new CommunitySet('l', ['6[0-9]+:[0-9]+']);
  assert.equal(loose.matchesAny([comm(65001, 1)]), true);
  assert.equal(loose.matchesAny([comm(5, 1)]), false);
});

test('extended communities: route targets and origins, exact and by expression', () => {
  const rt2 = parseExtCommunity('RT:65001:100');
  assert.deepEqual([...rt2], [0x00, 0x02, 0xfd, 0xe9, 0, 0, 0, 100]);
  const rt4 = parseExtCommunity('rt:4200000000:7');
  assert.deepEqual([...rt4], [0x02, 0x02, 0xfa, 0x56, 0xea, 0x00, 0, 7]);
  const soo = parseExtCommunity('SoO:192.0.2.1:9');
  assert.deepEqual([...soo], [0x01, 0x03, 192, 0, 2, 1, 0, 9]);
  assert.equal(extCommunityValueText(rt2), '65001:100');
  assert.equal(extCommunityValueText(rt4), '4200000000:7');
  assert.equal(extCommunityValueText(soo), '192.0.2.1:9');
  assert.throws(() => parseExtCommunity('XX:1:2'), SetMemberError);
  assert.throws(() => parseExtCommunity('RT:4200000000:70000'), SetMemberError);

  const set = new ExtCommunitySet('e', ['RT:65001:100', 'SoO:192.0.2.1:9', 'RT:^65002:.*$']);
  assert.equal(set.matchesAny([rt2]), true);
  // The same route target written as a 4-octet-AS community matches too (same text).
  assert.equal(set.matchesAny([Uint8Array.of(0x02, 0x02, 0, 0, 0xfd, 0xe9, 0, 100)]), true);
  assert.equal(set.matchesAny([soo]), true);
  assert.equal(set.matchesAny([parseExtCommunity('RT:65002:5')]), true);
  assert.equal(set.matchesAny([parseExtCommunity('SoO:65001:100')]), false, 'the sub-type must agree');
  assert.equal(set.matchesAny([Uint8Array.of(0x40, 0x02, 0xfd, 0xe9, 0, 0, 0, 100)]), false, 'non-transitive twin');
  assert.equal(set.matchesAll([rt2, soo, parseExtCommunity('RT:65002:5')]), true);
  assert.equal(set.matchesAll([rt2, soo]), false);
});

test('large communities, exact and by expression', () => {
  assert.deepEqual(parseLargeCommunity('65001:1:2'), [65001, 1, 2]);
  assert.throws(() => parseLargeCommunity('65001:1'), SetMemberError);
  assert.throws(() => parseLargeCommunity('4294967296:1:1'), SetMemberError);
  const set = new LargeCommunitySet('l', ['65001:1:2', '^65002:.*$']);
  assert.equal(set.matchesAny([[65001, 1, 2]]), true);
  assert.equal(set.matchesAny([[65001, 1, 3]]), false);
  assert.equal(set.matchesAny([[65002, 9, 9]]), true);
  assert.equal(set.matchesAll([[65001, 1, 2], [65002, 0, 0]]), true);
  assert.equal(set.matchesAll([[65001, 1, 2]]), false);
  assert.equal(set.matchesAll(undefined), false);
});

test('remove helpers keep the list object when nothing is a member', () => {
  const set = new CommunitySet('c', ['65001:1']);
  const list = [comm(65002, 1)];
  assert.equal(set.without(list), list);
  assert.deepEqual(set.without([comm(65001, 1), 5]), [5]);
});
