// gobgpd's `[zebra.config]` section as tsbgpd reads it: `enabled` turns on the built-in
// FIB writer (docs/fib.md) where gobgpd would talk to an external zebra; gobgpd's keys
// about that zebra are accepted with a warning; our own keys choose the kernel table,
// protocol, metric, and how routes are kept across a restart (docs/config.md).

import { RouteProtocol, RouteTable } from '../fib/route-message.js';
import { childPath } from './config-locate.js';
import type { Checker } from './config-checker.js';

/** `[zebra.config]`, with defaults applied. */
export interface ZebraConfig {
  /** `enabled`: the FIB writer installs best routes into the kernel. */
  readonly isEnabled: boolean;
  /** Kernel table (main, 254, by default). */
  readonly table: number;
  /** Route protocol our routes carry (bgp, 186, by default); routes of it in `table` are ours. */
  readonly protocol: number;
  /** Kernel metric (RTA_PRIORITY), 20 by default as zebra and FRR write. */
  readonly metric: number;
  /** Leave our routes in the kernel at shutdown (the next start adopts them). */
  readonly keepRoutesOnShutdown: boolean;
  /** Longest time routes adopted at start wait to be learned again before the sweep. */
  readonly sweepDelaySec: number;
  /**
   * With dynamic neighbors (not known in advance): how long no session may come up or
   * finish its End-of-RIB before the sweep happens early.
   */
  readonly sweepSettleSec: number;
}

export const defaultZebraConfig: ZebraConfig = Object.freeze({
  isEnabled: false,
  table: RouteTable.main,
  protocol: RouteProtocol.bgp,
  metric: 20,
  keepRoutesOnShutdown: false,
  sweepDelaySec: 120,
  sweepSettleSec: 5,
});

const zebraKeys = { supported: ['config'], known: ['state'] };
const zebraConfigKeys = {
  supported: ['enabled', 'url', 'version', 'nexthop-trigger-enable', 'nexthop-trigger-delay', 'software-name', 'mpls-label-range-size', 'table', 'protocol', 'metric', 'keep-routes-on-shutdown', 'sweep-delay', 'sweep-settle-time'],
  // Redistribution of connected, static and kernel routes into BGP is not implemented yet.
  known: ['redistribute-route-type-list'],
};

/** gobgpd's keys about its connection to an external zebra daemon: checked, then ignored. */
const externalZebraKeys: Readonly<Record<string, 'string' | 'integer' | 'boolean'>> = {
  url: 'string',
  version: 'integer',
  'nexthop-trigger-enable': 'boolean',
  'nexthop-trigger-delay': 'integer',
  'software-name': 'string',
  'mpls-label-range-size': 'integer',
};

/** Names accepted for `protocol`, as in /etc/iproute2/rt_protos. */
const protocolNames: Readonly<Record<string, number>> = { bgp: RouteProtocol.bgp, zebra: RouteProtocol.zebra };
/**
 * Protocols the kernel and administrators use for their own routes: ours are swept at
 * start, so one of these would delete routes tsbgpd never wrote.
 */
const reservedProtocols: ReadonlySet<number> = new Set([RouteProtocol.unspec, RouteProtocol.redirect, RouteProtocol.kernel, RouteProtocol.boot, RouteProtocol.static]);

/** Reads the top-level `zebra` table (absent: the FIB writer off). */
export function readZebra(c: Checker, value: unknown): ZebraConfig {
  if (value === undefined) return defaultZebraConfig;
  const zebra = c.table(value, 'zebra', zebraKeys);
  const cfg = c.optionalTable(zebra, 'config', 'zebra', zebraConfigKeys);
  if (cfg === undefined) return defaultZebraConfig;
  const at = (key: string): string => childPath('zebra.config', key);

  for (const [key, kind] of Object.entries(externalZebraKeys)) {
    const v = cfg[key];
    if (v === undefined) continue;
    if (kind === 'string') c.string(v, at(key));
    else if (kind === 'boolean') c.bool(v, at(key));
    else c.integer(v, at(key), 0, 4294967295);
    c.warn(at(key), 'is about the external zebra daemon gobgpd talks to; tsbgpd writes the kernel table itself and does not need it (ignored)');
  }

  const isEnabled = cfg['enabled'] === undefined ? false : c.bool(cfg['enabled'], at('enabled'));
  let table: number = defaultZebraConfig.table;
  if (cfg['table'] !== undefined) {
    const what = '"main" or a table number from 1 to 4294967295 other than 255 (local)';
    const v = cfg['table'];
    if (v === 'main') table = RouteTable.main;
    else {
      table = c.integer(v, at('table'), 1, 4294967295, what);
      if (table === RouteTable.local) c.fail(at('table'), what, v);
    }
  }
  let protocol: number = defaultZebraConfig.protocol;
  if (cfg['protocol'] !== undefined) {
    const what = `"bgp", "zebra" or a number from 5 to 255 (0-4 belong to the kernel and to static routes)`;
    const v = cfg['protocol'];
    const named = typeof v === 'string' ? protocolNames[v] : undefined;
    protocol = named ?? c.integer(v, at('protocol'), 1, 255, what);
    if (reservedProtocols.has(protocol)) c.fail(at('protocol'), what, v);
  }
  const metric = cfg['metric'] === undefined ? defaultZebraConfig.metric : c.integer(cfg['metric'], at('metric'), 0, 4294967295);
  const keepRoutesOnShutdown = cfg['keep-routes-on-shutdown'] === undefined ? defaultZebraConfig.keepRoutesOnShutdown : c.bool(cfg['keep-routes-on-shutdown'], at('keep-routes-on-shutdown'));
  const sweepDelaySec = cfg['sweep-delay'] === undefined ? defaultZebraConfig.sweepDelaySec : c.integer(cfg['sweep-delay'], at('sweep-delay'), 0, 86400, 'seconds from 0 to 86400');
  const sweepSettleSec = cfg['sweep-settle-time'] === undefined ? defaultZebraConfig.sweepSettleSec : c.integer(cfg['sweep-settle-time'], at('sweep-settle-time'), 0, 3600, 'seconds from 0 to 3600');
  if (!isEnabled) {
    const set = ['table', 'protocol', 'metric', 'keep-routes-on-shutdown', 'sweep-delay', 'sweep-settle-time'].filter((k) => cfg[k] !== undefined);
    if (set.length > 0) c.warn(at(set[0]!), `has no effect: zebra.config.enabled is not true, the FIB writer is off`);
  }
  return { isEnabled, table, protocol, metric, keepRoutesOnShutdown, sweepDelaySec, sweepSettleSec };
}

/** The keys whose change needs a restart: all of them (the FIB is set up once, at start). */
export function zebraChanges(a: ZebraConfig, b: ZebraConfig): string[] {
  const names: Readonly<Record<keyof ZebraConfig, string>> = {
    isEnabled: 'enabled',
    table: 'table',
    protocol: 'protocol',
    metric: 'metric',
    keepRoutesOnShutdown: 'keep-routes-on-shutdown',
    sweepDelaySec: 'sweep-delay',
    sweepSettleSec: 'sweep-settle-time',
  };
  return (Object.keys(names) as (keyof ZebraConfig)[]).filter((k) => a[k] !== b[k]).map((k) => names[k]);
}
