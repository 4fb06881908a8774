// Micro-benchmark of decodeUpdate (run by hand, not a test): 1,000,000 prefixes in
// UPDATEs shaped like a full table's (1-20 prefixes each, mostly few; AS paths of 2-9
// AS numbers, some 4-octet; MED, communities and large communities on some; one in
// five IPv6 in MP_REACH_NLRI), decoded from bytes. Prints prefixes per second.
// Usage: npx tsc -p tsconfig.json && node dist/bench/update-decode.js [prefixes] [rounds]

import { Reader } from '../src/wire/reader.js';
import { headerLength } from '../src/wire/header.js';
import { as4Context } from '../src/wire/context.js';
import { NlriList } from '../src/wire/nlri.js';
import { Afi, type Prefix } from '../src/lib/address.js';
import { decodeUpdate, encodeUpdate, makeUpdate } from '../src/wire/update.js';
import type { PathAttributes } from '../src/wire/attributes/types.js';

const totalPrefixes = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 5);

/** A fixed-seed generator so every run decodes the same table. */
let seed = 0x12345678;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x100000000;
}
const pick = (n: number): number => Math.floor(random() * n);

function attributesFor(isIpv6: boolean): PathAttributes {
  const asns = Array.from({ length: 2 + pick(8) }, () => (random() < 0.15 ? 0x10000 + pick(400_000_000) : 1 + pick(64_000)));
  const attrs: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = { origin: random() < 0.9 ? 0 : 2, asPath: [{ type: 2, asns }] };
  if (random() < 0.3) attrs.med = pick(1000);
  if (random() < 0.6) attrs.communities = Array.from({ length: 1 + pick(10) }, () => pick(0x100000000));
  if (random() < 0.1) attrs.largeCommunities = [[asns[0]!, pick(1000), pick(1000)]];
  if (isIpv6) return attrs;
  attrs.nextHop = Uint8Array.of(192, 0, 2, 1 + pick(250));
  return attrs;
}

function prefixFor(isIpv6: boolean, i: number): Prefix {
  if (isIpv6) {
    const addr = new Uint8Array(16);
    addr[0] = 0x20;
    addr[1] = 0x01;
    addr[2] = i >> 16;
    addr[3] = (i >> 8) & 0xff;
    addr[4] = i & 0xff;
    return { afi: Afi.ipv6, length: 40 + pick(9), addr };
  }
  const length = 16 + pick(9);
  const addr = Uint8Array.of(1 + (i >> 16), (i >> 8) & 0xff, i & 0xff, 0);
  return { afi: Afi.ipv4, length, addr: length >= 24 ? addr : Uint8Array.of(addr[0]!, addr[1]!, length > 16 ? addr[2]! & (0xff << (24 - length)) : 0, 0) };
}

const messages: Uint8Array[] = [];
let made = 0;
while (made < totalPrefixes) {
  const isIpv6 = random() < 0.2;
  // Mostly small announcements, a few large ones, as in a full table.
  const count = Math.min(totalPrefixes - made, random() < 0.7 ? 1 + pick(3) : 1 + pick(20));
  const prefixes = Array.from({ length: count }, (_, k) => prefixFor(isIpv6, made + k));
  const attributes = attributesFor(isIpv6);
  const msg = isIpv6
    ? makeUpdate({ attributes: { ...attributes, mpReach: { afi: 2, safi: 1, nextHop: Uint8Array.of(0x20, 1, 0xd, 0xb8, ...new Array<number>(11).fill(0), 1 + pick(250)), nlri: NlriList.from(prefixes, Afi.ipv6) } } })
    : makeUpdate({ attributes, nlri: NlriList.from(prefixes, Afi.ipv4) });
  messages.push(encodeUpdate(msg, as4Context));
  made += count;
}
const bytes = messages.reduce((n, m) => n + m.length, 0);
console.log(`${messages.length} UPDATEs, ${made} prefixes, ${(bytes / 1e6).toFixed(1)} MB`);

function decodeAll(): number {
  let prefixes = 0;
  for (const m of messages) {
    const u = decodeUpdate(new Reader(m, headerLength, m.length), as4Context);
    prefixes += u.nlri.count + (u.attributes.mpReach?.nlri.count ?? 0);
  }
  return prefixes;
}

for (let round = 0; round < rounds; round++) {
  const start = process.hrtime.bigint();
  const prefixes = decodeAll();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`round ${round + 1}: ${prefixes} prefixes in ${(seconds * 1000).toFixed(0)} ms: ${Math.round(prefixes / seconds).toLocaleString('en-US')} prefixes/s, ${Math.round(messages.length / seconds).toLocaleString('en-US')} UPDATEs/s`);
}
