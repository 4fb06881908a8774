// Per-peer import and export policies in the running daemon (docs/policy.md): each
// peer's import policy handed to the RIB when its session comes up, and run again over
// its Adj-RIB-In when a reload changes it; its export policy applied to the routes the
// daemon announces to it, so a reload's re-sync withdraws or re-announces what changed.

import { Buffer } from 'node:buffer';
import { isIPv4, isIPv6 } from 'node:net';
import { parseAddress } from '../lib/address.js';
import type { Logger } from '../lib/logger.js';
import type { ImportPolicy, Rib } from '../rib/rib.js';
import { prefixKey } from '../rib/prefix-key.js';
import type { PeerInfo } from '../rib/sink.js';
import type { PolicyAssignment } from '../policy/policy.js';
import type { PolicyContext, PolicyRoute } from '../policy/route.js';
import type { PathAttributes } from '../wire/attributes/types.js';
import type { DaemonConfig, NeighborConfig } from './config.js';
import { unmapAddress, type PeerRoute } from './originate.js';
import { assignmentSignature, neighborPolicies, noDaemonPolicy } from './policy-config.js';

/** What the wiring needs to know of a peer's session. */
export interface PolicyPeer {
  readonly config: NeighborConfig;
  /** Our end of the session (configured or the connection's): what "self" means. */
  readonly localAddress: string | undefined;
}

const noBytes = new Uint8Array(0);

function addressBytes(text: string | undefined): Uint8Array | undefined {
  if (text === undefined) return undefined;
  const plain = unmapAddress(text);
  return isIPv4(plain) || isIPv6(plain) ? parseAddress(plain) : undefined;
}

/** A PolicyAssignment as the RIB's import hook, evaluated for one session. */
function importHook(assignment: PolicyAssignment, ctx: PolicyContext): ImportPolicy {
  return { isPassThrough: assignment.isPassThrough, apply: (route) => assignment.apply(route, ctx) };
}

/** JSON with byte arrays as hex: equal texts mean equal attributes. */
function attributeText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
}

export class PolicyWiring {
  /** The import policy in force in the RIB (as its signature), by peer address. */
  private readonly importsInForce = new Map<string, string>();
  /**
   * Contexts by peer and local address, reused: the policy module remembers
   * neighbor-set answers per `neighbor` array.
   */
  private readonly contexts = new Map<string, PolicyContext>();

  constructor(
    private readonly configOf: () => DaemonConfig,
    private readonly peerOf: (address: string) => PolicyPeer | undefined,
    private readonly logger: Logger,
  ) {}

  /** For `RibOptions.importPolicy`: the peer's import policy as its session comes up. */
  readonly importPolicyOf = (info: PeerInfo): ImportPolicy | undefined => {
    const peer = this.peerOf(info.address);
    if (peer === undefined) {
      this.importsInForce.delete(info.address);
      return undefined;
    }
    const policy = this.configOf().policy ?? noDaemonPolicy;
    const assignment = neighborPolicies(policy, peer.config).import;
    this.importsInForce.set(info.address, assignmentSignature(policy, assignment));
    return importHook(assignment, this.contextOf(info.address, peer.localAddress));
  };

  /**
   * `resolved` with its routes for the peer as its export policy leaves them: rejected
   * ones left out, changed ones with the new attributes (and a signature of them, so the
   * daemon's diff of what it sent re-announces them when the outcome changes).
   */
  exportRoutes<T extends { readonly routes: readonly PeerRoute[] }>(address: string, resolved: T, isEbgp: boolean): T {
    const routes = resolved.routes;
    const peer = this.peerOf(address);
    if (peer === undefined || routes.length === 0) return resolved;
    const assignment = neighborPolicies(this.configOf().policy ?? noDaemonPolicy, peer.config).export;
    if (assignment.isPassThrough) return resolved;
    const ctx = this.contextOf(address, peer.localAddress);
    const out: PeerRoute[] = [];
    let rejected = 0;
    for (const r of routes) {
      const input: PolicyRoute = { key: prefixKey(r.prefix), attributes: r.attributes, nextHop: r.nextHop };
      const result = assignment.apply(input, ctx);
      if (result === undefined) {
        rejected++;
        continue;
      }
      if (result === input || (result.attributes === input.attributes && result.nextHop === input.nextHop)) {
        out.push(r);
        continue;
      }
      const attributes = exportAttributes(result.attributes, isEbgp);
      const signature = `policy ${attributeText([r.family, result.nextHop, attributes])}`;
      out.push({ ...r, nextHop: result.nextHop, attributes, signature });
    }
    if (rejected > 0) this.logger.debug('routes filtered by export policy', { peer: address, rejected, kept: out.length });
    return { ...resolved, routes: out };
  }

  /**
   * After a reload: for each peer the RIB holds, sets its import policy as the new
   * configuration has it and, where that changed, runs it again over the peer's
   * Adj-RIB-In (sessions stay up). Returns the addresses run again.
   */
  reapplyImports(rib: Rib): string[] {
    const addresses = rib.peerAddresses();
    const policy = this.configOf().policy ?? noDaemonPolicy;
    const current = new Set(addresses);
    for (const address of [...this.importsInForce.keys()]) if (!current.has(address)) this.importsInForce.delete(address);
    const rerun: string[] = [];
    for (const address of addresses) {
      const peer = this.peerOf(address);
      if (peer === undefined) continue;
      const assignment = neighborPolicies(policy, peer.config).import;
      const signature = assignmentSignature(policy, assignment);
      if (this.importsInForce.get(address) === signature) continue;
      this.importsInForce.set(address, signature);
      if (!rib.setImportPolicy(address, importHook(assignment, this.contextOf(address, peer.localAddress)))) continue;
      const changed = rib.reapplyImport(address);
      rerun.push(address);
      this.logger.info('import policy applied again', { peer: address, routesChanged: changed });
    }
    return rerun;
  }

  private contextOf(address: string, localAddress: string | undefined): PolicyContext {
    const id = `${address} ${localAddress ?? ''}`;
    let ctx = this.contexts.get(id);
    if (ctx === undefined) {
      const local = addressBytes(localAddress);
      ctx = {
        neighbor: addressBytes(address) ?? noBytes,
        ...(local?.length === 4 ? { localIpv4: local } : {}),
        ...(local?.length === 16 ? { localIpv6: local } : {}),
      };
      // Sessions come and go (dynamic neighbors); a full map is simply started again.
      if (this.contexts.size >= 4096) this.contexts.clear();
      this.contexts.set(id, ctx);
    }
    return ctx;
  }
}

/** RFC 4271 5.1.5: LOCAL_PREF goes to internal peers only, whatever a policy set. */
function exportAttributes(attributes: PathAttributes, isEbgp: boolean): PathAttributes {
  if (!isEbgp || attributes.localPref === undefined) return attributes;
  const { localPref: _external, ...rest } = attributes;
  return rest;
}
