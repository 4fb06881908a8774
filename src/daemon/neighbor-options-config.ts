// A neighbor's (or peer group's) graceful restart keys (RFC 4724; gobgpd's
// `graceful-restart.config` and per family `mp-graceful-restart.config`), long-lived
// graceful restart (RFC 9494; `long-lived-enabled` and per family
// `long-lived-graceful-restart.config`) and per family
// max-prefix limits (RFC 4486; gobgpd's `afi-safis.prefix-limit.config`), as tsbgpd reads
// them. config.ts hooks these readers into its neighbor and peer group parsing.

import { Afi, Safi } from '../lib/address.js';
import { familyKey, type FamilyKey } from '../wire/context.js';
import { childPath } from './config-locate.js';
import type { Checker } from './config-checker.js';

/** `graceful-restart.config` as written (defaults that depend on timers come at the merge). */
export interface GracefulRestartSettings {
  readonly isEnabled: boolean;
  /** restart-time: what we offer in our capability; default the hold time (at most 4095). */
  readonly restartTimeSec?: number;
  /** stale-routes-time: how long a restarted peer's stale routes wait for its End-of-RIB. */
  readonly staleRoutesTimeSec?: number;
  /** helper-only: keep a restarting peer's routes, but list no family ourselves. */
  readonly isHelperOnly: boolean;
  /** deferral-time: after a restart (tsbgpd -r), the longest wait for the peers' End-of-RIB before advertising. */
  readonly deferralTimeSec?: number;
  /** long-lived-enabled: long-lived graceful restart (RFC 9494) for the families that enable it. */
  readonly isLongLivedEnabled?: boolean;
}

/** One family's `long-lived-graceful-restart.config` with enabled = true. */
export interface LongLivedFamilyConfig {
  readonly family: FamilyKey;
  /**
   * restart-time: the long-lived stale time we offer (RFC 9494 3), and the longest we
   * keep a peer's long-lived stale routes of the family, whatever it offers.
   */
  readonly staleTimeSec: number;
}

/** A neighbor's graceful restart with defaults applied. */
export interface GracefulRestartConfig {
  readonly isEnabled: boolean;
  readonly restartTimeSec: number;
  readonly staleRoutesTimeSec: number;
  readonly isHelperOnly: boolean;
  /** Families with mp-graceful-restart enabled; every negotiated family when none says. */
  readonly families?: readonly FamilyKey[];
  /** deferral-time when written (the restarting side's wait, RFC 4724 4.1; 360 s by default). */
  readonly deferralTimeSec?: number;
  /** Families with long-lived graceful restart (long-lived-enabled and the family's enabled); absent: none. */
  readonly longLived?: readonly LongLivedFamilyConfig[];
}

/** One family's `prefix-limit.config`. */
export interface PrefixLimitConfig {
  readonly family: FamilyKey;
  /** max-prefixes: more routes than this from the peer in the family end the session. */
  readonly maxPrefixes: number;
  /** shutdown-threshold-pct: a warning once this share of the limit is reached (0: none). */
  readonly shutdownThresholdPct: number;
  /** restart-timer: seconds down before reconnecting; 0 stays down until reset. */
  readonly restartTimerSec: number;
}

/** What the afi-safis list says beyond the families (replaced as a whole with it). */
export interface AfiSafiOptions {
  /** Families with `mp-graceful-restart.config.enabled = true`; undefined when none mentions it. */
  readonly gracefulRestartFamilies?: readonly FamilyKey[];
  /** Families with `long-lived-graceful-restart.config.enabled = true`. */
  readonly longLivedFamilies?: readonly LongLivedFamilyConfig[];
  readonly prefixLimits: readonly PrefixLimitConfig[];
}

/** RFC 4724 3: Restart Time is 12 bits. */
export const maxRestartTimeSec = 4095;
/** As FRR's stalepath-time: a restarted peer gets this long for its End-of-RIB. */
export const defaultStaleRoutesTimeSec = 360;
/** RFC 9494 3: the long-lived stale time is 24 bits. */
export const maxLongLivedStaleTimeSec = 0xffffff;

const grKeys = { supported: ['enabled', 'restart-time', 'stale-routes-time', 'helper-only', 'deferral-time', 'notification-enabled', 'long-lived-enabled'], known: [] };
const withConfig = { supported: ['config'], known: ['state'] };
const enabledOnly = { supported: ['enabled'], known: [] };
const longLivedKeys = { supported: ['enabled', 'restart-time'], known: [] };
const prefixLimitKeys = { supported: ['max-prefixes', 'shutdown-threshold-pct', 'restart-timer'], known: [] };

const familyNames: Readonly<Record<string, FamilyKey>> = {
  'ipv4-unicast': familyKey(Afi.ipv4, Safi.unicast),
  'ipv6-unicast': familyKey(Afi.ipv6, Safi.unicast),
};

