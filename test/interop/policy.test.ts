// Per-peer policies of tsbgpd against a real gobgpd on loopback: an export policy on the
// neighbor (one originated prefix held back, MED and a community set on the rest) as
// gobgpd's RIB shows it, an import policy that rejects one of gobgpd's two prefixes (no
// `best path` for it in tsbgpd's log), and an export policy changed in the file and
// applied by SIGHUP with the session staying Established.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, allocLoopback, freePort, holdsFor, waitFor } from './harness.js';
import { Gobgpd } from './gobgpd.js';
import { Tsbgpd, type TsbgpdOptions } from './tsbgpd.js';

const tsbgpdAs = 64512;
const peerAs = 65002;
const establishedMs = 20_000;
const routeMs = 10_000;
/** How long "nothing more happens" is watched. */
const quietMs = 2000;

const originated = ['10.1.0.0/24', '10.2.0.0/24'] as const;
const peerPrefixes = ['198.51.100.0/24', '203.0.113.0/24'] as const;
/** gobgp prints a community as its 32-bit value. */
const community = (asn: number, value: number): number => asn * 65536 + value;

/** gobgp's `global rib -j`: {prefix: [{attrs: [{type, metric?, communities?}], neighbor-ip}]}. */
interface GobgpPathJson {
  readonly attrs?: readonly { readonly type: number; readonly metric?: number; readonly communities?: readonly number[] }[];
  readonly 'neighbor-ip'?: string;
}

interface PeerView {
  readonly med: number | undefined;
  readonly communities: readonly number[];
}

/** The routes gobgpd learned from `from`, by prefix. */
async function gobgpRoutes(gobgpd: Gobgpd, from: string): Promise<Map<string, PeerView>> {
  const text = (await gobgpd.cli(['global', 'rib', '-a', 'ipv4', '-j'])).trim();
  const out = new Map<string, PeerView>();
  if (text === '' || text === 'null') return out;
  for (const [prefix, paths] of Object.entries(JSON.parse(text) as Record<string, readonly GobgpPathJson[]>)) {
    for (const p of paths) {
      if (p['neighbor-ip'] !== from) continue;
      const attrs = p.attrs ?? [];
      out.set(prefix, { med: attrs.find((a) => a.type === 4)?.metric, communities: attrs.find((a) => a.type === 8)?.communities ?? [] });
    }
  }
  return out;
}

/** The neighbor's policies: export holds back `heldBack` and marks the rest with `med`; import rejects 198.51.100.0/24. */
function policyToml(heldBack: string, med: number): string {
  return `[[defined-sets.prefix-sets]]
  prefix-set-name = "held-back"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "${heldBack}"
[[defined-sets.prefix-sets]]
  prefix-set-name = "unwanted"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "${peerPrefixes[0]}"

[[policy-definitions]]
  name = "to-peer"
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
          communities-list = ["64512:77"]

[[policy-definitions]]
  name = "from-peer"
  [[policy-definitions.statements]]
    name = "drop-unwanted"
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "unwanted"
    [policy-definitions.statements.actions]
      route-disposition = "reject-route"
`;
}

