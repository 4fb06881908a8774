// Test support: an in-memory network for BfdManagers on one ManualClock.

import { decodeBfdControl, encodeBfdControl, type BfdControlPacket } from './packet.js';
import { bfdSourcePortMin, type BfdDatagram, type BfdSender, type BfdTransport } from './transport.js';

/** An in-memory network: a datagram reaches the transport listening on its destination. */
export class Link {
  readonly ends = new Map<string, (d: BfdDatagram) => void>();
  isCut = false;
  /** Every datagram sent, decoded, with its source and destination. */
  readonly log: { from: string; to: string; sourcePort: number; p: BfdControlPacket }[] = [];
  private nextPort = bfdSourcePortMin;

  transport(address: string): BfdTransport {
    return {
      listen: async (_options, onPacket) => {
        this.ends.set(address, onPacket);
      },
      openSender: (remoteAddress, _localAddress): BfdSender => {
        const sourcePort = this.nextPort++;
        return {
          send: (bytes) => {
            this.log.push({ from: address, to: remoteAddress, sourcePort, p: decodeBfdControl(bytes) });
            if (!this.isCut) this.ends.get(remoteAddress)?.({ bytes, remoteAddress: address, remotePort: sourcePort });
          },
          close: () => {},
        };
      },
      close: async () => {
        this.ends.delete(address);
      },
    };
  }

  /** Injects a datagram as if `from` had sent it to `to`. */
  inject(from: string, to: string, p: BfdControlPacket): void {
    this.ends.get(to)?.({ bytes: encodeBfdControl(p), remoteAddress: from, remotePort: 49999 });
  }
}

