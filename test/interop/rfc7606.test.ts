// RFC 7606 error handling of tsbgpd against a scripted peer sending malformed UPDATEs,
// with a healthy gobgpd peer beside it that must not notice anything. The expected
// classes were checked against gobgpd itself receiving the same bytes: ORIGIN 7 and a
// 5-octet NEXT_HOP are treat-as-withdraw (7.1, 7.3), a 5-octet AGGREGATOR is
// attribute-discard (7.7), an unrecognized well-known attribute resets the session
// with UPDATE Message Error / Unrecognized Well-known Attribute (RFC 4271 6.3).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, allocLoopback, freePort, waitFor, holdsFor } from './harness.js';
import { Tsbgpd, type LogEntry, isPeer } from './tsbgpd.js';
import { Gobgpd } from './gobgpd.js';
import { RawPeer, updateMessage, originAttribute, asPathAttribute, nextHopAttribute, nlri, attribute } from './raw-peer.js';
import { MessageType } from '../../src/wire/header.js';
import { AttrFlag, AttrType } from '../../src/wire/attributes/types.js';
import { NotifyCode, UpdateSubcode } from '../../src/wire/errors.js';

const tsbgpdAs = 65001;
const gobgpdAs = 65002;
const rawAs = 65010;
/** Short timers so "KEEPALIVEs still flow" is seen within seconds. */
const rawHoldTimeSec = 6;
const rawKeepaliveSec = 2;

const victimOrigin = '203.0.113.0/26';
const victimNextHop = '203.0.113.64/26';
const keptIpv4 = '203.0.113.128/25';
const keptIpv6 = '2001:db8:10::/48';
const rawNextHop4 = '192.0.2.10';
const rawNextHop6 = '2001:db8::10';
const gobgpdPrefixes = ['198.51.100.0/24', '2001:db8:2::/48'];
/** An unassigned attribute type code, sent without the Optional bit. */
const unassignedAttrType = 100;

