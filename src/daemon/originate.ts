// Announcing the configured `originate` routes to one established peer: the attributes
// of RFC 4271 5.1 (ORIGIN, AS_PATH, NEXT_HOP; LOCAL_PREF to internal peers, 5.1.5),
// IPv6 in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760 3-4, RFC 2545 3), routes with equal
// attributes packed into as few UPDATEs as the message size allows, End-of-RIB per
// family (RFC 4724 2), and the back-pressure of the session's output queue. The list
// holds the configuration's routes and those added through the API, each with its source.

import { Afi, Safi, afiOf, formatAddress, parseAddress, type Prefix } from '../lib/address.js';
import { NlriList } from '../wire/nlri.js';
import { familyKey, type CodecContext, type FamilyKey } from '../wire/context.js';
import { AsSegmentType, type AsPathSegment, type PathAttributes } from '../wire/attributes/types.js';
import { endOfRib, packUpdates, packWithdrawals, type UpdateMessage } from '../wire/update.js';
import type { OriginateRoute } from './config.js';

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

/** One route as it goes to one peer: the prefix and the attributes it carries there. */
export interface PeerRoute {
  readonly prefix: Prefix;
  readonly prefixText: string;
  readonly family: FamilyKey;
  readonly nextHop: Uint8Array;
  readonly attributes: PathAttributes;
  /** Equal signatures mean equal attributes: such routes share an UPDATE. */
  readonly signature: string;
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

export const ipv4Unicast = familyKey(Afi.ipv4, Safi.unicast);
export const ipv6Unicast = familyKey(Afi.ipv6, Safi.unicast);

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else the text itself. */
export function unmapAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m === null ? address : m[1]!;
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

/** UPDATEs announcing `routes`, grouped by equal attributes and packed by the codec. */
export function announceUpdates(routes: readonly PeerRoute[], ctx: CodecContext): UpdateMessage[] {
  const groups = new Map<string, PeerRoute[]>();
  for (const r of routes) {
    const g = groups.get(r.signature);
    if (g === undefined) groups.set(r.signature, [r]);
    else g.push(r);
  }
  const out: UpdateMessage[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const prefixes = group.map((r) => r.prefix);
    if (first.family === ipv4Unicast) {
      out.push(...packUpdates(first.attributes, prefixes, ctx));
    } else {
      const mpReach = { afi: Afi.ipv6, safi: Safi.unicast, nextHop: first.nextHop, nlri: NlriList.empty(Afi.ipv6) };
      out.push(...packUpdates({ ...first.attributes, mpReach }, prefixes, ctx));
    }
  }
  return out;
}

/** UPDATEs withdrawing `prefixes` (IPv4 Withdrawn Routes field; IPv6 in MP_UNREACH_NLRI). */
export function withdrawUpdates(prefixes: readonly Prefix[], ctx: CodecContext): UpdateMessage[] {
  const v4 = prefixes.filter((p) => p.afi === Afi.ipv4);
  const v6 = prefixes.filter((p) => p.afi === Afi.ipv6);
  return [...packWithdrawals(Afi.ipv4, Safi.unicast, v4, ctx), ...packWithdrawals(Afi.ipv6, Safi.unicast, v6, ctx)];
}

/** End-of-RIB markers for each family, IPv4 unicast first. */
export function endOfRibUpdates(families: ReadonlySet<FamilyKey>): UpdateMessage[] {
  return [...families].sort((a, b) => a - b).map((f) => endOfRib(f >> 8, f & 0xff));
}

/** The part of Session the sender needs. */
export interface UpdateChannel {
  sendUpdate(msg: UpdateMessage): boolean;
  onDrain(fn: () => void): void;
}

/**
 * Feeds UPDATEs to a session in order. When `sendUpdate` says the output queue is
 * full, the rest waits for the session's drain signal; `clear` drops what waits (the
 * session left Established, so what it would have said no longer applies).
 */
export class UpdateSender {
  private queue: UpdateMessage[] = [];
  private head = 0;
  private isBlocked = false;

  constructor(private readonly channel: UpdateChannel) {
    channel.onDrain(() => {
      this.isBlocked = false;
      this.pump();
    });
  }

  /** Messages not yet handed to the session. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  send(messages: readonly UpdateMessage[]): void {
    for (const m of messages) this.queue.push(m);
    if (!this.isBlocked) this.pump();
  }

  clear(): void {
    this.queue = [];
    this.head = 0;
    this.isBlocked = false;
  }

  private pump(): void {
    while (this.head < this.queue.length) {
      const m = this.queue[this.head]!;
      this.head++;
      if (!this.channel.sendUpdate(m)) {
        this.isBlocked = true;
        break;
      }
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
  }
}
