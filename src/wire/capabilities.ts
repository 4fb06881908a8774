// Capabilities of an OPEN (RFC 5492): the code/length/value triples inside an
// optional parameter of type 2, decoded per code (RFC 4760, 2918, 7313, 8654, 6793,
// 4724 with RFC 8538, 9494, 7911, 8950, 9234, draft-walton-bgp-hostname-capability).

import { Reader } from './reader.js';
import { Writer } from './writer.js';
import { WireError, NotifyCode, OpenSubcode } from './errors.js';
import { familyKey, type FamilyKey } from './context.js';
import { AddPathMode, CapabilityCode, type Capability, type CapabilityKind, type FamilySet } from './capability-types.js';

/** A capability value carries a 1-octet length (RFC 5492 4). */
export const maxCapabilityValue = 255;

/**
 * A recognized capability whose value does not fit its format. RFC 5492 names no
 * subcode for this; RFC 4271 6.2 says a recognized but malformed optional parameter
 * gets OPEN Message Error with subcode 0 (Unspecific), and a capability is part of one.
 */
export function malformedCapability(detail: string): WireError {
  return new WireError(NotifyCode.openMessage, OpenSubcode.unspecific, detail);
}

const restartFlagR = 0x8000;
const restartFlagN = 0x4000;
const restartTimeMask = 0x0fff;
const familyFlagF = 0x80;
const maxStaleTimeSec = 0xffffff;
const isAddPathMode = (v: number): v is AddPathMode => v === AddPathMode.receive || v === AddPathMode.send || v === AddPathMode.both;

/** Reads a fixed-size list of entries, or fails if the value is not a whole number of them. */
function entries<T>(r: Reader, size: number, name: string, read: (r: Reader) => T): T[] {
  if (r.remaining % size !== 0) throw malformedCapability(`${name} capability of ${r.remaining} octets is not a multiple of ${size}`);
  const out: T[] = [];
  while (!r.isEmpty) out.push(read(r));
  return out;
}

function expectLength(r: Reader, length: number, name: string): void {
  if (r.remaining !== length) throw malformedCapability(`${name} capability has ${r.remaining} octets, expected ${length}`);
}

/** Decodes the value of one capability; `value` holds exactly its octets. */
type ValueDecoder = (value: Reader, raw: Uint8Array) => Capability;

const empty = (cap: Capability, name: string): ValueDecoder => (r) => {
  expectLength(r, 0, name);
  return cap;
};

/** Unrecognized, or recognized but with values RFCs say to ignore: kept as bytes. */
const unknown = (code: number, raw: Uint8Array): Capability => ({ kind: 'unknown', code, value: Uint8Array.from(raw) });

