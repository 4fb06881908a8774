// The BFD Control packet (RFC 5880 4.1) and its authentication section (4.2): decode
// with the packet checks of the reception rules (6.8.6), and encode.
// bfd depends on lib only (src/architecture.test.ts), so this codec does not use the BGP
// Reader: the packet is a fixed 24-byte layout plus one length-prefixed section, and every
// read below is checked against `Length` and the received size before it is made.

/** Diagnostic codes (RFC 5880 4.1): why the sender's session last left Up. */
export const BfdDiag = {
  none: 0,
  controlDetectionTimeExpired: 1,
  echoFunctionFailed: 2,
  neighborSignaledSessionDown: 3,
  forwardingPlaneReset: 4,
  pathDown: 5,
  concatenatedPathDown: 6,
  administrativelyDown: 7,
  reverseConcatenatedPathDown: 8,
} as const;
export type BfdDiag = (typeof BfdDiag)[keyof typeof BfdDiag];

const diagNames: Readonly<Record<number, string>> = {
  0: 'none',
  1: 'control-detection-time-expired',
  2: 'echo-function-failed',
  3: 'neighbor-signaled-session-down',
  4: 'forwarding-plane-reset',
  5: 'path-down',
  6: 'concatenated-path-down',
  7: 'administratively-down',
  8: 'reverse-concatenated-path-down',
};

/** The diag's name for logs (`diag-N` for the values RFC 5880 reserves). */
export function diagName(diag: number): string {
  return diagNames[diag] ?? `diag-${diag}`;
}

/** Session states (RFC 5880 4.1, 6.2). */
export type BfdState = 'AdminDown' | 'Down' | 'Init' | 'Up';

const stateByCode: readonly BfdState[] = ['AdminDown', 'Down', 'Init', 'Up'];
const codeByState: Readonly<Record<BfdState, number>> = { AdminDown: 0, Down: 1, Init: 2, Up: 3 };

/** Authentication types (RFC 5880 4.1 Auth Type). */
export const BfdAuthType = {
  simplePassword: 1,
  keyedMd5: 2,
  meticulousKeyedMd5: 3,
  keyedSha1: 4,
  meticulousKeyedSha1: 5,
} as const;

/** The authentication section (RFC 5880 4.2.1-4.2.3). */
export type BfdAuth =
  | { readonly type: 'simplePassword'; readonly keyId: number; readonly password: Uint8Array }
  | { readonly type: 'keyedMd5' | 'meticulousKeyedMd5' | 'keyedSha1' | 'meticulousKeyedSha1'; readonly keyId: number; readonly sequence: number; readonly digest: Uint8Array };
export type BfdAuthName = BfdAuth['type'];

/** One BFD Control packet. Intervals are in microseconds, as on the wire. */
export interface BfdControlPacket {
  readonly diag: number;
  readonly state: BfdState;
  readonly isPoll: boolean;
  readonly isFinal: boolean;
  readonly isControlPlaneIndependent: boolean;
  readonly isDemand: boolean;
  readonly detectMult: number;
  readonly myDiscriminator: number;
  /** 0 until the sender has heard from us. */
  readonly yourDiscriminator: number;
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  readonly requiredMinEchoRxUs: number;
  /** Present when the A bit is set. */
  readonly auth?: BfdAuth;
}

/** Why a received packet is discarded (RFC 5880 6.8.6, or a malformed auth section). */
export type BfdPacketFault =
  | 'truncated'
  | 'badVersion'
  | 'badLength'
  | 'zeroDetectMult'
  | 'multipoint'
  | 'zeroMyDiscriminator'
  | 'zeroYourDiscriminator'
  | 'badAuthentication';

/** A received packet that RFC 5880 6.8.6 says to discard: the fault and a detail. */
export class BfdPacketError extends Error {
  override readonly name = 'BfdPacketError';
  readonly fault: BfdPacketFault;

  constructor(fault: BfdPacketFault, detail: string) {
    super(`BFD packet discarded (${fault}): ${detail}`);
    this.fault = fault;
  }
}

/** RFC 5880 4.1: the version this codec speaks. */
export const bfdVersion = 1;
/** Length of the mandatory section. */
export const bfdHeaderLength = 24;

const flag = { poll: 0x20, final: 0x10, controlPlaneIndependent: 0x08, auth: 0x04, demand: 0x02, multipoint: 0x01 } as const;

/** Auth Len per type (RFC 5880 4.2.2, 4.2.3); simple password is 4-19 (4.2.1). */
const digestLength: Readonly<Record<number, number>> = {
  [BfdAuthType.keyedMd5]: 16,
  [BfdAuthType.meticulousKeyedMd5]: 16,
  [BfdAuthType.keyedSha1]: 20,
  [BfdAuthType.meticulousKeyedSha1]: 20,
};
const authNameByType: Readonly<Record<number, BfdAuthName>> = {
  [BfdAuthType.simplePassword]: 'simplePassword',
  [BfdAuthType.keyedMd5]: 'keyedMd5',
  [BfdAuthType.meticulousKeyedMd5]: 'meticulousKeyedMd5',
  [BfdAuthType.keyedSha1]: 'keyedSha1',
  [BfdAuthType.meticulousKeyedSha1]: 'meticulousKeyedSha1',
};

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * Decodes a UDP payload into a Control packet, applying the checks of RFC 5880 6.8.6
 * that need no session: version, Length, Detect Mult, Multipoint, My Discriminator,
 * and Your Discriminator zero only in Down or AdminDown. Bytes after `Length` are not
 * part of the packet. Throws BfdPacketError, nothing else.
 */
