// The tsbgpd command line: options, the configuration file, logging, the management API
// (gobgpd's gRPC service and flags), and the signals (SIGHUP reload, SIGTERM/SIGINT
// shutdown). Operator errors are one line on stderr: exit 1 for the configuration (or an
// address that cannot be bound), 2 for usage.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger, isLogLevel, type LogFormat, type Logger, type LogLevel } from '../lib/logger.js';
import { setLogger as setGrpcLogger } from '@grpc/grpc-js';
import { ApiConfigError, ApiServer, defaultApiHosts, parseApiHosts, type ApiServerOptions } from '../api/server.js';
import { ConfigError, configTypeOf, loadConfig, type ConfigType, type DaemonConfig } from './config.js';
import { Daemon, defaultShutdownMessage, defaultShutdownTimeoutMs } from './daemon.js';
import { DaemonApiBackend } from './api-backend.js';
import { FibWiring } from './fib-wiring.js';
import { deferralTimeOf, preservedFamilies } from './graceful-restart.js';
import { BfdWiring } from './bfd-wiring.js';
import { MetricsServer, defaultMetricsHost } from './metrics.js';

export const exitOk = 0;
export const exitConfig = 1;
export const exitUsage = 2;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

export const usage = `Usage: tsbgpd -f FILE [options]

BGP daemon reading gobgpd's configuration format (TOML or YAML: neighbors, peer
groups, dynamic neighbors, use-multiple-paths) plus an [[originate]] list of routes
to announce; see docs/config.md.

Options:
  -f, --config-file FILE      configuration file (required)
  -t, --config-type TYPE      toml or yaml (default: from the file extension, else toml)
      --log-level LEVEL       debug, info, warn or error (default: info)
      --log-format FORMAT     text or json (default: text); logs go to stderr
      --shutdown-message TEXT shutdown communication sent to peers on stop
                              (RFC 9003; default: "${defaultShutdownMessage}")
      --allow-unsupported     start even if the file has gobgpd keys tsbgpd does not
                              implement yet (each is logged as a warning)
  -r, --graceful-restart      graceful restart (RFC 4724): this run follows a restart
                              (OPENs carry the Restart State bit, and Forwarding State
                              when the FIB runs; advertisements wait for the peers'
                              End-of-RIB) and ends in one (our kernel routes are kept at
                              shutdown for the next start to adopt, see [zebra.config])
      --check                 check the configuration, print "configuration OK" or the
                              error, and exit
      --api-hosts LIST        management API (gRPC, GoBGP v3 service: the gobgp CLI
                              works with -p PORT) on HOST:PORT[,HOST:PORT...]
                              (default: ${defaultApiHosts}; IPv6 as [ADDR]:PORT)
      --api-tls-cert FILE     serve the API over TLS with this PEM certificate chain
      --api-tls-key FILE        ... and this PEM private key (both or neither)
      --api-token-file FILE   require "authorization: Bearer TOKEN" (the file's first
                              line) of callers that are not on this host
      --api-insecure          allow a non-loopback API address without TLS and token
      --no-api                do not serve the API
      --metrics-port PORT     serve Prometheus metrics on http://HOST:PORT/metrics,
                              with /healthz and /readyz (default: off)
      --metrics-host HOST     the metrics address (default: ${defaultMetricsHost})
  -h, --help                  this text
  -v, --version               the version

Signals:
  SIGHUP           reload the configuration file: neighbors, peer groups, dynamic
                   neighbor ranges, originate routes and policies are applied by
                   difference (a policy change resets no session); an
                   invalid file is reported and the running configuration kept; global
                   settings and use-multiple-paths need a restart
  SIGTERM, SIGINT  send every peer a Cease / Administrative Shutdown with the shutdown
                   message, close, and exit 0 (within ${defaultShutdownTimeoutMs / 1000} s)

A non-loopback --api-hosts address needs TLS and a token, or --api-insecure.

Exit status: 0 success, 1 configuration error or address (BGP or API) in use,
2 wrong usage.
`;

export interface DaemonArgs {
  readonly configFile: string;
  readonly configType: ConfigType;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly shutdownMessage: string;
  readonly allowUnsupported: boolean;
  readonly isCheck: boolean;
  /** -r: this run follows a graceful restart (R/F bits, deferral) and keeps the FIB's kernel routes at shutdown. */
  readonly isGracefulRestart?: boolean;
  /** The management API's settings; undefined with --no-api. */
  readonly api?: ApiArgs;
  /** --metrics-port / --metrics-host; undefined: no metrics. */
  readonly metrics?: { readonly host: string; readonly port: number };
}

/** --api-* flags as given (files not read yet). */
export interface ApiArgs {
  readonly hosts: string;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly tokenFile?: string;
  readonly isInsecureAllowed: boolean;
}

