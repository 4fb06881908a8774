// tsbgpd's configuration: gobgpd's file format (TOML or YAML), the subset tsbgpd
// implements (neighbors, peer groups, dynamic neighbors, multipath), plus our top-level
// `originate` list. Every value is checked; an error names the file, the line and the
// key. Keys gobgpd knows but tsbgpd does not implement yet are refused by name (or, with
// allowUnsupported, reported as warnings); keys gobgpd does not know either are always
// errors, as gobgpd's exact decoding does.

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { isIPv4, isIPv6 } from 'node:net';
import { parse as parseToml, TomlError } from 'smol-toml';
import { Afi, Safi, AddressError, formatAddress, formatPrefix, parseAddress, parsePrefix, prefixContains, type Prefix } from '../lib/address.js';
import { familyKey, familyName, type FamilyKey } from '../wire/context.js';
import { Origin, WellKnownCommunity } from '../wire/attributes/types.js';
import { childPath, locateToml, locateYaml, parseYamlWithLines, type KeyLocator } from './config-locate.js';
import { Checker, ConfigError, maxAsn, type KeySet, type Table } from './config-checker.js';

export { Checker, ConfigError } from './config-checker.js';
import { readZebra, type ZebraConfig } from './zebra-config.js';
import { readMrtDump, type MrtDumpConfig } from './mrt-dump-config.js';
import { readDaemonPolicy, type DaemonPolicy } from './policy-config.js';
import { readAuthPassword, readTtlSecurity, type TtlSecurityConfig } from './tcp-security-config.js';
import { buildGracefulRestart, readAfiSafiOptions, readGracefulRestart, readRouteReflector, readRouteServer, type AfiSafiOptions, type GracefulRestartConfig, type GracefulRestartSettings, type PrefixLimitConfig, type RouteReflectorClientConfig } from './neighbor-options-config.js';
import { yamlToJs } from '../lib/yaml.js';
import { buildBfd, readBfd, type BfdConfig, type BfdSettings } from './bfd-config.js';
import { buildAdjRibInLimit, readAdjRibInLimit, type AdjRibInLimitConfig, type AdjRibInLimitSettings } from './adj-rib-in-limit-config.js';
import { buildAddPaths, readAddPaths, readAfiSafiAddPaths, type AddPathConfig, type AddPathSettings, type FamilyAddPathSettings } from './add-path-config.js';

export type ConfigType = 'toml' | 'yaml';

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
  /** ebgp-multihop: when enabled, packets leave with its TTL (255 when not written). */
  readonly ebgpMultihop?: { readonly isEnabled: boolean; readonly ttl?: number };
  /** config.auth-password: the TCP MD5 key (RFC 2385); unsigned when absent. */
  readonly authPassword?: string;
  /** ttl-security (GTSM, RFC 5082): send with TTL 255, drop what arrives below ttlMin. */
  readonly ttlSecurity?: TtlSecurityConfig;
  /** The peer group it inherits unset keys from (`config.peer-group`). */
  readonly peerGroup?: string;
  /** graceful-restart.config with enabled = true (neighbor-options-config.ts). */
  readonly gracefulRestart?: GracefulRestartConfig;
  /** afi-safis prefix-limit.config, per family. */
  readonly prefixLimits?: readonly PrefixLimitConfig[];
  /** route-reflector.config with route-reflector-client = true (RFC 4456). */
  readonly routeReflectorClient?: RouteReflectorClientConfig;
  /** route-server.config route-server-client = true (RFC 7947). */
  readonly isRouteServerClient?: boolean;
  /** bfd.config with enabled = true (bfd-config.ts; a tsbgpd extension). */
  readonly bfd?: BfdConfig;
  /** add-paths.config per family, where it receives or sends several paths (RFC 7911; add-path-config.ts). */
  readonly addPaths?: readonly AddPathConfig[];
  /**
   * adj-rib-in-limit.config (adj-rib-in-limit-config.ts; a tsbgpd extension) when the
   * neighbor or its group writes it; absent: `defaultAdjRibInLimit`.
   */
  readonly adjRibInLimit?: AdjRibInLimitConfig;
}

/**
 * The keys a neighbor or peer group writes itself (undefined: not written). A neighbor
 * of a group takes each key it does not write from the group, then the default.
 */
