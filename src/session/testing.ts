// In-memory stand-ins for session tests (here and elsewhere): a Transport whose bytes
// the test reads and writes, a Connector that records attempts, a network joining
// transports in pairs with deliveries run by `pump`, and a recording logger and sink.

import { EventEmitter } from 'node:events';
import type { Logger, LogFields, LogLevel } from '../lib/logger.js';
import type { PeerInfo, UpdateSink } from '../rib/sink.js';
import type { FamilyKey, CodecContext } from '../wire/context.js';
import { as4Context } from '../wire/context.js';
import { decodeMessage, encodeMessage, type Message } from '../wire/message.js';
import type { UpdateMessage } from '../wire/update.js';
import { Framer } from '../wire/framer.js';
import { maxExtendedMessageLength } from '../wire/header.js';
import type { ConnectOptions, Connector, Transport } from './transport.js';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** A Transport in memory. Events are emitted synchronously when the test calls in. */
export class FakeTransport extends EventEmitter implements Transport {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Every chunk written, in order (copies). */
  readonly written: Uint8Array[] = [];
  /** What `write` returns: false simulates a full socket buffer until `drain()`. */
  isWritable = true;
  /** `end` closes at once, as when the peer answers the FIN. */
  closeOnEnd = true;
  isEnded = false;
  isDestroyed = false;
  isClosed = false;
  /** Set by FakeNetwork: where written bytes go. */
  link: { readonly peer: FakeTransport; readonly network: FakeNetwork } | undefined;

  constructor(local: Endpoint, remote: Endpoint) {
    super();
    this.localAddress = local.address;
    this.localPort = local.port;
    this.remoteAddress = remote.address;
    this.remotePort = remote.port;
  }

  write(bytes: Uint8Array): boolean {
    if (this.isEnded || this.isClosed) throw new Error('FakeTransport: write after end');
    const copy = Uint8Array.from(bytes);
    this.written.push(copy);
    const link = this.link;
    if (link !== undefined) link.network.post(() => link.peer.receive(copy));
    return this.isWritable;
  }

  end(): void {
    if (this.isEnded || this.isClosed) return;
    this.isEnded = true;
    const link = this.link;
    if (link !== undefined) {
      link.network.post(() => {
        this.closeNow(false);
        link.peer.closeNow(false);
      });
    } else if (this.closeOnEnd) {
      this.closeNow(false);
    }
  }

  destroy(): void {
    this.isDestroyed = true;
    this.closeNow(false);
    const link = this.link;
    if (link !== undefined) link.network.post(() => link.peer.closeNow(false));
  }

  // ---- the test's side ----

  /** Bytes arriving from the peer. */
  receive(bytes: Uint8Array): void {
    if (this.isClosed) return;
    this.emit('data', bytes);
  }

  /** A whole message arriving from the peer. */
  receiveMessage(msg: Message, ctx: CodecContext = as4Context): void {
    this.receive(encodeMessage(msg, ctx));
  }

  /** The outgoing connection is established. */
  connectNow(): void {
    this.emit('connect');
  }

  /** The socket buffer emptied: `write` returns true again. */
  drain(): void {
    this.isWritable = true;
    this.emit('drain');
  }

  /** The connection fails (refused, reset). */
  fail(message = 'ECONNREFUSED'): void {
    if (this.isClosed) return;
    this.emit('error', new Error(message));
    this.closeNow(true);
  }

  /** The peer closed the connection. */
  closeNow(hadError: boolean): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.emit('close', hadError);
  }

  /** Everything written, cut into messages and decoded with `ctx`. */
  sent(ctx: CodecContext = as4Context): Message[] {
    const framer = new Framer(maxExtendedMessageLength);
    const out: Message[] = [];
    for (const chunk of this.written) for (const m of framer.push(chunk)) out.push(decodeMessage(m, ctx));
    return out;
  }

  /** Messages written since the last call of `takeSent`. */
  takeSent(ctx: CodecContext = as4Context): Message[] {
    const all = this.sent(ctx);
    const fresh = all.slice(this.taken);
    this.taken = all.length;
    return fresh;
  }

  private taken = 0;
}

