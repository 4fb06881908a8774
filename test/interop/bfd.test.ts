// BFD failover: tsbgpd in one network namespace, the node in another, joined by a veth
// pair made directly in them. The node is FRR (zebra + bgpd + bfdd 8.4), then our own
// `tsbgp speaker` with a MetalLB BFDProfile. With BFD 300 ms x 3 on both sides, cutting
// the node's end of the link must take its route out of tsbgpd's RIB in under one
// second (issue 6), long before the 90 s hold time would. The time is measured from the
// cut to the moment tsbgpd's API no longer lists the route, polled every 10 ms from
// inside tsbgpd's namespace (bfd-poller.ts), and printed.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { Netns } from '../../src/fib/testing/netns.js';
import { Scope, type DaemonProcess, repoRoot, requireBinary, runCommand, waitFor } from './harness.js';
import { tsbgpdBin } from './tsbgpd.js';

const tsbgpdAddress = '10.98.0.1';
const frrAddress = '10.98.0.2';
const frrAs = 65002;
const tsbgpdAs = 64512;
const prefix = '10.200.0.0/24';
const apiTarget = '127.0.0.1:50051';
const frrDir = '/usr/lib/frr';
/** Issue 6: the figure BFD must beat. */
const failoverLimitMs = 1000;

type LogLine = Readonly<Record<string, unknown>> & { readonly msg: string };

const tsbgpdConfig = `[global.config]
  as = ${tsbgpdAs}
  router-id = "${tsbgpdAddress}"
  local-address-list = ["${tsbgpdAddress}"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "${frrAddress}"
    peer-as = ${frrAs}
  [neighbors.timers.config]
    connect-retry = 3
    idle-hold-time-after-reset = 1
  [neighbors.transport.config]
    local-address = "${tsbgpdAddress}"
  [neighbors.bfd.config]
    enabled = true
    desired-min-tx-interval-ms = 300
    required-min-rx-interval-ms = 300
    detect-multiplier = 3
`;

const bfddConfig = (log: string): string => `log file ${log} debugging
bfd
 profile fast
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 exit
exit
`;

// Hold time 90 s: only BFD can explain a failover in under a second.
const bgpdConfig = (log: string): string => `log file ${log} debugging
router bgp ${frrAs}
 bgp router-id ${frrAddress}
 no bgp ebgp-requires-policy
 no bgp network import-check
 timers bgp 30 90
 neighbor ${tsbgpdAddress} remote-as ${tsbgpdAs}
 neighbor ${tsbgpdAddress} timers connect 3
 neighbor ${tsbgpdAddress} bfd profile fast
 address-family ipv4 unicast
  network ${prefix}
 exit-address-family
exit
`;

interface FrrBfdPeer {
  readonly peer?: string;
  readonly status?: string;
  readonly 'receive-interval'?: number;
  readonly 'transmit-interval'?: number;
  readonly 'detect-multiplier'?: number;
  readonly 'remote-receive-interval'?: number;
  readonly 'remote-transmit-interval'?: number;
  readonly 'remote-detect-multiplier'?: number;
}

