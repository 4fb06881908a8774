// The lab end to end, as a user runs it (root): `tsbgp lab up` with a run id of its own,
// the client check, every drill, `lab down` after the run's state file was lost (as after
// a crash), and then nothing of the run left: no namespace, no process, no file.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAlive } from './system.js';

const tsbgp = fileURLToPath(new URL('../../../bin/tsbgp.js', import.meta.url));
const runId = `t${process.pid.toString(36)}`;
const runDir = `/run/tsbgp-lab/${runId}`;
const nodeHops = ['172.17.0.21', '172.17.0.22', '172.17.0.23'];

interface Ran {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `tsbgp ARGS --run-id ID`, bounded. */
function lab(args: readonly string[], timeoutMs = 120_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [tsbgp, 'lab', '--run-id', runId, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      resolve({ status: err === null ? 0 : typeof code === 'number' ? code : -1, stdout, stderr });
    });
  });
}

const ourNamespaces = (): string[] => (existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith(`tsbgp-${runId}-`)) : []);

function recordedPids(): number[] {
  try {
    return (JSON.parse(readFileSync(`${runDir}/state.json`, 'utf8')) as { processes: { pid: number }[] }).processes.map((p) => p.pid);
  } catch {
    return [];
  }
}

/** The drill's JSON line (its last line of output). */
function drillFigures(r: Ran): Record<string, unknown> {
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  assert.ok(last.startsWith('{'), `the drill ends with a JSON line; output:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(last) as Record<string, unknown>;
}

describe('tsbgp lab: the scenario in namespaces, its client check and drills', { timeout: 280_000 }, () => {
  const everyPid = new Set<number>();
  const figures: string[] = [];
  const remember = (): void => recordedPids().forEach((p) => everyPid.add(p));

  after(async () => {
    if (ourNamespaces().length > 0 || existsSync(runDir)) await lab(['down']);
    if (figures.length > 0) process.stdout.write(`# lab figures: ${figures.join('; ')}\n`);
  });

  it('up: the three routes in monitor adj-in, one kernel route with three next hops, every request answered, spread over the nodes', async () => {
    const r = await lab(['up', '--requests', '90'], 150_000);
    remember();
    assert.equal(r.status, 0, `lab up failed:\n${r.stdout}\n${r.stderr}`);
    for (const hop of nodeHops) {
      assert.match(r.stdout, new RegExp(`\\[ROUTE\\] 172\\.17\\.254\\.1/32 via ${hop.replaceAll('.', '\\.')} aspath \\[64522\\] attrs \\[\\{Origin: \\?\\}\\]`));
      assert.match(r.stdout, new RegExp(`nexthop via ${hop.replaceAll('.', '\\.')} dev eth2 weight 1`));
    }
    assert.match(r.stdout, /172\.17\.254\.1 proto bgp metric 20/);
    const spread = Object.fromEntries([...r.stdout.matchAll(/^ {2}(k8s-node-0\d|failed)\s+(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
    assert.equal(spread['failed'], 0, r.stdout);
    // 90 flows over three equal next hops: each node gets some (all on one node is (1/3)^89 unlikely).
    for (const n of ['k8s-node-01', 'k8s-node-02', 'k8s-node-03']) assert.ok((spread[n] ?? 0) > 0, `${n} answered none of the requests:\n${r.stdout}`);
    assert.equal(Object.values(spread).reduce((a, b) => a + b, 0), 90);
    figures.push(`spread ${['k8s-node-01', 'k8s-node-02', 'k8s-node-03'].map((n) => spread[n]).join('/')}`);
    assert.equal(ourNamespaces().length, 7);
  });

  it('status and exec', async () => {
    const s = await lab(['status']);
    assert.equal(s.status, 0, s.stdout + s.stderr);
    assert.match(s.stdout, /namespaces \(7 of 7\)/);
    assert.doesNotMatch(s.stdout, /GONE/);
    const e = await lab(['exec', 'client-01', '--', 'ip', '-o', 'addr', 'show', 'dev', 'enp0s8']);
    assert.equal(e.status, 0);
    const x = await lab(['exec', 'rt-01', '--', 'sh', '-c', 'exit 3']);
    assert.equal(x.status, 3, 'exec gives the command\'s exit status');
  });

  it('drill speaker-restart: the next hop leaves and comes back, nothing stale', async () => {
    const r = await lab(['drill', 'speaker-restart']);
    remember();
    const f = drillFigures(r);
    figures.push(`speaker-restart ${JSON.stringify(f)}`);
    assert.equal(f['drill'], 'speaker-restart');
    // Measured, not promised (a changed next-hop set rehashes open flows): a few at most.
    assert.ok((f['requests_lost'] as number) <= 3, `requests_lost ${String(f['requests_lost'])}`);
    assert.equal(f['stale'], false);
    assert.ok(typeof f['withdraw_ms'] === 'number' && f['withdraw_ms'] < 5000, `withdraw_ms ${String(f['withdraw_ms'])}`);
    assert.equal(f['ok'], true, r.stdout + r.stderr);
    assert.equal(r.status, 0);
  });

  it('drill service-change: endpoints move, the Service goes and comes back; the route follows each step', async () => {
    const r = await lab(['drill', 'service-change']);
    remember();
    const f = drillFigures(r);
    figures.push(`service-change ${JSON.stringify(f)}`);
    assert.equal(f['stale'], false, r.stdout);
    for (const step of ['step1_ms', 'step2_ms', 'step3_ms', 'step4_ms']) assert.equal(typeof f[step], 'number', `${step} reached:\n${r.stdout}`);
    assert.equal(f['ok'], true, r.stdout + r.stderr);
    assert.equal(r.status, 0);
  });

  it('drill router-restart: the kernel route never disappears and no request is lost', async () => {
    const r = await lab(['drill', 'router-restart']);
    remember();
    const f = drillFigures(r);
    figures.push(`router-restart ${JSON.stringify(f)}`);
    assert.equal(f['samples_missing'], 0);
    assert.equal(f['route_deletions'], 0);
    assert.equal(f['requests_lost'], 0);
    assert.ok((f['requests'] as number) > 20, `requests ran during the restart (${String(f['requests'])})`);
    assert.equal(f['ok'], true, r.stdout + r.stderr);
    assert.equal(r.status, 0);
  });

  it('drill node-down: the cut node leaves the kernel route within 1 s; later requests all succeed', async () => {
    const r = await lab(['drill', 'node-down']);
    remember();
    const f = drillFigures(r);
    figures.push(`node-down ${JSON.stringify(f)}`);
    assert.deepEqual(f['next_hops_after_failover'], nodeHops.slice(0, 2), r.stdout);
    assert.ok(typeof f['failover_ms'] === 'number' && f['failover_ms'] < 1000, `failover_ms ${String(f['failover_ms'])}:\n${r.stdout}`);
    assert.equal(f['requests_lost_after_failover'], 0);
    assert.equal(f['ok'], true, r.stdout + r.stderr);
    assert.equal(r.status, 0);
  });

  it('down after the state file is lost: every process, namespace and file of the run is gone', async () => {
    remember();
    assert.ok(everyPid.size >= 7, `processes recorded (${everyPid.size})`);
    // As after a crash: down must find the run's processes through its namespaces.
    rmSync(`${runDir}/state.json`, { force: true });
    const r = await lab(['down']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(ourNamespaces(), []);
    assert.equal(existsSync(runDir), false);
    const alive = [...everyPid].filter(isAlive);
    assert.deepEqual(alive, [], 'no process of the run is left');
    const again = await lab(['down']);
    assert.match(again.stdout, /nothing to remove/);
  });
});
