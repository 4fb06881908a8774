// Max-prefix limits: counted before storing (re-announcements are not new), a warning
// once at the threshold, the RFC 4486 4 data, and the hold-down with its restart timer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.js';
import { Afi } from '../lib/address.js';
import { Rib } from '../rib/rib.js';
import { ipv4Unicast, ipv6Unicast, makeTestUpdate, peerInfo, scenarioAttributes } from '../rib/test-support.js';
import { recordingLogger } from '../session/testing.js';
import { ErrorAction } from '../wire/errors.js';
import { maxPrefixesData, PrefixLimitGuard } from './prefix-limit.js';
import type { PrefixLimitConfig } from './neighbor-options-config.js';

const prefixes = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `10.0.${from + i}.0/24`);
const limits: PrefixLimitConfig[] = [{ family: ipv4Unicast, maxPrefixes: 10, shutdownThresholdPct: 80, restartTimerSec: 30 }];

function setup(): { clock: ManualClock; rib: Rib; guard: PrefixLimitGuard; logger: ReturnType<typeof recordingLogger> } {
  const clock = new ManualClock();
  const rib = new Rib({ clock });
  const logger = recordingLogger();
  return { clock, rib, guard: new PrefixLimitGuard({ clock, logger, rib }), logger };
}

test('the limit counts routes not held yet; the route that would pass it is refused', () => {
  const { rib, guard, logger } = setup();
  const info = peerInfo({ address: '172.17.0.21', peerAs: 64522 });
  rib.onEstablished(info);
  const nine = makeTestUpdate({ nlri: prefixes(0, 9), attributes: scenarioAttributes('172.17.0.21') });
  assert.equal(guard.check(info, limits, nine), undefined);
  rib.onUpdate(info, nine);
  assert.equal(logger.lines.filter((l) => l.msg === 'prefix limit threshold').length, 1, '9 of 10 is past 80 %');
  // The same nine again, and one new: ten held, at the limit, not over it.
  const again = makeTestUpdate({ nlri: prefixes(0, 10), attributes: scenarioAttributes('172.17.0.21') });
  assert.equal(guard.check(info, limits, again), undefined);
  rib.onUpdate(info, again);
  assert.equal(logger.lines.filter((l) => l.msg === 'prefix limit threshold').length, 1, 'warned once per session');
  const over = guard.check(info, limits, makeTestUpdate({ nlri: prefixes(10, 1), attributes: scenarioAttributes('172.17.0.21') }));
  assert.deepEqual(over, { limit: limits[0], count: 11 });
  // Another family has no limit; a treat-as-withdraw UPDATE adds nothing.
  assert.equal(guard.check(info, limits, makeTestUpdate({ mpReach: { nextHop: '2001:db8::1', nlri: ['2001:db8::/48', '2001:db8:1::/48'] } })), undefined);
  assert.equal(guard.check(info, limits, makeTestUpdate({ nlri: prefixes(20, 5), attributes: scenarioAttributes('172.17.0.21'), action: ErrorAction.treatAsWithdraw })), undefined);
  assert.equal(guard.check(info, [{ ...limits[0]!, family: ipv6Unicast, maxPrefixes: 1 }], makeTestUpdate({ mpReach: { nextHop: '2001:db8::1', nlri: ['2001:db8::/48', '2001:db8:1::/48'] } }))?.count, 2);
});

test('RFC 4486 4 data: AFI, SAFI, limit', () => {
  assert.deepEqual([...maxPrefixesData(ipv4Unicast, 1000)], [0, Afi.ipv4, 1, 0, 0, 0x03, 0xe8]);
  assert.deepEqual([...maxPrefixesData(ipv6Unicast, 0x01020304)], [0, Afi.ipv6, 1, 1, 2, 3, 4]);
});

test('hold-down: refused until the restart timer, which restarts; 0 holds until released', () => {
  const { clock, guard } = setup();
  let restarts = 0;
  guard.holdDown('172.17.0.21', { limit: limits[0]!, count: 11 }, () => restarts++);
  assert.equal(guard.isHeld('172.17.0.21'), true);
  clock.advance(29_999);
  assert.equal(restarts, 0);
  clock.advance(1);
  assert.equal(restarts, 1);
  assert.equal(guard.isHeld('172.17.0.21'), false);
  guard.holdDown('172.17.0.22', { limit: { ...limits[0]!, restartTimerSec: 0 }, count: 11 }, () => restarts++);
  clock.advance(1_000_000);
  assert.equal(guard.isHeld('172.17.0.22'), true);
  assert.equal(restarts, 1);
  guard.release('172.17.0.22');
  assert.equal(guard.isHeld('172.17.0.22'), false);
});
