// The text `tsbgp` prints for neighbors, in the layout of GoBGP's `gobgp` CLI (3.x):
// the neighbor table, one neighbor's details with its capabilities (RFC 5492) and
// counters, and the `monitor neighbor` line.

import { AddressError, compareAddress, parseAddress } from '../lib/address.js';
import { unpackAny } from '../api/convert.js';
import { AdminState, SessionState, type AnyMessage, type Peer } from '../api/apipb.js';
import { formatStamp, formatTimedelta, padEnd, padStart } from './format.js';

type Obj = Readonly<Record<string, unknown>>;

const num = (o: Obj, key: string): number => (typeof o[key] === 'number' ? (o[key] as number) : 0);
const str = (o: Obj, key: string): string => (typeof o[key] === 'string' ? (o[key] as string) : '');
const objOf = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});
const list = (o: Obj, key: string): readonly Obj[] => (Array.isArray(o[key]) ? (o[key] as unknown[]).map(objOf) : []);

const afiNames: Readonly<Record<number, string>> = { 1: 'ipv4', 2: 'ipv6', 25: 'l2vpn', 16388: 'ls' };

/** Families by the names gobgp uses; others as "afi-N-safi-M". */
const familyNames: Readonly<Record<string, string>> = {
  '1/1': 'ipv4-unicast',
  '2/1': 'ipv6-unicast',
  '1/2': 'ipv4-multicast',
  '2/2': 'ipv6-multicast',
  '1/4': 'ipv4-labelled-unicast',
  '2/4': 'ipv6-labelled-unicast',
  '1/128': 'l3vpn-ipv4-unicast',
  '2/128': 'l3vpn-ipv6-unicast',
  '1/129': 'l3vpn-ipv4-multicast',
  '2/129': 'l3vpn-ipv6-multicast',
  '1/132': 'rtc',
  '1/133': 'ipv4-flowspec',
  '2/133': 'ipv6-flowspec',
  '1/134': 'l3vpn-ipv4-flowspec',
  '2/134': 'l3vpn-ipv6-flowspec',
  '25/65': 'l2vpn-vpls',
  '25/70': 'l2vpn-evpn',
  '25/133': 'l2vpn-flowspec',
};

export function familyText(family: Obj): string {
  const afi = num(family, 'afi');
  const safi = num(family, 'safi');
  return familyNames[`${afi}/${safi}`] ?? `afi-${afi}-safi-${safi}`;
}

const sessionStates: Readonly<Record<number, { readonly short: string; readonly long: string }>> = {
  [SessionState.idle]: { short: 'Idle', long: 'IDLE' },
  [SessionState.connect]: { short: 'Connect', long: 'CONNECT' },
  [SessionState.active]: { short: 'Active', long: 'ACTIVE' },
  [SessionState.openSent]: { short: 'Sent', long: 'OPENSENT' },
  [SessionState.openConfirm]: { short: 'Confirm', long: 'OPENCONFIRM' },
  [SessionState.established]: { short: 'Establ', long: 'ESTABLISHED' },
};

const adminStates: Readonly<Record<number, string>> = { [AdminState.up]: 'UP', [AdminState.down]: 'DOWN', [AdminState.prefixLimit]: 'PFX_CT' };

const addressOf = (p: Peer): string => p.state?.neighbor_address || p.conf?.neighbor_address || '';
const isEstablished = (p: Peer): boolean => p.state?.session_state === SessionState.established;

function sortKey(address: string): Uint8Array | undefined {
  try {
    return parseAddress(address);
  } catch (e) {
    if (e instanceof AddressError) return undefined;
    throw e;
  }
}

/** Peers in address order, IPv4 before IPv6. */
export function sortPeers(peers: readonly Peer[]): Peer[] {
  return [...peers].sort((a, b) => {
    const x = sortKey(addressOf(a));
    const y = sortKey(addressOf(b));
    if (x === undefined || y === undefined) return addressOf(a).localeCompare(addressOf(b));
    return x.length - y.length || compareAddress(x, y);
  });
}

function upDown(p: Peer, nowSec: number): string {
  const timers = p.timers?.state;
  const up = timers?.uptime?.seconds ?? 0;
  if (up === 0) return 'never';
  const since = isEstablished(p) ? up : timers?.downtime?.seconds || up;
  return formatTimedelta(since, nowSec);
}

function stateColumn(p: Peer): string {
  if (p.state?.admin_state === AdminState.down) return 'Idle(Admin)';
  if (p.state?.admin_state === AdminState.prefixLimit) return 'Idle(PfxCt)';
  return sessionStates[p.state?.session_state ?? 0]?.short ?? 'Unknown';
}

const sum = (p: Peer, key: 'received' | 'accepted' | 'advertised'): number => (p.afi_safis ?? []).reduce((n, a) => n + (a.state?.[key] ?? 0), 0);

