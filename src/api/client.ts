// A typed client of the management API (GoBGP v3 service apipb.GobgpApi), over the same
// .proto files as the server: what the `tsbgp` command talks to tsbgpd with. It works
// against gobgpd too, for the methods both serve.

import * as grpc from '@grpc/grpc-js';
import type {
  AddPathRequest,
  AddPathResponse,
  AddPeerRequest,
  DeletePathRequest,
  DeletePeerRequest,
  Destination,
  DisablePeerRequest,
  Empty,
  EnablePeerRequest,
  GetBgpResponse,
  GetTableRequest,
  GetTableResponse,
  ListPathRequest,
  ListPathResponse,
  ListPeerRequest,
  ListPeerResponse,
  Path,
  Peer,
  ResetPeerRequest,
  ShutdownPeerRequest,
  StartBgpRequest,
  TableType,
  UpdatePeerRequest,
  UpdatePeerResponse,
  UpdatePeerGroupRequest,
  AddPeerGroupRequest,
  DeletePeerGroupRequest,
  AddDynamicNeighborRequest,
  DeleteDynamicNeighborRequest,
  WatchEventRequest,
  WatchEventResponse,
} from './apipb.js';
import type { DefinedSet, DynamicNeighborMessage, PeerGroupMessage, PolicyAssignmentMessage, PolicyMessage, StatementMessage } from './apipb.js';
import type {
  AddDefinedSetRequest,
  AddPolicyRequest,
  AddStatementRequest,
  AssignmentRequest,
  DeleteDefinedSetRequest,
  DeletePolicyRequest,
  DeleteStatementRequest,
  ListDefinedSetRequest,
  ListPolicyAssignmentRequest,
  SetPoliciesRequest,
} from './policy-service.js';
import { systemClock } from '../lib/clock.js';
import { apiPackageDefinition, defaultApiHosts, serviceName } from './protos.js';

export interface ApiClientOptions {
  /** "host:port"; default 127.0.0.1:50051, as gobgp. */
  readonly target?: string;
  /** Use TLS; `rootCerts` (PEM) checks the server, client cert and key authenticate us. */
  readonly tls?: { readonly rootCerts?: Buffer; readonly certChain?: Buffer; readonly privateKey?: Buffer };
  /** Sent as "authorization: Bearer <token>" on every call. */
  readonly token?: string;
  /** Deadline of each unary call, ms. */
  readonly timeoutMs?: number;
}

export interface AddPathStreamRequest {
  table_type?: TableType;
  vrf_id?: string;
  paths?: Path[];
}

/** A running WatchEvent: `done` settles when the stream ends (resolves on `cancel`). */
export interface Watch {
  cancel(): void;
  readonly done: Promise<void>;
}

interface MethodCodec {
  readonly path: string;
  readonly requestSerialize: (value: unknown) => Buffer;
  readonly responseDeserialize: (bytes: Buffer) => unknown;
}

export class ApiClient {
  private readonly client: grpc.Client;
  private readonly methods: ReadonlyMap<string, MethodCodec>;

  constructor(private readonly options: ApiClientOptions = {}) {
    const definition = apiPackageDefinition()[serviceName];
    if (definition === undefined || 'format' in definition) throw new Error(`${serviceName} is missing from the API's proto files`);
    this.methods = new Map(Object.entries(definition as grpc.ServiceDefinition).map(([name, m]) => [name, m as MethodCodec]));
    const tls = options.tls;
    const creds = tls === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(tls.rootCerts ?? null, tls.privateKey ?? null, tls.certChain ?? null);
    this.client = new grpc.Client(options.target ?? defaultApiHosts, creds);
  }

  close(): void {
    this.client.close();
  }

  getBgp(): Promise<GetBgpResponse> {
    return this.unary('GetBgp', {});
  }

  startBgp(request: StartBgpRequest): Promise<Empty> {
    return this.unary('StartBgp', request);
  }

  stopBgp(): Promise<Empty> {
    return this.unary('StopBgp', {});
  }

  /** Every peer, or the one of `request.address`. */
  async listPeer(request: ListPeerRequest = {}): Promise<Peer[]> {
    const out: Peer[] = [];
    for await (const r of this.serverStream<ListPeerResponse>('ListPeer', request)) if (r.peer) out.push(r.peer);
    return out;
  }

