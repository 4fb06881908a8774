// The policy keys of tsbgpd's configuration (docs/policy.md): gobgpd's `defined-sets`,
// `policy-definitions` and the `apply-policy` of global, neighbors and peer groups,
// compiled by the policy module; its errors get the file and line of their key.

import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { formatAddress, parseAddress } from '../lib/address.js';
import { PolicyConfigError, parseApplyPolicy, parsePolicyConfig, peerPolicies, type ApplyPolicySettings } from '../policy/config.js';
import { Disposition, type PeerPolicies, type PolicyAssignment } from '../policy/policy.js';
import type { Checker, Table } from './config-checker.js';
import type { NeighborConfig } from './config.js';

/** The compiled policies of a configuration and where they apply. */
export interface DaemonPolicy {
  /** `global.apply-policy`: what every peer falls back to. */
  readonly global: ApplyPolicySettings;
  /** `neighbors[].apply-policy`, by the neighbor's canonical address. */
  readonly neighbors: ReadonlyMap<string, ApplyPolicySettings>;
  /** `peer-groups[].apply-policy`, by group name. */
  readonly peerGroups: ReadonlyMap<string, ApplyPolicySettings>;
  /**
   * A digest of `defined-sets` and `policy-definitions` as written: equal digests, equal
   * policies of equal names (a reload compares them to know what to apply again).
   */
  readonly definitionsDigest: string;
  /** `defined-sets` and `policy-definitions` as the file wrote them (the API lists and edits them). */
  readonly source?: { readonly definedSets: unknown; readonly policyDefinitions: unknown };
}

export const noDaemonPolicy: DaemonPolicy = Object.freeze({ global: {}, neighbors: new Map(), peerGroups: new Map(), definitionsDigest: '' });

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text of parsed configuration data, stable for equal data (TOML's big integers included). */
function dataText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? '';
}

/**
 * Reads the policy keys of the whole parsed file, after the loader has checked the
 * neighbors and peer groups (their addresses and names are read here as it did).
 */
export function readDaemonPolicy(c: Checker, top: Table): DaemonPolicy {
  try {
    const config = parsePolicyConfig(top);
    const applyOf = (item: unknown, path: string): ApplyPolicySettings | undefined => {
      if (!isTable(item) || item['apply-policy'] === undefined) return undefined;
      return parseApplyPolicy(item['apply-policy'], `${path}.apply-policy`, config.policies);
    };
    const neighbors = new Map<string, ApplyPolicySettings>();
    const neighborList = Array.isArray(top['neighbors']) ? (top['neighbors'] as readonly unknown[]) : [];
    neighborList.forEach((item, i) => {
      const settings = applyOf(item, `neighbors[${i}]`);
      const address = isTable(item) && isTable(item['config']) ? item['config']['neighbor-address'] : undefined;
      if (settings === undefined || typeof address !== 'string' || (!isIPv4(address) && !isIPv6(address))) return;
      neighbors.set(formatAddress(parseAddress(address)), settings);
    });
    const peerGroups = new Map<string, ApplyPolicySettings>();
    const groupList = Array.isArray(top['peer-groups']) ? (top['peer-groups'] as readonly unknown[]) : [];
    groupList.forEach((item, i) => {
      const settings = applyOf(item, `peer-groups[${i}]`);
      const name = isTable(item) && isTable(item['config']) ? item['config']['peer-group-name'] : undefined;
      if (settings !== undefined && typeof name === 'string') peerGroups.set(name, settings);
    });
    const definitionsDigest = createHash('sha256')
      .update(dataText([top['defined-sets'] ?? null, top['policy-definitions'] ?? null]))
      .digest('hex');
    return { global: config.global, neighbors, peerGroups, definitionsDigest, source: { definedSets: top['defined-sets'], policyDefinitions: top['policy-definitions'] } };
  } catch (err) {
    if (err instanceof PolicyConfigError) c.failWith(err.keyPath, err.problem, { cause: err });
    throw err;
  }
}

/** A neighbor's policies: its own apply-policy keys, then its peer group's, then global's. */
export function neighborPolicies(policy: DaemonPolicy, n: NeighborConfig): PeerPolicies {
  const group = n.peerGroup === undefined ? undefined : policy.peerGroups.get(n.peerGroup);
  return peerPolicies(policy.neighbors.get(n.address), group, policy.global);
}

/**
 * What decides how an assignment treats routes, as text: equal texts, equal treatment.
 * Without policies the definitions do not matter.
 */
export function assignmentSignature(policy: DaemonPolicy, a: PolicyAssignment): string {
  const disposition = a.defaultDisposition === Disposition.accept ? 'accept' : 'reject';
  if (a.policies.length === 0) return disposition;
  return JSON.stringify([disposition, a.policies.map((p) => p.name), policy.definitionsDigest]);
}