// ignoreBOM keeps a leading U+FEFF in the text, so the name re-encodes to the same octets.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const decoders: Readonly<Record<number, ValueDecoder>> = {
  [CapabilityCode.multiprotocol]: (r) => {
    expectLength(r, 4, 'Multiprotocol');
    const afi = r.u16();
    r.skipBytes(1); // Reserved (RFC 4760 8): ignored on receipt.
    return { kind: 'multiprotocol', afi, safi: r.u8() };
  },
  [CapabilityCode.routeRefresh]: empty({ kind: 'route-refresh' }, 'Route Refresh'),
  [CapabilityCode.routeRefreshOld]: empty({ kind: 'route-refresh-old' }, 'Route Refresh (old)'),
  [CapabilityCode.enhancedRouteRefresh]: empty({ kind: 'enhanced-route-refresh' }, 'Enhanced Route Refresh'),
  [CapabilityCode.extendedMessage]: empty({ kind: 'extended-message' }, 'Extended Message'),
  [CapabilityCode.fourOctetAs]: (r) => {
    expectLength(r, 4, '4-octet AS');
    return { kind: 'four-octet-as', asn: r.u32() };
  },
  [CapabilityCode.gracefulRestart]: (r) => {
    if (r.remaining < 2) throw malformedCapability(`Graceful Restart capability of ${r.remaining} octets`);
    const head = r.u16();
    const families = entries(r, 4, 'Graceful Restart', (e) => ({
      afi: e.u16(),
      safi: e.u8(),
      isForwardingPreserved: (e.u8() & familyFlagF) !== 0,
    }));
    return {
      kind: 'graceful-restart',
      isRestarting: (head & restartFlagR) !== 0,
      isNotificationSupported: (head & restartFlagN) !== 0,
      restartTimeSec: head & restartTimeMask,
      families,
    };
  },
  [CapabilityCode.longLivedGracefulRestart]: (r) => ({
    kind: 'long-lived-graceful-restart',
    families: entries(r, 7, 'Long-Lived Graceful Restart', (e) => ({
      afi: e.u16(),
      safi: e.u8(),
      isForwardingPreserved: (e.u8() & familyFlagF) !== 0,
      staleTimeSec: (e.u8() << 16) | e.u16(),
    })),
  }),
  [CapabilityCode.addPath]: (r, raw) => {
    const families = entries(r, 4, 'ADD-PATH', (e) => ({ afi: e.u16(), safi: e.u8(), mode: e.u8() }));
    // RFC 7911 4: another Send/Receive value makes the capability "not understood".
    if (!families.every((f) => isAddPathMode(f.mode))) return unknown(CapabilityCode.addPath, raw);
    return { kind: 'add-path', families: families.map((f) => ({ afi: f.afi, safi: f.safi, mode: f.mode as AddPathMode })) };
  },
  [CapabilityCode.extendedNextHop]: (r) => ({
    kind: 'extended-next-hop',
    // RFC 8950 3: the NLRI SAFI is 2 octets here, unlike elsewhere.
    entries: entries(r, 6, 'Extended Next Hop', (e) => ({ afi: e.u16(), safi: e.u16(), nextHopAfi: e.u16() })),
  }),
  [CapabilityCode.fqdn]: (r, raw) => {
    const host = r.bytes(r.u8('hostname length'), 'hostname');
    const domain = r.bytes(r.u8('domain length'), 'domain name');
    r.expectEmpty('FQDN capability');
    // Names that are not UTF-8 cannot be shown or re-sent as text: not understood.
    try {
      return { kind: 'fqdn', hostname: utf8.decode(host), domain: utf8.decode(domain) };
    } catch {
      return unknown(CapabilityCode.fqdn, raw);
    }
  },
  [CapabilityCode.role]: (r) => {
    expectLength(r, 1, 'BGP Role');
    return { kind: 'role', role: r.u8() };
  },
};

/**
 * Decodes the value of one Capabilities optional parameter (RFC 5492 4): any number
 * of capabilities, in order, duplicates kept (a peer sends one Multiprotocol per
 * family). Throws WireError (OPEN Message Error / Unspecific) when one is malformed.
 */
export function decodeCapabilities(param: Reader): Capability[] {
  const out: Capability[] = [];
  while (!param.isEmpty) {
    const code = param.u8('capability code');
    const length = param.u8('capability length');
    const raw = param.bytes(length, `value of capability ${code}`);
    const decode = decoders[code];
    if (decode === undefined) {
      out.push(unknown(code, raw));
      continue;
    }
    const value = new Reader(raw, 0, raw.length, (detail) => malformedCapability(`capability ${code}: ${detail}`));
    const cap = decode(value, raw);
    value.expectEmpty(`capability ${code}`);
    out.push(cap);
  }
  return out;
}

