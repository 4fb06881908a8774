import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { parseAddress, parsePrefix } from '../lib/address.js';
import { encodeUpdate, makeUpdate } from '../wire/update.js';
import { NlriList } from '../wire/nlri.js';
import { Afi } from '../lib/address.js';
import { as4Context } from '../wire/context.js';
import { runCli, type CliIo } from '../cli/main.js';
import { frameRecords, readMrtFile, type RawRecord } from './reader.js';
import { BgpdumpFormatter, JsonFormatter, formatAsPath, formatIpv6 } from './print.js';
import { encodeMessageRecord, encodePeerIndexTable, encodeRibRecord, encodeStateChange } from './writer.js';
import type { MrtFault, MrtRecord } from './types.js';
import * as dumps from './fixtures/dumps.js';

const bytesOf = (hex: string): Buffer => Buffer.from(hex, 'hex');

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsbgp-mrt-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
function fileWith(bytes: Uint8Array): string {
  const path = join(dir, `f${fileCount++}.mrt`);
  writeFileSync(path, bytes);
  return path;
}

function bgpdump(path: string): string {
  // bgpdump exits 0 and logs to stderr on a cut file; stdout is what it printed.
  return execFileSync('bgpdump', ['-m', '-v', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

async function printed(path: string): Promise<{ text: string; faults: MrtFault[]; records: MrtRecord[] }> {
  const f = new BgpdumpFormatter();
  let text = '';
  const faults: MrtFault[] = [];
  const records: MrtRecord[] = [];
  for await (const item of readMrtFile(path)) {
    if (item.kind === 'fault') faults.push(item);
    else {
      records.push(item);
      text += f.format(item);
    }
  }
  return { text, faults, records };
}

describe('bgpdump -m lines of real dumps', () => {
  for (const name of ['birdMessages', 'birdTable4', 'birdTable6', 'gobgpUpdates'] as const) {
    test(`${name}: identical to bgpdump`, async () => {
      const path = fileWith(bytesOf(dumps[name]));
      const ours = await printed(path);
      assert.deepEqual(ours.faults, []);
      const reference = bgpdump(path);
      assert.ok(reference.length > 0, 'bgpdump printed something');
      assert.equal(ours.text, reference);
    });
  }

  test('birdTable4: the fields of one ADD-PATH entry', async () => {
    const { text } = await printed(fileWith(bytesOf(dumps.birdTable4)));
    assert.match(text, /^TABLE_DUMP2_AP\|1795643949\|B\|127\.0\.0\.71\|65001\|192\.0\.2\.0\/24\|1\|65001\|INCOMPLETE\|172\.17\.0\.21\|100\|20\|65001:100 no-export\|NAG\|\|$/m);
  });

  test('gobgpTable: routes naming a peer past the PEER_INDEX_TABLE are faults, the others print', async () => {
    const { text, faults } = await printed(fileWith(bytesOf(dumps.gobgpTable)));
    assert.ok(faults.length >= 2);
    for (const f of faults) {
      assert.equal(f.isRecoverable, true);
      assert.match(f.message, /peer index 2 not in the PEER_INDEX_TABLE of 2 peers/);
    }
    assert.match(text, /^TABLE_DUMP2_AP\|\d+\|B\|127\.0\.0\.72\|4200000002\|2001:db8:20::\/64\|3\|4200000002\|IGP\|2001:db8::22\|0\|0\|65002:9\|NAG\|\|$/m);
    assert.equal(text.split('\n').filter((l) => l !== '').length, 5);
  });

  test('gzip and bzip2 input give the same lines', async () => {
    const plain = bytesOf(dumps.birdMessages);
    const reference = (await printed(fileWith(plain))).text;
    const gz = await printed(fileWith(gzipSync(plain)));
    assert.deepEqual(gz.faults, []);
    assert.equal(gz.text, reference);
    const bz = await printed(fileWith(execFileSync('bzip2', ['-c'], { input: plain })));
    assert.deepEqual(bz.faults, []);
    assert.equal(bz.text, reference);
  });
});

describe('damaged files', () => {
  test('a file cut in the middle: every whole record printed, then the offset of the cut one', async () => {
    const whole = bytesOf(dumps.birdTable4);
    const cut = whole.subarray(0, 250);
    const path = fileWith(cut);
    const { text, faults } = await printed(path);
    assert.equal(text, bgpdump(path));
    assert.equal(faults.length, 1);
    assert.equal(faults[0]!.isRecoverable, false);
    assert.match(faults[0]!.message, /file ends inside a record/);
    // The cut record starts where the last whole one ended.
    const starts = recordStarts(whole);
    const cutAt = starts.filter((s) => s < 250).pop()!;
    assert.equal(faults[0]!.offset, cutAt);
  });

  test('a corrupted record: reported with its offset, the records after it still printed', async () => {
    const bytes = Buffer.from(bytesOf(dumps.birdTable4));
    const starts = recordStarts(bytes);
    // The third record (a RIB entry): its attribute length made to run past the record.
    const at = starts[2]!;
    const entryCountAt = at + 12 + 4 + 1 + 3;
    const attrLengthAt = entryCountAt + 2 + 2 + 4 + 4;
    bytes.writeUInt16BE(0xfff0, attrLengthAt);
    const { text, faults } = await printed(fileWith(bytes));
    assert.equal(faults.length, 1);
    assert.equal(faults[0]!.offset, at);
    assert.equal(faults[0]!.isRecoverable, true);
    assert.match(faults[0]!.message, /attributes needs 65520 bytes/);
    const intact = (await printed(fileWith(bytesOf(dumps.birdTable4)))).text.split('\n');
    const lines = text.split('\n');
    assert.equal(lines.length, intact.length - 1);
    assert.deepEqual(lines, intact.filter((l) => !l.includes('192.0.2.0/24')));
  });

  test('a length past any sane size stops the reading with its offset', async () => {
    const bytes = Buffer.from(bytesOf(dumps.birdMessages));
    const starts = recordStarts(bytes);
    bytes.writeUInt32BE(0x7fffffff, starts[3]! + 8);
    const { faults, records } = await printed(fileWith(bytes));
    assert.equal(records.length, 3);
    assert.equal(faults.length, 1);
    assert.equal(faults[0]!.offset, starts[3]);
    assert.equal(faults[0]!.isRecoverable, false);
  });

  test('tsbgp mrt print: lines on stdout, the fault with its offset on stderr, exit 1', async () => {
    const path = fileWith(bytesOf(dumps.birdTable4).subarray(0, 250));
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), readStdin: () => Promise.resolve('') };
    const code = await runCli(['mrt', 'print', path], io);
    assert.equal(code, 1);
    assert.equal(out, bgpdump(path));
    assert.match(err, /offset \d+: file ends inside a record/);
  });

  test('tsbgp mrt print --json: one object per route', async () => {
    const path = fileWith(bytesOf(dumps.birdTable6));
    let out = '';
    const io: CliIo = { out: (t) => (out += t), err: () => undefined, readStdin: () => Promise.resolve('') };
    assert.equal(await runCli(['mrt', 'print', path, '--json'], io), 0);
    const objects = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const routes = objects.filter((o) => o['type'] !== 'PEER_INDEX_TABLE');
    assert.equal(routes.length, 3);
    assert.deepEqual(
      routes.map((o) => o['prefix']),
      ['2001:db8:99::/48', '2001:db8:10::/48', '2001:db8:20::/64'],
    );
    assert.equal(routes[0]!['nextHop'], '2001:db8::21');
    assert.equal(routes[0]!['pathId'], 1);
  });
});

function recordStarts(bytes: Uint8Array): number[] {
  const out: number[] = [];
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let p = 0; p + 12 <= b.length; p += 12 + b.readUInt32BE(p + 8)) out.push(p);
  return out;
}

