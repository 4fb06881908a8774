// The shape of one path attribute row (RFC 4271 4.3, 5) and its RFC 7606 handling:
// every attribute module exports rows of this shape, attributes/table.ts indexes them
// by type code and runs them.

import type { Reader, OverrunError } from '../reader.js';
import type { Writer } from '../writer.js';
import type { CodecContext, FamilyKey } from '../context.js';
import { WireError, ErrorAction, NotifyCode, UpdateSubcode } from '../errors.js';
import type { Aggregator, AsPathSegment, PathAttributes, UnknownAttribute } from './types.js';

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** PathAttributes while being filled: fields and the lists rows append to are writable. */
export type DraftAttributes = Omit<Mutable<PathAttributes>, 'unknown' | 'partial'> & { unknown?: UnknownAttribute[]; partial?: number[] };

/** What rows fill while one UPDATE's attributes are decoded. */
export class AttributeDraft {
  readonly attrs: DraftAttributes = {};
  /** AS4_PATH / AS4_AGGREGATOR of a 2-octet session, merged after the loop (RFC 6793 4.2.3). */
  as4Path: AsPathSegment[] | undefined = undefined;
  as4Aggregator: Aggregator | undefined = undefined;
  /** Families whose MP attribute was malformed past its AFI/SAFI (RFC 4760 7). */
  disabledFamilies: FamilyKey[] | undefined = undefined;
  /** Tolerated faults so far, and the strongest of their actions (RFC 7606 3.h). */
  faults: WireError[] | undefined = undefined;
  action: ErrorAction | undefined = undefined;

  /** Records a fault; one that calls for a session reset is thrown at once. */
  note(fault: WireError): void {
    if (fault.action === ErrorAction.sessionReset) throw fault;
    (this.faults ??= []).push(fault);
    if (this.action === undefined || fault.action > this.action) this.action = fault.action;
  }
}

/**
 * One path attribute: its type code, the Optional/Transitive bits it must carry, how it
 * decodes and encodes, and what RFC 7606 does when it is malformed.
 */
export interface AttributeRow {
  readonly typeCode: number;
  /** The RFC's name, for messages. */
  readonly name: string;
  /** The expected Optional and Transitive bits (RFC 4271 5). */
  readonly flags: number;
  /** RFC 7606 action for a malformed value (section 7 per attribute). */
  readonly action: ErrorAction;
  /** RFC 7606 3.c: treat-as-withdraw unless the attribute's own rules say otherwise. */
  readonly flagsAction: ErrorAction;
  /**
   * Reads the whole value from `r` (exactly the attribute's bytes) into `into`. Throws a
   * WireError for a malformed value; the table applies the stronger of the error's and
   * the row's action, so rows raise at the weakest action unless they need more.
   */
  decode(r: Reader, ctx: CodecContext, flags: number, into: AttributeDraft): void;
  /** The value's length in octets for `attrs` under `ctx`, or -1 when there is nothing to send. */
  valueLength(attrs: PathAttributes, ctx: CodecContext): number;
  /** Writes the value (exactly `valueLength` octets); called only when that is >= 0. */
  encode(attrs: PathAttributes, w: Writer, ctx: CodecContext): void;
}

/**
 * A malformed attribute value. The action defaults to the weakest because the table
 * raises it to the row's own (RFC 7606 section 7); pass a stronger one to go beyond.
 */
export function malformed(subcode: number, detail: string, action: ErrorAction = ErrorAction.attributeDiscard): WireError {
  return new WireError(NotifyCode.updateMessage, subcode, detail, new Uint8Array(0), action);
}

/** The overrun of a value reader: the value is shorter than its content says. */
export const valueOverrun: OverrunError = (detail) => malformed(UpdateSubcode.attributeLengthError, detail);

/** Throws unless the value has exactly `expected` octets. */
export function expectLength(r: Reader, expected: number, name: string): void {
  if (r.remaining !== expected) throw malformed(UpdateSubcode.attributeLengthError, `${name} of length ${r.remaining}, expected ${expected}`);
}

/** Throws unless the value is a non-zero multiple of `unit` octets (RFC 7606 7.8, 7.10, 7.14). */
export function expectMultiple(r: Reader, unit: number, name: string): void {
  const n = r.remaining;
  if (n === 0 || n % unit !== 0) throw malformed(UpdateSubcode.attributeLengthError, `${name} of length ${n}, expected a non-zero multiple of ${unit}`);
}
