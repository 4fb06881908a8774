// The policy methods of the GoBGP v3 service over ApiBackend's policyState/setPolicyState:
// each change is computed on the state in force (policy-store.ts), compiled, then put in
// force; changes run one at a time so none is lost between read and write.

import { isIP } from 'node:net';
import { ApiError, type ApiBackend } from './backend.js';
import {
  addDefinedSet,
  addPolicy,
  addPolicyAssignment,
  addStatement,
  assignmentForListing,
  compilePolicyState,
  definedSetForListing,
  deleteDefinedSet,
  deletePolicy,
  deletePolicyAssignment,
  deleteStatement,
  emptyPolicyState,
  policyForListing,
  setPolicyAssignment,
  statementForListing,
  type Direction,
  type PolicyState,
} from './policy-store.js';
import { DefinedType, PolicyDirection, type DefinedSet, type PolicyAssignmentMessage, type PolicyMessage, type StatementMessage } from './apipb.js';

export interface AddDefinedSetRequest { defined_set?: DefinedSet | null }
export interface DeleteDefinedSetRequest { defined_set?: DefinedSet | null; all?: boolean }
export interface ListDefinedSetRequest { defined_type?: number; name?: string }
export interface AddStatementRequest { statement?: StatementMessage | null }
export interface DeleteStatementRequest { statement?: StatementMessage | null; all?: boolean }
export interface ListNameRequest { name?: string }
export interface AddPolicyRequest { policy?: PolicyMessage | null; refer_existing_statements?: boolean }
export interface DeletePolicyRequest { policy?: PolicyMessage | null; preserve_statements?: boolean; all?: boolean }
export interface AssignmentRequest { assignment?: PolicyAssignmentMessage | null; all?: boolean }
export interface ListPolicyAssignmentRequest { name?: string; direction?: number }
export interface SetPoliciesRequest { defined_sets?: DefinedSet[]; policies?: PolicyMessage[]; assignments?: PolicyAssignmentMessage[] }

function required<T>(value: T | null | undefined, field: string): T {
  if (value === null || value === undefined) throw new ApiError('invalid-argument', 'missing', field);
  return value;
}

