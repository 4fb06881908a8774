// Reading configuration values with their paths: every wrong value, unknown key or key
// tsbgpd does not implement fails with `FILE:LINE: KEY: what is wrong` (ConfigError).
// config.ts and the option readers beside it (bfd-config.ts, zebra-config.ts, ...) read
// their tables through one Checker.

import { isIPv4, isIPv6 } from 'node:net';
import { formatAddress, parseAddress } from '../lib/address.js';
import { childPath, type KeyLocator } from './config-locate.js';

/** An operator fault in the configuration: `FILE:LINE: KEY: what is wrong`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Table = Readonly<Record<string, unknown>>;

/** For each table we read: the keys tsbgpd implements, and the other keys gobgpd knows. */
export interface KeySet {
  readonly supported: readonly string[];
  readonly known: readonly string[];
}

export const maxAsn = 4294967295;

function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return String(value);
  if (typeof value === 'object') return 'a table';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

export function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Reads values with their paths, failing with the line of the offending key. */
export class Checker {
  readonly warnings: string[] = [];
  private readonly unsupported: string[] = [];

  constructor(
    private readonly fileName: string,
    private readonly locator: KeyLocator,
    private readonly allowUnsupported: boolean,
  ) {}

  at(path: string): string {
    const line = this.locator.lineOf(path);
    return line > 0 ? `${this.fileName}:${line}: ${path}` : `${this.fileName}: ${path}`;
  }

  fail(path: string, expected: string, got: unknown): never {
    throw new ConfigError(`${this.at(path)}: expected ${expected}, got ${describeValue(got)}`);
  }

  failWith(path: string, text: string, options?: ErrorOptions): never {
    throw new ConfigError(`${this.at(path)}: ${text}`, options);
  }

  warn(path: string, text: string): void {
    this.warnings.push(`${this.at(path)}: ${text}`);
  }

  markUnsupported(path: string): void {
    this.unsupported.push(path);
  }

  /** Throws for the unsupported keys found (or, when allowed, warns), in line order. */
  finish(): void {
    if (this.unsupported.length === 0) return;
    const byLine = [...this.unsupported].sort((a, b) => this.locator.lineOf(a) - this.locator.lineOf(b));
    if (this.allowUnsupported) {
      for (const path of byLine) this.warn(path, 'not supported by tsbgpd yet; ignored');
      return;
    }
    this.throwUnsupported(byLine);
  }

  /** Without allowUnsupported, an unsupported key found so far is the error to report. */
  reportUnsupportedFirst(): void {
    if (!this.allowUnsupported && this.unsupported.length > 0) this.throwUnsupported(this.unsupported);
  }

  private throwUnsupported(paths: readonly string[]): never {
    const [first, ...rest] = paths;
    const more = rest.length === 0 ? '' : ` (also unsupported: ${rest.map((p) => `${p} at line ${this.locator.lineOf(p)}`).join(', ')})`;
    throw new ConfigError(`${this.at(first!)}: not supported by tsbgpd yet (--allow-unsupported turns this into a warning)${more}`);
  }

  /** Checks a table's keys: unknown ones fail, known-but-unsupported ones are collected. */
  table(value: unknown, path: string, keys: KeySet): Table {
    if (!isTable(value)) this.fail(path, 'a table', value);
    for (const key of Object.keys(value)) {
      if (keys.supported.includes(key)) continue;
      const child = childPath(path, key);
      if (keys.known.includes(key)) this.markUnsupported(child);
      else this.failWith(child, 'unknown key');
    }
    return value;
  }

  optionalTable(parent: Table, key: string, path: string, keys: KeySet): Table | undefined {
    const value = parent[key];
    return value === undefined ? undefined : this.table(value, childPath(path, key), keys);
  }

  array(value: unknown, path: string): readonly unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'an array', value);
    return value;
  }

  integer(value: unknown, path: string, min: number, max: number, what = `an integer from ${min} to ${max}`): number {
    if (typeof value === 'bigint') this.fail(path, what, value);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) this.fail(path, what, value);
    return value;
  }

  bool(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, 'true or false', value);
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, 'a string', value);
    return value;
  }

  /** An IP address in canonical text. */
  address(value: unknown, path: string, what = 'an IP address'): string {
    if (typeof value !== 'string' || (!isIPv4(value) && !isIPv6(value))) this.fail(path, what, value);
    return formatAddress(parseAddress(value));
  }

  asn(value: unknown, path: string): number {
    return this.integer(value, path, 1, maxAsn, `an AS number from 1 to ${maxAsn}`);
  }
}