/** `graceful-restart.config` of a neighbor or peer group table, if written. */
export function readGracefulRestart(c: Checker, tbl: Readonly<Record<string, unknown>>, path: string): { readonly value: GracefulRestartSettings; readonly path: string } | undefined {
  const gr = c.optionalTable(tbl, 'graceful-restart', path, withConfig);
  const grPath = childPath(path, 'graceful-restart');
  const cfg = gr === undefined ? undefined : c.optionalTable(gr, 'config', grPath, grKeys);
  if (cfg === undefined) return undefined;
  const at = (key: string): string => childPath(childPath(grPath, 'config'), key);
  // Written as false these say what tsbgpd does anyway; true asks for what it lacks.
  if (cfg['notification-enabled'] !== undefined && c.bool(cfg['notification-enabled'], at('notification-enabled'))) c.markUnsupported(at('notification-enabled'));
  const isLongLivedEnabled = cfg['long-lived-enabled'] === undefined ? false : c.bool(cfg['long-lived-enabled'], at('long-lived-enabled'));
  const deferralTimeSec = cfg['deferral-time'] === undefined ? undefined : c.integer(cfg['deferral-time'], at('deferral-time'), 0, 65535);
  const restartTimeSec = cfg['restart-time'] === undefined ? undefined : c.integer(cfg['restart-time'], at('restart-time'), 1, maxRestartTimeSec);
  const staleRoutesTimeSec = cfg['stale-routes-time'] === undefined ? undefined : c.integer(cfg['stale-routes-time'], at('stale-routes-time'), 1, 65535);
  return {
    value: {
      isEnabled: cfg['enabled'] === undefined ? false : c.bool(cfg['enabled'], at('enabled')),
      ...(restartTimeSec === undefined ? {} : { restartTimeSec }),
      ...(staleRoutesTimeSec === undefined ? {} : { staleRoutesTimeSec }),
      isHelperOnly: cfg['helper-only'] === undefined ? false : c.bool(cfg['helper-only'], at('helper-only')),
      ...(deferralTimeSec === undefined ? {} : { deferralTimeSec }),
      ...(isLongLivedEnabled ? { isLongLivedEnabled } : {}),
    },
    path: childPath(grPath, 'config'),
  };
}

/**
 * The per family options of an afi-safis list (already checked by config.ts for its
 * names): mp-graceful-restart and prefix-limit. Undefined when no afi-safis is written.
 */
export function readAfiSafiOptions(c: Checker, tbl: Readonly<Record<string, unknown>>, path: string): AfiSafiOptions | undefined {
  const list = tbl['afi-safis'];
  if (!Array.isArray(list)) return undefined;
  let grFamilies: FamilyKey[] | undefined;
  const prefixLimits: PrefixLimitConfig[] = [];
  const longLivedFamilies: LongLivedFamilyConfig[] = [];
  list.forEach((item: unknown, i) => {
    const itemPath = `${childPath(path, 'afi-safis')}[${i}]`;
    const entry = item as Readonly<Record<string, unknown>>;
    const cfg = entry['config'] as Readonly<Record<string, unknown>> | undefined;
    const family = familyNames[String(cfg?.['afi-safi-name'])];
    if (family === undefined || cfg?.['enabled'] === false) return;
    const mp = c.optionalTable(entry, 'mp-graceful-restart', itemPath, withConfig);
    const mpCfg = mp === undefined ? undefined : c.optionalTable(mp, 'config', childPath(itemPath, 'mp-graceful-restart'), enabledOnly);
    if (mpCfg !== undefined) {
      grFamilies ??= [];
      const p = childPath(itemPath, 'mp-graceful-restart.config.enabled');
      if (mpCfg['enabled'] !== undefined && c.bool(mpCfg['enabled'], p)) grFamilies.push(family);
    }
    const ll = readLongLivedFamily(c, entry, itemPath, family);
    if (ll !== undefined) longLivedFamilies.push(ll);
    const pl = c.optionalTable(entry, 'prefix-limit', itemPath, withConfig);
    const plPath = childPath(itemPath, 'prefix-limit.config');
    const plCfg = pl === undefined ? undefined : c.optionalTable(pl, 'config', childPath(itemPath, 'prefix-limit'), prefixLimitKeys);
    if (plCfg === undefined) return;
    const at = (key: string): string => childPath(plPath, key);
    if (plCfg['max-prefixes'] === undefined) c.failWith(at('max-prefixes'), 'missing (the most routes accepted from the peer in this family)');
    const maxPrefixes = c.integer(plCfg['max-prefixes'], at('max-prefixes'), 1, 0xffffffff);
    const shutdownThresholdPct = plCfg['shutdown-threshold-pct'] === undefined ? 0 : c.integer(plCfg['shutdown-threshold-pct'], at('shutdown-threshold-pct'), 0, 100);
    const restartTimerSec = plCfg['restart-timer'] === undefined ? 0 : c.integer(plCfg['restart-timer'], at('restart-timer'), 0, 65535);
    prefixLimits.push({ family, maxPrefixes, shutdownThresholdPct, restartTimerSec });
  });
  return { ...(grFamilies === undefined ? {} : { gracefulRestartFamilies: grFamilies }), ...(longLivedFamilies.length === 0 ? {} : { longLivedFamilies }), prefixLimits };
}

