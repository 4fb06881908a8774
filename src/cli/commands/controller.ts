// `tsbgp controller`: address assignment for the LoadBalancer Services of a resource
// directory (MetalLB's controller in file mode; status written to DIR/status/), or of
// the cluster with --kube (status written to the Services, problems as Events).

import { systemClock } from '../../lib/clock.js';
import { ControllerRunner, runControllerOnce } from '../../speaker/controller-runner.js';
import { UsageError } from '../args.js';
import { DataError, exitOk, type Command, type CommandContext } from '../command.js';
import { ResourceStore } from '../../speaker/store.js';
import { commandLogger, interrupted, kubeFeed, resourceMode } from './speaker.js';

export const controllerUsage = `Usage: tsbgp controller --config DIR [--once] [--log-level L] [--log-format text|json]
       tsbgp controller --kube [--kubeconfig FILE] [--log-level L] [--log-format text|json]
`;

const help = `${controllerUsage}
Give each Service of type LoadBalancer in DIR an address from the IPAddressPools in DIR
(requested addresses, the address-pool and allow-shared-ip annotations, pool priority,
avoidBuggyIPs, dual-stack), and write it to DIR/status/<namespace>.<name>.yaml, which
the speakers read as the Service's status. Addresses already in the status are kept.
A Service that cannot get an address is logged: warn "service event" {service, reason,
message}. With --kube the resources are watched in the cluster, the address is written
to the Service's status.loadBalancer and a problem becomes an Event on the Service.
See docs/speaker.md.

  --config DIR         the resource directory
  --once               assign, write, exit (otherwise re-run on every change until SIGTERM)
  --kube               watch the cluster through the Kubernetes API (in-cluster service
                       account, else KUBECONFIG / ~/.kube/config)
  --kubeconfig FILE    the kubeconfig to use with --kube
  --log-level L        debug, info (default), warn or error
  --log-format F       text (default) or json
`;

async function runKube(cmd: CommandContext, kubeconfig: string | undefined): Promise<number> {
  const logger = commandLogger(cmd.values, controllerUsage);
  const store = new ResourceStore();
  const { feed, kc } = await kubeFeed(kubeconfig, store, logger);
  const { KubeController } = await import('../../speaker/kube/controller.js');
  const { KubeStatusWriter } = await import('../../speaker/kube/status.js');
  const controller = new KubeController(store, new KubeStatusWriter(kc), { clock: systemClock, logger });
  try {
    await feed.start();
  } catch (err) {
    throw new DataError(`controller: ${(err as Error).message}`);
  }
  logger.info('controller started', { source: 'kubernetes' });
  await interrupted(cmd);
  await feed.close();
  await controller.close();
  return exitOk;
}

async function run(cmd: CommandContext): Promise<number> {
  const { values } = cmd;
  if (cmd.words.length > 0) throw new UsageError(`unexpected "${cmd.words[0]}"`, controllerUsage);
  const mode = resourceMode(values, controllerUsage);
  if (mode.kind === 'kube') {
    if (values.once === true) throw new UsageError('--once works with --config DIR only', controllerUsage);
    return runKube(cmd, mode.kubeconfig);
  }
  const dir = mode.dir;
  const logger = commandLogger(values, controllerUsage);
  if (values.once === true) {
    try {
      const result = await runControllerOnce(dir, logger);
      logger.info('controller done', { assigned: result.assignments.size, events: result.events.length });
    } catch (err) {
      throw new DataError(`controller: ${(err as Error).message}`);
    }
    return exitOk;
  }
  const runner = new ControllerRunner(dir, { clock: systemClock, logger }, { isPersistent: true });
  try {
    await runner.start();
  } catch (err) {
    throw new DataError(`controller: ${(err as Error).message}`);
  }
  logger.info('controller started', { dir });
  await interrupted(cmd);
  await runner.close();
  return exitOk;
}

export const controllerCommand: Command = { name: 'controller', options: ['config', 'once', 'kube', 'kubeconfig', 'log-level', 'log-format', 'help'], isRemote: false, usage: controllerUsage, help, run };