/** `tsbgp neighbor`: one line per peer. */
export function formatNeighborTable(peers: readonly Peer[], nowSec: number): string {
  const rows = sortPeers(peers).map((p) => {
    const asn = p.state?.peer_asn || p.conf?.peer_asn || 0;
    return { address: addressOf(p), asn: asn === 0 ? '*' : String(asn), time: upDown(p, nowSec), state: stateColumn(p), received: sum(p, 'received'), accepted: sum(p, 'accepted') };
  });
  const wAddr = Math.max(4, ...rows.map((r) => r.address.length));
  const wAs = Math.max(2, ...rows.map((r) => r.asn.length));
  const wTime = Math.max(7, ...rows.map((r) => r.time.length));
  const line = (a: string, asn: string, time: string, state: string, received: string, accepted: string): string =>
    `${padEnd(a, wAddr)} ${padStart(asn, wAs)} ${padStart(time, wTime)} ${padEnd(state, 11)} |${padStart(received, 9)} ${padStart(accepted, 9)}\n`;
  return line('Peer', 'AS', 'Up/Down', 'State', '#Received', 'Accepted') + rows.map((r) => line(r.address, r.asn, r.time, r.state, String(r.received), String(r.accepted))).join('');
}

// ---- capabilities

/** A capability of an OPEN as the API reports it, with its RFC 5492 code. */
interface CapabilityView {
  readonly code: number;
  /** apipb message name without the package. */
  readonly name: string;
  readonly value: Obj;
}

const capabilityCodes: Readonly<Record<string, number>> = {
  MultiProtocolCapability: 1,
  RouteRefreshCapability: 2,
  ExtendedNexthopCapability: 5,
  GracefulRestartCapability: 64,
  FourOctetASNCapability: 65,
  AddPathCapability: 69,
  EnhancedRouteRefreshCapability: 70,
  LongLivedGracefulRestartCapability: 71,
  FqdnCapability: 73,
  RouteRefreshCiscoCapability: 128,
};

const capabilityNames: Readonly<Record<number, string>> = {
  1: 'multiprotocol',
  2: 'route-refresh',
  5: 'extended-nexthop',
  64: 'graceful-restart',
  65: '4-octet-as',
  69: 'add-path',
  70: 'enhanced-route-refresh',
  71: 'long-lived-graceful-restart',
  73: 'fqdn',
  128: 'cisco-route-refresh',
};

/** Codes above every real one (8 bits) for Any types this CLI does not know. */
const unknownTypeCode = 0x100;

function capabilityView(any: AnyMessage): CapabilityView {
  let unpacked: { readonly name: string; readonly value: Obj };
  try {
    unpacked = unpackAny(any, 'capability');
  } catch {
    // A capability message this CLI's protos do not declare: shown by its type name.
    return { code: unknownTypeCode, name: any.type_url.slice(any.type_url.lastIndexOf('.') + 1), value: {} };
  }
  const { name, value } = unpacked;
  const code = name === 'UnknownCapability' ? num(value, 'code') : (capabilityCodes[name] ?? unknownTypeCode);
  return { code, name, value };
}

function isSame(a: CapabilityView, b: CapabilityView): boolean {
  if (a.code !== b.code || a.name !== b.name) return false;
  return a.code !== 1 || familyText(objOf(a.value['family'])) === familyText(objOf(b.value['family']));
}

const addPathModes: Readonly<Record<number, string>> = { 1: 'receive', 2: 'send', 3: 'receive/send' };
const grRestarting = 0x08;
const grNotification = 0x04;
const grForwarding = 0x80;

function gracefulRestartText(v: Obj): string {
  const tuples = list(v, 'tuples');
  const flags = num(v, 'flags');
  const parts: string[] = [];
  // As gobgp: the restart time shows only with families listed.
  if (tuples.length > 0) parts.push(`restart time ${num(v, 'time')} sec`);
  if ((flags & grRestarting) !== 0) parts.push('restart flag set');
  if ((flags & grNotification) !== 0) parts.push('notification flag set');
  let out = parts.length > 0 ? `${parts.join(', ')}\n` : '';
  for (const t of tuples) out += `\t    ${familyText(objOf(t['family']))}${(num(t, 'flags') & grForwarding) !== 0 ? ', forward flag set' : ''}\n`;
  return out;
}

/** The detail lines under a capability's name, for the local or the remote side. */
function capabilityDetail(c: CapabilityView, side: 'Local' | 'Remote'): string {
  const v = c.value;
  switch (c.code) {
    case 5:
      return `        ${side}:${side === 'Local' ? '  ' : ' '}${list(v, 'tuples')
        .map((t) => `nlri: ${familyText(objOf(t['nlri_family']))}, nexthop: ${afiNames[num(objOf(t['nexthop_family']), 'afi')] ?? `afi-${num(objOf(t['nexthop_family']), 'afi')}`}`)
        .join('\n')}\n`;
    case 64: {
      const text = gracefulRestartText(v);
      return text === '' ? '' : `        ${side}: ${text}`;
    }
    case 69:
      return `      ${side}:\n${list(v, 'tuples').map((t) => `         ${familyText(objOf(t['family']))}:\t${addPathModes[num(t, 'mode')] ?? String(num(t, 'mode'))}\n`).join('')}`;
    case 71:
      return `        ${side}:\n${list(v, 'tuples')
        .map((t) => `\t    ${familyText(objOf(t['family']))}, restart time ${num(t, 'time')} sec${(num(t, 'flags') & grForwarding) !== 0 ? ', forward flag set' : ''}\n`)
        .join('')}`;
    case 73:
      return `      ${side}:\n         name: ${str(v, 'host_name')}, domain: ${str(v, 'domain_name')}\n`;
    default:
      return '';
  }
}

