// The `tsbgp` command: dispatch to the commands (the verbs of gobgp against tsbgpd's
// management API, plus `decode` and `version`), help, and the exit statuses: 0 done,
// 1 failure (bad input data, an error from the server, server not reachable), 2 bad usage.

import { readFileSync } from 'node:fs';
import { systemClock } from '../lib/clock.js';
import { checkOptions, connectionOptions, parseCommandLine, UsageError } from './args.js';
import { ApiCallError, DataError, exitFailure, exitOk, exitUsage, type CliIo, type Command, type CommandContext } from './command.js';

export { exitOk, exitUsage, type CliIo };
export const exitDataError = exitFailure;

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

const usage = `Usage: tsbgp [options] COMMAND [ARGS...]

Commands (gobgp's verbs, against tsbgpd's management API):
  global                               the speaker: AS, router ID, listening port, multipath
  global rib [PREFIX|ADDRESS [longer-prefixes|shorter-prefixes]]
                                       the global RIB, or the paths of one prefix
  global rib summary                   destinations and paths in the RIB
  global rib add PREFIX nexthop ADDRESS [origin igp|egp|incomplete] [aspath ASPATH]
                 [med N] [local-pref N] [community COMMUNITY,...]
  global rib del PREFIX | all          withdraw routes added with "add"
  neighbor                             every peer and its state
  neighbor ADDRESS                     one peer in detail
  neighbor ADDRESS adj-in|adj-out|local [PREFIX|ADDRESS ...] | summary
                                       the routes received from, sent to, or seen by a peer
  neighbor ADDRESS reset|softreset [in|out]|shutdown|enable|disable [--reason TEXT]
  monitor adj-in [--current]           routes as they arrive ([ROUTE] / [DELROUTE] lines)
  monitor global rib [--current]       best paths as they change
  monitor neighbor [ADDRESS] [--current]
                                       session state changes
  policy [NAME] | policy statement [NAME] | policy SET-TYPE [NAME] [add|del ...]
  global policy [import|export] [add|del|set ...], neighbor ADDRESS policy ...
                                       policies, statements, defined sets, assignments
  decode [--as2] [--add-path] [--extended] HEX... | -
                                       BGP messages given as hex, as JSON (no server needed)
  mrt print FILE [--json]              an MRT dump (gzip, bzip2 or plain) as "bgpdump -m" lines
  mrt replay FILE --to ADDRESS [--port N] [--as N] [--peer-as N] [--peer N] [--realtime]
                                       announce a RIB dump or play an update dump to a router
  lab up|status|down|exec|drill        the scenario's network in namespaces on this machine
                                       (root): see "tsbgp lab --help" and docs/lab.md
  speaker --node NAME --config DIR     one node's service speaker (MetalLB's BGP mode) from
                                       MetalLB resource YAML in DIR (or --kube: from the
                                       cluster): see docs/speaker.md
  controller --config DIR [--once]     assign LoadBalancer Service addresses, written to
                                       DIR/status/ (or --kube: to the Services)
  version                              the version of tsbgp

Options (anywhere on the line, as with gobgp):
  -u, --host HOST              where tsbgpd's API listens (default 127.0.0.1)
  -p, --port PORT              its port (default 50051)
  -a, --address-family ipv4|ipv6
                               the table to show (default ipv4, or the family of the
                               prefix or neighbor address given)
  -j, --json                   print JSON (gobgp's shapes) instead of text
      --tls                    connect with TLS, checking the server against the system CAs
      --tls-ca-file FILE       ... or against the CA certificates (PEM) in FILE
      --tls-cert-file FILE     client certificate (PEM), with --tls-key-file FILE
      --token TOKEN            send "authorization: Bearer TOKEN" (needed off-host)
      --token-file FILE        the same, the token read from FILE
  -h, --help                   this text; "tsbgp COMMAND --help" for one command
  -v, --version                the version

Exit status: 0 success, 1 failure (tsbgpd not reachable, an error from it, input that
cannot be decoded), 2 wrong usage.
`;

