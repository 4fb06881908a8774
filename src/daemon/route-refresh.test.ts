// Route refresh and soft reset in between two daemons over loopback TCP: both offer
// Route Refresh; B's soft reset in sends ROUTE-REFRESH per family and A sends that
// family's routes again; without the peer's capability the import policy runs again
// over what is stored instead.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from './config.js';
import { Daemon } from './daemon.js';
import { collector, freePort, waitFor, type LogLine } from './testing.js';
import { familyKey } from '../wire/context.js';
import { Afi, Safi } from '../lib/address.js';

const daemons: Daemon[] = [];
after(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
});

const count = (lines: readonly LogLine[], msg: string, match: Readonly<Record<string, unknown>> = {}): number =>
  lines.filter((l) => l.msg === msg && Object.entries(match).every(([k, v]) => l[k] === v)).length;

function config(as: number, self: string, port: number, peer: string, peerAs: number, peerPort: number, isPassive: boolean, extra = ''): string {
  return `[global.config]
as = ${as}
router-id = "${self === '127.0.0.1' ? '10.0.0.1' : '10.0.0.2'}"
port = ${port}
local-address-list = ["${self}"]
[[neighbors]]
[neighbors.config]
neighbor-address = "${peer}"
peer-as = ${peerAs}
[neighbors.transport.config]
local-address = "${self}"
remote-port = ${peerPort}
passive-mode = ${isPassive}
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "ipv4-unicast"
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "ipv6-unicast"
${extra}`;
}

test('soft reset in: ROUTE-REFRESH per family, the peer sends that family again, the session stays', async () => {
  const portA = await freePort('127.0.0.1');
  const portB = await freePort('127.0.0.2');
  const a = collector();
  const b = collector();
  const originate = '[[originate]]\nprefix = "172.17.254.1/32"\n[[originate]]\nprefix = "2001:db8:1::/48"\nnext-hop = "2001:db8::1"\n';
  const daemonA = new Daemon(parseConfig(config(65001, '127.0.0.1', portA, '127.0.0.2', 65002, portB, false, originate), 'toml', 'a.toml'), { logger: a.logger, hostname: 'a' });
  const daemonB = new Daemon(parseConfig(config(65002, '127.0.0.2', portB, '127.0.0.1', 65001, portA, true), 'toml', 'b.toml'), { logger: b.logger, hostname: 'b' });
  daemons.push(daemonA, daemonB);
  await daemonB.start();
  await daemonA.start();
  await waitFor('B has both routes', () => count(b.lines, 'route received', { prefix: '2001:db8:1::/48' }) === 1 && count(b.lines, 'route received', { prefix: '172.17.254.1/32' }) === 1);
  assert.equal(daemonB.sessionOf('127.0.0.1')?.negotiated?.isRouteRefresh, true, 'A offered Route Refresh');

  assert.equal(daemonB.softResetIn('127.0.0.1', familyKey(Afi.ipv6, Safi.unicast)), 'route-refresh');
  await waitFor('A answers', () => count(a.lines, 'route refresh received', { peer: '127.0.0.2', family: 'ipv6-unicast' }) === 1);
  await waitFor('IPv6 route again at B', () => count(b.lines, 'route received', { prefix: '2001:db8:1::/48' }) === 2);
  assert.equal(count(b.lines, 'route received', { prefix: '172.17.254.1/32' }), 1, 'only the family asked for');

  assert.equal(daemonB.softResetIn('127.0.0.1'), 'route-refresh');
  await waitFor('both again', () => count(b.lines, 'route received', { prefix: '172.17.254.1/32' }) === 2 && count(b.lines, 'route received', { prefix: '2001:db8:1::/48' }) === 3);
  assert.equal(count(a.lines, 'session state', { to: 'Idle' }), 0, 'no session reset');
  assert.equal(daemonB.softResetIn('127.0.0.9'), undefined);
});
