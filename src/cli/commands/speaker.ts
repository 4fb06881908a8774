// `tsbgp speaker`: one node's service speaker from MetalLB resource YAML in a directory
// (re-read on change) or from the Kubernetes API (--kube), in the foreground until
// SIGTERM / SIGINT; then it withdraws its routes and closes each session with a Cease
// carrying a communication (RFC 9003).

import { networkInterfaces } from 'node:os';
import { systemClock } from '../../lib/clock.js';
import { createLogger, isLogLevel, type LogFormat, type Logger } from '../../lib/logger.js';
import { securedTcpConnector, tcpConnector } from '../../session/transport.js';
import { FileSource } from '../../speaker/file-source.js';
import { logContents } from '../../speaker/controller-runner.js';
import { Speaker } from '../../speaker/speaker.js';
import { BfdManager } from '../../bfd/manager.js';
import { ResourceStore } from '../../speaker/store.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { UsageError, type OptionValues } from '../args.js';
import { DataError, exitOk, type Command, type CommandContext } from '../command.js';

export const speakerUsage = `Usage: tsbgp speaker --node NAME (--config DIR | --kube [--kubeconfig FILE]) [--log-level L] [--log-format text|json]
`;

const help = `${speakerUsage}
Run the service speaker of node NAME (MetalLB's BGP mode): a BGP session to every
BGPPeer that selects the node, announcing the addresses of the LoadBalancer Services the
node serves. DIR holds the resources as YAML (*.yaml, *.yml; several documents per file):
IPAddressPool, BGPPeer, BGPAdvertisement, Community, BFDProfile, Service, EndpointSlice,
Node, Namespace; DIR/status/ holds the Services' addresses as "tsbgp controller" writes
them. Changes to DIR are applied at once. With --kube the same resources are watched
in the cluster instead. See docs/speaker.md.

  --node NAME          the Kubernetes node name (matched by nodeSelectors, EndpointSlice
                       nodeName and the Node resource)
  --config DIR         the resource directory
  --kube               watch the resources through the Kubernetes API (in-cluster
                       service account, else KUBECONFIG / ~/.kube/config)
  --kubeconfig FILE    the kubeconfig to use with --kube
  --log-level L        debug, info (default), warn or error
  --log-format F       text (default) or json

Runs until SIGTERM or SIGINT: withdraws, sends Cease, exits 0.
`;

/** --log-level and --log-format, checked. */
export function commandLogger(values: OptionValues, usage: string): Logger {
  const level = values['log-level'] ?? 'info';
  if (!isLogLevel(level)) throw new UsageError(`--log-level: expected debug, info, warn or error, got "${level}"`, usage);
  const format = values['log-format'] ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--log-format: expected text or json, got "${format}"`, usage);
  return createLogger({ level, format: format as LogFormat });
}

/** The first IPv4 address of a non-loopback interface: the router ID of last resort. */
function hostIpv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** Where resources come from: a directory, or the cluster with --kube. */
export interface ResourceFeed {
  start(): Promise<void>;
  close(): Promise<void> | void;
}

/** The --config / --kube choice of a speaker or controller command line, checked. */
export function resourceMode(values: OptionValues, usage: string): { kind: 'dir'; dir: string } | { kind: 'kube'; kubeconfig?: string } {
  const dir = values.config;
  if (values.kube === true) {
    if (dir !== undefined) throw new UsageError('give --config DIR or --kube, not both', usage);
    return { kind: 'kube', ...(values.kubeconfig === undefined ? {} : { kubeconfig: values.kubeconfig }) };
  }
  if (values.kubeconfig !== undefined) throw new UsageError('--kubeconfig needs --kube', usage);
  if (dir === undefined || dir === '') throw new UsageError('--config DIR or --kube is required', usage);
  return { kind: 'dir', dir };
}

/**
 * The cluster's resources into `store`, with the kubeconfig loaded (a DataError if it
 * cannot be). The client library is loaded here only, so other commands start fast.
 */
export async function kubeFeed(kubeconfig: string | undefined, store: ResourceStore, logger: Logger): Promise<{ feed: ResourceFeed; kc: KubeConfig }> {
  const { KubeSource, loadKubeConfig } = await import('../../speaker/kube/watch.js');
  let kc: KubeConfig;
  try {
    kc = loadKubeConfig(kubeconfig);
  } catch (err) {
    throw new DataError(`kubeconfig: ${(err as Error).message}`);
  }
  return { feed: new KubeSource(kc, store, { clock: systemClock, logger }), kc };
}

/** Resolves on SIGTERM / SIGINT. */
export function interrupted(cmd: CommandContext): Promise<void> {
  return new Promise<void>((resolve) => {
    const remove = cmd.io.onInterrupt?.(() => {
      remove?.();
      resolve();
    });
  });
}

async function run(cmd: CommandContext): Promise<number> {
  const { values } = cmd;
  if (cmd.words.length > 0) throw new UsageError(`unexpected "${cmd.words[0]}"`, speakerUsage);
  const node = values.node;
  if (node === undefined || node === '') throw new UsageError('--node NAME is required', speakerUsage);
  const mode = resourceMode(values, speakerUsage);
  const logger = commandLogger(values, speakerUsage);
  const defaultRouterId = hostIpv4();
  const speaker = new Speaker({ nodeName: node, ...(defaultRouterId === undefined ? {} : { defaultRouterId }) }, {
    clock: systemClock,
    random: Math.random,
    logger,
    connect: tcpConnector,
    secureConnect: securedTcpConnector,
    createBfd: () => new BfdManager({ clock: systemClock, random: Math.random, logger }),
  });
  const store = new ResourceStore();
  store.onChange(() => speaker.update(store.snapshot()));
  const source: ResourceFeed =
    mode.kind === 'kube'
      ? (await kubeFeed(mode.kubeconfig, store, logger)).feed
      : new FileSource(mode.dir, { clock: systemClock, logger }, (contents) => {
          logContents(logger, contents);
          store.replaceAll(contents.resources);
        }, { isPersistent: true });
  try {
    await source.start();
  } catch (err) {
    throw new DataError(`speaker: ${(err as Error).message}`);
  }
  logger.info('speaker started', { node, source: mode.kind === 'kube' ? 'kubernetes' : mode.dir, peers: speaker.peerNames });
  await interrupted(cmd);
  await source.close();
  await speaker.stop(`tsbgp speaker on ${node} shutting down`);
  logger.info('speaker stopped', { node });
  return exitOk;
}

export const speakerCommand: Command = { name: 'speaker', options: ['node', 'config', 'kube', 'kubeconfig', 'log-level', 'log-format', 'help'], isRemote: false, usage: speakerUsage, help, run };
