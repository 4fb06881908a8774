// Shared by the daemon's tests, which run real daemons on loopback: a logger that
// collects JSON lines, a free port, and a bounded poll. These tests wait on real
// sockets, so the poll uses real time (the one place outside clock.ts that does).

import { createServer } from 'node:net';
import { createLogger, type Logger } from '../lib/logger.js';

/** One JSON log line as the daemon wrote it. */
export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A debug-level logger whose lines are parsed into `lines`. */
export function collector(): { lines: LogLine[]; logger: Logger } {
  const lines: LogLine[] = [];
  return { lines, logger: createLogger({ level: 'debug', format: 'json', write: (l) => lines.push(JSON.parse(l) as LogLine) }) };
}

/** A TCP port free on `host` right now. */
export async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Polls until `find` returns something other than undefined/false, at most `limitMs`. */
export async function waitFor<T>(what: string, find: () => T | undefined | false | Promise<T | undefined | false>, limitMs = 8000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const found = await find();
    if (found !== undefined && found !== false) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
