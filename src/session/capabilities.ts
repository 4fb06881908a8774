// What we offer in our OPEN and what both sides end up with: the OPEN checks that need
// configuration (RFC 4271 6.2 peer AS, RFC 6286 BGP Identifier), hold time (RFC 4271
// 4.2), and capability negotiation (RFC 5492; RFC 4760 8 families, RFC 6793 4-octet AS,
// RFC 7911 4 ADD-PATH, RFC 8654 Extended Message, RFC 2918 / 7313 Route Refresh,
// RFC 4724 3 Graceful Restart, RFC 9494 3 Long-lived Graceful Restart, the FQDN capability of draft-walton-bgp-hostname).

import { Afi, Safi, bytesEqual, formatAddress } from '../lib/address.js';
import type { Capability, AddPathMode, GracefulRestartFamily } from '../wire/capability-types.js';
import { AddPathMode as AddPathBits } from '../wire/capability-types.js';
import { familyKey, familyOf, type CodecContext, type FamilyKey } from '../wire/context.js';
import { WireError, NotifyCode, OpenSubcode } from '../wire/errors.js';
import { bgpVersion, type OpenMessage } from '../wire/open.js';
import { asTrans } from '../wire/attributes/types.js';
import type { PeerInfo } from '../rib/sink.js';

/** What we say about ourselves in an OPEN and what we expect of the peer. */
export interface LocalOffer {
  readonly localAs: number;
  readonly peerAs: number;
  /** Our BGP Identifier, 4 bytes. */
  readonly routerId: Uint8Array;
  /** 0, or 3..65535 (RFC 4271 4.2). */
  readonly holdTimeSec: number;
  /** Scaled with the negotiated hold time; default a third of it. */
  readonly keepaliveSec?: number | undefined;
  /** Multiprotocol capabilities to send; empty means none (IPv4 unicast implied). */
  readonly families: readonly FamilyKey[];
  readonly hostname?: string | undefined;
  readonly gracefulRestart?: LocalGracefulRestart | undefined;
  /** Long-lived graceful restart (RFC 9494 3): sent only beside `gracefulRestart`. */
  readonly longLivedGracefulRestart?: LocalLongLivedGracefulRestart | undefined;
  readonly addPath?: ReadonlyMap<FamilyKey, AddPathMode> | undefined;
  /** Offer the Route Refresh capability (RFC 2918): we answer ROUTE-REFRESH by sending our routes again. */
  readonly isRouteRefresh?: boolean | undefined;
}

/** Our Graceful Restart capability (RFC 4724 3). */
export interface LocalGracefulRestart {
  readonly restartTimeSec: number;
  /** Families listed (a subset of those offered); every offered family when absent. */
  readonly families?: readonly FamilyKey[] | undefined;
  /** R bit: this speaker has just restarted. */
  readonly isRestarting?: boolean | undefined;
  /** F bit of every listed family: forwarding state was kept across the restart. */
  readonly isForwardingPreserved?: boolean | undefined;
  /** F bit per family: set for these only (takes the place of isForwardingPreserved). */
  readonly forwardingFamilies?: readonly FamilyKey[] | undefined;
}

/** Our Long-lived Graceful Restart capability (RFC 9494 3). */
export interface LocalLongLivedGracefulRestart {
  /** Families listed (those not offered are left out), each with our long-lived stale time. */
  readonly families: readonly { readonly family: FamilyKey; readonly staleTimeSec: number }[];
}

/** A family both sides listed in their LLGR capabilities: what the peer said of it. */
export interface NegotiatedLlgrFamily {
  /** The peer's long-lived stale time, seconds. */
  readonly staleTimeSec: number;
  /** The peer's F bit for the family (RFC 9494 4.2). */
  readonly isForwardingPreserved: boolean;
}

type CapabilityOf<K extends Capability['kind']> = Extract<Capability, { kind: K }>;

