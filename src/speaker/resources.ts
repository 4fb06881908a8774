// MetalLB's resources (metallb.io IPAddressPool, BGPPeer, BGPAdvertisement, Community,
// BFDProfile) and the core ones the speaker reads (v1 Service, Node, Namespace,
// discovery.k8s.io/v1 EndpointSlice), parsed from YAML into checked, typed values. A bad
// document becomes a ResourceError naming file, document, kind/name and field; the rest load.

import { parseAllDocuments } from 'yaml';
import { yamlToJs } from '../lib/yaml.js';
import { AddressError, compareAddress, parseAddress, parsePrefix } from '../lib/address.js';
import { addressToBigInt } from './addresses.js';

/** Kubernetes object metadata, as far as the speaker needs it. */
export interface ObjectMeta {
  readonly name: string;
  /** "" for cluster-scoped kinds (Node, Namespace). */
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/** A label selector (metav1.LabelSelector): every part must hold; empty matches everything. */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly { readonly key: string; readonly operator: SelectorOperator; readonly values: readonly string[] }[];
}

/** A contiguous block of addresses of one family, from a CIDR or an "a-b" range. */
export interface AddressRange {
  /** As written, for messages. */
  readonly text: string;
  readonly isV6: boolean;
  readonly first: bigint;
  readonly last: bigint;
  /** Prefix length when written as a CIDR (for avoidBuggyIPs and aggregation checks). */
  readonly cidrLength?: number;
}

/** metallb.io/v1beta1 IPAddressPool. */
export interface IpAddressPool {
  readonly kind: 'IPAddressPool';
  readonly meta: ObjectMeta;
  readonly ranges: readonly AddressRange[];
  /** Default true: addresses are handed out without being asked for. */
  readonly autoAssign: boolean;
  /** Skip .0 and .255 addresses (IPv4), which some buggy clients refuse. */
  readonly avoidBuggyIPs: boolean;
  readonly serviceAllocation?: {
    /** Lower first; a pool without one comes after every pool with one. */
    readonly priority?: number;
    readonly namespaces: readonly string[];
    readonly namespaceSelectors: readonly LabelSelector[];
    readonly serviceSelectors: readonly LabelSelector[];
  };
}

/** metallb.io/v1beta2 (or v1beta1) BGPPeer. */
export interface BgpPeer {
  readonly kind: 'BGPPeer';
  readonly meta: ObjectMeta;
  readonly peerAddress: string;
  readonly peerAsn: number;
  readonly myAsn: number;
  readonly peerPort: number;
  readonly holdTimeSec?: number;
  readonly keepaliveSec?: number;
  readonly routerId?: string;
  readonly sourceAddress?: string;
  /** TCP MD5 (RFC 2385) key, given inline. */
  readonly password?: string;
  /** `passwordSecret` reference (name only: secrets are the Kubernetes layer's). */
  readonly passwordSecret?: string;
  readonly ebgpMultiHop: boolean;
  readonly nodeSelectors: readonly LabelSelector[];
  readonly bfdProfile?: string;
}

/** One community an advertisement attaches: standard (RFC 1997) or large (RFC 8092). */
export type CommunityValue = { readonly type: 'standard'; readonly value: number } | { readonly type: 'large'; readonly value: readonly [number, number, number] };

/** metallb.io/v1beta1 BGPAdvertisement. */
export interface BgpAdvertisement {
  readonly kind: 'BGPAdvertisement';
  readonly meta: ObjectMeta;
  readonly ipAddressPools: readonly string[];
  readonly ipAddressPoolSelectors: readonly LabelSelector[];
  readonly aggregationLength: number;
  readonly aggregationLengthV6: number;
  readonly localPref?: number;
  /** As written: "65535:65282", "large:1:2:3", or the name of a Community resource's entry. */
  readonly communities: readonly string[];
  /** BGPPeer names; empty = every peer. */
  readonly peers: readonly string[];
  readonly nodeSelectors: readonly LabelSelector[];
}

/** metallb.io/v1beta1 Community: names for community values. */
export interface CommunityAliases {
  readonly kind: 'Community';
  readonly meta: ObjectMeta;
  readonly communities: readonly { readonly name: string; readonly value: CommunityValue }[];
}

