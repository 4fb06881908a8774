// tsbgpd's MRT dumps, as gobgpd's `[[mrt-dump]]` writes them: "table" dumps the Loc-RIB
// (best path and multipath set of every prefix) as TABLE_DUMP_V2 (RFC 6396 4.3) every
// dump-interval; "updates" appends every UPDATE received as BGP4MP_MESSAGE_AS4 (with the
// ADDPATH subtype when the peer sends path identifiers, RFC 8050) and session changes
// as BGP4MP_STATE_CHANGE_AS4, in a new file every rotation-interval.

import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isIPv4, isIPv6 } from 'node:net';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { Afi, parseAddress } from '../lib/address.js';
import { familyKey, type CodecContext, type FamilyKey } from '../wire/context.js';
import { encodeUpdate } from '../wire/update.js';
import { NlriList } from '../wire/nlri.js';
import type { PathAttributes } from '../wire/attributes/types.js';
import type { PeerInfo, UpdateSink } from '../rib/sink.js';
import type { Rib } from '../rib/rib.js';
import type { Route } from '../rib/route.js';
import { keyToPrefix } from '../rib/prefix-key.js';
import { encodeMessageRecord, encodePeerIndexTable, encodeRibRecord, encodeStateChange, type RibEntryInput } from '../mrt/writer.js';
import { Bgp4mpState, type Bgp4mpPeering, type MrtPeer } from '../mrt/types.js';
import { formatGoTime, type MrtDumpConfig } from './mrt-dump-config.js';

export interface MrtDumpDeps {
  readonly rib: Rib;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly localAs: number;
  /** Our BGP Identifier as dotted text: the collector ID of the PEER_INDEX_TABLE. */
  readonly routerId: string;
}

const families: readonly FamilyKey[] = [familyKey(Afi.ipv4, 1), familyKey(Afi.ipv6, 1)];

function addressOf(text: string): Uint8Array {
  if (isIPv4(text) || isIPv6(text)) return parseAddress(text);
  return new Uint8Array(4);
}