/** The outcome of a valid OPEN: everything the session, the codec and the RIB need. */
export interface Negotiated {
  /** The peer's real AS (4-octet capability, else My AS). */
  readonly peerAs: number;
  /** The peer's BGP Identifier, 4 bytes. */
  readonly peerId: Uint8Array;
  /** min(ours, theirs); 0 means no hold timer and no KEEPALIVEs (RFC 4271 4.4). */
  readonly holdTimeSec: number;
  /** Interval between our KEEPALIVEs; 0 when the hold time is 0. */
  readonly keepaliveMs: number;
  /** Families both sides offered (RFC 4760 8). */
  readonly families: ReadonlySet<FamilyKey>;
  readonly isAs4: boolean;
  /** Families whose received NLRI carry path identifiers (RFC 7911 4). */
  readonly addPathRx: ReadonlySet<FamilyKey>;
  /** Families whose sent NLRI carry path identifiers. */
  readonly addPathTx: ReadonlySet<FamilyKey>;
  readonly isExtendedMessage: boolean;
  /** The peer accepts ROUTE-REFRESH (RFC 2918, or the pre-standard code 128). */
  readonly isRouteRefresh: boolean;
  readonly isEnhancedRouteRefresh: boolean;
  /** The peer's Graceful Restart capability, if it sent one. */
  readonly peerGracefulRestart?: CapabilityOf<'graceful-restart'>;
  /**
   * Families both sides listed in LLGR capabilities sent beside Graceful Restart
   * (RFC 9494 3: an LLGR capability without it is ignored), by family. Absent: none.
   */
  readonly longLivedGracefulRestart?: ReadonlyMap<FamilyKey, NegotiatedLlgrFamily>;
  readonly peerFqdn?: { readonly hostname: string; readonly domain: string };
  /** How to decode what the peer sends. */
  readonly rx: CodecContext;
  /** How to encode what we send. */
  readonly tx: CodecContext;
}

const ipv4Unicast = familyKey(Afi.ipv4, Safi.unicast);

function ofKind<K extends Capability['kind']>(caps: readonly Capability[], kind: K): CapabilityOf<K>[] {
  return caps.filter((c): c is CapabilityOf<K> => c.kind === kind);
}

/** RFC 4760 8: a speaker without Multiprotocol capabilities does IPv4 unicast only. */
function offeredFamilies(caps: readonly Capability[]): Set<FamilyKey> {
  const mp = ofKind(caps, 'multiprotocol');
  if (mp.length === 0) return new Set([ipv4Unicast]);
  return new Set(mp.map((c) => familyKey(c.afi, c.safi)));
}

/** The capabilities of our OPEN, in a stable order. */
export function localCapabilities(offer: LocalOffer): Capability[] {
  const caps: Capability[] = offer.families.map((f) => ({ kind: 'multiprotocol', ...familyOf(f) }));
  caps.push({ kind: 'extended-message' });
  if (offer.isRouteRefresh === true) caps.push({ kind: 'route-refresh' });
  if (offer.gracefulRestart !== undefined) {
    // F is set only when the caller kept forwarding state across a restart (RFC 4724 3).
    const gr = offer.gracefulRestart;
    const offered = offeredFamilies(caps);
    const listed = gr.families === undefined ? [...offered] : gr.families.filter((f) => offered.has(f));
    const isPreserved = (f: FamilyKey): boolean => (gr.forwardingFamilies !== undefined ? gr.forwardingFamilies.includes(f) : gr.isForwardingPreserved === true);
    const families: GracefulRestartFamily[] = listed.map((f) => ({ ...familyOf(f), isForwardingPreserved: isPreserved(f) }));
    caps.push({ kind: 'graceful-restart', isRestarting: gr.isRestarting === true, isNotificationSupported: false, restartTimeSec: gr.restartTimeSec, families });
    const llgr = offer.longLivedGracefulRestart?.families.filter((f) => offered.has(f.family)) ?? [];
    if (llgr.length > 0) caps.push({ kind: 'long-lived-graceful-restart', families: llgr.map((f) => ({ ...familyOf(f.family), isForwardingPreserved: false, staleTimeSec: f.staleTimeSec })) });
  }
  caps.push({ kind: 'four-octet-as', asn: offer.localAs });
  if (offer.addPath !== undefined && offer.addPath.size > 0) {
    const offered = offeredFamilies(caps);
    const families = [...offer.addPath].filter(([f]) => offered.has(f)).map(([f, mode]) => ({ ...familyOf(f), mode }));
    if (families.length > 0) caps.push({ kind: 'add-path', families });
  }
  if (offer.hostname !== undefined && offer.hostname !== '') caps.push({ kind: 'fqdn', hostname: offer.hostname, domain: '' });
  return caps;
}

