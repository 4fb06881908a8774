// The scenario's machines as network namespaces: names, addresses and interfaces of
// SCENARIO.md, the two LANs as bridges in a namespace of their own, the sysctls each
// namespace needs (a new namespace starts from the kernel's defaults), and teardown.
// Every veth end is created directly in its namespace: nothing appears in the root one.

import { readdirSync } from 'node:fs';
import { ip, ipBatch, mustRun, nsRun, LabError } from './system.js';

/** The scenario's machines, in the order they are built and shown. */
export const labNodes = ['client-01', 'rt-01', 'k8s-master-01', 'k8s-node-01', 'k8s-node-02', 'k8s-node-03'] as const;
export type LabNode = (typeof labNodes)[number];

export const workerNodes = ['k8s-node-01', 'k8s-node-02', 'k8s-node-03'] as const;
export type WorkerNode = (typeof workerNodes)[number];

export function isLabNode(name: string): name is LabNode {
  return (labNodes as readonly string[]).includes(name);
}

/** The service address the controller gives the first Service (first of the pool). */
export const serviceAddress = '172.17.254.1';
export const servicePool = '172.17.254.0/24';
export const routerAs = 64512;
export const clusterAs = 64522;
export const routerClusterAddress = '172.17.0.1';
export const routerClientAddress = '172.17.1.1';
export const clusterLan = '172.17.0.0/24';

export type LanName = 'client' | 'cluster';

/** One interface of a machine on one of the two LANs. */
export interface LabInterface {
  readonly node: LabNode;
  readonly lan: LanName;
  /** Its name inside the machine's namespace, as in the scenario. */
  readonly ifname: string;
  /** Address with prefix length. */
  readonly address: string;
  /** The peer end's name in the LAN namespace, enslaved to the LAN's bridge (at most 15 characters). */
  readonly lanIfname: string;
}

export const labInterfaces: readonly LabInterface[] = [
  { node: 'client-01', lan: 'client', ifname: 'enp0s8', address: '172.17.1.10/24', lanIfname: 'client-01' },
  { node: 'rt-01', lan: 'client', ifname: 'eth1', address: '172.17.1.1/24', lanIfname: 'rt-01-eth1' },
  { node: 'rt-01', lan: 'cluster', ifname: 'eth2', address: '172.17.0.1/24', lanIfname: 'rt-01-eth2' },
  { node: 'k8s-master-01', lan: 'cluster', ifname: 'enp0s8', address: '172.17.0.10/24', lanIfname: 'k8s-master-01' },
  { node: 'k8s-node-01', lan: 'cluster', ifname: 'enp0s8', address: '172.17.0.21/24', lanIfname: 'k8s-node-01' },
  { node: 'k8s-node-02', lan: 'cluster', ifname: 'enp0s8', address: '172.17.0.22/24', lanIfname: 'k8s-node-02' },
  { node: 'k8s-node-03', lan: 'cluster', ifname: 'enp0s8', address: '172.17.0.23/24', lanIfname: 'k8s-node-03' },
];

/** Default gateway of each machine but the router. */
export const defaultGateways: Readonly<Partial<Record<LabNode, string>>> = {
  'client-01': routerClientAddress,
  'k8s-master-01': routerClusterAddress,
  'k8s-node-01': routerClusterAddress,
  'k8s-node-02': routerClusterAddress,
  'k8s-node-03': routerClusterAddress,
};

/** A node's address on the cluster LAN (without the prefix length). */
export function clusterAddressOf(node: LabNode): string {
  const i = labInterfaces.find((x) => x.node === node && x.lan === 'cluster');
  if (i === undefined) throw new LabError(`${node} is not on the cluster LAN`);
  return i.address.split('/')[0]!;
}

/** The interface a node has on its LAN (the first one; the router has two). */
export function interfaceOf(node: LabNode, lan?: LanName): LabInterface {
  const i = labInterfaces.find((x) => x.node === node && (lan === undefined || x.lan === lan));
  if (i === undefined) throw new LabError(`${node} has no interface${lan === undefined ? '' : ` on the ${lan} LAN`}`);
  return i;
}

const bridgeOf: Readonly<Record<LanName, string>> = { client: 'br-client', cluster: 'br-cluster' };

/** A run id: letters, digits and dashes, short enough for namespace names. */
export function checkRunId(runId: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,19}$/.test(runId)) throw new LabError(`--run-id: expected 1 to 20 lowercase letters, digits or dashes, got "${runId}"`);
  return runId;
}

/** The namespace names of one run. */
export class LabNames {
  constructor(readonly runId: string) {}

