// The client's side of the lab's check: run with node inside client-01's namespace, it
// makes COUNT requests to URL, each on a new TCP connection (so a new source port and a
// new flow for the router's layer-4 hash), one after another with INTERVAL ms between
// starts, and prints one JSON line per request: {"i","atMs","ok","node"|"error","ms"}.
//   node http-client.js --url http://172.17.254.1/ --count 60 [--interval-ms 0] [--timeout-ms 1000]

import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../lib/clock.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    count: { type: 'string', default: '60' },
    'interval-ms': { type: 'string', default: '0' },
    'timeout-ms': { type: 'string', default: '1000' },
  },
  strict: true,
});
const count = Number(values.count);
const intervalMs = Number(values['interval-ms']);
const timeoutMs = Number(values['timeout-ms']);
if (values.url === undefined || !(count >= 1 && count <= 100_000) || !(intervalMs >= 0) || !(timeoutMs >= 1)) {
  process.stderr.write('usage: http-client.js --url URL [--count N] [--interval-ms MS] [--timeout-ms MS]\n');
  process.exit(2);
}
const url = values.url;

interface Outcome {
  readonly ok: boolean;
  readonly node?: string;
  readonly error?: string;
}

function once(): Promise<Outcome> {
  return new Promise((resolve) => {
    // agent: false -> a fresh connection per request.
    const req = request(url, { agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 ? { ok: true, node: body.trim() } : { ok: false, error: `HTTP ${res.statusCode}` }));
      res.on('error', (err) => resolve({ ok: false, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, error: err.code ?? err.message }));
    req.end();
  });
}

let isStopped = false;
process.on('SIGTERM', () => (isStopped = true));
process.on('SIGINT', () => (isStopped = true));
for (let i = 0; i < count && !isStopped; i++) {
  const startedAt = systemClock.now();
  const atMs = systemClock.wallNow();
  const outcome = await once();
  const ms = Math.round(systemClock.now() - startedAt);
  process.stdout.write(`${JSON.stringify({ i, atMs, ms, ...outcome })}\n`);
  const rest = intervalMs - (systemClock.now() - startedAt);
  if (rest > 0 && i + 1 < count) await sleep(rest);
}
