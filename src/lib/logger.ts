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

/** Lines held before a write is forced within the same turn. */
const maxHeldBytes = 64 * 1024;

/**
 * Hands lines to `write` in batches: the lines of one turn of the event loop go out in
 * one write when it ends (or once 64 KB are held), and whatever is held when the process
 * exits is written then. Writing to a pipe blocks, and a line costs a system call: a
 * thousand sessions going down at once would log thousands of lines in one turn, one
 * write each.
 */
export function batchedWriter(write: (text: string) => void): (line: string) => void {
  let held: string[] = [];
  let heldBytes = 0;
  let isFlushQueued = false;
  const flush = (): void => {
    isFlushQueued = false;
    if (held.length === 0) return;
    const text = held.join('');
    held = [];
    heldBytes = 0;
    try {
      write(text);
    } catch {
      // A closed stderr must not take the daemon down; there is nowhere left to report it.
    }
  };
  process.on('exit', flush);
  return (line: string): void => {
    held.push(line + '\n');
    heldBytes += line.length + 1;
    if (heldBytes >= maxHeldBytes) flush();
    else if (!isFlushQueued) {
      isFlushQueued = true;
      setImmediate(flush).unref();
    }
  };
}

let stderrWriter: ((line: string) => void) | undefined;

/** Creates a logger writing to stderr (in batches, see `batchedWriter`) by default. */
export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const level = options.level ?? 'info';
  const format = options.format ?? 'text';
  const write = options.write ?? (stderrWriter ??= batchedWriter((text) => process.stderr.write(text)));
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
