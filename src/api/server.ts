// The gRPC management service (GoBGP v3 API, service apipb.GobgpApi) over an ApiBackend.
// Every method of GoBGP's service is registered: those tsbgpd serves call the backend,
// the rest answer UNIMPLEMENTED naming the method. Listens on --api-hosts (default
// 127.0.0.1:50051); a non-loopback address needs TLS and a token, or an explicit opt-in.

import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Afi, formatPrefix, parseAddress, type Prefix } from '../lib/address.js';
import { systemClock } from '../lib/clock.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import { familyKey, familyOf } from '../wire/context.js';
import { ApiError, type PeerGroupStatus, type UpdateOutcome, type ApiBackend, type ApiErrorCode, type DestinationView, type PrefixFilter, type TableQuery, type WatchEvent, type WatchTable } from './backend.js';
import {
  addressFromApi,
  dynamicNeighborFromApi,
  familyFromApi,
  familyToApi,
  globalConfigFromApi,
  globalToApi,
  pathToRouteInput,
  peerConfigFromApi,
  peerGroupConfigFromApi,
  peerToApi,
  prefixFromAny,
  rangePrefixFromApi,
  routeToPath,
  type PathOptions,
} from './convert.js';
import {
  LookupType,
  PeerEventType,
  WatchFilterType,
  type AddPathRequest,
  type AddPathResponse,
  type AddPeerRequest,
  type AddPeerGroupRequest,
  type AddDynamicNeighborRequest,
  type DeleteDynamicNeighborRequest,
  type DeletePeerGroupRequest,
  type UpdatePeerGroupRequest,
  type UpdatePeerRequest,
  type UpdatePeerResponse,
  type DeletePathRequest,
  type DeletePeerRequest,
  type DisablePeerRequest,
  type Empty,
  type EnablePeerRequest,
  type GetBgpResponse,
  type GetTableRequest,
  type GetTableResponse,
  type ListPathRequest,
  type ListPathResponse,
  type ListPeerRequest,
  type ListPeerResponse,
  type Path,
  type ResetPeerRequest,
  type ShutdownPeerRequest,
  type StartBgpRequest,
  type TableLookupPrefix,
  type WatchEventRequest,
  type WatchEventResponse,
  type DynamicNeighborMessage,
  type PeerGroupMessage,
  type TimersConfig as TimersConfigMessage,
} from './apipb.js';
import { apiPackageDefinition, defaultApiHosts, serviceName } from './protos.js';
import { chunks, sendInSlices, type Stream } from './stream.js';
import { checkGlobalTable, checkIpFamily, communication, lookupPrefix, peerAddress, removalOf, softDirection, tableQuery } from './request-args.js';
import { PolicyService, type ListDefinedSetRequest, type ListNameRequest, type ListPolicyAssignmentRequest } from './policy-service.js';

export { defaultApiHosts };

/** Methods of GoBGP v3's service that tsbgpd's protos leave out, with their kind. */
const undeclaredMethods: Readonly<Record<string, 'unary' | 'serverStream'>> = {
  AddVrf: 'unary',
  DeleteVrf: 'unary',
  ListVrf: 'serverStream',
  AddRpki: 'unary',
  DeleteRpki: 'unary',
  ListRpki: 'serverStream',
  EnableRpki: 'unary',
  DisableRpki: 'unary',
  ResetRpki: 'unary',
  ListRpkiTable: 'serverStream',
  EnableZebra: 'unary',
  EnableMrt: 'unary',
  DisableMrt: 'unary',
  AddBmp: 'unary',
  DeleteBmp: 'unary',
  ListBmp: 'serverStream',
  SetLogLevel: 'unary',
};

/** A host and port of --api-hosts. */
export interface ApiEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface ApiTlsOptions {
  /** PEM certificate chain and private key of the server. */
  readonly certChain: Buffer;
  readonly privateKey: Buffer;
  /** PEM CA certificates; when given, clients must present a certificate they sign. */
  readonly clientCa?: Buffer;
}

export interface ApiServerOptions {
  /** --api-hosts: "host:port" entries separated by commas (IPv6 as "[addr]:port"). */
  readonly hosts?: string;
  readonly tls?: ApiTlsOptions;
  /** Bearer token required of callers that are not on this host. */
  readonly token?: string;
  /** Asks the token of callers on this host too (by default they are trusted). */
  readonly isTokenRequiredLocally?: boolean;
  /** Allows a non-loopback address without TLS and token (--api-insecure). */
  readonly isInsecureAllowed?: boolean;
  readonly logger?: Logger;
  /** Responses a watch stream may have queued before it is ended as too slow. */
  readonly watchQueueLimit?: number;
}

