// Hostile peers against a running tsbgpd with a healthy gobgpd beside them: a bad
// marker, too short and too long length fields (RFC 4271 6.1), a message cut off by the
// connection's end, an UPDATE trickled one byte at a time, and a peer that stops reading
// and goes silent (hold timer, RFC 4271 6.5). Each time gobgpd's session and routes stay
// exactly as they were.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, allocLoopback, freePort, waitFor, holdsFor, delay } from './harness.js';
import { Tsbgpd, isPeer } from './tsbgpd.js';
import { Gobgpd } from './gobgpd.js';
import { RawPeer, updateMessage, originAttribute, asPathAttribute, nextHopAttribute, nlri } from './raw-peer.js';
import { HeaderSubcode, NotifyCode } from '../../src/wire/errors.js';

const tsbgpdAs = 65001;
const gobgpdAs = 65002;
const rawAs = 65010;
const rawHoldTimeSec = 6;
const gobgpdPrefixes = ['198.51.100.0/24', '2001:db8:2::/48'];
const hostileCases = ['marker', 'short', 'long', 'cut', 'trickle', 'silent'] as const;
type HostileCase = (typeof hostileCases)[number];

/** A KEEPALIVE (RFC 4271 4.4) with its header fields as given. */
function header(length: number, type = 4, markerByte = 0xff): Uint8Array {
  const b = new Uint8Array(19).fill(0xff);
  b[0] = markerByte;
  b[16] = length >> 8;
  b[17] = length & 0xff;
  b[18] = type;
  return b;
}

