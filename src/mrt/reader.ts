// Reading MRT files as a stream (RFC 6396 2): the common header's length frames each
// record, so memory stays that of one record whatever the file's size. gzip input is
// inflated with node:zlib, bzip2 input by a `bzip2 -dc` child process. A record that
// does not decode is reported with its offset and reading goes on with the next one; a
// file cut in the middle ends with a report of where.

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { WireError } from '../wire/errors.js';
import { decodeRecord, type DecodeState } from './decode.js';
import { MrtError, MrtType, type MrtFault, type MrtHeader, type MrtRecord } from './types.js';

/** Common header octets (RFC 6396 2); the _ET types add 4 of microseconds (RFC 6396 3). */
export const headerLength = 12;
/**
 * Longest record body accepted. RFC 6396 allows 2^32-1 octets, but no dumper writes a
 * record near this (a BGP message is at most 65535 octets, a RIB record holds one
 * prefix): a longer length means a corrupt header, past which nothing can be framed.
 */
export const maxRecordLength = 16 * 1024 * 1024;

/** One record's header and body bytes, before decoding. */
export interface RawRecord {
  readonly header: MrtHeader;
  /** The body (after the microseconds of an _ET type); valid until the next record. */
  readonly body: Uint8Array;
}

function isEt(type: number): boolean {
  return type === MrtType.bgp4mpEt;
}

/**
 * Cuts a byte stream into records, one batch per chunk read (a batch per record would
 * spend more time in async iteration than in decoding). Yields a non-recoverable fault
 * and stops when the stream ends inside a record or a header gives an impossible length.
 */