function u32Bytes(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Encodes the Loc-RIB as one TABLE_DUMP_V2 file's records (synchronously: one consistent view). */
export function encodeLocRib(rib: Rib, timestampSec: number, collectorId: Uint8Array, localAs: number): Uint8Array[] {
  const peers: MrtPeer[] = [];
  const peerIndex = new Map<string, number>();
  const indexOf = (route: Route): number => {
    const p = route.peer;
    let i = peerIndex.get(p.address);
    if (i === undefined) {
      i = peers.length;
      peerIndex.set(p.address, i);
      // Locally originated routes: our own entry, address 0.0.0.0 and our AS.
      peers.push(p.isLocal ? { bgpId: collectorId, address: new Uint8Array(4), asn: localAs, isAs4: true } : { bgpId: u32Bytes(p.routerId), address: p.addressBytes.length === 0 ? new Uint8Array(4) : p.addressBytes, asn: p.peerAs, isAs4: true });
    }
    return i;
  };
  const ribRecords: Uint8Array[] = [];
  let sequence = 0;
  for (const family of families) {
    rib.forEachBest(family, (key, best, multipath) => {
      const routes = multipath.includes(best) ? multipath : [best, ...multipath];
      const entries: RibEntryInput[] = routes.map((r) => {
        const a = r.attrs.attributes;
        const prefix = keyToPrefix(key);
        let attributes: PathAttributes = a;
        if (prefix.afi === Afi.ipv6 && r.attrs.nextHop.length === 16) {
          attributes = { ...a, mpReach: { afi: Afi.ipv6, safi: 1, nextHop: r.attrs.nextHop, ...(r.attrs.linkLocalNextHop === undefined ? {} : { linkLocalNextHop: r.attrs.linkLocalNextHop }), nlri: NlriList.empty(Afi.ipv6) } };
        } else if (prefix.afi === Afi.ipv4 && a.nextHop === undefined && r.attrs.nextHop.length === 4) {
          attributes = { ...a, nextHop: r.attrs.nextHop };
        }
        return { peerIndex: indexOf(r), originatedTime: timestampSec, attributes };
      });
      ribRecords.push(encodeRibRecord(timestampSec, sequence++, keyToPrefix(key), 1, entries));
    });
  }
  return [encodePeerIndexTable(timestampSec, collectorId, '', peers), ...ribRecords];
}

/** The dumps of one daemon: a timer per table dump, an open file per update dump. */
export class MrtDumper implements UpdateSink {
  private readonly cancels: (() => void)[] = [];
  private readonly updateFiles: { config: MrtDumpConfig; stream: WriteStream | undefined }[] = [];
  private isClosed = false;

  constructor(
    private readonly configs: readonly MrtDumpConfig[],
    private readonly deps: MrtDumpDeps,
  ) {}

  start(): void {
    for (const config of this.configs) {
      if (config.dumpType === 'table') this.scheduleTable(config);
      else {
        const file = { config, stream: undefined as WriteStream | undefined };
        this.updateFiles.push(file);
        this.rotate(file);
      }
    }
  }

  private now(): Date {
    return new Date(this.deps.clock.wallNow());
  }

  private scheduleTable(config: MrtDumpConfig): void {
    const cancel = this.deps.clock.after(config.dumpIntervalSec * 1000, () => {
      if (this.isClosed) return;
      void this.dumpTable(config).finally(() => this.scheduleTable(config));
    });
    this.cancels.push(cancel);
  }

  /** Writes one table dump now (to NAME.tmp, then renamed: readers never see half a file). */
  async dumpTable(config: MrtDumpConfig): Promise<string> {
    const date = this.now();
    const path = formatGoTime(config.fileName, date);
    try {
      const records = encodeLocRib(this.deps.rib, Math.floor(date.getTime() / 1000), addressOf(this.deps.routerId), this.deps.localAs);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(`${path}.tmp`, records);
      await rename(`${path}.tmp`, path);
      this.deps.logger.debug('mrt table dump written', { file: path, records: records.length });
    } catch (e) {
      this.deps.logger.error('mrt table dump failed', { file: path, error: e instanceof Error ? e.message : String(e) });
    }
    return path;
  }

  private rotate(file: { config: MrtDumpConfig; stream: WriteStream | undefined }): void {
    file.stream?.end();
    const path = formatGoTime(file.config.fileName, this.now());
    const stream = createWriteStream(path, { flags: 'a' });
    stream.on('error', (e) => this.deps.logger.error('mrt update dump failed', { file: path, error: e.message }));
    file.stream = stream;
    if (file.config.rotationIntervalSec > 0) {
      this.cancels.push(
        this.deps.clock.after(file.config.rotationIntervalSec * 1000, () => {
          if (!this.isClosed) this.rotate(file);
        }),
      );
    }
  }

  private append(record: () => Uint8Array): void {
    if (this.updateFiles.length === 0 || this.isClosed) return;
    const bytes = record();
    for (const f of this.updateFiles) f.stream?.write(bytes);
  }

  private peering(peer: PeerInfo): Bgp4mpPeering {
    const peerAddress = addressOf(peer.address);
    const afi = peerAddress.length === 16 ? Afi.ipv6 : Afi.ipv4;
    return { peerAs: peer.peerAs, localAs: peer.localAs, interfaceIndex: 0, afi, peerAddress, localAddress: new Uint8Array(peerAddress.length) };
  }

  private seconds(): number {
    return Math.floor(this.deps.clock.wallNow() / 1000);
  }

  onEstablished(peer: PeerInfo): void {
    this.append(() => encodeStateChange(this.seconds(), this.peering(peer), Bgp4mpState.openConfirm, Bgp4mpState.established));
  }

  onUpdate(peer: PeerInfo, update: Parameters<UpdateSink['onUpdate']>[1]): void {
    this.append(() => {
      const isAddPath = peer.addPathRx.size > 0;
      const ctx: CodecContext = { isAs4: true, addPath: peer.addPathRx, isExtendedMessage: true };
      return encodeMessageRecord(this.seconds(), this.peering(peer), encodeUpdate(update, ctx), { isAs4: true, isAddPath });
    });
  }

  onEndOfRib(): void {
    // The End-of-RIB marker came as an UPDATE and is already in the dump.
  }

  onPeerDown(peer: PeerInfo): void {
    this.append(() => encodeStateChange(this.seconds(), this.peering(peer), Bgp4mpState.established, Bgp4mpState.idle));
  }

  async close(): Promise<void> {
    this.isClosed = true;
    for (const cancel of this.cancels) cancel();
    await Promise.all(this.updateFiles.map((f) => new Promise<void>((resolve) => (f.stream === undefined ? resolve() : f.stream.end(resolve)))));
  }
}
