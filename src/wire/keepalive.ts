// KEEPALIVE (RFC 4271 4.4): a header and nothing else.

import { beginMessage, endMessage, MessageType, maxMessageLength } from './header.js';
import type { Reader } from './reader.js';
import { WireError, NotifyCode, HeaderSubcode } from './errors.js';

export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

export const keepalive: KeepaliveMessage = { type: 'keepalive' };

/** Decodes the body (after the header), which must be empty. */
export function decodeKeepalive(body: Reader): KeepaliveMessage {
  body.expectEmpty('KEEPALIVE header', () => new WireError(NotifyCode.messageHeader, HeaderSubcode.badMessageLength, 'KEEPALIVE with a body'));
  return keepalive;
}

const encoded = endMessage(beginMessage(MessageType.keepalive), maxMessageLength);

/** The 19 bytes of a KEEPALIVE (a fresh copy each call). */
export function encodeKeepalive(): Uint8Array {
  return encoded.slice();
}
