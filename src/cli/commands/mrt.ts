// `tsbgp mrt print FILE [--json]`: an MRT file (plain, gzip or bzip2) as one line per
// route or message, in `bgpdump -m` form or JSON; `tsbgp mrt replay FILE --to ADDRESS`:
// a BGP peer announcing a RIB dump or playing an update dump (src/mrt/replay.ts).

import { access } from 'node:fs/promises';
import { readMrtBatches } from '../../mrt/reader.js';
import { BgpdumpFormatter, JsonFormatter } from '../../mrt/print.js';
import { UsageError, parseNumberArg, parseAddressArg } from '../args.js';
import { DataError, exitFailure, exitOk, type Command, type CommandContext } from '../command.js';

export const mrtUsage = `Usage: tsbgp mrt print FILE [--json]
       tsbgp mrt replay FILE --to ADDRESS [--port N] [--as N] [--peer-as N] [--peer N] [--realtime]
`;

const help = `${mrtUsage}
print   Reads an MRT file (RFC 6396; TABLE_DUMP, TABLE_DUMP_V2 and BGP4MP(_ET), with the
        ADD-PATH subtypes of RFC 8050), plain or compressed with gzip or bzip2, and prints
        one line per route or message in the format of "bgpdump -m", or one JSON object
        per line with --json. A record that cannot be read is reported on stderr with
        its byte offset (in the decompressed stream) and the rest is still printed.
replay  Connects to the BGP speaker at ADDRESS (port 179 unless --port) and announces
        the routes of a RIB dump (those of one peer of its PEER_INDEX_TABLE: --peer N,
        the first by default), or plays the UPDATEs of an update dump, at full speed or
        with --realtime at the pace of their timestamps. --as is our AS (default the
        dumped peer's), --peer-as the remote one (default: ours, iBGP).

Exit status: 0 done, 1 a record could not be read or the file not opened, 2 wrong usage.
`;

/** Output is handed on in pieces of about this size: few writes, bounded memory. */
const outputChunk = 64 * 1024;

async function print(cmd: CommandContext, file: string): Promise<number> {
  try {
    await access(file);
  } catch (e) {
    throw new DataError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const formatter = cmd.isJson ? new JsonFormatter() : new BgpdumpFormatter();
  let pending = '';
  let faults = 0;
  for await (const batch of readMrtBatches(file)) {
    for (const item of batch) {
      if (item.kind === 'fault') {
        if (pending !== '') cmd.io.out(pending);
        pending = '';
        cmd.io.err(`tsbgp: ${file}: offset ${item.offset}: ${item.message}\n`);
        faults++;
        continue;
      }
      pending += formatter.format(item);
      if (pending.length >= outputChunk) {
        cmd.io.out(pending);
        pending = '';
      }
    }
  }
  if (pending !== '') cmd.io.out(pending);
  return faults === 0 ? exitOk : exitFailure;
}

async function replay(cmd: CommandContext, file: string): Promise<number> {
  const { values } = cmd;
  if (values.to === undefined) throw new UsageError('mrt replay needs --to ADDRESS', mrtUsage);
  parseAddressArg(values.to, '--to', mrtUsage);
  const port = values.port === undefined ? 179 : parseNumberArg(values.port, '--port', 65535, mrtUsage);
  const localAs = values.as === undefined ? undefined : parseNumberArg(values.as, '--as', 0xffffffff, mrtUsage);
  const peerAs = values['peer-as'] === undefined ? undefined : parseNumberArg(values['peer-as'], '--peer-as', 0xffffffff, mrtUsage);
  const peerIndex = values.peer === undefined ? 0 : parseNumberArg(values.peer, '--peer', 0xffff, mrtUsage);
  const { replayMrt } = await import('../../mrt/replay.js');
  const summary = await replayMrt({
    file,
    address: values.to,
    port,
    ...(localAs === undefined ? {} : { localAs }),
    ...(peerAs === undefined ? {} : { peerAs }),
    peerIndex,
    isRealtime: values.realtime === true,
    log: (line) => cmd.io.err(`${line}\n`),
    ...(cmd.io.onInterrupt === undefined ? {} : { onInterrupt: cmd.io.onInterrupt }),
  });
  for (const fault of summary.faults) cmd.io.err(`tsbgp: ${file}: offset ${fault.offset}: ${fault.message}\n`);
  cmd.io.out(`${summary.routes} routes in ${summary.updates} UPDATEs sent to ${values.to} in ${summary.elapsedMs} ms\n`);
  return summary.faults.length === 0 ? exitOk : exitFailure;
}

async function run(cmd: CommandContext): Promise<number> {
  const [verb, file, ...extra] = cmd.words;
  if (verb !== 'print' && verb !== 'replay') throw new UsageError(verb === undefined ? 'mrt needs "print" or "replay"' : `unknown mrt verb "${verb}"`, mrtUsage);
  if (file === undefined) throw new UsageError(`mrt ${verb} needs a FILE`, mrtUsage);
  if (extra.length > 0) throw new UsageError(`unexpected "${extra[0]}" after the FILE`, mrtUsage);
  if (verb === 'print') {
    for (const name of ['to', 'as', 'peer-as', 'peer', 'realtime', 'port'] as const) {
      if (cmd.values[name] !== undefined) throw new UsageError(`--${name} is an option of "mrt replay", not "mrt print"`, mrtUsage);
    }
    return print(cmd, file);
  }
  if (cmd.isJson) throw new UsageError('--json is an option of "mrt print"', mrtUsage);
  return replay(cmd, file);
}

export const mrtCommand: Command = {
  name: 'mrt',
  options: ['json', 'help', 'to', 'port', 'as', 'peer-as', 'peer', 'realtime'],
  isRemote: false,
  usage: mrtUsage,
  help,
  run,
};
