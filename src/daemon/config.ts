// tsbgpd's configuration: gobgpd's file format (TOML or YAML), the subset tsbgpd
// implements, plus our top-level `originate` list. Every value is checked; an error
// names the file, the line and the key. Keys gobgpd knows but tsbgpd does not
// implement yet are refused by name (or, with allowUnsupported, reported as warnings);
// keys gobgpd does not know either are always errors, as gobgpd's exact decoding does.

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { isIPv4, isIPv6 } from 'node:net';
import { parse as parseToml, TomlError } from 'smol-toml';
import { Afi, Safi, AddressError, formatAddress, formatPrefix, parseAddress, parsePrefix, type Prefix } from '../lib/address.js';
import { familyKey, familyName, type FamilyKey } from '../wire/context.js';
import { Origin, WellKnownCommunity } from '../wire/attributes/types.js';
import { childPath, locateToml, locateYaml, parseYamlWithLines, type KeyLocator } from './config-locate.js';

export type ConfigType = 'toml' | 'yaml';

/** An operator fault in the configuration: `FILE:LINE: KEY: what is wrong`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** global.config */
export interface GlobalConfig {
  readonly as: number;
  /** BGP Identifier as text (an IPv4 address). */
  readonly routerId: string;
  /** TCP port to listen on; -1 means do not listen (as gobgpd). */
  readonly port: number;
  readonly localAddressList: readonly string[];
}

/** One `[[neighbors]]` entry, with gobgpd's defaults applied. */
export interface NeighborConfig {
  /** The neighbor address in canonical text (RFC 5952 for IPv6): the peer's name. */
  readonly address: string;
  readonly peerAs: number;
  /** local-as, else global.config.as. */
  readonly localAs: number;
  /** True when local-as is not set and `localAs` is global.config.as. */
  readonly isLocalAsFromGlobal: boolean;
  readonly description: string;
  readonly localAddress?: string;
  readonly isPassive: boolean;
  readonly remotePort: number;
  readonly holdTimeSec: number;
  readonly keepaliveSec: number;
  readonly connectRetrySec: number;
  readonly idleHoldTimeAfterResetSec?: number;
  /** Families offered, in configuration order. */
  readonly families: readonly FamilyKey[];
  /** ebgp-multihop: accepted; the TTL cannot be set from Node yet (a warning says so). */
  readonly ebgpMultihop?: { readonly isEnabled: boolean; readonly ttl?: number };
}

/** One `[[originate]]` route (our addition to gobgpd's format). */
export interface OriginateRoute {
  readonly prefix: Prefix;
  /** The prefix as canonical text, its identity across reloads. */
  readonly prefixText: string;
  /** Configured next hop, canonical text; else the session's local address is used. */
  readonly nextHop?: string;
  readonly origin: Origin;
  readonly communities: readonly number[];
  readonly med?: number;
}

export interface DaemonConfig {
  readonly fileName: string;
  readonly global: GlobalConfig;
  readonly neighbors: readonly NeighborConfig[];
  readonly originate: readonly OriginateRoute[];
  /** `FILE:LINE: KEY: ...` lines to log as warnings at start (or reload). */
  readonly warnings: readonly string[];
}

export interface ParseOptions {
  /** Keys gobgpd knows but tsbgpd does not implement become warnings instead of errors. */
  readonly allowUnsupported?: boolean;
}

export const defaultPort = 179;
export const defaultHoldTimeSec = 90;
export const defaultConnectRetrySec = 120;
export const defaultLocalAddressList: readonly string[] = ['0.0.0.0', '::'];
const maxAsn = 4294967295;

type Table = Readonly<Record<string, unknown>>;

/** For each table we read: the keys tsbgpd implements, and the other keys gobgpd knows. */
interface KeySet {
  readonly supported: readonly string[];
  readonly known: readonly string[];
}

