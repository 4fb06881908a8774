// Routes learned from peers, as they go out to other peers (RFC 4271 9.1.3, 9.2): the
// Loc-RIB's best route of each prefix, not back to the peer it came from, not from one
// internal peer to another unless reflected (RFC 4456 8: ORIGINATOR_ID, CLUSTER_LIST,
// and the loop check on receipt), not past NO_EXPORT / NO_ADVERTISE (RFC 1997), and with
// the attributes of RFC 4271 5.1: towards an external peer our AS prepended (5.1.2), the
// next hop our address (5.1.3), no LOCAL_PREF (5.1.5), no MED learned from another AS
// (5.1.4), except to a route server client (RFC 7947 2: AS path, next hop and MED as
// received); towards an internal peer the next hop unchanged and a LOCAL_PREF. Export
// policy runs after this, in the daemon. With ADD-PATH send negotiated for a family (RFC
// 7911) the peer gets up to send-max routes per prefix, in decision order, each under a
// path identifier that stays with its path while the path is announced.

import { Afi, afiOf, bytesEqual, formatAddress, parseAddress, type Prefix } from '../lib/address.js';
import { AsSegmentType, WellKnownCommunity, type AsPathSegment, type PathAttributes } from '../wire/attributes/types.js';
import type { FamilyKey } from '../wire/context.js';
import type { Route } from '../rib/route.js';
import type { AttrSet } from '../rib/attr-store.js';
import type { RibChange } from '../rib/loc-rib.js';
import type { PathChange } from '../rib/rib.js';
import { formatPrefixKey, keyToPrefix, type PrefixKey } from '../rib/prefix-key.js';
import { defaultLocalPref, unmapAddress, type PeerRoute } from './originate.js';

export { nlriOf } from '../session/announce.js';

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
  /**
   * Families whose routes go with path identifiers (RFC 7911 send negotiated), each with
   * the most paths per prefix (send-max); the others get the best route only.
   */
  readonly addPathSend?: ReadonlyMap<FamilyKey, number>;
  /** Families with long-lived graceful restart negotiated: only these get LLGR-stale routes (RFC 9494 4.5). */
  readonly llgrFamilies?: ReadonlySet<FamilyKey>;
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
/**
 * The refusals of learnedRouteFor that depend on the attribute set alone (NO_ADVERTISE,
 * NO_EXPORT to eBGP, the peer's AS in the path), remembered per interned set in `cache`:
 * a walk of the whole table for a new session, or a batch of changes, then costs a map
 * lookup per route it cannot send, and no prefix is built for it.
 */
export function attrsMayGo(attrs: AttrSet, target: PropagationTarget, cache: Map<AttrSet, boolean>): boolean {
  const known = cache.get(attrs);
  if (known !== undefined) return known;
  const a = attrs.attributes;
  const communities = a.communities ?? [];
  const refused =
    communities.includes(WellKnownCommunity.noAdvertise) ||
    (target.isEbgp && (communities.includes(WellKnownCommunity.noExport) || communities.includes(WellKnownCommunity.noExportSubconfed) || hasAs(a.asPath, target.peerAs)));
  cache.set(attrs, !refused);
  return !refused;
}

export function learnedRouteFor(family: FamilyKey, prefix: Prefix, prefixText: string, best: Route, target: PropagationTarget, reflection?: Reflection): PeerRoute | undefined {
  const from = best.peer;
  if (from.isLocal || from.address === target.address || !target.families.has(family)) return undefined;
  if (best.attrs.isLlgrStale && target.llgrFamilies?.has(family) !== true) return undefined;
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
  /** The attribute sets alive, so a walk that nothing can survive is not made. */
  readonly attrStore?: { some(test: (attrs: AttrSet) => boolean): boolean };
  /** Up to `count` usable routes of a prefix that `accept` takes, best first, in decision order. */
  rankedPaths(family: FamilyKey, key: PrefixKey, count: number, accept: (r: Route) => boolean): readonly Route[];
}

/** A route's key in a peer's table of what it was sent: the prefix, and the path identifier with ADD-PATH. */
export function sentKey(r: PeerRoute): string {
  return r.pathId === undefined ? r.prefixText : pathKey(r.prefixText, r.pathId);
}

function pathKey(prefixText: string, pathId: number): string {
  return `${prefixText}#${pathId}`;
}

/** Which path a route is, for keeping its identifier: RFC 7911 paths are told apart by peer and path identifier. */
function sourceOf(route: Route): string {
  return `${route.peer.address}#${route.pathId}`;
}

/**
 * The routes of one prefix that go to an ADD-PATH peer: up to `sendMax` in decision
 * order, each with a path identifier. A path the peer has keeps its identifier, so a
 * change of its attributes replaces it (RFC 7911 3); a new path takes the smallest
 * identifier free among the prefix's, so identifiers stay within 1..sendMax and one
 * freed by a vanished path is reused, which replaces that path at the peer. Our own
 * routes go with identifier 0 (nlriOf), so learned ones start at 1.
 */
