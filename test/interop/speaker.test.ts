// The scenario end to end with our own speaker: inside one network namespace made for
// this run (172.17.0.1 and the nodes' .21-.23 as /32 on its lo), `tsbgp controller --once`
// gives the nginx Service its address from MetalLB resource YAML, three `tsbgp speaker`
// processes (k8s-node-01..03, one BGPPeer each picked by nodeSelectors, sourceAddress the
// node's address) announce it, first to tsbgpd as the router (dynamic neighbors, multipath;
// checked through its API), then, the same speakers still running, to a real gobgpd
// (peer group + dynamic neighbors; checked with the stock `gobgp` CLI).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Netns } from '../../src/fib/testing/netns.js';
import { tsbgpdBin } from './tsbgpd.js';
import { Scope, repoRoot, requireBinary, runCommand, waitFor, waitExit, type DaemonProcess } from './harness.js';

const routerAddress = '172.17.0.1';
const nodes = [
  { name: 'k8s-node-01', address: '172.17.0.21' },
  { name: 'k8s-node-02', address: '172.17.0.22' },
  { name: 'k8s-node-03', address: '172.17.0.23' },
] as const;
const service = '172.17.254.1/32';
/** The API port inside the namespace (its own port space; tsbgpd serves it on the netns's 127.0.0.1). */
const apiPort = 50051;
const routeMs = 30_000;
/** The speakers reconnect after the router changes: idle hold 5 s, doubling per failure. */
const reconnectMs = 90_000;
const tsbgpBin = join(repoRoot, 'bin', 'tsbgp.js');

/** The resources a user would bring: the scenario's pool, peer and advertisement, nginx with 6 replicas. */
function resources(): Record<string, string> {
  const peers = nodes
    .map(
      (n) => `---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: rt-01-${n.name}, namespace: metallb-system }
spec:
  myASN: 64522
  peerASN: 64512
  peerAddress: ${routerAddress}
  holdTime: 90s
  sourceAddress: ${n.address}
  nodeSelectors:
    - matchLabels: { kubernetes.io/hostname: ${n.name} }
`,
    )
    .join('');
  const nodeDocs = nodes
    .map(
      (n) => `---
apiVersion: v1
kind: Node
metadata: { name: ${n.name}, labels: { kubernetes.io/hostname: ${n.name} } }
status:
  addresses: [{ type: InternalIP, address: ${n.address} }]
`,
    )
    .join('');
  const endpoints = nodes.flatMap((n, i) => [1, 2].map((k) => `  - { addresses: [10.244.${i + 1}.${k + 1}], conditions: { ready: true }, nodeName: ${n.name} }`)).join('\n');
  return {
    'metallb.yaml': `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lab-pool, namespace: metallb-system }
spec:
  addresses: [172.17.254.0/24]
  avoidBuggyIPs: true
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: lab, namespace: metallb-system }
spec:
  ipAddressPools: [lab-pool]
${peers}`,
    'nodes.yaml': nodeDocs,
    'nginx.yaml': `apiVersion: v1
kind: Service
metadata: { name: nginx, namespace: default }
spec:
  type: LoadBalancer
  selector: { app: nginx }
  ports: [{ name: http, port: 80, protocol: TCP, targetPort: 80 }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: nginx-x7k2p, namespace: default, labels: { kubernetes.io/service-name: nginx } }
addressType: IPv4
ports: [{ name: http, port: 80, protocol: TCP }]
endpoints:
${endpoints}
`,
  };
}

const tsbgpdConfig = `[global.config]
  as = 64512
  router-id = "${routerAddress}"
  local-address-list = ["${routerAddress}"]
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
`;

const gobgpdConfig = `[global.config]
  as = 64512
  router-id = "${routerAddress}"
  local-address-list = ["${routerAddress}"]
[global.use-multiple-paths.config]
  enabled = true
[[peer-groups]]
  [peer-groups.config]
    peer-group-name = "k8s"
    peer-as = 64522
  [[peer-groups.afi-safis]]
    [peer-groups.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
[[dynamic-neighbors]]
  [dynamic-neighbors.config]
    prefix = "172.17.0.0/24"
    peer-group = "k8s"
`;

