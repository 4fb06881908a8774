// `tsbgp decode`: BGP messages (header included, RFC 4271 4.1) given as hex, printed
// as JSON one message a line. Works offline; no server is asked.

import { Framer } from '../../wire/framer.js';
import { decodeMessage } from '../../wire/message.js';
import { WireError } from '../../wire/errors.js';
import { familyKey, type CodecContext } from '../../wire/context.js';
import { maxExtendedMessageLength, maxMessageLength } from '../../wire/header.js';
import { Afi, Safi } from '../../lib/address.js';
import { messageJson } from '../message-json.js';
import { UsageError } from '../args.js';
import { DataError, exitOk, type Command, type CommandContext } from '../command.js';

export const decodeUsage = `Usage: tsbgp decode [--as2] [--add-path] [--extended] HEX... | -
`;

const help = `${decodeUsage}
Decode BGP messages (header included) given as hex, one or several per argument, or as
a hex stream on stdin with "-". Prints one JSON object per message. Spaces, colons and
newlines in the hex are ignored.

  --as2        the session did not negotiate 4-octet AS numbers (RFC 6793)
  --add-path   NLRI carry path identifiers (RFC 7911) for IPv4/IPv6 unicast
  --extended   messages may be up to 65535 octets (RFC 8654)

Exit status: 0 decoded, 1 input that cannot be decoded, 2 wrong usage.
`;

function parseHex(text: string, what: string): Uint8Array {
  const clean = text.replace(/0x/gi, '').replace(/[\s:]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw new DataError(`${what} is not hex`);
  if (clean.length % 2 !== 0) throw new DataError(`${what} has an odd number of hex digits`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

async function run(cmd: CommandContext): Promise<number> {
  const { values, words, io } = cmd;
  if (words.length === 0) throw new UsageError('decode needs hex arguments, or "-" to read stdin', decodeUsage);
  const isExtended = values.extended === true;
  const ctx: CodecContext = {
    isAs4: values.as2 !== true,
    addPath: values['add-path'] === true ? new Set([familyKey(Afi.ipv4, Safi.unicast), familyKey(Afi.ipv6, Safi.unicast)]) : new Set(),
    isExtendedMessage: isExtended,
  };
  const inputs: { text: string; what: string }[] = [];
  for (const [i, p] of words.entries()) {
    if (p === '-') inputs.push({ text: await io.readStdin(), what: 'stdin' });
    else inputs.push({ text: p, what: `argument ${i + 1}` });
  }
  const framer = new Framer(isExtended ? maxExtendedMessageLength : maxMessageLength);
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

export const decodeCommand: Command = { name: 'decode', options: ['as2', 'add-path', 'extended', 'help'], isRemote: false, usage: decodeUsage, help, run };
