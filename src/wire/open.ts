// OPEN (RFC 4271 4.2, checks of 6.2) with optional parameters (RFC 5492) and the Extended
// Optional Parameters Length of RFC 9072. Only the Capabilities parameter is supported.

import type { Capability } from './capability-types.js';
import type { CodecContext } from './context.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';
import { beginMessage, endMessage, MessageType, maxMessageLength } from './header.js';
import { WireError, NotifyCode, OpenSubcode } from './errors.js';
import { decodeCapabilities, writeCapability } from './capabilities.js';

export interface OpenMessage {
  readonly type: 'open';
  readonly version: number;
  /** The 2-octet "My Autonomous System" field: AS_TRANS (23456) for a 4-octet AS. */
  readonly myAs: number;
  readonly holdTime: number;
  /** BGP Identifier, 4 bytes. */
  readonly bgpId: Uint8Array;
  /**
   * Every capability of every Capabilities parameter, in order. How a peer grouped
   * them into parameters is not kept: encodeOpen writes them all into one.
   */
  readonly capabilities: readonly Capability[];
}

export const bgpVersion = 4;
/** RFC 5492 4: the optional parameter that carries capabilities. */
export const capabilitiesParameter = 2;
/** RFC 9072 2: Non-Ext OP Type marking the extended encoding (and its Non-Ext OP Len). */
export const extendedParametersMarker = 255;
/** Octets of a parameter value the 1-octet length can say. */
const maxParameterValue = 255;

const unspecific = (detail: string): WireError => new WireError(NotifyCode.openMessage, OpenSubcode.unspecific, detail);

/**
 * Decodes an OPEN body (after the header). Checks what needs no configuration
 * (RFC 4271 6.2): version 4, hold time 0 or at least 3, a non-zero BGP Identifier
 * (RFC 6286 2), only Capabilities parameters. The peer AS is the session's to check.
 * Structure faults (lengths that do not add up) are OPEN Message Error / Unspecific.
 */
export function decodeOpen(body: Reader, _ctx: CodecContext): OpenMessage {
  const r = body.take(body.remaining, 'OPEN', (detail) => unspecific(`OPEN: ${detail}`));
  const version = r.u8('version');
  if (version !== bgpVersion) {
    // The data is the largest version we support (RFC 4271 6.2).
    throw new WireError(NotifyCode.openMessage, OpenSubcode.unsupportedVersion, `version ${version}`, Uint8Array.of(0, bgpVersion));
  }
  const myAs = r.u16('my autonomous system');
  const holdTime = r.u16('hold time');
  if (holdTime === 1 || holdTime === 2) throw new WireError(NotifyCode.openMessage, OpenSubcode.unacceptableHoldTime, `hold time ${holdTime}`);
  const bgpId = r.copy(4, 'BGP identifier');
  if (bgpId.every((b) => b === 0)) throw new WireError(NotifyCode.openMessage, OpenSubcode.badBgpIdentifier, 'BGP identifier 0.0.0.0');
  const params = readParameters(r);
  return { type: 'open', version, myAs, holdTime, bgpId, capabilities: params };
}

function readParameters(r: Reader): Capability[] {
  const length = r.u8('optional parameters length');
  // RFC 9072 2: a non-zero Non-Ext OP Len followed by type 255 means the extended
  // encoding, whatever that length says.
  const isExtended = length !== 0 && r.remaining > 0 && r.peek() === extendedParametersMarker;
  let params: Reader;
  if (isExtended) {
    r.skipBytes(1);
    params = r.take(r.u16('extended optional parameters length'), 'optional parameters');
  } else {
    params = r.take(length, 'optional parameters');
  }
  r.expectEmpty('optional parameters');
  const capabilities: Capability[] = [];
  while (!params.isEmpty) {
    const type = params.u8('parameter type');
    const size = isExtended ? params.u16('parameter length') : params.u8('parameter length');
    const value = params.take(size, `parameter ${type}`);
    if (type !== capabilitiesParameter) {
      throw new WireError(NotifyCode.openMessage, OpenSubcode.unsupportedOptionalParameter, `optional parameter type ${type}`);
    }
    capabilities.push(...decodeCapabilities(value));
  }
  return capabilities;
}

/**
 * Encodes an OPEN, header included. The capabilities go into one Capabilities
 * parameter; past 255 octets of parameters the RFC 9072 encoding is used (RFC 9072 2
 * says to keep the RFC 4271 one otherwise). An OPEN stays within 4096 octets even with
 * Extended Message (RFC 8654 4). Throws RangeError for out-of-range fields.
 */
export function encodeOpen(msg: OpenMessage, _ctx: CodecContext): Uint8Array {
  if (msg.bgpId.length !== 4) throw new RangeError(`BGP identifier must be 4 bytes, got ${msg.bgpId.length}`);
  for (const [name, value, max] of [['version', msg.version, 0xff], ['my AS', msg.myAs, 0xffff], ['hold time', msg.holdTime, 0xffff]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`OPEN ${name} must be an integer in 0..${max}, got ${value}`);
  }
  const caps = new Writer(64);
  for (const cap of msg.capabilities) writeCapability(caps, cap);
  const w = beginMessage(MessageType.open, 64 + caps.length);
  w.u8(msg.version).u16(msg.myAs).u16(msg.holdTime).bytes(msg.bgpId);
  if (caps.length === 0) {
    w.u8(0);
  } else if (caps.length + 2 <= maxParameterValue) {
    w.u8(caps.length + 2).u8(capabilitiesParameter).u8(caps.length).bytes(caps.finish());
  } else {
    w.u8(extendedParametersMarker).u8(extendedParametersMarker).u16(caps.length + 3);
    w.u8(capabilitiesParameter).u16(caps.length).bytes(caps.finish());
  }
  return endMessage(w, maxMessageLength);
}