/** metallb.io/v1beta1 BFDProfile (defaults as MetalLB's). */
export interface BfdProfile {
  readonly kind: 'BFDProfile';
  readonly meta: ObjectMeta;
  readonly receiveIntervalMs: number;
  readonly transmitIntervalMs: number;
  readonly detectMultiplier: number;
  readonly echoMode: boolean;
  readonly passiveMode: boolean;
  readonly minimumTtl: number;
}

export type IpFamily = 'IPv4' | 'IPv6';

export interface ServicePort {
  readonly protocol: string;
  readonly port: number;
}

/** core/v1 Service, the fields address assignment and announcement use. */
export interface Service {
  readonly kind: 'Service';
  readonly meta: ObjectMeta;
  readonly type: string;
  /** spec.loadBalancerIP (deprecated by Kubernetes, still honoured). */
  readonly loadBalancerIP?: string;
  /** metallb.universe.tf/loadBalancerIPs, split at commas. */
  readonly requestedIPs: readonly string[];
  /** metallb.universe.tf/address-pool. */
  readonly addressPool?: string;
  /** metallb.universe.tf/allow-shared-ip. */
  readonly sharingKey?: string;
  readonly ports: readonly ServicePort[];
  readonly selector: Readonly<Record<string, string>>;
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
  readonly ipFamilies: readonly IpFamily[];
  readonly ipFamilyPolicy?: string;
  /** status.loadBalancer.ingress[].ip */
  readonly ingress: readonly string[];
  /** True for a status-only document (DIR/status/), which only supplies `ingress`. */
  readonly isStatusOnly: boolean;
}

/** discovery.k8s.io/v1 EndpointSlice. */
export interface EndpointSlice {
  readonly kind: 'EndpointSlice';
  readonly meta: ObjectMeta;
  /** Label kubernetes.io/service-name. */
  readonly serviceName: string;
  readonly endpoints: readonly { readonly addresses: readonly string[]; readonly isReady: boolean; readonly nodeName?: string }[];
}

/** core/v1 Node. */
export interface Node {
  readonly kind: 'Node';
  readonly meta: ObjectMeta;
  readonly isUnschedulable: boolean;
  /** status.addresses of type InternalIP. */
  readonly internalIPs: readonly string[];
}

/** core/v1 Namespace (its labels feed serviceAllocation.namespaceSelectors). */
export interface Namespace {
  readonly kind: 'Namespace';
  readonly meta: ObjectMeta;
}

export type Resource = IpAddressPool | BgpPeer | BgpAdvertisement | CommunityAliases | BfdProfile | Service | EndpointSlice | Node | Namespace;
export type ResourceKind = Resource['kind'];

/** A document that could not be used, and exactly where and why. */
export class ResourceError extends Error {
  override readonly name = 'ResourceError';