/** The API cannot be started as configured (an operator fault). */
export class ApiConfigError extends Error {
  override readonly name = 'ApiConfigError';
}

/** Parses --api-hosts. */
export function parseApiHosts(text: string): ApiEndpoint[] {
  const entries = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (entries.length === 0) throw new ApiConfigError(`--api-hosts: expected host:port entries, got "${text}"`);
  return entries.map((entry) => {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(entry);
    const port = m === null ? NaN : Number(m[3]);
    if (m === null || port > 0xffff) throw new ApiConfigError(`--api-hosts: expected "host:port" or "[ipv6]:port", got "${entry}"`);
    const host = m[1] ?? m[2]!;
    if (m[1] !== undefined && isIP(host) !== 6) throw new ApiConfigError(`--api-hosts: "${host}" in brackets is not an IPv6 address`);
    return { host, port };
  });
}

/** 127.0.0.0/8, ::1, an IPv4-mapped loopback, or the name localhost. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 0) return false;
  const addr = parseAddress(host);
  if (addr.length === 4) return addr[0] === 127;
  const isMapped = addr.subarray(0, 10).every((b) => b === 0) && addr[10] === 0xff && addr[11] === 0xff;
  if (isMapped) return addr[12] === 127;
  return addr.subarray(0, 15).every((b) => b === 0) && addr[15] === 1;
}

/** Refuses endpoints that would expose the API off this host unprotected. */
export function checkListenPolicy(endpoints: readonly ApiEndpoint[], options: ApiServerOptions): void {
  for (const e of endpoints) {
    if (isLoopbackHost(e.host) || options.isInsecureAllowed === true) continue;
    if (options.tls === undefined || options.token === undefined || options.token === '') {
      throw new ApiConfigError(`--api-hosts: ${e.host} is not a loopback address; listening there needs TLS and a token (or the explicit insecure flag)`);
    }
  }
}

