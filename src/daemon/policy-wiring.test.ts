// Per-peer policies in two daemons in one process over loopback TCP (127.0.0.1 and
// 127.0.0.2, free high ports): A's export policy toward B, B's import policy from A,
// and reloads of each that B's RIB follows while the session stays up.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Afi, Safi } from '../lib/address.js';
import { familyKey } from '../wire/context.js';
import { formatPrefixKey } from '../rib/prefix-key.js';
import { parseConfig, type DaemonConfig } from './config.js';
import { Daemon } from './daemon.js';
import { collector, freePort, waitFor } from './testing.js';

const ipv4 = familyKey(Afi.ipv4, Safi.unicast);

/** A's export policy: reject `rejected`, set MED `med` and community 65001:77 on the rest. */
function configA(portA: number, portB: number, rejected: string, med: number): DaemonConfig {
  return parseConfig(
    `[global.config]
as = 65001
router-id = "10.0.0.1"
port = ${portA}
local-address-list = ["127.0.0.1"]
[[neighbors]]
[neighbors.config]
neighbor-address = "127.0.0.2"
peer-as = 65002
[neighbors.transport.config]
local-address = "127.0.0.1"
remote-port = ${portB}
[neighbors.apply-policy.config]
export-policy-list = ["to-b"]
[[defined-sets.prefix-sets]]
prefix-set-name = "held-back"
[[defined-sets.prefix-sets.prefix-list]]
ip-prefix = "${rejected}"
[[policy-definitions]]
name = "to-b"
[[policy-definitions.statements]]
name = "hold-back"
[policy-definitions.statements.conditions.match-prefix-set]
prefix-set = "held-back"
[policy-definitions.statements.actions]
route-disposition = "reject-route"
[[policy-definitions.statements]]
name = "mark"
[policy-definitions.statements.actions]
route-disposition = "accept-route"
[policy-definitions.statements.actions.bgp-actions]
set-med = "${med}"
[policy-definitions.statements.actions.bgp-actions.set-community]
options = "add"
[policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]
communities-list = ["65001:77"]
[[originate]]
prefix = "10.1.0.0/24"
next-hop = "192.0.2.1"
[[originate]]
prefix = "10.2.0.0/24"
next-hop = "192.0.2.1"
[[originate]]
prefix = "10.3.0.0/24"
next-hop = "192.0.2.1"
`,
    'toml',
    'a.toml',
  );
}

/** B's import policy (global): rejects 10.3.0.0/24 unless `isOpen`. */
function configB(portA: number, portB: number, isOpen: boolean): DaemonConfig {
  return parseConfig(
    `global:
  config: { as: 65002, router-id: 10.0.0.2, port: ${portB}, local-address-list: [127.0.0.2] }
  apply-policy:
    config: { import-policy-list: [from-a] }
neighbors:
  - config: { neighbor-address: 127.0.0.1, peer-as: 65001 }
    transport: { config: { local-address: 127.0.0.2, remote-port: ${portA}, passive-mode: true } }
defined-sets:
  prefix-sets:
    - prefix-set-name: unwanted
      prefix-list: [{ ip-prefix: ${isOpen ? '198.51.100.0/24' : '10.3.0.0/24'} }]
policy-definitions:
  - name: from-a
    statements:
      - conditions: { match-prefix-set: { prefix-set: unwanted } }
        actions: { route-disposition: reject-route }
`,
    'yaml',
    'b.yaml',
  );
}

const daemons: Daemon[] = [];
after(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
});

/** B's Adj-RIB-In from A: prefix -> MED as received, or "filtered" when B's import policy rejected it. */
function adjIn(daemon: Daemon): Record<string, number | string | undefined> {
  const out: Record<string, number | string | undefined> = {};
  daemon.rib.forEachAdjRibIn('127.0.0.1', ipv4, (key, route, _s, accepted) => {
    out[formatPrefixKey(key)] = accepted === undefined ? 'filtered' : route.attrs.med;
  });
  return out;
}