/** A family's `long-lived-graceful-restart.config` when enabled; restart-time is then required (RFC 9494 has no default). */
function readLongLivedFamily(c: Checker, entry: Readonly<Record<string, unknown>>, itemPath: string, family: FamilyKey): LongLivedFamilyConfig | undefined {
  const ll = c.optionalTable(entry, 'long-lived-graceful-restart', itemPath, withConfig);
  const llPath = childPath(itemPath, 'long-lived-graceful-restart');
  const cfg = ll === undefined ? undefined : c.optionalTable(ll, 'config', llPath, longLivedKeys);
  if (cfg === undefined) return undefined;
  const at = (key: string): string => childPath(childPath(llPath, 'config'), key);
  if (cfg['enabled'] === undefined || !c.bool(cfg['enabled'], at('enabled'))) return undefined;
  if (cfg['restart-time'] === undefined) c.failWith(at('restart-time'), 'missing (the long-lived stale time in seconds, 1 to 16777215)');
  return { family, staleTimeSec: c.integer(cfg['restart-time'], at('restart-time'), 1, maxLongLivedStaleTimeSec) };
}

/** A neighbor's graceful restart with its defaults (restart time: the hold time, at most 4095). */
export function buildGracefulRestart(gr: GracefulRestartSettings | undefined, afiSafi: AfiSafiOptions | undefined, holdTimeSec: number): GracefulRestartConfig | undefined {
  if (gr === undefined || !gr.isEnabled) return undefined;
  const families = afiSafi?.gracefulRestartFamilies;
  return {
    isEnabled: true,
    restartTimeSec: gr.restartTimeSec ?? Math.min(Math.max(holdTimeSec, 1), maxRestartTimeSec),
    staleRoutesTimeSec: gr.staleRoutesTimeSec ?? defaultStaleRoutesTimeSec,
    isHelperOnly: gr.isHelperOnly,
    ...(families === undefined ? {} : { families }),
    ...(gr.deferralTimeSec === undefined ? {} : { deferralTimeSec: gr.deferralTimeSec }),
    ...(gr.isLongLivedEnabled === true && afiSafi?.longLivedFamilies !== undefined ? { longLived: afiSafi.longLivedFamilies } : {}),
  };
}

/** `route-reflector.config` with route-reflector-client = true (RFC 4456). */
export interface RouteReflectorClientConfig {
  /** route-reflector-cluster-id (IPv4 address text); the router ID when absent. */
  readonly clusterId?: string;
}

const rrKeys = { supported: ['route-reflector-client', 'route-reflector-cluster-id'], known: [] };
const rsKeys = { supported: ['route-server-client'], known: ['secondary-route'] };

/** `route-reflector.config`: set only when the neighbor is a client. */
export function readRouteReflector(c: Checker, tbl: Readonly<Record<string, unknown>>, path: string): { readonly value: RouteReflectorClientConfig | false; readonly path: string } | undefined {
  const rr = c.optionalTable(tbl, 'route-reflector', path, withConfig);
  const rrPath = childPath(path, 'route-reflector');
  const cfg = rr === undefined ? undefined : c.optionalTable(rr, 'config', rrPath, rrKeys);
  if (cfg === undefined) return undefined;
  const at = (key: string): string => childPath(childPath(rrPath, 'config'), key);
  const isClient = cfg['route-reflector-client'] === undefined ? false : c.bool(cfg['route-reflector-client'], at('route-reflector-client'));
  let clusterId: string | undefined;
  if (cfg['route-reflector-cluster-id'] !== undefined) {
    const value = cfg['route-reflector-cluster-id'];
    // RFC 4456 7: a 4-octet CLUSTER_ID, written as an IPv4 address.
    if (typeof value !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(value) || value.split('.').some((o) => Number(o) > 255)) c.fail(at('route-reflector-cluster-id'), 'a cluster ID as an IPv4 address ("10.0.0.1")', value);
    clusterId = value;
  }
  return { value: isClient ? (clusterId === undefined ? {} : { clusterId }) : false, path: childPath(rrPath, 'config') };
}

/** `route-server.config`'s route-server-client (RFC 7947), if written. */
export function readRouteServer(c: Checker, tbl: Readonly<Record<string, unknown>>, path: string): { readonly value: boolean; readonly path: string } | undefined {
  const rs = c.optionalTable(tbl, 'route-server', path, withConfig);
  const rsPath = childPath(path, 'route-server');
  const cfg = rs === undefined ? undefined : c.optionalTable(rs, 'config', rsPath, rsKeys);
  if (cfg === undefined || cfg['route-server-client'] === undefined) return undefined;
  const at = childPath(childPath(rsPath, 'config'), 'route-server-client');
  return { value: c.bool(cfg['route-server-client'], at), path: at };
}