function formatCapabilities(p: Peer): string {
  const local = (p.state?.local_cap ?? []).map(capabilityView);
  const remote = (p.state?.remote_cap ?? []).map(capabilityView);
  const all = [...local];
  for (const c of remote) if (!all.some((x) => isSame(x, c))) all.push(c);
  // By code; equal codes keep their order. (gobgp's sort is unstable past 12 capabilities.)
  all.sort((a, b) => a.code - b.code);
  let out = '';
  let isFirstMultiprotocol = true;
  for (const c of all) {
    const mine = local.find((x) => isSame(x, c));
    const theirs = remote.find((x) => isSame(x, c));
    const support = [mine && 'advertised', theirs && 'received'].filter(Boolean).join(' and ');
    const name = capabilityNames[c.code] ?? (c.name === 'UnknownCapability' ? `UnknownCapability(${c.code})` : c.name);
    if (c.code === 1) {
      if (isFirstMultiprotocol) out += '    multiprotocol:\n';
      isFirstMultiprotocol = false;
      out += `        ${familyText(objOf(c.value['family']))}:\t${support}\n`;
      continue;
    }
    out += `    ${name}:\t${support}\n`;
    if (mine !== undefined) out += capabilityDetail(mine, 'Local');
    if (theirs !== undefined) out += capabilityDetail(theirs, 'Remote');
  }
  return out;
}

/** `tsbgp neighbor ADDR`. */
export function formatNeighbor(p: Peer, nowSec: number): string {
  const state = p.state ?? {};
  const timers = p.timers ?? {};
  const role = p.route_reflector?.route_reflector_client === true ? ', route-reflector-client' : p.route_server?.route_server_client === true ? ', route-server-client' : '';
  const uptime = timers.state?.uptime?.seconds ?? 0;
  let out = `BGP neighbor is ${addressOf(p)}, remote AS ${state.peer_asn || p.conf?.peer_asn || 0}${role}\n`;
  out += `  BGP version 4, remote router ID ${state.router_id || 'unknown'}\n`;
  out += `  BGP state = ${sessionStates[state.session_state ?? 0]?.long ?? 'UNKNOWN'}${uptime !== 0 ? `, up for ${formatTimedelta(uptime, nowSec)}` : ''}\n`;
  out += `  BGP OutQ = ${state.out_q ?? 0}, Flops = ${state.flops ?? 0}\n`;
  out += `  Hold time is ${timers.state?.negotiated_hold_time ?? 0}, keepalive interval is ${timers.state?.keepalive_interval ?? 0} seconds\n`;
  out += `  Configured hold time is ${timers.config?.hold_time ?? 0}, keepalive interval is ${timers.config?.keepalive_interval ?? 0} seconds\n`;
  out += '  \n  Neighbor capabilities:\n';
  out += formatCapabilities(p);
  const sent = state.messages?.sent ?? {};
  const rcvd = state.messages?.received ?? {};
  const counter = (label: string, a: number | undefined, b: number | undefined): string => `    ${padEnd(label, 15)}${padStart(String(a ?? 0), 10)} ${padStart(String(b ?? 0), 10)}\n`;
  out += `  Message statistics:\n${' '.repeat(19)}${padStart('Sent', 10)} ${padStart('Rcvd', 10)}\n`;
  out += counter('Opens:', sent.open, rcvd.open);
  out += counter('Notifications:', sent.notification, rcvd.notification);
  out += counter('Updates:', sent.update, rcvd.update);
  out += counter('Keepalives:', sent.keepalive, rcvd.keepalive);
  out += counter('Route Refresh:', sent.refresh, rcvd.refresh);
  out += counter('Discarded:', sent.discarded, rcvd.discarded);
  out += counter('Total:', sent.total, rcvd.total);
  const stat = (label: string, n: number): string => `    ${padEnd(label, 15)}${padStart(String(n), 10)}\n`;
  out += `  Route statistics:\n${stat('Advertised:', sum(p, 'advertised'))}${stat('Received:', sum(p, 'received'))}${stat('Accepted:', sum(p, 'accepted'))}`;
  return out;
}

/** One peer event of `monitor neighbor`. */
export function formatPeerEvent(p: Peer, wallMs: number): string {
  const state = sessionStates[p.state?.session_state ?? 0]?.long ?? 'UNKNOWN';
  return `${formatStamp(wallMs)} [NEIGH] ${addressOf(p)} fsm: ${state} admin: ${adminStates[p.state?.admin_state ?? 0] ?? 'UNKNOWN'}\n`;
}

export { addressOf as peerAddress, isEstablished as isPeerEstablished };
