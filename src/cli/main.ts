// The `tsbgp` command. For now: `decode` (BGP messages given as hex, to JSON) and
// `version`. The management commands (neighbor, global rib, monitor) come with the
// management API. Exit codes: 0 done, 1 bad input data, 2 bad usage.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Framer } from '../wire/framer.js';
import { decodeMessage } from '../wire/message.js';
import { WireError } from '../wire/errors.js';
import { familyKey, type CodecContext } from '../wire/context.js';
import { maxExtendedMessageLength, maxMessageLength } from '../wire/header.js';
import { Afi, Safi } from '../lib/address.js';
import { messageJson } from './message-json.js';

/** Where the command writes and reads; process streams by default, buffers in tests. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly readStdin: () => Promise<string>;
}

export const exitOk = 0;
export const exitDataError = 1;
export const exitUsage = 2;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

class DataError extends Error {
  override readonly name = 'DataError';
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

const usage = `Usage: tsbgp <command> [options]

Commands:
  decode [--as2] [--add-path] [--extended] HEX... | -
        Decode BGP messages (header included) given as hex, one or several per
        argument, or as a hex stream on stdin with "-". Prints one JSON object per
        message. Spaces, colons and newlines in the hex are ignored.
          --as2        the session did not negotiate 4-octet AS numbers (RFC 6793)
          --add-path   NLRI carry path identifiers (RFC 7911) for IPv4/IPv6 unicast
          --extended   messages may be up to 65535 octets (RFC 8654)
  version
        Print the version.

Options:
  -h, --help     this text
  -v, --version  the version

The management commands (neighbor, global rib, monitor) come with the management
API; until then tsbgpd reports through its log (see tsbgpd --help).

Exit status: 0 success, 1 input that cannot be decoded, 2 wrong usage.
`;

function parseHex(text: string, what: string): Uint8Array {
  const clean = text.replace(/0x/gi, '').replace(/[\s:]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw new DataError(`${what} is not hex`);
  if (clean.length % 2 !== 0) throw new DataError(`${what} has an odd number of hex digits`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

async function decodeCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      as2: { type: 'boolean', default: false },
      'add-path': { type: 'boolean', default: false },
      extended: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.out(usage);
    return exitOk;
  }
  if (positionals.length === 0) throw new UsageError('decode needs hex arguments, or "-" to read stdin');
  const ctx: CodecContext = {
    isAs4: !values.as2,
    addPath: values['add-path'] ? new Set([familyKey(Afi.ipv4, Safi.unicast), familyKey(Afi.ipv6, Safi.unicast)]) : new Set(),
    isExtendedMessage: values.extended,
  };
  const inputs: { text: string; what: string }[] = [];
  for (const [i, p] of positionals.entries()) {
    if (p === '-') inputs.push({ text: await io.readStdin(), what: 'stdin' });
    else inputs.push({ text: p, what: `argument ${i + 1}` });
  }
  const framer = new Framer(values.extended ? maxExtendedMessageLength : maxMessageLength);
  let index = 0;
  for (const input of inputs) {
    const bytes = parseHex(input.text, input.what);
    let messages: Uint8Array[];
    try {
      messages = framer.push(bytes);
    } catch (err) {
      if (err instanceof WireError) throw new DataError(`message ${index + 1} (${input.what}): ${err.message}`);
      throw err;
    }
    for (const m of messages) {
      index++;
      try {
        io.out(JSON.stringify(messageJson(decodeMessage(m, ctx))) + '\n');
      } catch (err) {
        if (err instanceof WireError) throw new DataError(`message ${index} (${input.what}): ${err.message}`);
        throw err;
      }
    }
  }
  if (framer.buffered > 0) throw new DataError(`the input ends inside a message (${framer.buffered} octets left over)`);
  if (index === 0) throw new DataError('no message in the input');
  return exitOk;
}

/** Runs the command line; resolves to the exit status. Operator errors are one line on stderr. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(usage);
        return command === undefined ? exitUsage : exitOk;
      case '-v':
      case '--version':
      case 'version':
        io.out(`tsbgp ${version()}\n`);
        return exitOk;
      case 'decode':
        return await decodeCommand(rest, io);
      case 'neighbor':
      case 'global':
      case 'monitor':
        throw new UsageError(`"${command}" comes with the management API and is not available yet`);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof DataError) {
      io.err(`tsbgp: ${err.message}\n`);
      return exitDataError;
    }
    const code = (err as { code?: unknown }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`tsbgp: ${(err as Error).message} (tsbgp --help lists the commands)\n`);
      return exitUsage;
    }
    throw err;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

/** Entry point of bin/tsbgp.js. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const io: CliIo = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    readStdin: () => readAll(process.stdin),
  };
  process.exitCode = await runCli(argv, io);
}
