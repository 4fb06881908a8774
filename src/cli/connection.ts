// How `tsbgp` reaches tsbgpd: an ApiClient for -u/-p (TLS and a bearer token when
// asked), and the one-line messages for what a call can fail with.

import { readFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { ApiClient, type ApiClientOptions } from '../api/client.js';
import { parsePort, targetOf, UsageError, type OptionValues } from './args.js';
import { ApiCallError } from './command.js';

/** The client of one command run, made on first use. */
export class Connection {
  readonly target: string;
  private client: ApiClient | undefined;
  private readonly options: ApiClientOptions;

  constructor(values: OptionValues) {
    this.target = targetOf(values.host ?? '127.0.0.1', parsePort(values.port));
    const tls = values.tls === true || values['tls-ca-file'] !== undefined || values['tls-cert-file'] !== undefined;
    if ((values['tls-cert-file'] === undefined) !== (values['tls-key-file'] === undefined)) throw new UsageError('--tls-cert-file and --tls-key-file go together');
    const token = values.token ?? (values['token-file'] === undefined ? undefined : readOptionFile('--token-file', values['token-file']).toString('utf8').trim());
    const options: { -readonly [K in keyof ApiClientOptions]: ApiClientOptions[K] } = { target: this.target };
    if (tls) {
      const caFile = values['tls-ca-file'];
      const certFile = values['tls-cert-file'];
      const keyFile = values['tls-key-file'];
      options.tls = {
        ...(caFile === undefined ? {} : { rootCerts: readOptionFile('--tls-ca-file', caFile) }),
        ...(certFile === undefined || keyFile === undefined ? {} : { certChain: readOptionFile('--tls-cert-file', certFile), privateKey: readOptionFile('--tls-key-file', keyFile) }),
      };
    }
    if (token !== undefined) options.token = token;
    this.options = options;
  }

  get api(): ApiClient {
    this.client ??= new ApiClient(this.options);
    return this.client;
  }

  /** What the ApiClient is made with (for calls it does not wrap yet). */
  get clientOptions(): ApiClientOptions {
    return this.options;
  }

  /** Runs `fn` on the client; a failure becomes one line naming `what`. */
  async call<T>(what: string, fn: (api: ApiClient) => Promise<T>): Promise<T> {
    try {
      return await fn(this.api);
    } catch (e) {
      if (e instanceof UsageError || e instanceof ApiCallError) throw e;
      throw this.describe(e, what);
    }
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  /** The one line an API failure is reported with. */
  describe(err: unknown, what: string): ApiCallError {
    const e = err as { code?: unknown; details?: unknown };
    if (typeof e.code !== 'number' || typeof e.details !== 'string') return new ApiCallError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    const details = e.details;
    switch (e.code) {
      case status.UNAVAILABLE:
        // grpc-js says "No connection established" when none ever was; otherwise the
        // server went away during the call (a restart, a crash).
        if (!details.startsWith('No connection established')) return new ApiCallError(`${what}: lost the connection to tsbgpd at ${this.target}: ${details}`);
        return new ApiCallError(`cannot reach tsbgpd at ${this.target}: ${details.replace(/^No connection established\. Last error: (Error: )?/, '').replace(/\.? ?Resolution note: ?$/, '')}`);
      case status.DEADLINE_EXCEEDED:
        return new ApiCallError(`cannot reach tsbgpd at ${this.target}: no answer in time`);
      case status.UNIMPLEMENTED:
        return new ApiCallError(`${what}: the server at ${this.target} does not implement this (UNIMPLEMENTED: ${details})`);
      case status.UNAUTHENTICATED:
        return new ApiCallError(`${what}: refused by the server (UNAUTHENTICATED: ${details}); give --token or --token-file`);
      default:
        return new ApiCallError(`${what}: ${statusName(e.code)}: ${details}`);
    }
  }
}

function statusName(code: number): string {
  const name = Object.entries(status).find(([, v]) => v === code)?.[0];
  return name ?? `status ${code}`;
}

function readOptionFile(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`${option}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
