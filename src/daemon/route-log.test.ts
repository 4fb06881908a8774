import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Afi, Safi, parseAddress, parsePrefix } from '../lib/address.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { NlriList } from '../wire/nlri.js';
import { familyKey } from '../wire/context.js';
import { ErrorAction, NotifyCode, UpdateSubcode, WireError } from '../wire/errors.js';
import { makeUpdate, type UpdateMessage } from '../wire/update.js';
import { AsSegmentType, Origin } from '../wire/attributes/types.js';
import type { PeerInfo } from '../rib/sink.js';
import { formatAsPath, RouteLogSink } from './route-log.js';

const peer: PeerInfo = {
  address: '192.0.2.2',
  peerAs: 65002,
  localAs: 65001,
  routerId: parseAddress('10.0.0.2'),
  isEbgp: true,
  families: new Set([familyKey(Afi.ipv4, Safi.unicast)]),
  addPathRx: new Set(),
};

function collect(): { lines: Record<string, unknown>[]; logger: Logger } {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger({ level: 'debug', format: 'json', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }) };
}

const v4 = (...p: string[]): NlriList => NlriList.from(p.map((x) => parsePrefix(x)), Afi.ipv4);
const attrs = { origin: Origin.igp, asPath: [{ type: AsSegmentType.sequence, asns: [65002, 65003] }, { type: AsSegmentType.set, asns: [1, 2] }], nextHop: parseAddress('192.0.2.2') };

const strip = (l: Record<string, unknown>): Record<string, unknown> => {
  const { time: _t, level: _l, ...rest } = l;
  return rest;
};

test('AS paths print as sequences and {sets}', () => {
  assert.equal(formatAsPath(attrs.asPath), '65002 65003 {1,2}');
  assert.equal(formatAsPath([{ type: AsSegmentType.confedSequence, asns: [1, 2] }, { type: AsSegmentType.sequence, asns: [3] }]), '(1 2) 3');
  assert.equal(formatAsPath([]), '');
});

test('IPv4 and MP_REACH routes are logged received, withdrawals withdrawn, and counted', () => {
  const { lines, logger } = collect();
  const sink = new RouteLogSink(logger);
  sink.onEstablished(peer);
  sink.onUpdate(peer, makeUpdate({ attributes: attrs, nlri: v4('10.0.0.0/24', '10.0.1.0/24'), withdrawn: v4('10.9.0.0/16') }));
  const mpReach = { afi: Afi.ipv6, safi: Safi.unicast, nextHop: parseAddress('2001:db8::2'), nlri: NlriList.from([parsePrefix('2001:db8:5::/48')], Afi.ipv6) };
  sink.onUpdate(peer, makeUpdate({ attributes: { ...attrs, nextHop: undefined, mpReach } }));
  sink.onUpdate(peer, makeUpdate({ attributes: { mpUnreach: { afi: Afi.ipv6, safi: Safi.unicast, withdrawn: mpReach.nlri } } }));
  sink.onEndOfRib(peer, familyKey(Afi.ipv4, Safi.unicast));
  assert.deepEqual(lines.map(strip), [
    { msg: 'route withdrawn', peer: '192.0.2.2', prefix: '10.9.0.0/16' },
    { msg: 'route received', peer: '192.0.2.2', prefix: '10.0.0.0/24', nextHop: '192.0.2.2', asPath: '65002 65003 {1,2}', origin: 'i' },
    { msg: 'route received', peer: '192.0.2.2', prefix: '10.0.1.0/24', nextHop: '192.0.2.2', asPath: '65002 65003 {1,2}', origin: 'i' },
    { msg: 'route received', peer: '192.0.2.2', prefix: '2001:db8:5::/48', nextHop: '2001:db8::2', asPath: '65002 65003 {1,2}', origin: 'i' },
    { msg: 'route withdrawn', peer: '192.0.2.2', prefix: '2001:db8:5::/48' },
    { msg: 'end of rib', peer: '192.0.2.2', family: 'ipv4-unicast', announced: 3 },
  ]);
  assert.deepEqual(sink.countsOf('192.0.2.2'), { announced: 3, withdrawn: 2, updates: 3 });
});

test('treat-as-withdraw logs the NLRI as withdrawn (RFC 7606 2)', () => {
  const { lines, logger } = collect();
  const sink = new RouteLogSink(logger);
  const fault = new WireError(NotifyCode.updateMessage, UpdateSubcode.malformedAttributeList, 'bad', new Uint8Array(0), ErrorAction.treatAsWithdraw);
  const update: UpdateMessage = { ...makeUpdate({ attributes: attrs, nlri: v4('10.0.0.0/24') }), faults: [fault], action: ErrorAction.treatAsWithdraw };
  sink.onUpdate(peer, update);
  assert.deepEqual(lines.map(strip), [{ msg: 'route withdrawn', peer: '192.0.2.2', prefix: '10.0.0.0/24' }]);
});

test('AFI/SAFI disable is an error line and the routes count as withdrawn', () => {
  const { lines, logger } = collect();
  const sink = new RouteLogSink(logger);
  const fault = new WireError(NotifyCode.updateMessage, UpdateSubcode.optionalAttributeError, 'bad MP_REACH', new Uint8Array(0), ErrorAction.afiSafiDisable);
  const update: UpdateMessage = { ...makeUpdate({ attributes: attrs, nlri: v4('10.0.0.0/24') }), faults: [fault], action: ErrorAction.afiSafiDisable };
  sink.onUpdate(peer, update);
  assert.equal(lines[0]!['level'], 'error');
  assert.equal(lines[0]!['msg'], 'address family disabled');
  assert.equal(lines[1]!['msg'], 'route withdrawn');
  assert.equal(sink.countsOf('192.0.2.2')!.withdrawn, 1);
});

test('without debug nothing is formatted per prefix', () => {
  let calls = 0;
  const logger: Logger = {
    debug: () => {
      calls++;
    },
    info: () => {},
    warn: () => {},
    error: () => {},
    isDebug: false,
    child: () => logger,
  };
  const sink = new RouteLogSink(logger);
  sink.onUpdate(peer, makeUpdate({ attributes: attrs, nlri: v4('10.0.0.0/24', '10.0.1.0/24'), withdrawn: v4('10.9.0.0/16') }));
  assert.equal(calls, 0);
  assert.deepEqual(sink.countsOf('192.0.2.2'), { announced: 2, withdrawn: 1, updates: 1 });
});
