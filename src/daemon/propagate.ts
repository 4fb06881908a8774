// Routes learned from peers, as they go out to other peers (RFC 4271 9.1.3, 9.2): the
// Loc-RIB's best route of each prefix, not back to the peer it came from, not from one
// internal peer to another unless reflected (RFC 4456 8: ORIGINATOR_ID, CLUSTER_LIST,
// and the loop check on receipt), not past NO_EXPORT / NO_ADVERTISE (RFC 1997), and with
// the attributes of RFC 4271 5.1: towards an external peer our AS prepended (5.1.2), the
// next hop our address (5.1.3), no LOCAL_PREF (5.1.5), no MED learned from another AS
// (5.1.4), except to a route server client (RFC 7947 2: AS path, next hop and MED as
// received); towards an internal peer the next hop unchanged and a LOCAL_PREF. Export
// policy runs after this, in the daemon.

import { Afi, afiOf, bytesEqual, formatAddress, parseAddress, type Prefix } from '../lib/address.js';
import { AsSegmentType, WellKnownCommunity, type AsPathSegment, type PathAttributes } from '../wire/attributes/types.js';
import type { FamilyKey } from '../wire/context.js';
import type { Route } from '../rib/route.js';
import type { AttrSet } from '../rib/attr-store.js';
import type { RibChange } from '../rib/loc-rib.js';
import { formatPrefixKey, keyToPrefix, type PrefixKey } from '../rib/prefix-key.js';
import { defaultLocalPref, unmapAddress, type PeerRoute } from './originate.js';

/** The peer a learned route may go to. */
export interface PropagationTarget {
  readonly address: string;
  readonly peerAs: number;
  readonly isEbgp: boolean;
  /** The AS we speak as on this session. */
  readonly localAs: number;
  /** Our end of the connection: the next hop towards external peers. */
  readonly localAddress?: string | undefined;
  readonly families: ReadonlySet<FamilyKey>;
  /** route-reflector-client: internal routes are reflected to it (RFC 4456). */
  readonly isRouteReflectorClient?: boolean;
  /** route-server-client: our AS is not prepended, next hop and MED pass unchanged (RFC 7947). */
  readonly isRouteServerClient?: boolean;
}

/** What route reflection needs (RFC 4456); absent when no neighbor is a client. */
export interface Reflection {
  /** A client's CLUSTER_ID (4 bytes), undefined for a non-client. */
  clusterIdOf(address: string): Uint8Array | undefined;
  /** Our CLUSTER_ID when neither side names one: the router ID (RFC 4456 7). */
  readonly clusterId: Uint8Array;
}

/** RFC 4456 8: a reflected route that comes back (our ORIGINATOR_ID or one of our CLUSTER_IDs) must be ignored. */
export function isReflectionLoop(attributes: PathAttributes, routerId: Uint8Array, clusterIds: readonly Uint8Array[]): boolean {
  const originator = attributes.originatorId;
  if (originator !== undefined && bytesEqual(originator, routerId)) return true;
  return (attributes.clusterList ?? []).some((id) => clusterIds.some((own) => bytesEqual(id, own)));
}

function idBytes(id: number): Uint8Array {
  return Uint8Array.of(id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff);
}

/** A stable number per shared attribute set: routes with the same set share an UPDATE. */
const setIds = new WeakMap<AttrSet, number>();
let nextSetId = 1;

function setId(attrs: AttrSet): number {
  let id = setIds.get(attrs);
  if (id === undefined) {
    id = nextSetId++;
    setIds.set(attrs, id);
  }
  return id;
}

function hasAs(path: readonly AsPathSegment[] | undefined, asn: number): boolean {
  return (path ?? []).some((s) => s.asns.includes(asn));
}

/** RFC 4271 5.1.2: our AS first, in the leading AS_SEQUENCE (a new one when the path starts otherwise or is full). */
function prepend(asn: number, path: readonly AsPathSegment[] | undefined): AsPathSegment[] {
  const segments = path ?? [];
  const first = segments[0];
  if (first !== undefined && first.type === AsSegmentType.sequence && first.asns.length < 255) return [{ type: AsSegmentType.sequence, asns: [asn, ...first.asns] }, ...segments.slice(1)];
  return [{ type: AsSegmentType.sequence, asns: [asn] }, ...segments];
}

/**
 * The best route of `prefix` as it goes to `target`, or undefined when it does not go
 * there. Local routes are the originate code's (undefined here).
 */
