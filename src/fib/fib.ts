// The FIB writer (zebra's job): per prefix, the desired next hops as the RIB says, and
// what is installed in the kernel table; every difference becomes one route request
// (replace in one operation, or delete). Next hops are resolved against the kernel's
// connected and kernel routes and re-resolved on link, address and route events.
// Start-up adopts our leftovers and sweeps the ones not re-learned; stop removes ours.

import { bytesEqual, formatAddress, formatPrefix, type Prefix } from '../lib/address.js';
import type { Logger } from '../lib/logger.js';
import { silentLogger } from '../lib/logger.js';
import { decodeAddr, encodeAddrDump } from './addr-message.js';
import { ECANCELED, ENOBUFS, KernelWriter } from './kernel-writer.js';
import { decodeLink, encodeLinkDump } from './link-message.js';
import { AddressFamily, KernelError, NlmFlag, RtmType, RtnlGroup, errnoName, splitMessages, type NlMessage } from './netlink.js';
import { Resolver, type ResolvedHop, type UnresolvedReason } from './resolver.js';
import { RouteProtocol, RouteScope, RouteTable, RouteType, decodeRoute, encodeRouteDump, encodeRouteRequest, type KernelNextHop, type KernelRoute } from './route-message.js';
import { NetlinkUnavailableError, openRouteSocket, type NetlinkSocket } from './socket.js';

/** The desired state of one prefix: its next hops (the multipath set); none means withdraw. */
export interface FibRoute {
  readonly prefix: Prefix;
  /** Next hop addresses of the prefix's family; empty deletes the route. */
  readonly nextHops: readonly Uint8Array[];
}

export interface FibOptions {
  /** Kernel table (main, 254, by default). */
  readonly table?: number;
  /** Route protocol number (bgp, 186, by default): marks our routes for adopt and sweep. */
  readonly protocol?: number;
  /** Kernel metric (RTA_PRIORITY), 20 by default as zebra writes it. */
  readonly metric?: number;
  /** Resolve next hops through a default route. */
  readonly resolveViaDefault?: boolean;
  /** Route requests per datagram (default 500). */
  readonly batchSize?: number;
  readonly logger?: Logger;
  /** Opens a route socket; tests and benchmarks inject their own. */
  readonly openSocket?: () => NetlinkSocket;
}

/**
 * What the FIB can do on this host: `running` writes the kernel table, `read-only`
 * lacks the privilege (CAP_NET_ADMIN) and only tracks, `off` has no netlink at all.
 */
export type FibState = 'stopped' | 'starting' | 'running' | 'read-only' | 'off' | 'stopping';

/** A prefix's state, for status output and tests. */
export interface FibEntryStatus {
  readonly prefix: string;
  readonly desired: readonly string[] | undefined;
  readonly installed: readonly string[] | undefined;
  /** Desired next hops that do not resolve, with the reason. */
  readonly unresolved: readonly { readonly nextHop: string; readonly reason: UnresolvedReason }[];
  /** The kernel's refusal of the last request, if it failed. */
  readonly error: string | undefined;
  /** Adopted at start and not re-learned yet. */
  readonly isAdopted: boolean;
}

/** Route requests sent to the kernel since start, and those it refused. */
export interface FibOperationCounts {
  /** Installs of a prefix we did not hold (RTM_NEWROUTE, create or replace). */
  readonly add: number;
  /** New next hops for a prefix we held. */
  readonly replace: number;
  readonly delete: number;
  /** Requests the kernel answered with an error (a delete's ESRCH is not one: the route is gone as asked). */
  readonly errors: number;
}

export interface FibStatus {
  readonly state: FibState;
  readonly reason: string | undefined;
  readonly prefixes: number;
  readonly installed: number;
  readonly unresolved: number;
  readonly failed: number;
  /** Requests and refusals since start (the Fib always fills it). */
  readonly operations?: FibOperationCounts;
}

type Target = readonly KernelNextHop[];

