// Address assignment for Services of type LoadBalancer, as MetalLB's controller does it:
// requested addresses (spec.loadBalancerIP, metallb.universe.tf/loadBalancerIPs), the
// address-pool annotation, the next free address of the pools by priority, avoidBuggyIPs,
// autoAssign, sharing by allow-shared-ip key, dual-stack, and stability (an address a
// Service already holds stays while still valid). Pure: resources in, assignments and events out.

import { AddressError } from '../lib/address.js';
import { canonicalAddress, formatBigAddress, numberedAddress } from './addresses.js';
import { anySelectorMatches, keyOf, type IpAddressPool, type IpFamily, type Namespace, type Service } from './resources.js';

/** What the controller sees. */
export interface AllocationInput {
  readonly pools: readonly IpAddressPool[];
  /** Every Service; `ingress` holds the current assignment (the status). */
  readonly services: readonly Service[];
  /** For serviceAllocation.namespaceSelectors. */
  readonly namespaces?: readonly Namespace[];
}

/** The addresses a Service holds, from one pool. */
export interface ServiceAssignment {
  /** "ns/name". */
  readonly service: string;
  readonly pool: string;
  /** Canonical text, IPv4 first. */
  readonly addresses: readonly string[];
}

/** Why a Service got no (or not the wanted) address; the Kubernetes event's reason and message. */
export interface ServiceEvent {
  readonly service: string;
  readonly reason: string;
  readonly message: string;
}

export interface AllocationResult {
  /** By service key; a LoadBalancer Service missing here has no address. */
  readonly assignments: ReadonlyMap<string, ServiceAssignment>;
  readonly events: readonly ServiceEvent[];
}

/** MetalLB's event reason for a Service it could not serve. */
export const allocationFailed = 'AllocationFailed';

const familyOf = (isV6: boolean): IpFamily => (isV6 ? 'IPv6' : 'IPv4');

/** Who holds an address. */
interface Holder {
  readonly key: string;
  readonly service: Service;
}

/** A request that cannot be met; the message goes into the event. */
class AllocationError extends Error {}

/**
 * RFC-free but MetalLB's rule: two Services share an address only with the same
 * allow-shared-ip key, no port in common (protocol and number), and either both with
 * externalTrafficPolicy Cluster or both Local with the same pod selector (so one set of
 * nodes serves both).
 */
export function canShare(a: Service, b: Service): string | undefined {
  if (a.sharingKey === undefined || b.sharingKey === undefined) return 'sharing needs the metallb.universe.tf/allow-shared-ip annotation on both Services';
  if (a.sharingKey !== b.sharingKey) return `allow-shared-ip keys differ ("${a.sharingKey}" and "${b.sharingKey}")`;
  for (const p of a.ports) {
    if (b.ports.some((q) => q.port === p.port && q.protocol === p.protocol)) return `port ${p.protocol}/${p.port} is used by both`;
  }
  if (a.externalTrafficPolicy === 'Local' || b.externalTrafficPolicy === 'Local') {
    if (a.externalTrafficPolicy !== b.externalTrafficPolicy) return 'externalTrafficPolicy differs (Local needs both Local)';
    if (JSON.stringify(sortedEntries(a.selector)) !== JSON.stringify(sortedEntries(b.selector))) return 'externalTrafficPolicy Local needs the same pod selector on both';
  }
  return undefined;
}

const sortedEntries = (r: Readonly<Record<string, string>>): [string, string][] => Object.entries(r).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));

/** Pools by serviceAllocation priority (lower first, none last), then name. */
function byPriority(a: IpAddressPool, b: IpAddressPool): number {
  const pa = a.serviceAllocation?.priority;
  const pb = b.serviceAllocation?.priority;
  if (pa !== pb) {
    if (pa === undefined) return 1;
    if (pb === undefined) return -1;
    return pa - pb;
  }
  return a.meta.name < b.meta.name ? -1 : a.meta.name > b.meta.name ? 1 : 0;
}

const isBuggy = (value: bigint, isV6: boolean): boolean => !isV6 && ((value & 0xffn) === 0n || (value & 0xffn) === 0xffn);

class Allocator {
  private readonly holders = new Map<string, Holder[]>();
  private readonly pools: readonly IpAddressPool[];
  private readonly namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;

  constructor(input: AllocationInput) {
    this.pools = [...input.pools].sort(byPriority);
    this.namespaceLabels = new Map((input.namespaces ?? []).map((n) => [n.meta.name, n.meta.labels]));
  }

