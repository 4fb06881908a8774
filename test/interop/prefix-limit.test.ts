// Max-prefix per peer and family against a scripted peer: a warning at the threshold,
// and the UPDATE that would pass the limit refused before anything of it is stored: the
// session ends with Cease / Maximum Number of Prefixes Reached carrying AFI, SAFI and
// the limit (RFC 4486 4), the peer's routes go, its connections are refused for the
// restart timer, and it is accepted again afterwards.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, allocLoopback, freePort, waitFor, delay } from './harness.js';
import { Tsbgpd } from './tsbgpd.js';
import { RawPeer } from './raw-peer.js';
import { Afi, Safi } from '../../src/lib/address.js';
import { CeaseSubcode, NotifyCode } from '../../src/wire/errors.js';

const tsbgpdAs = 65001;
const rawAs = 65010;
const maxPrefixes = 5;
const restartTimerSec = 3;
const nextHop6 = '2001:db8::10';
const prefixes = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `2001:db8:${(from + i).toString(16)}::/48`);

describe('max-prefix: a scripted peer going over its IPv6 limit', () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let raw: RawPeer | undefined;
  let rawAddress = '';
  let tsAddress = '';
  let tsPort = 0;

  const connect = (): Promise<RawPeer> => RawPeer.connect({ localAddress: rawAddress, remoteAddress: tsAddress, remotePort: tsPort, as: rawAs, routerId: rawAddress, holdTimeSec: 30 }, 5000);

  before(async () => {
    scope = await Scope.create('prefix-limit');
    tsAddress = allocLoopback();
    rawAddress = allocLoopback();
    tsPort = await freePort(tsAddress);
    tsbgpd = new Tsbgpd(scope, {
      as: tsbgpdAs,
      address: tsAddress,
      port: tsPort,
      neighbors: [
        {
          address: rawAddress,
          port: tsPort,
          as: rawAs,
          isPassive: true,
          // Appended to the last afi-safis entry, ipv6-unicast.
          extraToml: ['    [neighbors.afi-safis.prefix-limit.config]', `      max-prefixes = ${maxPrefixes}`, '      shutdown-threshold-pct = 80', `      restart-timer = ${restartTimerSec}`],
        },
      ],
      originate: [],
    });
    await tsbgpd.start();
  });

  after(async () => {
    raw?.destroy();
    await scope?.cleanup();
  });

  it('a) warns once the routes held reach 80 % of the limit', async () => {
    raw = await connect();
    raw.announceIpv6(prefixes(1, 3), nextHop6);
    for (const p of prefixes(1, 3)) await waitFor(() => tsbgpd.route(rawAddress, p), { timeoutMs: 10_000, intervalMs: 100, what: `tsbgpd receives ${p}`, scope });
    assert.equal(tsbgpd.entries('prefix limit threshold', rawAddress).length, 0, '3 of 5: no warning');
    raw.announceIpv6(prefixes(4, 1), nextHop6);
    const warn = await tsbgpd.waitForLog('prefix limit threshold', (e) => e['peer'] === rawAddress, 10_000);
    assert.equal(warn['routes'], 4);
    assert.equal(warn['maxPrefixes'], maxPrefixes);
  });

  it('b) the UPDATE going over the limit: nothing of it stored, Cease 6/1 with AFI, SAFI, limit; routes dropped', async () => {
    const peer = raw!;
    // Re-announcing held routes is not new: 4 held + 1 new = 5, at the limit.
    peer.announceIpv6([...prefixes(1, 4), ...prefixes(5, 1)], nextHop6);
    await waitFor(() => tsbgpd.route(rawAddress, prefixes(5, 1)[0]!), { timeoutMs: 10_000, intervalMs: 100, what: 'the fifth route', scope });
    peer.announceIpv6(prefixes(6, 2), nextHop6);
    await waitFor(() => peer.isClosed || undefined, { timeoutMs: 10_000, intervalMs: 100, what: 'tsbgpd to close the session', scope });
    const [n] = peer.notifications();
    assert.ok(n !== undefined, 'a NOTIFICATION came');
    assert.equal(n.code, NotifyCode.cease);
    assert.equal(n.subcode, CeaseSubcode.maxPrefixes);
    assert.deepEqual([...n.data], [0, Afi.ipv6, Safi.unicast, 0, 0, 0, maxPrefixes]);
    for (const p of prefixes(6, 2)) assert.equal(tsbgpd.route(rawAddress, p), undefined, `${p} never stored`);
    const exceeded = await tsbgpd.waitForLog('prefix limit exceeded', (e) => e['peer'] === rawAddress, 5000);
    assert.equal(exceeded['routes'], 7);
    await waitFor(() => prefixes(1, 5).every((p) => tsbgpd.route(rawAddress, p) === undefined) || undefined, { timeoutMs: 5000, intervalMs: 100, what: "the peer's routes dropped", scope });
  });

  it('c) refused during the restart timer, accepted after it', async () => {
    const downAt = Date.now();
    await assert.rejects(connect(), /closed|reset|ECONNRESET|no OPEN/i, 'a connection during the hold-down is refused');
    await delay(Math.max(0, restartTimerSec * 1000 - (Date.now() - downAt)) + 500);
    raw = await connect();
    await tsbgpd.waitForLog('prefix limit restart', (e) => e['peer'] === rawAddress, 1000);
    await tsbgpd.waitForState(rawAddress, 'Established', 10_000);
  });
});