interface Entry {
  readonly key: string;
  readonly prefix: Prefix;
  desired: readonly Uint8Array[] | undefined;
  isAdopted: boolean;
  installed: Target | undefined;
  /** Metric of an installed route that is not ours any more (changed configuration). */
  installedMetric: number;
  isInFlight: boolean;
  isDirty: boolean;
  unresolved: { nextHop: Uint8Array; reason: UnresolvedReason }[];
  error: KernelError | undefined;
  errorSignature: string | undefined;
}

function hopKey(h: { readonly gateway: Uint8Array | undefined; readonly ifindex: number }): string {
  return `${h.gateway === undefined ? '-' : formatAddress(h.gateway)}%${h.ifindex}`;
}

function signature(t: Target): string {
  return t.map(hopKey).sort().join(',');
}

/** Writes desired routes into a kernel table through rtnetlink. */
export class Fib {
  private readonly table: number;
  private readonly protocol: number;
  private readonly metric: number;
  private readonly logger: Logger;
  private readonly openSocket: () => NetlinkSocket;
  private readonly batchSize: number;
  private readonly resolver: Resolver;
  private readonly entries = new Map<string, Entry>();
  /** Next hop address -> entries that want it, so a resolution change touches only those. */
  private readonly byNextHop = new Map<string, { readonly addr: Uint8Array; resolution: string; readonly users: Set<Entry> }>();
  private readonly dirty = new Set<Entry>();
  /** Requests sent and refused since start (status().operations). */
  private readonly counts = { add: 0, replace: 0, delete: 0, errors: 0 };
  private writer: KernelWriter | undefined;
  private events: NetlinkSocket | undefined;
  private stateValue: FibState = 'stopped';
  private reasonValue: string | undefined;
  private isProcessScheduled = false;
  private isReresolveScheduled = false;
  private isRefreshScheduled = false;
  private tasks = 0;
  private settleWaiters: (() => void)[] = [];
  private bufferedEvents: NlMessage[] | undefined;

  constructor(options: FibOptions = {}) {
    this.table = options.table ?? RouteTable.main;
    this.protocol = options.protocol ?? RouteProtocol.bgp;
    this.metric = options.metric ?? 20;
    this.logger = options.logger ?? silentLogger;
    this.batchSize = options.batchSize ?? 500;
    this.openSocket = options.openSocket ?? (() => openRouteSocket());
    if (!Number.isInteger(this.table) || this.table < 1 || this.table > 0xffffffff || this.table === RouteTable.local)
      throw new RangeError(`fib table must be 1 to 4294967295 and not local (255), not ${this.table}`);
    if (!Number.isInteger(this.protocol) || this.protocol < 1 || this.protocol > 255) throw new RangeError(`fib protocol must be 1 to 255, not ${this.protocol}`);
    if (!Number.isInteger(this.metric) || this.metric < 0 || this.metric > 0xffffffff) throw new RangeError(`fib metric must be 0 to 4294967295, not ${this.metric}`);
    this.resolver = new Resolver({ table: this.table, protocol: this.protocol, resolveViaDefault: options.resolveViaDefault ?? false });
  }

  get state(): FibState {
    return this.stateValue;
  }

