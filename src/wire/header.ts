// The BGP message header (RFC 4271 4.1): marker, length, type; and the size limits
// (4096 octets, 65535 with Extended Message, RFC 8654).

import { WireError, NotifyCode, HeaderSubcode } from './errors.js';
import { Writer } from './writer.js';

export const MessageType = {
  open: 1,
  update: 2,
  notification: 3,
  keepalive: 4,
  routeRefresh: 5,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

export const headerLength = 19;
export const markerLength = 16;
export const maxMessageLength = 4096;
export const maxExtendedMessageLength = 65535;

/** Smallest valid length per message type (RFC 4271 6.1, RFC 2918 3). */
export const minLengthByType: Readonly<Record<number, number>> = {
  [MessageType.open]: 29,
  [MessageType.update]: 23,
  [MessageType.notification]: 21,
  [MessageType.keepalive]: 19,
  [MessageType.routeRefresh]: 23,
};

export interface Header {
  readonly length: number;
  readonly type: number;
}

const lengthError = (len: number, detail: string): WireError => {
  const data = new Uint8Array(2);
  new DataView(data.buffer).setUint16(0, len);
  return new WireError(NotifyCode.messageHeader, HeaderSubcode.badMessageLength, detail, data);
};

/**
 * Checks the header at `offset` (19 bytes must be present) and returns it.
 * RFC 4271 6.1: marker not all ones, length out of range for the type, or an unknown
 * type are Message Header Errors; the data is the bad length or type.
 */
export function readHeader(buf: Uint8Array, offset: number, maxLength: number): Header {
  for (let i = 0; i < markerLength; i++) {
    if (buf[offset + i] !== 0xff) throw new WireError(NotifyCode.messageHeader, HeaderSubcode.connectionNotSynchronized, 'marker is not all ones');
  }
  const length = (buf[offset + 16]! << 8) | buf[offset + 17]!;
  const type = buf[offset + 18]!;
  if (length < headerLength || length > maxLength) throw lengthError(length, `length ${length} outside ${headerLength}..${maxLength}`);
  const min = minLengthByType[type];
  if (min === undefined) throw new WireError(NotifyCode.messageHeader, HeaderSubcode.badMessageType, `unknown message type ${type}`, Uint8Array.of(type));
  if (length < min) throw lengthError(length, `length ${length} too short for message type ${type}`);
  // KEEPALIVE has a fixed length (RFC 4271 4.4).
  if (type === MessageType.keepalive && length !== headerLength) throw lengthError(length, `KEEPALIVE of length ${length}`);
  return { length, type };
}

/** Starts a message: marker and type written, length to be back-filled by `endMessage`. */
export function beginMessage(type: MessageTypeCode, sizeHint = 64): Writer {
  const w = new Writer(sizeHint);
  for (let i = 0; i < markerLength; i++) w.u8(0xff);
  w.u16(0);
  w.u8(type);
  return w;
}

/** Back-fills the length; throws if the message exceeds `maxLength`. */
export function endMessage(w: Writer, maxLength: number): Uint8Array {
  if (w.length > maxLength) throw new RangeError(`message of ${w.length} octets exceeds the ${maxLength}-octet limit`);
  w.patchU16(markerLength, w.length);
  return w.finish();
}