/** Stops the `ip -batch` cutter by its PID; it has normally exited already (ESRCH). */
function killCutter(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** tsbgpd in `ns` with `config`, its JSON log lines collected into `log`, the rest into `other`. */
async function startTsbgpd(scope: Scope, ns: Netns, config: string, log: LogLine[], other: string[]): Promise<DaemonProcess> {
  const configPath = scope.path('tsbgpd.toml');
  await writeFile(configPath, config);
  const proc = scope.spawn('tsbgpd', {
    command: 'ip',
    args: ['netns', 'exec', ns.name, process.execPath, tsbgpdBin, '-f', configPath, '--log-format', 'json', '--log-level', 'debug', '--api-hosts', apiTarget],
    cwd: repoRoot,
  });
  proc.onLine((line) => {
    if (!line.startsWith('{')) {
      if (line.trim() !== '') other.push(line);
      return;
    }
    try {
      log.push(JSON.parse(line) as LogLine);
    } catch {
      other.push(line);
    }
  });
  return proc;
}

/** What one failover measurement saw. */
interface Failover {
  readonly failoverMs: number;
  readonly text: string;
  /** tsbgpd's log lines after the cut: its BFD Down and its session reset. */
  readonly down: LogLine | undefined;
  readonly reset: LogLine | undefined;
}

/**
 * Cuts the node's end of the link and times the route's exit from tsbgpd's RIB (API
 * polled in tsbgpd's namespace). Waits first for the route and BFD Up right before the
 * cut, so a flap caused by host load is not measured as the failover.
 */
async function measureFailover(o: {
  readonly scope: Scope;
  readonly tsbgpdNs: Netns;
  readonly nodeNs: Netns;
  readonly nodeIfname: string;
  readonly nodeAddress: string;
  readonly prefix: string;
  readonly log: readonly LogLine[];
  readonly onCutter: (pid: number | undefined) => void;
}): Promise<Failover> {
  const { scope, log } = o;
  const poller = scope.spawn(`poller-${o.nodeAddress}`, {
    command: 'ip',
    args: ['netns', 'exec', o.tsbgpdNs.name, process.execPath, `${repoRoot}dist/test/interop/bfd-poller.js`, apiTarget, o.prefix, '30000'],
  });
  const states: { isPresent: boolean; atMs: number }[] = [];
  poller.onLine((line) => {
    if (line.startsWith('{"prefix"')) states.push(JSON.parse(line) as { isPresent: boolean; atMs: number });
  });
  await waitFor(() => states.find((s) => s.isPresent), { timeoutMs: 10_000, intervalMs: 20, what: 'the API lists the route', scope });
  // The cut is one line to an `ip -batch` already running in the node's namespace: no
  // process start (slow on a loaded host) between the time taken and the cut itself.
  // `ip -ts monitor` in tsbgpd's namespace sees the carrier go, as a cross-check.
  const monitor = scope.spawn(`monitor-${o.nodeAddress}`, { command: 'ip', args: ['-n', o.tsbgpdNs.name, '-ts', 'monitor', 'link'] });
  const carrierLost: number[] = [];
  monitor.onLine((line) => {
    const m = /^\[(\d{4}-\d\d-\d\dT[\d:.]+)\].*NO-CARRIER/.exec(line);
    if (m !== null) carrierLost.push(Date.parse(`${m[1]!.slice(0, 23)}Z`));
  });
  const cutter = spawn('ip', ['-n', o.nodeNs.name, '-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
  o.onCutter(cutter.pid);
  await new Promise((resolve) => setTimeout(resolve, 500));
  // On a starved host a BFD session at 300 ms x 3 can flap before the cut (the peer's
  // packets late by a detection time): then the route is back only after BGP is.
  const isBfdUp = (): boolean => log.filter((e) => e.msg === 'bfd state' && e['peer'] === o.nodeAddress).at(-1)?.['to'] === 'Up';
  const flapsBefore = log.filter((e) => e.msg === 'bfd down, resetting session' && e['peer'] === o.nodeAddress).length;
  if (flapsBefore > 0) process.stdout.write(`# bfd: ${flapsBefore} BFD Down before the cut (host load), waiting for the route again\n`);
  await waitFor(() => states[states.length - 1]?.isPresent === true && isBfdUp(), { timeoutMs: 40_000, intervalMs: 20, what: 'the route listed right before the cut', scope });
  const logFrom = log.length;

  const cutAtMs = Date.now();
  cutter.stdin!.write(`link set dev ${o.nodeIfname} down\n`);
  cutter.stdin!.end();
  const gone = await waitFor(() => states.find((s) => !s.isPresent && s.atMs >= cutAtMs), { timeoutMs: 10_000, intervalMs: 5, what: 'the route to leave the RIB', scope });
  const carrierMs = carrierLost.length > 0 ? String(carrierLost[0]! - cutAtMs) : '?';
  const failoverMs = gone.atMs - cutAtMs;
  // tsbgpd writes a turn's log lines when the turn ends, after the API has answered in
  // it: give its lines of the cut a moment to arrive (bounded; their absence is asserted).
  const isLogged = (msg: string): boolean => log.slice(logFrom).some((l) => l.msg === msg && l['peer'] === o.nodeAddress);
  for (let waited = 0; waited < 2000 && !(isLogged('bfd state') && isLogged('peer routes dropped')); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  const after = log.slice(logFrom);
  // The daemon's own times (same host clock): BFD's verdict and the RIB's drop.
  const sinceCut = (msg: string): string => {
    const e = after.find((l) => l.msg === msg && l['peer'] === o.nodeAddress);
    return e === undefined ? '?' : String(Date.parse(String(e['time'])) - cutAtMs);
  };
  const text =
    `route gone from tsbgpd's API ${failoverMs} ms after the link cut (limit ${failoverLimitMs} ms; BFD 300 ms x 3, hold time 90 s); ` +
    `carrier lost (ip monitor) at ${carrierMs} ms; daemon log: bfd Down at ${sinceCut('bfd down, resetting session')} ms, routes dropped at ${sinceCut('peer routes dropped')} ms`;
  return {
    failoverMs,
    text,
    down: after.find((e) => e.msg === 'bfd state' && e['peer'] === o.nodeAddress && e['to'] === 'Down'),
    reset: after.find((e) => e.msg === 'session state' && e['peer'] === o.nodeAddress && e['from'] === 'Established'),
  };
}

describe('BFD with FRR bfdd in network namespaces', () => {
  let scope: Scope | undefined;
  let tsbgpdNs: Netns | undefined;
  let frrNs: Netns | undefined;
  let tsbgpd: DaemonProcess | undefined;
  const log: LogLine[] = [];
  const otherLines: string[] = [];
  let vtyDir = '';
  /** The `ip -batch` that cuts the link; it exits when its input ends, killed in `after` if not. */
  let cutterPid: number | undefined;

  const vtysh = (commands: readonly string[]): Promise<string> => runCommand(requireBinary('vtysh'), ['--vty_socket', vtyDir, ...commands.flatMap((c) => ['-c', c])]);
  const failFast = (): string | undefined => (tsbgpd !== undefined && !tsbgpd.isRunning ? `tsbgpd exited (${String(tsbgpd.exitStatus)}) ${otherLines.slice(-10).join('\n')}` : undefined);
  const waitLog = (what: string, match: (e: LogLine) => boolean, timeoutMs: number): Promise<LogLine> =>
    waitFor(() => log.find(match), { timeoutMs, intervalMs: 20, what, scope, failFast });

  before(async () => {
    scope = await Scope.create('bfd');
    tsbgpdNs = Netns.create('bfd-t');
    frrNs = Netns.create('bfd-f');
    // Both ends made in their namespaces: nothing appears in the root namespace.
    execFileSync('ip', ['link', 'add', 'name', 't0', 'netns', tsbgpdNs.name, 'type', 'veth', 'peer', 'name', 'f0', 'netns', frrNs.name]);
    tsbgpdNs.ip('addr', 'add', `${tsbgpdAddress}/24`, 'dev', 't0');
    frrNs.ip('addr', 'add', `${frrAddress}/24`, 'dev', 'f0');
    tsbgpdNs.ip('link', 'set', 't0', 'up');
    frrNs.ip('link', 'set', 'f0', 'up');

    // zebra and bfdd run as the frr user (zebra refuses root): they need to reach their files.
    vtyDir = scope.path('frr');
    await mkdir(vtyDir);
    await chmod(scope.dir, 0o711);
    await chmod(vtyDir, 0o777);
    const file = async (name: string, text: string): Promise<string> => {
      const path = `${vtyDir}/${name}`;
      await writeFile(path, text);
      await chmod(path, 0o644);
      return path;
    };
    const zserv = `${vtyDir}/zserv.api`;
    const common = (name: string): string[] => ['-i', `${vtyDir}/${name}.pid`, '--vty_socket', vtyDir, '-z', zserv];
    const inFrrNs = (name: string, args: readonly string[]): DaemonProcess => scope!.spawn(name, { command: 'ip', args: ['netns', 'exec', frrNs!.name, `${frrDir}/${name}`, ...args] });
    inFrrNs('zebra', ['-f', await file('zebra.conf', `log file ${vtyDir}/zebra.log\n`), '-u', 'frr', '-g', 'frr', ...common('zebra')]);
    await waitFor(() => vtysh(['show version']).then(() => true), { timeoutMs: 10_000, what: 'zebra vty', scope });
    inFrrNs('bfdd', ['-f', await file('bfdd.conf', bfddConfig(`${vtyDir}/bfdd.log`)), '-u', 'frr', '-g', 'frr', '--bfdctl', `${vtyDir}/bfdd.sock`, ...common('bfdd')]);
    // bgpd as root (-S), as test/interop/frr.ts runs it.
    inFrrNs('bgpd', ['-f', await file('bgpd.conf', bgpdConfig(`${vtyDir}/bgpd.log`)), '-S', ...common('bgpd')]);

    tsbgpd = await startTsbgpd(scope, tsbgpdNs, tsbgpdConfig, log, otherLines);
    await waitLog('tsbgpd started', (e) => e.msg === 'tsbgpd started', 15_000);
  });

  after(async () => {
    try {
      killCutter(cutterPid);
      await scope?.cleanup();
    } finally {
      tsbgpdNs?.delete();
      frrNs?.delete();
    }
  });

  it('BGP and BFD come Up with 300 ms x 3 on both sides; FRR announces a route', async () => {
    await waitLog('session Established', (e) => e.msg === 'session state' && e['peer'] === frrAddress && e['to'] === 'Established', 40_000);
    await waitLog('bfd state Up', (e) => e.msg === 'bfd state' && e['peer'] === frrAddress && e['to'] === 'Up', 15_000);
    const peer = await waitFor(
      async () => {
        const peers = JSON.parse(await vtysh(['show bfd peers json'])) as FrrBfdPeer[];
        return peers.find((p) => p.peer === tsbgpdAddress && p.status === 'up');
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'FRR bfdd: peer up', scope },
    );
    // FRR's view of both ends' timers: what tsbgpd sent is what it was told to use.
    assert.deepEqual(
      [peer['receive-interval'], peer['transmit-interval'], peer['detect-multiplier'], peer['remote-receive-interval'], peer['remote-transmit-interval'], peer['remote-detect-multiplier']],
      [300, 300, 3, 300, 300, 3],
    );
    await waitLog('route received', (e) => e.msg === 'route received' && e['prefix'] === prefix, 15_000);
  });

  it(`cutting FRR's link removes its route from tsbgpd's RIB in under ${failoverLimitMs} ms`, async () => {
    const m = await measureFailover({ scope: scope!, tsbgpdNs: tsbgpdNs!, nodeNs: frrNs!, nodeIfname: 'f0', nodeAddress: frrAddress, prefix, log, onCutter: (pid) => (cutterPid = pid) });
    process.stdout.write(`# bfd failover (FRR): ${m.text}\n`);
    assert.deepEqual([m.down?.['peer'], m.down?.['from'], m.down?.['diag']], [frrAddress, 'Up', 'control-detection-time-expired']);
    assert.match(String(m.reset?.['reason']), /BFD down/);
    assert.ok(m.failoverMs < failoverLimitMs, `failover took ${m.failoverMs} ms`);
  });
});

const speakerAddress = '10.98.0.3';
const speakerAs = 64522;
const servicePrefix = '10.201.0.1/32';

const speakerRouterConfig = `[global.config]
  as = ${tsbgpdAs}
  router-id = "${tsbgpdAddress}"
  local-address-list = ["${tsbgpdAddress}"]
[[peer-groups]]
  [peer-groups.config]
    peer-group-name = "k8s"
    peer-as = ${speakerAs}
  [peer-groups.bfd.config]
    enabled = true
    desired-min-tx-interval-ms = 300
    required-min-rx-interval-ms = 300
    detect-multiplier = 3
[[dynamic-neighbors]]
  [dynamic-neighbors.config]
    prefix = "10.98.0.0/24"
    peer-group = "k8s"
`;

/** The node's MetalLB resources: a BFDProfile of 300 ms x 3 on the BGPPeer, one Service with its address. */
const speakerResources = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: pool, namespace: metallb-system }
spec: { addresses: [10.201.0.0/24] }
---
apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata: { name: fast, namespace: metallb-system }
spec: { receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3 }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: router, namespace: metallb-system }
spec: { myASN: ${speakerAs}, peerASN: ${tsbgpdAs}, peerAddress: ${tsbgpdAddress}, sourceAddress: ${speakerAddress}, holdTime: 90s, bfdProfile: fast }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: all, namespace: metallb-system }
spec: { ipAddressPools: [pool] }
---
apiVersion: v1
kind: Node
metadata: { name: node-a, labels: { kubernetes.io/hostname: node-a } }
status: { addresses: [{ type: InternalIP, address: ${speakerAddress} }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec: { type: LoadBalancer, ports: [{ port: 80 }] }
status: { loadBalancer: { ingress: [{ ip: ${servicePrefix.split('/')[0]} }] } }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-1, namespace: default, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
endpoints: [{ addresses: [10.244.0.2], nodeName: node-a }]
`;

describe('BFD with tsbgp speaker (MetalLB BFDProfile) in network namespaces', () => {
  let scope: Scope | undefined;
  let tsbgpdNs: Netns | undefined;
  let nodeNs: Netns | undefined;
  let tsbgpd: DaemonProcess | undefined;
  const log: LogLine[] = [];
  const otherLines: string[] = [];
  const speakerLog: string[] = [];
  let cutterPid: number | undefined;
  const failFast = (): string | undefined => (tsbgpd !== undefined && !tsbgpd.isRunning ? `tsbgpd exited (${String(tsbgpd.exitStatus)}) ${otherLines.slice(-10).join('\n')}` : undefined);

  before(async () => {
    scope = await Scope.create('bfd-speaker');
    tsbgpdNs = Netns.create('bfd-r');
    nodeNs = Netns.create('bfd-n');
    execFileSync('ip', ['link', 'add', 'name', 'r0', 'netns', tsbgpdNs.name, 'type', 'veth', 'peer', 'name', 'n0', 'netns', nodeNs.name]);
    tsbgpdNs.ip('addr', 'add', `${tsbgpdAddress}/24`, 'dev', 'r0');
    nodeNs.ip('addr', 'add', `${speakerAddress}/24`, 'dev', 'n0');
    tsbgpdNs.ip('link', 'set', 'r0', 'up');
    nodeNs.ip('link', 'set', 'n0', 'up');
    tsbgpd = await startTsbgpd(scope, tsbgpdNs, speakerRouterConfig, log, otherLines);
    await waitFor(() => log.find((e) => e.msg === 'tsbgpd started'), { timeoutMs: 15_000, intervalMs: 20, what: 'tsbgpd started', scope, failFast });
    const dir = scope.path('metallb');
    await mkdir(dir);
    await writeFile(`${dir}/resources.yaml`, speakerResources);
    const speaker = scope.spawn('speaker', {
      command: 'ip',
      args: ['netns', 'exec', nodeNs.name, process.execPath, `${repoRoot}bin/tsbgp.js`, 'speaker', '--node', 'node-a', '--config', dir, '--log-format', 'json'],
      cwd: repoRoot,
    });
    speaker.onLine((line) => speakerLog.push(line));
  });

  after(async () => {
    try {
      killCutter(cutterPid);
      await scope?.cleanup();
    } finally {
      tsbgpdNs?.delete();
      nodeNs?.delete();
    }
  });

  it('the speaker brings BGP and BFD Up with the profile; tsbgpd receives the Service address', async () => {
    const waitLog = (what: string, match: (e: LogLine) => boolean): Promise<LogLine> =>
      waitFor(() => log.find(match), { timeoutMs: 40_000, intervalMs: 20, what: `${what} (speaker said: ${speakerLog.slice(-5).join(' | ')})`, scope, failFast });
    await waitLog('session Established', (e) => e.msg === 'session state' && e['peer'] === speakerAddress && e['to'] === 'Established');
    await waitLog('bfd state Up', (e) => e.msg === 'bfd state' && e['peer'] === speakerAddress && e['to'] === 'Up');
    await waitLog('route received', (e) => e.msg === 'route received' && e['prefix'] === servicePrefix);
    assert.ok(speakerLog.some((l) => l.includes('"bfd state"') && l.includes('"to":"Up"')), 'the speaker logs its BFD session Up');
  });

  it(`cutting the node's link removes its route from tsbgpd's RIB in under ${failoverLimitMs} ms`, async () => {
    const m = await measureFailover({ scope: scope!, tsbgpdNs: tsbgpdNs!, nodeNs: nodeNs!, nodeIfname: 'n0', nodeAddress: speakerAddress, prefix: servicePrefix, log, onCutter: (pid) => (cutterPid = pid) });
    process.stdout.write(`# bfd failover (tsbgp speaker): ${m.text}\n`);
    assert.deepEqual([m.down?.['peer'], m.down?.['from'], m.down?.['diag']], [speakerAddress, 'Up', 'control-detection-time-expired']);
    assert.match(String(m.reset?.['reason']), /BFD down/);
    assert.ok(m.failoverMs < failoverLimitMs, `failover took ${m.failoverMs} ms`);
  });
});
