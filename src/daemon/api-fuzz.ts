// The management API's request handlers as a fuzz target (src/fuzz/): the first byte
// picks a method, the rest is its protobuf request, decoded as grpc-js decodes it and
// served by the real handlers over a fresh daemon. A response or a gRPC status other
// than INTERNAL is the expected answer; INTERNAL (an unexpected throw) is a crash.

import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { ManualClock, systemClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { ApiServer } from '../api/server.js';
import { apiPackageDefinition, serviceName } from '../api/protos.js';
import { packAny, prefixToAny } from '../api/convert.js';
import { parsePrefix } from '../lib/address.js';
import { DefinedType, MedActionType, PolicyDirection, RouteAction, TableType } from '../api/apipb.js';
import type { Transport } from '../session/transport.js';
import type { FuzzTarget } from '../fuzz/targets.js';
import { parseConfig, type DaemonConfig } from './config.js';
import { Daemon } from './daemon.js';
import { DaemonApiBackend } from './api-backend.js';

/**
 * The methods with a request body, by the input's first byte (modulo the length). Kept
 * in crash inputs: a method is only ever appended, never moved.
 */
export const fuzzedMethods = [
  'AddPeer',
  'DeletePeer',
  'ListPeer',
  'UpdatePeer',
  'ResetPeer',
  'ShutdownPeer',
  'EnablePeer',
  'DisablePeer',
  'AddPeerGroup',
  'DeletePeerGroup',
  'UpdatePeerGroup',
  'ListPeerGroup',
  'AddDynamicNeighbor',
  'DeleteDynamicNeighbor',
  'ListDynamicNeighbor',
  'AddPath',
  'DeletePath',
  'ListPath',
  'AddPathStream',
  'GetTable',
  'WatchEvent',
  'AddDefinedSet',
  'DeleteDefinedSet',
  'ListDefinedSet',
  'AddStatement',
  'DeleteStatement',
  'ListStatement',
  'AddPolicy',
  'DeletePolicy',
  'ListPolicy',
  'SetPolicies',
  'AddPolicyAssignment',
  'DeletePolicyAssignment',
  'SetPolicyAssignment',
  'ListPolicyAssignment',
  'StartBgp',
] as const;

/** The request bytes are no valid protobuf of the method's request type. */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
}

/** The handler answered a gRPC status other than OK and INTERNAL: its answer to a bad request. */
export class ApiStatusError extends Error {
  override readonly name = 'ApiStatusError';
  constructor(readonly code: grpc.status, details: string) {
    super(`${grpc.status[code]}: ${details}`);
  }
}

/** The handler answered INTERNAL: something it did not expect was thrown inside. */
export class InternalStatusError extends Error {
  override readonly name = 'InternalStatusError';
}

/** A handler that never answers would stall the fuzzer; past this it is a crash. */
const noAnswerMs = 2000;

/**
 * The router of the scenario, small: one configured neighbor, a peer group with a
 * dynamic-neighbors range, an originated route and a policy, so that requests find
 * things to list, change and delete.
 */
const configText = `[global.config]
as = 64512
router-id = "172.17.0.1"
port = -1
[global.use-multiple-paths.config]
enabled = true
[[neighbors]]
[neighbors.config]
neighbor-address = "127.0.0.2"
peer-as = 64522
[[peer-groups]]
[peer-groups.config]
peer-group-name = "k8s"
peer-as = 64522
[[dynamic-neighbors]]
[dynamic-neighbors.config]
prefix = "127.0.1.0/29"
peer-group = "k8s"
[[originate]]
prefix = "10.98.0.0/24"
next-hop = "192.0.2.98"
[[defined-sets.prefix-sets]]
  prefix-set-name = "lb-pool"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "172.17.254.0/24"
    masklength-range = "24..32"
[[policy-definitions]]
  name = "k8s-in"
  [[policy-definitions.statements]]
    name = "lb-from-k8s"
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "lb-pool"
    [policy-definitions.statements.actions]
      route-disposition = "accept-route"
`;

let config: DaemonConfig | undefined;

/** A transport that never connects: no input may make the daemon reach the network. */
class NeverConnected extends EventEmitter implements Transport {
  private isClosed = false;
  write(): boolean {
    return true;
  }
  end(): void {
    this.destroy();
  }
  destroy(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    process.nextTick(() => this.emit('close'));
  }
}

/**
 * The handlers over a daemon of its own for each input, so that an input's outcome never
 * depends on those before it. The daemon is started (its neighbors, ranges and routes
 * in place; port -1: no listener) then stopped, so that no session opens a connection,
 * whatever neighbor a request adds (TTL options take a real socket, not the connector).
 */