/** Runs in the namespace: tsbgpd's global IPv4 RIB through the API client, as JSON. */
const ribScript = `
import { ApiClient } from ${JSON.stringify(join(repoRoot, 'dist/src/api/client.js'))};
import { attributesFromAny } from ${JSON.stringify(join(repoRoot, 'dist/src/api/convert.js'))};
import { formatAddress } from ${JSON.stringify(join(repoRoot, 'dist/src/lib/address.js'))};
const client = new ApiClient({ target: '127.0.0.1:${apiPort}', timeoutMs: 5000 });
try {
  const dests = await client.listPath({ table_type: 0, family: { afi: 1, safi: 1 } });
  const out = dests.map((d) => ({ prefix: d.prefix, paths: (d.paths ?? []).map((p) => {
    const a = attributesFromAny(p.pattrs ?? [], 'pattrs');
    return { neighbor: p.neighbor_ip, best: p.best === true, multipath: p.multipath === true, origin: a.origin, asPath: (a.asPath ?? []).flatMap((s) => s.asns), nextHop: a.nextHop === undefined ? '' : formatAddress(a.nextHop) };
  }) }));
  process.stdout.write(JSON.stringify(out));
} finally {
  client.close();
}
`;

interface RibPath {
  readonly neighbor: string;
  readonly best: boolean;
  readonly multipath: boolean;
  readonly origin: number;
  readonly asPath: readonly number[];
  readonly nextHop: string;
}

type JsonLine = Readonly<Record<string, unknown>> & { readonly msg: string };

/** A process in the namespace whose JSON log lines are kept. */
function spawnLogged(scope: Scope, ns: Netns, name: string, args: readonly string[]): { proc: DaemonProcess; log: JsonLine[] } {
  const log: JsonLine[] = [];
  const proc = scope.spawn(name, { command: 'ip', args: ['netns', 'exec', ns.name, ...args] });
  proc.onLine((line) => {
    if (!line.startsWith('{')) return;
    try {
      log.push(JSON.parse(line) as JsonLine);
    } catch {
      // A partial line at exit; the file keeps everything.
    }
  });
  return { proc, log };
}

async function stopByPid(proc: DaemonProcess): Promise<number | string | undefined> {
  proc.signal('SIGTERM');
  if (!(await waitExit(proc, 10_000))) {
    await proc.kill(0);
    throw new Error(`${proc.name} did not exit within 10 s of SIGTERM`);
  }
  return proc.exitStatus;
}