/** Our OPEN. A 4-octet AS goes in the 4-octet AS capability, AS_TRANS in My AS (RFC 6793 4.1). */
export function localOpen(offer: LocalOffer): OpenMessage {
  return {
    type: 'open',
    version: bgpVersion,
    myAs: offer.localAs > 0xffff ? asTrans : offer.localAs,
    holdTime: offer.holdTimeSec,
    bgpId: offer.routerId,
    capabilities: localCapabilities(offer),
  };
}

function badPeerAs(open: OpenMessage, as4: CapabilityOf<'four-octet-as'> | undefined, expected: number, got: number): WireError {
  // The RFCs name no data for Bad Peer AS; the AS field the peer sent helps it find the fault.
  const data = new Uint8Array(as4 !== undefined ? 4 : 2);
  const view = new DataView(data.buffer);
  if (as4 !== undefined) view.setUint32(0, as4.asn);
  else view.setUint16(0, open.myAs);
  return new WireError(NotifyCode.openMessage, OpenSubcode.badPeerAs, `peer AS ${got}, expected ${expected}`, data);
}

/**
 * Checks a received OPEN against our configuration and negotiates the session.
 * Throws the WireError to send: Bad Peer AS, Bad BGP Identifier (zero, or ours on an
 * iBGP session: RFC 6286 2.2), Unacceptable Hold Time (1 or 2 seconds).
 */
