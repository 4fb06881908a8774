// The decision process (RFC 4271 9.1.2) with the usual operator tie-breakers: a comparator
// per step, in order, each naming why one route wins. MED is compared only between routes
// from the same neighbouring AS, which makes "better than" non-transitive; selection
// therefore groups routes by that AS first (deterministic MED) so the result never depends
// on the order routes arrived in. Also the multipath (ECMP) set.

import { compareAddress } from '../lib/address.js';
import type { Route } from './route.js';

/** The steps, in the order they are tried. */
export const DecisionStep = {
  /** RFC 4271 9.1.2.1: a route whose next hop cannot be resolved is not usable. */
  nextHopReachable: 'next-hop-reachable',
  /** RFC 9494 4.3: a route carrying LLGR_STALE loses to any route that does not. */
  llgrStale: 'llgr-stale',
  /** RFC 4271 9.1.1: highest degree of preference (LOCAL_PREF). */
  localPref: 'local-pref',
  /** Routes this speaker originates win over learned ones (common operator practice). */
  localOrigin: 'local-origin',
  /** RFC 4271 9.1.2.2 (a). */
  asPathLength: 'as-path-length',
  /** RFC 4271 9.1.2.2 (b). */
  origin: 'origin',
  /** RFC 4271 9.1.2.2 (c). */
  med: 'med',
  /** RFC 4271 9.1.2.2 (d). */
  ebgpOverIbgp: 'ebgp-over-ibgp',
  /** RFC 5004: the oldest of external routes, when enabled. */
  oldest: 'oldest',
  /** RFC 4271 9.1.2.2 (f), with ORIGINATOR_ID standing for the router ID (RFC 4456 9). */
  routerId: 'router-id',
  /** RFC 4456 9: shortest CLUSTER_LIST. */
  clusterListLength: 'cluster-list-length',
  /** RFC 4271 9.1.2.2 (g). */
  peerAddress: 'peer-address',
  /** Two ADD-PATH routes of one peer (RFC 7911) would tie on everything else. */
  pathId: 'path-id',
} as const;
export type DecisionStep = (typeof DecisionStep)[keyof typeof DecisionStep];

/** Why a prefix's best route is best: the step that beat the runner-up, or none to beat. */
export type BestReason = DecisionStep | 'only-path';

/** Options of the decision process (names as gobgpd's route-selection-options where it has them). */
export interface DecisionOptions {
  /** LOCAL_PREF of a route without one, and of every eBGP-learned route. */
  readonly defaultLocalPref: number;
  /** Skip the AS_PATH length step (gobgpd ignore-as-path-length). */
  readonly ignoreAsPathLength: boolean;
  /** Compare MED whatever the neighbouring AS (gobgpd always-compare-med). */
  readonly alwaysCompareMed: boolean;
  /** A missing MED is the worst value instead of 0 (RFC 4271 says 0; Cisco's bestpath med missing-as-worst). */
  readonly missingMedAsWorst: boolean;
  /**
   * Among external routes prefer the oldest (RFC 5004). gobgpd does this unless
   * external-compare-router-id is set; off here by default so the choice depends only on
   * the routes, not on the order they arrived in.
   */
  readonly preferOldest: boolean;
}

export const defaultDecisionOptions: DecisionOptions = {
  defaultLocalPref: 100,
  ignoreAsPathLength: false,
  alwaysCompareMed: false,
  missingMedAsWorst: false,
  preferOldest: false,
};

/** gobgpd's use-multiple-paths (ebgp / ibgp maximum-paths, allow-multiple-as). */
export interface MultipathOptions {
  /** Most routes in a set whose best is eBGP-learned; 0 or 1: no multipath. */
  readonly ebgpMaximumPaths: number;
  /** Most routes in a set whose best is iBGP-learned; 0 or 1: no multipath. */
  readonly ibgpMaximumPaths: number;
  /** Routes from different neighbouring ASes may share a set. */
  readonly allowMultipleAs: boolean;
}

export const noMultipath: MultipathOptions = { ebgpMaximumPaths: 1, ibgpMaximumPaths: 1, allowMultipleAs: false };

/** A step's comparator: negative when `a` is better, positive when `b` is, 0 for a tie. */
type StepCompare = (a: Route, b: Route, options: DecisionOptions, isMedComparable: boolean) => number;