/** A Connector whose attempts the test completes or fails by hand. */
export class FakeConnector {
  readonly attempts: { readonly options: ConnectOptions; readonly transport: FakeTransport }[] = [];
  private nextPort = 40000;

  readonly connect: Connector = (options) => {
    const transport = new FakeTransport({ address: options.localAddress ?? '127.0.0.1', port: this.nextPort++ }, { address: options.host, port: options.port });
    this.attempts.push({ options, transport });
    return transport;
  };

  /** The latest attempt's transport. */
  get last(): FakeTransport {
    const a = this.attempts.at(-1);
    if (a === undefined) throw new Error('FakeConnector: no connection attempted');
    return a.transport;
  }
}

/**
 * Joins transports in pairs. Deliveries (data, connects, closes) are queued and run in
 * order by `pump`, so two sessions talk without re-entering each other.
 */
export class FakeNetwork {
  private tasks: (() => void)[] = [];
  private readonly listeners = new Map<string, (t: Transport) => void>();
  private nextPort = 50000;

  post(task: () => void): void {
    this.tasks.push(task);
  }

  /** Accepts connections to `address:port`. */
  listen(address: string, port: number, onConnection: (t: Transport) => void): void {
    this.listeners.set(`${address}:${port}`, onConnection);
  }

  /** A Connector dialling from `localAddress` into this network. */
  connector(localAddress: string): Connector {
    return (o) => {
      const local = { address: o.localAddress ?? localAddress, port: this.nextPort++ };
      const remote = { address: o.host, port: o.port };
      const client = new FakeTransport(local, remote);
      const server = new FakeTransport(remote, local);
      client.link = { peer: server, network: this };
      server.link = { peer: client, network: this };
      this.post(() => {
        const accept = this.listeners.get(`${o.host}:${o.port}`);
        if (accept === undefined) {
          client.fail('ECONNREFUSED');
          return;
        }
        accept(server);
        client.connectNow();
      });
      return client;
    };
  }

  /** Runs queued deliveries until none is left. Throws past `maxTasks` (a livelock). */
  pump(maxTasks = 10_000): number {
    let n = 0;
    while (this.tasks.length > 0) {
      if (n++ >= maxTasks) throw new Error(`FakeNetwork: more than ${maxTasks} deliveries, probably a loop`);
      this.tasks.shift()!();
    }
    return n;
  }
}

export interface LogLine {
  readonly level: LogLevel;
  readonly msg: string;
  readonly fields: LogFields;
}

/** A logger keeping every line (debug included) for assertions. */
export function recordingLogger(bound: LogFields = {}, lines: LogLine[] = []): Logger & { readonly lines: LogLine[] } {
  const at = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    lines.push({ level, msg, fields: { ...bound, ...fields } });
  };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    isDebug: true,
    child: (fields) => recordingLogger({ ...bound, ...fields }, lines),
  };
}

/** An UpdateSink recording each call. */
export class RecordingSink implements UpdateSink {
  readonly established: PeerInfo[] = [];
  readonly updates: UpdateMessage[] = [];
  readonly endOfRib: FamilyKey[] = [];
  readonly down: string[] = [];
  /** Optional hook run inside onEstablished (e.g. to send the table at once). */
  onUp: ((peer: PeerInfo) => void) | undefined;

  onEstablished(peer: PeerInfo): void {
    this.established.push(peer);
    this.onUp?.(peer);
  }

  onUpdate(_peer: PeerInfo, update: UpdateMessage): void {
    this.updates.push(update);
  }

  onEndOfRib(_peer: PeerInfo, family: FamilyKey): void {
    this.endOfRib.push(family);
  }

  onPeerDown(_peer: PeerInfo, reason: string): void {
    this.down.push(reason);
  }
}
