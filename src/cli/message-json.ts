// BGP messages as JSON for people and scripts: addresses and prefixes as text, AS
// paths and communities in their usual notation, other bytes as hex. Used by
// `tsbgp decode`; the shape follows the decoded objects of src/wire.

import { formatAddress, formatPrefix } from '../lib/address.js';
import type { Message } from '../wire/message.js';
import type { NlriList } from '../wire/nlri.js';
import type { Capability } from '../wire/capability-types.js';
import type { PathAttributes } from '../wire/attributes/types.js';
import { describeNotify, ErrorAction } from '../wire/errors.js';
import { shutdownCommunication } from '../wire/notification.js';
import { familyKey, familyName } from '../wire/context.js';

export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const actionNames: Readonly<Record<number, string>> = {
  [ErrorAction.attributeDiscard]: 'attribute-discard',
  [ErrorAction.treatAsWithdraw]: 'treat-as-withdraw',
  [ErrorAction.afiSafiDisable]: 'afi-safi-disable',
  [ErrorAction.sessionReset]: 'session-reset',
};

const originNames = ['igp', 'egp', 'incomplete'];
const segmentNames: Readonly<Record<number, string>> = { 1: 'set', 2: 'sequence', 3: 'confed-sequence', 4: 'confed-set' };

/** Prefixes as text; with ADD-PATH, objects holding the path identifier too. */
export function nlriJson(list: NlriList): Json[] {
  const out: Json[] = [];
  for (const { prefix, pathId } of list) out.push(list.hasPathId ? { prefix: formatPrefix(prefix), pathId } : formatPrefix(prefix));
  return out;
}

function communityText(c: number): string {
  return `${c >>> 16}:${c & 0xffff}`;
}

function family(afi: number, safi: number): string {
  return familyName(familyKey(afi, safi));
}

export function attributesJson(a: PathAttributes): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  if (a.origin !== undefined) out['origin'] = originNames[a.origin] ?? a.origin;
  if (a.asPath !== undefined) out['asPath'] = a.asPath.map((s) => ({ type: segmentNames[s.type] ?? s.type, asns: [...s.asns] }));
  if (a.nextHop !== undefined) out['nextHop'] = formatAddress(a.nextHop);
  if (a.med !== undefined) out['med'] = a.med;
  if (a.localPref !== undefined) out['localPref'] = a.localPref;
  if (a.isAtomicAggregate === true) out['atomicAggregate'] = true;
  if (a.aggregator !== undefined) out['aggregator'] = { asn: a.aggregator.asn, address: formatAddress(a.aggregator.address) };
  if (a.communities !== undefined) out['communities'] = a.communities.map(communityText);
  if (a.originatorId !== undefined) out['originatorId'] = formatAddress(a.originatorId);
  if (a.clusterList !== undefined) out['clusterList'] = a.clusterList.map(formatAddress);
  if (a.mpReach !== undefined) {
    const m = a.mpReach;
    out['mpReach'] = {
      family: family(m.afi, m.safi),
      nextHop: m.nextHop.length === 4 || m.nextHop.length === 16 ? formatAddress(m.nextHop) : hex(m.nextHop),
      ...(m.linkLocalNextHop === undefined ? {} : { linkLocalNextHop: formatAddress(m.linkLocalNextHop) }),
      nlri: nlriJson(m.nlri),
    };
  }
  if (a.mpUnreach !== undefined) out['mpUnreach'] = { family: family(a.mpUnreach.afi, a.mpUnreach.safi), withdrawn: nlriJson(a.mpUnreach.withdrawn) };
  if (a.extCommunities !== undefined) out['extCommunities'] = a.extCommunities.map(hex);
  if (a.largeCommunities !== undefined) out['largeCommunities'] = a.largeCommunities.map((l) => l.join(':'));
  if (a.unknown !== undefined) out['unknown'] = a.unknown.map((u) => ({ typeCode: u.typeCode, flags: u.flags, value: hex(u.value) }));
  return out;
}

function capabilityJson(c: Capability): Json {
  switch (c.kind) {
    case 'multiprotocol':
      return { kind: c.kind, family: family(c.afi, c.safi) };
    case 'graceful-restart':
      return {
        kind: c.kind,
        isRestarting: c.isRestarting,
        isNotificationSupported: c.isNotificationSupported,
        restartTimeSec: c.restartTimeSec,
        families: c.families.map((f) => ({ family: family(f.afi, f.safi), isForwardingPreserved: f.isForwardingPreserved })),
      };
    case 'long-lived-graceful-restart':
      return { kind: c.kind, families: c.families.map((f) => ({ family: family(f.afi, f.safi), isForwardingPreserved: f.isForwardingPreserved, staleTimeSec: f.staleTimeSec })) };
    case 'add-path':
      return { kind: c.kind, families: c.families.map((f) => ({ family: family(f.afi, f.safi), mode: f.mode })) };
    case 'extended-next-hop':
      return { kind: c.kind, entries: c.entries.map((e) => ({ family: family(e.afi, e.safi), nextHopAfi: e.nextHopAfi })) };
    case 'unknown':
      return { kind: c.kind, code: c.code, value: hex(c.value) };
    default:
      return { ...c };
  }
}

/** One decoded message as JSON. */
export function messageJson(m: Message): Json {
  switch (m.type) {
    case 'open':
      return { type: 'open', version: m.version, myAs: m.myAs, holdTime: m.holdTime, bgpId: formatAddress(m.bgpId), capabilities: m.capabilities.map(capabilityJson) };
    case 'update':
      return {
        type: 'update',
        withdrawn: nlriJson(m.withdrawn),
        attributes: attributesJson(m.attributes),
        nlri: nlriJson(m.nlri),
        ...(m.faults.length === 0 ? {} : { faults: m.faults.map((f) => f.message) }),
        ...(m.action === undefined ? {} : { action: actionNames[m.action] ?? m.action }),
      };
    case 'notification': {
      const communication = shutdownCommunication(m);
      return {
        type: 'notification',
        code: m.code,
        subcode: m.subcode,
        error: describeNotify(m.code, m.subcode),
        ...(communication === undefined ? { data: hex(m.data) } : { communication }),
      };
    }
    case 'keepalive':
      return { type: 'keepalive' };
    case 'route-refresh':
      return { type: 'route-refresh', family: family(m.afi, m.safi), subtype: m.subtype };
  }
}
