// Next hop resolution against the kernel's own view: interfaces, addresses and the routes
// of other protocols (connected, kernel, static), kept current from a dump plus netlink
// events. A BGP next hop becomes the on-link gateway(s) and interface(s) the kernel needs,
// recursively through routes that have a gateway, never through our own routes.

import { Afi, formatAddress, maskAddress, bytesEqual, type Prefix } from '../lib/address.js';
import type { AddrInfo } from './addr-message.js';
import type { LinkInfo } from './link-message.js';
import { NextHopFlag, RouteTable, RouteType, type KernelRoute } from './route-message.js';

/** A next hop the kernel can use directly: a gateway on a connected network and its interface. */
export interface ResolvedHop {
  readonly gateway: Uint8Array;
  readonly ifindex: number;
}

/** Why a next hop has no resolution. */
export type UnresolvedReason = 'no-route' | 'own-address' | 'unusable-route' | 'link-down' | 'too-deep' | 'via-default' | 'family';

/** The outcome for one next hop: usable hops (usually one) or the reason there are none. */
export type Resolution = { readonly hops: readonly ResolvedHop[]; readonly reason?: undefined } | { readonly hops: readonly []; readonly reason: UnresolvedReason };

export interface ResolverOptions {
  /** Our routes' table and protocol: never used to resolve. */
  readonly table: number;
  readonly protocol: number;
  /** Resolve through a default route (zebra's "resolve-via-default"); off by default. */
  readonly resolveViaDefault?: boolean;
  /** Recursion limit for routes via gateways. */
  readonly maxDepth?: number;
}

/** Key of a kernel route (table, destination, TOS, metric), as the kernel keys it. */
export function routeKey(r: KernelRoute): string {
  return `${r.table}|${formatAddress(r.dst.addr)}/${r.dst.length}|${r.tos}|${r.metric}`;
}

function addrKey(a: AddrInfo): string {
  return `${a.ifindex}|${formatAddress(a.address)}/${a.prefix.length}`;
}

const noHops: readonly [] = [];

export class Resolver {
  private readonly links = new Map<number, LinkInfo>();
  private readonly addrs = new Map<string, AddrInfo>();
  private readonly routes = new Map<string, KernelRoute>();
  private sorted: Map<Afi, KernelRoute[]> | undefined;
  private readonly cache = new Map<string, Resolution>();
  private readonly resolveViaDefault: boolean;
  private readonly maxDepth: number;
  /** Bumped on every change that may alter a resolution. */
  version = 0;

  constructor(private readonly options: ResolverOptions) {
    this.resolveViaDefault = options.resolveViaDefault ?? false;
    this.maxDepth = options.maxDepth ?? 8;
  }

  private changed(): void {
    this.version++;
    this.cache.clear();
  }

  /** Applies a link message; returns true if resolutions may have changed. */
  applyLink(link: LinkInfo, isDelete: boolean): boolean {
    const old = this.links.get(link.ifindex);
    if (isDelete) {
      if (old === undefined) return false;
      this.links.delete(link.ifindex);
    } else {
      if (old !== undefined && old.isUp === link.isUp) {
        this.links.set(link.ifindex, link);
        return false;
      }
      this.links.set(link.ifindex, link);
    }
    this.changed();
    return true;
  }

  applyAddr(addr: AddrInfo, isDelete: boolean): boolean {
    const key = addrKey(addr);
    if (isDelete ? !this.addrs.delete(key) : this.addrs.has(key)) return false;
    if (!isDelete) this.addrs.set(key, addr);
    this.changed();
    return true;
  }

  /** Whether a route takes part in resolution: other protocols' routes of the main and our table. */
  isRelevant(route: KernelRoute): boolean {
    if (route.table !== RouteTable.main && route.table !== this.options.table) return false;
    return !(route.protocol === this.options.protocol && route.table === this.options.table);
  }

  applyRoute(route: KernelRoute, isDelete: boolean): boolean {
    if (!this.isRelevant(route)) return false;
    const key = routeKey(route);
    if (isDelete) {
      if (!this.routes.delete(key)) return false;
    } else {
      this.routes.set(key, route);
    }
    this.sorted = undefined;
    this.changed();
    return true;
  }

  /** The name of an interface, for messages. */
  linkName(ifindex: number): string | undefined {
    return this.links.get(ifindex)?.name;
  }

  /** Resolves a next hop address (cached until the next change). */
  resolve(nextHop: Uint8Array): Resolution {
    const key = formatAddress(nextHop);
    let r = this.cache.get(key);
    if (r === undefined) {
      r = this.lookup(nextHop, 0);
      this.cache.set(key, r);
    }
    return r;
  }

  private byLength(afi: Afi): KernelRoute[] {
    if (this.sorted === undefined) {
      const sorted = new Map<Afi, KernelRoute[]>([
        [Afi.ipv4, []],
        [Afi.ipv6, []],
      ]);
      for (const r of this.routes.values()) sorted.get(r.dst.afi)!.push(r);
      // Longest prefix first; among equals the kernel prefers the lowest metric.
      for (const list of sorted.values()) list.sort((a, b) => b.dst.length - a.dst.length || a.metric - b.metric);
      this.sorted = sorted;
    }
    return this.sorted.get(afi)!;
  }

  private isOwnAddress(addr: Uint8Array): boolean {
    for (const a of this.addrs.values()) if (bytesEqual(a.address, addr)) return true;
    return false;
  }

  private isLinkUp(ifindex: number): boolean {
    const link = this.links.get(ifindex);
    return link === undefined || link.isUp;
  }

  private lookup(addr: Uint8Array, depth: number): Resolution {
    if (depth > this.maxDepth) return { hops: noHops, reason: 'too-deep' };
    if (this.isOwnAddress(addr)) return { hops: noHops, reason: 'own-address' };
    const afi = addr.length === 4 ? Afi.ipv4 : Afi.ipv6;
    const route = this.byLength(afi).find((r) => contains(r.dst, addr));
    if (route === undefined) return { hops: noHops, reason: 'no-route' };
    if (route.dst.length === 0 && !this.resolveViaDefault) return { hops: noHops, reason: 'via-default' };
    // Like the kernel's own gateway check, the most specific route decides: a blackhole there is no path.
    if (route.type !== RouteType.unicast) return { hops: noHops, reason: 'unusable-route' };
    const hops: ResolvedHop[] = [];
    let reason: UnresolvedReason = 'link-down';
    for (const nh of route.nextHops) {
      if ((nh.flags & (NextHopFlag.dead | NextHopFlag.linkDown)) !== 0 || !this.isLinkUp(nh.ifindex)) continue;
      if (nh.gateway === undefined) {
        if (nh.ifindex !== 0) hops.push({ gateway: addr, ifindex: nh.ifindex });
        continue;
      }
      const inner = this.lookup(nh.gateway, depth + 1);
      if (inner.reason !== undefined) reason = inner.reason;
      for (const h of inner.hops) if (!hops.some((x) => x.ifindex === h.ifindex && bytesEqual(x.gateway, h.gateway))) hops.push(h);
    }
    return hops.length > 0 ? { hops } : { hops: noHops, reason };
  }
}

function contains(prefix: Prefix, addr: Uint8Array): boolean {
  if (prefix.length === 0) return true;
  return bytesEqual(maskAddress(addr, prefix.length), prefix.addr);
}
