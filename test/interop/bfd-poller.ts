// Run inside a network namespace by bfd.test.ts: polls tsbgpd's management API (global
// RIB, IPv4 unicast) every 10 ms and prints one JSON line each time PREFIX appears or
// leaves: {"prefix", "isPresent", "atMs"} (wall-clock ms). Bounded: exits after LIMIT_MS.
// Usage: node bfd-poller.js HOST:PORT PREFIX LIMIT_MS

import { ApiClient } from '../../src/api/client.js';
import { TableType } from '../../src/api/apipb.js';

const [target, prefix, limitText] = process.argv.slice(2);
if (target === undefined || prefix === undefined || limitText === undefined) {
  process.stderr.write('usage: bfd-poller HOST:PORT PREFIX LIMIT_MS\n');
  process.exit(2);
}
// Short: the poll's own period is part of the figure measured.
const pollMs = 10;
const deadline = Date.now() + Number(limitText);
const client = new ApiClient({ target, timeoutMs: 2000 });
let last: boolean | undefined;
while (Date.now() < deadline) {
  let isPresent: boolean;
  try {
    const dests = await client.listPath({ table_type: TableType.global, family: { afi: 1, safi: 1 } });
    isPresent = dests.some((d) => d.prefix === prefix && (d.paths?.length ?? 0) > 0);
  } catch (err) {
    process.stdout.write(JSON.stringify({ error: (err as Error).message, atMs: Date.now() }) + '\n');
    await new Promise((r) => setTimeout(r, 100));
    continue;
  }
  if (isPresent !== last) {
    last = isPresent;
    process.stdout.write(JSON.stringify({ prefix, isPresent, atMs: Date.now() }) + '\n');
  }
  await new Promise((r) => setTimeout(r, pollMs));
}
client.close();
