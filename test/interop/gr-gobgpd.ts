// A gobgpd peer with graceful restart (and optionally long-lived graceful restart) on
// its one neighbor, tsbgpd: the configuration and the start (with -r after a kill) that
// the graceful-restart and LLGR interop tests share.

import { writeFile } from 'node:fs/promises';
import { requireBinary, waitFor, type DaemonProcess, type Scope } from './harness.js';

export interface GrGobgpdConfig {
  readonly gobgpdAs: number;
  readonly gobgpdAddress: string;
  readonly gobgpdPort: number;
  readonly tsbgpdAs: number;
  readonly tsbgpdAddress: string;
  readonly tsbgpdPort: number;
  /** The neighbor starts shut down (a restarted gobgpd enabled later by the test). */
  readonly isAdminDown: boolean;
  readonly restartTimeSec: number;
  /** IPv6 unicast with LLGR (RFC 9494) and this long-lived stale time; IPv4 only without. */
  readonly llgrIpv6StaleTimeSec?: number;
}

export function grGobgpdConfig(c: GrGobgpdConfig): string {
  const llgr = c.llgrIpv6StaleTimeSec;
  return [
    '[global.config]',
    `  as = ${c.gobgpdAs}`,
    `  router-id = "${c.gobgpdAddress}"`,
    `  port = ${c.gobgpdPort}`,
    `  local-address-list = ["${c.gobgpdAddress}"]`,
    '[[neighbors]]',
    '  [neighbors.config]',
    `    neighbor-address = "${c.tsbgpdAddress}"`,
    `    peer-as = ${c.tsbgpdAs}`,
    ...(c.isAdminDown ? ['    admin-down = true'] : []),
    '  [neighbors.timers.config]',
    '    connect-retry = 3',
    '    idle-hold-time-after-reset = 3',
    '  [neighbors.transport.config]',
    `    local-address = "${c.gobgpdAddress}"`,
    `    remote-port = ${c.tsbgpdPort}`,
    '  [neighbors.graceful-restart.config]',
    '    enabled = true',
    `    restart-time = ${c.restartTimeSec}`,
    ...(llgr === undefined ? [] : ['    long-lived-enabled = true']),
    '  [[neighbors.afi-safis]]',
    '    [neighbors.afi-safis.config]',
    '      afi-safi-name = "ipv4-unicast"',
    '    [neighbors.afi-safis.mp-graceful-restart.config]',
    '      enabled = true',
    ...(llgr === undefined
      ? []
      : [
          '  [[neighbors.afi-safis]]',
          '    [neighbors.afi-safis.config]',
          '      afi-safi-name = "ipv6-unicast"',
          '    [neighbors.afi-safis.mp-graceful-restart.config]',
          '      enabled = true',
          '    [neighbors.afi-safis.long-lived-graceful-restart.config]',
          '      enabled = true',
          `      restart-time = ${llgr}`,
        ]),
    '',
  ].join('\n');
}

/** Writes `config` to `conf` and starts gobgpd (with -r for a restart); resolves once its API answers. */
export async function startGrGobgpd(
  scope: Scope,
  o: { readonly conf: string; readonly address: string; readonly apiPort: number; readonly gobgp: (args: readonly string[]) => Promise<string> },
  config: string,
  isRestart: boolean,
): Promise<DaemonProcess> {
  await writeFile(o.conf, config);
  const args = ['-f', o.conf, '-t', 'toml', '--api-hosts', `${o.address}:${o.apiPort}`, '--pprof-disable', '-l', 'debug', ...(isRestart ? ['-r'] : [])];
  const proc = scope.spawn(`gobgpd-${o.address}${isRestart ? '-restarted' : ''}`, { command: requireBinary('gobgpd'), args });
  await waitFor(() => o.gobgp(['global']).then(() => true), { timeoutMs: 10_000, what: 'gobgpd API to answer', scope });
  return proc;
}
