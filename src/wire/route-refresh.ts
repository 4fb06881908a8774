// ROUTE-REFRESH (RFC 2918), with the demarcation subtypes of Enhanced Route Refresh
// (RFC 7313 3): 0 normal request, 1 Beginning of RIB refresh, 2 End of RIB refresh.

import type { Reader } from './reader.js';
import { beginMessage, endMessage, headerLength, MessageType, maxExtendedMessageLength, maxMessageLength } from './header.js';
import { WireError, NotifyCode, RouteRefreshSubcode } from './errors.js';

export const RefreshSubtype = { request: 0, beginning: 1, end: 2 } as const;
export type RefreshSubtype = (typeof RefreshSubtype)[keyof typeof RefreshSubtype];

export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly afi: number;
  readonly safi: number;
  readonly subtype: number;
}

/** AFI (2), subtype (1), SAFI (1): the only body RFC 2918 3 and RFC 7313 3 allow. */
export const routeRefreshBodyLength = 4;
/** Header, error code and subcode of a NOTIFICATION. */
const notificationOverhead = headerLength + 2;

/**
 * Decodes a ROUTE-REFRESH body (after the header). A body of another length is a
 * ROUTE-REFRESH Message Error / Invalid Message Length whose data is the complete
 * message (RFC 7313 5); the header is rebuilt, readHeader having checked it. An
 * unknown subtype is returned as is: RFC 7313 3 says to ignore the message, which is
 * the session's call.
 */
export function decodeRouteRefresh(body: Reader): RouteRefreshMessage {
  if (body.remaining !== routeRefreshBodyLength) {
    const length = headerLength + body.remaining;
    const w = beginMessage(MessageType.routeRefresh, length);
    w.bytes(body.rest());
    // Cut to what a 4096-octet NOTIFICATION can carry (encodeNotification's limit).
    const data = endMessage(w, maxExtendedMessageLength).slice(0, maxMessageLength - notificationOverhead);
    throw new WireError(NotifyCode.routeRefresh, RouteRefreshSubcode.invalidMessageLength, `ROUTE-REFRESH of ${length} octets`, data);
  }
  const afi = body.u16('AFI');
  const subtype = body.u8('subtype');
  const safi = body.u8('SAFI');
  return { type: 'route-refresh', afi, safi, subtype };
}

/** Encodes a ROUTE-REFRESH, header included. Throws RangeError for out-of-range fields. */
export function encodeRouteRefresh(msg: RouteRefreshMessage): Uint8Array {
  for (const [name, value, max] of [['AFI', msg.afi, 0xffff], ['SAFI', msg.safi, 0xff], ['subtype', msg.subtype, 0xff]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`ROUTE-REFRESH ${name} must be an integer in 0..${max}, got ${value}`);
  }
  const w = beginMessage(MessageType.routeRefresh, headerLength + routeRefreshBodyLength);
  w.u16(msg.afi).u8(msg.subtype).u8(msg.safi);
  return endMessage(w, maxMessageLength);
}
