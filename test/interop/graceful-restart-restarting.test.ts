// Graceful restart (RFC 4724 4.1) with tsbgpd as the restarting speaker and a real
// gobgpd as the helper: tsbgpd announces two routes with Graceful Restart negotiated on
// both sides, is killed (SIGKILL by PID: no NOTIFICATION), and gobgpd keeps the routes,
// stale, through the gap (sampled with `gobgp global rib -j` and `neighbor adj-in`).
// tsbgpd started again with -r: gobgpd's neighbor view shows the restart flag in what
// tsbgpd sent (no forward flag: tsbgpd's FIB is off here), tsbgpd defers its routes until
// gobgpd's End-of-RIB, then announces them again. A later reconnect (tsbgpd resets the
// session through its API) carries no restart flag.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { Scope, allocLoopback, freePort, requireBinary, runCommand, waitFor, type DaemonProcess } from './harness.js';
import { Tsbgpd, type TsbgpdOptions } from './tsbgpd.js';

const tsbgpdAs = 64512;
const gobgpdAs = 64522;
const routes = ['10.2.1.0/24', '10.2.2.0/24'] as const;
/** Documentation next hop: gobgpd drops routes whose next hop is in 127/8. */
const nextHop = '192.0.2.31';
/** tsbgpd's restart time: longer than the test's gap. */
const restartTimeSec = 90;

interface RibPath {
  readonly stale?: boolean;
}