interface StepRow {
  readonly step: DecisionStep;
  readonly compare: StepCompare;
}

function localPrefOf(r: Route, o: DecisionOptions): number {
  return r.attrs.localPref ?? o.defaultLocalPref;
}

function medOf(r: Route, o: DecisionOptions): number {
  // RFC 4271 9.1.2.2 (c): a missing MED is the lowest value; some operators want the highest.
  return r.attrs.med ?? (o.missingMedAsWorst ? 0xffffffff : 0);
}

function routerIdOf(r: Route): number {
  return r.attrs.originatorId ?? r.peer.routerId;
}

/** The steps in order. Each compares one property; the first that differs decides. */
export const decisionSteps: readonly StepRow[] = [
  {
    step: DecisionStep.nextHopReachable,
    compare: (a, b) => (a.attrs.isReachable === b.attrs.isReachable ? 0 : a.attrs.isReachable ? -1 : 1),
  },
  { step: DecisionStep.llgrStale, compare: (a, b) => (a.attrs.isLlgrStale === b.attrs.isLlgrStale ? 0 : a.attrs.isLlgrStale ? 1 : -1) },
  { step: DecisionStep.localPref, compare: (a, b, o) => localPrefOf(b, o) - localPrefOf(a, o) },
  { step: DecisionStep.localOrigin, compare: (a, b) => (a.peer.isLocal === b.peer.isLocal ? 0 : a.peer.isLocal ? -1 : 1) },
  { step: DecisionStep.asPathLength, compare: (a, b, o) => (o.ignoreAsPathLength ? 0 : a.attrs.asPathLength - b.attrs.asPathLength) },
  { step: DecisionStep.origin, compare: (a, b) => a.attrs.origin - b.attrs.origin },
  // The caller says whether MED counts here: same neighbouring AS, or always-compare-med.
  { step: DecisionStep.med, compare: (a, b, o, isMedComparable) => (isMedComparable ? medOf(a, o) - medOf(b, o) : 0) },
  { step: DecisionStep.ebgpOverIbgp, compare: (a, b) => (a.peer.isEbgp === b.peer.isEbgp ? 0 : a.peer.isEbgp ? -1 : 1) },
  {
    step: DecisionStep.oldest,
    // RFC 5004 applies to external routes only; past step 7 both are eBGP or both iBGP.
    compare: (a, b, o) => (o.preferOldest && a.peer.isEbgp && b.peer.isEbgp ? a.receivedTick - b.receivedTick : 0),
  },
  { step: DecisionStep.routerId, compare: (a, b) => routerIdOf(a) - routerIdOf(b) },
  { step: DecisionStep.clusterListLength, compare: (a, b) => a.attrs.clusterListLength - b.attrs.clusterListLength },
  { step: DecisionStep.peerAddress, compare: (a, b) => compareAddress(a.peer.addressBytes, b.peer.addressBytes) },
  { step: DecisionStep.pathId, compare: (a, b) => a.pathId - b.pathId },
];

const ebgpStepIndex = decisionSteps.findIndex((s) => s.step === DecisionStep.ebgpOverIbgp);

/** True when MED may be compared between the two routes (RFC 4271 9.1.2.2 (c)). */
export function isMedComparable(a: Route, b: Route, options: DecisionOptions): boolean {
  return options.alwaysCompareMed || a.attrs.neighborAs === b.attrs.neighborAs;
}

/**
 * Runs the steps; returns 0 when every step ties, else `-(i + 1)` when `a` wins at step
 * `i` and `i + 1` when `b` does. Allocates nothing: this is the hot path.
 */
export function decide(a: Route, b: Route, options: DecisionOptions, isMedCompared: boolean, lastStep = decisionSteps.length - 1): number {
  for (let i = 0; i <= lastStep; i++) {
    const c = decisionSteps[i]!.compare(a, b, options, isMedCompared);
    if (c !== 0) return c < 0 ? -(i + 1) : i + 1;
  }
  return 0;
}

/** Which of two routes wins a direct comparison, and at which step. */
export interface Verdict {
  readonly winner: Route | undefined;
  readonly step: DecisionStep | undefined;
}