export type ParsedArgs = { readonly kind: 'run'; readonly args: DaemonArgs } | { readonly kind: 'help' } | { readonly kind: 'version' };

/** Reads the command line; throws UsageError (or ConfigError for -t) on a bad one. */
export function parseDaemonArgs(argv: readonly string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        'config-file': { type: 'string', short: 'f' },
        'config-type': { type: 'string', short: 't' },
        'log-level': { type: 'string', default: 'info' },
        'log-format': { type: 'string', default: 'text' },
        'shutdown-message': { type: 'string', default: defaultShutdownMessage },
        'allow-unsupported': { type: 'boolean', default: false },
        check: { type: 'boolean', default: false },
        'api-hosts': { type: 'string' },
        'api-tls-cert': { type: 'string' },
        'api-tls-key': { type: 'string' },
        'api-token-file': { type: 'string' },
        'api-insecure': { type: 'boolean', default: false },
        'no-api': { type: 'boolean', default: false },
        'metrics-port': { type: 'string' },
        'metrics-host': { type: 'string' },
        'graceful-restart': { type: 'boolean', short: 'r', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  const v = parsed.values;
  if (v.help === true) return { kind: 'help' };
  if (v.version === true) return { kind: 'version' };
  const configFile = v['config-file'];
  if (configFile === undefined || configFile === '') throw new UsageError('a configuration file is required: -f FILE');
  const logLevel = v['log-level']!;
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level must be debug, info, warn or error, got "${logLevel}"`);
  const logFormat = v['log-format']!;
  if (logFormat !== 'text' && logFormat !== 'json') throw new UsageError(`--log-format must be text or json, got "${logFormat}"`);
  let configType: ConfigType;
  try {
    configType = configTypeOf(configFile, v['config-type']);
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  const api = apiArgs(v);
  const metricsPort = v['metrics-port'];
  if (metricsPort === undefined && v['metrics-host'] !== undefined) throw new UsageError('--metrics-host needs --metrics-port');
  if (metricsPort !== undefined && (!/^\d{1,5}$/.test(metricsPort) || Number(metricsPort) > 65535)) throw new UsageError(`--metrics-port must be a port number (0 to 65535), got "${metricsPort}"`);
  return {
    kind: 'run',
    args: {
      ...(api === undefined ? {} : { api }),
      ...(metricsPort === undefined ? {} : { metrics: { host: v['metrics-host'] ?? defaultMetricsHost, port: Number(metricsPort) } }),
      configFile,
      configType,
      logLevel,
      logFormat,
      shutdownMessage: v['shutdown-message']!,
      allowUnsupported: v['allow-unsupported'] === true,
      isCheck: v.check === true,
      ...(v['graceful-restart'] === true ? { isGracefulRestart: true } : {}),
    },
  };
}

function apiArgs(v: { readonly [key: string]: string | boolean | undefined }): ApiArgs | undefined {
  const text = (key: string): string | undefined => {
    const value = v[key];
    return typeof value === 'string' ? value : undefined;
  };
  const given = ['api-hosts', 'api-tls-cert', 'api-tls-key', 'api-token-file'].filter((k) => text(k) !== undefined);
  if (v['no-api'] === true) {
    if (given.length > 0 || v['api-insecure'] === true) throw new UsageError(`--no-api conflicts with --${[...given, ...(v['api-insecure'] === true ? ['api-insecure'] : [])].join(', --')}`);
    return undefined;
  }
  const hosts = text('api-hosts') ?? defaultApiHosts;
  try {
    parseApiHosts(hosts);
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  const cert = text('api-tls-cert');
  const key = text('api-tls-key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--api-tls-cert and --api-tls-key go together: give both or neither');
  const tokenFile = text('api-token-file');
  return {
    hosts,
    ...(cert === undefined ? {} : { tlsCertFile: cert }),
    ...(key === undefined ? {} : { tlsKeyFile: key }),
    ...(tokenFile === undefined ? {} : { tokenFile }),
    isInsecureAllowed: v['api-insecure'] === true,
  };
}

/** Reads the files the API flags name; a file that cannot be read is an ApiConfigError. */
export function apiServerOptions(api: ApiArgs, logger: Logger): ApiServerOptions {
  const read = (flag: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ApiConfigError(`${flag}: cannot read ${path}${code === undefined ? '' : ` (${code})`}`, { cause: err });
    }
  };
  let token: string | undefined;
  if (api.tokenFile !== undefined) {
    token = read('--api-token-file', api.tokenFile).toString('utf8').split('\n')[0]!.trim();
    if (token === '') throw new ApiConfigError(`--api-token-file: ${api.tokenFile} holds no token (its first line is empty)`);
  }
  return {
    hosts: api.hosts,
    ...(api.tlsCertFile === undefined || api.tlsKeyFile === undefined ? {} : { tls: { certChain: read('--api-tls-cert', api.tlsCertFile), privateKey: read('--api-tls-key', api.tlsKeyFile) } }),
    ...(token === undefined ? {} : { token }),
    isInsecureAllowed: api.isInsecureAllowed,
    logger,
  };
}

function logWarnings(logger: Logger, config: DaemonConfig): void {
  for (const warning of config.warnings) logger.warn('config warning', { warning });
}

/** Runs the daemon until a signal stops it. Resolves once started; exits the process itself. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  let parsed: ParsedArgs;
  try {
    parsed = parseDaemonArgs(argv);
  } catch (err) {
    process.stderr.write(`tsbgpd: ${(err as Error).message} (tsbgpd --help lists the options)\n`);
    process.exit(exitUsage);
  }
  if (parsed.kind === 'help') {
    process.stdout.write(usage);
    return;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`tsbgpd ${version()}\n`);
    return;
  }
  const args = parsed.args;
  const load = (): DaemonConfig => loadConfig(args.configFile, args.configType, { allowUnsupported: args.allowUnsupported });

  let config: DaemonConfig;
  try {
    config = load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`tsbgpd: ${err.message}\n`);
    process.exit(exitConfig);
  }
  if (args.isCheck) {
    for (const w of config.warnings) process.stderr.write(`tsbgpd: warning: ${w}\n`);
    process.stdout.write('configuration OK\n');
    return;
  }

  const logger = createLogger({ level: args.logLevel, format: args.logFormat });
  logWarnings(logger, config);
  const daemon = new Daemon(config, { logger, shutdownMessage: args.shutdownMessage });
  const fib = new FibWiring(daemon, { logger, isRestart: args.isGracefulRestart === true });
  const bfd = new BfdWiring(daemon, { logger });
  // The API first: a port in use ends the start before any BGP session is attempted.
  let api: ApiServer | undefined;
  if (args.api !== undefined) {
    // grpc-js writes its own errors to stderr (a bind failure twice): they go to our log;
    // what matters reaches the operator as ApiConfigError or in the API's log lines.
    setGrpcLogger({ error: (...parts: unknown[]) => logger.debug('grpc', { message: parts.map(String).join(' ') }) });
    try {
      api = await ApiServer.start(new DaemonApiBackend(daemon, { logger }), apiServerOptions(args.api, logger));
    } catch (err) {
      if (!(err instanceof ApiConfigError)) throw err;
      process.stderr.write(`tsbgpd: ${err.message}\n`);
      process.exit(exitConfig);
    }
  }

  let isReady = false;
  let metrics: MetricsServer | undefined;
  if (args.metrics !== undefined) {
    try {
      metrics = await MetricsServer.start(daemon, { fib: () => fib.fib?.status(), isReady: () => isReady }, { ...args.metrics, logger });
    } catch (err) {
      process.stderr.write(`tsbgpd: ${(err as Error).message}\n`);
      await api?.close();
      process.exit(exitConfig);
    }
  }

  // A daemon with nothing to listen on and no neighbors has no open handle; this one
  // keeps the process up until a signal ends it (it measures no time).
  const keepAlive = setInterval(() => {}, 0x7fffffff);
  let isShuttingDown = false;
  const shutdown = (signal: string): void => {
    if (isShuttingDown) {
      logger.warn('second signal, exiting now', { signal });
      process.exit(exitOk);
    }
    isShuttingDown = true;
    logger.info('shutting down', { signal, communication: args.shutdownMessage });
    void Promise.all([api?.close(), metrics?.close(), fib.stop(), bfd.stop(), daemon.stop()]).then(() => {
      clearInterval(keepAlive);
      logger.info('tsbgpd stopped');
      process.exit(exitOk);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    if (isShuttingDown) return;
    let next: DaemonConfig;
    try {
      next = load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      logger.error('config reload failed', { error: err.message });
      return;
    }
    logWarnings(logger, next);
    daemon.reload(next);
    fib.reload(next);
  });

  // Before the sessions: our routes in the kernel are adopted before any is learned again.
  const fibStatus = await fib.start();
  // RFC 4724 4.1: R (and F where the FIB kept our routes) in the first OPENs, advertisements deferred.
  if (args.isGracefulRestart === true) daemon.restartingSpeaker.begin(preservedFamilies(fibStatus), deferralTimeOf(daemon.currentConfig.neighbors));
  bfd.start();
  try {
    await daemon.start();
  } catch (err) {
    process.stderr.write(`tsbgpd: ${(err as Error).message}\n`);
    await Promise.all([api?.close(), metrics?.close(), daemon.stop()]);
    process.exit(exitConfig);
  }
  isReady = true;
}
