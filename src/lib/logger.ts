// The structured logger: one line per event, human-readable text on a terminal or
// JSON (`--log-format json`). Fields carry the facts (`peer`, `prefix`, `code`); the
// message stays short and constant so lines can be grepped and counted.

import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Where tsbgp reports events. Implementations never throw. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** True when `debug` lines are written; lets hot paths skip building fields. */
  readonly isDebug: boolean;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly format?: LogFormat;
  readonly write?: (line: string) => void;
  readonly clock?: Clock;
}

export function isLogLevel(s: string): s is LogLevel {
  return s in levelRank;
}

function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}

function textValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value, jsonValue) ?? String(value);
}

/** Creates a logger writing to stderr by default. */
export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const level = options.level ?? 'info';
  const format = options.format ?? 'text';
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const clock = options.clock ?? systemClock;
  const min = levelRank[level];

  const emit = (lvl: LogLevel, msg: string, fields: LogFields | undefined): void => {
    if (levelRank[lvl] < min) return;
    const time = new Date(clock.wallNow()).toISOString();
    const all = fields === undefined ? bound : { ...bound, ...fields };
    let line: string;
    if (format === 'json') {
      line = JSON.stringify({ time, level: lvl, msg, ...all }, jsonValue);
    } else {
      const parts = [time, lvl.toUpperCase().padEnd(5), msg];
      for (const [k, v] of Object.entries(all)) if (v !== undefined) parts.push(`${k}=${textValue(v)}`);
      line = parts.join(' ');
    }
    try {
      write(line);
    } catch {
      // A closed stderr must not take the daemon down; there is nowhere left to report it.
    }
  };

  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    isDebug: min <= levelRank.debug,
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

/** A logger that writes nothing (library default). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  isDebug: false,
  child: () => silentLogger,
};