describe('hostile peers: tsbgpd resets only the offender, a healthy gobgpd is untouched', { concurrency: false }, () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let gobgpd: Gobgpd;
  let gobgpdAddress: string;
  const rawAddresses = new Map<HostileCase, string>();
  let baseline = 0;
  const raws: RawPeer[] = [];

  before(async () => {
    scope = await Scope.create('hostile-peer');
    const tsAddress = allocLoopback();
    gobgpdAddress = allocLoopback();
    for (const c of hostileCases) rawAddresses.set(c, allocLoopback());
    const [tsPort, gobgpdPort] = await Promise.all([freePort(tsAddress), freePort(gobgpdAddress)]);
    gobgpd = new Gobgpd(scope, {
      as: gobgpdAs,
      address: gobgpdAddress,
      port: gobgpdPort,
      neighbors: [{ address: tsAddress, port: tsPort, as: tsbgpdAs, isPassive: true }],
      nextHop4: '192.0.2.2',
      nextHop6: '2001:db8::2',
    });
    await gobgpd.start();
    for (const p of gobgpdPrefixes) await gobgpd.originate(p);
    tsbgpd = new Tsbgpd(scope, {
      as: tsbgpdAs,
      address: tsAddress,
      port: tsPort,
      neighbors: [
        { address: gobgpdAddress, port: gobgpdPort, as: gobgpdAs, isPassive: false },
        ...[...rawAddresses.values()].map((address) => ({ address, port: tsPort, as: rawAs, isPassive: true, holdTimeSec: rawHoldTimeSec, keepaliveSec: 2 })),
      ],
      originate: [{ prefix: '198.51.100.128/25', nextHop: '192.0.2.1' }],
    });
    await tsbgpd.start();
    await tsbgpd.waitForState(gobgpdAddress, 'Established', 20_000);
    for (const prefix of gobgpdPrefixes) {
      await waitFor(() => tsbgpd.route(gobgpdAddress, prefix), { timeoutMs: 10_000, intervalMs: 100, what: `tsbgpd receives ${prefix} from gobgpd`, scope });
    }
    baseline = tsbgpd.log.length;
  });

  after(async () => {
    for (const r of raws) r.destroy();
    await scope?.cleanup();
  });

  async function connectRaw(c: HostileCase): Promise<{ raw: RawPeer; address: string }> {
    const address = rawAddresses.get(c)!;
    const o = tsbgpd.options;
    const raw = await RawPeer.connect({ localAddress: address, remoteAddress: o.address, remotePort: o.port, as: rawAs, routerId: address, holdTimeSec: rawHoldTimeSec });
    raws.push(raw);
    await tsbgpd.waitForState(address, 'Established', 10_000);
    return { raw, address };
  }

  async function assertGobgpdUntouched(): Promise<void> {
    const changes = tsbgpd.log.slice(baseline).filter((e) => e.msg === 'session state' && isPeer(e['peer'], gobgpdAddress));
    assert.deepEqual(changes, [], 'no session state change for gobgpd at tsbgpd');
    assert.equal(tsbgpd.state(gobgpdAddress), 'Established');
    for (const prefix of gobgpdPrefixes) assert.notEqual(tsbgpd.route(gobgpdAddress, prefix), undefined, `${prefix} from gobgpd still at tsbgpd`);
    assert.ok(await gobgpd.isEstablished(tsbgpd.options.address), 'gobgpd still Established');
  }

  /** tsbgpd sends NOTIFICATION code/subcode to the raw peer and leaves Established. */
  async function expectReset(raw: RawPeer, address: string, code: number, subcode: number, timeoutMs = 5_000): Promise<void> {
    await waitFor(() => tsbgpd.entries('notification sent', address).find((e) => e['code'] === code && e['subcode'] === subcode), { timeoutMs, intervalMs: 100, what: `tsbgpd sends ${code}/${subcode} to ${address}`, scope });
    await waitFor(() => tsbgpd.state(address) !== 'Established' || undefined, { timeoutMs, intervalMs: 100, what: `${address} leaves Established`, scope });
    void raw;
  }

  it('a bad marker: NOTIFICATION 1/1 (Connection Not Synchronized)', async () => {
    const { raw, address } = await connectRaw('marker');
    raw.send(header(19, 4, 0xfe));
    await expectReset(raw, address, NotifyCode.messageHeader, HeaderSubcode.connectionNotSynchronized);
    await assertGobgpdUntouched();
  });

  it('a length below 19: NOTIFICATION 1/2 (Bad Message Length)', async () => {
    const { raw, address } = await connectRaw('short');
    raw.send(header(18));
    await expectReset(raw, address, NotifyCode.messageHeader, HeaderSubcode.badMessageLength);
    await assertGobgpdUntouched();
  });

  it('a length above 4096 without extended messages: NOTIFICATION 1/2, nothing buffered for it', async () => {
    const { raw, address } = await connectRaw('long');
    raw.send(header(60_000, 2));
    await expectReset(raw, address, NotifyCode.messageHeader, HeaderSubcode.badMessageLength);
    await assertGobgpdUntouched();
  });

  it('a message cut off by the end of the connection: the session goes, its routes with it', async () => {
    const { raw, address } = await connectRaw('cut');
    raw.announceIpv4(['203.0.113.0/25'], '192.0.2.10');
    await waitFor(() => tsbgpd.route(address, '203.0.113.0/25'), { timeoutMs: 10_000, intervalMs: 100, what: 'the cut peer route arrives', scope });
    const update = updateMessage({ attributes: [originAttribute(0), asPathAttribute([rawAs], raw.isAs4), nextHopAttribute('192.0.2.10')], nlri: nlri(['203.0.113.128/26']) });
    raw.send(update.subarray(0, update.length - 3));
    await delay(200);
    raw.destroy();
    await waitFor(() => tsbgpd.state(address) !== 'Established' || undefined, { timeoutMs: 5_000, intervalMs: 100, what: `${address} leaves Established`, scope });
    await waitFor(() => tsbgpd.route(address, '203.0.113.0/25') === undefined || undefined, { timeoutMs: 5_000, intervalMs: 100, what: 'its route is withdrawn', scope });
    assert.equal(tsbgpd.route(address, '203.0.113.128/26'), undefined, 'the cut UPDATE was never applied');
    await assertGobgpdUntouched();
  });

  it('an UPDATE trickled one byte at a time arrives whole; the session stays up', async () => {
    const { raw, address } = await connectRaw('trickle');
    const update = updateMessage({ attributes: [originAttribute(0), asPathAttribute([rawAs], raw.isAs4), nextHopAttribute('192.0.2.11')], nlri: nlri(['203.0.113.192/26']) });
    for (const byte of update) {
      raw.send(Uint8Array.of(byte));
      await delay(15);
    }
    await waitFor(() => tsbgpd.route(address, '203.0.113.192/26'), { timeoutMs: 5_000, intervalMs: 100, what: 'the trickled route arrives', scope });
    await holdsFor(() => (tsbgpd.state(address) === 'Established' ? undefined : `trickle peer left Established: ${tsbgpd.state(address)}`), { durationMs: 1_000, scope });
    await assertGobgpdUntouched();
  });

  it('a peer that stops reading and goes silent is reset by the hold timer (4/0)', async () => {
    const { raw, address } = await connectRaw('silent');
    raw.goSilent();
    await expectReset(raw, address, NotifyCode.holdTimerExpired, 0, (rawHoldTimeSec + 4) * 1000);
    await assertGobgpdUntouched();
  });
});
