// What the fuzzer feeds: each target is a decoder of hostile bytes, its seeds (the
// real-message fixtures beside its tests) and the error type it is allowed to throw.
// Anything else it throws is a crash; the framer, decodeMessage per negotiated context
// (RFC 6793 four-octet AS, RFC 7911 ADD-PATH, RFC 8654 extended messages), rtnetlink
// replies and the MRT reader (RFC 6396). The config loader's targets live with it
// (src/daemon/config-fuzz.ts): nothing may import the daemon.

import { fileURLToPath } from 'node:url';
import { Afi, Safi } from '../lib/address.js';
import { Framer } from '../wire/framer.js';
import { decodeMessage } from '../wire/message.js';
import { WireError } from '../wire/errors.js';
import { familyKey, type CodecContext } from '../wire/context.js';
import { maxExtendedMessageLength, maxMessageLength } from '../wire/header.js';
import { NetlinkError, RtmType, NlmsgType, splitMessages, decodeAck } from '../fib/netlink.js';
import { decodeRoute } from '../fib/route-message.js';
import { decodeLink } from '../fib/link-message.js';
import { decodeAddr } from '../fib/addr-message.js';
import { decodeBatches, frameBatches } from '../mrt/reader.js';
import { MrtError } from '../mrt/types.js';
import * as wireOpen from '../wire/fixtures/open.js';
import * as wireKeepalive from '../wire/fixtures/keepalive.js';
import * as wireNotification from '../wire/fixtures/notification.js';
import * as wireRefresh from '../wire/fixtures/route-refresh.js';
import * as wireEndOfRib from '../wire/fixtures/end-of-rib.js';
import * as wireBird from '../wire/fixtures/update-bird.js';
import * as wireFrr from '../wire/fixtures/update-frr.js';
import * as wireGobgp from '../wire/fixtures/update-gobgp.js';
import * as fibRoutes from '../fib/fixtures/ip-route.js';
import * as fibReplies from '../fib/fixtures/kernel-replies.js';
import * as mrtDumps from '../mrt/fixtures/dumps.js';

/** One thing to fuzz. */
export interface FuzzTarget {
  readonly name: string;
  /** Inputs to start from: real bytes. */
  seeds(): Uint8Array[];
  /** Runs one input; throws what the decoder throws. */
  run(input: Uint8Array): void | Promise<void>;
  /** The decoder's own typed errors: the expected answer to bad input, not a crash. */
  isExpected(err: unknown): boolean;
}

/** The repository root, from dist/src/fuzz/. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Every hex string exported by the fixture modules, nested objects included. */
export function hexSeeds(...modules: readonly object[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.length >= 2 && v.length % 2 === 0 && /^[0-9a-f]+$/i.test(v)) out.push(Uint8Array.from(Buffer.from(v, 'hex')));
    } else if (typeof v === 'object' && v !== null) {
      for (const x of Object.values(v)) visit(x);
    }
  };
  for (const m of modules) visit(m);
  return out;
}

const wireSeeds = (): Uint8Array[] => hexSeeds(wireOpen, wireKeepalive, wireNotification, wireRefresh, wireEndOfRib, wireBird, wireFrr, wireGobgp);

const allFamilies = new Set([familyKey(Afi.ipv4, Safi.unicast), familyKey(Afi.ipv6, Safi.unicast)]);

function wireTarget(name: string, ctx: CodecContext): FuzzTarget {
  return {
    name,
    seeds: wireSeeds,
    run(input) {
      const framer = new Framer(ctx.isExtendedMessage ? maxExtendedMessageLength : maxMessageLength);
      // The first byte picks a chunk size: the framer must give the same messages for any cut.
      const step = 1 + (input[0] ?? 0) % 64;
      for (let at = 0; at < input.length; at += step) {
        for (const m of framer.push(input.subarray(at, at + step))) decodeMessage(m, ctx);
      }
      // A whole input is also decoded as one message, past the framer's checks.
      decodeMessage(input, ctx);
    },
    isExpected: (err) => err instanceof WireError,
  };
}

const netlinkTarget: FuzzTarget = {
  name: 'netlink',
  seeds: () => hexSeeds(fibRoutes, fibReplies),
  run(input) {
    for (const msg of splitMessages(input)) {
      switch (msg.type) {
        case RtmType.newRoute:
        case RtmType.delRoute:
          decodeRoute(msg);
          break;
        case RtmType.newLink:
        case RtmType.delLink:
          decodeLink(msg);
          break;
        case RtmType.newAddr:
        case RtmType.delAddr:
          decodeAddr(msg);
          break;
        case NlmsgType.error:
          decodeAck(msg);
          break;
        default:
          break;
      }
    }
  },
  isExpected: (err) => err instanceof NetlinkError,
};

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

const mrtTarget: FuzzTarget = {
  name: 'mrt',
  seeds: () => hexSeeds(mrtDumps),
  async run(input) {
    // Faults are the reader's answer to a bad record; only a throw is a crash.
    for await (const batch of decodeBatches(frameBatches(once(input)))) void batch;
  },
  isExpected: (err) => err instanceof MrtError || err instanceof WireError,
};

/** The codec targets; runners add the config loader's. */
export const coreTargets: readonly FuzzTarget[] = [
  wireTarget('wire-as2', { isAs4: false, addPath: new Set(), isExtendedMessage: false }),
  wireTarget('wire-as4', { isAs4: true, addPath: new Set(), isExtendedMessage: false }),
  wireTarget('wire-addpath', { isAs4: true, addPath: allFamilies, isExtendedMessage: false }),
  wireTarget('wire-extended', { isAs4: true, addPath: allFamilies, isExtendedMessage: true }),
  netlinkTarget,
  mrtTarget,
];