  /**
   * Opens the netlink sockets, reads interfaces, addresses and routes, and adopts the
   * routes of our protocol already in the table (kept until `sweep`). Never throws for
   * a host without netlink or without privilege: the state says so, and the log.
   */
  async start(): Promise<FibStatus> {
    if (this.stateValue !== 'stopped') throw new Error(`Fib.start: already ${this.stateValue}`);
    this.stateValue = 'starting';
    let socket: NetlinkSocket;
    try {
      socket = this.openSocket();
      this.events = this.openSocket();
    } catch (e) {
      if (!(e instanceof NetlinkUnavailableError)) throw e;
      this.stateValue = 'off';
      this.reasonValue = e.message;
      this.logger.warn('fib off: no netlink on this host, routes are not installed', { error: e.message });
      return this.status();
    }
    this.writer = new KernelWriter(socket, { batchSize: this.batchSize, logger: this.logger });
    this.bufferedEvents = [];
    this.events.listen(
      (d) => this.onEventDatagram(d),
      (e) => {
        // Lost notifications: only a fresh read of the kernel's state is right again.
        this.logger.warn('fib events lost, reading the kernel state again', { code: e.code });
        this.scheduleRefresh(true);
      },
    );
    for (const g of [RtnlGroup.link, RtnlGroup.ipv4Ifaddr, RtnlGroup.ipv6Ifaddr, RtnlGroup.ipv4Route, RtnlGroup.ipv6Route]) this.events.join(g);
    // Our own route additions come back as notifications we ignore (ourRouteEvent), one
    // per route: a full table's worth overflows any receive buffer, and each overflow
    // costs a dump of the whole kernel table. Filtered in the kernel when it can be.
    if (this.table < 256 && this.events.dropOwnRouteAdds !== undefined) {
      try {
        this.events.dropOwnRouteAdds(this.protocol, this.table);
      } catch (e) {
        this.logger.warn('fib cannot filter its own route notifications; they are read and ignored', { error: (e as Error).message });
      }
    }

    const canWrite = await this.probeWrite();
    await this.readKernel(true);
    const buffered = this.bufferedEvents;
    this.bufferedEvents = undefined;
    for (const msg of buffered) this.onEvent(msg);
    if (canWrite) {
      this.stateValue = 'running';
      this.reasonValue = undefined;
    } else {
      this.stateValue = 'read-only';
      this.reasonValue = 'no privilege to write the kernel routing table (needs CAP_NET_ADMIN: run as root or grant cap_net_admin)';
      this.logger.error('fib cannot write the kernel table; routes are tracked but not installed', { reason: this.reasonValue, table: this.table });
    }
    const adopted = [...this.entries.values()].filter((e) => e.isAdopted).length;
    this.logger.info('fib started', { state: this.stateValue, table: this.table, protocol: this.protocol, metric: this.metric, adopted });
    this.scheduleProcess();
    return this.status();
  }

