// The tsbgp library: what programs embedding tsbgp import. The codec first
// (decodeMessage / encodeMessage and every message and attribute type), then the
// session layer for programs that hold their own BGP sessions.

export { decodeMessage, encodeMessage, maxLength, type Message, type MessageKind } from './wire/message.js';
export { defaultContext, as4Context, familyKey, familyOf, familyName, type CodecContext, type FamilyKey } from './wire/context.js';
export {
  WireError,
  ErrorAction,
  NotifyCode,
  HeaderSubcode,
  OpenSubcode,
  UpdateSubcode,
  FsmSubcode,
  CeaseSubcode,
  RouteRefreshSubcode,
  describeNotify,
} from './wire/errors.js';
export { MessageType, headerLength, maxMessageLength, maxExtendedMessageLength } from './wire/header.js';
export { Framer } from './wire/framer.js';
export { Reader } from './wire/reader.js';
export { Writer } from './wire/writer.js';
export { NlriList, type Nlri, type RawNlriVisitor } from './wire/nlri.js';
export { decodeOpen, encodeOpen, type OpenMessage } from './wire/open.js';
export { CapabilityCode, AddPathMode, type Capability, type CapabilityKind } from './wire/capability-types.js';
export { findCapability, findCapabilities, multiprotocolFamilies } from './wire/capabilities.js';
export {
  decodeUpdate,
  encodeUpdate,
  makeUpdate,
  endOfRib,
  endOfRibFamily,
  packUpdates,
  packWithdrawals,
  prepareForSending,
  type UpdateMessage,
} from './wire/update.js';
export { keepalive, encodeKeepalive, type KeepaliveMessage } from './wire/keepalive.js';
export {
  ceaseNotification,
  shutdownCommunication,
  describeNotification,
  type NotificationMessage,
} from './wire/notification.js';
export { RefreshSubtype, type RouteRefreshMessage } from './wire/route-refresh.js';
export * from './wire/attributes/types.js';
export * from './lib/address.js';
export { systemClock, ManualClock, type Clock, type Cancel, type Random } from './lib/clock.js';
export { createLogger, silentLogger, type Logger, type LogLevel, type LogFormat } from './lib/logger.js';
export { Session, type SessionConfig, type SessionDeps, type SessionState } from './session/session.js';
export { listen, type Listener } from './session/listener.js';
export { tcpConnector, type Transport, type Connector } from './session/transport.js';
export type { UpdateSink, PeerInfo } from './rib/sink.js';
