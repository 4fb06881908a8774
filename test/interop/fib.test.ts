// The scenario's router with its FIB, in namespaces made for this run (root needed): rt
// holds tsbgpd (zebra.config.enabled, dynamic neighbors 172.17.0.0/24, multipath) on
// 172.17.0.1/24; nodes holds 172.17.0.21-23 on one veth end and three tsbgpd speakers
// announcing 172.17.254.1/32. Checked in rt's kernel table with `ip -j route`: one route,
// proto bgp, metric 20, a next hop per speaker; withdrawals; an unreachable next hop held
// back until an address makes it reachable; a restart (-r) sampled continuously, the
// route never missing, a speaker gone meanwhile swept after the others' End-of-RIB; and
// shutdown removing the route. The 172.17 addresses exist only in these namespaces.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { Netns } from '../../src/fib/testing/netns.js';
import { Scope, waitFor, waitExit, holdsFor, delay, type DaemonProcess } from './harness.js';
import { tsbgpdBin } from './tsbgpd.js';

const service = '172.17.254.1';
const nodeAddresses = ['172.17.0.21', '172.17.0.22', '172.17.0.23'] as const;
const unreachableNextHop = '172.17.9.9';
const routeMs = 20_000;
/** The restart: the speakers reconnect within a few seconds (idle hold 1 s, doubled per failure). */
const restartMs = 40_000;

/** One line of tsbgpd's JSON log, with the time this process read it. */
type LogLine = Readonly<Record<string, unknown>> & { readonly msg: string; readonly readAtMs: number };

/** A tsbgpd process inside a namespace (`ip netns exec` execs node: the PID is node's). */
class NsTsbgpd {
  readonly log: LogLine[] = [];
  readonly otherLines: string[] = [];
  proc: DaemonProcess | undefined;
  private runs = 0;

  constructor(
    private readonly scope: Scope,
    private readonly ns: Netns,
    readonly name: string,
    private config: string,
  ) {}

  private get configPath(): string {
    return this.scope.path(`${this.name}.toml`);
  }

  /** Starts it; `prefix` goes before node (e.g. setpriv to drop a capability). */
  async start(extraArgs: readonly string[] = [], prefix: readonly string[] = []): Promise<void> {
    await writeFile(this.configPath, this.config);
    const from = this.log.length;
    const args = ['netns', 'exec', this.ns.name, ...prefix, process.execPath, tsbgpdBin, '-f', this.configPath, '--log-format', 'json', '--log-level', 'debug', '--no-api', ...extraArgs];
    const proc = this.scope.spawn(`${this.name}-${++this.runs}`, { command: 'ip', args });
    this.proc = proc;
    proc.onLine((line) => {
      if (!line.startsWith('{')) {
        if (line.trim() !== '') this.otherLines.push(line);
        return;
      }
      try {
        this.log.push({ ...(JSON.parse(line) as Record<string, unknown>), readAtMs: Date.now() } as LogLine);
      } catch {
        this.otherLines.push(line);
      }
    });
    await this.waitForLog('tsbgpd started', () => true, 15_000, from);
  }

  waitForLog(msg: string, match: (e: LogLine) => boolean, timeoutMs: number, from = 0): Promise<LogLine> {
    return waitFor(() => this.log.slice(from).find((e) => e.msg === msg && match(e)), {
      timeoutMs,
      intervalMs: 50,
      what: `${this.name} log line "${msg}"`,
      scope: this.scope,
      failFast: () => (this.proc !== undefined && !this.proc.isRunning ? `${this.name} exited (${String(this.proc.exitStatus)}) ${this.otherLines.slice(-10).join('\n')}` : undefined),
    });
  }

  /** Rewrites the configuration and sends SIGHUP; resolves on `config reloaded`. */
  async reload(config: string): Promise<void> {
    this.config = config;
    await writeFile(this.configPath, config);
    const from = this.log.length;
    this.proc!.signal('SIGHUP');
    await this.waitForLog('config reloaded', () => true, 10_000, from);
  }

