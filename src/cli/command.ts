// What every `tsbgp` command is given and returns: where it writes, its words and
// options, the connection to tsbgpd, and the exit statuses.

import type { OptionName, OptionValues } from './args.js';
import type { Connection } from './connection.js';

/** Where the command writes and reads; process streams by default, buffers in tests. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly readStdin: () => Promise<string>;
  /**
   * Lets a long-running command (monitor) end cleanly on Ctrl-C / SIGTERM: the handler
   * runs instead of the default exit; returns its removal. Absent: no signals come.
   */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

/** A call failed at the server or on the way: exit status 1. */
export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';
}

/** Input that cannot be decoded: exit status 1. */
export class DataError extends Error {
  override readonly name = 'DataError';
}

export const exitOk = 0;
/** Bad input data, an error from tsbgpd, or tsbgpd not reachable. */
export const exitFailure = 1;
export const exitUsage = 2;

export interface CommandContext {
  readonly io: CliIo;
  /** The words after the command's name. */
  readonly words: readonly string[];
  readonly values: OptionValues;
  readonly isJson: boolean;
  readonly connection: Connection;
  /** Wall-clock ms: ages, up times and monitor stamps are computed from it. */
  readonly wallNow: () => number;
}

export interface Command {
  readonly name: string;
  /** Options beyond those of the connection. */
  readonly options: readonly OptionName[];
  /** Whether it talks to tsbgpd (and so takes -u, -p, -j, TLS and token options). */
  readonly isRemote: boolean;
  /** Usage lines, printed with a usage error. */
  readonly usage: string;
  /** `tsbgp COMMAND --help`. */
  readonly help: string;
  run(ctx: CommandContext): Promise<number>;
}
