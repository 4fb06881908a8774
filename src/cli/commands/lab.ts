// `tsbgp lab`: the scenario's network in namespaces on this machine (src/lab), its
// client check and its failure drills. Needs root; never talks to a remote tsbgpd.

import { UsageError, parseNumberArg } from '../args.js';
import { exitFailure, exitOk, type Command, type CommandContext } from '../command.js';
import { LabError } from '../../lab/system.js';
import { labDown, labExec, labStatus, labUp, resolveRunId, type LabOutput } from '../../lab/lab.js';
import { drillNames, isDrillName, runDrill } from '../../lab/drills.js';
import { checkRunId, isLabNode, labNodes, workerNodes, type WorkerNode } from '../../lab/topology.js';
import { routerKinds, type RouterKind } from '../../lab/state.js';

export const labUsage = `Usage: tsbgp lab up [--router tsbgpd|gobgpd|frr|bird] [--run-id ID] [--requests N]
       tsbgp lab status [--run-id ID]
       tsbgp lab down [--run-id ID]
       tsbgp lab exec NODE [--run-id ID] -- COMMAND [ARGS...]
       tsbgp lab drill ${drillNames.join('|')} [NODE] [--run-id ID]
`;

const help = `${labUsage}
The scenario's network on this machine, in network namespaces (root needed):
client-01 on the client LAN 172.17.1.0/24, rt-01 between the LANs, k8s-master-01 and
k8s-node-01..03 on the cluster LAN 172.17.0.0/24. rt-01 runs tsbgpd (or the --router
given), each node a \`tsbgp speaker\` and an HTTP service on 172.17.254.1, the address
\`tsbgp controller\` gives the nginx Service. See docs/lab.md.

  up        build it, wait for the route, print rt-01's received routes and kernel
            route, and the spread of N requests (default 60) from client-01
  status    namespaces, processes, rt-01's route and sessions
  down      stop every process, delete every namespace and file of the run (also
            after a crash)
  exec      run a command inside a machine (${labNodes.join(', ')})
  drill     play a failure and measure it; prints the figures, ends with one JSON
            line, exits 0 if the promise held, 1 if not:
              node-down        cut a node's link (default k8s-node-03)
              router-restart   restart tsbgpd with graceful restart
              speaker-restart  stop and start a node's speaker (default k8s-node-02)
              service-change   move endpoints, delete and create the Service

  --router NAME    rt-01's daemon: tsbgpd (default), gobgpd (the original setup; no
                   kernel route: gobgpd cannot write it), frr (bgpd + zebra), bird
  --run-id ID      names the namespaces tsbgp-ID-NODE and /run/tsbgp-lab/ID
                   (default "lab"; other commands default to the only run present)
  --requests N     requests of the client check (default 60)
`;

async function run(ctx: CommandContext): Promise<number> {
  const [verb, ...args] = ctx.words;
  const o: LabOutput = { out: ctx.io.out, err: ctx.io.err };
  const runIdGiven = ctx.values['run-id'] === undefined ? undefined : checkRunId(ctx.values['run-id']);
  const noMore = (what: string): void => {
    if (args.length > 0) throw new UsageError(`lab ${what}: unexpected "${args.join(' ')}"`, labUsage);
  };
  if (verb !== 'up' && (ctx.values.router !== undefined || ctx.values.requests !== undefined)) throw new UsageError('--router and --requests are options of "lab up"', labUsage);
  try {
    switch (verb) {
      case 'up': {
        noMore('up');
        const router = ctx.values.router ?? 'tsbgpd';
        if (!(routerKinds as readonly string[]).includes(router)) throw new UsageError(`--router: expected ${routerKinds.join(', ')}, got "${router}"`, labUsage);
        const requests = ctx.values.requests === undefined ? 60 : parseNumberArg(ctx.values.requests, '--requests', 100_000, labUsage);
        const spread = await labUp({ runId: runIdGiven ?? 'lab', router: router as RouterKind, requests }, o);
        return spread === undefined || spread.failed === 0 ? exitOk : exitFailure;
      }
      case 'status':
        noMore('status');
        return (await labStatus(resolveRunId(runIdGiven), o)) ? exitOk : exitFailure;
      case 'down':
        noMore('down');
        await labDown(resolveRunId(runIdGiven), o);
        return exitOk;
      case 'exec': {
        const [node, ...command] = args;
        if (node === undefined || !isLabNode(node)) throw new UsageError(`lab exec: expected a machine (${labNodes.join(', ')}), got ${node === undefined ? 'nothing' : `"${node}"`}`, labUsage);
        if (command.length === 0) throw new UsageError('lab exec: no command given (tsbgp lab exec NODE -- COMMAND ...)', labUsage);
        return await labExec(resolveRunId(runIdGiven), node, command);
      }
      case 'drill': {
        const [name, node, ...more] = args;
        if (name === undefined || !isDrillName(name)) throw new UsageError(`lab drill: expected ${drillNames.join(', ')}, got ${name === undefined ? 'nothing' : `"${name}"`}`, labUsage);
        if (node !== undefined && !(workerNodes as readonly string[]).includes(node)) throw new UsageError(`lab drill: expected a worker node (${workerNodes.join(', ')}), got "${node}"`, labUsage);
        if (more.length > 0) throw new UsageError(`lab drill: unexpected "${more.join(' ')}"`, labUsage);
        const result = await runDrill(resolveRunId(runIdGiven), name, node as WorkerNode | undefined, o);
        o.out(`${JSON.stringify(result)}\n`);
        return result.ok ? exitOk : exitFailure;
      }
      default:
        throw new UsageError(verb === undefined ? 'lab: up, status, down, exec or drill?' : `lab: unknown verb "${verb}"`, labUsage);
    }
  } catch (err) {
    if (err instanceof LabError) {
      ctx.io.err(`tsbgp lab ${verb}: ${err.message}\n`);
      return exitFailure;
    }
    throw err;
  }
}

export const labCommand: Command = {
  name: 'lab',
  options: ['help', 'router', 'run-id', 'requests'],
  isRemote: false,
  usage: labUsage,
  help,
  run,
};