export function learnedRouteFor(family: FamilyKey, prefix: Prefix, prefixText: string, best: Route, target: PropagationTarget, reflection?: Reflection): PeerRoute | undefined {
  const from = best.peer;
  if (from.isLocal || from.address === target.address || !target.families.has(family)) return undefined;
  // RFC 4271 9.2: what an internal peer sent is not passed to another internal peer,
  // unless reflected: from a client to everyone, from a non-client to clients (RFC 4456 8).
  let clusterId: Uint8Array | undefined;
  if (!from.isEbgp && !target.isEbgp) {
    const fromClient = reflection?.clusterIdOf(from.address);
    if (reflection === undefined || (fromClient === undefined && target.isRouteReflectorClient !== true)) return undefined;
    clusterId = reflection.clusterIdOf(target.address) ?? fromClient ?? reflection.clusterId;
  }
  const a = best.attrs.attributes;
  const communities = a.communities ?? [];
  if (communities.includes(WellKnownCommunity.noAdvertise)) return undefined;
  if (target.isEbgp && (communities.includes(WellKnownCommunity.noExport) || communities.includes(WellKnownCommunity.noExportSubconfed))) return undefined;
  // The peer would drop it as a loop (RFC 4271 9.1.2): spare the UPDATE.
  if (target.isEbgp && hasAs(a.asPath, target.peerAs)) return undefined;
  const { mpReach: _r, mpUnreach: _u, med, localPref: _l, originatorId: _o, clusterList: _c, nextHop: _n, ...rest } = a;
  let nextHop: Uint8Array = best.nextHop;
  const isRouteServer = target.isEbgp && target.isRouteServerClient === true;
  if (target.isEbgp && !isRouteServer) {
    if (target.localAddress === undefined) return undefined;
    const self = parseAddress(unmapAddress(target.localAddress));
    // An IPv6 route over an IPv4 session has no next hop of ours to give.
    if (afiOf(self) !== prefix.afi) return undefined;
    nextHop = self;
  }
  const attributes: PathAttributes = {
    ...rest,
    asPath: target.isEbgp && !isRouteServer ? prepend(target.localAs, a.asPath) : [...(a.asPath ?? [])],
    ...(prefix.afi === Afi.ipv4 ? { nextHop } : {}),
    // RFC 4271 5.1.4: a MED goes no further than the AS it was sent to.
    ...((!target.isEbgp || isRouteServer) && med !== undefined ? { med } : {}),
    ...(target.isEbgp ? {} : { localPref: best.attrs.localPref ?? defaultLocalPref }),
    // RFC 4456 8: the originator's router ID, once; our CLUSTER_ID in front of the list.
    ...(clusterId === undefined ? {} : { originatorId: a.originatorId ?? idBytes(from.routerId), clusterList: [clusterId, ...(a.clusterList ?? [])] }),
  };
  const signature = `learned ${setId(best.attrs)} ${formatAddress(nextHop)}${clusterId === undefined ? '' : ` ${formatAddress(clusterId)}`}`;
  return { prefix, prefixText, family, nextHop, attributes, signature };
}

/** What the propagation reads of the RIB. */
export interface BestRoutes {
  forEachBest(family: FamilyKey, visit: (key: PrefixKey, best: Route, multipath: readonly Route[]) => void): void;
}

/** Every learned best route that goes to `target`, prefixes in `skip` (our own routes) left out. */
export function learnedRoutes(rib: BestRoutes, target: PropagationTarget, skip: ReadonlySet<string>, reflection?: Reflection): PeerRoute[] {
  const out: PeerRoute[] = [];
  for (const family of target.families) {
    rib.forEachBest(family, (key, best) => {
      if (best.peer.isLocal || best.peer.address === target.address) return;
      const text = formatPrefixKey(key);
      if (skip.has(text)) return;
      const r = learnedRouteFor(family, keyToPrefix(key), text, best, target, reflection);
      if (r !== undefined) out.push(r);
    });
  }
  return out;
}

/** One peer's share of a batch of RIB changes: what to announce (or replace) and what to withdraw. */
export interface PeerChanges {
  readonly announce: PeerRoute[];
  readonly withdraw: string[];
}

/**
 * What a batch of RIB changes means for one peer whose table is `sent`: a prefix whose
 * new best route goes to it is announced (when it differs from what it has), else
 * withdrawn if it had one. Prefixes in `skip` (our own routes) are the originate code's.
 */
export function changesFor(changes: readonly RibChange[], target: PropagationTarget, sent: ReadonlyMap<string, PeerRoute>, skip: ReadonlySet<string>, reflection?: Reflection): PeerChanges {
  const announce: PeerRoute[] = [];
  const withdraw: string[] = [];
  for (const c of changes) {
    if (!target.families.has(c.family)) continue;
    // Most changes of a full table are the peer's own routes: no prefix text made for them.
    const best = c.best;
    const mayGo = best !== undefined && !best.peer.isLocal && best.peer.address !== target.address;
    if (!mayGo && sent.size === 0) continue;
    const text = formatPrefixKey(c.key);
    if (skip.has(text)) continue;
    const r = c.best === undefined ? undefined : learnedRouteFor(c.family, keyToPrefix(c.key), text, c.best, target, reflection);
    if (r !== undefined) announce.push(r);
    else if (sent.has(text)) withdraw.push(text);
  }
  return { announce, withdraw };
}
