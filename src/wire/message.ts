// Whole BGP messages: the union of every message type, and the two entry points of
// the codec, `decodeMessage` and `encodeMessage`.

import { Reader } from './reader.js';
import { readHeader, headerLength, MessageType, maxMessageLength, maxExtendedMessageLength } from './header.js';
import type { CodecContext } from './context.js';
import { decodeKeepalive, encodeKeepalive, type KeepaliveMessage } from './keepalive.js';
import { decodeNotification, encodeNotification, type NotificationMessage } from './notification.js';
import { decodeOpen, encodeOpen, type OpenMessage } from './open.js';
import { decodeUpdate, encodeUpdate, type UpdateMessage } from './update.js';
import { decodeRouteRefresh, encodeRouteRefresh, type RouteRefreshMessage } from './route-refresh.js';
import { WireError, NotifyCode, HeaderSubcode } from './errors.js';

export type Message = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;
export type MessageKind = Message['type'];

/** The largest message the context allows. OPEN and KEEPALIVE stay within 4096 (RFC 8654 4). */
export function maxLength(ctx: CodecContext): number {
  return ctx.isExtendedMessage ? maxExtendedMessageLength : maxMessageLength;
}

/**
 * Decodes one whole message (header included). Throws WireError for anything the
 * RFCs treat as an error that resets the session; tolerated UPDATE faults are in
 * `UpdateMessage.faults`.
 */
export function decodeMessage(bytes: Uint8Array, ctx: CodecContext): Message {
  if (bytes.length < headerLength) throw new WireError(NotifyCode.messageHeader, HeaderSubcode.badMessageLength, `message of ${bytes.length} bytes is shorter than a header`);
  const header = readHeader(bytes, 0, maxLength(ctx));
  if (header.length !== bytes.length) throw new WireError(NotifyCode.messageHeader, HeaderSubcode.badMessageLength, `header says ${header.length} bytes, got ${bytes.length}`);
  const body = new Reader(bytes, headerLength, header.length);
  switch (header.type) {
    case MessageType.open:
      return decodeOpen(body, ctx);
    case MessageType.update:
      return decodeUpdate(body, ctx);
    case MessageType.notification:
      return decodeNotification(body);
    case MessageType.keepalive:
      return decodeKeepalive(body);
    case MessageType.routeRefresh:
      return decodeRouteRefresh(body);
    default:
      // readHeader already rejected unknown types.
      throw new WireError(NotifyCode.messageHeader, HeaderSubcode.badMessageType, `unknown message type ${header.type}`, Uint8Array.of(header.type));
  }
}

/** Encodes one message, header included. Throws RangeError if it exceeds the limit. */
export function encodeMessage(msg: Message, ctx: CodecContext): Uint8Array {
  switch (msg.type) {
    case 'open':
      return encodeOpen(msg, ctx);
    case 'update':
      return encodeUpdate(msg, ctx);
    case 'notification':
      return encodeNotification(msg);
    case 'keepalive':
      return encodeKeepalive();
    case 'route-refresh':
      return encodeRouteRefresh(msg);
  }
}
