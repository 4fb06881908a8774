// Long-lived graceful restart (RFC 9494) with a real gobgpd as the restarting speaker:
// both sides offer Graceful Restart (gobgpd's restart time 2 s) and LLGR for IPv6
// unicast. gobgpd announces three IPv6 routes and one IPv4 route and is killed (SIGKILL
// by PID: no NOTIFICATION). After its restart time the IPv4 route (GR only) is gone and
// the IPv6 routes stay with LLGR_STALE (65535:6). gobgpd is started again (`-r`, admin
// down so its routes can be added first), announces two of the three and End-of-RIB:
// tsbgpd then holds exactly those two, without LLGR_STALE (its End-of-RIB swept the third).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, allocLoopback, freePort, requireBinary, runCommand, waitFor, type DaemonProcess } from './harness.js';
import { grGobgpdConfig, startGrGobgpd } from './gr-gobgpd.js';
import { Tsbgpd } from './tsbgpd.js';

const tsbgpdAs = 64512;
const gobgpdAs = 64522;
const routes = ['2001:db8:1::/48', '2001:db8:2::/48', '2001:db8:3::/48'] as const;
const v4Route = '10.1.1.0/24';
/** Documentation next hops: gobgpd's own receivers would drop loopback ones. */
const nextHop6 = '2001:db8::21';
const nextHop4 = '192.0.2.21';
/** gobgpd's Graceful Restart time: short, so the long-lived phase starts within the test. */
const restartTimeSec = 2;
/** LLGR_STALE (RFC 9494 2) as the gobgp CLI's JSON prints communities. */
const llgrStale = 0xffff0006;

interface RibPath {
  readonly attrs?: readonly { readonly type: number; readonly communities?: readonly number[] }[];
}

