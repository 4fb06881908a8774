// The command line of `tsbgp`: every option (those of gobgp where gobgp has one), the
// split into command words and option values, and checks of the values that need no
// server: port, address family, addresses and prefixes.

import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { AddressError, Afi, parseAddress, parsePrefix, type Prefix } from '../lib/address.js';

/** A wrong command line: exit status 2, with the usage of the command concerned. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  constructor(
    message: string,
    /** Usage lines of the command, printed under the message. */
    readonly usage?: string,
  ) {
    super(message);
  }
}

/** Every option any command takes; each command says which of them it accepts. */
export const optionSpecs = {
  host: { type: 'string', short: 'u' },
  port: { type: 'string', short: 'p' },
  'address-family': { type: 'string', short: 'a' },
  json: { type: 'boolean', short: 'j' },
  tls: { type: 'boolean' },
  'tls-ca-file': { type: 'string' },
  'tls-cert-file': { type: 'string' },
  'tls-key-file': { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  reason: { type: 'string' },
  current: { type: 'boolean' },
  as2: { type: 'boolean' },
  'add-path': { type: 'boolean' },
  extended: { type: 'boolean' },
  to: { type: 'string' },
  as: { type: 'string' },
  'peer-as': { type: 'string' },
  peer: { type: 'string' },
  realtime: { type: 'boolean' },
  router: { type: 'string' },
  'run-id': { type: 'string' },
  requests: { type: 'string' },
  node: { type: 'string' },
  config: { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  once: { type: 'boolean' },
  kube: { type: 'boolean' },
  kubeconfig: { type: 'string' },
} as const;

export type OptionName = keyof typeof optionSpecs;

/** Options every command that talks to tsbgpd accepts. */
export const connectionOptions: readonly OptionName[] = ['host', 'port', 'json', 'tls', 'tls-ca-file', 'tls-cert-file', 'tls-key-file', 'token', 'token-file', 'help'];

export interface OptionValues {
  readonly host?: string;
  readonly port?: string;
  readonly 'address-family'?: string;
  readonly json?: boolean;
  readonly tls?: boolean;
  readonly 'tls-ca-file'?: string;
  readonly 'tls-cert-file'?: string;
  readonly 'tls-key-file'?: string;
  readonly token?: string;
  readonly 'token-file'?: string;
  readonly help?: boolean;
  readonly version?: boolean;
  readonly reason?: string;
  readonly current?: boolean;
  readonly as2?: boolean;
  readonly 'add-path'?: boolean;
  readonly extended?: boolean;
  readonly to?: string;
  readonly as?: string;
  readonly 'peer-as'?: string;
  readonly peer?: string;
  readonly realtime?: boolean;
  readonly router?: string;
  readonly 'run-id'?: string;
  readonly requests?: string;
  readonly node?: string;
  readonly config?: string;
  readonly 'log-level'?: string;
  readonly 'log-format'?: string;
  readonly once?: boolean;
  readonly kube?: boolean;
  readonly kubeconfig?: string;
}

export interface CommandLine {
  /** The words that are not options, in order: the command, its verbs and arguments. */
  readonly words: readonly string[];
  readonly values: OptionValues;
  /** Options given, by their long names. */
  readonly given: ReadonlySet<OptionName>;
}

function parseRaw(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: optionSpecs, allowPositionals: true, strict: true, tokens: true });
}

/** Splits argv; options may stand anywhere, as with gobgp. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  let parsed: ReturnType<typeof parseRaw>;
  try {
    parsed = parseRaw(argv);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
    throw e;
  }
  const given = new Set<OptionName>();
  for (const t of parsed.tokens) if (t.kind === 'option') given.add(t.name as OptionName);
  return { words: parsed.positionals, values: parsed.values as OptionValues, given };
}

/** Refuses options the command does not take. */
export function checkOptions(line: CommandLine, allowed: readonly OptionName[], command: string, usage: string): void {
  for (const name of line.given) {
    if (!allowed.includes(name)) throw new UsageError(`--${name} is not an option of "${command}"`, usage);
  }
}

export function parsePort(text: string | undefined): number {
  if (text === undefined) return 50051;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new UsageError(`--port: expected 1 to 65535, got "${text}"`);
  return port;
}

/** "host:port", an IPv6 host in brackets. */
export function targetOf(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** An IP unicast family (RFC 4760 AFI, SAFI 1). */
export type IpAfi = typeof Afi.ipv4 | typeof Afi.ipv6;

/** -a/--address-family: ipv4 or ipv6 (unicast); undefined when not given. */
export function parseFamily(text: string | undefined): IpAfi | undefined {
  switch (text) {
    case undefined:
      return undefined;
    case 'ipv4':
    case 'ipv4-unicast':
      return Afi.ipv4;
    case 'ipv6':
    case 'ipv6-unicast':
      return Afi.ipv6;
    default:
      throw new UsageError(`--address-family: expected ipv4 or ipv6, got "${text}"`);
  }
}

export const afiName = (afi: IpAfi): string => (afi === Afi.ipv4 ? 'ipv4' : 'ipv6');

/** An IP address argument; `what` names it in the message. */
export function parseAddressArg(text: string, what: string, usage?: string): Uint8Array {
  try {
    return parseAddress(text);
  } catch (e) {
    if (e instanceof AddressError) throw new UsageError(`${what}: expected an IPv4 or IPv6 address, got "${text}"`, usage);
    throw e;
  }
}

/** A prefix argument ("10.0.0.0/8", host bits must be zero). */
export function parsePrefixArg(text: string, usage?: string): Prefix {
  try {
    return parsePrefix(text);
  } catch (e) {
    if (e instanceof AddressError) throw new UsageError(`expected a prefix such as 10.0.0.0/24 or 2001:db8::/32, got "${text}" (${e.message})`, usage);
    throw e;
  }
}

/** A lookup argument: a prefix, or an address (the longest prefix holding it). */
export function parseLookupArg(text: string, usage?: string): { readonly text: string; readonly afi: IpAfi } {
  try {
    const afi = text.includes('/') ? parsePrefix(text, true).afi : parseAddress(text).length === 4 ? Afi.ipv4 : Afi.ipv6;
    return { text, afi: afi === Afi.ipv4 ? Afi.ipv4 : Afi.ipv6 };
  } catch (e) {
    if (e instanceof AddressError) throw new UsageError(`expected a prefix or an address, got "${text}" (${e.message})`, usage);
    throw e;
  }
}

/** A whole number from 0 to `max`. */
export function parseNumberArg(text: string | undefined, what: string, max: number, usage?: string): number {
  const n = text !== undefined && /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= max)) throw new UsageError(`${what}: expected a number 0 to ${max}, got ${text === undefined ? 'nothing' : `"${text}"`}`, usage);
  return n;
}