describe('tsbgp speaker and controller: the scenario in one namespace, tsbgpd then gobgpd as the router', () => {
  let scope: Scope;
  let ns: Netns | undefined;
  let dir = '';
  const speakers: { proc: DaemonProcess; log: JsonLine[] }[] = [];
  let router: { proc: DaemonProcess; log: JsonLine[] } | undefined;

  const inNs = (file: string, args: readonly string[], timeoutMs = 10_000): Promise<string> => runCommand('ip', ['netns', 'exec', ns!.name, file, ...args], timeoutMs);

  before(async () => {
    scope = await Scope.create('speaker');
    ns = Netns.create('spk');
    // A fresh namespace: lo only, set up by Netns.create; every scenario address on it.
    for (const a of [routerAddress, ...nodes.map((n) => n.address)]) ns.ip('addr', 'add', `${a}/32`, 'dev', 'lo');
    dir = scope.path('resources');
    await mkdir(dir);
    for (const [file, text] of Object.entries(resources())) await writeFile(join(dir, file), text);
    await writeFile(scope.path('rib.mjs'), ribScript);
    await writeFile(scope.path('tsbgpd.toml'), tsbgpdConfig);
    await writeFile(scope.path('gobgpd.toml'), gobgpdConfig);
  });

  after(async () => {
    try {
      await scope?.cleanup();
    } finally {
      ns?.delete();
    }
  });

  it('a) tsbgp controller --once writes the status: nginx gets 172.17.254.1', async () => {
    const out = execFileSync(process.execPath, [tsbgpBin, 'controller', '--config', dir, '--once', '--log-format', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    assert.equal(out, '');
    const status = await readFile(join(dir, 'status', 'default.nginx.yaml'), 'utf8');
    assert.match(status, /kind: Service/);
    assert.match(status, /ip: 172\.17\.254\.1\n/);
  });

  it('b) tsbgpd holds 172.17.254.1/32 from the three speakers: AS path [64522], origin incomplete, a multipath set of 3', async () => {
    router = spawnLogged(scope, ns!, 'tsbgpd', [process.execPath, tsbgpdBin, '-f', scope.path('tsbgpd.toml'), '--log-format', 'json', '--api-hosts', `127.0.0.1:${apiPort}`]);
    await waitFor(() => router!.log.some((e) => e.msg === 'tsbgpd started'), { timeoutMs: 15_000, intervalMs: 100, what: 'tsbgpd started', scope, failFast: () => (router!.proc.isRunning ? undefined : 'tsbgpd exited') });
    for (const n of nodes) speakers.push(spawnLogged(scope, ns!, `speaker-${n.name}`, [process.execPath, tsbgpBin, 'speaker', '--node', n.name, '--config', dir, '--log-format', 'json']));
    const paths = await waitFor(
      async () => {
        const rib = JSON.parse(await inNs(process.execPath, [scope.path('rib.mjs')])) as { prefix: string; paths: RibPath[] }[];
        const found = rib.find((d) => d.prefix === service)?.paths ?? [];
        return found.length === 3 && found.every((p) => p.multipath) ? found : undefined;
      },
      { timeoutMs: routeMs, intervalMs: 500, what: `tsbgpd's RIB: ${service} from three speakers, all in the multipath set`, scope },
    );
    const byNeighbor = [...paths].sort((a, b) => a.neighbor.localeCompare(b.neighbor));
    assert.deepEqual(byNeighbor.map((p) => p.neighbor), nodes.map((n) => n.address));
    assert.deepEqual(byNeighbor.map((p) => p.nextHop), nodes.map((n) => n.address), 'next hop = the session local address');
    for (const p of paths) {
      assert.deepEqual(p.asPath, [64522]);
      assert.equal(p.origin, 2, 'origin incomplete ({Origin: ?})');
    }
    assert.equal(paths.filter((p) => p.best).length, 1);
    for (const [i, s] of speakers.entries()) {
      const started = s.log.find((e) => e.msg === 'speaker started');
      assert.equal(started?.['node'], nodes[i]!.name);
      assert.deepEqual(started?.['peers'], [`metallb-system/rt-01-${nodes[i]!.name}`], 'each node speaks to its own BGPPeer');
      const announce = s.log.find((e) => e.msg === 'announce');
      assert.deepEqual([announce?.['prefix'], announce?.['nextHop'], announce?.['peer']], [service, nodes[i]!.address, routerAddress]);
    }
  });

  it('c) the same speakers against a real gobgpd (peer group + dynamic neighbors), seen with the stock gobgp CLI', async () => {
    assert.equal(await stopByPid(router!.proc), 0);
    const gobgpd = scope.spawn('gobgpd', { command: 'ip', args: ['netns', 'exec', ns!.name, requireBinary('gobgpd'), '-f', scope.path('gobgpd.toml'), '-t', 'toml', '--api-hosts', `${routerAddress}:${apiPort}`, '--pprof-disable'] });
    const gobgp = requireBinary('gobgp');
    await waitFor(() => inNs(gobgp, ['-u', routerAddress, '-p', String(apiPort), 'global']).then(() => true), { timeoutMs: 15_000, what: 'gobgpd API', scope, failFast: () => (gobgpd.isRunning ? undefined : 'gobgpd exited') });
    interface GobgpPath {
      readonly 'neighbor-ip'?: string;
      readonly attrs?: readonly { readonly type: number; readonly value?: unknown; readonly nexthop?: string; readonly as_paths?: readonly { readonly asns?: readonly number[] }[] }[];
    }
    const paths = await waitFor(
      async () => {
        const text = (await inNs(gobgp, ['-u', routerAddress, '-p', String(apiPort), 'global', 'rib', '-j'])).trim();
        const rib = text === '' || text === 'null' ? {} : (JSON.parse(text) as Record<string, readonly GobgpPath[]>);
        const list = rib[service] ?? [];
        return list.length === 3 ? list : undefined;
      },
      { timeoutMs: reconnectMs, intervalMs: 1000, what: `gobgpd's RIB: ${service} from three speakers`, scope },
    );
    const seen = paths.map((p) => {
      const attrs = p.attrs ?? [];
      return {
        from: p['neighbor-ip'],
        nextHop: attrs.find((a) => a.type === 3)?.nexthop,
        asPath: attrs.find((a) => a.type === 2)?.as_paths?.flatMap((s) => s.asns ?? []),
        origin: attrs.find((a) => a.type === 1)?.value,
      };
    });
    seen.sort((a, b) => String(a.from).localeCompare(String(b.from)));
    assert.deepEqual(seen, nodes.map((n) => ({ from: n.address, nextHop: n.address, asPath: [64522], origin: 2 })));
    const neighbors = await inNs(gobgp, ['-u', routerAddress, '-p', String(apiPort), 'neighbor']);
    for (const n of nodes) assert.match(neighbors, new RegExp(`${n.address.replaceAll('.', '\\.')}\\s+64522\\s.*Establ`));
  });

  it('d) SIGTERM: each speaker withdraws, says goodbye with a Cease and exits 0', async () => {
    assert.equal(speakers.length, 3);
    for (const s of speakers) assert.equal(await stopByPid(s.proc), 0);
    for (const s of speakers) {
      assert.ok(s.log.some((e) => e.msg === 'withdraw' && e['prefix'] === service), `${s.proc.name} logged its withdrawal`);
      assert.ok(s.log.some((e) => e.msg === 'notification sent' && /Cease/i.test(String(e['error']))), `${s.proc.name} sent a Cease`);
    }
  });
});
