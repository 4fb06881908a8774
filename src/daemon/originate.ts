// Announcing the configured `originate` routes to one established peer: the attributes
// of RFC 4271 5.1 (ORIGIN, AS_PATH, NEXT_HOP; LOCAL_PREF to internal peers, 5.1.5),
// IPv6 next hops (RFC 2545 3); the packing into UPDATEs is session/announce.ts. The list
// holds the configuration's routes and those added through the API, each with its source.

import { Afi, Safi, afiOf, formatAddress, parseAddress } from '../lib/address.js';
import { NlriList } from '../wire/nlri.js';
import { familyKey, type CodecContext, type FamilyKey } from '../wire/context.js';
import { AsSegmentType, type AsPathSegment, type PathAttributes } from '../wire/attributes/types.js';
import type { OriginateRoute } from './config.js';
import { unmapAddress, type PeerRoute } from '../session/announce.js';

// The generic announce code lives in session/announce.ts (the speaker uses it too); these
// re-exports keep the daemon's imports unchanged.
export { announceUpdates, endOfRibUpdates, ipv4Unicast, ipv6Unicast, unmapAddress, UpdateSender, withdrawUpdates } from '../session/announce.js';
export type { PeerRoute, UpdateChannel } from '../session/announce.js';

/** What a peer's announcements depend on, besides the routes. */
export interface OriginateTarget {
  /** Families negotiated with the peer. */
  readonly families: ReadonlySet<FamilyKey>;
  readonly isEbgp: boolean;
  /** The AS we speak as on this session (local-as, else global as). */
  readonly localAs: number;
  /** Our end of the TCP connection, the default next hop. */
  readonly localAddress?: string | undefined;
  /** The negotiated encoding (its message size limit bounds the packing). */
  readonly ctx: CodecContext;
}

/** Where a locally originated route comes from. */
export type LocalRouteSource = 'config' | 'api';

/**
 * A route this speaker originates: an `[[originate]]` entry, or a route added through
 * the API (which may carry more attributes, and has a uuid). One list holds both; an
 * API route replaces the configuration's route of the same prefix while it exists, and
 * a reload (SIGHUP) replaces only the configuration's.
 */
export interface LocalRoute extends OriginateRoute {
  readonly source: LocalRouteSource;
  /**
   * Attributes beyond the originate keys (API routes): AS_PATH (our AS is prepended
   * towards external peers), LOCAL_PREF, extended and large communities, aggregator...
   */
  readonly extra?: PathAttributes;
  /** 16 bytes, for API routes. */
  readonly uuid?: Uint8Array;
  /** Wall-clock ms when it was added. */
  readonly addedAtMs?: number;
}

/** The configuration's routes with the API's on top (an API route wins for its prefix). */
export function mergeLocalRoutes(config: readonly OriginateRoute[], api: ReadonlyMap<string, LocalRoute>): LocalRoute[] {
  const out: LocalRoute[] = config.filter((r) => !api.has(r.prefixText)).map((r) => ({ ...r, source: 'config' }));
  out.push(...api.values());
  return out;
}

/** Attributes an originated route carries beyond ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF and COMMUNITIES. */
function extraAttributes(extra: PathAttributes | undefined): PathAttributes {
  if (extra === undefined) return {};
  const { origin: _o, asPath: _a, nextHop: _n, med: _m, localPref: _l, communities: _c, mpReach: _r, mpUnreach: _u, ...rest } = extra;
  return rest;
}

/** JSON with byte arrays as hex: equal texts mean equal attributes. */
function attributeText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
}

/**
 * The route as the RIB holds it (the Loc-RIB's own path): no AS of ours in the AS_PATH
 * (RFC 4271 5.1.2 adds it only towards external peers), the next hop configured, if any.
 */