  addPeer(request: AddPeerRequest): Promise<Empty> {
    return this.unary('AddPeer', request);
  }

  deletePeer(request: DeletePeerRequest): Promise<Empty> {
    return this.unary('DeletePeer', request);
  }

  updatePeer(request: UpdatePeerRequest): Promise<UpdatePeerResponse> {
    return this.unary('UpdatePeer', request);
  }

  resetPeer(request: ResetPeerRequest): Promise<Empty> {
    return this.unary('ResetPeer', request);
  }

  shutdownPeer(request: ShutdownPeerRequest): Promise<Empty> {
    return this.unary('ShutdownPeer', request);
  }

  enablePeer(request: EnablePeerRequest): Promise<Empty> {
    return this.unary('EnablePeer', request);
  }

  disablePeer(request: DisablePeerRequest): Promise<Empty> {
    return this.unary('DisablePeer', request);
  }

  /** Destinations one by one, as the server streams them. */
  async *listPathStream(request: ListPathRequest): AsyncGenerator<Destination> {
    for await (const r of this.serverStream<ListPathResponse>('ListPath', request)) if (r.destination) yield r.destination;
  }

  async listPath(request: ListPathRequest): Promise<Destination[]> {
    const out: Destination[] = [];
    for await (const d of this.listPathStream(request)) out.push(d);
    return out;
  }

  addPath(request: AddPathRequest): Promise<AddPathResponse> {
    return this.unary('AddPath', request);
  }

  deletePath(request: DeletePathRequest): Promise<Empty> {
    return this.unary('DeletePath', request);
  }

  getTable(request: GetTableRequest): Promise<GetTableResponse> {
    return this.unary('GetTable', request);
  }

  async listPeerGroup(request: { peer_group_name?: string } = {}): Promise<PeerGroupMessage[]> {
    const out: PeerGroupMessage[] = [];
    for await (const r of this.serverStream<{ peer_group?: PeerGroupMessage | null }>('ListPeerGroup', request)) if (r.peer_group) out.push(r.peer_group);
    return out;
  }

  addPeerGroup(request: AddPeerGroupRequest): Promise<Empty> {
    return this.unary('AddPeerGroup', request);
  }

  deletePeerGroup(request: DeletePeerGroupRequest): Promise<Empty> {
    return this.unary('DeletePeerGroup', request);
  }

  updatePeerGroup(request: UpdatePeerGroupRequest): Promise<UpdatePeerResponse> {
    return this.unary('UpdatePeerGroup', request);
  }

  addDynamicNeighbor(request: AddDynamicNeighborRequest): Promise<Empty> {
    return this.unary('AddDynamicNeighbor', request);
  }

  deleteDynamicNeighbor(request: DeleteDynamicNeighborRequest): Promise<Empty> {
    return this.unary('DeleteDynamicNeighbor', request);
  }

  async listDynamicNeighbor(request: { peer_group?: string } = {}): Promise<DynamicNeighborMessage[]> {
    const out: DynamicNeighborMessage[] = [];
    for await (const r of this.serverStream<{ dynamic_neighbor?: DynamicNeighborMessage | null }>('ListDynamicNeighbor', request)) if (r.dynamic_neighbor) out.push(r.dynamic_neighbor);
    return out;
  }

  // ---- routing policy

  /** Defined sets of one type (all of it, or the one named). */
  async listDefinedSet(request: ListDefinedSetRequest): Promise<DefinedSet[]> {
    const out: DefinedSet[] = [];
    for await (const r of this.serverStream<{ defined_set?: DefinedSet | null }>('ListDefinedSet', request)) if (r.defined_set) out.push(r.defined_set);
    return out;
  }

  addDefinedSet(request: AddDefinedSetRequest): Promise<Empty> {
    return this.unary('AddDefinedSet', request);
  }

  deleteDefinedSet(request: DeleteDefinedSetRequest): Promise<Empty> {
    return this.unary('DeleteDefinedSet', request);
  }

  async listStatement(request: { name?: string } = {}): Promise<StatementMessage[]> {
    const out: StatementMessage[] = [];
    for await (const r of this.serverStream<{ statement?: StatementMessage | null }>('ListStatement', request)) if (r.statement) out.push(r.statement);
    return out;
  }