  /** SIGTERM by PID, bounded wait for the exit. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || !proc.isRunning) return;
    proc.signal('SIGTERM');
    if (!(await waitExit(proc, 10_000))) {
      await proc.kill(0);
      throw new Error(`${this.name} did not exit within 10 s of SIGTERM`);
    }
  }
}

function routerConfig(): string {
  return `[global.config]
  as = 64512
  router-id = "172.17.0.1"
  local-address-list = ["172.17.0.1"]
[global.use-multiple-paths.config]
  enabled = true
[[peer-groups]]
  [peer-groups.config]
    peer-group-name = "k8s"
    peer-as = 64522
[[dynamic-neighbors]]
  [dynamic-neighbors.config]
    prefix = "172.17.0.0/24"
    peer-group = "k8s"
[zebra.config]
  enabled = true
  sweep-delay = 60
`;
}

function speakerConfig(address: string, originate: { readonly nextHop?: string } | undefined): string {
  const route = originate === undefined ? '' : `[[originate]]\n  prefix = "${service}/32"\n  origin = "incomplete"\n${originate.nextHop === undefined ? '' : `  next-hop = "${originate.nextHop}"\n`}`;
  return `[global.config]
  as = 64522
  router-id = "${address}"
  port = -1
[[neighbors]]
  [neighbors.config]
    neighbor-address = "172.17.0.1"
    peer-as = 64512
  [neighbors.timers.config]
    connect-retry = 1
    idle-hold-time-after-reset = 1
  [neighbors.transport.config]
    local-address = "${address}"
${route}`;
}

/** The service route in rt's table as `ip -j route` shows it, next hops sorted; undefined when absent. */
interface KernelView {
  readonly protocol: string;
  readonly metric: number;
  readonly hops: readonly { readonly gateway: string; readonly dev: string; readonly weight: number }[];
}

interface IpRoute {
  readonly protocol?: string;
  readonly metric?: number;
  readonly gateway?: string;
  readonly dev?: string;
  readonly nexthops?: readonly { readonly gateway: string; readonly dev: string; readonly weight: number }[];
}

function toView(routes: readonly IpRoute[]): KernelView | undefined {
  assert.ok(routes.length <= 1, `at most one route for ${service}: ${JSON.stringify(routes)}`);
  const r = routes[0];
  if (r === undefined) return undefined;
  const hops = r.nexthops ?? (r.gateway === undefined ? [] : [{ gateway: r.gateway, dev: r.dev ?? '', weight: 1 }]);
  return { protocol: r.protocol ?? '', metric: r.metric ?? 0, hops: [...hops].sort((a, b) => a.gateway.localeCompare(b.gateway)) };
}

const gateways = (v: KernelView | undefined): string[] => v?.hops.map((h) => h.gateway) ?? [];

describe('tsbgpd installs the scenario route into the kernel (namespaces, real speakers)', () => {
  let scope: Scope;
  let rt: Netns | undefined;
  let nodes: Netns | undefined;
  let router: NsTsbgpd;
  let speakers: NsTsbgpd[] = [];
  const figures: string[] = [];

  const kernelRoute = (): KernelView | undefined => toView(rt!.ipJson<IpRoute[]>('route', 'show', service));
  const waitRoute = (check: (v: KernelView | undefined) => boolean, what: string, timeoutMs = routeMs): Promise<KernelView | undefined> =>
    waitFor(
      () => {
        const v = kernelRoute();
        return check(v) ? { v } : undefined;
      },
      { timeoutMs, intervalMs: 20, what: `rt's kernel: ${what}`, scope },
    ).then((x) => x.v);
  const hasHops = (expected: readonly string[]) => (v: KernelView | undefined) => JSON.stringify(gateways(v)) === JSON.stringify([...expected].sort());

  before(async () => {
    scope = await Scope.create('fib-netns');
    rt = Netns.create('rt');
    nodes = Netns.create('nodes');
    // Both ends made in their namespaces: nothing appears in the root namespace.
    execFileSync('ip', ['link', 'add', 'name', 'rt0', 'netns', rt.name, 'type', 'veth', 'peer', 'name', 'n0', 'netns', nodes.name]);
    // A new namespace starts from the kernel's defaults, not from the host's sysctls.
    execFileSync('ip', ['netns', 'exec', rt.name, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv4.fib_multipath_hash_policy=1', 'net.ipv4.conf.all.rp_filter=0']);
    execFileSync('ip', ['netns', 'exec', nodes.name, 'sysctl', '-q', '-w', 'net.ipv4.conf.all.rp_filter=0']);
    rt.ip('addr', 'add', '172.17.0.1/24', 'dev', 'rt0');
    rt.ip('link', 'set', 'rt0', 'up');
    for (const a of nodeAddresses) nodes.ip('addr', 'add', `${a}/24`, 'dev', 'n0');
    nodes.ip('link', 'set', 'n0', 'up');

    router = new NsTsbgpd(scope, rt, 'router', routerConfig());
    speakers = nodeAddresses.map((a) => new NsTsbgpd(scope, nodes!, `speaker-${a}`, speakerConfig(a, {})));
    // -r: this run ends in a restart, its routes stay in the kernel for the next one.
    await router.start(['-r']);
  });

  after(async () => {
    try {
      await scope?.cleanup();
    } finally {
      rt?.delete();
      nodes?.delete();
      if (figures.length > 0) process.stdout.write(`# fib figures: ${figures.join('; ')}\n`);
    }
  });

  it('a) three speakers give one kernel route: proto bgp, metric 20, exactly their three next hops, weight 1', async () => {
    const fibStarted = await router.waitForLog('fib started', () => true, 1000);
    assert.equal(fibStarted['state'], 'running');
    assert.equal(fibStarted['table'], 254);
    const startedAt = Date.now();
    await Promise.all(speakers.map((s) => s.start()));
    const v = await waitRoute(hasHops(nodeAddresses), 'three next hops');
    figures.push(`speakers started -> 3-hop kernel route ${Date.now() - startedAt} ms`);
    assert.equal(v!.protocol, 'bgp');
    assert.equal(v!.metric, 20);
    assert.deepEqual(v!.hops.map((h) => [h.gateway, h.dev, h.weight]), nodeAddresses.map((a) => [a, 'rt0', 1]));
  });

  it('b) a withdrawal leaves two next hops; the route comes back with the announcement (UPDATE to kernel timed)', async () => {
    await speakers[0]!.reload(speakerConfig(nodeAddresses[0], undefined));
    await waitRoute(hasHops([nodeAddresses[1], nodeAddresses[2]]), 'two next hops after .21 withdrew');
    // The kernel's own notifications, timestamped (UTC, as tsbgpd's log), time the install.
    const changes: number[] = [];
    const monitor = scope.spawn('monitor', { command: 'ip', args: ['-n', rt!.name, '-ts', 'monitor', 'route'], env: { ...process.env, TZ: 'UTC' } });
    monitor.onLine((line) => {
      const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})\d*\] (\S+) /.exec(line);
      if (m !== null && m[2] === service) changes.push(Date.parse(`${m[1]}Z`));
    });
    try {
      await delay(300);
      const from = router.log.length;
      await speakers[0]!.reload(speakerConfig(nodeAddresses[0], {}));
      const received = await router.waitForLog('route received', (e) => e['prefix'] === `${service}/32` && e['nextHop'] === nodeAddresses[0], routeMs, from);
      await waitRoute(hasHops(nodeAddresses), 'three next hops again');
      const receivedMs = Date.parse(String(received['time']));
      const installedMs = await waitFor(() => changes.find((t) => t >= receivedMs), { timeoutMs: 2000, intervalMs: 20, what: 'the kernel notification of the new route', scope });
      figures.push(`UPDATE logged by tsbgpd -> kernel route replaced ${installedMs - receivedMs} ms`);
    } finally {
      await monitor.kill();
    }
    assert.equal(kernelRoute()!.metric, 20);
  });

  it('c) restart with -r: the route stays the whole time; a speaker gone meanwhile is swept after the others End-of-RIB', async () => {
    // Sampled by a loop of its own inside rt (bounded: 3000 rounds of ip + 20 ms), so
    // the test process's own work does not open gaps between samples.
    const samples: { readonly atMs: number; readonly hops: string }[] = [];
    const loop = `for ((i = 0; i < 3000; i++)); do printf '%s ' "$EPOCHREALTIME"; ip -j route show ${service}; sleep 0.02; done`;
    const sampler = scope.spawn('sampler', { command: 'ip', args: ['netns', 'exec', rt!.name, 'bash', '-c', loop] });
    sampler.onLine((line, stream) => {
      const m = stream === 'stdout' ? /^(\d+\.\d+) (.*)$/.exec(line) : null;
      if (m !== null) samples.push({ atMs: Math.round(Number(m[1]) * 1000), hops: gateways(toView(m[2]!.trim() === '' ? [] : (JSON.parse(m[2]!) as IpRoute[]))).join(',') });
    });
    await waitFor(() => samples.length > 0, { timeoutMs: 5000, intervalMs: 20, what: 'the first sample', scope });
    try {
      const downAt = Date.now();
      await router.stop();
      assert.deepEqual(gateways(kernelRoute()), [...nodeAddresses], 'kept at shutdown (-r)');
      // While the router is down: .22 leaves for good, it can tell nobody.
      await speakers[1]!.stop();
      const from = router.log.length;
      await router.start();
      const adopted = await router.waitForLog('fib started', () => true, 5000, from);
      assert.equal(adopted['adopted'], 1);
      const swept = await router.waitForLog('fib adopted routes swept', () => true, restartMs, from);
      assert.equal(swept['reason'], 'end-of-rib');
      await waitRoute(hasHops([nodeAddresses[0], nodeAddresses[2]]), '.21 and .23 after the sweep', 5000);
      figures.push(`restart: router stopped -> adopted routes swept ${swept.readAtMs - downAt} ms`);
      for (const s of [speakers[0]!, speakers[2]!]) {
        const eor = router.log.slice(from).find((e) => e.msg === 'end of rib' && String(e['peer']).startsWith(s.name.replace('speaker-', '')));
        assert.ok(eor !== undefined && eor.readAtMs <= swept.readAtMs, `${s.name}'s End-of-RIB came before the sweep`);
      }
      // A few more samples after the sweep.
      const n = samples.length;
      await waitFor(() => samples.length >= n + 5, { timeoutMs: 5000, intervalMs: 20, what: 'samples after the sweep', scope });
    } finally {
      await sampler.kill();
    }
    assert.ok(samples.length >= 20, `enough samples (${samples.length})`);
    const missing = samples.filter((s) => s.hops === '');
    assert.equal(missing.length, 0, `the route was missing in ${missing.length} of ${samples.length} samples`);
    // Never shrunk before the sweep, never to one next hop: the three until the sweep, then the two.
    const sets = samples.map((s) => s.hops).filter((h, i, all) => i === 0 || all[i - 1] !== h);
    assert.deepEqual(sets, [nodeAddresses.join(','), `${nodeAddresses[0]},${nodeAddresses[2]}`]);
    const gaps = samples.slice(1).map((s, i) => s.atMs - samples[i]!.atMs);
    figures.push(`restart sampled ${samples.length} times, largest gap ${Math.max(...gaps)} ms, route never missing`);
    // The loop aims at 20 ms plus one `ip`; a second without a sample could hide a blink.
    assert.ok(Math.max(...gaps) < 1000, `samples at most 1 s apart (largest gap ${Math.max(...gaps)} ms)`);
  });

  it('d) withdrawing all removes the route', async () => {
    await Promise.all([speakers[0]!, speakers[2]!].map((s) => s.reload(speakerConfig(s.name.replace('speaker-', ''), undefined))));
    await waitRoute((v) => v === undefined, 'no route once every speaker withdrew');
  });

  it('e) an unreachable next hop keeps the route out of the kernel until an address makes it reachable', async () => {
    const from = router.log.length;
    await speakers[2]!.reload(speakerConfig(nodeAddresses[2], { nextHop: unreachableNextHop }));
    await router.waitForLog('route received', (e) => e['nextHop'] === unreachableNextHop, routeMs, from);
    const held = await router.waitForLog('fib next hop unresolved, its routes are held back', (e) => e['nextHop'] === unreachableNextHop, 5000, from);
    assert.equal(held['reason'], 'no-route');
    await holdsFor(() => (kernelRoute() === undefined ? undefined : `the route is in the kernel: ${JSON.stringify(kernelRoute())}`), { durationMs: 1000, intervalMs: 100, scope });
    rt!.ip('addr', 'add', '172.17.9.1/24', 'dev', 'rt0');
    const v = await waitRoute(hasHops([unreachableNextHop]), `installed via ${unreachableNextHop} once 172.17.9.0/24 is connected`, 5000);
    assert.equal(v!.hops[0]!.dev, 'rt0');
    assert.equal(v!.protocol, 'bgp');
    await router.waitForLog('fib next hop resolved', (e) => e['nextHop'] === unreachableNextHop, 5000, from);
  });

  it('f) shutdown without -r or keep-routes-on-shutdown removes our route', async () => {
    assert.notEqual(kernelRoute(), undefined);
    await router.stop();
    assert.equal(kernelRoute(), undefined);
    const last = router.log.at(-1);
    assert.equal(last?.msg, 'tsbgpd stopped');
    assert.ok(router.log.some((e) => e.msg === 'fib stopped, routes removed' && e['routes'] === 1));
  });

  it('g) without CAP_NET_ADMIN: one clear error, BGP runs on, nothing is installed', async () => {
    const from = router.log.length;
    await router.start([], ['setpriv', '--bounding-set=-net_admin', '--inh-caps=-net_admin']);
    const error = await router.waitForLog('fib cannot write the kernel table; routes are tracked but not installed', () => true, 1000, from);
    assert.equal(error['level'], 'error');
    assert.match(String(error['reason']), /CAP_NET_ADMIN/);
    assert.equal(router.log.slice(from).filter((e) => e['level'] === 'error').length, 1, 'one error line');
    await speakers[0]!.reload(speakerConfig(nodeAddresses[0], {}));
    await router.waitForLog('route received', (e) => e['prefix'] === `${service}/32` && e['nextHop'] === nodeAddresses[0], routeMs, from);
    await holdsFor(() => (kernelRoute() === undefined ? undefined : `a route was installed: ${JSON.stringify(kernelRoute())}`), { durationMs: 1000, intervalMs: 100, scope });
    await router.stop();
    assert.equal(router.proc?.exitStatus, 0);
  });
});
