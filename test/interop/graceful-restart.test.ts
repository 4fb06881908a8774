// Graceful restart (RFC 4724) with a real gobgpd as the restarting speaker: it announces
// three routes to tsbgpd with Graceful Restart negotiated on both sides, is killed
// (SIGKILL by PID: no NOTIFICATION, the transport just goes), and started again with
// the same configuration and `-r` (its R and F bits set). While it is away tsbgpd's API
// is sampled: every route still there and stale. Back, it announces two of the three and
// End-of-RIB: the two are fresh, the third is swept.
//
// gobgpd is started again with its neighbor admin-down so that its routes can be added
// through its CLI before the session comes up (its routes do not survive a restart);
// `gobgp neighbor X enable` then lets the session up.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, allocLoopback, freePort, requireBinary, runCommand, waitFor, type DaemonProcess } from './harness.js';
import { grGobgpdConfig, startGrGobgpd } from './gr-gobgpd.js';
import { Tsbgpd } from './tsbgpd.js';

const tsbgpdAs = 64512;
const gobgpdAs = 64522;
const routes = ['10.1.1.0/24', '10.1.2.0/24', '10.1.3.0/24'] as const;
/** Documentation next hop: gobgpd's own receivers would drop a 127/8 one; tsbgpd keeps any. */
const nextHop = '192.0.2.21';
/** What gobgpd offers as its restart time: longer than the test's gap, so only End-of-RIB ends the restart. */
const restartTimeSec = 60;

interface AdjInPath {
  readonly stale?: boolean;
}

describe('graceful restart: tsbgpd keeps a restarting gobgpd\'s routes stale until its End-of-RIB', () => {
  let scope: Scope;
  let tsbgpd: Tsbgpd;
  let gobgpdProc: DaemonProcess | undefined;
  let gobgpdAddress = '';
  let gobgpdApi = 0;
  let gobgpdConf = '';
  /** The restarted gobgpd's configuration: the same, with the neighbor admin-down. */
  let restartConfig = '';
  /** Every sample taken during the gap: prefix -> stale flag, per sample. */
  const samples: Map<string, boolean>[] = [];

  const gobgp = (args: readonly string[]): Promise<string> => runCommand(requireBinary('gobgp'), ['-u', gobgpdAddress, '-p', String(gobgpdApi), ...args]);

  const gobgpdConfig = (tsbgpdAddress: string, tsbgpdPort: number, gobgpdPort: number, isAdminDown: boolean): string =>
    grGobgpdConfig({ gobgpdAs, gobgpdAddress, gobgpdPort, tsbgpdAs, tsbgpdAddress, tsbgpdPort, isAdminDown, restartTimeSec });

  async function startGobgpd(config: string, isRestart: boolean): Promise<void> {
    gobgpdProc = await startGrGobgpd(scope, { conf: gobgpdConf, address: gobgpdAddress, apiPort: gobgpdApi, gobgp }, config, isRestart);
  }

  /** tsbgpd's Adj-RIB-In from gobgpd through its API (stock gobgp CLI): prefix -> stale. */
  async function adjIn(): Promise<Map<string, boolean>> {
    const text = (await tsbgpd.gobgp(['neighbor', gobgpdAddress, 'adj-in', '-j'])).trim();
    const out = new Map<string, boolean>();
    if (text === '' || text === 'null') return out;
    for (const [prefix, paths] of Object.entries(JSON.parse(text) as Record<string, readonly AdjInPath[]>)) out.set(prefix, paths.some((p) => p.stale === true));
    return out;
  }

  /** tsbgpd's Loc-RIB prefixes through its API. */
  async function locRib(): Promise<string[]> {
    const text = (await tsbgpd.gobgp(['global', 'rib', '-j'])).trim();
    return text === '' || text === 'null' ? [] : Object.keys(JSON.parse(text) as Record<string, unknown>).sort();
  }

  before(async () => {
    scope = await Scope.create('graceful-restart');
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
          extraToml: ['  [neighbors.graceful-restart.config]', '    enabled = true', '    restart-time = 90'],
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

  it('a) the session comes up with Graceful Restart and tsbgpd holds the three routes', async () => {
    await tsbgpd.waitForState(gobgpdAddress, 'Established', 20_000);
    for (const p of routes) await gobgp(['global', 'rib', 'add', p, 'nexthop', nextHop, 'origin', 'igp']);
    await waitFor(async () => ((await adjIn()).size === 3 ? true : undefined), { timeoutMs: 10_000, intervalMs: 200, what: 'tsbgpd holds the three routes', scope });
    const neighbor = await tsbgpd.gobgp(['neighbor', gobgpdAddress]);
    assert.match(neighbor, /graceful-restart:\s+advertised and received/, 'both sides offered Graceful Restart');
    assert.deepEqual([...(await adjIn()).values()], [false, false, false]);
  });

  it('b) gobgpd killed (SIGKILL by PID): the routes stay, stale, for the whole gap', async () => {
    const proc = gobgpdProc!;
    const from = tsbgpd.log.length;
    proc.signal('SIGKILL');
    await proc.exited;
    await tsbgpd.waitForLog('graceful restart', (e) => e['peer'] === gobgpdAddress, 10_000, from);
    assert.equal(tsbgpd.log.slice(from).some((e) => e.msg === 'peer routes dropped'), false, 'nothing dropped');
    // Sample the gap: a few seconds of samples, each must hold all three, stale.
    for (let i = 0; i < 8; i++) {
      const s = await adjIn();
      samples.push(s);
      assert.deepEqual([...s.keys()].sort(), [...routes], `sample ${i}: every route kept`);
      assert.deepEqual([...s.values()], [true, true, true], `sample ${i}: every route stale`);
      assert.deepEqual(await locRib(), [...routes], `sample ${i}: every route in the Loc-RIB`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  it('c) gobgpd restarted (-r) announces two of the three and End-of-RIB: stale flags gone, the third swept, none lost before', async () => {
    await startGobgpd(restartConfig, true);
    for (const p of routes.slice(0, 2)) await gobgp(['global', 'rib', 'add', p, 'nexthop', nextHop, 'origin', 'igp']);
    // Still stale while the session is down.
    assert.deepEqual([...(await adjIn()).values()], [true, true, true]);
    const from = tsbgpd.log.length;
    await gobgp(['neighbor', tsbgpd.options.address, 'enable']);
    await tsbgpd.waitForState(gobgpdAddress, 'Established', 20_000);
    await tsbgpd.waitForLog('graceful restart done', (e) => e['peer'] === gobgpdAddress, 20_000, from);
    const after = await adjIn();
    assert.deepEqual([...after.keys()].sort(), routes.slice(0, 2));
    assert.deepEqual([...after.values()], [false, false], 'stale flags gone');
    assert.deepEqual(await locRib(), routes.slice(0, 2));
    const grLine = tsbgpd.log.find((e) => e.msg === 'graceful restart' && e['peer'] === gobgpdAddress);
    assert.equal(grLine?.['restartTimeSec'], restartTimeSec, "gobgpd's restart time is what tsbgpd waits");
    assert.ok(samples.length >= 8);
  });
});
