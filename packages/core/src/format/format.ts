// The on-disk format: one compact JSON object per line, fields in the seed's order
// (seq, ts, type, job_id, capability, output, error, then extras), `\n` terminated.
// The producer serializes everything but `seq` (a "body": `"ts":…}\n`); the writer
// thread prefixes `{"seq":N,`. JSON.stringify escapes every control character, so a
// body never contains a raw `\n` and the writer can split a batch on newlines.
import { WalError } from '../errors.js';
import { writeBody, writeRawBody, roomFor } from './body-writer.js';

/** The seed's event types; any other string is allowed through the generic. */
export type WalEventType =
  | 'job_submitted'
  | 'job_validated'
  | 'job_started'
  | 'job_completed'
  | 'job_failed'
  | 'job_rolled_back'
  | 'command_executed';

/** An event as a caller appends it. `seq` is always assigned by the writer. */
export interface WalEvent<T extends string = WalEventType> {
  /** Unix seconds; defaults to the time of append. */
  ts?: number;
  type: T;
  job_id: string;
  capability?: string | null;
  output?: unknown;
  error?: string | null;
  [extra: string]: unknown;
}

/** An event as read back from disk. */
export interface WalRecord<T extends string = string> extends WalEvent<T> {
  seq: number;
  ts: number;
}

let scratch = Buffer.allocUnsafe(4096);

/**
 * Serializes an event to its line body (`"ts":…}\n`, everything after `{"seq":N,`).
 * Throws WalError EINVAL naming the field for anything the format cannot hold losslessly.
 * (The client writes bodies straight into its batch buffer with writeBody; this is the
 * same bytes as a string, for tools and tests.)
 */
export function encodeBody(event: unknown, maxEventBytes: number, now: () => number = Date.now): string {
  for (;;) {
    const end = writeBody(event, scratch, 0, maxEventBytes, now);
    if (end >= 0) return scratch.toString('utf8', 0, end);
    const most = roomFor(maxEventBytes);
    if (scratch.length >= most) throw tooBig(maxEventBytes);
    scratch = Buffer.allocUnsafe(Math.min(scratch.length * 4, most));
  }
}

/** encodeBody for an event whose `output` is JSON text already (see writeRawBody). */
export function encodeRawBody(event: unknown, output: string, maxEventBytes: number, now: () => number = Date.now): string {
  for (;;) {
    const end = writeRawBody(event, output, scratch, 0, maxEventBytes, now);
    if (end >= 0) return scratch.toString('utf8', 0, end);
    const most = roomFor(maxEventBytes);
    if (scratch.length >= most) throw tooBig(maxEventBytes);
    scratch = Buffer.allocUnsafe(Math.min(scratch.length * 4, most));
  }
}

/** An event that does not fit in more than maxEventBytes. */
export function tooBig(maxEventBytes: number): WalError {
  return new WalError('EINVAL', `event is over maxEventBytes (${maxEventBytes})`);
}

/** The full line for an event at `seq` (used by tools and tests; the writer builds lines in bulk). */
export function encodeLine(seq: number, event: unknown, maxEventBytes = Number.MAX_SAFE_INTEGER): string {
  return `{"seq":${seq},${encodeBody(event, maxEventBytes)}`;
}

/** Parses one line (without its `\n`). Throws WalError ECORRUPT when it is not a valid record. */
export function parseLine(line: string, where?: { file: string; offset: number }): WalRecord {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw corrupt('line is not valid JSON', where);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw corrupt('line is not a JSON object', where);
  const r = v as Record<string, unknown>;
  if (typeof r.seq !== 'number' || !Number.isSafeInteger(r.seq) || r.seq < 0) throw corrupt('line has no valid "seq"', where);
  if (typeof r.ts !== 'number' || !Number.isSafeInteger(r.ts)) throw corrupt('line has no valid "ts"', where);
  if (typeof r.type !== 'string') throw corrupt('line has no valid "type"', where);
  if (typeof r.job_id !== 'string') throw corrupt('line has no valid "job_id"', where);
  return r as WalRecord;
}

function corrupt(what: string, where?: { file: string; offset: number }): WalError {
  const at = where ? ` at ${where.file}:${where.offset}` : '';
  return new WalError('ECORRUPT', `${what}${at}`, where ? { path: where.file, file: where.file, offset: where.offset } : {});
}

/** Reads just the seq of a line without a full parse; -1 when the line does not start as the writer writes it. */
export function peekSeq(line: Uint8Array, start: number, end: number): number {
  // `{"seq":` is 7 bytes: 0x7b 0x22 0x73 0x65 0x71 0x22 0x3a
  if (end - start < 9 || line[start] !== 0x7b || line[start + 1] !== 0x22 || line[start + 2] !== 0x73 ||
    line[start + 3] !== 0x65 || line[start + 4] !== 0x71 || line[start + 5] !== 0x22 || line[start + 6] !== 0x3a) return -1;
  let seq = 0;
  let i = start + 7;
  const first = i;
  for (; i < end; i++) {
    const c = line[i]!;
    if (c < 0x30 || c > 0x39) break;
    seq = seq * 10 + (c - 0x30);
  }
  // 16 digits reach 9999999999999999: past MAX_SAFE_INTEGER the sum is rounded, and parseLine refuses such a seq.
  if (i === first || i >= end || i - first > 16 || line[i] !== 0x2c || seq > Number.MAX_SAFE_INTEGER) return -1;
  return seq;
}