export interface PeerSettings {
  readonly peerAs?: number;
  readonly localAs?: number;
  readonly description?: string;
  readonly localAddress?: string;
  readonly isPassive?: boolean;
  readonly remotePort?: number;
  readonly holdTimeSec?: number;
  readonly keepaliveSec?: number;
  readonly connectRetrySec?: number;
  readonly idleHoldTimeAfterResetSec?: number;
  /** afi-safis as a whole: a neighbor's list replaces its group's. */
  readonly families?: readonly FamilyKey[];
  readonly ebgpMultihop?: { readonly isEnabled: boolean; readonly ttl?: number };
  readonly authPassword?: string;
  readonly ttlSecurity?: TtlSecurityConfig;
  readonly gracefulRestart?: GracefulRestartSettings;
  /** What afi-safis says per family beyond its name; goes with `families`. */
  readonly afiSafiOptions?: AfiSafiOptions;
  /** false: written, not a client. */
  readonly routeReflectorClient?: RouteReflectorClientConfig | false;
  readonly isRouteServerClient?: boolean;
  /** Merged key by key with the group's (buildNeighbor), unlike the others. */
  readonly bfd?: BfdSettings;
  /** Merged key by key with the group's, as bfd. */
  readonly adjRibInLimit?: AdjRibInLimitSettings;
  /** add-paths.config of the neighbor, for families that say nothing themselves. */
  readonly addPaths?: AddPathSettings;
  /** afi-safis[].add-paths.config; goes with `families`. */
  readonly afiSafiAddPaths?: readonly FamilyAddPathSettings[];
}

/** One `[[peer-groups]]` entry: a name and the neighbor keys it sets. */
export interface PeerGroupConfig {
  readonly name: string;
  readonly settings: PeerSettings;
}

/** One `[[dynamic-neighbors]]` entry: peers connecting from `prefix` get `peerGroup`'s settings. */
export interface DynamicNeighborConfig {
  readonly prefix: Prefix;
  /** The prefix as canonical text, the range's identity across reloads. */
  readonly prefixText: string;
  /** Name of a configured peer group, which sets peer-as. */
  readonly peerGroup: string;
}

/** global.use-multiple-paths: multipath limits the RIB applies. */
export interface MultipathConfig {
  readonly isEnabled: boolean;
  /** Most next hops in a set whose best route is eBGP-learned. */
  readonly ebgpMaximumPaths: number;
  readonly ibgpMaximumPaths: number;
  /** eBGP routes from different neighbouring ASes may share a set. */
  readonly allowMultipleAs: boolean;
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
  readonly peerGroups: readonly PeerGroupConfig[];
  /** Ranges in configuration order; a peer's range is the longest one holding its address. */
  readonly dynamicNeighbors: readonly DynamicNeighborConfig[];
  readonly useMultiplePaths: MultipathConfig;
  readonly originate: readonly OriginateRoute[];
  /** `FILE:LINE: KEY: ...` lines to log as warnings at start (or reload). */
  readonly warnings: readonly string[];
  /** `[zebra.config]`: the FIB writer (zebra-config.ts); off when absent. */
  readonly zebra?: ZebraConfig;
  /** Defined sets, policies and every apply-policy (policy-config.ts); none when absent. */
  readonly policy?: DaemonPolicy;
  /** `[[mrt-dump]]` entries (mrt-dump-config.ts); none when absent. */
  readonly mrtDump?: readonly MrtDumpConfig[];
}

export interface ParseOptions {
  /** Keys gobgpd knows but tsbgpd does not implement become warnings instead of errors. */
  readonly allowUnsupported?: boolean;
}

export const defaultPort = 179;
export const defaultHoldTimeSec = 90;
export const defaultConnectRetrySec = 120;
export const defaultLocalAddressList: readonly string[] = ['0.0.0.0', '::'];
/**
 * maximum-paths when multipath is enabled without one (gobgpd sets no limit): large
 * enough for any cluster LAN, small enough that a misbehaving range cannot grow a kernel
 * route without bound.
 */
export const defaultMaximumPaths = 64;
const maxMaximumPaths = 1024;
export const noMultipathConfig: MultipathConfig = { isEnabled: false, ebgpMaximumPaths: defaultMaximumPaths, ibgpMaximumPaths: defaultMaximumPaths, allowMultipleAs: false };