export class PolicyService {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly backend: ApiBackend) {}

  get isServed(): boolean {
    return this.backend.policyState !== undefined && this.backend.setPolicyState !== undefined;
  }

  private state(): PolicyState {
    return this.backend.policyState?.() ?? emptyPolicyState;
  }

  /** Runs one change after the previous ones: computed on the state in force, compiled, put in force. */
  private change(make: (state: PolicyState) => PolicyState): Promise<Record<string, never>> {
    const run = async (): Promise<Record<string, never>> => {
      const set = this.backend.setPolicyState;
      if (set === undefined) throw new ApiError('unimplemented', 'routing policy changes are not served by this backend');
      const next = make(this.state());
      await set.call(this.backend, next, compilePolicyState(next));
      return {};
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** "global" or a neighbor address the backend knows. */
  private target(name: string | undefined, field: string): string {
    const n = name ?? '';
    if (n === '' || n === 'global') return 'global';
    if (isIP(n) === 0) throw new ApiError('invalid-argument', `expected "global" or a neighbor address, got "${n}"`, field);
    if ([...this.backend.listPeers(n)].length === 0) throw new ApiError('not-found', `no neighbor ${n}`, field);
    return n;
  }

  addDefinedSet(req: AddDefinedSetRequest): Promise<Record<string, never>> {
    const ds = required(req.defined_set, 'defined_set');
    return this.change((s) => addDefinedSet(s, ds, 'defined_set'));
  }

  deleteDefinedSet(req: DeleteDefinedSetRequest): Promise<Record<string, never>> {
    const ds = required(req.defined_set, 'defined_set');
    return this.change((s) => deleteDefinedSet(s, ds, req.all === true, 'defined_set'));
  }

  /** As gobgpd, a name that matches nothing lists nothing (here and in the other listings). */
  *listDefinedSet(req: ListDefinedSetRequest): Generator<{ defined_set: DefinedSet }> {
    const type = req.defined_type ?? DefinedType.prefix;
    const name = req.name ?? '';
    const sets = this.state().definedSets.filter((d) => (d.defined_type ?? 0) === type && (name === '' || d.name === name));
    for (const d of sets) yield { defined_set: definedSetForListing(d) };
  }

  addStatement(req: AddStatementRequest): Promise<Record<string, never>> {
    const st = required(req.statement, 'statement');
    return this.change((s) => addStatement(s, st, 'statement'));
  }

  deleteStatement(req: DeleteStatementRequest): Promise<Record<string, never>> {
    const st = required(req.statement, 'statement');
    return this.change((s) => deleteStatement(s, st, req.all === true, 'statement'));
  }

  *listStatement(req: ListNameRequest): Generator<{ statement: StatementMessage }> {
    const name = req.name ?? '';
    const found = this.state().statements.filter((s) => name === '' || s.name === name);
    for (const s of found) yield { statement: statementForListing(s) };
  }

  addPolicy(req: AddPolicyRequest): Promise<Record<string, never>> {
    const p = required(req.policy, 'policy');
    return this.change((s) => addPolicy(s, p, req.refer_existing_statements === true, 'policy'));
  }

  deletePolicy(req: DeletePolicyRequest): Promise<Record<string, never>> {
    const p = required(req.policy, 'policy');
    return this.change((s) => deletePolicy(s, p, req.all === true, req.preserve_statements === true, 'policy'));
  }

  *listPolicy(req: ListNameRequest): Generator<{ policy: PolicyMessage }> {
    const state = this.state();
    const name = req.name ?? '';
    const found = state.policies.filter((p) => name === '' || p.name === name);
    for (const p of found) yield { policy: policyForListing(state, p.name) };
  }

  addPolicyAssignment(req: AssignmentRequest): Promise<Record<string, never>> {
    const a = required(req.assignment, 'assignment');
    const target = this.target(a.name, 'assignment.name');
    return this.change((s) => addPolicyAssignment(s, target, a, 'assignment'));
  }

  deletePolicyAssignment(req: AssignmentRequest): Promise<Record<string, never>> {
    const a = required(req.assignment, 'assignment');
    const target = this.target(a.name, 'assignment.name');
    return this.change((s) => deletePolicyAssignment(s, target, a, req.all === true, 'assignment'));
  }

  setPolicyAssignment(req: AssignmentRequest): Promise<Record<string, never>> {
    const a = required(req.assignment, 'assignment');
    const target = this.target(a.name, 'assignment.name');
    return this.change((s) => setPolicyAssignment(s, target, a, 'assignment'));
  }

  /** One assignment per direction asked for (UNKNOWN: both), of "global", one neighbor, or (no name) every target. */
  *listPolicyAssignment(req: ListPolicyAssignmentRequest): Generator<{ assignment: PolicyAssignmentMessage }> {
    const state = this.state();
    const name = req.name ?? '';
    const targets = name === '' ? ['global', ...[...state.assignments.keys()].filter((k) => k !== 'global' && isIP(k) !== 0)] : [this.target(name, 'name')];
    const direction = req.direction ?? PolicyDirection.unknown;
    if (direction !== PolicyDirection.unknown && direction !== PolicyDirection.import && direction !== PolicyDirection.export) {
      throw new ApiError('invalid-argument', `expected UNKNOWN, IMPORT or EXPORT, got ${direction}`, 'direction');
    }
    const directions: Direction[] = direction === PolicyDirection.import ? ['import'] : direction === PolicyDirection.export ? ['export'] : ['import', 'export'];
    for (const t of targets) {
      for (const d of directions) {
        const a = state.assignments.get(t)?.[d] ?? state.assignments.get('global')?.[d];
        yield { assignment: assignmentForListing(state, t, d, a ?? { policies: [], defaultAction: 'accept' }) };
      }
    }
  }

  /** SetPolicies: everything replaced (sets, then policies with their statements, then assignments). */
  setPolicies(req: SetPoliciesRequest): Promise<Record<string, never>> {
    return this.change((current) => {
      let s: PolicyState = { definedSets: [], statements: [], policies: [], assignments: new Map([...current.assignments].filter(([k]) => k.startsWith('peer-group '))) };
      (req.defined_sets ?? []).forEach((d, i) => (s = addDefinedSet(s, d, `defined_sets[${i}]`)));
      (req.policies ?? []).forEach((p, i) => (s = addPolicy(s, p, false, `policies[${i}]`)));
      (req.assignments ?? []).forEach((a, i) => (s = setPolicyAssignment(s, this.target(a.name, `assignments[${i}].name`), a, `assignments[${i}]`)));
      return s;
    });
  }
}