async function freshHandlers(): Promise<Readonly<Record<string, grpc.UntypedHandleCall>>> {
  config ??= parseConfig(configText, 'toml', 'api-fuzz.toml');
  const clock = new ManualClock();
  const daemon = new Daemon(config, { logger: silentLogger, clock, random: () => 0.5, connect: () => new NeverConnected(), hostname: 'fuzz' });
  await daemon.start();
  await daemon.stop();
  return ApiServer.handlers(new DaemonApiBackend(daemon, { clock, logger: silentLogger }), { logger: silentLogger });
}

function methodDefinition(name: string): grpc.MethodDefinition<unknown, unknown> {
  const service = apiPackageDefinition()[serviceName] as grpc.ServiceDefinition;
  const method = service[name];
  if (method === undefined) throw new Error(`${serviceName} has no method ${name}`);
  return method as grpc.MethodDefinition<unknown, unknown>;
}

interface StatusLike {
  readonly code?: grpc.status;
  readonly details?: string;
}

function failure(method: string, status: StatusLike | Error): Error {
  if (status instanceof Error) return status;
  const code = status.code ?? grpc.status.UNKNOWN;
  const details = status.details ?? '';
  if (code === grpc.status.INTERNAL || code === grpc.status.UNKNOWN) return new InternalStatusError(`${method}: ${details}`);
  return new ApiStatusError(code, details);
}

function callBase(request: unknown): EventEmitter & { request: unknown; metadata: grpc.Metadata; getPeer(): string } {
  return Object.assign(new EventEmitter(), { request, metadata: new grpc.Metadata(), getPeer: () => '127.0.0.1:40000' });
}

/**
 * Runs the handler of method `name` on a decoded `request` with call objects of our own,
 * as grpc-js would; resolves with the responses, rejects with ApiStatusError for a
 * status and InternalStatusError for INTERNAL (or no answer at all).
 */
export function callHandler(handlers: Readonly<Record<string, grpc.UntypedHandleCall>>, name: string, request: unknown): Promise<unknown[]> {
  const handler = handlers[name];
  if (handler === undefined) return Promise.reject(new Error(`the API server has no handler for ${name}`));
  const method = methodDefinition(name);
  return new Promise<unknown[]>((resolve, reject) => {
    const responses: unknown[] = [];
    let isDone = false;
    const cancelTimer = systemClock.after(noAnswerMs, () => finish(new InternalStatusError(`${name}: no answer in ${noAnswerMs} ms`)));
    function finish(outcome: Error | undefined): void {
      if (isDone) return;
      isDone = true;
      cancelTimer();
      if (outcome === undefined) resolve(responses);
      else reject(outcome);
    }
    // A response must also encode, as grpc-js encodes it before sending.
    const respond = (res: unknown): void => {
      method.responseSerialize(res);
      responses.push(res);
    };
    const callback = (err: StatusLike | null, res?: unknown): void => {
      try {
        if (err !== null && err !== undefined) return finish(failure(name, err));
        respond(res);
        finish(undefined);
      } catch (e) {
        finish(e as Error);
      }
    };
    if (method.requestStream) {
      const c = callBase(undefined);
      (handler as grpc.handleClientStreamingCall<unknown, unknown>)(c as unknown as grpc.ServerReadableStream<unknown, unknown>, callback);
      c.emit('data', request);
      c.emit('end');
      return;
    }
    if (!method.responseStream) {
      const c = callBase(request);
      (handler as grpc.handleUnaryCall<unknown, unknown>)(c as unknown as grpc.ServerUnaryCall<unknown, unknown>, callback);
      return;
    }
    const c = Object.assign(callBase(request), {
      cancelled: false,
      writableEnded: false,
      writableLength: 0,
      write(res: unknown): boolean {
        try {
          respond(res);
        } catch (e) {
          finish(e as Error);
        }
        return true;
      },
      end(): void {
        c.writableEnded = true;
        finish(undefined);
      },
    });
    c.on('error', (status: StatusLike | Error) => finish(failure(name, status)));
    (handler as grpc.handleServerStreamingCall<unknown, unknown>)(c as unknown as grpc.ServerWritableStream<unknown, unknown>);
    // A watch lasts until the caller goes: once the handler's promise chain has run
    // (microtasks, which all come before the next setImmediate), the caller goes.
    setImmediate(() => {
      if (isDone) return;
      c.cancelled = true;
      c.emit('cancelled');
      setImmediate(() => finish(undefined));
    });
  });
}