export function decodeBfdControl(payload: Uint8Array): BfdControlPacket {
  if (payload.length < 4) throw new BfdPacketError('truncated', `${payload.length} bytes, a packet has at least ${bfdHeaderLength}`);
  const version = payload[0]! >> 5;
  if (version !== bfdVersion) throw new BfdPacketError('badVersion', `version ${version}, expected ${bfdVersion}`);
  const flags = payload[1]!;
  const isAuth = (flags & flag.auth) !== 0;
  const length = payload[3]!;
  const minLength = isAuth ? bfdHeaderLength + 2 : bfdHeaderLength;
  if (length < minLength) throw new BfdPacketError('badLength', `Length ${length}, at least ${minLength} with the A bit ${isAuth ? 'set' : 'clear'}`);
  if (length > payload.length) throw new BfdPacketError('truncated', `Length ${length} but only ${payload.length} bytes received`);
  const detectMult = payload[2]!;
  if (detectMult === 0) throw new BfdPacketError('zeroDetectMult', 'Detect Mult is zero');
  if ((flags & flag.multipoint) !== 0) throw new BfdPacketError('multipoint', 'the Multipoint (M) bit is set');
  const myDiscriminator = u32(payload, 4);
  if (myDiscriminator === 0) throw new BfdPacketError('zeroMyDiscriminator', 'My Discriminator is zero');
  const yourDiscriminator = u32(payload, 8);
  const state = stateByCode[flags >> 6]!;
  if (yourDiscriminator === 0 && state !== 'Down' && state !== 'AdminDown') {
    throw new BfdPacketError('zeroYourDiscriminator', `Your Discriminator is zero in state ${state}`);
  }
  const packet: BfdControlPacket = {
    diag: payload[0]! & 0x1f,
    state,
    isPoll: (flags & flag.poll) !== 0,
    isFinal: (flags & flag.final) !== 0,
    isControlPlaneIndependent: (flags & flag.controlPlaneIndependent) !== 0,
    isDemand: (flags & flag.demand) !== 0,
    detectMult,
    myDiscriminator,
    yourDiscriminator,
    desiredMinTxUs: u32(payload, 12),
    requiredMinRxUs: u32(payload, 16),
    requiredMinEchoRxUs: u32(payload, 20),
  };
  return isAuth ? { ...packet, auth: decodeAuth(payload.subarray(bfdHeaderLength, length)) } : packet;
}

/** The authentication section: exactly the bytes after the mandatory section up to Length. */
function decodeAuth(section: Uint8Array): BfdAuth {
  const type = section[0]!;
  const authLen = section[1]!;
  const name = authNameByType[type];
  if (name === undefined) throw new BfdPacketError('badAuthentication', `unknown Auth Type ${type}`);
  if (authLen !== section.length) throw new BfdPacketError('badAuthentication', `Auth Len ${authLen}, but ${section.length} bytes follow the mandatory section`);
  if (name === 'simplePassword') {
    // RFC 5880 4.2.1: type, len, key id, then a password of 1 to 16 bytes.
    if (authLen < 4 || authLen > 19) throw new BfdPacketError('badAuthentication', `simple password Auth Len ${authLen}, expected 4 to 19`);
    return { type: name, keyId: section[2]!, password: section.slice(3) };
  }
  const want = 8 + digestLength[type]!;
  if (authLen !== want) throw new BfdPacketError('badAuthentication', `${name} Auth Len ${authLen}, expected ${want}`);
  // Byte 3 is Reserved: ignored on receipt (RFC 5880 4.2.2).
  return { type: name, keyId: section[2]!, sequence: u32(section, 4), digest: section.slice(8) };
}

/** Encodes a Control packet (Version 1, Multipoint 0, Length computed). */
export function encodeBfdControl(p: BfdControlPacket): Uint8Array {
  const authBytes = p.auth === undefined ? undefined : encodeAuth(p.auth);
  const length = bfdHeaderLength + (authBytes?.length ?? 0);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = (bfdVersion << 5) | (p.diag & 0x1f);
  out[1] =
    (codeByState[p.state] << 6) |
    (p.isPoll ? flag.poll : 0) |
    (p.isFinal ? flag.final : 0) |
    (p.isControlPlaneIndependent ? flag.controlPlaneIndependent : 0) |
    (authBytes === undefined ? 0 : flag.auth) |
    (p.isDemand ? flag.demand : 0);
  out[2] = p.detectMult;
  out[3] = length;
  view.setUint32(4, p.myDiscriminator);
  view.setUint32(8, p.yourDiscriminator);
  view.setUint32(12, p.desiredMinTxUs);
  view.setUint32(16, p.requiredMinRxUs);
  view.setUint32(20, p.requiredMinEchoRxUs);
  if (authBytes !== undefined) out.set(authBytes, bfdHeaderLength);
  return out;
}

function encodeAuth(a: BfdAuth): Uint8Array {
  const type = BfdAuthType[a.type];
  if (a.type === 'simplePassword') {
    const out = new Uint8Array(3 + a.password.length);
    out.set([type, out.length, a.keyId]);
    out.set(a.password, 3);
    return out;
  }
  const out = new Uint8Array(8 + a.digest.length);
  out.set([type, out.length, a.keyId, 0]);
  new DataView(out.buffer).setUint32(4, a.sequence);
  out.set(a.digest, 8);
  return out;
}
