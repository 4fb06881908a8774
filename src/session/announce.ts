// Turning routes into UPDATEs for one established peer, the part shared by the daemon's
// originated routes and the service speaker: routes with equal attributes packed into as
// few UPDATEs as the message size allows (IPv6 in MP_REACH_NLRI / MP_UNREACH_NLRI, RFC 4760
// 3-4), End-of-RIB per family (RFC 4724 2), and the back-pressure of the session's output queue.

import { Afi, Safi, type Prefix } from '../lib/address.js';
import { NlriList, type Nlri } from '../wire/nlri.js';
import { familyKey, type CodecContext, type FamilyKey } from '../wire/context.js';
import type { PathAttributes } from '../wire/attributes/types.js';
import { endOfRib, packUpdates, packWithdrawals, type UpdateMessage } from '../wire/update.js';

export const ipv4Unicast = familyKey(Afi.ipv4, Safi.unicast);
export const ipv6Unicast = familyKey(Afi.ipv6, Safi.unicast);

/** One route as it goes to one peer: the prefix and the attributes it carries there. */
export interface PeerRoute {
  readonly prefix: Prefix;
  readonly prefixText: string;
  readonly family: FamilyKey;
  readonly nextHop: Uint8Array;
  readonly attributes: PathAttributes;
  /** Equal signatures mean equal attributes: such routes share an UPDATE. */
  readonly signature: string;
  /**
   * RFC 7911 path identifier, on a session sending several paths per prefix; absent for
   * the one route of a prefix (identifier 0 when the session carries identifiers).
   */
  readonly pathId?: number;
  /** Which path it is (its source peer and path identif' there): the same path keeps its `pathId`. */
  readonly pathSource?: string;
}

/** The NLRI of a route: its prefix, with its path identifier when it has one. */
export function nlriOf(r: PeerRoute): Prefix | Nlri {
  return r.pathId === undefined ? r.prefix : { prefix: r.prefix, pathId: r.pathId };
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else the text itself. */
export function unmapAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m === null ? address : m[1]!;
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
    const prefixes = group.map(nlriOf);
    if (first.family === ipv4Unicast) {
      out.push(...packUpdates(first.attributes, prefixes, ctx));
    } else {
      const mpReach = { afi: Afi.ipv6, safi: Safi.unicast, nextHop: first.nextHop, nlri: NlriList.empty(Afi.ipv6) };
      out.push(...packUpdates({ ...first.attributes, mpReach }, prefixes, ctx));
    }
  }
  return out;
}

/** UPDATEs withdrawing `prefixes` (IPv4 Withdrawn Routes field; IPv6 in MP_UNREACH_NLRI), path identifiers kept. */
export function withdrawUpdates(prefixes: readonly (Prefix | Nlri)[], ctx: CodecContext): UpdateMessage[] {
  const afiOf = (p: Prefix | Nlri): number => ('prefix' in p ? p.prefix.afi : p.afi);
  const v4 = prefixes.filter((p) => afiOf(p) === Afi.ipv4);
  const v6 = prefixes.filter((p) => afiOf(p) === Afi.ipv6);
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