/** Runs one fuzz input: method byte, then the request. */
export async function runApiInput(input: Uint8Array): Promise<unknown[]> {
  if (input.length === 0) return [];
  const name = fuzzedMethods[input[0]! % fuzzedMethods.length]!;
  const method = methodDefinition(name);
  let request: unknown;
  try {
    request = method.requestDeserialize(Buffer.from(input.subarray(1)));
  } catch (e) {
    throw new BadRequestError(`${name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return callHandler(await freshHandlers(), name, request);
}

/** A seed: the method's byte, then `request` encoded as a client would. */
function seed(name: (typeof fuzzedMethods)[number], request: object): Uint8Array {
  const body = methodDefinition(name).requestSerialize(request);
  return Uint8Array.from([fuzzedMethods.indexOf(name), ...body]);
}

function seeds(): Uint8Array[] {
  const ipv4 = { afi: 1, safi: 1 };
  const path = {
    family: ipv4,
    nlri: prefixToAny(parsePrefix('172.17.254.1/32')),
    pattrs: [packAny('OriginAttribute', { origin: 0 }), packAny('NextHopAttribute', { next_hop: '192.0.2.1' }), packAny('AsPathAttribute', { segments: [{ type: 2, numbers: [64512, 64522] }] }), packAny('CommunitiesAttribute', { communities: [(64512 << 16) | 7] })],
  };
  return [
    seed('AddPath', { table_type: TableType.global, path }),
    seed('AddPathStream', { table_type: TableType.global, paths: [path, { ...path, is_withdraw: true }] }),
    seed('DeletePath', { table_type: TableType.global, family: ipv4, path }),
    seed('ListPath', { table_type: TableType.global, family: ipv4, prefixes: [{ prefix: '10.98.0.0/24', type: 1 }] }),
    seed('ListPath', { table_type: TableType.adjIn, family: ipv4, name: '127.0.0.2' }),
    seed('GetTable', { table_type: TableType.global, family: ipv4 }),
    seed('AddPeer', {
      peer: {
        conf: { neighbor_address: '127.0.0.9', peer_asn: 64530, description: 'fuzz' },
        timers: { config: { hold_time: 9, keepalive_interval: 3, connect_retry: 5 } },
        transport: { passive_mode: true },
        afi_safis: [{ config: { family: ipv4, enabled: true } }],
      },
    }),
    seed('UpdatePeer', { peer: { conf: { neighbor_address: '127.0.0.2', peer_asn: 64522, description: 'updated' } }, do_soft_reset_in: true }),
    seed('ResetPeer', { address: '127.0.0.2', soft: true, direction: 2 }),
    seed('ShutdownPeer', { address: '127.0.0.2', communication: 'maintenance' }),
    seed('AddPeerGroup', { peer_group: { conf: { peer_group_name: 'edge', peer_asn: 64540 } } }),
    seed('AddDynamicNeighbor', { dynamic_neighbor: { prefix: '127.0.2.0/24', peer_group: 'k8s' } }),
    seed('WatchEvent', { peer: {}, table: { filters: [{ type: 0, init: true }] } }),
    seed('AddDefinedSet', { defined_set: { defined_type: DefinedType.prefix, name: 'p2', prefixes: [{ ip_prefix: '10.0.0.0/8', mask_length_min: 16, mask_length_max: 24 }] } }),
    seed('AddDefinedSet', { defined_set: { defined_type: DefinedType.community, name: 'c1', list: ['65000:100'] } }),
    seed('AddStatement', { statement: { name: 's2', conditions: { prefix_set: { name: 'lb-pool', type: 0 } }, actions: { route_action: RouteAction.reject, med: { type: MedActionType.replace, value: 5 } } } }),
    seed('AddPolicy', { policy: { name: 'pol', statements: [{ name: 's3', conditions: { prefix_set: { name: 'lb-pool' } }, actions: { route_action: RouteAction.accept } }] }, refer_existing_statements: false }),
    seed('AddPolicyAssignment', { assignment: { name: 'global', direction: PolicyDirection.import, policies: [{ name: 'k8s-in' }], default_action: RouteAction.accept } }),
    seed('ListPolicy', { name: '' }),
    seed('ListDefinedSet', { defined_type: DefinedType.prefix, name: '' }),
  ];
}

/** The API handlers' target; scripts/fuzz.js registers it beside the codec targets. */
export const apiFuzzTargets: readonly FuzzTarget[] = [
  {
    name: 'api-request',
    seeds,
    async run(input) {
      await runApiInput(input);
    },
    isExpected: (err) => err instanceof BadRequestError || err instanceof ApiStatusError,
  },
];
