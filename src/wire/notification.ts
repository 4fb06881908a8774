// NOTIFICATION (RFC 4271 4.5), with the shutdown communication of RFC 9003: a Cease
// with subcode Administrative Shutdown or Administrative Reset may carry a UTF-8
// message of up to 255 octets, prefixed by its length.

import { beginMessage, endMessage, MessageType, maxMessageLength } from './header.js';
import type { Reader } from './reader.js';
import { CeaseSubcode, NotifyCode, describeNotify } from './errors.js';

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

/** RFC 9003 2: the communication is at most 255 octets of UTF-8. */
export const maxShutdownCommunication = 255;

function carriesCommunication(code: number, subcode: number): boolean {
  return code === NotifyCode.cease && (subcode === CeaseSubcode.administrativeShutdown || subcode === CeaseSubcode.administrativeReset);
}

export function decodeNotification(body: Reader): NotificationMessage {
  const code = body.u8('error code');
  const subcode = body.u8('error subcode');
  // The data runs to the end of the message; nothing after it can be malformed.
  const data = body.copy(body.remaining, 'data');
  return { type: 'notification', code, subcode, data };
}

export function encodeNotification(msg: NotificationMessage): Uint8Array {
  const w = beginMessage(MessageType.notification, 21 + msg.data.length);
  w.u8(msg.code).u8(msg.subcode).bytes(msg.data);
  return endMessage(w, maxMessageLength);
}

/** Cuts UTF-8 text to at most `max` octets without splitting a character. */
function truncateUtf8(text: string, max: number): Uint8Array {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return bytes;
  let end = max;
  // Step back over continuation bytes (10xxxxxx) so a multi-byte character is not cut.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** A Cease NOTIFICATION, with a shutdown communication when the subcode allows one. */
export function ceaseNotification(subcode: number, communication = ''): NotificationMessage {
  if (communication === '' || !carriesCommunication(NotifyCode.cease, subcode)) {
    return { type: 'notification', code: NotifyCode.cease, subcode, data: new Uint8Array(0) };
  }
  const text = truncateUtf8(communication, maxShutdownCommunication);
  const data = new Uint8Array(1 + text.length);
  data[0] = text.length;
  data.set(text, 1);
  return { type: 'notification', code: NotifyCode.cease, subcode, data };
}

/**
 * The shutdown communication of a Cease, if it has a well-formed one (RFC 9003 2).
 * A malformed one yields undefined; RFC 9003 5 says to log it as hex instead.
 */
export function shutdownCommunication(msg: NotificationMessage): string | undefined {
  if (!carriesCommunication(msg.code, msg.subcode) || msg.data.length === 0) return undefined;
  const len = msg.data[0]!;
  if (len + 1 > msg.data.length) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(msg.data.subarray(1, 1 + len));
  } catch {
    return undefined;
  }
}

/** One line for logs: names, communication or hex data. */
export function describeNotification(msg: NotificationMessage): string {
  const base = describeNotify(msg.code, msg.subcode);
  const comm = shutdownCommunication(msg);
  if (comm !== undefined) return `${base}: "${comm}"`;
  return msg.data.length > 0 ? `${base} (data ${Buffer.from(msg.data).toString('hex')})` : base;
}