describe('text forms', () => {
  test('AS paths as bgpdump spells them', () => {
    assert.equal(formatAsPath([{ type: 2, asns: [1, 2] }, { type: 1, asns: [3, 4] }]), '1 2 {3,4}');
    assert.equal(formatAsPath([{ type: 1, asns: [3, 4] }, { type: 2, asns: [5] }]), '{3,4} 5');
    assert.equal(formatAsPath([{ type: 3, asns: [7, 8] }, { type: 2, asns: [9] }]), '(7 8) 9');
    assert.equal(formatAsPath([{ type: 4, asns: [7, 8] }]), '[7,8]');
    assert.equal(formatAsPath(undefined), '');
  });

  test('IPv6 with an IPv4 tail as inet_ntop writes it', () => {
    assert.equal(formatIpv6(parseAddress('::ffff:1.2.3.4')), '::ffff:1.2.3.4');
    assert.equal(formatIpv6(parseAddress('::1.2.3.4')), '::1.2.3.4');
    assert.equal(formatIpv6(parseAddress('::')), '::');
    assert.equal(formatIpv6(parseAddress('::1')), '::1');
    assert.equal(formatIpv6(parseAddress('2001:db8::1')), '2001:db8::1');
  });
});

describe('records written here', () => {
  const peering = { peerAs: 4200000001, localAs: 65000, interfaceIndex: 0, afi: Afi.ipv4, peerAddress: parseAddress('192.0.2.1'), localAddress: parseAddress('192.0.2.2') };
  const update = encodeUpdate(
    makeUpdate({
      attributes: { origin: 0, asPath: [{ type: 2, asns: [4200000001, 3356] }], nextHop: parseAddress('192.0.2.1'), med: 5, communities: [0xffffff02, (65000 << 16) | 1], aggregator: { asn: 3356, address: parseAddress('10.0.0.1') }, isAtomicAggregate: true },
      nlri: NlriList.from([parsePrefix('10.1.0.0/16'), parsePrefix('10.2.3.0/24')], Afi.ipv4),
      withdrawn: NlriList.from([parsePrefix('10.9.0.0/16')], Afi.ipv4),
    }),
    as4Context,
  );
  const v6 = {
    origin: 2 as const,
    asPath: [{ type: 2 as const, asns: [65001] }],
    localPref: 100,
    mpReach: { afi: Afi.ipv6, safi: 1, nextHop: parseAddress('2001:db8::1'), nlri: NlriList.empty(Afi.ipv6) },
  };
  const file = (): Buffer =>
    Buffer.concat([
      encodePeerIndexTable(1700000000, parseAddress('10.0.0.9'), 'view', [
        { bgpId: parseAddress('10.0.0.1'), address: parseAddress('192.0.2.1'), asn: 4200000001, isAs4: true },
        { bgpId: parseAddress('10.0.0.2'), address: parseAddress('2001:db8::1'), asn: 65001, isAs4: false },
      ]),
      encodeRibRecord(1700000000, 0, parsePrefix('10.1.0.0/16'), 1, [{ peerIndex: 0, originatedTime: 1699999000, attributes: { origin: 0, asPath: [{ type: 2, asns: [4200000001] }], nextHop: parseAddress('192.0.2.1') } }]),
      encodeRibRecord(1700000000, 1, parsePrefix('2001:db8:1::/48'), 1, [{ peerIndex: 1, originatedTime: 1699999000, pathId: 7, attributes: v6 }], true),
      encodeStateChange(1700000001, peering, 1, 6),
      encodeMessageRecord(1700000002, peering, update),
      encodeMessageRecord(1700000003, peering, update, { microseconds: 1234, isLocal: true }),
    ]);

  test('bgpdump reads them as we do', async () => {
    const path = fileWith(file());
    const ours = await printed(path);
    assert.deepEqual(ours.faults, []);
    assert.equal(ours.text, bgpdump(path));
    assert.match(ours.text, /^BGP4MP\|1700000002\|A\|192\.0\.2\.1\|4200000001\|10\.2\.3\.0\/24\|4200000001 3356\|IGP\|192\.0\.2\.1\|0\|5\|no-advertise 65000:1\|AG\|3356 10\.0\.0\.1\|$/m);
    assert.match(ours.text, /^TABLE_DUMP2_AP\|1700000000\|B\|2001:db8::1\|65001\|2001:db8:1::\/48\|7\|65001\|INCOMPLETE\|2001:db8::1\|100\|0\|\|NAG\|\|$/m);
  });

  test('JSON lines name every route', async () => {
    const f = new JsonFormatter();
    let out = '';
    for await (const item of readMrtFile(fileWith(file()))) if (item.kind !== 'fault') out += f.format(item);
    const kinds = out.trim().split('\n').map((l) => (JSON.parse(l) as { kind?: string; type: string }).kind ?? (JSON.parse(l) as { type: string }).type);
    assert.deepEqual(kinds, ['PEER_INDEX_TABLE', 'TABLE_DUMP2', 'TABLE_DUMP2_AP', 'STATE', 'W', 'A', 'A', 'W', 'A', 'A']);
  });
});

