// The on-disk format: one compact JSON object per line, fields in the seed's order
// (seq, ts, type, job_id, capability, output, error, then extras), `\n` terminated.
// The producer serializes everything but `seq` (a "body": `"ts":…}\n`); the writer
// thread prefixes `{"seq":N,`. JSON.stringify escapes every control character, so a
// body never contains a raw `\n` and the writer can split a batch on newlines.
import { WalError } from './errors.js';
import { quote, toJson } from './json.js';

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

const OBJECT_PROTO = Object.prototype;

function invalid(message: string): WalError {
  return new WalError('EINVAL', message);
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${where} must be a string, got ${typeof value}`);
  return quote(value);
}

/**
 * Serializes an event to its line body (`"ts":…}\n`, everything after `{"seq":N,`).
 * Throws WalError EINVAL naming the field for anything the format cannot hold losslessly.
 */
export function encodeBody(event: unknown, maxEventBytes: number, now: () => number = Date.now): string {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw invalid(`event must be a plain object, got ${event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event}`);
  }
  const proto = Object.getPrototypeOf(event);
  if (proto !== OBJECT_PROTO && proto !== null) throw invalid('event must be a plain object');
  const e = event as Record<string, unknown>;
  const { ts, type, job_id: jobId } = e;
  let tsOut: number;
  if (ts === undefined || ts === null) tsOut = Math.floor(now() / 1000);
  else if (typeof ts === 'number' && Number.isSafeInteger(ts) && ts >= 0) tsOut = ts;
  else throw invalid(`event.ts must be a non-negative integer (Unix seconds), got ${String(ts)}`);
  if (typeof type !== 'string' || type.length === 0) throw invalid('event.type must be a non-empty string');
  if (typeof jobId !== 'string' || jobId.length === 0) throw invalid('event.job_id must be a non-empty string');

  let body = `"ts":${tsOut},"type":${quote(type)},"job_id":${quote(jobId)}`;
  const capability = optionalString(e.capability, 'event.capability');
  if (capability !== undefined) body += `,"capability":${capability}`;
  if (e.output !== undefined) body += `,"output":${toJson(e.output, 'event.output')}`;
  const error = optionalString(e.error, 'event.error');
  if (error !== undefined) body += `,"error":${error}`;
  for (const k in e) {
    switch (k) {
      case 'seq': // assigned by the writer; a caller's value is ignored, as the seed does
      case 'ts':
      case 'type':
      case 'job_id':
      case 'capability':
      case 'output':
      case 'error':
        continue;
      default: {
        const v = e[k];
        if (v !== undefined) body += `,${quote(k)}:${toJson(v, `event.${k}`)}`;
      }
    }
  }
  body += '}\n';
  // UTF-8 needs at least one byte and at most three per UTF-16 unit: measure only when unsure.
  if (body.length * 3 > maxEventBytes) {
    const bytes = Buffer.byteLength(body) + 24;
    if (bytes > maxEventBytes) throw invalid(`event is ${bytes} bytes, over maxEventBytes (${maxEventBytes})`);
  }
  return body;
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