const keySets = {
  top: {
    supported: ['global', 'neighbors', 'originate'],
    known: ['peer-groups', 'rpki-servers', 'bmp-servers', 'vrfs', 'mrt-dump', 'zebra', 'collector', 'defined-sets', 'policy-definitions', 'dynamic-neighbors'],
  },
  global: {
    supported: ['config'],
    known: ['state', 'route-selection-options', 'default-route-distance', 'confederation', 'use-multiple-paths', 'graceful-restart', 'afi-safis', 'apply-policy'],
  },
  globalConfig: { supported: ['as', 'router-id', 'port', 'local-address-list'], known: [] },
  neighbor: {
    supported: ['config', 'transport', 'timers', 'afi-safis', 'ebgp-multihop'],
    known: ['state', 'error-handling', 'logging-options', 'route-reflector', 'as-path-options', 'add-paths', 'graceful-restart', 'apply-policy', 'use-multiple-paths', 'route-server', 'ttl-security'],
  },
  neighborConfig: {
    supported: ['neighbor-address', 'peer-as', 'local-as', 'description'],
    known: ['peer-type', 'auth-password', 'remove-private-as', 'route-flap-damping', 'send-community', 'peer-group', 'neighbor-interface', 'vrf', 'admin-down'],
  },
  withConfig: { supported: ['config'], known: ['state'] },
  timersConfig: { supported: ['connect-retry', 'hold-time', 'keepalive-interval', 'idle-hold-time-after-reset'], known: ['minimum-advertisement-interval'] },
  transportConfig: { supported: ['local-address', 'passive-mode', 'remote-port'], known: ['tcp-mss', 'mtu-discovery', 'ttl', 'bind-interface', 'local-port'] },
  multihopConfig: { supported: ['enabled', 'multihop-ttl'], known: [] },
  afiSafi: {
    supported: ['config'],
    known: [
      'state', 'mp-graceful-restart', 'apply-policy', 'ipv4-unicast', 'ipv6-unicast', 'ipv4-labelled-unicast', 'ipv6-labelled-unicast',
      'l3vpn-ipv4-unicast', 'l3vpn-ipv6-unicast', 'l3vpn-ipv4-multicast', 'l3vpn-ipv6-multicast', 'l2vpn-vpls', 'l2vpn-evpn',
      'route-target-membership', 'use-multiple-paths', 'prefix-limit', 'long-lived-graceful-restart', 'add-paths', 'route-selection-options',
    ],
  },
  afiSafiConfig: { supported: ['afi-safi-name', 'enabled'], known: [] },
  originate: { supported: ['prefix', 'next-hop', 'origin', 'communities', 'med'], known: [] },
} satisfies Record<string, KeySet>;

const supportedFamilies: Readonly<Record<string, FamilyKey>> = {
  'ipv4-unicast': familyKey(Afi.ipv4, Safi.unicast),
  'ipv6-unicast': familyKey(Afi.ipv6, Safi.unicast),
};

/** Family names gobgpd accepts that tsbgpd does not carry yet. */
const knownFamilies = new Set([
  'ipv4-multicast', 'ipv6-multicast', 'ipv4-labelled-unicast', 'ipv6-labelled-unicast', 'l3vpn-ipv4-unicast', 'l3vpn-ipv6-unicast',
  'l3vpn-ipv4-multicast', 'l3vpn-ipv6-multicast', 'l2vpn-vpls', 'l2vpn-evpn', 'rtc', 'ipv4-encap', 'ipv6-encap', 'ipv4-flowspec',
  'ipv6-flowspec', 'l3vpn-ipv4-flowspec', 'l3vpn-ipv6-flowspec', 'l2vpn-flowspec', 'opaque', 'ls', 'ipv4-srpolicy', 'ipv6-srpolicy',
  'ipv4-mup', 'ipv6-mup',
]);

const originNames: Readonly<Record<string, Origin>> = { igp: Origin.igp, egp: Origin.egp, incomplete: Origin.incomplete };