export function localRibAttributes(route: LocalRoute): PathAttributes {
  const nextHop = route.nextHop === undefined ? undefined : parseAddress(route.nextHop);
  const isV6 = route.prefix.afi === Afi.ipv6;
  return {
    ...extraAttributes(route.extra),
    origin: route.origin,
    asPath: route.extra?.asPath ?? [],
    ...(nextHop === undefined ? {} : isV6 ? { mpReach: { afi: Afi.ipv6, safi: Safi.unicast, nextHop, nlri: NlriList.empty(Afi.ipv6) } } : { nextHop }),
    ...(route.med === undefined ? {} : { med: route.med }),
    ...(route.extra?.localPref === undefined ? {} : { localPref: route.extra.localPref }),
    ...(route.communities.length === 0 ? {} : { communities: route.communities }),
  };
}

/** A route that cannot go to this peer, and why. */
export interface SkippedRoute {
  readonly prefixText: string;
  readonly family: FamilyKey;
  readonly reason: string;
}

/** Local pref a route we originate carries to internal peers (RFC 4271 5.1.5 requires one). */
export const defaultLocalPref = 100;

/**
 * Resolves each route for the peer: families it did not negotiate are left out; a route
 * without a usable next hop (no configured one, and our local address is of the other
 * family) is skipped with its reason.
 */
export function routesForPeer(routes: readonly (OriginateRoute & { readonly extra?: PathAttributes })[], target: OriginateTarget): { routes: PeerRoute[]; skipped: SkippedRoute[] } {
  const out: PeerRoute[] = [];
  const skipped: SkippedRoute[] = [];
  const local = target.localAddress === undefined ? undefined : parseAddress(unmapAddress(target.localAddress));
  const ownAsPath: AsPathSegment[] = target.isEbgp ? [{ type: AsSegmentType.sequence, asns: [target.localAs] }] : [];
  for (const r of routes) {
    const family = familyKey(r.prefix.afi, Safi.unicast);
    if (!target.families.has(family)) continue;
    let nextHop: Uint8Array | undefined = r.nextHop === undefined ? undefined : parseAddress(r.nextHop);
    if (nextHop === undefined && local !== undefined && afiOf(local) === r.prefix.afi) nextHop = local;
    if (nextHop === undefined) {
      skipped.push({ prefixText: r.prefixText, family, reason: `no ${r.prefix.afi === Afi.ipv6 ? 'IPv6' : 'IPv4'} next hop: none configured and the session's local address is ${target.localAddress ?? 'unknown'}` });
      continue;
    }
    const extra = extraAttributes(r.extra);
    const attributes: PathAttributes = {
      ...extra,
      origin: r.origin,
      asPath: r.extra?.asPath === undefined ? ownAsPath : prependAs(ownAsPath, r.extra.asPath),
      ...(r.prefix.afi === Afi.ipv4 ? { nextHop } : {}),
      ...(r.med === undefined ? {} : { med: r.med }),
      // RFC 4271 5.1.5: LOCAL_PREF goes to internal peers only.
      ...(target.isEbgp ? {} : { localPref: r.extra?.localPref ?? defaultLocalPref }),
      ...(r.communities.length === 0 ? {} : { communities: r.communities }),
    };
    const extraText = r.extra === undefined ? '' : attributeText([r.extra.asPath ?? null, r.extra.localPref ?? null, extra]);
    const signature = JSON.stringify([family, formatAddress(nextHop), r.origin, r.med ?? null, r.communities, extraText]);
    out.push({ prefix: r.prefix, prefixText: r.prefixText, family, nextHop, attributes, signature });
  }
  return { routes: out, skipped };
}

/** RFC 4271 5.1.2: towards an external peer our AS goes first, in a leading AS_SEQUENCE. */
function prependAs(own: readonly AsPathSegment[], path: readonly AsPathSegment[]): AsPathSegment[] {
  if (own.length === 0) return [...path];
  const first = path[0];
  const asns = own[0]!.asns;
  if (first !== undefined && first.type === AsSegmentType.sequence && first.asns.length + asns.length <= 255) {
    return [{ type: AsSegmentType.sequence, asns: [...asns, ...first.asns] }, ...path.slice(1)];
  }
  return [...own, ...path];
}