  constructor(
    readonly file: string,
    /** 0-based index of the document in its file. */
    readonly documentIndex: number,
    /** "Kind ns/name" as far as known. */
    readonly resource: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file} document ${documentIndex + 1} (${resource}): ${field === '' ? '' : `${field}: `}${problem}`);
  }
}

/** What one file gave. */
export interface ParseResult {
  readonly resources: Resource[];
  readonly errors: ResourceError[];
  /** Kinds this parser does not handle, skipped (a note, not a fault). */
  readonly skipped: string[];
}

export const annotations = {
  loadBalancerIPs: 'metallb.universe.tf/loadBalancerIPs',
  addressPool: 'metallb.universe.tf/address-pool',
  allowSharedIp: 'metallb.universe.tf/allow-shared-ip',
} as const;

export const wellKnownLabels = {
  hostname: 'kubernetes.io/hostname',
  serviceName: 'kubernetes.io/service-name',
  excludeFromLb: 'node.kubernetes.io/exclude-from-external-load-balancers',
} as const;

export const unschedulableTaint = 'node.kubernetes.io/unschedulable';

/** Thrown inside a document's parse; becomes a ResourceError with the document's place. */
class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

type Json = Readonly<Record<string, unknown>>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Typed reads of one object, each failure naming its field path. */
class Fields {
  constructor(
    readonly path: string,
    private readonly obj: Json,
  ) {}

  private at(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  object(key: string): Fields | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) throw new FieldError(this.at(key), `expected a mapping, got ${describe(v)}`);
    return new Fields(this.at(key), v);
  }

  string(key: string): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new FieldError(this.at(key), `expected a string, got ${describe(v)}`);
    return v;
  }

  requiredString(key: string): string {
    const v = this.string(key);
    if (v === undefined || v === '') throw new FieldError(this.at(key), 'required');
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new FieldError(this.at(key), `expected true or false, got ${describe(v)}`);
    return v;
  }

  integer(key: string, min: number, max: number): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new FieldError(this.at(key), `expected a whole number ${min}..${max}, got ${describe(v)}`);
    return v;
  }

  stringList(key: string): string[] {
    const v = this.obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new FieldError(this.at(key), `expected a list, got ${describe(v)}`);
    return v.map((item, i) => {
      if (typeof item !== 'string') throw new FieldError(`${this.at(key)}[${i}]`, `expected a string, got ${describe(item)}`);
      return item;
    });
  }

  objectList(key: string): Fields[] {
    const v = this.obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new FieldError(this.at(key), `expected a list, got ${describe(v)}`);
    return v.map((item, i) => {
      if (!isObject(item)) throw new FieldError(`${this.at(key)}[${i}]`, `expected a mapping, got ${describe(item)}`);
      return new Fields(`${this.at(key)}[${i}]`, item);
    });
  }

  stringMap(key: string): Record<string, string> {
    const v = this.obj[key];
    if (v === undefined || v === null) return {};
    if (!isObject(v)) throw new FieldError(this.at(key), `expected a mapping, got ${describe(v)}`);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== 'string') throw new FieldError(`${this.at(key)}.${k}`, `expected a string, got ${describe(val)}`);
      out[k] = val;
    }
    return out;
  }

  fail(key: string, message: string): never {
    throw new FieldError(this.at(key), message);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Go's time.ParseDuration subset Kubernetes writes ("90s", "1m30s", "300ms"), in ms. */
export function parseGoDuration(text: string): number {
  const units: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m === null) throw new Error(`not a duration such as "90s" or "1m30s": "${text}"`);
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (text === '') throw new Error('empty duration');
  return total;
}

function durationSec(f: Fields, key: string): number | undefined {
  const text = f.string(key);
  if (text === undefined) return undefined;
  let ms: number;
  try {
    ms = parseGoDuration(text);
  } catch (err) {
    return f.fail(key, (err as Error).message);
  }
  if (ms % 1000 !== 0) f.fail(key, `BGP timers are whole seconds, got "${text}"`);
  return ms / 1000;
}

function address(f: Fields, key: string, required: true): string;
function address(f: Fields, key: string, required?: false): string | undefined;
function address(f: Fields, key: string, required = false): string | undefined {
  const text = required ? f.requiredString(key) : f.string(key);
  if (text === undefined) return undefined;
  try {
    parseAddress(text);
  } catch (err) {
    if (err instanceof AddressError) f.fail(key, `expected an IPv4 or IPv6 address, got "${text}"`);
    throw err;
  }
  return text;
}

const selectorOperators: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function selector(f: Fields): LabelSelector {
  const matchExpressions = f.objectList('matchExpressions').map((e) => {
    const key = e.requiredString('key');
    const text = e.requiredString('operator');
    const operator = selectorOperators.find((o) => o === text) ?? e.fail('operator', `expected In, NotIn, Exists or DoesNotExist, got "${text}"`);
    const values = e.stringList('values');
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0) e.fail('values', `required (non-empty) for operator ${operator}`);
    if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) e.fail('values', `must be empty for operator ${operator}`);
    return { key, operator, values };
  });
  return { matchLabels: f.stringMap('matchLabels'), matchExpressions };
}

const selectors = (f: Fields, key: string): LabelSelector[] => f.objectList(key).map(selector);

/** True if the labels satisfy the selector (Kubernetes semantics). */
export function selectorMatches(s: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(s.matchLabels)) if (labels[k] !== v) return false;
  for (const e of s.matchExpressions) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !e.values.includes(labels[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && e.values.includes(labels[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** An empty list selects everything; otherwise any one selector must match (MetalLB's rule). */
export function anySelectorMatches(list: readonly LabelSelector[], labels: Readonly<Record<string, string>>): boolean {
  return list.length === 0 || list.some((s) => selectorMatches(s, labels));
}

/** "10.0.0.0/24", "10.0.0.1-10.0.0.9" or "2001:db8::/120". */
export function parseAddressRange(text: string): AddressRange {
  const trimmed = text.trim();
  const dash = trimmed.indexOf('-');
  if (dash >= 0) {
    const a = parseAddress(trimmed.slice(0, dash).trim());
    const b = parseAddress(trimmed.slice(dash + 1).trim());
    if (a.length !== b.length) throw new AddressError(`range "${text}" mixes IPv4 and IPv6`);
    if (compareAddress(a, b) > 0) throw new AddressError(`range "${text}" ends before it starts`);
    return { text: trimmed, isV6: a.length === 16, first: addressToBigInt(a), last: addressToBigInt(b) };
  }
  const p = parsePrefix(trimmed);
  const bits = p.addr.length * 8;
  const first = addressToBigInt(p.addr);
  return { text: trimmed, isV6: p.addr.length === 16, first, last: first + (1n << BigInt(bits - p.length)) - 1n, cidrLength: p.length };
}

/** "a:b" (16-bit halves) or "large:a:b:c" (32-bit parts). */
export function parseCommunityValue(text: string): CommunityValue {
  const large = /^large:(\d+):(\d+):(\d+)$/.exec(text);
  if (large !== null) {
    const parts = [Number(large[1]), Number(large[2]), Number(large[3])] as const;
    if (parts.some((n) => n > 0xffffffff)) throw new Error(`large community parts are 0..4294967295: "${text}"`);
    return { type: 'large', value: parts };
  }
  const std = /^(\d+):(\d+)$/.exec(text);
  if (std === null) throw new Error(`expected "AS:VALUE" (16 bits each) or "large:A:B:C", got "${text}"`);
  const high = Number(std[1]);
  const low = Number(std[2]);
  if (high > 0xffff || low > 0xffff) throw new Error(`standard community halves are 0..65535: "${text}"`);
  return { type: 'standard', value: ((high << 16) | low) >>> 0 };
}

function meta(doc: Json, isNamespaced: boolean): ObjectMeta {
  const m = new Fields('', doc).object('metadata');
  if (m === undefined) throw new FieldError('metadata', 'required');
  return {
    name: m.requiredString('name'),
    namespace: isNamespaced ? (m.string('namespace') ?? 'default') : '',
    labels: m.stringMap('labels'),
    annotations: m.stringMap('annotations'),
  };
}

const spec = (doc: Json): Fields => new Fields('', doc).object('spec') ?? new Fields('spec', {});

function parsePool(doc: Json, m: ObjectMeta): IpAddressPool {
  const s = spec(doc);
  const list = s.stringList('addresses');
  if (list.length === 0) s.fail('addresses', 'at least one CIDR or range is required');
  const ranges = list.map((text, i) => {
    try {
      return parseAddressRange(text);
    } catch (err) {
      if (err instanceof AddressError) return s.fail(`addresses[${i}]`, err.message);
      throw err;
    }
  });
  const alloc = s.object('serviceAllocation');
  const priority = alloc?.integer('priority', 0, 0x7fffffff);
  return {
    kind: 'IPAddressPool',
    meta: m,
    ranges,
    autoAssign: s.boolean('autoAssign') ?? true,
    avoidBuggyIPs: s.boolean('avoidBuggyIPs') ?? false,
    ...(alloc === undefined
      ? {}
      : {
          serviceAllocation: {
            ...(priority === undefined ? {} : { priority }),
            namespaces: alloc.stringList('namespaces'),
            namespaceSelectors: selectors(alloc, 'namespaceSelectors'),
            serviceSelectors: selectors(alloc, 'serviceSelectors'),
          },
        }),
  };
}

function parsePeer(doc: Json, m: ObjectMeta): BgpPeer {
  const s = spec(doc);
  const holdTimeSec = durationSec(s, 'holdTime');
  const keepaliveSec = durationSec(s, 'keepaliveTime');
  if (holdTimeSec !== undefined && (holdTimeSec === 1 || holdTimeSec === 2 || holdTimeSec > 0xffff)) s.fail('holdTime', `must be 0 or 3s..65535s (RFC 4271 4.2), got ${holdTimeSec}s`);
  if (keepaliveSec !== undefined && holdTimeSec !== undefined && holdTimeSec > 0 && keepaliveSec > holdTimeSec) s.fail('keepaliveTime', `must not exceed holdTime (${holdTimeSec}s), got ${keepaliveSec}s`);
  const routerId = address(s, 'routerID');
  if (routerId !== undefined && parseAddress(routerId).length !== 4) s.fail('routerID', `must be an IPv4 address, got "${routerId}"`);
  const password = s.string('password');
  const secret = s.object('passwordSecret')?.string('name');
  const bfdProfile = s.string('bfdProfile');
  const sourceAddress = address(s, 'sourceAddress');
  return {
    kind: 'BGPPeer',
    meta: m,
    peerAddress: address(s, 'peerAddress', true),
    peerAsn: s.integer('peerASN', 1, 0xffffffff) ?? s.fail('peerASN', 'required'),
    myAsn: s.integer('myASN', 1, 0xffffffff) ?? s.fail('myASN', 'required'),
    peerPort: s.integer('peerPort', 1, 0xffff) ?? 179,
    ...(holdTimeSec === undefined ? {} : { holdTimeSec }),
    ...(keepaliveSec === undefined ? {} : { keepaliveSec }),
    ...(routerId === undefined ? {} : { routerId }),
    ...(sourceAddress === undefined ? {} : { sourceAddress }),
    ...(password === undefined || password === '' ? {} : { password }),
    ...(secret === undefined ? {} : { passwordSecret: secret }),
    ebgpMultiHop: s.boolean('ebgpMultiHop') ?? false,
    nodeSelectors: selectors(s, 'nodeSelectors'),
    ...(bfdProfile === undefined || bfdProfile === '' ? {} : { bfdProfile }),
  };
}

function parseAdvertisement(doc: Json, m: ObjectMeta): BgpAdvertisement {
  const s = spec(doc);
  const communities = s.stringList('communities');
  // Literal values are checked here; names are resolved against Community resources later.
  communities.forEach((c, i) => {
    if (/^[\d:]+$/.test(c) || c.startsWith('large:')) {
      try {
        parseCommunityValue(c);
      } catch (err) {
        s.fail(`communities[${i}]`, (err as Error).message);
      }
    }
  });
  const localPref = s.integer('localPref', 0, 0xffffffff);
  return {
    kind: 'BGPAdvertisement',
    meta: m,
    ipAddressPools: s.stringList('ipAddressPools'),
    ipAddressPoolSelectors: selectors(s, 'ipAddressPoolSelectors'),
    aggregationLength: s.integer('aggregationLength', 0, 32) ?? 32,
    aggregationLengthV6: s.integer('aggregationLengthV6', 0, 128) ?? 128,
    ...(localPref === undefined ? {} : { localPref }),
    communities,
    peers: s.stringList('peers'),
    nodeSelectors: selectors(s, 'nodeSelectors'),
  };
}

function parseCommunity(doc: Json, m: ObjectMeta): CommunityAliases {
  const s = spec(doc);
  const communities = s.objectList('communities').map((c) => {
    const name = c.requiredString('name');
    const text = c.requiredString('value');
    try {
      return { name, value: parseCommunityValue(text) };
    } catch (err) {
      return c.fail('value', (err as Error).message);
    }
  });
  return { kind: 'Community', meta: m, communities };
}

function parseBfdProfile(doc: Json, m: ObjectMeta): BfdProfile {
  const s = spec(doc);
  return {
    kind: 'BFDProfile',
    meta: m,
    receiveIntervalMs: s.integer('receiveInterval', 10, 60_000) ?? 300,
    transmitIntervalMs: s.integer('transmitInterval', 10, 60_000) ?? 300,
    detectMultiplier: s.integer('detectMultiplier', 2, 255) ?? 3,
    echoMode: s.boolean('echoMode') ?? false,
    passiveMode: s.boolean('passiveMode') ?? false,
    minimumTtl: s.integer('minimumTtl', 1, 254) ?? 254,
  };
}

function parseService(doc: Json, m: ObjectMeta, isStatusOnly: boolean): Service {
  const top = new Fields('', doc);
  const s = top.object('spec');
  if (s === undefined && !isStatusOnly) top.fail('spec', 'required');
  const sp = s ?? new Fields('spec', {});
  const ingress = (top.object('status')?.object('loadBalancer')?.objectList('ingress') ?? []).flatMap((i) => {
    const ip = address(i, 'ip');
    return ip === undefined ? [] : [ip];
  });
  const requestedText = m.annotations[annotations.loadBalancerIPs];
  const requestedIPs = requestedText === undefined ? [] : requestedText.split(',').map((t) => t.trim()).filter((t) => t !== '');
  for (const ip of requestedIPs) {
    try {
      parseAddress(ip);
    } catch {
      throw new FieldError(`metadata.annotations.${annotations.loadBalancerIPs}`, `expected addresses separated by commas, got "${requestedText}"`);
    }
  }
  const policy = sp.string('externalTrafficPolicy') ?? 'Cluster';
  if (policy !== 'Cluster' && policy !== 'Local') return sp.fail('externalTrafficPolicy', `expected Cluster or Local, got "${policy}"`);
  const families = sp.stringList('ipFamilies').map((f, i): IpFamily => {
    if (f !== 'IPv4' && f !== 'IPv6') return sp.fail(`ipFamilies[${i}]`, `expected IPv4 or IPv6, got "${f}"`);
    return f;
  });
  const ports = sp.objectList('ports').map((p) => ({ protocol: p.string('protocol') ?? 'TCP', port: p.integer('port', 1, 0xffff) ?? p.fail('port', 'required') }));
  const loadBalancerIP = address(sp, 'loadBalancerIP');
  const pool = m.annotations[annotations.addressPool];
  const key = m.annotations[annotations.allowSharedIp];
  const familyPolicy = sp.string('ipFamilyPolicy');
  return {
    kind: 'Service',
    meta: m,
    type: sp.string('type') ?? 'ClusterIP',
    ...(loadBalancerIP === undefined || loadBalancerIP === '' ? {} : { loadBalancerIP }),
    requestedIPs,
    ...(pool === undefined || pool === '' ? {} : { addressPool: pool }),
    ...(key === undefined || key === '' ? {} : { sharingKey: key }),
    ports,
    selector: sp.stringMap('selector'),
    externalTrafficPolicy: policy,
    ipFamilies: families,
    ...(familyPolicy === undefined ? {} : { ipFamilyPolicy: familyPolicy }),
    ingress,
    isStatusOnly,
  };
}

function parseEndpointSlice(doc: Json, m: ObjectMeta): EndpointSlice {
  const serviceName = m.labels[wellKnownLabels.serviceName];
  if (serviceName === undefined || serviceName === '') throw new FieldError(`metadata.labels.${wellKnownLabels.serviceName}`, 'required (names the Service)');
  const endpoints = new Fields('', doc).objectList('endpoints').map((e) => {
    // Kubernetes: an unset `ready` condition means ready.
    const isReady = e.object('conditions')?.boolean('ready') ?? true;
    const nodeName = e.string('nodeName');
    return { addresses: e.stringList('addresses'), isReady, ...(nodeName === undefined ? {} : { nodeName }) };
  });
  return { kind: 'EndpointSlice', meta: m, serviceName, endpoints };
}

function parseNode(doc: Json, m: ObjectMeta): Node {
  const s = spec(doc);
  const taints = s.objectList('taints').map((t) => t.string('key'));
  const addresses = new Fields('', doc).object('status')?.objectList('addresses') ?? [];
  return {
    kind: 'Node',
    meta: m,
    isUnschedulable: (s.boolean('unschedulable') ?? false) || taints.includes(unschedulableTaint),
    internalIPs: addresses.filter((a) => a.string('type') === 'InternalIP').flatMap((a) => a.string('address') ?? []),
  };
}

/** The API groups each kind may come from. */
const kinds: Readonly<Record<string, { readonly versions: readonly string[]; readonly isNamespaced: boolean }>> = {
  IPAddressPool: { versions: ['metallb.io/v1beta1'], isNamespaced: true },
  BGPPeer: { versions: ['metallb.io/v1beta2', 'metallb.io/v1beta1'], isNamespaced: true },
  BGPAdvertisement: { versions: ['metallb.io/v1beta1'], isNamespaced: true },
  Community: { versions: ['metallb.io/v1beta1'], isNamespaced: true },
  BFDProfile: { versions: ['metallb.io/v1beta1'], isNamespaced: true },
  Service: { versions: ['v1'], isNamespaced: true },
  EndpointSlice: { versions: ['discovery.k8s.io/v1'], isNamespaced: true },
  Node: { versions: ['v1'], isNamespaced: false },
  Namespace: { versions: ['v1'], isNamespaced: false },
};

/**
 * One decoded YAML document (a plain object) to a resource. `isStatusOnly` marks the
 * controller's status files, whose Services carry no spec. Throws ResourceError.
 */
export function parseResource(doc: unknown, file: string, index: number, isStatusOnly = false): Resource | undefined {
  const label = (kind: string, m?: { name?: unknown; namespace?: unknown }): string => {
    const name = typeof m?.name === 'string' ? m.name : '?';
    return typeof m?.namespace === 'string' ? `${kind} ${m.namespace}/${name}` : `${kind} ${name}`;
  };
  if (!isObject(doc)) throw new ResourceError(file, index, '?', '', `expected a mapping with apiVersion and kind, got ${describe(doc)}`);
  const kind = typeof doc['kind'] === 'string' ? doc['kind'] : '?';
  const rawMeta = isObject(doc['metadata']) ? (doc['metadata'] as { name?: unknown; namespace?: unknown }) : undefined;
  const where = label(kind, rawMeta);
  const info = kinds[kind];
  if (info === undefined) return undefined;
  const apiVersion = doc['apiVersion'];
  if (typeof apiVersion !== 'string' || !info.versions.includes(apiVersion)) {
    throw new ResourceError(file, index, where, 'apiVersion', `expected ${info.versions.join(' or ')} for kind ${kind}, got ${describe(apiVersion)}`);
  }
  try {
    const m = meta(doc, info.isNamespaced);
    switch (kind) {
      case 'IPAddressPool':
        return parsePool(doc, m);
      case 'BGPPeer':
        return parsePeer(doc, m);
      case 'BGPAdvertisement':
        return parseAdvertisement(doc, m);
      case 'Community':
        return parseCommunity(doc, m);
      case 'BFDProfile':
        return parseBfdProfile(doc, m);
      case 'Service':
        return parseService(doc, m, isStatusOnly);
      case 'EndpointSlice':
        return parseEndpointSlice(doc, m);
      case 'Node':
        return parseNode(doc, m);
      default:
        return { kind: 'Namespace', meta: m };
    }
  } catch (err) {
    if (err instanceof FieldError) throw new ResourceError(file, index, where, err.field, err.message);
    throw err;
  }
}

/** Every document of a (multi-document) YAML text; bad documents become errors, the rest load. */
export function parseResources(text: string, file: string, isStatusOnly = false): ParseResult {
  const resources: Resource[] = [];
  const errors: ResourceError[] = [];
  const skipped: string[] = [];
  parseAllDocuments(text).forEach((d, index) => {
    if (d.errors.length > 0) {
      errors.push(new ResourceError(file, index, '?', '', `YAML: ${d.errors[0]!.message.split('\n')[0]}`));
      return;
    }
    const js = yamlToJs(d);
    if ('error' in js) {
      errors.push(new ResourceError(file, index, '?', '', `YAML: ${js.error}`));
      return;
    }
    const doc: unknown = js.value;
    if (doc === null || doc === undefined) return;
    try {
      const r = parseResource(doc, file, index, isStatusOnly);
      if (r === undefined) skipped.push(`${file} document ${index + 1}: kind ${String((doc as Json)['kind'])}`);
      else resources.push(r);
    } catch (err) {
      if (err instanceof ResourceError) errors.push(err);
      else throw err;
    }
  });
  return { resources, errors, skipped };
}

/** "ns/name" (or "name" for cluster-scoped kinds): a resource's key within its kind. */
export function keyOf(meta: ObjectMeta): string {
  return meta.namespace === '' ? meta.name : `${meta.namespace}/${meta.name}`;
}
