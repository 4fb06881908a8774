// TeeSink and the `best path` lines of the RIB change feed: the scenario's three nodes
// announcing one service address to rt-01, with and without multipath.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Afi, Safi, parseAddress, parsePrefix } from '../lib/address.js';
import { ManualClock } from '../lib/clock.js';
import { createLogger, silentLogger, type Logger } from '../lib/logger.js';
import { NlriList } from '../wire/nlri.js';
import { familyKey } from '../wire/context.js';
import { makeUpdate } from '../wire/update.js';
import { AsSegmentType, Origin } from '../wire/attributes/types.js';
import type { PeerInfo } from '../rib/sink.js';
import { Rib } from '../rib/rib.js';
import { RouteLogSink } from './route-log.js';
import { logRibChanges, TeeSink } from './rib-log.js';

/** A node of the cluster LAN, AS 64522, seen from rt-01 (AS 64512). */
function node(n: number): PeerInfo {
  return {
    address: `172.17.0.${n}`,
    peerAs: 64522,
    localAs: 64512,
    routerId: parseAddress(`172.17.0.${n}`),
    isEbgp: true,
    families: new Set([familyKey(Afi.ipv4, Safi.unicast)]),
    addPathRx: new Set(),
  };
}

function collect(): { lines: Record<string, unknown>[]; logger: Logger } {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger({ level: 'debug', format: 'json', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }) };
}

const service = NlriList.from([parsePrefix('172.17.254.1/32')], Afi.ipv4);
const announce = (from: PeerInfo) =>
  makeUpdate({ attributes: { origin: Origin.incomplete, asPath: [{ type: AsSegmentType.sequence, asns: [64522] }], nextHop: parseAddress(from.address) }, nlri: service });
const withdraw = () => makeUpdate({ withdrawn: service });

const multipathRib = (): Rib => new Rib({ clock: new ManualClock(), routerId: '172.17.0.1', localAs: 64512, multipath: { ebgpMaximumPaths: 64, ibgpMaximumPaths: 64, allowMultipleAs: false } });

test('the route log and the RIB both get every call; each RIB change is one `best path` line', () => {
  const { lines, logger } = collect();
  const rib = multipathRib();
  logRibChanges(rib, logger);
  const sink = new TeeSink(new RouteLogSink(logger), rib);
  const [a, b, c] = [node(21), node(22), node(23)];
  for (const p of [a, b, c]) sink.onEstablished(p);
  for (const p of [a, b, c]) sink.onUpdate(p, announce(p));
  const msgs = lines.map((l) => l['msg']);
  // The route log's line comes first, then the change it caused.
  assert.deepEqual(msgs, ['route received', 'best path', 'route received', 'best path', 'route received', 'best path']);
  const best = lines.filter((l) => l['msg'] === 'best path').map(({ time: _t, level: _l, ...rest }) => rest);
  assert.deepEqual(best, [
    { msg: 'best path', prefix: '172.17.254.1/32', best: '172.17.0.21', multipath: ['172.17.0.21'], peer: '172.17.0.21', reason: 'only-path' },
    { msg: 'best path', prefix: '172.17.254.1/32', best: '172.17.0.21', multipath: ['172.17.0.21', '172.17.0.22'], peer: '172.17.0.21', reason: 'router-id' },
    { msg: 'best path', prefix: '172.17.254.1/32', best: '172.17.0.21', multipath: ['172.17.0.21', '172.17.0.22', '172.17.0.23'], peer: '172.17.0.21', reason: 'router-id' },
  ]);
  assert.equal(rib.get('172.17.254.1/32')!.multipath.length, 3);

  lines.length = 0;
  sink.onUpdate(a, withdraw());
  assert.deepEqual(lines.map((l) => [l['msg'], l['multipath']]), [['route withdrawn', undefined], ['best path', ['172.17.0.22', '172.17.0.23']]]);

  lines.length = 0;
  sink.onPeerDown(b, 'hold timer expired');
  assert.deepEqual(lines.map((l) => [l['msg'], l['multipath']]), [['peer routes dropped', undefined], ['best path', ['172.17.0.23']]]);

  lines.length = 0;
  sink.onPeerDown(c, 'gone');
  const last = lines.at(-1)!;
  assert.equal(last['msg'], 'best path');
  assert.deepEqual(last['multipath'], []);
  assert.equal('best' in last, false, 'no best route left');
  assert.equal(rib.get('172.17.254.1/32'), undefined);
});

test('without multipath the set is the best route alone', () => {
  const { lines, logger } = collect();
  const rib = new Rib({ clock: new ManualClock(), routerId: '172.17.0.1', localAs: 64512 });
  logRibChanges(rib, logger);
  const sink = new TeeSink(rib);
  for (const p of [node(22), node(21)]) {
    sink.onEstablished(p);
    sink.onUpdate(p, announce(p));
  }
  assert.deepEqual(lines.map((l) => l['multipath']), [['172.17.0.22'], ['172.17.0.21']]);
});

test('without debug no line is built and the RIB still selects', () => {
  let debugCalls = 0;
  const logger: Logger = {
    ...silentLogger,
    debug: () => {
      debugCalls++;
    },
    isDebug: false,
  };
  const rib = multipathRib();
  logRibChanges(rib, logger);
  const sink = new TeeSink(rib);
  sink.onEstablished(node(21));
  sink.onUpdate(node(21), announce(node(21)));
  assert.equal(debugCalls, 0);
  assert.equal(rib.get('172.17.254.1/32')!.best?.peer.address, '172.17.0.21');
});
