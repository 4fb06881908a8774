// A neighbor's (or peer group's) cap on the memory its Adj-RIB-In may take,
// `adj-rib-in-limit.config` (a tsbgpd extension: gobgpd has no such key): max-memory-mib
// and restart-timer. config.ts hooks this into its neighbor parsing; adj-rib-in-limit.ts
// enforces it.

import { childPath } from './config-locate.js';
import type { Checker } from './config-checker.js';

/** `adj-rib-in-limit.config` as written; a neighbor takes each unwritten key from its group. */
export interface AdjRibInLimitSettings {
  readonly maxMemoryMib?: number;
  readonly restartTimerSec?: number;
}

/** A neighbor's Adj-RIB-In memory cap with defaults applied. */
export interface AdjRibInLimitConfig {
  /** max-memory-mib: the cap on the peer's estimated Adj-RIB-In memory, in MiB; 0: no cap. */
  readonly maxMemoryMib: number;
  /** restart-timer: seconds held down after going over; 0 stays down until started again. */
  readonly restartTimerSec: number;
}

/**
 * 1 GiB: a full Internet table from one peer (a million routes, a few hundred thousand
 * attribute sets) is estimated at 200 to 500 MiB (memory-estimate.ts), so only a peer
 * sending about twice that or more is stopped.
 */
export const defaultAdjRibInMaxMemoryMib = 1024;
/** A peer over the cap may try again after a minute (max-prefix's own default is 0: until started). */
export const defaultAdjRibInRestartTimerSec = 60;
/** 1 TiB: larger is a typo, not a cap. */
const maxMemoryMib = 1024 * 1024;

export const defaultAdjRibInLimit: AdjRibInLimitConfig = { maxMemoryMib: defaultAdjRibInMaxMemoryMib, restartTimerSec: defaultAdjRibInRestartTimerSec };

const withConfig = { supported: ['config'], known: ['state'] };
const limitKeys = { supported: ['max-memory-mib', 'restart-timer'], known: [] };

/** `adj-rib-in-limit.config` of a neighbor or peer group table, if written. */
export function readAdjRibInLimit(c: Checker, tbl: Readonly<Record<string, unknown>>, path: string): { readonly value: AdjRibInLimitSettings; readonly path: string } | undefined {
  const limit = c.optionalTable(tbl, 'adj-rib-in-limit', path, withConfig);
  const limitPath = childPath(path, 'adj-rib-in-limit');
  const cfg = limit === undefined ? undefined : c.optionalTable(limit, 'config', limitPath, limitKeys);
  if (cfg === undefined) return undefined;
  const cfgPath = childPath(limitPath, 'config');
  const at = (key: string): string => childPath(cfgPath, key);
  const mib = cfg['max-memory-mib'] === undefined ? undefined : c.integer(cfg['max-memory-mib'], at('max-memory-mib'), 0, maxMemoryMib, `MiB, an integer from 0 (no cap) to ${maxMemoryMib}`);
  const restartTimerSec = cfg['restart-timer'] === undefined ? undefined : c.integer(cfg['restart-timer'], at('restart-timer'), 0, 65535);
  return {
    value: {
      ...(mib === undefined ? {} : { maxMemoryMib: mib }),
      ...(restartTimerSec === undefined ? {} : { restartTimerSec }),
    },
    path: cfgPath,
  };
}

/**
 * The neighbor's keys over its group's; undefined when neither writes any (the daemon
 * then applies `defaultAdjRibInLimit`), else the defaults fill what is not written.
 */
export function buildAdjRibInLimit(group: AdjRibInLimitSettings | undefined, own: AdjRibInLimitSettings | undefined): AdjRibInLimitConfig | undefined {
  if (group === undefined && own === undefined) return undefined;
  const s = { ...group, ...own };
  return {
    maxMemoryMib: s.maxMemoryMib ?? defaultAdjRibInMaxMemoryMib,
    restartTimerSec: s.restartTimerSec ?? defaultAdjRibInRestartTimerSec,
  };
}
