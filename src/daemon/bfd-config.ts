// A neighbor's (or peer group's) BFD keys, `bfd.config` (a tsbgpd extension: gobgpd has
// no BFD): enabled, desired-min-tx-interval-ms, required-min-rx-interval-ms,
// detect-multiplier (RFC 5880 6.8.1). config.ts hooks these into its neighbor parsing.

import { childPath } from './config-locate.js';
import type { Checker } from './config-checker.js';

/** `bfd.config` as written; a neighbor takes each unwritten key from its group. */
export interface BfdSettings {
  readonly isEnabled?: boolean;
  readonly desiredMinTxMs?: number;
  readonly requiredMinRxMs?: number;
  readonly detectMultiplier?: number;
}

/** A neighbor's BFD with defaults applied; present only when enabled. */
export interface BfdConfig {
  readonly desiredMinTxMs: number;
  readonly requiredMinRxMs: number;
  readonly detectMultiplier: number;
}

/** MetalLB's BFDProfile defaults: 300 ms both ways, multiplier 3. */
export const defaultBfdConfig: BfdConfig = { desiredMinTxMs: 300, requiredMinRxMs: 300, detectMultiplier: 3 };
/** MetalLB's BFDProfile bounds for the intervals. */
const minIntervalMs = 10;
const maxIntervalMs = 60_000;

const withConfig = { supported: ['config'], known: ['state'] };
const bfdKeys = { supported: ['enabled', 'desired-min-tx-interval-ms', 'required-min-rx-interval-ms', 'detect-multiplier'], known: [] };

/** `bfd.config` of a neighbor or peer group table, if written. */
export function readBfd(c: Checker, tbl: Readonly<Record<string, unknown>>, path: string): { readonly value: BfdSettings; readonly path: string } | undefined {
  const bfd = c.optionalTable(tbl, 'bfd', path, withConfig);
  const bfdPath = childPath(path, 'bfd');
  const cfg = bfd === undefined ? undefined : c.optionalTable(bfd, 'config', bfdPath, bfdKeys);
  if (cfg === undefined) return undefined;
  const cfgPath = childPath(bfdPath, 'config');
  const at = (key: string): string => childPath(cfgPath, key);
  const interval = (key: string): number | undefined => (cfg[key] === undefined ? undefined : c.integer(cfg[key], at(key), minIntervalMs, maxIntervalMs, `milliseconds, an integer from ${minIntervalMs} to ${maxIntervalMs}`));
  const isEnabled = cfg['enabled'] === undefined ? undefined : c.bool(cfg['enabled'], at('enabled'));
  const desiredMinTxMs = interval('desired-min-tx-interval-ms');
  const requiredMinRxMs = interval('required-min-rx-interval-ms');
  const detectMultiplier = cfg['detect-multiplier'] === undefined ? undefined : c.integer(cfg['detect-multiplier'], at('detect-multiplier'), 2, 255);
  return {
    value: {
      ...(isEnabled === undefined ? {} : { isEnabled }),
      ...(desiredMinTxMs === undefined ? {} : { desiredMinTxMs }),
      ...(requiredMinRxMs === undefined ? {} : { requiredMinRxMs }),
      ...(detectMultiplier === undefined ? {} : { detectMultiplier }),
    },
    path: cfgPath,
  };
}

/** The neighbor's keys over its group's, then the defaults; undefined unless enabled. */
export function buildBfd(group: BfdSettings | undefined, own: BfdSettings | undefined): BfdConfig | undefined {
  const s = { ...group, ...own };
  if (s.isEnabled !== true) return undefined;
  return {
    desiredMinTxMs: s.desiredMinTxMs ?? defaultBfdConfig.desiredMinTxMs,
    requiredMinRxMs: s.requiredMinRxMs ?? defaultBfdConfig.requiredMinRxMs,
    detectMultiplier: s.detectMultiplier ?? defaultBfdConfig.detectMultiplier,
  };
}