describe('graceful restart: gobgpd keeps a restarting tsbgpd\'s routes; tsbgpd -r sends R and defers', () => {
  let scope: Scope;
  let options: TsbgpdOptions;
  let tsbgpd: Tsbgpd;
  let gobgpdProc: DaemonProcess | undefined;
  let gobgpdAddress = '';
  let gobgpdApi = 0;

  const gobgp = (args: readonly string[]): Promise<string> => runCommand(requireBinary('gobgp'), ['-u', gobgpdAddress, '-p', String(gobgpdApi), ...args]);

  /** gobgpd's global RIB: prefix -> some path stale. */
  async function gobgpdRib(): Promise<Map<string, boolean>> {
    const text = (await gobgp(['global', 'rib', '-j'])).trim();
    const out = new Map<string, boolean>();
    if (text === '' || text === 'null') return out;
    for (const [prefix, paths] of Object.entries(JSON.parse(text) as Record<string, readonly RibPath[]>)) out.set(prefix, paths.some((p) => p.stale === true));
    return out;
  }

  /** gobgpd's neighbor view of tsbgpd, from its graceful-restart capability to the next capability. */
  async function grView(): Promise<string> {
    const lines = (await gobgp(['neighbor', options.address])).split('\n');
    const at = lines.findIndex((l) => l.trim().startsWith('graceful-restart:'));
    assert.ok(at >= 0, `graceful restart in gobgpd's neighbor view:\n${lines.join('\n')}`);
    const indent = lines[at]!.search(/\S/);
    const end = lines.findIndex((l, i) => i > at && l.search(/\S/) <= indent && l.trim() !== '');
    return lines.slice(at, end < 0 ? undefined : end).join('\n');
  }

  before(async () => {
    scope = await Scope.create('graceful-restart-restarting');
    const tsbgpdAddress = allocLoopback();
    gobgpdAddress = allocLoopback();
    const tsbgpdPort = await freePort(tsbgpdAddress);
    const gobgpdPort = await freePort(gobgpdAddress);
    gobgpdApi = await freePort(gobgpdAddress);
    const apiPort = await freePort(tsbgpdAddress);
    const conf = scope.path('gobgpd.toml');
    await writeFile(
      conf,
      [
        '[global.config]',
        `  as = ${gobgpdAs}`,
        `  router-id = "${gobgpdAddress}"`,
        `  port = ${gobgpdPort}`,
        `  local-address-list = ["${gobgpdAddress}"]`,
        '[[neighbors]]',
        '  [neighbors.config]',
        `    neighbor-address = "${tsbgpdAddress}"`,
        `    peer-as = ${tsbgpdAs}`,
        '  [neighbors.timers.config]',
        '    connect-retry = 3',
        '    idle-hold-time-after-reset = 3',
        '  [neighbors.transport.config]',
        `    local-address = "${gobgpdAddress}"`,
        `    remote-port = ${tsbgpdPort}`,
        '  [neighbors.graceful-restart.config]',
        '    enabled = true',
        '  [[neighbors.afi-safis]]',
        '    [neighbors.afi-safis.config]',
        '      afi-safi-name = "ipv4-unicast"',
        '    [neighbors.afi-safis.mp-graceful-restart.config]',
        '      enabled = true',
        '',
      ].join('\n'),
    );
    gobgpdProc = scope.spawn(`gobgpd-${gobgpdAddress}`, { command: requireBinary('gobgpd'), args: ['-f', conf, '-t', 'toml', '--api-hosts', `${gobgpdAddress}:${gobgpdApi}`, '--pprof-disable'] });
    await waitFor(() => gobgp(['global']).then(() => true), { timeoutMs: 10_000, what: 'gobgpd API to answer', scope });
    options = {
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
          extraToml: ['  [neighbors.graceful-restart.config]', '    enabled = true', `    restart-time = ${restartTimeSec}`, '    deferral-time = 60'],
        },
      ],
      originate: routes.map((prefix) => ({ prefix, nextHop, origin: 'igp' as const })),
    };
    tsbgpd = new Tsbgpd(scope, options);
    await tsbgpd.start();
  });

  after(async () => {
    await scope?.cleanup();
  });

  it('a) Graceful Restart negotiated, gobgpd holds both routes, no restart flag from a plain start', async () => {
    await tsbgpd.waitForState(gobgpdAddress, 'Established', 20_000);
    await waitFor(async () => ((await gobgpdRib()).size === 2 ? true : undefined), { timeoutMs: 10_000, intervalMs: 200, what: 'gobgpd holds both routes', scope });
    const view = await grView();
    assert.match(view, /advertised and received/);
    assert.match(view, new RegExp(`Remote: restart time ${restartTimeSec} sec`));
    assert.doesNotMatch(view, /Remote:[^\n]*restart flag set/);
    assert.equal(gobgpdProc?.isRunning, true);
  });

  it('b) tsbgpd killed (SIGKILL by PID): gobgpd keeps both routes, stale, through the gap', async () => {
    const proc = tsbgpd.process!;
    proc.signal('SIGKILL');
    await proc.exited;
    await waitFor(async () => ([...(await gobgpdRib()).values()].every((s) => s) && (await gobgpdRib()).size === 2 ? true : undefined), { timeoutMs: 10_000, intervalMs: 200, what: 'gobgpd marks the routes stale', scope });
    for (let i = 0; i < 8; i++) {
      const rib = await gobgpdRib();
      assert.deepEqual([...rib.keys()].sort(), [...routes], `sample ${i}: both routes kept`);
      assert.deepEqual([...rib.values()], [true, true], `sample ${i}: both stale`);
      const adjIn = (await gobgp(['neighbor', options.address, 'adj-in'])).trim();
      for (const p of routes) assert.ok(adjIn.includes(p), `sample ${i}: ${p} in gobgpd's adj-in`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  it('c) tsbgpd -r: its OPEN carries the restart flag, it waits for End-of-RIB, then both routes are fresh again', async () => {
    tsbgpd = new Tsbgpd(scope, { ...options, extraArgs: ['-r'] });
    await tsbgpd.start();
    const begin = tsbgpd.log.find((e) => e.msg === 'graceful restart: restarting speaker');
    assert.equal(begin?.['deferralTimeSec'], 60);
    assert.equal(begin?.['forwardingPreserved'], '', 'the FIB is off: no forwarding state kept');
    await tsbgpd.waitForState(gobgpdAddress, 'Established', 30_000);
    const over = await tsbgpd.waitForLog('graceful restart: advertisement deferral over', () => true, 20_000);
    assert.equal(over['reason'], 'End-of-RIB from every peer');
    const view = await grView();
    assert.match(view, /Remote: restart time \d+ sec, restart flag set/);
    assert.doesNotMatch(view, /forward flag set/);
    await waitFor(async () => {
      const rib = await gobgpdRib();
      return rib.size === 2 && [...rib.values()].every((s) => !s) ? true : undefined;
    }, { timeoutMs: 20_000, intervalMs: 200, what: 'both routes fresh in gobgpd', scope });
  });

  it('d) a reconnect after the restart carries no restart flag', async () => {
    const from = tsbgpd.log.length;
    await tsbgpd.gobgp(['neighbor', gobgpdAddress, 'reset']);
    await tsbgpd.waitForLog('session state', (e) => e['to'] === 'Established' && e['peer'] === gobgpdAddress, 30_000, from);
    await waitFor(async () => ((await grView()).includes('Remote:') ? true : undefined), { timeoutMs: 10_000, intervalMs: 200, what: 'gobgpd shows the new session', scope });
    assert.doesNotMatch(await grView(), /restart flag set/);
    await waitFor(async () => ((await gobgpdRib()).size === 2 ? true : undefined), { timeoutMs: 20_000, intervalMs: 200, what: 'both routes back', scope });
  });
});