test('export and import policies per peer, and reloads of both without a session reset', async () => {
  const portA = await freePort('127.0.0.1');
  const portB = await freePort('127.0.0.2');
  const a = collector();
  const b = collector();
  const daemonA = new Daemon(configA(portA, portB, '10.2.0.0/24', 77), { logger: a.logger, hostname: 'a.test' });
  const daemonB = new Daemon(configB(portA, portB, false), { logger: b.logger, hostname: 'b.test' });
  daemons.push(daemonA, daemonB);
  await daemonB.start();
  await daemonA.start();
  const established = () => b.lines.filter((l) => l.msg === 'session state' && l['to'] === 'Established').length;
  await waitFor('B established', () => (established() === 1 ? true : undefined));
  await waitFor('End-of-RIB at B', () => b.lines.find((l) => l.msg === 'end of rib' && l['family'] === 'ipv4-unicast'));

  // A sent 10.1 and 10.3 (MED 77, community added), never 10.2; B filtered 10.3 on import.
  assert.deepEqual(adjIn(daemonB), { '10.1.0.0/24': 77, '10.3.0.0/24': 'filtered' });
  const best = daemonB.rib.get('10.1.0.0/24')!.best!;
  assert.deepEqual(best.attrs.attributes.communities, [((65001 << 16) | 77) >>> 0]);
  assert.equal(daemonB.rib.get('10.3.0.0/24'), undefined);
  assert.equal(daemonB.rib.get('10.2.0.0/24'), undefined);
  assert.deepEqual(daemonB.rib.peerCounts('127.0.0.1', ipv4), { received: 2, accepted: 1, stale: 0 });
  // What A shows as sent is what the export policy left.
  const sent = [...daemonA.peerView('127.0.0.2')!.sent.values()].map((r) => [r.prefixText, r.attributes.med]).sort();
  assert.deepEqual(sent, [['10.1.0.0/24', 77], ['10.3.0.0/24', 77]]);

  // A's export policy changes: 10.1 held back now, MED 88. B's RIB follows; no session change.
  const stateLines = () => [...a.lines, ...b.lines].filter((l) => l.msg === 'session state').length;
  const statesBefore = stateLines();
  daemonA.reload(configA(portA, portB, '10.1.0.0/24', 88));
  await waitFor('B follows A\'s export policy', () => {
    const now = adjIn(daemonB);
    return now['10.1.0.0/24'] === undefined && now['10.2.0.0/24'] === 88 ? now : undefined;
  });
  assert.deepEqual(adjIn(daemonB), { '10.2.0.0/24': 88, '10.3.0.0/24': 'filtered' });
  assert.equal(daemonB.rib.get('10.1.0.0/24'), undefined);
  assert.equal(daemonB.rib.get('10.2.0.0/24')!.best!.attrs.med, 88);

  // B's import policy opens: 10.3 enters the Loc-RIB from the Adj-RIB-In, A resends nothing.
  const receivedBefore = b.lines.filter((l) => l.msg === 'route received').length;
  daemonB.reload(configB(portA, portB, true));
  assert.ok(b.lines.find((l) => l.msg === 'import policy applied again' && l['peer'] === '127.0.0.1' && l['routesChanged'] === 1));
  assert.equal(daemonB.rib.get('10.3.0.0/24')!.best!.attrs.med, 88);
  assert.deepEqual(adjIn(daemonB), { '10.2.0.0/24': 88, '10.3.0.0/24': 88 });
  assert.equal(b.lines.filter((l) => l.msg === 'route received').length, receivedBefore);
  // A reload that changes no policy applies nothing again.
  daemonB.reload(configB(portA, portB, true));
  assert.equal(b.lines.filter((l) => l.msg === 'import policy applied again').length, 1);

  assert.equal(stateLines(), statesBefore, 'no session changed state');
  assert.equal(established(), 1);
  await daemonA.stop();
  await daemonB.stop();
});