describe('long-lived graceful restart: tsbgpd keeps a restarting gobgpd\'s routes LLGR-stale past its restart time', () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let gobgpdProc: DaemonProcess | undefined;
  let gobgpdAddress = '';
  let gobgpdApi = 0;
  let gobgpdConf = '';
  let restartConfig = '';

  const gobgp = (args: readonly string[]): Promise<string> => runCommand(requireBinary('gobgp'), ['-u', gobgpdAddress, '-p', String(gobgpdApi), ...args]);

  const gobgpdConfig = (tsbgpdAddress: string, tsbgpdPort: number, gobgpdPort: number, isAdminDown: boolean): string =>
    grGobgpdConfig({ gobgpdAs, gobgpdAddress, gobgpdPort, tsbgpdAs, tsbgpdAddress, tsbgpdPort, isAdminDown, restartTimeSec, llgrIpv6StaleTimeSec: 3600 });

  async function startGobgpd(config: string, isRestart: boolean): Promise<void> {
    gobgpdProc = await startGrGobgpd(scope, { conf: gobgpdConf, address: gobgpdAddress, apiPort: gobgpdApi, gobgp }, config, isRestart);
  }

  async function addRoutes(list: readonly string[]): Promise<void> {
    for (const p of list) await gobgp(['global', 'rib', '-a', 'ipv6', 'add', p, 'nexthop', nextHop6, 'origin', 'igp']);
  }

  /** tsbgpd's Loc-RIB of a family through its API: prefix -> carries LLGR_STALE. */
  async function locRib(family: 'ipv4' | 'ipv6'): Promise<Map<string, boolean>> {
    const text = (await tsbgpd.gobgp(['global', 'rib', '-a', family, '-j'])).trim();
    const out = new Map<string, boolean>();
    if (text === '' || text === 'null') return out;
    for (const [prefix, paths] of Object.entries(JSON.parse(text) as Record<string, readonly RibPath[]>)) {
      out.set(prefix, paths.some((p) => (p.attrs ?? []).some((a) => a.communities?.includes(llgrStale) === true)));
    }
    return out;
  }

  before(async () => {
    scope = await Scope.create('llgr');
    const tsbgpdAddress = allocLoopback();
    gobgpdAddress = allocLoopback();
    const tsbgpdPort = await freePort(tsbgpdAddress);
    const gobgpdPort = await freePort(gobgpdAddress);
    gobgpdApi = await freePort(gobgpdAddress);
    const apiPort = await freePort(tsbgpdAddress);
    gobgpdConf = scope.path('gobgpd.toml');
    tsbgpd = new Tsbgpd(scope, {
      as: tsbgpdAs,
      address: tsbgpdAddress,
      port: tsbgpdPort,
      apiHosts: `${tsbgpdAddress}:${apiPort}`,
      neighbors: [
        {
          address: gobgpdAddress,
          port: gobgpdPort,
          as: gobgpdAs,
          isPassive: false,
          // After the harness's afi-safis: this table belongs to its last entry, IPv6 unicast.
          extraToml: [
            '    [neighbors.afi-safis.long-lived-graceful-restart.config]',
            '      enabled = true',
            '      restart-time = 600',
            '  [neighbors.graceful-restart.config]',
            '    enabled = true',
            '    restart-time = 90',
            '    long-lived-enabled = true',
          ],
        },
      ],
      originate: [],
    });
    await startGobgpd(gobgpdConfig(tsbgpdAddress, tsbgpdPort, gobgpdPort, false), false);
    await tsbgpd.start();
    restartConfig = gobgpdConfig(tsbgpdAddress, tsbgpdPort, gobgpdPort, true);
  });

  after(async () => {
    await scope?.cleanup();
  });

  it('a) the session comes up with LLGR on both sides; tsbgpd holds the routes, none LLGR-stale', async () => {
    await tsbgpd.waitForState(gobgpdAddress, 'Established', 20_000);
    await addRoutes(routes);
    await gobgp(['global', 'rib', 'add', v4Route, 'nexthop', nextHop4, 'origin', 'igp']);
    await waitFor(async () => ((await locRib('ipv6')).size === 3 && (await locRib('ipv4')).size === 1 ? true : undefined), { timeoutMs: 10_000, intervalMs: 200, what: 'tsbgpd holds the four routes', scope });
    const neighbor = await tsbgpd.gobgp(['neighbor', gobgpdAddress]);
    assert.match(neighbor, /long-lived-graceful-restart:\s+advertised and received/, 'both sides offered LLGR');
    assert.deepEqual([...(await locRib('ipv6')).values()], [false, false, false]);
  });

  it('b) gobgpd killed: after its restart time the IPv4 route goes, the IPv6 routes stay with LLGR_STALE', async () => {
    const proc = gobgpdProc!;
    const from = tsbgpd.log.length;
    proc.signal('SIGKILL');
    await proc.exited;
    await tsbgpd.waitForLog('graceful restart', (e) => e['peer'] === gobgpdAddress, 10_000, from);
    const entry = await tsbgpd.waitForLog('long-lived graceful restart', (e) => e['peer'] === gobgpdAddress, 10_000, from);
    assert.equal(entry['routes'], 3);
    assert.equal(entry['staleTimeSec'], 600, "gobgpd offers 3600 s; our restart-time (600 s) is the most we keep");
    const v6 = await locRib('ipv6');
    assert.deepEqual([...v6.keys()].sort(), [...routes]);
    assert.deepEqual([...v6.values()], [true, true, true], 'every IPv6 route carries LLGR_STALE');
    assert.equal((await locRib('ipv4')).size, 0, 'IPv4 has no LLGR: gone with the restart time');
  });

  it('c) gobgpd restarted (-r) announces two of the three and End-of-RIB: exactly those two, fresh', async () => {
    await startGobgpd(restartConfig, true);
    await addRoutes(routes.slice(0, 2));
    assert.deepEqual([...(await locRib('ipv6')).values()], [true, true, true], 'still LLGR-stale while the session is down');
    const from = tsbgpd.log.length;
    await gobgp(['neighbor', tsbgpd.options.address, 'enable']);
    await tsbgpd.waitForState(gobgpdAddress, 'Established', 20_000);
    await waitFor(
      async () => {
        const v6 = await locRib('ipv6');
        return v6.size === 2 && [...v6.values()].every((s) => !s) ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'tsbgpd to hold the two routes announced again, fresh', scope },
    );
    assert.deepEqual([...(await locRib('ipv6')).keys()].sort(), routes.slice(0, 2));
    // gobgpd -r sets F in its LLGR capability: the LLGR-stale routes waited for its End-of-RIB, which swept the third.
    const lines = tsbgpd.log.slice(from).filter((e) => e['peer'] === gobgpdAddress);
    assert.ok(lines.some((e) => e.msg === 'graceful restart done'));
    assert.equal(lines.some((e) => e.msg === 'long-lived stale routes removed'), false);
  });
});
