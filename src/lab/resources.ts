// The lab's configuration files: MetalLB resources equivalent to the scenario (pool,
// BGPPeer with a BFDProfile, BGPAdvertisement, Nodes, an nginx Service with its
// EndpointSlice) and rt-01's tsbgpd configuration in gobgpd's format. The same text is
// shipped in examples/ (lab-rt-01.toml, lab-metallb/); a test keeps them equal.

import { clusterAddressOf, clusterAs, clusterLan, routerAs, routerClusterAddress, servicePool, workerNodes, type WorkerNode } from './topology.js';

/** BFD timers of the lab (MetalLB's BFDProfile defaults). */
export const labBfd = { receiveIntervalMs: 200, transmitIntervalMs: 200, detectMultiplier: 3 } as const;

/** rt-01's tsbgpd configuration; `isBfd` false leaves out the BFD section (for a tsbgpd without it). */
export function routerConfig(isBfd = true): string {
  const bfd = isBfd
    ? `  # BFD (RFC 5880/5881) for every session of the group: a node whose link is cut
  # leaves the routes within detect-multiplier x interval. tsbgpd's extension.
  [peer-groups.bfd.config]
    enabled = true
    desired-min-tx-interval-ms = ${labBfd.transmitIntervalMs}
    required-min-rx-interval-ms = ${labBfd.receiveIntervalMs}
    detect-multiplier = ${labBfd.detectMultiplier}
`
    : '';
  return `# rt-01 of the scenario (docs/lab.md): the router between the client LAN and the
# cluster LAN. Every node's speaker connects from ${clusterLan} in AS ${clusterAs}; the
# routes go, with all their equal-cost next hops, into the kernel table.
[global.config]
  as = ${routerAs}
  router-id = "${routerClusterAddress}"
[global.use-multiple-paths.config]
  enabled = true
[[peer-groups]]
  [peer-groups.config]
    peer-group-name = "k8s"
    peer-as = ${clusterAs}
${bfd}[[dynamic-neighbors]]
  [dynamic-neighbors.config]
    prefix = "${clusterLan}"
    peer-group = "k8s"
[zebra.config]
  enabled = true
`;
}

/** MetalLB's own resources: pool, peer, BFD profile and advertisement. */
export function metallbYaml(): string {
  return `# MetalLB resources of the scenario (metallb.io), read by \`tsbgp controller\` and
# \`tsbgp speaker\`.
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lab-pool
  namespace: metallb-system
spec:
  addresses:
    - ${servicePool}
  # .0 and .255 are left out (as buggy consumer routers mishandle them), so the first
  # Service gets 172.17.254.1 as in the scenario.
  avoidBuggyIPs: true
---
apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata:
  name: lab-bfd
  namespace: metallb-system
spec:
  receiveInterval: ${labBfd.receiveIntervalMs}
  transmitInterval: ${labBfd.transmitIntervalMs}
  detectMultiplier: ${labBfd.detectMultiplier}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata:
  name: rt-01
  namespace: metallb-system
spec:
  myASN: ${clusterAs}
  peerASN: ${routerAs}
  peerAddress: ${routerClusterAddress}
  bfdProfile: lab-bfd
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata:
  name: lab
  namespace: metallb-system
spec:
  ipAddressPools:
    - lab-pool
`;
}

const podSubnetIndex = (node: WorkerNode): number => workerNodes.indexOf(node) + 1;

/** The cluster's Node resources (the master is not a worker: no speaker, no endpoints). */
export function nodesYaml(): string {
  const node = (name: string, address: string, role: string): string => `apiVersion: v1
kind: Node
metadata:
  name: ${name}
  labels:
    kubernetes.io/hostname: ${name}
    kubernetes.io/os: linux${role}
status:
  addresses:
    - type: InternalIP
      address: ${address}
    - type: Hostname
      address: ${name}
  conditions:
    - type: Ready
      status: "True"
`;
  return [
    node('k8s-master-01', '172.17.0.10', '\n    node-role.kubernetes.io/control-plane: ""'),
    ...workerNodes.map((n) => node(n, clusterAddressOf(n), '')),
  ].join('---\n');
}

/** How the Service routes external traffic (Kubernetes' externalTrafficPolicy). */
export type TrafficPolicy = 'Cluster' | 'Local';

/** The nginx Service of the scenario, `type: LoadBalancer`, port 80. */
export function serviceYaml(policy: TrafficPolicy = 'Cluster'): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: nginx
  namespace: default
spec:
  type: LoadBalancer
  externalTrafficPolicy: ${policy}
  selector:
    app: nginx
  ports:
    - name: http
      protocol: TCP
      port: 80
      targetPort: 80
`;
}

/** The Service's endpoints: `perNode` ready pods on each node named (6 replicas over three nodes by default). */
export function endpointSliceYaml(nodes: readonly WorkerNode[] = workerNodes, perNode = 2): string {
  const endpoints = nodes.flatMap((node) =>
    Array.from(
      { length: perNode },
      (_, i) => `  - addresses:
      - 10.244.${podSubnetIndex(node)}.${i + 2}
    conditions:
      ready: true
    nodeName: ${node}
    targetRef:
      kind: Pod
      name: nginx-${node.slice(-2)}-${i + 1}
      namespace: default
`,
    ),
  );
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: nginx-lab
  namespace: default
  labels:
    kubernetes.io/service-name: nginx
addressType: IPv4
ports:
  - name: http
    protocol: TCP
    port: 80
endpoints:
${endpoints.length === 0 ? '  []\n' : endpoints.join('')}`;
}

/** The files of the lab's MetalLB directory, by name. */
export function labResourceFiles(): Readonly<Record<string, string>> {
  return {
    'metallb.yaml': metallbYaml(),
    'nodes.yaml': nodesYaml(),
    'nginx-service.yaml': serviceYaml(),
    'nginx-endpoints.yaml': endpointSliceYaml(),
  };
}