describe('record framing (property)', () => {
  const peering = { peerAs: 65001, localAs: 65002, interfaceIndex: 0, afi: Afi.ipv4, peerAddress: parseAddress('192.0.2.1'), localAddress: parseAddress('192.0.2.2') };
  const recordArb = fc.oneof(
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })).map(([t, a, b]) => encodeStateChange(t, peering, a, b)),
    fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 300 })).map(([t, body]) => encodeMessageRecord(t, peering, body, { microseconds: t % 1000000 })),
  );

  async function* chunked(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
    let pos = 0;
    let i = 0;
    while (pos < bytes.length) {
      const n = Math.max(1, sizes[i++ % sizes.length]!);
      yield bytes.subarray(pos, pos + n);
      pos += n;
    }
  }

  async function frame(bytes: Uint8Array, sizes: number[]): Promise<(RawRecord | MrtFault)[]> {
    const out: (RawRecord | MrtFault)[] = [];
    for await (const r of frameRecords(chunked(bytes, sizes))) out.push('kind' in r ? r : { header: r.header, body: new Uint8Array(r.body) });
    return out;
  }

  test('any chunking gives the same records; a cut gives the whole ones and one fault at the cut record', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { minLength: 1, maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }), fc.nat(), async (records, sizes, cutSeed) => {
        const all = Buffer.concat(records);
        const whole = await frame(all, [all.length]);
        const pieces = await frame(all, sizes);
        assert.deepEqual(pieces, whole);
        assert.equal(whole.length, records.length);
        let offset = 0;
        records.forEach((r, i) => {
          const got = whole[i] as RawRecord;
          assert.equal(got.header.offset, offset);
          offset += r.length;
        });
        const cut = cutSeed % all.length;
        const cutRecords = await frame(all.subarray(0, cut), sizes);
        const starts: number[] = [];
        let p = 0;
        for (const r of records) {
          starts.push(p);
          p += r.length;
        }
        const complete = starts.filter((s, i) => s + records[i]!.length <= cut).length;
        assert.deepEqual(cutRecords.slice(0, complete), whole.slice(0, complete));
        if (cut === starts[complete] || cut === 0) assert.equal(cutRecords.length, complete);
        else {
          assert.equal(cutRecords.length, complete + 1);
          const fault = cutRecords[complete] as MrtFault;
          assert.equal(fault.kind, 'fault');
          assert.equal(fault.offset, starts[complete]);
          assert.equal(fault.isRecoverable, false);
        }
      }),
      { numRuns: 150 },
    );
  });

  test('corrupted bytes give records or faults, never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { minLength: 1, maxLength: 6 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), async (records, flips) => {
        const all = Buffer.concat(records);
        for (const [at, v] of flips) all[at % all.length] = v;
        const path = fileWith(all);
        for await (const item of readMrtFile(path)) assert.ok(item.kind !== undefined);
      }),
      { numRuns: 100 },
    );
  });
});
