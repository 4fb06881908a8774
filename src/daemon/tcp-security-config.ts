// A neighbor's (or peer group's) session protections as gobgpd writes them:
// `config.auth-password` (TCP MD5, RFC 2385) and `ttl-security.config` (GTSM, RFC 5082).
// config.ts hooks these readers into its neighbor and peer group parsing; tcp-security.ts
// turns the result into socket options.

import { childPath } from './config-locate.js';
import type { Checker } from './config-checker.js';
import { maxMd5KeyBytes } from '../session/tcp-options.js';

/** `ttl-security.config` with its default applied. */
export interface TtlSecurityConfig {
  readonly isEnabled: boolean;
  /** Least TTL accepted from the peer: 255 for a directly connected one (RFC 5082 3). */
  readonly ttlMin: number;
}

const withConfig = { supported: ['config'], known: ['state'] };
const ttlSecurityKeys = { supported: ['enabled', 'ttl-min'], known: [] };

/** `auth-password`: an empty one means none, as in gobgpd. */
export function readAuthPassword(c: Checker, value: unknown, path: string): string | undefined {
  const text = c.string(value, path);
  // RFC 2385 leaves the length open; Linux keeps at most 80 bytes.
  if (new TextEncoder().encode(text).length > maxMd5KeyBytes) c.fail(path, `a password of at most ${maxMd5KeyBytes} bytes`, `${text.length} characters`);
  return text === '' ? undefined : text;
}

/** `ttl-security.config` of the neighbor or peer group table `tbl`, if written. */
export function readTtlSecurity(c: Checker, tbl: Readonly<Record<string, unknown>>, path: string): { value: TtlSecurityConfig; path: string } | undefined {
  const ts = c.optionalTable(tbl, 'ttl-security', path, withConfig);
  const cfgPath = childPath(path, 'ttl-security.config');
  const cfg = ts === undefined ? undefined : c.optionalTable(ts, 'config', childPath(path, 'ttl-security'), ttlSecurityKeys);
  if (cfg === undefined) return undefined;
  const isEnabled = cfg['enabled'] === undefined ? false : c.bool(cfg['enabled'], childPath(cfgPath, 'enabled'));
  const ttlMin = cfg['ttl-min'] === undefined ? 255 : c.integer(cfg['ttl-min'], childPath(cfgPath, 'ttl-min'), 1, 255);
  return { value: { isEnabled, ttlMin }, path: cfgPath };
}