  /** The namespace of a machine: tsbgp-<runid>-<node>. */
  ns(node: LabNode): string {
    return `tsbgp-${this.runId}-${node}`;
  }

  /** The namespace holding both LAN bridges. */
  get lanNs(): string {
    return `tsbgp-${this.runId}-lan`;
  }

  /** Every namespace of this run that exists now (found by name, so also after a crash). */
  existing(): string[] {
    let names: string[];
    try {
      names = readdirSync('/run/netns');
    } catch {
      return [];
    }
    const prefix = `tsbgp-${this.runId}-`;
    const ours = new Set<string>([...labNodes.map((n) => this.ns(n)), this.lanNs]);
    // Only the names this run makes: another run's id may start with this one's.
    return names.filter((n) => n.startsWith(prefix) && ours.has(n)).sort();
  }
}

/** Sysctls set in every namespace: no reverse-path filter (replies come back by another way than requests on the router). */
const commonSysctls = ['net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0'];
/** The router: forwarding, and a layer-4 multipath hash so flows from one client spread. */
const routerSysctls = ['net.ipv4.ip_forward=1', 'net.ipv4.fib_multipath_hash_policy=1'];
/** Every node holds the service address on lo: none may answer ARP for it on the LAN. */
const nodeSysctls = ['net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2'];

/**
 * Builds the namespaces, bridges, links, addresses, sysctls and default routes. On a
 * failure half-way the caller tears down what exists (`destroyTopology`).
 */
export async function buildTopology(names: LabNames, onStep: (text: string) => void): Promise<void> {
  const machines = labNodes.map((n) => names.ns(n));
  const all = [...machines, names.lanNs];
  // Namespaces and veth pairs from the root namespace's `ip`, each end made in its
  // namespace; then each namespace configured by a batch of its own.
  await ipBatch(undefined, [
    ...all.map((ns) => `netns add ${ns}`),
    ...labInterfaces.map((i) => `link add name ${i.ifname} netns ${names.ns(i.node)} type veth peer name ${i.lanIfname} netns ${names.lanNs}`),
  ]);
  onStep(`namespaces: ${all.join(' ')}`);
  await ipBatch(names.lanNs, [
    'link set lo up',
    ...(['client', 'cluster'] as const).flatMap((lan) => [`link add ${bridgeOf[lan]} type bridge`, `link set ${bridgeOf[lan]} up`]),
    ...labInterfaces.flatMap((i) => [`link set ${i.lanIfname} master ${bridgeOf[i.lan]}`, `link set ${i.lanIfname} up`]),
  ]);
  for (const node of labNodes) {
    const gateway = defaultGateways[node];
    await ipBatch(names.ns(node), [
      'link set lo up',
      ...labInterfaces.filter((i) => i.node === node).flatMap((i) => [`addr add ${i.address} dev ${i.ifname}`, `link set ${i.ifname} up`]),
      ...(gateway === undefined ? [] : [`route replace default via ${gateway}`]),
    ]);
    const sysctls = [...commonSysctls, ...(node === 'rt-01' ? routerSysctls : []), ...((workerNodes as readonly string[]).includes(node) ? nodeSysctls : [])];
    await nsRun(names.ns(node), ['sysctl', '-q', '-w', ...sysctls]);
  }
  onStep(`LANs: client 172.17.1.0/24 and cluster ${clusterLan} as bridges in ${names.lanNs}`);
  onStep('rt-01: ip_forward=1, fib_multipath_hash_policy=1, rp_filter=0; nodes: arp_ignore=1, arp_announce=2');
}

/** Cuts (or restores) a machine's link to its LAN, at the bridge's side: its own interface stays up but loses carrier. */
export async function setLink(names: LabNames, node: LabNode, isUp: boolean): Promise<void> {
  const i = interfaceOf(node, node === 'rt-01' ? 'cluster' : undefined);
  await ip(names.lanNs, 'link', 'set', i.lanIfname, isUp ? 'up' : 'down');
  if (isUp) {
    const gateway = defaultGateways[node];
    // The route through a link that lost its carrier may have been flushed meanwhile.
    if (gateway !== undefined) await ip(names.ns(node), 'route', 'replace', 'default', 'via', gateway);
  }
}

/** Deletes every namespace of the run that exists (their veths and bridges go with them). */
export async function destroyTopology(names: LabNames): Promise<string[]> {
  const gone: string[] = [];
  for (const ns of names.existing()) {
    await mustRun('ip', ['netns', 'del', ns]);
    gone.push(ns);
  }
  return gone;
}