export function addPathRoutesFor(rib: BestRoutes, family: FamilyKey, key: PrefixKey, prefixText: string, target: PropagationTarget, sendMax: number, sent: ReadonlyMap<string, PeerRoute>, reflection?: Reflection): PeerRoute[] {
  const prefix = keyToPrefix(key);
  const made = new Map<Route, PeerRoute>();
  const ranked = rib.rankedPaths(family, key, sendMax, (r) => {
    const out = learnedRouteFor(family, prefix, prefixText, r, target, reflection);
    if (out !== undefined) made.set(r, out);
    return out !== undefined;
  });
  if (ranked.length === 0) return [];
  const held = new Map<string, number>();
  for (let id = 1; id <= sendMax; id++) {
    const source = sent.get(pathKey(prefixText, id))?.pathSource;
    if (source !== undefined) held.set(source, id);
  }
  const used = new Set<number>();
  for (const r of ranked) {
    const id = held.get(sourceOf(r));
    if (id !== undefined) used.add(id);
  }
  let next = 1;
  return ranked.map((r) => {
    const source = sourceOf(r);
    let pathId = held.get(source);
    if (pathId === undefined) {
      while (used.has(next)) next++;
      pathId = next;
      used.add(pathId);
    }
    return { ...made.get(r)!, pathId, pathSource: source };
  });
}

/**
 * Every learned route that goes to `target`, prefixes in `skip` (our own routes) left
 * out: the best route of each prefix, or with ADD-PATH send up to send-max routes
 * (identifiers kept from `sent`, what the peer has).
 */
export function learnedRoutes(rib: BestRoutes, target: PropagationTarget, skip: ReadonlySet<string>, reflection?: Reflection, sent: ReadonlyMap<string, PeerRoute> = new Map()): PeerRoute[] {
  const out: PeerRoute[] = [];
  for (const family of target.families) {
    const sendMax = target.addPathSend?.get(family);
    if (sendMax !== undefined) {
      rib.forEachBest(family, (key) => {
        const text = formatPrefixKey(key);
        if (!skip.has(text)) out.push(...addPathRoutesFor(rib, family, key, text, target, sendMax, sent, reflection));
      });
      continue;
    }
    const mayGo = new Map<AttrSet, boolean>();
    // Every set refused (a session of the AS all routes come from, as the cluster's nodes
    // are): no walk of the table.
    if (rib.attrStore?.some((a) => attrsMayGo(a, target, mayGo)) === false) continue;
    rib.forEachBest(family, (key, best) => {
      if (best.peer.isLocal || best.peer.address === target.address || !attrsMayGo(best.attrs, target, mayGo)) return;
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
  const attrsGo = new Map<AttrSet, boolean>();
  for (const c of changes) {
    // ADD-PATH families follow every path's change (pathChangesFor), not only the best's.
    if (!target.families.has(c.family) || target.addPathSend?.has(c.family) === true) continue;
    // Most changes of a full table are the peer's own routes: no prefix text made for them.
    const best = c.best;
    const mayGo = best !== undefined && !best.peer.isLocal && best.peer.address !== target.address && attrsMayGo(best.attrs, target, attrsGo);
    if (!mayGo && sent.size === 0) continue;
    const text = formatPrefixKey(c.key);
    if (skip.has(text)) continue;
    const r = c.best === undefined ? undefined : learnedRouteFor(c.family, keyToPrefix(c.key), text, c.best, target, reflection);
    if (r !== undefined) announce.push(r);
    else if (sent.has(text)) withdraw.push(text);
  }
  return { announce, withdraw };
}

/**
 * What a batch of path changes (every prefix whose routes changed) means for one peer's
 * ADD-PATH families: each changed prefix's paths announced where new or changed (the
 * caller compares signatures with `sent`), identifiers the peer has and no path holds
 * any more withdrawn. Other families are changesFor's.
 */
export function pathChangesFor(rib: BestRoutes, changes: readonly PathChange[], target: PropagationTarget, sent: ReadonlyMap<string, PeerRoute>, skip: ReadonlySet<string>, reflection?: Reflection): PeerChanges {
  const announce: PeerRoute[] = [];
  const withdraw: string[] = [];
  const addPath = target.addPathSend;
  if (addPath === undefined || addPath.size === 0) return { announce, withdraw };
  const seen = new Map<FamilyKey, Set<PrefixKey>>();
  for (const c of changes) {
    const sendMax = addPath.get(c.family);
    if (sendMax === undefined || !target.families.has(c.family)) continue;
    let keys = seen.get(c.family);
    if (keys === undefined) seen.set(c.family, (keys = new Set()));
    if (keys.has(c.key)) continue;
    keys.add(c.key);
    const text = formatPrefixKey(c.key);
    if (skip.has(text)) continue;
    const routes = addPathRoutesFor(rib, c.family, c.key, text, target, sendMax, sent, reflection);
    announce.push(...routes);
    const kept = new Set(routes.map((r) => r.pathId));
    for (let id = 1; id <= sendMax; id++) if (!kept.has(id) && sent.has(pathKey(text, id))) withdraw.push(pathKey(text, id));
  }
  return { announce, withdraw };
}