describe('tsbgpd per-peer policies with gobgpd', () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let gobgpd: Gobgpd;
  let options: TsbgpdOptions;
  let tsAddress = '';
  let peerAddress = '';

  before(async () => {
    scope = await Scope.create('policy');
    tsAddress = allocLoopback();
    peerAddress = allocLoopback();
    const [tsPort, peerPort] = await Promise.all([freePort(tsAddress), freePort(peerAddress)]);
    gobgpd = new Gobgpd(scope, {
      as: peerAs,
      address: peerAddress,
      port: peerPort,
      neighbors: [{ address: tsAddress, port: tsPort, as: tsbgpdAs, isPassive: false }],
      nextHop4: '192.0.2.2',
      nextHop6: '2001:db8::2',
    });
    options = {
      as: tsbgpdAs,
      address: tsAddress,
      port: tsPort,
      neighbors: [
        {
          address: peerAddress,
          port: peerPort,
          as: peerAs,
          isPassive: true,
          extraToml: ['  [neighbors.apply-policy.config]', '    import-policy-list = ["from-peer"]', '    export-policy-list = ["to-peer"]'],
        },
      ],
      originate: originated.map((prefix) => ({ prefix, nextHop: '192.0.2.1', origin: 'igp' as const })),
      extraToml: policyToml('10.2.0.0/24', 77),
    };
    tsbgpd = new Tsbgpd(scope, options);
    await gobgpd.start();
    await tsbgpd.start();
    await tsbgpd.waitForState(peerAddress, 'Established', establishedMs);
    await waitFor(() => gobgpd.isEstablished(tsAddress), { timeoutMs: establishedMs, intervalMs: 250, what: `gobgpd shows ${tsAddress} Established`, scope });
  });

  after(async () => {
    await scope?.cleanup();
  });

  it('export: gobgpd has 10.1.0.0/24 with MED 77 and community 64512:77, and never 10.2.0.0/24', async () => {
    const routes = await waitFor(async () => {
      const r = await gobgpRoutes(gobgpd, tsAddress);
      return r.has('10.1.0.0/24') ? r : undefined;
    }, { timeoutMs: routeMs, intervalMs: 250, what: 'gobgpd receives 10.1.0.0/24 from tsbgpd', scope });
    assert.deepEqual(routes.get('10.1.0.0/24'), { med: 77, communities: [community(64512, 77)] });
    assert.equal(routes.has('10.2.0.0/24'), false);
    await holdsFor(async () => ((await gobgpRoutes(gobgpd, tsAddress)).has('10.2.0.0/24') ? 'gobgpd received 10.2.0.0/24, which the export policy rejects' : undefined), { durationMs: quietMs, intervalMs: 250, scope });
  });

  it('import: of gobgpd\'s two prefixes only 203.0.113.0/24 becomes a best path in tsbgpd', async () => {
    for (const p of peerPrefixes) await gobgpd.originate(p);
    // Both arrive (the Adj-RIB-In keeps what the peer sent)...
    for (const p of peerPrefixes) await waitFor(() => tsbgpd.route(peerAddress, p), { timeoutMs: routeMs, intervalMs: 100, what: `tsbgpd "route received" ${p}`, scope });
    // ...one enters the Loc-RIB.
    const best = await tsbgpd.waitForLog('best path', (e) => e['prefix'] === peerPrefixes[1], routeMs);
    assert.equal(best['best'], '192.0.2.2');
    assert.equal(best['peer'], peerAddress);
    await holdsFor(() => (tsbgpd.entries('best path').some((e) => e['prefix'] === peerPrefixes[0]) ? `a "best path" line for ${peerPrefixes[0]}, which the import policy rejects` : undefined), { durationMs: quietMs, intervalMs: 100, scope });
    // The best paths tsbgpd has: its own two routes and the accepted one.
    const prefixes = new Set(tsbgpd.entries('best path').map((e) => String(e['prefix'])));
    assert.deepEqual([...prefixes].sort(), [...originated, peerPrefixes[1]].sort());
  });

  it('SIGHUP with a changed export policy: gobgpd gets 10.2.0.0/24 (MED 88) instead of 10.1.0.0/24; the session stays up', async () => {
    const from = tsbgpd.log.length;
    options = { ...options, extraToml: policyToml('10.1.0.0/24', 88) };
    const reloaded = await tsbgpd.reload(options);
    assert.equal(reloaded['neighborsRestarted'], 0);
    const routes = await waitFor(async () => {
      const r = await gobgpRoutes(gobgpd, tsAddress);
      return r.has('10.2.0.0/24') && !r.has('10.1.0.0/24') ? r : undefined;
    }, { timeoutMs: routeMs, intervalMs: 250, what: 'gobgpd follows the new export policy', scope });
    assert.deepEqual(routes.get('10.2.0.0/24'), { med: 88, communities: [community(64512, 77)] });
    const sent = tsbgpd.log.slice(from).find((e) => e.msg === 'routes sent');
    assert.ok(sent !== undefined, 'tsbgpd logs the re-sync');
    assert.equal(sent['announced'], 1);
    assert.equal(sent['withdrawn'], 1);
    await holdsFor(() => {
      const changes = tsbgpd.log.slice(from).filter((e) => e.msg === 'session state' || e.msg === 'notification sent' || e.msg === 'notification received');
      return changes.length > 0 ? `the session changed after SIGHUP: ${JSON.stringify(changes[0])}` : undefined;
    }, { durationMs: quietMs, intervalMs: 250, scope });
    assert.equal(tsbgpd.state(peerAddress), 'Established');
    assert.equal(await gobgpd.isEstablished(tsAddress), true);
    // The import policy did not change: gobgpd's rejected prefix stays out.
    assert.equal(tsbgpd.log.slice(from).some((e) => e.msg === 'best path' && e['prefix'] === peerPrefixes[0]), false);
  });
});