describe('RFC 7606: tsbgpd with a malformed-UPDATE peer and a healthy gobgpd', () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let gobgpd: Gobgpd;
  let raw: RawPeer;
  let rawAddress: string;
  let gobgpdAddress: string;
  /** Log length once everything is up: later `session state` lines for gobgpd are a failure. */
  let baseline = 0;

  before(async () => {
    scope = await Scope.create('rfc7606');
    const tsAddress = allocLoopback();
    gobgpdAddress = allocLoopback();
    rawAddress = allocLoopback();
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
        // The raw peer always connects; tsbgpd only listens for it.
        { address: rawAddress, port: tsPort, as: rawAs, isPassive: true, holdTimeSec: rawHoldTimeSec, keepaliveSec: rawKeepaliveSec },
      ],
      originate: [{ prefix: '198.51.100.128/25', nextHop: '192.0.2.1' }],
    });
    await tsbgpd.start();
    await tsbgpd.waitForState(gobgpdAddress, 'Established', 20_000);
    raw = await RawPeer.connect({ localAddress: rawAddress, remoteAddress: tsAddress, remotePort: tsPort, as: rawAs, routerId: rawAddress, holdTimeSec: rawHoldTimeSec });
    await tsbgpd.waitForState(rawAddress, 'Established', 10_000);
    raw.announceIpv4([victimOrigin, victimNextHop, keptIpv4], rawNextHop4);
    raw.announceIpv6([keptIpv6], rawNextHop6);
    for (const prefix of [victimOrigin, victimNextHop, keptIpv4, keptIpv6]) {
      await waitFor(() => tsbgpd.route(rawAddress, prefix), { timeoutMs: 10_000, intervalMs: 100, what: `tsbgpd receives ${prefix} from the raw peer`, scope });
    }
    for (const prefix of gobgpdPrefixes) {
      await waitFor(() => tsbgpd.route(gobgpdAddress, prefix), { timeoutMs: 10_000, intervalMs: 100, what: `tsbgpd receives ${prefix} from gobgpd`, scope });
    }
    baseline = tsbgpd.log.length;
  });

  after(async () => {
    raw?.destroy();
    await scope?.cleanup();
  });

  /** The healthy peer: same session, same routes, on both sides. */
  async function assertGobgpdUntouched(): Promise<void> {
    const changes = tsbgpd.log.slice(baseline).filter((e) => e.msg === 'session state' && isPeer(e['peer'], gobgpdAddress));
    assert.deepEqual(changes, [], 'no session state change for gobgpd at tsbgpd');
    assert.equal(tsbgpd.state(gobgpdAddress), 'Established');
    for (const prefix of gobgpdPrefixes) assert.notEqual(tsbgpd.route(gobgpdAddress, prefix), undefined, `${prefix} from gobgpd still at tsbgpd`);
    assert.ok(await gobgpd.isEstablished(tsbgpd.options.address), 'gobgpd still Established');
  }

  function faults(from: number, action: string): LogEntry[] {
    return tsbgpd.log.slice(from).filter((e) => e.msg === 'update fault' && isPeer(e['peer'], rawAddress) && e['action'] === action);
  }

  /** No NOTIFICATION and no close for `durationMs`, and KEEPALIVEs keep arriving. */
  async function assertSessionSurvives(sinceMs: number, durationMs: number): Promise<void> {
    await holdsFor(() => (raw.isClosed ? `raw peer session closed; NOTIFICATIONs: ${JSON.stringify(raw.notifications().map((n) => [n.code, n.subcode]))}` : undefined), { durationMs, intervalMs: 200, scope });
    assert.equal(raw.count(MessageType.notification, sinceMs), 0, 'no NOTIFICATION received');
    assert.ok(raw.count(MessageType.keepalive, sinceMs) >= 1, `KEEPALIVEs from tsbgpd still arrive (every ${rawKeepaliveSec} s)`);
    assert.equal(tsbgpd.state(rawAddress), 'Established');
  }

  it('treat-as-withdraw: ORIGIN 7 and a 5-octet NEXT_HOP withdraw their prefixes; the session stays up', async () => {
    const from = tsbgpd.log.length;
    const sentAt = Date.now();
    raw.send(updateMessage({ attributes: [originAttribute(7), asPathAttribute([rawAs], raw.isAs4), nextHopAttribute(rawNextHop4)], nlri: nlri([victimOrigin]) }));
    raw.send(
      updateMessage({
        attributes: [originAttribute(0), asPathAttribute([rawAs], raw.isAs4), attribute(AttrFlag.transitive, AttrType.nextHop, Uint8Array.of(192, 0, 2, 10, 1))],
        nlri: nlri([victimNextHop]),
      }),
    );
    await waitFor(() => faults(from, 'treat-as-withdraw').length >= 2 || undefined, { timeoutMs: 10_000, intervalMs: 100, what: 'two "update fault" lines with action treat-as-withdraw', scope });
    for (const prefix of [victimOrigin, victimNextHop]) {
      await tsbgpd.waitForLog('route withdrawn', (e) => isPeer(e['peer'], rawAddress) && e['prefix'] === prefix, 10_000, from);
      assert.equal(tsbgpd.route(rawAddress, prefix), undefined, `${prefix} withdrawn`);
    }
    await assertSessionSurvives(sentAt, 2 * rawKeepaliveSec * 1000 + 500);
    for (const prefix of [keptIpv4, keptIpv6]) assert.notEqual(tsbgpd.route(rawAddress, prefix), undefined, `${prefix} of the raw peer kept`);
    await assertGobgpdUntouched();
  });

  it('attribute-discard: a 5-octet AGGREGATOR is dropped and the route kept', async () => {
    const from = tsbgpd.log.length;
    const sentAt = Date.now();
    raw.announceIpv4([victimOrigin], rawNextHop4, [attribute(AttrFlag.optional | AttrFlag.transitive, AttrType.aggregator, Uint8Array.of(0, 0, 0xfd, 0xea, 192))]);
    await waitFor(() => faults(from, 'attribute-discard').length >= 1 || undefined, { timeoutMs: 10_000, intervalMs: 100, what: '"update fault" with action attribute-discard', scope });
    const entry = await tsbgpd.waitForLog('route received', (e) => isPeer(e['peer'], rawAddress) && e['prefix'] === victimOrigin, 10_000, from);
    assert.equal(entry['nextHop'], rawNextHop4);
    assert.equal(raw.count(MessageType.notification, sentAt), 0, 'no NOTIFICATION received');
    assert.equal(raw.isClosed, false);
    for (const prefix of [keptIpv4, keptIpv6]) assert.notEqual(tsbgpd.route(rawAddress, prefix), undefined, `${prefix} of the raw peer kept`);
    await assertGobgpdUntouched();
  });

  it('session reset: an unrecognized well-known attribute gets NOTIFICATION 3/2; gobgpd is untouched', async () => {
    const from = tsbgpd.log.length;
    raw.send(
      updateMessage({
        attributes: [originAttribute(0), asPathAttribute([rawAs], raw.isAs4), nextHopAttribute(rawNextHop4), attribute(AttrFlag.transitive, unassignedAttrType, Uint8Array.of(1))],
        nlri: nlri([keptIpv4]),
      }),
    );
    await waitFor(() => raw.notifications()[0], { timeoutMs: 10_000, intervalMs: 100, what: 'a NOTIFICATION at the raw peer', scope });
    const [notification] = raw.notifications();
    assert.equal(notification!.code, NotifyCode.updateMessage);
    assert.equal(notification!.subcode, UpdateSubcode.unrecognizedWellKnownAttribute);
    await waitFor(() => raw.isClosed, { timeoutMs: 5_000, intervalMs: 100, what: 'tsbgpd closes the raw session', scope });
    const sent = await tsbgpd.waitForLog('notification sent', (e) => isPeer(e['peer'], rawAddress), 5_000, from);
    assert.deepEqual([sent['code'], sent['subcode']], [NotifyCode.updateMessage, UpdateSubcode.unrecognizedWellKnownAttribute]);
    // Idle, Active or Connect: any state but Established is down.
    await waitFor(() => tsbgpd.state(rawAddress) !== 'Established', { timeoutMs: 5_000, intervalMs: 100, what: 'tsbgpd takes the raw session down', scope });
    await assertGobgpdUntouched();
  });
});
