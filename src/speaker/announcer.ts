// What one node announces, per BGPPeer: MetalLB's BGP-mode rules. A node announces a
// Service's addresses when the node is eligible (not excluded, not unschedulable), the
// Service has a ready endpoint (externalTrafficPolicy Cluster: anywhere; Local: on this
// node), and a BGPAdvertisement selects the address's pool, the node and the peer. The
// prefix is the address masked to the advertisement's aggregation length. Pure.

import { Afi, formatPrefix, maskAddress, parseAddress, type Prefix } from '../lib/address.js';
import { anySelectorMatches, keyOf, parseCommunityValue, wellKnownLabels, type BgpAdvertisement, type BgpPeer, type CommunityAliases, type CommunityValue, type EndpointSlice, type IpAddressPool, type Node, type Service } from './resources.js';
import { addressToBigInt } from './addresses.js';

/** The resources a node's announcements depend on. */
export interface AnnounceInput {
  readonly pools: readonly IpAddressPool[];
  readonly peers: readonly BgpPeer[];
  readonly advertisements: readonly BgpAdvertisement[];
  readonly communities: readonly CommunityAliases[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly nodes: readonly Node[];
}

/** One prefix to announce to one peer, with what the advertisement adds. */
export interface DesiredRoute {
  readonly prefix: Prefix;
  readonly prefixText: string;
  /** Sent to internal peers only (RFC 4271 5.1.5); undefined towards external ones. */
  readonly localPref?: number;
  /** RFC 1997 values, ascending, no duplicates. */
  readonly communities: readonly number[];
  /** RFC 8092 values, sorted. */
  readonly largeCommunities: readonly (readonly [number, number, number])[];
  /** The Services behind the prefix ("ns/name"), for logs. */
  readonly services: readonly string[];
}

/** A peer this node speaks to, and what it should hear. */
export interface PeerAnnouncement {
  readonly peer: BgpPeer;
  /** By prefix text. */
  readonly routes: ReadonlyMap<string, DesiredRoute>;
}

/** A problem in the resources that keeps something from being announced (logged by the caller). */
export interface AnnounceProblem {
  readonly resource: string;
  readonly field: string;
  readonly message: string;
}

export interface AnnounceResult {
  /** Node excluded or unschedulable: nothing is announced (sessions stay). */
  readonly isNodeWithdrawn: boolean;
  readonly withdrawReason?: string;
  /** Peers whose nodeSelectors select this node, by BGPPeer key. */
  readonly peers: ReadonlyMap<string, PeerAnnouncement>;
  readonly problems: readonly AnnounceProblem[];
}

/** The node's labels, with kubernetes.io/hostname as the kubelet sets it. */
export function nodeLabels(nodeName: string, node: Node | undefined): Readonly<Record<string, string>> {
  return { [wellKnownLabels.hostname]: nodeName, ...(node?.meta.labels ?? {}) };
}

/** Why a node should announce nothing (undefined: it may announce). */
export function nodeWithdrawReason(node: Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (node.isUnschedulable) return 'node is unschedulable (cordoned or draining)';
  if (Object.prototype.hasOwnProperty.call(node.meta.labels, wellKnownLabels.excludeFromLb)) return `node has label ${wellKnownLabels.excludeFromLb}`;
  return undefined;
}

/** True if the peer's nodeSelectors select the node. */
export function peerSelectsNode(peer: BgpPeer, labels: Readonly<Record<string, string>>): boolean {
  return anySelectorMatches(peer.nodeSelectors, labels);
}

/** Cluster: any ready endpoint; Local: a ready endpoint on this node (MetalLB's shouldAnnounce). */
export function serviceIsServedFrom(svc: Service, slices: readonly EndpointSlice[], nodeName: string): boolean {
  const mine = slices.filter((s) => s.meta.namespace === svc.meta.namespace && s.serviceName === svc.meta.name);
  const ready = mine.flatMap((s) => s.endpoints.filter((e) => e.isReady));
  if (svc.externalTrafficPolicy === 'Local') return ready.some((e) => e.nodeName === nodeName);
  return ready.length > 0;
}

/** The default when no BGPAdvertisement exists: every address, host length, to every peer. */
const defaultAdvertisement: BgpAdvertisement = {
  kind: 'BGPAdvertisement',
  meta: { name: '(default)', namespace: '', labels: {}, annotations: {} },
  ipAddressPools: [],
  ipAddressPoolSelectors: [],
  aggregationLength: 32,
  aggregationLengthV6: 128,
  communities: [],
  peers: [],
  nodeSelectors: [],
};

function advertisementSelectsPool(ad: BgpAdvertisement, pool: IpAddressPool): boolean {
  if (ad.ipAddressPools.length === 0 && ad.ipAddressPoolSelectors.length === 0) return true;
  return ad.ipAddressPools.includes(pool.meta.name) || (ad.ipAddressPoolSelectors.length > 0 && anySelectorMatches(ad.ipAddressPoolSelectors, pool.meta.labels));
}

/** The community values of an advertisement, names looked up in Community resources. */
function resolveCommunities(ad: BgpAdvertisement, aliases: readonly CommunityAliases[], problems: AnnounceProblem[]): CommunityValue[] {
  const out: CommunityValue[] = [];
  ad.communities.forEach((text, i) => {
    if (/^[\d:]+$/.test(text) || text.startsWith('large:')) {
      out.push(parseCommunityValue(text));
      return;
    }
    const found = aliases.flatMap((c) => c.communities).find((c) => c.name === text);
    if (found === undefined) problems.push({ resource: `BGPAdvertisement ${keyOf(ad.meta)}`, field: `spec.communities[${i}]`, message: `"${text}" is neither a community value nor a name defined by a Community resource` });
    else out.push(found.value);
  });
  return out;
}

interface Building {
  localPref: number | undefined;
  readonly communities: Set<number>;
  readonly large: Map<string, readonly [number, number, number]>;
  readonly services: Set<string>;
  readonly prefix: Prefix;
}

/** The announcements of node `nodeName`. */
export function desiredAnnouncements(input: AnnounceInput, nodeName: string): AnnounceResult {
  const problems: AnnounceProblem[] = [];
  const node = input.nodes.find((n) => n.meta.name === nodeName);
  const labels = nodeLabels(nodeName, node);
  const peers = input.peers.filter((p) => peerSelectsNode(p, labels));
  const withdrawReason = nodeWithdrawReason(node);
  const building = new Map<string, Map<string, Building>>(peers.map((p) => [keyOf(p.meta), new Map()]));
  const ads = input.advertisements.length === 0 ? [defaultAdvertisement] : input.advertisements.filter((a) => anySelectorMatches(a.nodeSelectors, labels));
  const adCommunities = new Map(ads.map((a) => [a, resolveCommunities(a, input.communities, problems)]));
  for (const ad of ads) {
    for (const name of ad.peers) {
      if (!input.peers.some((p) => p.meta.name === name)) problems.push({ resource: `BGPAdvertisement ${keyOf(ad.meta)}`, field: 'spec.peers', message: `no BGPPeer named "${name}"` });
    }
  }

  const services = withdrawReason !== undefined ? [] : input.services.filter((s) => s.type === 'LoadBalancer' && s.ingress.length > 0 && serviceIsServedFrom(s, input.endpointSlices, nodeName));
  for (const svc of services) {
    for (const text of svc.ingress) {
      const addr = parseAddress(text);
      const value = addressToBigInt(addr);
      const isV6 = addr.length === 16;
      const pool = input.pools.find((p) => p.ranges.some((r) => r.isV6 === isV6 && value >= r.first && value <= r.last));
      // An address outside every pool is not ours to announce (the controller did not give it).
      if (pool === undefined) continue;
      for (const ad of ads) {
        if (!advertisementSelectsPool(ad, pool)) continue;
        const length = isV6 ? ad.aggregationLengthV6 : ad.aggregationLength;
        const prefix: Prefix = { afi: isV6 ? Afi.ipv6 : Afi.ipv4, length, addr: maskAddress(addr, length) };
        const prefixText = formatPrefix(prefix);
        for (const peer of peers) {
          if (ad.peers.length > 0 && !ad.peers.includes(peer.meta.name)) continue;
          const table = building.get(keyOf(peer.meta))!;
          let b = table.get(prefixText);
          if (b === undefined) {
            b = { localPref: undefined, communities: new Set(), large: new Map(), services: new Set(), prefix };
            table.set(prefixText, b);
          }
          // MetalLB sends LOCAL_PREF to iBGP peers only (RFC 4271 5.1.5); two
          // advertisements of one prefix merge: the higher preference, every community.
          if (ad.localPref !== undefined && peer.myAsn === peer.peerAsn) b.localPref = Math.max(b.localPref ?? 0, ad.localPref);
          for (const c of adCommunities.get(ad) ?? []) {
            if (c.type === 'standard') b.communities.add(c.value);
            else b.large.set(c.value.join(':'), c.value);
          }
          b.services.add(keyOf(svc.meta));
        }
      }
    }
  }

  const out = new Map<string, PeerAnnouncement>();
  for (const peer of peers) {
    const routes = new Map<string, DesiredRoute>();
    for (const [text, b] of building.get(keyOf(peer.meta))!) {
      routes.set(text, {
        prefix: b.prefix,
        prefixText: text,
        ...(b.localPref === undefined ? {} : { localPref: b.localPref }),
        communities: [...b.communities].sort((x, y) => x - y),
        largeCommunities: [...b.large.values()].sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]),
        services: [...b.services].sort(),
      });
    }
    out.set(keyOf(peer.meta), { peer, routes });
  }
  return { isNodeWithdrawn: withdrawReason !== undefined, ...(withdrawReason === undefined ? {} : { withdrawReason }), peers: out, problems };
}
