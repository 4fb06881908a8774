// The tsbgpd command line: options, the configuration file, logging, and the signals
// (SIGHUP reload, SIGTERM/SIGINT shutdown). Operator errors are one line on stderr:
// exit 1 for the configuration (or an address that cannot be bound), 2 for usage.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger, isLogLevel, type LogFormat, type Logger, type LogLevel } from '../lib/logger.js';
import { ConfigError, configTypeOf, loadConfig, type ConfigType, type DaemonConfig } from './config.js';
import { Daemon, defaultShutdownMessage, defaultShutdownTimeoutMs } from './daemon.js';

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
      --check                 check the configuration, print "configuration OK" or the
                              error, and exit
  -h, --help                  this text
  -v, --version               the version

Signals:
  SIGHUP           reload the configuration file: neighbors, peer groups, dynamic
                   neighbor ranges and originate routes are applied by difference; an
                   invalid file is reported and the running configuration kept; global
                   settings and use-multiple-paths need a restart
  SIGTERM, SIGINT  send every peer a Cease / Administrative Shutdown with the shutdown
                   message, close, and exit 0 (within ${defaultShutdownTimeoutMs / 1000} s)

Exit status: 0 success, 1 configuration error or address in use, 2 wrong usage.
`;

export interface DaemonArgs {
  readonly configFile: string;
  readonly configType: ConfigType;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly shutdownMessage: string;
  readonly allowUnsupported: boolean;
  readonly isCheck: boolean;
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
  return {
    kind: 'run',
    args: {
      configFile,
      configType,
      logLevel,
      logFormat,
      shutdownMessage: v['shutdown-message']!,
      allowUnsupported: v['allow-unsupported'] === true,
      isCheck: v.check === true,
    },
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
    void daemon.stop().then(() => {
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
  });

  try {
    await daemon.start();
  } catch (err) {
    process.stderr.write(`tsbgpd: ${(err as Error).message}\n`);
    await daemon.stop();
    process.exit(exitConfig);
  }
}