export async function* frameBatches(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<(RawRecord | MrtFault)[]> {
  let buf: Uint8Array = new Uint8Array(0);
  let pos = 0;
  let base = 0;
  for await (const chunk of chunks) {
    if (pos < buf.length) {
      const joined = new Uint8Array(buf.length - pos + chunk.length);
      joined.set(buf.subarray(pos));
      joined.set(chunk, buf.length - pos);
      buf = joined;
    } else {
      buf = chunk;
    }
    base += pos;
    pos = 0;
    const batch: (RawRecord | MrtFault)[] = [];
    for (;;) {
      const left = buf.length - pos;
      if (left < headerLength) break;
      const type = (buf[pos + 4]! << 8) | buf[pos + 5]!;
      const length = ((buf[pos + 8]! << 24) | (buf[pos + 9]! << 16) | (buf[pos + 10]! << 8) | buf[pos + 11]!) >>> 0;
      if (length > maxRecordLength) {
        batch.push({ kind: 'fault', offset: base + pos, message: `record header gives a length of ${length} octets (more than ${maxRecordLength}): corrupt header, nothing after it can be framed`, isRecoverable: false });
        yield batch;
        return;
      }
      if (left < headerLength + length) break;
      const timestamp = ((buf[pos]! << 24) | (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!) >>> 0;
      const subtype = (buf[pos + 6]! << 8) | buf[pos + 7]!;
      const offset = base + pos;
      let bodyStart = pos + headerLength;
      let header: MrtHeader;
      if (isEt(type)) {
        // RFC 6396 3: the microseconds count in the length.
        if (length < 4) {
          batch.push({ kind: 'fault', offset, message: `BGP4MP_ET record of length ${length} has no room for its microseconds`, isRecoverable: true });
          pos += headerLength + length;
          continue;
        }
        const microseconds = ((buf[bodyStart]! << 24) | (buf[bodyStart + 1]! << 16) | (buf[bodyStart + 2]! << 8) | buf[bodyStart + 3]!) >>> 0;
        bodyStart += 4;
        header = { timestamp, type, subtype, microseconds, offset };
      } else {
        header = { timestamp, type, subtype, offset };
      }
      const end = pos + headerLength + length;
      pos = end;
      batch.push({ header, body: buf.subarray(bodyStart, end) });
    }
    if (batch.length > 0) yield batch;
  }
  const left = buf.length - pos;
  if (left > 0) {
    const what = left < headerLength ? `${left} octets, less than a record header` : `a record of ${headerLength + (((buf[pos + 8]! << 24) | (buf[pos + 9]! << 16) | (buf[pos + 10]! << 8) | buf[pos + 11]!) >>> 0)} octets of which ${left} are present`;
    yield [{ kind: 'fault', offset: base + pos, message: `file ends inside a record: ${what}`, isRecoverable: false }];
  }
}

/** `frameBatches` one record at a time. */
export async function* frameRecords(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<RawRecord | MrtFault> {
  for await (const batch of frameBatches(chunks)) yield* batch;
}

function faultText(e: unknown): string {
  if (e instanceof WireError && e.code === 0) return e.message.slice(e.message.indexOf(': ') + 2);
  return e instanceof Error ? e.message : String(e);
}

/**
 * Decodes framed records, batch by batch. A record whose body does not decode becomes a
 * recoverable fault naming its offset, type and subtype; the next record is read as usual.
 */
export async function* decodeBatches(raw: AsyncIterable<(RawRecord | MrtFault)[]>): AsyncGenerator<(MrtRecord | MrtFault)[]> {
  const state: DecodeState = { peers: undefined };
  for await (const batch of raw) {
    const out: (MrtRecord | MrtFault)[] = new Array<MrtRecord | MrtFault>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i]!;
      if ('kind' in item) {
        out[i] = item;
        continue;
      }
      try {
        out[i] = decodeRecord(item.header, item.body, state);
      } catch (e) {
        if (!(e instanceof MrtError) && !(e instanceof WireError)) throw e;
        out[i] = { kind: 'fault', offset: item.header.offset, message: `record of type ${item.header.type} subtype ${item.header.subtype}, ${item.body.length + headerLength} octets: ${faultText(e)}`, isRecoverable: true };
      }
    }
    yield out;
  }
}

/** How a file's bytes are packed, told by its first octets. */
export type Compression = 'none' | 'gzip' | 'bzip2';

export function compressionOf(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 3 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  return 'none';
}

/** Where a decompressor stopped short: reported as a fault after the records it gave. */
class StreamEnd {
  constructor(readonly message: string) {}
}

/** A Readable's chunks; an error of the stream ends the iteration with a StreamEnd. */
async function* chunksOf(stream: Readable, onEnd: (end: StreamEnd) => void, what: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (e) {
    onEnd(new StreamEnd(`${what}: ${e instanceof Error ? e.message : String(e)}`));
  }
}

/** Options of `readMrtFile`. */
export interface ReadOptions {
  /** The bzip2 program (default "bzip2" on the PATH). */
  readonly bzip2Command?: string;
}

/**
 * Every record of an MRT file, plain, gzip or bzip2, as an async iterator over one read
 * chunk's records at a time. Faults come in line with the records, at their place.
 */
export async function* readMrtBatches(path: string, options: ReadOptions = {}): AsyncGenerator<(MrtRecord | MrtFault)[]> {
  const handle = await open(path, 'r');
  const head = new Uint8Array(4);
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  const compression = compressionOf(head);
  let end: StreamEnd | undefined;
  const setEnd = (e: StreamEnd): void => {
    end ??= e;
  };
  let source: AsyncIterable<Uint8Array>;
  let child: ReturnType<typeof spawn> | undefined;
  let childExit: Promise<void> | undefined;
  if (compression === 'gzip') {
    source = chunksOf(createReadStream(path).pipe(createGunzip()), setEnd, 'gzip stream ended early');
  } else if (compression === 'bzip2') {
    const command = options.bzip2Command ?? 'bzip2';
    const proc = spawn(command, ['-dc', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr!.setEncoding('utf8').on('data', (t: string) => {
      if (stderr.length < 2000) stderr += t;
    });
    childExit = new Promise<void>((resolve) => {
      proc.on('error', (e) => {
        setEnd(new StreamEnd(`cannot run "${command}" to read a bzip2 file: ${e.message}`));
        resolve();
      });
      proc.on('close', (code) => {
        if (code !== 0 && code !== null) setEnd(new StreamEnd(`bzip2 stream ended early: ${stderr.trim().split('\n').pop() ?? `exit status ${code}`}`));
        resolve();
      });
    });
    source = chunksOf(proc.stdout!, setEnd, 'bzip2 output');
  } else {
    source = chunksOf(createReadStream(path, { highWaterMark: 32 * 1024 }), setEnd, 'read error');
  }
  let lastOffset = 0;
  try {
    for await (const batch of decodeBatches(frameBatches(source))) {
      const last = batch[batch.length - 1]!;
      lastOffset = last.kind === 'fault' ? last.offset : last.header.offset;
      yield batch;
    }
    if (childExit !== undefined) await childExit;
    if (end !== undefined) yield [{ kind: 'fault', offset: lastOffset, message: end.message, isRecoverable: false }];
  } finally {
    if (child !== undefined && child.exitCode === null) child.kill();
  }
}

/** Every record of an MRT file, one at a time (see `readMrtBatches`). */
export async function* readMrtFile(path: string, options: ReadOptions = {}): AsyncGenerator<MrtRecord | MrtFault> {
  for await (const batch of readMrtBatches(path, options)) yield* batch;
}
