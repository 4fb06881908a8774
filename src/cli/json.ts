// The JSON `tsbgp -j` prints, in the shapes of GoBGP's `gobgp -j` so that scripts
// written for it keep working: API messages with proto3 defaults left out (Go's
// omitempty), bytes in base64; routes in gobgp's own path form.

import protobuf from 'protobufjs';
import { apiRoot } from '../api/protos.js';
import type { AttributeView, ExtCommunityView, PathView } from './path-view.js';

export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

const base64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === 0 || v === false || v === '' || (Array.isArray(v) && v.length === 0) || (v instanceof Uint8Array && v.length === 0);
}

/**
 * An API message as gobgp prints it: fields holding a proto3 default are dropped, a
 * present sub-message stays (even empty), bytes become base64, and fields come in
 * the order of the .proto (Go's struct order). `typeName` is the message's full name.
 */
export function apiMessageJson(value: unknown, typeName: string): Json {
  const found = apiRoot().lookup(typeName);
  return valueJson(value, found instanceof protobuf.Type ? found : undefined);
}

function valueJson(value: unknown, type: protobuf.Type | undefined): Json {
  if (value instanceof Uint8Array) return base64(value);
  if (Array.isArray(value)) return value.map((v) => valueJson(v, type));
  if (typeof value === 'object' && value !== null) {
    const record = value as Readonly<Record<string, unknown>>;
    const out: Record<string, Json> = {};
    // Without the type (not expected), keys in the order the object has them.
    const fields = type?.fieldsArray.map((f) => ({ name: f.name, type: f.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined })) ?? Object.keys(record).map((name) => ({ name, type: undefined }));
    for (const f of fields) {
      const v = record[f.name];
      if (!isEmpty(v)) out[f.name] = valueJson(v, f.type);
    }
    return out;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return null;
}

function extCommunityJson(c: ExtCommunityView): Json {
  switch (c.kind) {
    case 'two-octet-as':
      return { type: c.type, subtype: c.subType, value: `${c.asn}:${c.localAdmin}` };
    case 'ipv4-address':
      return { type: c.type, subtype: c.subType, value: `${c.address}:${c.localAdmin}` };
    case 'four-octet-as':
      return { type: c.type, subtype: c.subType, value: `${c.asn >>> 16}.${c.asn & 0xffff}:${c.localAdmin}` };
    case 'opaque':
      return { type: c.type, subtype: c.value[0] ?? 0, value: base64(c.value) };
    case 'other':
      return { type_name: c.typeName };
  }
}

function attributeJson(a: AttributeView): Json {
  switch (a.code) {
    case 1:
      return { type: 1, value: a.origin };
    case 2:
      return { type: 2, as_paths: a.segments.map((s) => ({ segment_type: s.type, num: s.asns.length, asns: [...s.asns] })) };
    case 3:
      return { type: 3, nexthop: a.nextHop };
    case 4:
      return { type: 4, metric: a.med };
    case 5:
      return { type: 5, value: a.localPref };
    case 6:
      return { type: 6 };
    case 7:
      return { type: 7, as: a.asn, address: a.address };
    case 8:
      return { type: 8, communities: [...a.communities] };
    case 9:
      return { type: 9, value: a.id };
    case 10:
      return { type: 10, value: [...a.ids] };
    case 14:
      return { type: 14, nexthop: a.nextHops[0] ?? '', afi: a.afi, safi: a.safi, value: a.prefixes.map((prefix) => ({ prefix })) };
    case 15:
      return { type: 15, afi: a.afi, safi: a.safi, value: a.prefixes.map((prefix) => ({ prefix })) };
    case 16:
      return { type: 16, value: a.communities.map(extCommunityJson) };
    case 32:
      return { type: 32, value: a.communities.map(([g, l1, l2]) => ({ ASN: g, LocalData1: l1, LocalData2: l2 })) };
    case 'unknown':
      return { flags: a.flags, type: a.typeCode, value: a.value.length === 0 ? null : base64(a.value) };
    case 'other':
      return { type_name: a.typeName };
  }
}

const isAddressText = (s: string): boolean => /^[0-9.]+$|:/.test(s) && s !== '';

/** One route in gobgp's JSON form. */
export function pathJson(p: PathView): Json {
  const out: Record<string, Json> = { nlri: { prefix: p.prefix }, age: p.ageSec, best: p.isBest, attrs: p.attributes.map(attributeJson), stale: p.isStale };
  if (p.isWithdraw) out['withdrawal'] = true;
  // gobgp parses these as addresses and leaves out what is not one.
  if (isAddressText(p.sourceId)) out['source-id'] = p.sourceId;
  if (isAddressText(p.neighborIp)) out['neighbor-ip'] = p.neighborIp;
  return out;
}

/** A table: destinations by prefix, keys in byte order as Go sorts map keys. */
export function ribJson(destinations: readonly { readonly prefix: string; readonly paths: readonly PathView[] }[]): Json {
  const sorted = [...destinations].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  const out: Record<string, Json> = {};
  for (const d of sorted) out[d.prefix] = [...((out[d.prefix] as readonly Json[] | undefined) ?? []), ...d.paths.map(pathJson)];
  return out;
}

export function jsonLine(value: Json): string {
  return `${JSON.stringify(value)}\n`;
}