const communityNames: Readonly<Record<string, number>> = {
  'no-export': WellKnownCommunity.noExport,
  'no-advertise': WellKnownCommunity.noAdvertise,
  'no-export-subconfed': WellKnownCommunity.noExportSubconfed,
  'no-peer': WellKnownCommunity.noPeer,
  blackhole: WellKnownCommunity.blackhole,
  'graceful-shutdown': WellKnownCommunity.gracefulShutdown,
  'accept-own': WellKnownCommunity.acceptOwn,
  'llgr-stale': WellKnownCommunity.llgrStale,
  'no-llgr': WellKnownCommunity.noLlgr,
};

/** How a value is shown after "got": strings quoted, containers by kind. */
function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return String(value);
  if (typeof value === 'object') return 'a table';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Reads values with their paths, failing with the line of the offending key. */
class Checker {
  readonly warnings: string[] = [];
  private readonly unsupported: string[] = [];

  constructor(
    private readonly fileName: string,
    private readonly locator: KeyLocator,
    private readonly allowUnsupported: boolean,
  ) {}

  at(path: string): string {
    return `${this.fileName}:${this.locator.lineOf(path)}: ${path}`;
  }

  fail(path: string, expected: string, got: unknown): never {
    throw new ConfigError(`${this.at(path)}: expected ${expected}, got ${describeValue(got)}`);
  }

  failWith(path: string, text: string): never {
    throw new ConfigError(`${this.at(path)}: ${text}`);
  }

  warn(path: string, text: string): void {
    this.warnings.push(`${this.at(path)}: ${text}`);
  }

  markUnsupported(path: string): void {
    this.unsupported.push(path);
  }

  /** Throws for the unsupported keys found (or, when allowed, warns), in line order. */
  finish(): void {
    if (this.unsupported.length === 0) return;
    const byLine = [...this.unsupported].sort((a, b) => this.locator.lineOf(a) - this.locator.lineOf(b));
    if (this.allowUnsupported) {
      for (const path of byLine) this.warn(path, 'not supported by tsbgpd yet; ignored');
      return;
    }
    this.throwUnsupported(byLine);
  }

  /** Without allowUnsupported, an unsupported key found so far is the error to report. */
  reportUnsupportedFirst(): void {
    if (!this.allowUnsupported && this.unsupported.length > 0) this.throwUnsupported(this.unsupported);
  }

  private throwUnsupported(paths: readonly string[]): never {
    const [first, ...rest] = paths;
    const more = rest.length === 0 ? '' : ` (also unsupported: ${rest.map((p) => `${p} at line ${this.locator.lineOf(p)}`).join(', ')})`;
    throw new ConfigError(`${this.at(first!)}: not supported by tsbgpd yet (--allow-unsupported turns this into a warning)${more}`);
  }

  /** Checks a table's keys: unknown ones fail, known-but-unsupported ones are collected. */
  table(value: unknown, path: string, keys: KeySet): Table {
    if (!isTable(value)) this.fail(path, 'a table', value);
    for (const key of Object.keys(value)) {
      if (keys.supported.includes(key)) continue;
      const child = childPath(path, key);
      if (keys.known.includes(key)) this.markUnsupported(child);
      else this.failWith(child, 'unknown key');
    }
    return value;
  }

  optionalTable(parent: Table, key: string, path: string, keys: KeySet): Table | undefined {
    const value = parent[key];
    return value === undefined ? undefined : this.table(value, childPath(path, key), keys);
  }

  array(value: unknown, path: string): readonly unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'an array', value);
    return value;
  }

  integer(value: unknown, path: string, min: number, max: number, what = `an integer from ${min} to ${max}`): number {
    if (typeof value === 'bigint') this.fail(path, what, value);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) this.fail(path, what, value);
    return value;
  }

  bool(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, 'true or false', value);
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, 'a string', value);
    return value;
  }

  /** An IP address in canonical text. */
  address(value: unknown, path: string, what = 'an IP address'): string {
    if (typeof value !== 'string' || (!isIPv4(value) && !isIPv6(value))) this.fail(path, what, value);
    return formatAddress(parseAddress(value));
  }

  asn(value: unknown, path: string): number {
    return this.integer(value, path, 1, maxAsn, `an AS number from 1 to ${maxAsn}`);
  }
}

