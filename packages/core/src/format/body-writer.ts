// Serializes an event's line body (`"ts":…}\n`) straight into a byte buffer as UTF-8: the
// fields the format fixes (ts, type, job_id, capability, output, error) in their order, then
// the event's other members, each value written and validated by value-writer.ts in the
// same pass. No intermediate strings, no garbage: the producer's hot path, ~2x cheaper than
// building a string and encoding it. writeRawBody is the pre-serialized path (appendRaw):
// `output` arrives as JSON text and is copied byte for byte.
import {
  NO_ROOM, invalid, beginWriting, endWriting,
  writeAscii, writeString, writeUint, writeValue, writeMember, writeJsonText,
} from './value-writer.js';

const OBJECT_PROTO = Object.prototype;

/** The output of the writeRawBody call in progress, else null. */
let rawOutput: string | null = null;

function optionalString(key: string, v: unknown, where: string): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'string') throw invalid(`${where} must be a string, got ${typeof v}`);
  writeAscii(key);
  writeString(v);
}

function fields(event: unknown, now: () => number): void {
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

  writeAscii('"ts":');
  writeUint(tsOut);
  writeAscii(',"type":');
  writeString(type);
  writeAscii(',"job_id":');
  writeString(jobId);
  optionalString(',"capability":', e.capability, 'event.capability');
  if (rawOutput !== null) {
    if (e.output !== undefined) throw invalid('event.output must be absent when the output is given pre-serialized');
    writeAscii(',"output":');
    writeJsonText(rawOutput, 'output');
  } else if (e.output !== undefined) {
    writeAscii(',"output":');
    writeValue(e.output, 'event.output', 0);
  }
  optionalString(',"error":', e.error, 'event.error');
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
        if (v === undefined) continue;
        writeMember(k, v, `event.${k}`);
      }
    }
  }
  writeAscii('}\n');
}

/** Bytes the `{"seq":N,` prefix adds to a body, at most: what maxEventBytes counts on top of the body. */
export const SEQ_PREFIX_MAX = 24;

/**
 * A buffer this large always has room for a body within maxEventBytes: writeBody reserves
 * space ahead of writing, at most 3 bytes per UTF-16 unit left in a string plus an escape.
 * Callers grow their buffer up to this, and past it the event is too big.
 */
export function roomFor(maxEventBytes: number): number {
  return 3 * maxEventBytes + 64;
}

/**
 * Writes the body of `event` into `buf` from `at`. Returns the end offset, or -1 when `buf`
 * has no room for it (call again with a larger buffer). Throws WalError EINVAL naming the
 * field for anything the format cannot hold losslessly, or for a line over maxEventBytes.
 */
export function writeBody(event: unknown, buf: Uint8Array, at: number, maxEventBytes: number, now: () => number = Date.now): number {
  beginWriting(buf, at);
  let end = -1;
  try {
    fields(event, now);
  } catch (err) {
    if (err === NO_ROOM) return -1;
    throw err;
  } finally {
    end = endWriting();
  }
  if (end - at + SEQ_PREFIX_MAX > maxEventBytes) {
    throw invalid(`event is ${end - at + SEQ_PREFIX_MAX} bytes, over maxEventBytes (${maxEventBytes})`);
  }
  return end;
}

/**
 * writeBody for an event whose `output` is already JSON text (`output`, one JSON value, no
 * raw line break but an optional final one, not stored): the same body, with `"output":` followed by those bytes as they are.
 * `event` must not have an `output` of its own. Same return value and errors as writeBody.
 */
export function writeRawBody(event: unknown, output: string, buf: Uint8Array, at: number, maxEventBytes: number, now: () => number = Date.now): number {
  if (typeof output !== 'string') throw invalid(`output must be a string of JSON text, got ${typeof output}`);
  rawOutput = output;
  try {
    return writeBody(event, buf, at, maxEventBytes, now);
  } finally {
    rawOutput = null;
  }
}