/** Compares two routes of one prefix as the decision process does (MED by neighbouring AS). */
export function compareRoutes(a: Route, b: Route, options: DecisionOptions = defaultDecisionOptions): Verdict {
  const d = decide(a, b, options, isMedComparable(a, b, options));
  if (d === 0) return { winner: undefined, step: undefined };
  return { winner: d < 0 ? a : b, step: decisionSteps[Math.abs(d) - 1]!.step };
}

/**
 * The most preferred route of a prefix, reachable or not (the caller treats an unreachable
 * winner as no best route). Deterministic MED: the winner of each neighbouring AS's routes
 * (MED counts inside a group), then the best of the winners without MED (unless it is
 * always compared). Both passes are total orders, so any order of `paths` gives one answer.
 */
export function selectTop(paths: readonly Route[], options: DecisionOptions, exclude?: Route): Route | undefined {
  if (options.alwaysCompareMed) {
    let top: Route | undefined;
    for (const p of paths) if (p !== exclude && (top === undefined || decide(p, top, options, true) < 0)) top = p;
    return top;
  }
  const winners: Route[] = [];
  for (const p of paths) {
    if (p === exclude) continue;
    const as = p.attrs.neighborAs;
    let i = 0;
    while (i < winners.length && winners[i]!.attrs.neighborAs !== as) i++;
    if (i === winners.length) winners.push(p);
    else if (decide(p, winners[i]!, options, true) < 0) winners[i] = p;
  }
  let top: Route | undefined;
  for (const w of winners) if (top === undefined || decide(w, top, options, false) < 0) top = w;
  return top;
}

/** The most routes a set led by `best` may hold. */
export function maximumPaths(best: Route, multipath: MultipathOptions): number {
  return Math.max(1, best.peer.isEbgp ? multipath.ebgpMaximumPaths : multipath.ibgpMaximumPaths);
}

/**
 * May `r` share `best`'s multipath set: equal through the eBGP-over-iBGP step (MED compared
 * when comparable), and from the same neighbouring AS unless allow-multiple-as (eBGP only).
 */
export function isMultipathPeer(r: Route, best: Route, options: DecisionOptions, multipath: MultipathOptions): boolean {
  if (r.peer.isLocal || best.peer.isLocal) return r === best;
  const isSameAs = r.attrs.neighborAs === best.attrs.neighborAs;
  if (!isSameAs && !(multipath.allowMultipleAs && best.peer.isEbgp)) return false;
  return decide(r, best, options, isMedComparable(r, best, options), ebgpStepIndex) === 0;
}

/** Orders routes of one multipath set by the tie-breaking steps (those after eBGP over iBGP). */
export function compareTieBreak(a: Route, b: Route, options: DecisionOptions): number {
  for (let i = ebgpStepIndex + 1; i < decisionSteps.length; i++) {
    const c = decisionSteps[i]!.compare(a, b, options, false);
    if (c !== 0) return c;
  }
  return 0;
}

/** The empty route list (shared, frozen). */
export const noRoutes: readonly Route[] = Object.freeze([]);

/**
 * The multipath set of `best` among `paths`: `best` first, then the routes that may share
 * its set in tie-breaking order, cut at the maximum. Empty when there is no usable best.
 */
export function selectMultipath(best: Route | undefined, paths: readonly Route[], options: DecisionOptions, multipath: MultipathOptions): readonly Route[] {
  if (best === undefined || !best.attrs.isReachable) return noRoutes;
  const max = maximumPaths(best, multipath);
  if (max === 1) return [best];
  const others: Route[] = [];
  for (const p of paths) if (p !== best && isMultipathPeer(p, best, options, multipath)) others.push(p);
  if (others.length === 0) return [best];
  others.sort((a, b) => compareTieBreak(a, b, options));
  if (others.length > max - 1) others.length = max - 1;
  return [best, ...others];
}

/** Why `best` won among `paths`: the step that decided it against the runner-up. */
export function explainBest(best: Route, paths: readonly Route[], options: DecisionOptions): BestReason {
  const runnerUp = selectTop(paths, options, best);
  if (runnerUp === undefined) return 'only-path';
  const d = decide(best, runnerUp, options, isMedComparable(best, runnerUp, options));
  // A tie cannot happen between two distinct routes (peer and path id differ).
  return decisionSteps[Math.abs(d) - 1]!.step;
}