  /** Whether the pool's serviceAllocation lets this Service take from it. */
  private isAllowed(pool: IpAddressPool, svc: Service): string | undefined {
    const a = pool.serviceAllocation;
    if (a === undefined) return undefined;
    if (a.namespaces.length > 0 && !a.namespaces.includes(svc.meta.namespace)) return `pool ${pool.meta.name} serves namespaces ${a.namespaces.join(', ')} only`;
    if (a.namespaceSelectors.length > 0 && !anySelectorMatches(a.namespaceSelectors, this.namespaceLabels.get(svc.meta.namespace) ?? {})) return `namespace ${svc.meta.namespace} does not match pool ${pool.meta.name}'s namespaceSelectors`;
    if (!anySelectorMatches(a.serviceSelectors, svc.meta.labels)) return `the Service's labels do not match pool ${pool.meta.name}'s serviceSelectors`;
    return undefined;
  }

  private poolOf(value: bigint, isV6: boolean): IpAddressPool | undefined {
    return this.pools.find((p) => p.ranges.some((r) => r.isV6 === isV6 && value >= r.first && value <= r.last));
  }

  /** Why `svc` cannot hold `text`, or the pool it comes from. */
  private check(svc: Service, text: string): IpAddressPool {
    let n: { value: bigint; isV6: boolean };
    try {
      n = numberedAddress(text);
    } catch (err) {
      if (err instanceof AddressError) throw new AllocationError(`"${text}" is not an IP address`);
      throw err;
    }
    const pool = this.poolOf(n.value, n.isV6);
    if (pool === undefined) throw new AllocationError(`${text} is not in any IPAddressPool`);
    if (svc.addressPool !== undefined && pool.meta.name !== svc.addressPool) throw new AllocationError(`${text} is in pool ${pool.meta.name}, not in the requested pool ${svc.addressPool}`);
    const denied = this.isAllowed(pool, svc);
    if (denied !== undefined) throw new AllocationError(`${text}: ${denied}`);
    const clash = this.clash(svc, canonicalAddress(text));
    if (clash !== undefined) throw new AllocationError(clash);
    return pool;
  }

  private clash(svc: Service, address: string): string | undefined {
    for (const h of this.holders.get(address) ?? []) {
      const why = canShare(svc, h.service);
      if (why !== undefined) return `${address} is already used by ${h.key} and cannot be shared: ${why}`;
    }
    return undefined;
  }

  private take(key: string, svc: Service, addresses: readonly string[]): void {
    for (const a of addresses) {
      const list = this.holders.get(a);
      if (list === undefined) this.holders.set(a, [{ key, service: svc }]);
      else list.push({ key, service: svc });
    }
  }

  /** The addresses given (status or request) if all valid, from one pool. */
  private fromList(svc: Service, list: readonly string[]): { pool: string; addresses: string[] } {
    const pools = new Set<string>();
    const seen = new Set<string>();
    for (const text of list) {
      const fam = familyOf(numberedAddressSafe(text)?.isV6 ?? false);
      if (seen.has(fam)) throw new AllocationError(`more than one ${fam} address requested (${list.join(', ')})`);
      seen.add(fam);
      pools.add(this.check(svc, text).meta.name);
    }
    if (pools.size > 1) throw new AllocationError(`the addresses ${list.join(', ')} come from different pools (${[...pools].join(', ')})`);
    return { pool: [...pools][0]!, addresses: sortFamilies(list.map(canonicalAddress)) };
  }

  /** The families the Service wants, and whether all are required. */
  private families(svc: Service): { readonly wanted: readonly IpFamily[]; readonly isAllRequired: boolean } {
    const wanted = svc.ipFamilies.length > 0 ? svc.ipFamilies : svc.ipFamilyPolicy === 'RequireDualStack' || svc.ipFamilyPolicy === 'PreferDualStack' ? (['IPv4', 'IPv6'] as const) : (['IPv4'] as const);
    return { wanted, isAllRequired: svc.ipFamilyPolicy !== 'PreferDualStack' };
  }

  /** An address of `family` in `pool` for `svc`: one it may share first, else the next free. */
  private findIn(pool: IpAddressPool, family: IpFamily, svc: Service): string | undefined {
    const isV6 = family === 'IPv6';
    if (svc.sharingKey !== undefined) {
      for (const [address, list] of this.holders) {
        const n = numberedAddress(address);
        if (n.isV6 !== isV6 || this.poolOf(n.value, isV6) !== pool) continue;
        if (list.every((h) => canShare(svc, h.service) === undefined)) return address;
      }
    }
    for (const r of pool.ranges) {
      if (r.isV6 !== isV6) continue;
      // Each step passes a held or a skipped address, so the walk is bounded by their number.
      const bound = 2 * this.holders.size + 8;
      let v = r.first;
      for (let step = 0; v <= r.last; step++, v++) {
        if (step > bound) throw new Error(`allocator: walked ${step} addresses of ${r.text} past ${this.holders.size} held ones`);
        if (pool.avoidBuggyIPs && isBuggy(v, isV6)) continue;
        const text = formatBigAddress(v, isV6);
        if (!this.holders.has(text)) return text;
      }
    }
    return undefined;
  }