  addStatement(request: AddStatementRequest): Promise<Empty> {
    return this.unary('AddStatement', request);
  }

  deleteStatement(request: DeleteStatementRequest): Promise<Empty> {
    return this.unary('DeleteStatement', request);
  }

  async listPolicy(request: { name?: string } = {}): Promise<PolicyMessage[]> {
    const out: PolicyMessage[] = [];
    for await (const r of this.serverStream<{ policy?: PolicyMessage | null }>('ListPolicy', request)) if (r.policy) out.push(r.policy);
    return out;
  }

  addPolicy(request: AddPolicyRequest): Promise<Empty> {
    return this.unary('AddPolicy', request);
  }

  deletePolicy(request: DeletePolicyRequest): Promise<Empty> {
    return this.unary('DeletePolicy', request);
  }

  setPolicies(request: SetPoliciesRequest): Promise<Empty> {
    return this.unary('SetPolicies', request);
  }

  async listPolicyAssignment(request: ListPolicyAssignmentRequest): Promise<PolicyAssignmentMessage[]> {
    const out: PolicyAssignmentMessage[] = [];
    for await (const r of this.serverStream<{ assignment?: PolicyAssignmentMessage | null }>('ListPolicyAssignment', request)) if (r.assignment) out.push(r.assignment);
    return out;
  }

  addPolicyAssignment(request: AssignmentRequest): Promise<Empty> {
    return this.unary('AddPolicyAssignment', request);
  }

  deletePolicyAssignment(request: AssignmentRequest): Promise<Empty> {
    return this.unary('DeletePolicyAssignment', request);
  }

  setPolicyAssignment(request: AssignmentRequest): Promise<Empty> {
    return this.unary('SetPolicyAssignment', request);
  }

  /** Sends every request on one AddPathStream call. */
  addPathStream(requests: Iterable<AddPathStreamRequest>): Promise<Empty> {
    const m = this.method('AddPathStream');
    return new Promise((resolve, reject) => {
      const call = this.client.makeClientStreamRequest<unknown, unknown>(m.path, m.requestSerialize, m.responseDeserialize, this.metadata(), this.callOptions(), (err, res) =>
        err ? reject(err) : resolve((res ?? {}) as Empty),
      );
      for (const r of requests) call.write(r);
      call.end();
    });
  }

  /** Streams events to `onEvent` until cancelled or the server ends the stream. */
  watchEvent(request: WatchEventRequest, onEvent: (event: WatchEventResponse) => void): Watch {
    const m = this.method('WatchEvent');
    const call = this.client.makeServerStreamRequest<unknown, unknown>(m.path, m.requestSerialize, m.responseDeserialize, request, this.metadata(), {});
    let isCancelled = false;
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (e: unknown) => onEvent(e as WatchEventResponse));
      call.on('error', (err: grpc.ServiceError) => (isCancelled && err.code === grpc.status.CANCELLED ? resolve() : reject(err)));
      call.on('end', () => resolve());
    });
    return {
      cancel: () => {
        isCancelled = true;
        call.cancel();
      },
      done,
    };
  }

  // ---- plumbing

  private method(name: string): MethodCodec {
    const m = this.methods.get(name);
    if (m === undefined) throw new Error(`${serviceName} has no method ${name}`);
    return m;
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.options.token !== undefined) md.set('authorization', `Bearer ${this.options.token}`);
    return md;
  }

  private callOptions(): grpc.CallOptions {
    return this.options.timeoutMs === undefined ? {} : { deadline: systemClock.wallNow() + this.options.timeoutMs };
  }

  private unary<Res>(name: string, request: object): Promise<Res> {
    const m = this.method(name);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest<unknown, unknown>(m.path, m.requestSerialize, m.responseDeserialize, request, this.metadata(), this.callOptions(), (err, res) =>
        err ? reject(err) : resolve(res as Res),
      );
    });
  }

  private async *serverStream<Res>(name: string, request: object): AsyncGenerator<Res> {
    const m = this.method(name);
    const call = this.client.makeServerStreamRequest<unknown, unknown>(m.path, m.requestSerialize, m.responseDeserialize, request, this.metadata(), this.callOptions());
    try {
      for await (const item of call) yield item as Res;
    } finally {
      call.cancel();
    }
  }
}
