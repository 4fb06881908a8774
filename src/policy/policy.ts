// Statements, policies and their assignment to a direction of a peer (gobgpd's
// `policy-definitions` and `apply-policy`). Evaluation follows gobgpd: statements in
// order; a statement whose conditions all hold applies its actions and then its
// route-disposition, if any, ends the evaluation; without one the changed route goes on
// to the next statement, then the next policy; when no statement decides, the default
// policy (accept unless configured otherwise) does, on the route as the actions left it.

import type { PathAttributes } from '../wire/attributes/types.js';
import type { Action } from './actions.js';
import type { Condition } from './conditions.js';
import type { PolicyContext, PolicyRoute } from './route.js';

/** A statement's route-disposition. */
export const Disposition = { none: 0, accept: 1, reject: 2 } as const;
export type Disposition = (typeof Disposition)[keyof typeof Disposition];

export class Statement {
  constructor(
    readonly name: string,
    /** All must hold (an empty list always holds). */
    readonly conditions: readonly Condition[],
    /** Applied in order when the conditions hold. */
    readonly actions: readonly Action[],
    readonly disposition: Disposition,
  ) {}

  matches(route: PolicyRoute, ctx: PolicyContext): boolean {
    for (const c of this.conditions) if (!c.matches(route, ctx)) return false;
    return true;
  }
}

export class Policy {
  constructor(
    readonly name: string,
    readonly statements: readonly Statement[],
  ) {}
}

/** The outcome of a policy chain, in the shape an operator or an API shows it. */
export interface PolicyResult {
  readonly accepted: boolean;
  /** The attributes after the actions: the input object itself when no action changed anything. */
  readonly attributes: PathAttributes;
  /** The next hop after the actions: the input object itself when unchanged. */
  readonly nextHop: Uint8Array;
  /** The statement that decided, or undefined when the default policy did. */
  readonly decidedBy: string | undefined;
}

/**
 * The policies of one direction (import or export) of one peer, with the default
 * disposition for routes no statement decides. Its configuration never changes, so
 * peers with the same settings may share one.
 */
export class PolicyAssignment {
  /** The statement that decided in the last `apply`, for `evaluate` (evaluation is synchronous). */
  private decidedBy: Statement | undefined = undefined;

  constructor(
    readonly policies: readonly Policy[],
    /** What happens to a route no statement accepts or rejects. */
    readonly defaultDisposition: typeof Disposition.accept | typeof Disposition.reject = Disposition.accept,
  ) {}

  /** True when the assignment accepts every route unchanged: the caller may skip it. */
  get isPassThrough(): boolean {
    return this.policies.length === 0 && this.defaultDisposition === Disposition.accept;
  }

  /**
   * The route as it leaves the policies, or undefined when rejected. Returns `route`
   * itself when accepted and no action changed anything: no allocation on that path.
   */
  apply(route: PolicyRoute, ctx: PolicyContext): PolicyRoute | undefined {
    let current = route;
    this.decidedBy = undefined;
    for (const policy of this.policies) {
      for (const statement of policy.statements) {
        if (!statement.matches(current, ctx)) continue;
        for (const action of statement.actions) current = action.apply(current, ctx);
        if (statement.disposition === Disposition.none) continue;
        this.decidedBy = statement;
        return statement.disposition === Disposition.accept ? current : undefined;
      }
    }
    return this.defaultDisposition === Disposition.accept ? current : undefined;
  }

  /** `apply` with the verdict spelled out (allocates: for the API and tests, not per route). */
  evaluate(route: PolicyRoute, ctx: PolicyContext): PolicyResult {
    const out = this.apply(route, ctx);
    const decidedBy = this.decidedBy?.name;
    const last = out ?? route;
    return { accepted: out !== undefined, attributes: last.attributes, nextHop: last.nextHop, decidedBy };
  }
}

/** Accepts everything unchanged: a peer without policies. */
export const acceptAll = new PolicyAssignment([], Disposition.accept);

/** A peer's policies in both directions. */
export interface PeerPolicies {
  /** Applied to each route the peer sends, before it enters the Adj-RIB-In / Loc-RIB. */
  readonly import: PolicyAssignment;
  /** Applied to each route before it is sent to the peer. */
  readonly export: PolicyAssignment;
}

export const noPolicies: PeerPolicies = { import: acceptAll, export: acceptAll };
