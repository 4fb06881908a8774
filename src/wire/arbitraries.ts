// fast-check arbitraries for valid OPEN, NOTIFICATION, KEEPALIVE and ROUTE-REFRESH
// messages and their capabilities, for property tests. Every value generated encodes
// within its limits and decodes back to an equal object.

import fc from 'fast-check';
import { AddPathMode, CapabilityCode, type Capability } from './capability-types.js';
import type { OpenMessage } from './open.js';
import { ceaseNotification, type NotificationMessage } from './notification.js';
import { keepalive, type KeepaliveMessage } from './keepalive.js';
import type { RouteRefreshMessage } from './route-refresh.js';
import { CeaseSubcode } from './errors.js';

export type NonUpdateMessage = OpenMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

/** Plain objects (fast-check's default null prototype would fail deepStrictEqual). */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
/** Mostly the families in use, sometimes any number. */
export const arbAfi = fc.oneof(fc.constantFrom(1, 2), u16);
export const arbSafi = fc.oneof(fc.constantFrom(1, 2, 4, 128), u8);

const knownCodes = new Set<number>(Object.values(CapabilityCode));
const arbUnknownCode = u8.filter((c) => !knownCodes.has(c));

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

export const arbCapability: fc.Arbitrary<Capability> = fc.oneof(
  record({ kind: fc.constant('multiprotocol' as const), afi: arbAfi, safi: arbSafi }),
  fc.constantFrom<Capability>({ kind: 'route-refresh' }, { kind: 'route-refresh-old' }, { kind: 'enhanced-route-refresh' }, { kind: 'extended-message' }),
  record({ kind: fc.constant('four-octet-as' as const), asn: fc.integer({ min: 0, max: 0xffffffff }) }),
  record({
    kind: fc.constant('graceful-restart' as const),
    isRestarting: fc.boolean(),
    isNotificationSupported: fc.boolean(),
    restartTimeSec: fc.integer({ min: 0, max: 0xfff }),
    families: fc.array(record({ afi: arbAfi, safi: arbSafi, isForwardingPreserved: fc.boolean() }), { maxLength: 63 }),
  }),
  record({
    kind: fc.constant('long-lived-graceful-restart' as const),
    families: fc.array(record({ afi: arbAfi, safi: arbSafi, isForwardingPreserved: fc.boolean(), staleTimeSec: fc.integer({ min: 0, max: 0xffffff }) }), { maxLength: 36 }),
  }),
  record({
    kind: fc.constant('add-path' as const),
    families: fc.array(record({ afi: arbAfi, safi: arbSafi, mode: fc.constantFrom<AddPathMode>(AddPathMode.receive, AddPathMode.send, AddPathMode.both) }), { maxLength: 63 }),
  }),
  record({
    kind: fc.constant('extended-next-hop' as const),
    entries: fc.array(record({ afi: arbAfi, safi: u16, nextHopAfi: arbAfi }), { maxLength: 42 }),
  }),
  record({ kind: fc.constant('fqdn' as const), hostname: fc.string({ unit: 'binary', maxLength: 40 }), domain: fc.string({ unit: 'binary', maxLength: 40 }) }).filter((c) => utf8Length(c.hostname) + utf8Length(c.domain) + 2 <= 255),
  record({ kind: fc.constant('role' as const), role: u8 }),
  record({ kind: fc.constant('unknown' as const), code: arbUnknownCode, value: fc.uint8Array({ maxLength: 255 }) }),
);

/** Capabilities near the 255-octet value limit, so that OPENs often need RFC 9072. */
export const arbLargeCapability: fc.Arbitrary<Capability> = fc.oneof(
  record({ kind: fc.constant('unknown' as const), code: arbUnknownCode, value: fc.uint8Array({ minLength: 128, maxLength: 255 }) }),
  record({
    kind: fc.constant('add-path' as const),
    families: fc.array(record({ afi: arbAfi, safi: arbSafi, mode: fc.constantFrom<AddPathMode>(AddPathMode.receive, AddPathMode.send, AddPathMode.both) }), { minLength: 32, maxLength: 63 }),
  }),
);

/** At most 12 capabilities of at most 257 octets each: an OPEN stays within 4096. */
export const arbCapabilities = fc.array(fc.oneof({ weight: 4, arbitrary: arbCapability }, { weight: 1, arbitrary: arbLargeCapability }), { maxLength: 12 });

export const arbBgpId = fc.uint8Array({ minLength: 4, maxLength: 4 }).filter((b) => b.some((x) => x !== 0));

export const arbOpen: fc.Arbitrary<OpenMessage> = record({
  type: fc.constant('open' as const),
  version: fc.constant(4),
  myAs: u16,
  // RFC 4271 6.2: 0, or at least 3 seconds.
  holdTime: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 0xffff })),
  bgpId: arbBgpId,
  capabilities: arbCapabilities,
});

export const arbNotification: fc.Arbitrary<NotificationMessage> = fc.oneof(
  record({ type: fc.constant('notification' as const), code: u8, subcode: u8, data: fc.uint8Array({ maxLength: 300 }) }),
  fc
    .tuple(fc.constantFrom(CeaseSubcode.administrativeShutdown, CeaseSubcode.administrativeReset), fc.string({ unit: 'binary', maxLength: 100 }))
    .map(([subcode, text]) => ceaseNotification(subcode, text)),
);

export const arbKeepalive: fc.Arbitrary<KeepaliveMessage> = fc.constant(keepalive);

export const arbRouteRefresh: fc.Arbitrary<RouteRefreshMessage> = record({
  type: fc.constant('route-refresh' as const),
  afi: arbAfi,
  safi: arbSafi,
  subtype: fc.oneof(fc.constantFrom(0, 1, 2), u8),
});

export const arbNonUpdateMessage: fc.Arbitrary<NonUpdateMessage> = fc.oneof(arbOpen, arbNotification, arbKeepalive, arbRouteRefresh);