function isUnspecified(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function readGlobal(c: Checker, top: Table): GlobalConfig {
  if (top['global'] === undefined) c.failWith('global', 'missing: [global.config] with as and router-id is required');
  const global = c.table(top['global'], 'global', keySets.global);
  if (global['config'] === undefined) c.failWith('global.config', 'missing: as and router-id are required');
  const cfg = c.table(global['config'], 'global.config', keySets.globalConfig);
  if (cfg['as'] === undefined) c.failWith('global.config.as', 'missing (the local AS number)');
  const as = c.asn(cfg['as'], 'global.config.as');
  if (cfg['router-id'] === undefined) c.failWith('global.config.router-id', 'missing (an IPv4 address)');
  const routerIdValue = cfg['router-id'];
  if (typeof routerIdValue !== 'string' || !isIPv4(routerIdValue) || routerIdValue === '0.0.0.0') {
    c.fail('global.config.router-id', 'an IPv4 address other than 0.0.0.0', routerIdValue);
  }
  const routerId = formatAddress(parseAddress(routerIdValue));
  let port = defaultPort;
  if (cfg['port'] !== undefined) {
    port = cfg['port'] === -1 ? -1 : c.integer(cfg['port'], 'global.config.port', 1, 65535, '-1 (do not listen) or a port from 1 to 65535');
  }
  let localAddressList = defaultLocalAddressList;
  if (cfg['local-address-list'] !== undefined) {
    const list = c.array(cfg['local-address-list'], 'global.config.local-address-list');
    localAddressList = list.map((v, i) => c.address(v, `global.config.local-address-list[${i}]`));
    const seen = new Set<string>();
    localAddressList.forEach((a, i) => {
      if (seen.has(a)) c.failWith(`global.config.local-address-list[${i}]`, `duplicate address ${a}`);
      seen.add(a);
    });
  }
  return { as, routerId, port, localAddressList };
}

function readFamilies(c: Checker, nb: Table, path: string, address: string): FamilyKey[] {
  const isIpv6Peer = isIPv6(address);
  if (nb['afi-safis'] === undefined) {
    const defaults = [supportedFamilies['ipv4-unicast']!];
    // As gobgpd: an IPv6 neighbor gets ipv6-unicast as well when nothing is listed.
    if (isIpv6Peer) defaults.push(supportedFamilies['ipv6-unicast']!);
    return defaults;
  }
  const families: FamilyKey[] = [];
  const list = c.array(nb['afi-safis'], childPath(path, 'afi-safis'));
  list.forEach((item, i) => {
    const itemPath = `${childPath(path, 'afi-safis')}[${i}]`;
    const entry = c.table(item, itemPath, keySets.afiSafi);
    const cfgPath = childPath(itemPath, 'config');
    if (entry['config'] === undefined) c.failWith(cfgPath, 'missing: afi-safi-name is required');
    const cfg = c.table(entry['config'], cfgPath, keySets.afiSafiConfig);
    const namePath = childPath(cfgPath, 'afi-safi-name');
    const name = c.string(cfg['afi-safi-name'], namePath);
    const isEnabled = cfg['enabled'] === undefined ? true : c.bool(cfg['enabled'], childPath(cfgPath, 'enabled'));
    const key = supportedFamilies[name];
    if (key === undefined) {
      if (!knownFamilies.has(name)) c.fail(namePath, `a family name (${Object.keys(supportedFamilies).join(' or ')})`, name);
      c.markUnsupported(namePath);
      return;
    }
    if (families.includes(key)) c.failWith(namePath, `${name} listed twice`);
    if (isEnabled) families.push(key);
  });
  if (families.length === 0) c.reportUnsupportedFirst();
  if (families.length === 0) c.failWith(childPath(path, 'afi-safis'), 'no family enabled (ipv4-unicast or ipv6-unicast)');
  return families;
}

function readNeighbor(c: Checker, item: unknown, path: string, global: GlobalConfig): NeighborConfig {
  const nb = c.table(item, path, keySets.neighbor);
  const cfgPath = childPath(path, 'config');
  if (nb['config'] === undefined) c.failWith(cfgPath, 'missing: neighbor-address and peer-as are required');
  const cfg = c.table(nb['config'], cfgPath, keySets.neighborConfig);
  const addrPath = childPath(cfgPath, 'neighbor-address');
  const address = c.address(cfg['neighbor-address'], addrPath);
  if (isUnspecified(address)) c.fail(addrPath, 'a unicast IP address', cfg['neighbor-address']);
  const peerAs = c.asn(cfg['peer-as'], childPath(cfgPath, 'peer-as'));
  const localAs = cfg['local-as'] === undefined ? global.as : c.asn(cfg['local-as'], childPath(cfgPath, 'local-as'));
  const description = cfg['description'] === undefined ? '' : c.string(cfg['description'], childPath(cfgPath, 'description'));

  let localAddress: string | undefined;
  let isPassive = false;
  let remotePort = defaultPort;
  const transport = c.optionalTable(nb, 'transport', path, keySets.withConfig);
  const tPath = childPath(path, 'transport.config');
  const tcfg = transport === undefined ? undefined : c.optionalTable(transport, 'config', childPath(path, 'transport'), keySets.transportConfig);
  if (tcfg !== undefined) {
    if (tcfg['local-address'] !== undefined) {
      const p = childPath(tPath, 'local-address');
      localAddress = c.address(tcfg['local-address'], p);
      if (isIPv6(localAddress) !== isIPv6(address)) c.fail(p, `an ${isIPv6(address) ? 'IPv6' : 'IPv4'} address (the neighbor's family)`, tcfg['local-address']);
    }
    if (tcfg['passive-mode'] !== undefined) isPassive = c.bool(tcfg['passive-mode'], childPath(tPath, 'passive-mode'));
    if (tcfg['remote-port'] !== undefined) remotePort = c.integer(tcfg['remote-port'], childPath(tPath, 'remote-port'), 1, 65535);
  }

  let holdTimeSec = defaultHoldTimeSec;
  let keepaliveSec: number | undefined;
  let connectRetrySec = defaultConnectRetrySec;
  let idleHoldTimeAfterResetSec: number | undefined;
  const timers = c.optionalTable(nb, 'timers', path, keySets.withConfig);
  const tmPath = childPath(path, 'timers.config');
  const tm = timers === undefined ? undefined : c.optionalTable(timers, 'config', childPath(path, 'timers'), keySets.timersConfig);
  if (tm !== undefined) {
    if (tm['hold-time'] !== undefined) {
      const p = childPath(tmPath, 'hold-time');
      // RFC 4271 4.2: the Hold Time is zero or at least three seconds.
      holdTimeSec = c.integer(tm['hold-time'], p, 0, 65535, '0 or an integer from 3 to 65535');
      if (holdTimeSec > 0 && holdTimeSec < 3) c.fail(p, '0 or an integer from 3 to 65535', tm['hold-time']);
    }
    if (tm['keepalive-interval'] !== undefined) {
      const p = childPath(tmPath, 'keepalive-interval');
      keepaliveSec = holdTimeSec === 0 ? c.integer(tm['keepalive-interval'], p, 0, 0, '0 (hold-time is 0)') : c.integer(tm['keepalive-interval'], p, 1, holdTimeSec, `an integer from 1 to the hold-time (${holdTimeSec})`);
    }
    if (tm['connect-retry'] !== undefined) connectRetrySec = c.integer(tm['connect-retry'], childPath(tmPath, 'connect-retry'), 1, 65535);
    if (tm['idle-hold-time-after-reset'] !== undefined) {
      const p = childPath(tmPath, 'idle-hold-time-after-reset');
      // 0 would let a failing session retry in a tight loop: the back-off needs a base.
      idleHoldTimeAfterResetSec = c.integer(tm['idle-hold-time-after-reset'], p, 1, 65535);
    }
  }

  const families = readFamilies(c, nb, path, address);

  let ebgpMultihop: NeighborConfig['ebgpMultihop'];
  const mh = c.optionalTable(nb, 'ebgp-multihop', path, keySets.withConfig);
  const mhPath = childPath(path, 'ebgp-multihop.config');
  const mhc = mh === undefined ? undefined : c.optionalTable(mh, 'config', childPath(path, 'ebgp-multihop'), keySets.multihopConfig);
  if (mhc !== undefined) {
    const isEnabled = mhc['enabled'] === undefined ? false : c.bool(mhc['enabled'], childPath(mhPath, 'enabled'));
    const ttl = mhc['multihop-ttl'] === undefined ? undefined : c.integer(mhc['multihop-ttl'], childPath(mhPath, 'multihop-ttl'), 1, 255);
    ebgpMultihop = ttl === undefined ? { isEnabled } : { isEnabled, ttl };
    if (isEnabled) {
      // Sessions are plain TCP and work over any path; what is missing is the IP TTL itself.
      c.warn(mhPath, `ebgp-multihop accepted, but the TTL${ttl === undefined ? '' : ` (${ttl})`} is not applied: Node cannot set a socket's TTL yet, packets leave with the system default`);
    }
  }

  return {
    address,
    peerAs,
    localAs,
    isLocalAsFromGlobal: cfg['local-as'] === undefined,
    description,
    ...(localAddress === undefined ? {} : { localAddress }),
    isPassive,
    remotePort,
    holdTimeSec,
    keepaliveSec: keepaliveSec ?? Math.floor(holdTimeSec / 3),
    connectRetrySec,
    ...(idleHoldTimeAfterResetSec === undefined ? {} : { idleHoldTimeAfterResetSec }),
    families,
    ...(ebgpMultihop === undefined ? {} : { ebgpMultihop }),
  };
}

function readCommunity(c: Checker, value: unknown, path: string): number {
  const what = '"ASN:VALUE" (each 0 to 65535) or a well-known name (no-export, no-advertise, ...)';
  if (typeof value !== 'string') c.fail(path, what, value);
  const named = communityNames[value];
  if (named !== undefined) return named;
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(value);
  if (m === null) c.fail(path, what, value);
  const high = Number(m[1]);
  const low = Number(m[2]);
  if (high > 65535 || low > 65535) c.fail(path, what, value);
  return ((high << 16) | low) >>> 0;
}

function readOriginate(c: Checker, item: unknown, path: string): OriginateRoute {
  const o = c.table(item, path, keySets.originate);
  const prefixPath = childPath(path, 'prefix');
  if (o['prefix'] === undefined) c.failWith(prefixPath, 'missing (e.g. "172.17.254.1/32")');
  let prefix: Prefix;
  try {
    prefix = parsePrefix(c.string(o['prefix'], prefixPath));
  } catch (err) {
    if (!(err instanceof AddressError)) throw err;
    c.fail(prefixPath, `a prefix "address/length" with the host bits zero (${err.message})`, o['prefix']);
  }
  const isV6 = prefix.afi === Afi.ipv6;
  let nextHop: string | undefined;
  if (o['next-hop'] !== undefined) {
    const p = childPath(path, 'next-hop');
    const family = isV6 ? 'IPv6' : 'IPv4';
    nextHop = c.address(o['next-hop'], p, `an ${family} address (the prefix's family)`);
    if (isIPv6(nextHop) !== isV6 || isUnspecified(nextHop)) c.fail(p, `a unicast ${family} address (the prefix's family)`, o['next-hop']);
  }
  let origin: Origin = Origin.igp;
  if (o['origin'] !== undefined) {
    const name = o['origin'];
    const found = typeof name === 'string' ? originNames[name] : undefined;
    if (found === undefined) c.fail(childPath(path, 'origin'), '"igp", "egp" or "incomplete"', name);
    origin = found;
  }
  let communities: number[] = [];
  if (o['communities'] !== undefined) {
    const p = childPath(path, 'communities');
    communities = c.array(o['communities'], p).map((v, i) => readCommunity(c, v, `${p}[${i}]`));
  }
  const med = o['med'] === undefined ? undefined : c.integer(o['med'], childPath(path, 'med'), 0, maxAsn);
  return {
    prefix,
    prefixText: formatPrefix(prefix),
    ...(nextHop === undefined ? {} : { nextHop }),
    origin,
    communities,
    ...(med === undefined ? {} : { med }),
  };
}

/** Freezes plain objects and arrays all the way down (typed arrays cannot be frozen). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The configuration type from an explicit choice, else the file extension, else TOML (as gobgpd). */
export function configTypeOf(fileName: string, explicit?: string): ConfigType {
  const t = (explicit ?? extname(fileName).slice(1)).toLowerCase();
  if (t === 'yaml' || t === 'yml') return 'yaml';
  if (t === 'toml' || explicit === undefined) return 'toml';
  throw new ConfigError(`config type "${explicit}" is not supported: expected toml or yaml`);
}

function parseText(text: string, type: ConfigType, fileName: string): { data: unknown; locator: KeyLocator } {
  if (type === 'toml') {
    try {
      return { data: parseToml(text), locator: locateToml(text) };
    } catch (err) {
      if (err instanceof TomlError) {
        const first = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
        throw new ConfigError(`${fileName}:${err.line}:${err.column}: invalid TOML: ${first}`, { cause: err });
      }
      throw err;
    }
  }
  const { doc, counter } = parseYamlWithLines(text);
  const problem = doc.errors[0];
  if (problem !== undefined) {
    const pos = counter.linePos(problem.pos[0]);
    throw new ConfigError(`${fileName}:${pos.line}:${pos.col}: invalid YAML: ${problem.message.split('\n')[0]}`, { cause: problem });
  }
  return { data: doc.toJS({ maxAliasCount: 100 }) ?? {}, locator: locateYaml(doc, counter) };
}

/** Parses and checks configuration text; `fileName` is used in messages only. */
export function parseConfig(text: string, type: ConfigType, fileName: string, options: ParseOptions = {}): DaemonConfig {
  const { data, locator } = parseText(text, type, fileName);
  const c = new Checker(fileName, locator, options.allowUnsupported === true);
  const top = c.table(data, '', keySets.top);
  const global = readGlobal(c, top);

  const neighbors: NeighborConfig[] = [];
  if (top['neighbors'] !== undefined) {
    const seen = new Map<string, number>();
    c.array(top['neighbors'], 'neighbors').forEach((item, i) => {
      const n = readNeighbor(c, item, `neighbors[${i}]`, global);
      const earlier = seen.get(n.address);
      if (earlier !== undefined) c.failWith(`neighbors[${i}].config.neighbor-address`, `duplicate neighbor ${n.address} (also neighbors[${earlier}])`);
      seen.set(n.address, i);
      neighbors.push(n);
    });
  }

  const originate: OriginateRoute[] = [];
  if (top['originate'] !== undefined) {
    const seen = new Map<string, number>();
    c.array(top['originate'], 'originate').forEach((item, i) => {
      const r = readOriginate(c, item, `originate[${i}]`);
      const earlier = seen.get(r.prefixText);
      if (earlier !== undefined) c.failWith(`originate[${i}].prefix`, `duplicate prefix ${r.prefixText} (also originate[${earlier}])`);
      seen.set(r.prefixText, i);
      originate.push(r);
    });
  }
  c.finish();
  return deepFreeze({ fileName, global, neighbors, originate, warnings: c.warnings });
}

/** Reads and checks a configuration file; the type comes from `type`, else the extension. */
export function loadConfig(path: string, type?: string, options: ParseOptions = {}): DaemonConfig {
  const configType = configTypeOf(path, type);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`${path}: cannot read the configuration file${code === undefined ? '' : ` (${code})`}`, { cause: err });
  }
  return parseConfig(text, configType, path, options);
}

/** "ipv4-unicast" etc. for logs. */
export function familyNames(families: readonly FamilyKey[]): string[] {
  return families.map(familyName);
}