const keySets = {
  top: {
    supported: ['global', 'neighbors', 'peer-groups', 'dynamic-neighbors', 'originate', 'zebra', 'defined-sets', 'policy-definitions', 'mrt-dump'],
    known: ['rpki-servers', 'bmp-servers', 'vrfs', 'collector'],
  },
  global: {
    supported: ['config', 'use-multiple-paths', 'apply-policy'],
    known: ['state', 'route-selection-options', 'default-route-distance', 'confederation', 'graceful-restart', 'afi-safis'],
  },
  useMultiplePaths: { supported: ['config', 'ebgp', 'ibgp'], known: ['state'] },
  multipathConfig: { supported: ['enabled'], known: [] },
  ebgpMultipathConfig: { supported: ['allow-multiple-as', 'maximum-paths'], known: [] },
  ibgpMultipathConfig: { supported: ['maximum-paths'], known: [] },
  globalConfig: { supported: ['as', 'router-id', 'port', 'local-address-list'], known: [] },
  neighbor: {
    supported: ['config', 'transport', 'timers', 'afi-safis', 'ebgp-multihop', 'apply-policy', 'graceful-restart', 'ttl-security', 'bfd', 'route-reflector', 'route-server', 'add-paths', 'adj-rib-in-limit'],
    known: ['state', 'error-handling', 'logging-options', 'as-path-options', 'use-multiple-paths'],
  },
  neighborConfig: {
    supported: ['neighbor-address', 'peer-as', 'local-as', 'description', 'peer-group', 'auth-password'],
    known: ['peer-type', 'remove-private-as', 'route-flap-damping', 'send-community', 'neighbor-interface', 'vrf', 'admin-down'],
  },
  peerGroupConfig: {
    supported: ['peer-group-name', 'peer-as', 'local-as', 'description', 'auth-password'],
    known: ['peer-type', 'remove-private-as', 'route-flap-damping', 'send-community'],
  },
  dynamicNeighborConfig: { supported: ['prefix', 'peer-group'], known: [] },
  withConfig: { supported: ['config'], known: ['state'] },
  timersConfig: { supported: ['connect-retry', 'hold-time', 'keepalive-interval', 'idle-hold-time-after-reset'], known: ['minimum-advertisement-interval'] },
  transportConfig: { supported: ['local-address', 'passive-mode', 'remote-port'], known: ['tcp-mss', 'mtu-discovery', 'ttl', 'bind-interface', 'local-port'] },
  multihopConfig: { supported: ['enabled', 'multihop-ttl'], known: [] },
  afiSafi: {
    supported: ['config', 'mp-graceful-restart', 'prefix-limit', 'add-paths', 'long-lived-graceful-restart'],
    known: [
      'state', 'apply-policy', 'ipv4-unicast', 'ipv6-unicast', 'ipv4-labelled-unicast', 'ipv6-labelled-unicast',
      'l3vpn-ipv4-unicast', 'l3vpn-ipv6-unicast', 'l3vpn-ipv4-multicast', 'l3vpn-ipv6-multicast', 'l2vpn-vpls', 'l2vpn-evpn',
      'route-target-membership', 'use-multiple-paths', 'route-selection-options',
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

/** The afi-safis list as written (no defaults: those depend on the neighbor's address). */
function readFamilies(c: Checker, nb: Table, path: string): FamilyKey[] | undefined {
  if (nb['afi-safis'] === undefined) return undefined;
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

/** Where each setting was written, for errors found once group and neighbor are merged. */
type SettingPaths = { -readonly [K in keyof PeerSettings]?: string };

interface ReadSettings {
  readonly values: PeerSettings;
  readonly paths: SettingPaths;
}

/**
 * The settings keys a neighbor or a peer group writes (config, transport, timers,
 * afi-safis, ebgp-multihop), each checked on its own; checks across keys wait for the
 * merge with the group (`checkNeighbor`).
 */
function readPeerSettings(c: Checker, tbl: Table, path: string, cfg: Table, cfgPath: string): ReadSettings {
  const values: { -readonly [K in keyof PeerSettings]: PeerSettings[K] } = {};
  const paths: SettingPaths = {};
  const set = <K extends keyof PeerSettings>(key: K, value: PeerSettings[K], at: string): void => {
    values[key] = value;
    paths[key] = at;
  };
  const cfgKey = (key: string): string => childPath(cfgPath, key);
  if (cfg['peer-as'] !== undefined) set('peerAs', c.asn(cfg['peer-as'], cfgKey('peer-as')), cfgKey('peer-as'));
  if (cfg['local-as'] !== undefined) set('localAs', c.asn(cfg['local-as'], cfgKey('local-as')), cfgKey('local-as'));
  if (cfg['description'] !== undefined) set('description', c.string(cfg['description'], cfgKey('description')), cfgKey('description'));
  if (cfg['auth-password'] !== undefined) set('authPassword', readAuthPassword(c, cfg['auth-password'], cfgKey('auth-password')), cfgKey('auth-password'));

  const transport = c.optionalTable(tbl, 'transport', path, keySets.withConfig);
  const tPath = childPath(path, 'transport.config');
  const tcfg = transport === undefined ? undefined : c.optionalTable(transport, 'config', childPath(path, 'transport'), keySets.transportConfig);
  if (tcfg !== undefined) {
    const at = (key: string): string => childPath(tPath, key);
    if (tcfg['local-address'] !== undefined) set('localAddress', c.address(tcfg['local-address'], at('local-address')), at('local-address'));
    if (tcfg['passive-mode'] !== undefined) set('isPassive', c.bool(tcfg['passive-mode'], at('passive-mode')), at('passive-mode'));
    if (tcfg['remote-port'] !== undefined) set('remotePort', c.integer(tcfg['remote-port'], at('remote-port'), 1, 65535), at('remote-port'));
  }

  const timers = c.optionalTable(tbl, 'timers', path, keySets.withConfig);
  const tmPath = childPath(path, 'timers.config');
  const tm = timers === undefined ? undefined : c.optionalTable(timers, 'config', childPath(path, 'timers'), keySets.timersConfig);
  if (tm !== undefined) {
    const at = (key: string): string => childPath(tmPath, key);
    if (tm['hold-time'] !== undefined) {
      // RFC 4271 4.2: the Hold Time is zero or at least three seconds.
      const holdTimeSec = c.integer(tm['hold-time'], at('hold-time'), 0, 65535, '0 or an integer from 3 to 65535');
      if (holdTimeSec > 0 && holdTimeSec < 3) c.fail(at('hold-time'), '0 or an integer from 3 to 65535', tm['hold-time']);
      set('holdTimeSec', holdTimeSec, at('hold-time'));
    }
    // Its bound is the hold-time, which may come from the group: checked after the merge.
    if (tm['keepalive-interval'] !== undefined) set('keepaliveSec', c.integer(tm['keepalive-interval'], at('keepalive-interval'), 0, 65535), at('keepalive-interval'));
    if (tm['connect-retry'] !== undefined) set('connectRetrySec', c.integer(tm['connect-retry'], at('connect-retry'), 1, 65535), at('connect-retry'));
    if (tm['idle-hold-time-after-reset'] !== undefined) {
      // 0 would let a failing session retry in a tight loop: the back-off needs a base.
      set('idleHoldTimeAfterResetSec', c.integer(tm['idle-hold-time-after-reset'], at('idle-hold-time-after-reset'), 1, 65535), at('idle-hold-time-after-reset'));
    }
  }

  const families = readFamilies(c, tbl, path);
  if (families !== undefined) set('families', families, childPath(path, 'afi-safis'));
  const afiSafiOptions = readAfiSafiOptions(c, tbl, path);
  if (afiSafiOptions !== undefined) set('afiSafiOptions', afiSafiOptions, childPath(path, 'afi-safis'));
  const gr = readGracefulRestart(c, tbl, path);
  if (gr !== undefined) set('gracefulRestart', gr.value, gr.path);
  const rr = readRouteReflector(c, tbl, path);
  if (rr !== undefined) set('routeReflectorClient', rr.value, rr.path);
  const rs = readRouteServer(c, tbl, path);
  if (rs !== undefined) set('isRouteServerClient', rs.value, rs.path);
  const bfd = readBfd(c, tbl, path);
  if (bfd !== undefined) set('bfd', bfd.value, bfd.path);
  const adjRibInLimit = readAdjRibInLimit(c, tbl, path);
  if (adjRibInLimit !== undefined) set('adjRibInLimit', adjRibInLimit.value, adjRibInLimit.path);
  const addPaths = readAddPaths(c, tbl, path);
  if (addPaths !== undefined) set('addPaths', addPaths.value, addPaths.path);
  const afiSafiAddPaths = readAfiSafiAddPaths(c, tbl, path);
  if (afiSafiAddPaths !== undefined) set('afiSafiAddPaths', afiSafiAddPaths.value, afiSafiAddPaths.path);

  const mh = c.optionalTable(tbl, 'ebgp-multihop', path, keySets.withConfig);
  const mhPath = childPath(path, 'ebgp-multihop.config');
  const mhc = mh === undefined ? undefined : c.optionalTable(mh, 'config', childPath(path, 'ebgp-multihop'), keySets.multihopConfig);
  if (mhc !== undefined) {
    const isEnabled = mhc['enabled'] === undefined ? false : c.bool(mhc['enabled'], childPath(mhPath, 'enabled'));
    const ttl = mhc['multihop-ttl'] === undefined ? undefined : c.integer(mhc['multihop-ttl'], childPath(mhPath, 'multihop-ttl'), 1, 255);
    set('ebgpMultihop', ttl === undefined ? { isEnabled } : { isEnabled, ttl }, mhPath);
  }
  const ts = readTtlSecurity(c, tbl, path);
  if (ts !== undefined) set('ttlSecurity', ts.value, ts.path);
  return { values, paths };
}

/** The keys set in `over`, on top of those set in `under`. */
function overlay<T extends object>(under: T | undefined, over: T): T {
  const out: Record<string, unknown> = { ...under };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) out[k] = v;
  return out as T;
}

/**
 * A neighbor's full configuration: each key it sets, else its group's, else the default
 * (as gobgpd: a neighbor's afi-safis list replaces the group's as a whole).
 */
function buildNeighbor(address: string, own: PeerSettings, group: PeerGroupConfig | undefined, global: GlobalConfig): NeighborConfig {
  const s = overlay(group?.settings, own);
  const holdTimeSec = s.holdTimeSec ?? defaultHoldTimeSec;
  // As gobgpd: an IPv6 neighbor gets ipv6-unicast as well when nothing is listed.
  const families = s.families ?? (isIPv6(address) ? [supportedFamilies['ipv4-unicast']!, supportedFamilies['ipv6-unicast']!] : [supportedFamilies['ipv4-unicast']!]);
  return {
    address,
    peerAs: s.peerAs ?? 0,
    localAs: s.localAs ?? global.as,
    isLocalAsFromGlobal: s.localAs === undefined,
    description: s.description ?? '',
    ...(s.localAddress === undefined ? {} : { localAddress: s.localAddress }),
    isPassive: s.isPassive ?? false,
    remotePort: s.remotePort ?? defaultPort,
    holdTimeSec,
    keepaliveSec: s.keepaliveSec ?? Math.floor(holdTimeSec / 3),
    connectRetrySec: s.connectRetrySec ?? defaultConnectRetrySec,
    ...(s.idleHoldTimeAfterResetSec === undefined ? {} : { idleHoldTimeAfterResetSec: s.idleHoldTimeAfterResetSec }),
    families,
    ...(s.ebgpMultihop === undefined ? {} : { ebgpMultihop: s.ebgpMultihop }),
    ...(s.authPassword === undefined ? {} : { authPassword: s.authPassword }),
    ...(s.ttlSecurity === undefined ? {} : { ttlSecurity: s.ttlSecurity }),
    ...(group === undefined ? {} : { peerGroup: group.name }),
    ...withNeighborOptions(s, holdTimeSec),
    ...withBfd(group?.settings.bfd, own.bfd),
    ...withAdjRibInLimit(group?.settings.adjRibInLimit, own.adjRibInLimit),
    ...withAddPaths(s, families),
  };
}

/** The addPaths field of a neighbor, when a family receives or sends several paths. */
function withAddPaths(s: PeerSettings, families: readonly FamilyKey[]): Pick<NeighborConfig, 'addPaths'> {
  const addPaths = buildAddPaths(s.addPaths, s.afiSafiAddPaths, families);
  return addPaths === undefined ? {} : { addPaths };
}

/** The adjRibInLimit field of a neighbor: its keys over its group's, when either writes one. */
function withAdjRibInLimit(group: AdjRibInLimitSettings | undefined, own: AdjRibInLimitSettings | undefined): Pick<NeighborConfig, 'adjRibInLimit'> {
  const adjRibInLimit = buildAdjRibInLimit(group, own);
  return adjRibInLimit === undefined ? {} : { adjRibInLimit };
}

/** The bfd field of a neighbor: its keys over its group's, when enabled. */
function withBfd(group: BfdSettings | undefined, own: BfdSettings | undefined): Pick<NeighborConfig, 'bfd'> {
  const bfd = buildBfd(group, own);
  return bfd === undefined ? {} : { bfd };
}

/** The graceful restart and prefix-limit fields of a merged neighbor, when set. */
function withNeighborOptions(s: PeerSettings, holdTimeSec: number): Pick<NeighborConfig, 'gracefulRestart' | 'prefixLimits' | 'routeReflectorClient' | 'isRouteServerClient'> {
  const gracefulRestart = buildGracefulRestart(s.gracefulRestart, s.afiSafiOptions, holdTimeSec);
  const prefixLimits = s.afiSafiOptions?.prefixLimits ?? [];
  return {
    ...(gracefulRestart === undefined ? {} : { gracefulRestart }),
    ...(prefixLimits.length === 0 ? {} : { prefixLimits }),
    ...(s.routeReflectorClient === undefined || s.routeReflectorClient === false ? {} : { routeReflectorClient: s.routeReflectorClient }),
    ...(s.isRouteServerClient === true ? { isRouteServerClient: true } : {}),
  };
}

/** A written keepalive interval against the hold time in force (written, else the default). */
function checkKeepalive(c: Checker, holdTimeSec: number, keepaliveSec: number | undefined, path: string | undefined): void {
  if (keepaliveSec === undefined || path === undefined) return;
  if (holdTimeSec === 0) c.integer(keepaliveSec, path, 0, 0, '0 (hold-time is 0)');
  else c.integer(keepaliveSec, path, 1, holdTimeSec, `an integer from 1 to the hold-time (${holdTimeSec})`);
}

/** Checks across keys of a merged neighbor, naming the key where the offending value is written. */
function checkNeighbor(c: Checker, n: NeighborConfig, paths: SettingPaths, family: 'IPv4' | 'IPv6', familyOf: string): void {
  checkKeepalive(c, n.holdTimeSec, n.keepaliveSec, paths.keepaliveSec);
  if (n.localAddress !== undefined && isIPv6(n.localAddress) !== (family === 'IPv6')) c.fail(paths.localAddress!, `an ${family} address (${familyOf})`, n.localAddress);
}

interface ParsedGroup {
  readonly group: PeerGroupConfig;
  readonly paths: SettingPaths;
}

function readPeerGroup(c: Checker, item: unknown, path: string): ParsedGroup {
  const pg = c.table(item, path, keySets.neighbor);
  const cfgPath = childPath(path, 'config');
  if (pg['config'] === undefined) c.failWith(cfgPath, 'missing: peer-group-name is required');
  const cfg = c.table(pg['config'], cfgPath, keySets.peerGroupConfig);
  const namePath = childPath(cfgPath, 'peer-group-name');
  if (cfg['peer-group-name'] === undefined) c.failWith(namePath, 'missing (the name neighbors and dynamic-neighbors refer to)');
  const name = c.string(cfg['peer-group-name'], namePath);
  if (name === '') c.fail(namePath, 'a non-empty name', name);
  const { values, paths } = readPeerSettings(c, pg, path, cfg, cfgPath);
  // The group's own timers, as a peer of a range gets them (a neighbor may override).
  checkKeepalive(c, values.holdTimeSec ?? defaultHoldTimeSec, values.keepaliveSec, paths.keepaliveSec);
  return { group: { name, settings: values }, paths };
}

function readNeighbor(c: Checker, item: unknown, path: string, global: GlobalConfig, groups: ReadonlyMap<string, ParsedGroup>): NeighborConfig {
  const nb = c.table(item, path, keySets.neighbor);
  const cfgPath = childPath(path, 'config');
  if (nb['config'] === undefined) c.failWith(cfgPath, 'missing: neighbor-address and peer-as are required');
  const cfg = c.table(nb['config'], cfgPath, keySets.neighborConfig);
  const addrPath = childPath(cfgPath, 'neighbor-address');
  const address = c.address(cfg['neighbor-address'], addrPath);
  if (isUnspecified(address)) c.fail(addrPath, 'a unicast IP address', cfg['neighbor-address']);
  let parsed: ParsedGroup | undefined;
  if (cfg['peer-group'] !== undefined) {
    const groupPath = childPath(cfgPath, 'peer-group');
    const name = c.string(cfg['peer-group'], groupPath);
    parsed = groups.get(name);
    if (parsed === undefined) c.failWith(groupPath, unknownGroup(name, groups));
  }
  const own = readPeerSettings(c, nb, path, cfg, cfgPath);
  if (own.values.peerAs === undefined && parsed?.group.settings.peerAs === undefined) {
    const peerAsPath = childPath(cfgPath, 'peer-as');
    if (parsed === undefined) c.fail(peerAsPath, `an AS number from 1 to ${maxAsn}`, cfg['peer-as']);
    c.failWith(peerAsPath, `missing, and peer group "${parsed.group.name}" sets none`);
  }
  const n = buildNeighbor(address, own.values, parsed?.group, global);
  const family = isIPv6(address) ? 'IPv6' : 'IPv4';
  checkNeighbor(c, n, { ...parsed?.paths, ...own.paths }, family, "the neighbor's family");
  if (parsed !== undefined) ownSettings.set(n, own.values);
  return n;
}

/** What each member of a peer group wrote itself, so that a changed group can be applied to it again (regroupNeighbor). */
const ownSettings = new WeakMap<NeighborConfig, PeerSettings>();

function unknownGroup(name: string, groups: ReadonlyMap<string, ParsedGroup>): string {
  const known = [...groups.keys()].map((g) => JSON.stringify(g)).join(', ');
  return `unknown peer group ${JSON.stringify(name)} (${known === '' ? 'no [[peer-groups]] defined' : `defined: ${known}`})`;
}

function readDynamicNeighbor(c: Checker, item: unknown, path: string, global: GlobalConfig, groups: ReadonlyMap<string, ParsedGroup>): DynamicNeighborConfig {
  const dn = c.table(item, path, keySets.withConfig);
  const cfgPath = childPath(path, 'config');
  if (dn['config'] === undefined) c.failWith(cfgPath, 'missing: prefix and peer-group are required');
  const cfg = c.table(dn['config'], cfgPath, keySets.dynamicNeighborConfig);
  const prefixPath = childPath(cfgPath, 'prefix');
  if (cfg['prefix'] === undefined) c.failWith(prefixPath, 'missing (the range peers may connect from, e.g. "172.17.0.0/24")');
  let prefix: Prefix;
  try {
    prefix = parsePrefix(c.string(cfg['prefix'], prefixPath));
  } catch (err) {
    if (!(err instanceof AddressError)) throw err;
    c.fail(prefixPath, `a prefix "address/length" with the host bits zero (${err.message})`, cfg['prefix']);
  }
  const groupPath = childPath(cfgPath, 'peer-group');
  if (cfg['peer-group'] === undefined) c.failWith(groupPath, 'missing (the peer group whose AS and settings its sessions take)');
  const name = c.string(cfg['peer-group'], groupPath);
  const parsed = groups.get(name);
  if (parsed === undefined) c.failWith(groupPath, unknownGroup(name, groups));
  if (parsed.group.settings.peerAs === undefined) c.failWith(groupPath, `peer group "${name}" sets no peer-as: the AS of peers in the range must be known`);
  const prefixText = formatPrefix(prefix);
  // The group's settings as any peer of the range gets them: checked once, here.
  const sample = buildNeighbor(formatAddress(prefix.addr), {}, parsed.group, global);
  checkNeighbor(c, sample, parsed.paths, prefix.afi === Afi.ipv6 ? 'IPv6' : 'IPv4', `the family of ${path} prefix ${prefixText}`);
  return { prefix, prefixText, peerGroup: name };
}

function readMultipath(c: Checker, global: Table): MultipathConfig {
  const path = 'global.use-multiple-paths';
  const mp = c.optionalTable(global, 'use-multiple-paths', 'global', keySets.useMultiplePaths);
  if (mp === undefined) return noMultipathConfig;
  const cfg = c.optionalTable(mp, 'config', path, keySets.multipathConfig);
  const isEnabled = cfg?.['enabled'] === undefined ? false : c.bool(cfg['enabled'], `${path}.config.enabled`);
  const maxPaths = (value: unknown, at: string): number => (value === undefined ? defaultMaximumPaths : c.integer(value, at, 1, maxMaximumPaths));
  const ebgp = c.optionalTable(mp, 'ebgp', path, keySets.withConfig);
  const ebgpCfg = ebgp === undefined ? undefined : c.optionalTable(ebgp, 'config', `${path}.ebgp`, keySets.ebgpMultipathConfig);
  const ibgp = c.optionalTable(mp, 'ibgp', path, keySets.withConfig);
  const ibgpCfg = ibgp === undefined ? undefined : c.optionalTable(ibgp, 'config', `${path}.ibgp`, keySets.ibgpMultipathConfig);
  return {
    isEnabled,
    ebgpMaximumPaths: maxPaths(ebgpCfg?.['maximum-paths'], `${path}.ebgp.config.maximum-paths`),
    ibgpMaximumPaths: maxPaths(ibgpCfg?.['maximum-paths'], `${path}.ibgp.config.maximum-paths`),
    allowMultipleAs: ebgpCfg?.['allow-multiple-as'] === undefined ? false : c.bool(ebgpCfg['allow-multiple-as'], `${path}.ebgp.config.allow-multiple-as`),
  };
}

/** The longest configured range holding `address` (IPv4 or canonical IPv6 text), if any. */
export function matchDynamicRange(ranges: readonly DynamicNeighborConfig[], address: string): DynamicNeighborConfig | undefined {
  let bytes: Uint8Array;
  try {
    bytes = parseAddress(address);
  } catch (err) {
    if (err instanceof AddressError) return undefined;
    throw err;
  }
  let best: DynamicNeighborConfig | undefined;
  for (const r of ranges) if (prefixContains(r.prefix, bytes) && (best === undefined || r.prefix.length > best.prefix.length)) best = r;
  return best;
}

/**
 * The configuration of a session accepted from `address` under a dynamic range: the
 * range's group settings, passive (the daemon never connects to a range), undefined when
 * no range holds the address or its group is gone.
 */
export function dynamicNeighborConfig(config: DaemonConfig, address: string): { readonly range: DynamicNeighborConfig; readonly neighbor: NeighborConfig } | undefined {
  const range = matchDynamicRange(config.dynamicNeighbors, address);
  const group = range === undefined ? undefined : config.peerGroups.find((g) => g.name === range.peerGroup);
  if (range === undefined || group === undefined) return undefined;
  // RFC 4271 8.2.1.1 PassiveTcpEstablishment: the peer's address is unknown until it connects.
  const neighbor = Object.freeze({ ...buildNeighbor(address, {}, group, config.global), isPassive: true });
  return { range, neighbor };
}

/**
 * A member of a peer group with the group's new settings under its own; undefined if
 * its own settings are not known (not read by this module). Throws ConfigError, naming
 * `source`, when the result does not hold together (keepalive above the hold time).
 */
export function regroupNeighbor(n: NeighborConfig, group: PeerGroupConfig, global: GlobalConfig, source: string): NeighborConfig | undefined {
  const own = ownSettings.get(n);
  if (own === undefined) return undefined;
  const next = buildNeighbor(n.address, own, group, global);
  if (next.holdTimeSec !== 0 && (next.keepaliveSec < 1 || next.keepaliveSec > next.holdTimeSec)) {
    throw new ConfigError(`${source}: neighbor ${n.address} would get keepalive-interval ${next.keepaliveSec} above its hold-time ${next.holdTimeSec}`);
  }
  if (next.localAddress !== undefined && isIPv6(next.localAddress) !== isIPv6(n.address)) {
    throw new ConfigError(`${source}: neighbor ${n.address} would get local-address ${next.localAddress} of the other family`);
  }
  const frozen = deepFreeze(next);
  ownSettings.set(frozen, own);
  return frozen;
}

/**
 * A peer group given as a `[[peer-groups]]` table of gobgpd's format (built from an API
 * request), checked as the file's. Errors read `SOURCE: PATH: what is wrong`.
 */
export function parsePeerGroup(item: unknown, source: string, path: string): PeerGroupConfig {
  const c = new Checker(source, { lineOf: () => 0 }, false);
  const { group } = readPeerGroup(c, item, path);
  c.finish();
  return deepFreeze(group);
}

/**
 * A range given as a `[[dynamic-neighbors]]` table of gobgpd's format, checked as the
 * file's against the running configuration's peer groups.
 */
export function parseDynamicNeighbor(item: unknown, running: DaemonConfig, source: string, path: string): DynamicNeighborConfig {
  const c = new Checker(source, { lineOf: () => 0 }, false);
  // The group's keys are named as they would be in the file, for the checks against the range's family.
  const pathsOf = (name: string): SettingPaths => ({ localAddress: `peer group ${JSON.stringify(name)} transport.config.local-address`, keepaliveSec: `peer group ${JSON.stringify(name)} timers.config.keepalive-interval` });
  const groups = new Map<string, ParsedGroup>(running.peerGroups.map((group) => [group.name, { group, paths: pathsOf(group.name) }]));
  const range = readDynamicNeighbor(c, item, path, running.global, groups);
  c.finish();
  return deepFreeze(range);
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
  const js = yamlToJs(doc);
  if ('error' in js) {
    const where = js.offset === undefined ? '' : (({ line, col }) => `:${line}:${col}`)(counter.linePos(js.offset));
    throw new ConfigError(`${fileName}${where}: invalid YAML: ${js.error}`);
  }
  return { data: js.value ?? {}, locator: locateYaml(doc, counter) };
}

/** Parses and checks configuration text; `fileName` is used in messages only. */
export function parseConfig(text: string, type: ConfigType, fileName: string, options: ParseOptions = {}): DaemonConfig {
  const { data, locator } = parseText(text, type, fileName);
  const c = new Checker(fileName, locator, options.allowUnsupported === true);
  const top = c.table(data, '', keySets.top);
  const global = readGlobal(c, top);

  const useMultiplePaths = readMultipath(c, top['global'] as Table);

  const groups = new Map<string, ParsedGroup>();
  if (top['peer-groups'] !== undefined) {
    const seen = new Map<string, number>();
    c.array(top['peer-groups'], 'peer-groups').forEach((item, i) => {
      const parsed = readPeerGroup(c, item, `peer-groups[${i}]`);
      const earlier = seen.get(parsed.group.name);
      if (earlier !== undefined) c.failWith(`peer-groups[${i}].config.peer-group-name`, `duplicate peer group ${JSON.stringify(parsed.group.name)} (also peer-groups[${earlier}])`);
      seen.set(parsed.group.name, i);
      groups.set(parsed.group.name, parsed);
    });
  }

  const dynamicNeighbors: DynamicNeighborConfig[] = [];
  if (top['dynamic-neighbors'] !== undefined) {
    const seen = new Map<string, number>();
    c.array(top['dynamic-neighbors'], 'dynamic-neighbors').forEach((item, i) => {
      const r = readDynamicNeighbor(c, item, `dynamic-neighbors[${i}]`, global, groups);
      const earlier = seen.get(r.prefixText);
      if (earlier !== undefined) c.failWith(`dynamic-neighbors[${i}].config.prefix`, `duplicate range ${r.prefixText} (also dynamic-neighbors[${earlier}])`);
      seen.set(r.prefixText, i);
      dynamicNeighbors.push(r);
    });
  }

  const neighbors: NeighborConfig[] = [];
  if (top['neighbors'] !== undefined) {
    const seen = new Map<string, number>();
    c.array(top['neighbors'], 'neighbors').forEach((item, i) => {
      const n = readNeighbor(c, item, `neighbors[${i}]`, global, groups);
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
  const zebra = readZebra(c, top['zebra']);
  const policy = readDaemonPolicy(c, top);
  const mrtDump = readMrtDump(c, top['mrt-dump']);
  c.finish();
  const peerGroups = [...groups.values()].map((g) => g.group);
  return deepFreeze({ fileName, global, neighbors, peerGroups, dynamicNeighbors, useMultiplePaths, originate, zebra, policy, ...(mrtDump.length === 0 ? {} : { mrtDump }), warnings: c.warnings });
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

/**
 * A neighbor given as a `[[neighbors]]` table of gobgpd's format (e.g. built from an
 * API request), checked exactly as the file's against the running configuration's
 * global settings and peer groups. Errors read `SOURCE: PATH: what is wrong`, with
 * `path` the table's name ("peer" gives "peer.config.peer-as").
 */
export function parseNeighbor(item: unknown, running: DaemonConfig, source: string, path: string): NeighborConfig {
  const c = new Checker(source, { lineOf: () => 0 }, false);
  const groups = new Map<string, ParsedGroup>(running.peerGroups.map((group) => [group.name, { group, paths: {} }]));
  const n = readNeighbor(c, item, path, running.global, groups);
  c.finish();
  return deepFreeze(n);
}