/** The peer address grpc-js reports ("addr:port"), without the port. */
function remoteHost(peer: string): string {
  const colon = peer.lastIndexOf(':');
  const host = colon < 0 ? peer : peer.slice(0, colon);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

const statusOf: Readonly<Record<ApiErrorCode, grpc.status>> = {
  'invalid-argument': grpc.status.INVALID_ARGUMENT,
  'not-found': grpc.status.NOT_FOUND,
  'already-exists': grpc.status.ALREADY_EXISTS,
  'failed-precondition': grpc.status.FAILED_PRECONDITION,
  unavailable: grpc.status.UNAVAILABLE,
  unimplemented: grpc.status.UNIMPLEMENTED,
};

interface StatusError {
  readonly code: grpc.status;
  readonly details: string;
}

function unimplemented(method: string): StatusError {
  return { code: grpc.status.UNIMPLEMENTED, details: `method ${method} is not implemented by tsbgpd` };
}

/** Paths per WatchEvent table message: far below gRPC's 4 MB message limit. */
const pathsPerEvent = 256;
const defaultWatchQueueLimit = 10_000;

export class ApiServer {
  private readonly server: grpc.Server;
  private readonly logger: Logger;
  private readonly tokenDigest: Buffer | undefined;
  private readonly watches = new Set<() => void>();
  private boundEndpoints: ApiEndpoint[] = [];
  private implementation: Readonly<Record<string, grpc.UntypedHandleCall>> = {};

  private constructor(
    private readonly backend: ApiBackend,
    private readonly options: ApiServerOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.tokenDigest = options.token === undefined || options.token === '' ? undefined : digest(options.token);
    this.server = new grpc.Server();
    this.register();
  }

  /** Binds every endpoint of `options.hosts` and serves `backend`. */
  static async start(backend: ApiBackend, options: ApiServerOptions = {}): Promise<ApiServer> {
    const endpoints = parseApiHosts(options.hosts ?? defaultApiHosts);
    checkListenPolicy(endpoints, options);
    const api = new ApiServer(backend, options);
    const creds =
      options.tls === undefined
        ? grpc.ServerCredentials.createInsecure()
        : grpc.ServerCredentials.createSsl(options.tls.clientCa ?? null, [{ cert_chain: options.tls.certChain, private_key: options.tls.privateKey }], options.tls.clientCa !== undefined);
    try {
      for (const e of endpoints) {
        const target = isIP(e.host) === 6 ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
        const port = await new Promise<number>((resolve, reject) => api.server.bindAsync(target, creds, (err, bound) => (err === null ? resolve(bound) : reject(err))));
        api.boundEndpoints.push({ host: e.host, port });
        api.logger.info('api listening', { address: target, port, tls: options.tls !== undefined });
      }
    } catch (e) {
      api.server.forceShutdown();
      throw new ApiConfigError(`--api-hosts: cannot listen: ${(e as Error).message}`, { cause: e });
    }
    return api;
  }

  /**
   * The handler of every declared method by name, over `backend`, with no socket bound:
   * for calling in-process with call objects of one's own (the API fuzz target).
   */
  static handlers(backend: ApiBackend, options: ApiServerOptions = {}): Readonly<Record<string, grpc.UntypedHandleCall>> {
    return new ApiServer(backend, options).implementation;
  }

  /** The endpoints as bound (a port 0 replaced by the one chosen). */
  get endpoints(): readonly ApiEndpoint[] {
    return this.boundEndpoints;
  }

  /** Ends the watch streams, lets calls finish for up to `graceMs`, then closes. */
  async close(graceMs = 1000): Promise<void> {
    for (const end of [...this.watches]) end();
    await new Promise<void>((resolve) => {
      const cancel = systemClock.after(graceMs, () => {
        this.server.forceShutdown();
        resolve();
      });
      this.server.tryShutdown(() => {
        cancel();
        resolve();
      });
    });
  }

  // ---- registration

  private register(): void {
    const definition = apiPackageDefinition()[serviceName];
    if (definition === undefined || 'format' in definition) throw new Error(`${serviceName} is missing from the API's proto files`);
    const service = definition as grpc.ServiceDefinition;
    const served: Readonly<Record<string, grpc.UntypedHandleCall>> = {
      GetBgp: this.unary<Empty, GetBgpResponse>('GetBgp', () => ({ global: globalToApi(this.backend.getGlobal()) })),
      StartBgp: this.optionalUnary('StartBgp', this.backend.startBgp, (start, req: StartBgpRequest) => start(globalConfigFromApi(req.global, 'global'))),
      StopBgp: this.optionalUnary('StopBgp', this.backend.stopBgp, (stop) => stop()),
      ListPeer: this.serverStream<ListPeerRequest, ListPeerResponse>('ListPeer', (req, call) => this.listPeer(req, call)),
      AddPeer: this.optionalUnary('AddPeer', this.backend.addPeer, (add, req: AddPeerRequest) => add(peerConfigFromApi(req.peer, 'peer'))),
      DeletePeer: this.optionalUnary('DeletePeer', this.backend.deletePeer, (del, req: DeletePeerRequest) => del(peerAddress(req.address, 'address', req.interface))),
      UpdatePeer: this.optionalUpdate('UpdatePeer', this.backend.updatePeer, (update, req: UpdatePeerRequest) => update(peerConfigFromApi(req.peer, 'peer'), req.do_soft_reset_in === true)),
      ResetPeer: this.unary<ResetPeerRequest, Empty>('ResetPeer', (req) => this.resetPeer(req)),
      ShutdownPeer: this.optionalUnary('ShutdownPeer', this.backend.shutdownPeer, (shut, req: ShutdownPeerRequest) =>
        shut(peerAddress(req.address, 'address'), communication(req.communication)),
      ),
      EnablePeer: this.optionalUnary('EnablePeer', this.backend.enablePeer, (enable, req: EnablePeerRequest) => enable(peerAddress(req.address, 'address'))),
      DisablePeer: this.optionalUnary('DisablePeer', this.backend.disablePeer, (disable, req: DisablePeerRequest) =>
        disable(peerAddress(req.address, 'address'), communication(req.communication)),
      ),
      ListPath: this.serverStream<ListPathRequest, ListPathResponse>('ListPath', (req, call) => this.listPath(req, call)),
      GetTable: this.unary<GetTableRequest, GetTableResponse>('GetTable', (req) => this.getTable(req)),
      AddPath: this.unary<AddPathRequest, AddPathResponse>('AddPath', (req) => this.addPath(req)),
      DeletePath: this.unary<DeletePathRequest, Empty>('DeletePath', (req) => this.deletePath(req)),
      AddPathStream: this.addPathStream(),
      WatchEvent: this.serverStream<WatchEventRequest, WatchEventResponse>('WatchEvent', (req, call) => this.watchEvent(req, call)),
      ...this.policyHandlers(),
      ...this.groupHandlers(),
    };
    const implementation: Record<string, grpc.UntypedHandleCall> = {};
    for (const [name, method] of Object.entries(service)) {
      implementation[name] = served[name] ?? this.refuse(name, method.responseStream);
    }
    this.server.addService(service, implementation);
    this.implementation = implementation;
    for (const [name, kind] of Object.entries(undeclaredMethods)) {
      const handler = this.refuse(name, kind === 'serverStream');
      const raw = (b: Buffer): Buffer => b;
      this.server.register(`/${serviceName}/${name}`, handler, raw, raw, kind);
    }
  }

  /** The peer group and dynamic-neighbor methods the backend has. */
  private groupHandlers(): Record<string, grpc.UntypedHandleCall> {
    const b = this.backend;
    const out: Record<string, grpc.UntypedHandleCall> = {
      AddPeerGroup: this.optionalUnary('AddPeerGroup', b.addPeerGroup, (add, req: AddPeerGroupRequest) => add(peerGroupConfigFromApi(req.peer_group, 'peer_group'))),
      DeletePeerGroup: this.optionalUnary('DeletePeerGroup', b.deletePeerGroup, (del, req: DeletePeerGroupRequest) => {
        if ((req.name ?? '') === '') throw new ApiError('invalid-argument', 'expected a peer group name, got none', 'name');
        return del(req.name!);
      }),
      UpdatePeerGroup: this.optionalUpdate('UpdatePeerGroup', b.updatePeerGroup, (update, req: UpdatePeerGroupRequest) =>
        update(peerGroupConfigFromApi(req.peer_group, 'peer_group'), req.do_soft_reset_in === true),
      ),
      AddDynamicNeighbor: this.optionalUnary('AddDynamicNeighbor', b.addDynamicNeighbor, (add, req: AddDynamicNeighborRequest) => add(dynamicNeighborFromApi(req.dynamic_neighbor, 'dynamic_neighbor'))),
      DeleteDynamicNeighbor: this.optionalUnary('DeleteDynamicNeighbor', b.deleteDynamicNeighbor, (del, req: DeleteDynamicNeighborRequest) => {
        const group = req.peer_group ?? '';
        return del(rangePrefixFromApi(req.prefix, 'prefix'), group === '' ? undefined : group);
      }),
    };
    const groups = this.backend.listPeerGroups;
    const ranges = this.backend.listDynamicNeighbors;
    if (groups !== undefined) {
      out['ListPeerGroup'] = this.serverStream<{ peer_group_name?: string }, { peer_group: PeerGroupMessage }>('ListPeerGroup', async (req, call) => {
        const name = req.peer_group_name ?? '';
        for (const g of groups.call(this.backend, name === '' ? undefined : name)) {
          if (call.cancelled) return;
          await sendInSlices(call, { peer_group: peerGroupToApi(g) });
        }
      });
    }
    if (ranges !== undefined) {
      out['ListDynamicNeighbor'] = this.serverStream<{ peer_group?: string }, { dynamic_neighbor: DynamicNeighborMessage }>('ListDynamicNeighbor', async (req, call) => {
        const group = req.peer_group ?? '';
        for (const r of ranges.call(this.backend, group === '' ? undefined : group)) {
          if (call.cancelled) return;
          await sendInSlices(call, { dynamic_neighbor: { prefix: formatPrefix(r.prefix), peer_group: r.peerGroup } });
        }
      });
    }
    return out;
  }

  /** The routing policy methods, when the backend serves policy. */
  private policyHandlers(): Record<string, grpc.UntypedHandleCall> {
    const policy = new PolicyService(this.backend);
    if (!policy.isServed) return {};
    const stream = <Req, Item>(method: string, list: (req: Req) => Iterable<Item>): grpc.UntypedHandleCall =>
      this.serverStream<Req, Item>(method, async (req, call) => {
        for (const item of list(req)) {
          if (call.cancelled) return;
          await sendInSlices(call, item);
        }
      });
    return {
      AddDefinedSet: this.unary('AddDefinedSet', (req) => policy.addDefinedSet(req)),
      DeleteDefinedSet: this.unary('DeleteDefinedSet', (req) => policy.deleteDefinedSet(req)),
      ListDefinedSet: stream('ListDefinedSet', (req: ListDefinedSetRequest) => policy.listDefinedSet(req)),
      AddStatement: this.unary('AddStatement', (req) => policy.addStatement(req)),
      DeleteStatement: this.unary('DeleteStatement', (req) => policy.deleteStatement(req)),
      ListStatement: stream('ListStatement', (req: ListNameRequest) => policy.listStatement(req)),
      AddPolicy: this.unary('AddPolicy', (req) => policy.addPolicy(req)),
      DeletePolicy: this.unary('DeletePolicy', (req) => policy.deletePolicy(req)),
      ListPolicy: stream('ListPolicy', (req: ListNameRequest) => policy.listPolicy(req)),
      SetPolicies: this.unary('SetPolicies', (req) => policy.setPolicies(req)),
      AddPolicyAssignment: this.unary('AddPolicyAssignment', (req) => policy.addPolicyAssignment(req)),
      DeletePolicyAssignment: this.unary('DeletePolicyAssignment', (req) => policy.deletePolicyAssignment(req)),
      SetPolicyAssignment: this.unary('SetPolicyAssignment', (req) => policy.setPolicyAssignment(req)),
      ListPolicyAssignment: stream('ListPolicyAssignment', (req: ListPolicyAssignmentRequest) => policy.listPolicyAssignment(req)),
    };
  }

  /** A handler answering UNIMPLEMENTED. */
  private refuse(name: string, isServerStream: boolean): grpc.UntypedHandleCall {
    if (isServerStream) return (call: Stream<unknown>) => call.emit('error', unimplemented(name));
    return (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(unimplemented(name));
  }

  /** A caller off this host must present the token (when one is configured). */
  private authorize(call: { getPeer(): string; metadata: grpc.Metadata }): StatusError | undefined {
    if (this.tokenDigest === undefined) return undefined;
    if (this.options.isTokenRequiredLocally !== true && isLoopbackHost(remoteHost(call.getPeer()))) return undefined;
    const header = call.metadata.get('authorization')[0];
    const text = typeof header === 'string' ? header : '';
    const given = text.startsWith('Bearer ') ? text.slice('Bearer '.length) : '';
    if (given !== '' && timingSafeEqual(digest(given), this.tokenDigest)) return undefined;
    return { code: grpc.status.UNAUTHENTICATED, details: 'a valid token is required (metadata "authorization: Bearer <token>")' };
  }

  private statusFor(method: string, e: unknown): StatusError {
    if (e instanceof ApiError) return { code: statusOf[e.code], details: e.message };
    this.logger.error('api call failed', { method, error: e instanceof Error ? e.message : String(e) });
    return { code: grpc.status.INTERNAL, details: `${method}: ${e instanceof Error ? e.message : String(e)}` };
  }

  private unary<Req, Res>(method: string, fn: (req: Req) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const denied = this.authorize(call);
      if (denied !== undefined) return callback(denied);
      this.logger.debug('api call', { method, peer: call.getPeer() });
      Promise.resolve()
        .then(() => fn(call.request))
        .then(
          (res) => callback(null, res),
          (e: unknown) => callback(this.statusFor(method, e)),
        );
    };
  }

  /** A unary call of an optional backend operation: UNIMPLEMENTED when the backend has none. */
  private optionalUnary<Req, Op extends (...args: never[]) => Promise<void>>(method: string, op: Op | undefined, run: (op: Op, req: Req) => Promise<void>): grpc.handleUnaryCall<Req, Empty> {
    if (op === undefined) return (_call, callback) => callback(unimplemented(method));
    const bound = op.bind(this.backend) as Op;
    return this.unary<Req, Empty>(method, async (req) => {
      await run(bound, req);
      return {};
    });
  }

  /** UpdatePeer and UpdatePeerGroup: UNIMPLEMENTED when the backend has no such operation. */
  private optionalUpdate<Req, Op extends (...args: never[]) => Promise<UpdateOutcome>>(method: string, op: Op | undefined, run: (op: Op, req: Req) => Promise<UpdateOutcome>): grpc.handleUnaryCall<Req, UpdatePeerResponse> {
    if (op === undefined) return (_call, callback) => callback(unimplemented(method));
    const bound = op.bind(this.backend) as Op;
    return this.unary<Req, UpdatePeerResponse>(method, async (req) => ({ needs_soft_reset_in: (await run(bound, req)).needsSoftResetIn }));
  }

  private serverStream<Req, Res>(method: string, fn: (req: Req, call: grpc.ServerWritableStream<Req, Res>) => Promise<void>): grpc.handleServerStreamingCall<Req, Res> {
    return (call) => {
      const denied = this.authorize(call);
      if (denied !== undefined) {
        call.emit('error', denied);
        return;
      }
      this.logger.debug('api call', { method, peer: call.getPeer() });
      Promise.resolve()
        .then(() => fn(call.request, call))
        .then(
          () => {
            if (!call.cancelled && !call.writableEnded) call.end();
          },
          (e: unknown) => {
            if (!call.cancelled) call.emit('error', this.statusFor(method, e));
          },
        );
    };
  }

  // ---- peers

  private async listPeer(req: ListPeerRequest, call: Stream<ListPeerResponse>): Promise<void> {
    const address = req.address ?? '';
    if (address !== '') addressFromApi(address, 'address');
    for (const peer of this.backend.listPeers(address === '' ? undefined : address)) {
      if (call.cancelled) return;
      await sendInSlices(call, { peer: peerToApi(peer) });
    }
  }

  private async resetPeer(req: ResetPeerRequest): Promise<Empty> {
    const address = peerAddress(req.address, 'address', undefined, true);
    if (req.soft === true) {
      const op = this.backend.softResetPeer;
      if (op === undefined) throw new ApiError('unimplemented', 'soft reset (route refresh) is not implemented by tsbgpd', 'soft');
      await op.call(this.backend, address, softDirection(req.direction));
      return {};
    }
    const op = this.backend.resetPeer;
    if (op === undefined) throw new ApiError('unimplemented', unimplemented('ResetPeer').details);
    await op.call(this.backend, address, communication(req.communication));
    return {};
  }

  // ---- routes

  private async listPath(req: ListPathRequest, call: Stream<ListPathResponse>): Promise<void> {
    const base = tableQuery(req.table_type, req.family, req.name);
    const options: PathOptions = {
      isNlriBinary: req.enable_nlri_binary === true,
      isAttributeBinary: req.enable_attribute_binary === true,
      isOnlyBinary: req.enable_only_binary === true,
    };
    // As gobgpd: the Adj-RIB-In is what the peer sent, import policy or not; with
    // enable_filtered the routes import policy rejected carry `filtered`.
    const isFilteredShown = req.enable_filtered === true;
    for (const dest of this.destinations(base, req.prefixes ?? [])) {
      if (call.cancelled) return;
      const paths = dest.routes.map((r) => routeToPath(isFilteredShown || r.isFiltered !== true ? r : { ...r, isFiltered: false }, options));
      if (paths.length === 0) continue;
      await sendInSlices(call, { destination: { prefix: formatPrefix(dest.prefix), paths } });
    }
  }

  /**
   * The destinations a ListPath asks for. A bare address looked up exactly selects the
   * most specific prefix holding it, as gobgpd does (`gobgp global rib 10.0.0.1`).
   */
  private *destinations(base: TableQuery, lookups: readonly TableLookupPrefix[]): Generator<DestinationView> {
    if (lookups.length === 0) {
      yield* this.backend.listRoutes(base);
      return;
    }
    const filters: PrefixFilter[] = [];
    const addresses: Prefix[] = [];
    lookups.forEach((l, i) => {
      const { prefix, isAddress } = lookupPrefix(l.prefix ?? '', `prefixes[${i}].prefix`, familyOf(base.family).afi);
      const type = l.type ?? LookupType.exact;
      if (isAddress && type === LookupType.exact) addresses.push(prefix);
      else if (type === LookupType.exact) filters.push({ prefix, match: 'exact' });
      else if (type === LookupType.longer) filters.push({ prefix, match: 'longer' });
      else if (type === LookupType.shorter) filters.push({ prefix, match: 'shorter' });
      else throw new ApiError('invalid-argument', `expected EXACT, LONGER or SHORTER, got ${type}`, `prefixes[${i}].type`);
    });
    const seen = new Set<string>();
    if (filters.length > 0) {
      for (const d of this.backend.listRoutes({ ...base, prefixes: filters })) {
        seen.add(formatPrefix(d.prefix));
        yield d;
      }
    }
    for (const host of addresses) {
      let longest: DestinationView | undefined;
      for (const d of this.backend.listRoutes({ ...base, prefixes: [{ prefix: host, match: 'shorter' }] })) {
        if (longest === undefined || d.prefix.length > longest.prefix.length) longest = d;
      }
      if (longest !== undefined && !seen.has(formatPrefix(longest.prefix))) {
        seen.add(formatPrefix(longest.prefix));
        yield longest;
      }
    }
  }

  private getTable(req: GetTableRequest): GetTableResponse {
    const { prefixes: _p, ...query } = tableQuery(req.table_type, req.family, req.name);
    const counts = this.backend.tableCounts(query);
    return { num_destination: counts.destinations, num_path: counts.paths, num_accepted: counts.accepted ?? 0 };
  }

  private async addPath(req: AddPathRequest): Promise<AddPathResponse> {
    checkGlobalTable(req.table_type, req.vrf_id);
    const route = pathToRouteInput(req.path, 'path');
    checkIpFamily(route.family, 'path.family');
    if (req.path?.is_withdraw === true) {
      await this.requireOp('AddPath', this.backend.deleteRoutes).call(this.backend, removalOf(route.family, route.prefix, route.pathId));
      return {};
    }
    const uuid = await this.requireOp('AddPath', this.backend.addRoute).call(this.backend, route);
    return { uuid };
  }

  private async deletePath(req: DeletePathRequest): Promise<Empty> {
    checkGlobalTable(req.table_type, req.vrf_id);
    const del = this.requireOp('DeletePath', this.backend.deleteRoutes);
    const uuid = req.uuid ?? new Uint8Array(0);
    if (uuid.length > 0) {
      await del.call(this.backend, { family: familyFromApi(req.family), uuid: Uint8Array.from(uuid) });
      return {};
    }
    if (req.path !== null && req.path !== undefined) {
      const prefix = prefixFromAny(req.path.nlri, 'path.nlri');
      const family = req.path.family ? familyFromApi(req.path.family) : req.family ? familyFromApi(req.family) : familyKey(prefix.afi, 1);
      checkIpFamily(family, 'path.family');
      await del.call(this.backend, removalOf(family, prefix, req.path.identifier ?? 0));
      return {};
    }
    const family = familyFromApi(req.family);
    checkIpFamily(family, 'family');
    await del.call(this.backend, { family });
    return {};
  }

  private addPathStream(): grpc.handleClientStreamingCall<{ table_type?: number; vrf_id?: string; paths?: Path[] }, Empty> {
    return (call, callback) => {
      const denied = this.authorize(call);
      if (denied !== undefined) return callback(denied);
      const add = this.backend.addRoute;
      if (add === undefined) return callback(unimplemented('AddPathStream'));
      let chain: Promise<void> = Promise.resolve();
      let failure: unknown;
      call.on('data', (req: { table_type?: number; vrf_id?: string; paths?: Path[] }) => {
        chain = chain.then(async () => {
          if (failure !== undefined) return;
          try {
            checkGlobalTable(req.table_type, req.vrf_id);
            for (const [i, path] of (req.paths ?? []).entries()) {
              const route = pathToRouteInput(path, `paths[${i}]`);
              checkIpFamily(route.family, `paths[${i}].family`);
              if (path.is_withdraw === true) await this.requireOp('AddPathStream', this.backend.deleteRoutes).call(this.backend, removalOf(route.family, route.prefix, route.pathId));
              else await add.call(this.backend, route);
            }
          } catch (e) {
            failure = e;
          }
        });
      });
      call.on('end', () => {
        void chain.then(() => (failure === undefined ? callback(null, {}) : callback(this.statusFor('AddPathStream', failure))));
      });
    };
  }

  private requireOp<Op>(method: string, op: Op | undefined): Op {
    if (op === undefined) throw new ApiError('unimplemented', unimplemented(method).details);
    return op;
  }

  // ---- events

  private async watchEvent(req: WatchEventRequest, call: Stream<WatchEventResponse>): Promise<void> {
    const isPeers = req.peer !== null && req.peer !== undefined;
    const tables = new Set<WatchTable>();
    const inits = new Set<WatchTable>();
    (req.table?.filters ?? []).forEach((f, i) => {
      const type = f.type ?? WatchFilterType.best;
      const table: WatchTable | undefined = type === WatchFilterType.best ? 'best' : type === WatchFilterType.adjIn ? 'adj-in' : type === WatchFilterType.postPolicy ? 'adj-in-post-policy' : undefined;
      if (table === undefined) throw new ApiError('invalid-argument', `expected BEST, ADJIN or POST_POLICY, got ${type}`, `table.filters[${i}].type`);
      tables.add(table);
      if (f.init === true) inits.add(table);
    });
    if (!isPeers && tables.size === 0) throw new ApiError('invalid-argument', 'nothing to watch: set peer or table filters', 'peer');
    const limit = this.options.watchQueueLimit ?? defaultWatchQueueLimit;
    // Subscribe before the initial dump so nothing falls between; events of the dump's
    // time wait behind it.
    const backlog: WatchEvent[] = [];
    let isLive = false;
    let isOver = false;
    const write = (message: WatchEventResponse): void => {
      if (isOver) return;
      if (call.writableLength >= limit) {
        finish({ code: grpc.status.RESOURCE_EXHAUSTED, details: `watch client too slow: more than ${limit} events queued` });
        return;
      }
      call.write(message);
    };
    const deliver = (e: WatchEvent): void => {
      if (e.kind === 'peer') write({ peer: { type: PeerEventType.state, peer: peerToApi(e.peer) } });
      else for (const chunk of chunks(e.events, pathsPerEvent)) write({ table: { paths: chunk.map((ev) => routeToPath(ev.route, { isWithdraw: ev.isWithdraw })) } });
    };
    const unsubscribe = this.backend.watch({ peers: isPeers, tables }, (e) => {
      if (isLive) deliver(e);
      else backlog.push(e);
    });
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const finish = (status?: StatusError): void => {
      if (isOver) return;
      isOver = true;
      unsubscribe();
      this.watches.delete(endWatch);
      if (!call.cancelled) {
        if (status === undefined) call.end();
        else call.emit('error', status);
      }
      resolveDone();
    };
    const endWatch = (): void => finish();
    this.watches.add(endWatch);
    call.on('cancelled', endWatch);
    call.on('close', endWatch);
    call.on('error', endWatch);
    try {
      if (isPeers) {
        for (const p of this.backend.listPeers()) write({ peer: { type: PeerEventType.init, peer: peerToApi(p) } });
        write({ peer: { type: PeerEventType.endOfInit } });
      }
      for (const table of inits) this.dumpTable(table, write);
    } catch (e) {
      finish(this.statusFor('WatchEvent', e));
      return done;
    }
    isLive = true;
    for (const e of backlog.splice(0)) deliver(e);
    return done;
  }

  /** The current content of a watched table, as the `init` of a filter asks. */
  private dumpTable(table: WatchTable, write: (m: WatchEventResponse) => void): void {
    const families = this.backend.getGlobal()?.families ?? [familyKey(Afi.ipv4, 1), familyKey(Afi.ipv6, 1)];
    const emit = (paths: Path[]): void => {
      for (const chunk of chunks(paths, pathsPerEvent)) write({ table: { paths: chunk } });
    };
    if (table === 'best') {
      for (const family of families) {
        const paths: Path[] = [];
        for (const d of this.backend.listRoutes({ table: 'global', family })) for (const r of d.routes) if (r.isBest || r.isMultipath) paths.push(routeToPath(r));
        emit(paths);
      }
      return;
    }
    for (const peer of this.backend.listPeers()) {
      for (const f of peer.families) {
        const paths: Path[] = [];
        for (const d of this.backend.listRoutes({ table: 'adj-in', family: f.family, neighbor: peer.address })) {
          for (const r of d.routes) if (table === 'adj-in' || r.isFiltered !== true) paths.push(routeToPath(r));
        }
        emit(paths);
      }
    }
  }
}

function peerGroupToApi(g: PeerGroupStatus): PeerGroupMessage {
  const conf: NonNullable<PeerGroupMessage['conf']> = { peer_group_name: g.name };
  if (g.peerAs !== undefined) conf.peer_asn = g.peerAs;
  if (g.localAs !== undefined) conf.local_asn = g.localAs;
  if (g.description !== undefined) conf.description = g.description;
  if (g.peerAs !== undefined && g.localAs !== undefined) conf.type = g.peerAs === g.localAs ? 0 : 1;
  const timers: TimersConfigMessage = {};
  if (g.holdTimeSec !== undefined) timers.hold_time = g.holdTimeSec;
  if (g.keepaliveSec !== undefined) timers.keepalive_interval = g.keepaliveSec;
  if (g.connectRetrySec !== undefined) timers.connect_retry = g.connectRetrySec;
  return {
    conf,
    info: { peer_group_name: g.name, ...(g.peerAs === undefined ? {} : { peer_asn: g.peerAs }), total_paths: 0, total_prefixes: g.memberCount },
    timers: { config: timers },
    transport: g.isPassive === undefined ? {} : { passive_mode: g.isPassive },
    afi_safis: (g.families ?? []).map((f) => ({ config: { family: familyToApi(f), enabled: true } })),
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