  /**
   * Asks for something harmless that needs CAP_NET_ADMIN: a route request of family
   * AF_UNSPEC has no handler (EOPNOTSUPP) but the privilege check comes first (EPERM).
   */
  private probeWrite(): Promise<boolean> {
    return new Promise((resolve) => {
      this.writer!.request(
        (w, seq) => {
          const at = w.beginMessage(RtmType.newRoute, NlmFlag.request, seq);
          w.u8(AddressFamily.unspec).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0);
          w.endMessage(at);
          return at;
        },
        (err) => resolve(err === undefined || (err.code !== 'EPERM' && err.code !== 'EACCES')),
      );
      this.writer!.flush();
    });
  }

  /** Dumps links, addresses and routes; with `isStart`, adopts our routes. */
  private async readKernel(isStart: boolean): Promise<void> {
    const writer = this.writer!;
    for (const msg of await writer.dump((w, seq) => encodeLinkDump(w, seq))) this.resolver.applyLink(decodeLink(msg), false);
    for (const msg of await writer.dump((w, seq) => encodeAddrDump(w, seq))) {
      const a = decodeAddr(msg);
      if (a !== undefined) this.resolver.applyAddr(a, false);
    }
    const seen = new Set<Entry>();
    for (const msg of await writer.dump((w, seq) => encodeRouteDump(w, AddressFamily.unspec, seq))) {
      const route = decodeRoute(msg);
      if (route === undefined) continue;
      if (this.isOurs(route)) {
        const entry = this.kernelHas(route, isStart);
        if (entry !== undefined) seen.add(entry);
      } else this.resolver.applyRoute(route, false);
    }
    if (!isStart) {
      // What we believed installed but the kernel lacks (e.g. flushed with its link).
      for (const e of this.entries.values()) {
        if (e.installed !== undefined && !seen.has(e) && !e.isInFlight) {
          e.installed = undefined;
          this.markDirty(e);
        }
      }
    }
    this.reresolveAll();
  }

  private isOurs(route: KernelRoute): boolean {
    return route.protocol === this.protocol && route.table === this.table && route.type === RouteType.unicast;
  }

  /** Records a route of ours found in the kernel. */
  private kernelHas(route: KernelRoute, isStart: boolean): Entry | undefined {
    const key = formatPrefix(route.dst);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      if (!isStart) return undefined;
      entry = this.newEntry(key, route.dst);
      entry.isAdopted = true;
      this.entries.set(key, entry);
    }
    if (entry.isInFlight) return entry;
    const installed = route.nextHops.map((h) => ({ gateway: h.gateway, ifindex: h.ifindex, weight: 1, flags: 0 }));
    if (entry.installed === undefined || signature(entry.installed) !== signature(installed) || entry.installedMetric !== route.metric) {
      entry.installed = installed;
      entry.installedMetric = route.metric;
      this.markDirty(entry);
    }
    return entry;
  }

  private newEntry(key: string, prefix: Prefix): Entry {
    return { key, prefix, desired: undefined, isAdopted: false, installed: undefined, installedMetric: this.metric, isInFlight: false, isDirty: false, unresolved: [], error: undefined, errorSignature: undefined };
  }

  /** Sets the desired next hops of one prefix (empty: withdraw). */
  update(route: FibRoute): void {
    const key = formatPrefix(route.prefix);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      if (route.nextHops.length === 0) return;
      entry = this.newEntry(key, route.prefix);
      this.entries.set(key, entry);
    }
    entry.isAdopted = false;
    this.setDesired(entry, route.nextHops.length === 0 ? undefined : route.nextHops);
    this.markDirty(entry);
  }

  /** Sets many prefixes at once. */
  updateMany(routes: Iterable<FibRoute>): void {
    for (const r of routes) this.update(r);
  }

  private setDesired(entry: Entry, next: readonly Uint8Array[] | undefined): void {
    const before = entry.desired ?? [];
    entry.desired = next;
    // Only the next hops that come or go touch their slots: a multipath set growing from
    // two to three members (each peer's UPDATE in turn) leaves the two alone.
    const isKept = (nh: Uint8Array, list: readonly Uint8Array[]): boolean => list.some((o) => bytesEqual(o, nh));
    for (const nh of before) {
      if (next !== undefined && isKept(nh, next)) continue;
      const k = formatAddress(nh);
      const slot = this.byNextHop.get(k);
      if (slot === undefined) continue;
      slot.users.delete(entry);
      if (slot.users.size === 0) this.byNextHop.delete(k);
    }
    for (const nh of next ?? []) {
      if (isKept(nh, before)) continue;
      const k = formatAddress(nh);
      let slot = this.byNextHop.get(k);
      if (slot === undefined) {
        slot = { addr: nh, resolution: this.resolutionSignature(nh), users: new Set() };
        this.byNextHop.set(k, slot);
      }
      slot.users.add(entry);
    }
  }

  private resolutionSignature(nh: Uint8Array): string {
    const r = this.resolver.resolve(nh);
    return r.reason ?? r.hops.map(hopKey).join(',');
  }

  /**
   * The routes adopted at start and not re-learned since, each with the gateways it has
   * in the kernel (for a restart hold that keeps them beside the re-learned ones).
   */
  adoptedRoutes(): FibRoute[] {
    const out: FibRoute[] = [];
    for (const e of this.entries.values()) {
      if (!e.isAdopted || e.installed === undefined) continue;
      const nextHops = e.installed.flatMap((h) => (h.gateway === undefined ? [] : [h.gateway]));
      if (nextHops.length > 0) out.push({ prefix: e.prefix, nextHops });
    }
    return out;
  }

  /**
   * Every next hop the desired routes use, with how many prefixes want it and, when it
   * does not resolve now, why (its routes are held back). O(distinct next hops).
   */
  nextHopStates(): { readonly nextHop: string; readonly prefixes: number; readonly unresolved: UnresolvedReason | undefined }[] {
    return [...this.byNextHop].map(([nextHop, slot]) => ({ nextHop, prefixes: slot.users.size, unresolved: this.resolver.resolve(slot.addr).reason }));
  }

  /** Deletes the adopted routes that were not re-learned since start; returns how many. */
  sweep(): number {
    let n = 0;
    for (const e of this.entries.values()) {
      if (!e.isAdopted) continue;
      e.isAdopted = false;
      n++;
      this.markDirty(e);
    }
    if (n > 0) this.logger.info('fib sweep', { routes: n });
    return n;
  }

  private markDirty(entry: Entry): void {
    entry.isDirty = true;
    this.dirty.add(entry);
    this.scheduleProcess();
  }

  /**
   * Writes what changed once the current turn's I/O is handled (setImmediate, not a
   * microtask): every UPDATE read in this turn, from every peer, has reached the RIB by
   * then, so a prefix that three peers announce in one turn is written once with its
   * three next hops rather than three times.
   */
  private scheduleProcess(): void {
    if (this.isProcessScheduled) return;
    this.isProcessScheduled = true;
    setImmediate(() => {
      this.isProcessScheduled = false;
      this.process();
    });
  }

  /** The kernel next hops an entry should have now, and which desired ones do not resolve. */
  private target(entry: Entry): Target {
    entry.unresolved = [];
    if (entry.desired === undefined) return entry.isAdopted && entry.installed !== undefined ? entry.installed : [];
    const hops: KernelNextHop[] = [];
    const seen = new Set<string>();
    for (const nh of entry.desired) {
      if (nh.length !== entry.prefix.addr.length) {
        entry.unresolved.push({ nextHop: nh, reason: 'family' });
        continue;
      }
      const r = this.resolver.resolve(nh);
      if (r.reason !== undefined) entry.unresolved.push({ nextHop: nh, reason: r.reason });
      for (const h of r.hops) {
        const k = hopKey(h);
        if (seen.has(k)) continue;
        seen.add(k);
        hops.push(toKernelHop(h));
      }
    }
    return hops;
  }

  private process(): void {
    const writer = this.writer;
    if (this.stateValue !== 'running' || writer === undefined) {
      if (this.stateValue !== 'starting') {
        // Nothing can be written: keep the state and the reasons, settle at once.
        for (const e of this.dirty) {
          this.target(e);
          e.isDirty = false;
        }
        this.dirty.clear();
      }
      this.checkSettled();
      return;
    }
    for (const entry of this.dirty) {
      if (entry.isInFlight) continue;
      this.dirty.delete(entry);
      entry.isDirty = false;
      const target = this.target(entry);
      const sig = signature(target);
      const isStale = entry.installedMetric !== this.metric;
      if (entry.installed !== undefined && !isStale && signature(entry.installed) === sig) {
        entry.error = undefined;
        this.forget(entry);
        continue;
      }
      if (target.length === 0 && entry.installed === undefined) {
        entry.error = undefined;
        this.forget(entry);
        continue;
      }
      // A refused request waits for a change of its next hops rather than hammering the kernel.
      if (entry.error !== undefined && entry.errorSignature === sig) continue;
      if (isStale && entry.installed !== undefined) {
        this.send(entry, 'delete', entry.installed, entry.installedMetric);
      } else if (target.length === 0) {
        this.send(entry, 'delete', entry.installed!, this.metric);
      } else {
        this.send(entry, 'replace', target, this.metric);
      }
    }
    writer.flush();
    this.checkSettled();
  }

  private send(entry: Entry, op: 'replace' | 'delete', target: Target, metric: number): void {
    const route: KernelRoute = {
      dst: entry.prefix,
      table: this.table,
      protocol: this.protocol,
      scope: RouteScope.universe,
      type: RouteType.unicast,
      metric,
      tos: 0,
      nextHops: target,
      prefSrc: undefined,
      flags: 0,
    };
    entry.isInFlight = true;
    if (op === 'delete') this.counts.delete++;
    else if (entry.installed === undefined) this.counts.add++;
    else this.counts.replace++;
    this.writer!.request(
      (w, seq) => encodeRouteRequest(w, op, route, seq, NlmFlag.request),
      (err) => this.done(entry, op, route, err),
    );
  }

  private done(entry: Entry, op: 'replace' | 'delete', route: KernelRoute, err: KernelError | undefined): void {
    entry.isInFlight = false;
    // ESRCH on delete: the route is gone already, which is what was asked.
    if (err === undefined || (op === 'delete' && err.code === 'ESRCH')) {
      entry.installed = op === 'delete' ? undefined : route.nextHops;
      entry.installedMetric = op === 'delete' ? this.metric : route.metric;
      entry.error = undefined;
      entry.errorSignature = undefined;
      // A delete of a stale-metric route is followed by the install at our metric.
      if (op === 'delete' && route.metric !== this.metric) this.markDirty(entry);
    } else if (err.errno === ENOBUFS) {
      // The answer was lost with others (receive buffer overrun): the outcome is read back.
      this.counts.errors++;
      this.scheduleRefresh(false);
    } else if (err.errno === ECANCELED) {
      return;
    } else {
      this.counts.errors++;
      entry.error = err;
      entry.errorSignature = op === 'delete' ? '' : signature(route.nextHops);
      this.logger.warn('fib route rejected', {
        prefix: entry.key,
        op,
        code: err.code,
        error: err.kernelMessage ?? errnoName(err.errno),
        nextHops: route.nextHops.map(hopKey),
      });
    }
    if (entry.isDirty) this.scheduleProcess();
    else this.forget(entry);
    this.checkSettled();
  }

  /** Drops an entry nobody wants and the kernel does not hold. */
  private forget(entry: Entry): void {
    if (entry.desired === undefined && entry.installed === undefined && !entry.isInFlight && !entry.isDirty && !entry.isAdopted) this.entries.delete(entry.key);
  }

  private onEventDatagram(datagram: Uint8Array): void {
    let messages: NlMessage[];
    try {
      messages = splitMessages(datagram);
    } catch (e) {
      this.logger.error('fib event undecodable', { error: e });
      return;
    }
    for (const msg of messages) {
      if (this.bufferedEvents !== undefined) this.bufferedEvents.push(msg);
      else this.onEvent(msg);
    }
  }

  private onEvent(msg: NlMessage): void {
    try {
      switch (msg.type) {
        case RtmType.newLink:
        case RtmType.delLink: {
          if (this.resolver.applyLink(decodeLink(msg), msg.type === RtmType.delLink)) {
            this.scheduleReresolve();
            // The kernel flushes IPv4 routes through a link going down without telling anyone.
            this.scheduleRefresh(false);
          }
          break;
        }
        case RtmType.newAddr:
        case RtmType.delAddr: {
          const a = decodeAddr(msg);
          if (a !== undefined && this.resolver.applyAddr(a, msg.type === RtmType.delAddr)) {
            this.scheduleReresolve();
            if (msg.type === RtmType.delAddr) this.scheduleRefresh(false);
          }
          break;
        }
        case RtmType.newRoute:
        case RtmType.delRoute: {
          const route = decodeRoute(msg);
          if (route === undefined) break;
          const isDelete = msg.type === RtmType.delRoute;
          if (this.isOurs(route)) this.ourRouteEvent(route, isDelete);
          else if (this.resolver.applyRoute(route, isDelete)) this.scheduleReresolve();
          break;
        }
      }
    } catch (e) {
      this.logger.error('fib event undecodable', { error: e, type: msg.type });
    }
  }

  /** Someone else removed one of our routes: put it back if it is still wanted. */
  private ourRouteEvent(route: KernelRoute, isDelete: boolean): void {
    if (!isDelete || route.metric !== this.metric) return;
    const entry = this.entries.get(formatPrefix(route.dst));
    if (entry === undefined || entry.isInFlight || entry.installed === undefined) return;
    entry.installed = undefined;
    this.markDirty(entry);
  }

  private scheduleReresolve(): void {
    if (this.isReresolveScheduled) return;
    this.isReresolveScheduled = true;
    queueMicrotask(() => {
      this.isReresolveScheduled = false;
      this.reresolveAll();
    });
  }

  /** Re-resolves every next hop in use; entries whose next hops resolve differently are redone. */
  private reresolveAll(): void {
    for (const slot of this.byNextHop.values()) {
      const sig = this.resolutionSignature(slot.addr);
      if (sig === slot.resolution) continue;
      slot.resolution = sig;
      for (const e of slot.users) this.markDirty(e);
    }
  }

  private scheduleRefresh(isLoud: boolean): void {
    if (this.isRefreshScheduled || this.writer === undefined) return;
    this.isRefreshScheduled = true;
    this.tasks++;
    queueMicrotask(() => {
      this.isRefreshScheduled = false;
      // Let the in-flight answers land first so the dump is compared with settled entries.
      this.writer!.idle()
        .then(() => this.readKernel(false))
        .catch((e: unknown) => {
          if (isLoud || !(e instanceof KernelError && e.errno === ECANCELED)) this.logger.error('fib cannot read the kernel state', { error: e });
        })
        .finally(() => {
          this.tasks--;
          this.checkSettled();
        });
    });
  }

  private get isSettled(): boolean {
    return !this.isProcessScheduled && !this.isReresolveScheduled && this.tasks === 0 && [...this.dirty].every((e) => e.isInFlight) && (this.writer === undefined || this.writer.isIdle);
  }

  private checkSettled(): void {
    if (!this.isSettled || this.settleWaiters.length === 0) return;
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when every change so far is written and answered (or held back with a reason). */
  settled(): Promise<void> {
    if (this.isSettled) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  /** Removes our routes from the kernel (unless `keepRoutes`) and closes the sockets. */
  async stop(options: { readonly keepRoutes?: boolean } = {}): Promise<void> {
    if (this.stateValue === 'stopped') return;
    const wasRunning = this.stateValue === 'running';
    this.stateValue = 'stopping';
    this.events?.close();
    this.events = undefined;
    const writer = this.writer;
    if (writer !== undefined) {
      if (wasRunning && options.keepRoutes !== true) {
        await writer.idle();
        let n = 0;
        for (const e of this.entries.values()) {
          if (e.installed === undefined) continue;
          n++;
          this.counts.delete++;
          const route: KernelRoute = { dst: e.prefix, table: this.table, protocol: this.protocol, scope: RouteScope.universe, type: RouteType.unicast, metric: e.installedMetric, tos: 0, nextHops: [], prefSrc: undefined, flags: 0 };
          writer.request(
            (w, seq) => encodeRouteRequest(w, 'delete', route, seq, NlmFlag.request),
            (err) => {
              if (err === undefined || err.code === 'ESRCH') {
                e.installed = undefined;
                return;
              }
              this.counts.errors++;
              this.logger.warn('fib route not removed', { prefix: e.key, code: err.code, error: err.kernelMessage ?? err.code });
            },
          );
        }
        await writer.idle();
        this.logger.info('fib stopped, routes removed', { routes: n });
      } else if (options.keepRoutes === true) {
        this.logger.info('fib stopped, routes kept in the kernel', { routes: [...this.entries.values()].filter((e) => e.installed !== undefined).length });
      }
      writer.close();
    }
    this.writer = undefined;
    this.stateValue = 'stopped';
    this.dirty.clear();
    this.checkSettled();
  }

  status(): FibStatus {
    let installed = 0;
    let unresolved = 0;
    let failed = 0;
    for (const e of this.entries.values()) {
      if (e.installed !== undefined) installed++;
      if (e.desired !== undefined && e.unresolved.length > 0) unresolved++;
      if (e.error !== undefined) failed++;
    }
    return { state: this.stateValue, reason: this.reasonValue, prefixes: this.entries.size, installed, unresolved, failed, operations: { ...this.counts } };
  }

  /** One prefix's state, or undefined if the FIB knows nothing of it. */
  entry(prefix: Prefix): FibEntryStatus | undefined {
    const e = this.entries.get(formatPrefix(prefix));
    if (e === undefined) return undefined;
    return {
      prefix: e.key,
      desired: e.desired?.map(formatAddress),
      installed: e.installed?.map(hopKey),
      unresolved: e.unresolved.map((u) => ({ nextHop: formatAddress(u.nextHop), reason: u.reason })),
      error: e.error?.message,
      isAdopted: e.isAdopted,
    };
  }

  /** Every prefix's state. */
  entriesStatus(): FibEntryStatus[] {
    return [...this.entries.values()].map((e) => this.entry(e.prefix)!);
  }
}

function toKernelHop(h: ResolvedHop): KernelNextHop {
  return { gateway: h.gateway, ifindex: h.ifindex, weight: 1, flags: 0 };
}