function checkRange(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${what} must be an integer in 0..${max}, got ${value}`);
  return value;
}

function writeString(w: Writer, text: string, what: string): void {
  const bytes = Buffer.from(text, 'utf8');
  checkRange(bytes.length, maxCapabilityValue, `${what} length in octets`);
  w.u8(bytes.length).bytes(bytes);
}

function writeValue(w: Writer, cap: Capability): number {
  switch (cap.kind) {
    case 'multiprotocol':
      w.u16(checkRange(cap.afi, 0xffff, 'AFI')).u8(0).u8(checkRange(cap.safi, 0xff, 'SAFI'));
      return CapabilityCode.multiprotocol;
    case 'route-refresh':
      return CapabilityCode.routeRefresh;
    case 'route-refresh-old':
      return CapabilityCode.routeRefreshOld;
    case 'enhanced-route-refresh':
      return CapabilityCode.enhancedRouteRefresh;
    case 'extended-message':
      return CapabilityCode.extendedMessage;
    case 'four-octet-as':
      w.u32(checkRange(cap.asn, 0xffffffff, 'AS number'));
      return CapabilityCode.fourOctetAs;
    case 'graceful-restart': {
      const flags = (cap.isRestarting ? restartFlagR : 0) | (cap.isNotificationSupported ? restartFlagN : 0);
      w.u16(flags | checkRange(cap.restartTimeSec, restartTimeMask, 'graceful restart time'));
      for (const f of cap.families) w.u16(checkRange(f.afi, 0xffff, 'AFI')).u8(checkRange(f.safi, 0xff, 'SAFI')).u8(f.isForwardingPreserved ? familyFlagF : 0);
      return CapabilityCode.gracefulRestart;
    }
    case 'long-lived-graceful-restart':
      for (const f of cap.families) {
        const stale = checkRange(f.staleTimeSec, maxStaleTimeSec, 'long-lived stale time');
        w.u16(checkRange(f.afi, 0xffff, 'AFI')).u8(checkRange(f.safi, 0xff, 'SAFI')).u8(f.isForwardingPreserved ? familyFlagF : 0);
        w.u8(stale >>> 16).u16(stale & 0xffff);
      }
      return CapabilityCode.longLivedGracefulRestart;
    case 'add-path':
      for (const f of cap.families) {
        if (!isAddPathMode(f.mode)) throw new RangeError(`ADD-PATH mode must be 1, 2 or 3, got ${String(f.mode)}`);
        w.u16(checkRange(f.afi, 0xffff, 'AFI')).u8(checkRange(f.safi, 0xff, 'SAFI')).u8(f.mode);
      }
      return CapabilityCode.addPath;
    case 'extended-next-hop':
      for (const e of cap.entries) w.u16(checkRange(e.afi, 0xffff, 'AFI')).u16(checkRange(e.safi, 0xffff, 'SAFI')).u16(checkRange(e.nextHopAfi, 0xffff, 'next hop AFI'));
      return CapabilityCode.extendedNextHop;
    case 'fqdn':
      writeString(w, cap.hostname, 'FQDN hostname');
      writeString(w, cap.domain, 'FQDN domain name');
      return CapabilityCode.fqdn;
    case 'role':
      w.u8(checkRange(cap.role, 0xff, 'BGP role'));
      return CapabilityCode.role;
    case 'unknown':
      w.bytes(cap.value);
      return checkRange(cap.code, 0xff, 'capability code');
  }
}

/**
 * Appends one capability (code, length, value) to `w`. Throws RangeError when a field
 * is out of range or the value exceeds 255 octets (e.g. ADD-PATH for 64 families).
 */
export function writeCapability(w: Writer, cap: Capability): void {
  const value = new Writer(16);
  const code = writeValue(value, cap);
  if (value.length > maxCapabilityValue) throw new RangeError(`${cap.kind} capability value of ${value.length} octets exceeds ${maxCapabilityValue}`);
  w.u8(code).u8(value.length).bytes(value.finish());
}

/** One capability as its code, length and value octets. */
export function encodeCapability(cap: Capability): Uint8Array {
  const w = new Writer(16);
  writeCapability(w, cap);
  return w.finish();
}

/** The first capability of a kind, typed by it. */
export function findCapability<K extends CapabilityKind>(caps: readonly Capability[], kind: K): Extract<Capability, { kind: K }> | undefined {
  return caps.find((c): c is Extract<Capability, { kind: K }> => c.kind === kind);
}

/** Every capability of a kind, in order. */
export function findCapabilities<K extends CapabilityKind>(caps: readonly Capability[], kind: K): Extract<Capability, { kind: K }>[] {
  return caps.filter((c): c is Extract<Capability, { kind: K }> => c.kind === kind);
}

/** The families named by Multiprotocol capabilities (RFC 4760 8). */
export function multiprotocolFamilies(caps: readonly Capability[]): FamilySet {
  const out = new Set<FamilyKey>();
  for (const c of findCapabilities(caps, 'multiprotocol')) out.add(familyKey(c.afi, c.safi));
  return out;
}