/** Each command's module, loaded when it runs: `decode` and `version` need no gRPC. */
const commands: ReadonlyMap<string, () => Promise<Command>> = new Map([
  ['global', async () => (await import('./commands/global.js')).globalCommand],
  ['neighbor', async () => (await import('./commands/neighbor.js')).neighborCommand],
  ['monitor', async () => (await import('./commands/monitor.js')).monitorCommand],
  ['policy', async () => (await import('./commands/policy.js')).policyCommand],
  ['decode', async () => (await import('./commands/decode.js')).decodeCommand],
  ['mrt', async () => (await import('./commands/mrt.js')).mrtCommand],
  ['lab', async () => (await import('./commands/lab.js')).labCommand],
  ['speaker', async () => (await import('./commands/speaker.js')).speakerCommand],
  ['controller', async () => (await import('./commands/controller.js')).controllerCommand],
]);

function fail(io: CliIo, message: string, code: number, usageText?: string): number {
  io.err(`tsbgp: ${message}\n${code === exitUsage ? (usageText ?? 'Run "tsbgp --help" for the commands.\n') : ''}`);
  return code;
}

/** Runs the command line; resolves to the exit status. Errors are one line on stderr, never a stack trace. */
export async function runCli(argv: readonly string[], io: CliIo, wallNow: () => number = () => systemClock.wallNow()): Promise<number> {
  let connection: { close(): void } | undefined;
  try {
    const line = parseCommandLine(argv);
    const [name, ...words] = line.words;
    if (name === 'version' || (name === undefined && line.values.version === true)) {
      io.out(`tsbgp ${version()}\n`);
      return exitOk;
    }
    if (name === undefined || name === 'help') {
      const topic = name === 'help' ? words[0] : undefined;
      const load = topic === undefined ? undefined : commands.get(topic);
      if (topic !== undefined && load === undefined) throw new UsageError(`no help on "${topic}": not a command`);
      io.out(load === undefined ? usage : (await load()).help);
      return name === undefined && line.values.help !== true ? exitUsage : exitOk;
    }
    const load = commands.get(name);
    if (load === undefined) throw new UsageError(`unknown command "${name}"`);
    const command = await load();
    checkOptions(line, command.isRemote ? [...connectionOptions, ...command.options] : command.options, name, command.usage);
    if (line.values.help === true) {
      io.out(command.help);
      return exitOk;
    }
    // Only commands that talk to tsbgpd load gRPC: `decode` starts fast.
    const conn = command.isRemote ? new (await import('./connection.js')).Connection(line.values) : undefined;
    connection = conn;
    const ctx: CommandContext = {
      io,
      words,
      values: line.values,
      isJson: line.values.json === true,
      get connection() {
        if (conn === undefined) throw new Error(`"${name}" works offline and has no connection`);
        return conn;
      },
      wallNow,
    };
    return await command.run(ctx);
  } catch (err) {
    if (err instanceof UsageError) return fail(io, err.message, exitUsage, err.usage);
    if (err instanceof DataError || err instanceof ApiCallError) return fail(io, err.message, exitFailure);
    return fail(io, `unexpected failure: ${err instanceof Error ? err.message : String(err)}`, exitFailure);
  } finally {
    connection?.close();
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

/** Exit statuses of a process ended by a signal (128 + its number). */
const signalExit: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Entry point of bin/tsbgp.js. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  // grpc-js names a TLS server by the IP address given to -u, which Node flags as
  // deprecated (DEP0123) on stderr: noise in a command's output, not the user's fault.
  process.noDeprecation = true;
  let interruptHandler: (() => void) | undefined;
  // A command that registered a handler ends cleanly; otherwise (or on a second
  // signal while it closes) the process ends as a signal would end it.
  const onSignal = (signal: NodeJS.Signals): void => {
    const handler = interruptHandler;
    interruptHandler = undefined;
    if (handler === undefined) process.exit(signalExit[signal] ?? exitFailure);
    handler();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A reader that went away (`tsbgp monitor adj-in | head`) is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(exitOk);
  });
  const io: CliIo = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    readStdin: () => readAll(process.stdin),
    onInterrupt: (handler) => {
      interruptHandler = handler;
      return () => {
        if (interruptHandler === handler) interruptHandler = undefined;
      };
    },
  };
  process.exitCode = await runCli(argv, io);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}