  /** The next free addresses for the Service from the first pool that has them all. */
  private fromPools(svc: Service): { pool: string; addresses: string[] } {
    let candidates: IpAddressPool[];
    if (svc.addressPool !== undefined) {
      const pool = this.pools.find((p) => p.meta.name === svc.addressPool);
      if (pool === undefined) throw new AllocationError(`pool ${svc.addressPool} (annotation metallb.universe.tf/address-pool) does not exist`);
      const denied = this.isAllowed(pool, svc);
      if (denied !== undefined) throw new AllocationError(denied);
      candidates = [pool];
    } else {
      candidates = this.pools.filter((p) => p.autoAssign && this.isAllowed(p, svc) === undefined);
      if (candidates.length === 0) throw new AllocationError('no IPAddressPool with autoAssign serves this Service');
    }
    const { wanted, isAllRequired } = this.families(svc);
    for (const pool of candidates) {
      const found = wanted.flatMap((f) => this.findIn(pool, f, svc) ?? []);
      if (found.length === wanted.length || (!isAllRequired && found.length > 0)) return { pool: pool.meta.name, addresses: sortFamilies(found) };
    }
    const names = candidates.map((p) => p.meta.name).join(', ');
    throw new AllocationError(`no available ${wanted.join(' and ')} address in pool${candidates.length > 1 ? 's' : ''} ${names}`);
  }

  private requested(svc: Service): readonly string[] {
    if (svc.requestedIPs.length > 0) return svc.requestedIPs;
    return svc.loadBalancerIP === undefined ? [] : [svc.loadBalancerIP];
  }

  /** The current status, kept if it is still what the Service asks for and valid. */
  keepExisting(svc: Service, key: string): ServiceAssignment | undefined {
    if (svc.ingress.length === 0) return undefined;
    const requested = this.requested(svc);
    if (requested.length > 0) {
      const want = new Set(requested.map((t) => canonicalAddressSafe(t)));
      if (svc.ingress.length !== want.size || !svc.ingress.every((a) => want.has(canonicalAddressSafe(a)))) return undefined;
    }
    const { wanted } = this.families(svc);
    if (!svc.ingress.every((a) => wanted.includes(familyOf(numberedAddressSafe(a)?.isV6 ?? false)))) return undefined;
    try {
      const got = this.fromList(svc, svc.ingress);
      this.take(key, svc, got.addresses);
      return { service: key, ...got };
    } catch (err) {
      if (err instanceof AllocationError) return undefined;
      throw err;
    }
  }

  /** A new assignment, or the event saying why none. */
  assign(svc: Service, key: string): ServiceAssignment | ServiceEvent {
    try {
      const requested = this.requested(svc);
      const got = requested.length > 0 ? this.fromList(svc, requested) : this.fromPools(svc);
      this.take(key, svc, got.addresses);
      return { service: key, ...got };
    } catch (err) {
      if (err instanceof AllocationError) return { service: key, reason: allocationFailed, message: `Failed to allocate IP for "${key}": ${err.message}` };
      throw err;
    }
  }
}

function numberedAddressSafe(text: string): { value: bigint; isV6: boolean } | undefined {
  try {
    return numberedAddress(text);
  } catch {
    return undefined;
  }
}

function canonicalAddressSafe(text: string): string {
  try {
    return canonicalAddress(text);
  } catch {
    return text;
  }
}

const sortFamilies = (list: readonly string[]): string[] => [...list].sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')));

/**
 * Assigns addresses to every Service of type LoadBalancer. Services that already hold a
 * valid address keep it (stability across restarts: the status is the memory); the rest
 * are served in namespace/name order. A request that cannot be met yields an event and
 * no assignment for that Service only.
 */
export function allocate(input: AllocationInput): AllocationResult {
  const allocator = new Allocator(input);
  const services = input.services.filter((s) => s.type === 'LoadBalancer' && !s.isStatusOnly).sort((a, b) => (keyOf(a.meta) < keyOf(b.meta) ? -1 : 1));
  const assignments = new Map<string, ServiceAssignment>();
  const events: ServiceEvent[] = [];
  const pending: Service[] = [];
  for (const svc of services) {
    const kept = allocator.keepExisting(svc, keyOf(svc.meta));
    if (kept === undefined) pending.push(svc);
    else assignments.set(kept.service, kept);
  }
  for (const svc of pending) {
    const r = allocator.assign(svc, keyOf(svc.meta));
    if ('addresses' in r) assignments.set(r.service, r);
    else events.push(r);
  }
  return { assignments, events };
}