export function negotiate(offer: LocalOffer, open: OpenMessage): Negotiated {
  const caps = open.capabilities;
  if (open.version !== bgpVersion) {
    throw new WireError(NotifyCode.openMessage, OpenSubcode.unsupportedVersion, `version ${open.version}`, Uint8Array.of(0, bgpVersion));
  }
  const as4 = ofKind(caps, 'four-octet-as')[0];
  const peerAs = as4 !== undefined ? as4.asn : open.myAs;
  if (peerAs !== offer.peerAs) throw badPeerAs(open, as4, offer.peerAs, peerAs);
  if (open.bgpId.length !== 4 || open.bgpId.every((b) => b === 0)) {
    throw new WireError(NotifyCode.openMessage, OpenSubcode.badBgpIdentifier, 'BGP identifier 0.0.0.0');
  }
  if (offer.peerAs === offer.localAs && bytesEqual(open.bgpId, offer.routerId)) {
    throw new WireError(NotifyCode.openMessage, OpenSubcode.badBgpIdentifier, `iBGP peer has our BGP identifier ${formatAddress(open.bgpId)}`, open.bgpId.slice());
  }
  if (open.holdTime === 1 || open.holdTime === 2) {
    throw new WireError(NotifyCode.openMessage, OpenSubcode.unacceptableHoldTime, `hold time ${open.holdTime}`);
  }

  const ours = localCapabilities(offer);
  const holdTimeSec = Math.min(offer.holdTimeSec, open.holdTime);
  const keepaliveMs = holdTimeSec === 0 ? 0 : offer.keepaliveSec !== undefined && offer.holdTimeSec > 0 ? Math.floor((offer.keepaliveSec * 1000 * holdTimeSec) / offer.holdTimeSec) : Math.floor((holdTimeSec * 1000) / 3);

  const peerFamilies = offeredFamilies(caps);
  const families = new Set([...offeredFamilies(ours)].filter((f) => peerFamilies.has(f)));

  const modesOf = (list: readonly Capability[]): Map<FamilyKey, number> => {
    const out = new Map<FamilyKey, number>();
    for (const c of ofKind(list, 'add-path')) for (const f of c.families) out.set(familyKey(f.afi, f.safi), (out.get(familyKey(f.afi, f.safi)) ?? 0) | f.mode);
    return out;
  };
  const ourModes = modesOf(ours);
  const peerModes = modesOf(caps);
  const addPathRx = new Set<FamilyKey>();
  const addPathTx = new Set<FamilyKey>();
  for (const f of families) {
    const mine = ourModes.get(f) ?? 0;
    const theirs = peerModes.get(f) ?? 0;
    // RFC 7911 4: path identifiers flow from a sender to a receiver that both said so.
    if ((mine & AddPathBits.receive) !== 0 && (theirs & AddPathBits.send) !== 0) addPathRx.add(f);
    if ((mine & AddPathBits.send) !== 0 && (theirs & AddPathBits.receive) !== 0) addPathTx.add(f);
  }

  const has = (list: readonly Capability[], kind: Capability['kind']): boolean => list.some((c) => c.kind === kind);
  const isAs4 = as4 !== undefined && has(ours, 'four-octet-as');
  const isExtendedMessage = has(caps, 'extended-message') && has(ours, 'extended-message');
  const gr = ofKind(caps, 'graceful-restart')[0];
  const fqdn = ofKind(caps, 'fqdn')[0];
  const llgr = negotiateLlgr(ours, caps, families);
  return {
    peerAs,
    peerId: open.bgpId.slice(),
    holdTimeSec,
    keepaliveMs,
    families,
    isAs4,
    addPathRx,
    addPathTx,
    isExtendedMessage,
    isRouteRefresh: has(caps, 'route-refresh') || has(caps, 'route-refresh-old'),
    isEnhancedRouteRefresh: has(caps, 'enhanced-route-refresh'),
    ...(gr !== undefined ? { peerGracefulRestart: gr } : {}),
    ...(llgr.size > 0 ? { longLivedGracefulRestart: llgr } : {}),
    ...(fqdn !== undefined ? { peerFqdn: { hostname: fqdn.hostname, domain: fqdn.domain } } : {}),
    rx: { isAs4, addPath: addPathRx, isExtendedMessage },
    tx: { isAs4, addPath: addPathTx, isExtendedMessage },
  };
}

/** RFC 9494 3: the families both LLGR capabilities list, each sent beside Graceful Restart. */
function negotiateLlgr(ours: readonly Capability[], theirs: readonly Capability[], families: ReadonlySet<FamilyKey>): Map<FamilyKey, NegotiatedLlgrFamily> {
  const out = new Map<FamilyKey, NegotiatedLlgrFamily>();
  const isWithGr = (list: readonly Capability[]): boolean => list.some((c) => c.kind === 'graceful-restart');
  if (!isWithGr(ours) || !isWithGr(theirs)) return out;
  const mine = new Set(ofKind(ours, 'long-lived-graceful-restart').flatMap((c) => c.families.map((f) => familyKey(f.afi, f.safi))));
  for (const c of ofKind(theirs, 'long-lived-graceful-restart')) {
    for (const f of c.families) {
      const family = familyKey(f.afi, f.safi);
      if (mine.has(family) && families.has(family)) out.set(family, { staleTimeSec: f.staleTimeSec, isForwardingPreserved: f.isForwardingPreserved });
    }
  }
  return out;
}

/** What the RIB is told about the peer. */
export function peerInfoOf(address: string, offer: LocalOffer, n: Negotiated): PeerInfo {
  return {
    address,
    peerAs: n.peerAs,
    localAs: offer.localAs,
    routerId: n.peerId,
    isEbgp: n.peerAs !== offer.localAs,
    families: n.families,
    addPathRx: n.addPathRx,
  };
}
