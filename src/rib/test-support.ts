// Builders for the RIB's tests: peers, routes and UPDATE messages from short descriptions.
// The attribute key of a built UPDATE is derived from its attributes' content, so equal
// attributes give equal keys as they do on the wire.

import { Afi, Safi, parseAddress, parsePrefix } from '../lib/address.js';
import { familyKey, type FamilyKey } from '../wire/context.js';
import type { ErrorAction, WireError } from '../wire/errors.js';
import { NlriList, type Nlri } from '../wire/nlri.js';
import { AsSegmentType, Origin, type PathAttributes } from '../wire/attributes/types.js';
import type { UpdateMessage } from '../wire/update.js';
import { AttrStore, uint32 } from './attr-store.js';
import { RibPeer, createRoute, type Route } from './route.js';
import type { PeerInfo } from './sink.js';

export const ipv4Unicast: FamilyKey = familyKey(Afi.ipv4, Safi.unicast);
export const ipv6Unicast: FamilyKey = familyKey(Afi.ipv6, Safi.unicast);

export interface PeerSpec {
  readonly address: string;
  readonly peerAs: number;
  readonly localAs?: number;
  /** Defaults to the address (IPv4) or 1.1.1.1. */
  readonly routerId?: string;
  readonly addPath?: boolean;
}

export function peerInfo(spec: PeerSpec): PeerInfo {
  const localAs = spec.localAs ?? 64512;
  const routerId = spec.routerId ?? (spec.address.includes(':') ? '1.1.1.1' : spec.address);
  const families = new Set([ipv4Unicast, ipv6Unicast]);
  return {
    address: spec.address,
    peerAs: spec.peerAs,
    localAs,
    routerId: parseAddress(routerId),
    isEbgp: spec.peerAs !== localAs,
    families,
    addPathRx: spec.addPath === true ? families : new Set(),
  };
}

/** An AS_PATH of one AS_SEQUENCE. */
export function asPath(...asns: number[]): PathAttributes['asPath'] {
  return asns.length === 0 ? [] : [{ type: AsSegmentType.sequence, asns }];
}

/** The scenario's attributes: AS_PATH [64522], ORIGIN incomplete, NEXT_HOP as given. */
export function scenarioAttributes(nextHop: string): PathAttributes {
  return { origin: Origin.incomplete, asPath: asPath(64522), nextHop: parseAddress(nextHop) };
}

/** Stand-in attribute bytes: equal attributes, equal bytes (as the encoder would give). */
export function attrKeyOf(attributes: PathAttributes): Uint8Array {
  const { mpReach: _r, mpUnreach: _u, ...rest } = attributes;
  const text = JSON.stringify(rest, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v));
  return new TextEncoder().encode(text);
}

type NlriSpec = string | { readonly prefix: string; readonly pathId: number };

function list(specs: readonly NlriSpec[] | undefined, afi: Afi, hasPathId: boolean): NlriList {
  const entries: Nlri[] = (specs ?? []).map((s) => (typeof s === 'string' ? { prefix: parsePrefix(s), pathId: 0 } : { prefix: parsePrefix(s.prefix), pathId: s.pathId }));
  return NlriList.from(entries, afi, hasPathId);
}

export interface UpdateSpec {
  readonly withdrawn?: readonly NlriSpec[];
  readonly nlri?: readonly NlriSpec[];
  readonly attributes?: PathAttributes;
  /** IPv6 (or other) routes in MP_REACH_NLRI with this next hop. */
  readonly mpReach?: { readonly nextHop: string; readonly nlri: readonly NlriSpec[]; readonly afi?: Afi };
  readonly mpUnreach?: { readonly withdrawn: readonly NlriSpec[]; readonly afi?: Afi };
  readonly hasPathId?: boolean;
  readonly action?: ErrorAction;
  readonly faults?: readonly WireError[];
}

/** An UPDATE as the codec would hand it over. */
export function makeTestUpdate(spec: UpdateSpec): UpdateMessage {
  const hasPathId = spec.hasPathId ?? false;
  let attributes: PathAttributes = spec.attributes ?? {};
  if (spec.mpReach !== undefined) {
    const afi = spec.mpReach.afi ?? Afi.ipv6;
    attributes = { ...attributes, mpReach: { afi, safi: Safi.unicast, nextHop: parseAddress(spec.mpReach.nextHop), nlri: list(spec.mpReach.nlri, afi, hasPathId) } };
  }
  if (spec.mpUnreach !== undefined) {
    const afi = spec.mpUnreach.afi ?? Afi.ipv6;
    attributes = { ...attributes, mpUnreach: { afi, safi: Safi.unicast, withdrawn: list(spec.mpUnreach.withdrawn, afi, hasPathId) } };
  }
  return {
    type: 'update',
    withdrawn: list(spec.withdrawn, Afi.ipv4, hasPathId),
    attributes,
    nlri: list(spec.nlri, Afi.ipv4, hasPathId),
    attrKey: attrKeyOf(attributes),
    faults: spec.faults ?? [],
    ...(spec.action !== undefined ? { action: spec.action } : {}),
  };
}

export interface RouteSpec {
  readonly peer?: string;
  readonly peerAs?: number;
  readonly routerId?: string;
  readonly isEbgp?: boolean;
  readonly isLocal?: boolean;
  readonly attributes?: PathAttributes;
  readonly nextHop?: string;
  readonly pathId?: number;
  readonly tick?: number;
  readonly isReachable?: boolean;
}

/** A Route built directly, for decision-process tests. */
export function makeRoute(spec: RouteSpec, store = new AttrStore()): Route {
  const address = spec.peer ?? '192.0.2.1';
  const isEbgp = spec.isEbgp ?? true;
  const isLocal = spec.isLocal ?? false;
  const attributes: PathAttributes = { origin: Origin.igp, asPath: asPath(spec.peerAs ?? 65001), ...spec.attributes };
  const nextHop = parseAddress(spec.nextHop ?? address);
  const attrs = store.intern(attrKeyOf(attributes), attributes, nextHop, undefined, isEbgp && !isLocal);
  if (spec.isReachable === false) attrs.isReachable = false;
  const peer = new RibPeer(isLocal ? 'local' : address, isLocal ? new Uint8Array(0) : parseAddress(address), spec.peerAs ?? 65001, uint32(parseAddress(spec.routerId ?? (address.includes(':') ? '1.1.1.1' : address))), isEbgp && !isLocal, isLocal);
  return createRoute(attrs, peer, spec.pathId ?? 0, spec.tick ?? 0);
}
