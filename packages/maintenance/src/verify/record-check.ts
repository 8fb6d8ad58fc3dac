// A byte-level check that a line is a valid record in the writer's shape, without building
// objects: `{"seq":N,"ts":T,"type":"…","job_id":"…"` then any JSON members, `}`. It is
// one-sided: a true answer is exact (JSON.parse would accept the line and parseLine would
// return this seq); a false one only means "not in the writer's shape", and the caller
// falls back to parseLine, which decides. So verify stays at scanning speed and still
// never passes a line readWal refuses. The caller has checked the bytes are UTF-8 without
// NULs (natively, once per chunk). The JSON token checks are core's (json-scan.ts), the same
// appendRaw runs on its text.
import { skipLiteral, skipNumber, skipString } from '@threadwal/core';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const MINUS = 0x2d;
const MAX_DEPTH = 512;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** `{"seq":` `"ts":` `"type":` `"job_id":` as bytes. */
const SEQ_KEY = Buffer.from('{"seq":');
const TS_KEY = Buffer.from('"ts":');
const TYPE_KEY = Buffer.from('"type":');
const JOB_KEY = Buffer.from('"job_id":');

function matches(b: Uint8Array, i: number, key: Uint8Array): boolean {
  for (let k = 0; k < key.length; k++) if (b[i + k] !== key[k]) return false;
  return true;
}

/** A non-negative JSON integer at `i` without leading zeros, as {value, end}; end -1 when not. */
function readUint(b: Uint8Array, i: number, end: number): number {
  const first = i;
  let v = 0;
  while (i < end && isDigit(b[i]!)) v = v * 10 + (b[i++]! - 0x30);
  if (i === first || (b[first] === 0x30 && i - first > 1) || !Number.isSafeInteger(v)) return -1;
  lastUint = v;
  return i;
}
let lastUint = 0;

/** True when the top-level key [s, e) (quotes included) is one parseLine reads: a repeat would override. */
function isReservedKey(b: Uint8Array, s: number, e: number): boolean {
  const n = e - s - 2;
  if (n === 3) return b[s + 1] === 0x73 && b[s + 2] === 0x65 && b[s + 3] === 0x71; // seq
  if (n === 2) return b[s + 1] === 0x74 && b[s + 2] === 0x73; // ts
  if (n === 4) return matches(b, s, TYPE_KEY.subarray(0, 6)); // "type"
  if (n === 6) return matches(b, s, JOB_KEY.subarray(0, 8)); // "job_id"
  for (let i = s; i < e; i++) if (b[i] === BACKSLASH) return true; // an escaped key could spell any of them
  return false;
}

const stack = new Uint8Array(MAX_DEPTH);

/**
 * Seq of the line [s, e) (without its `\n`) when it is certainly a valid record in the
 * writer's shape; -1 when the caller must decide with parseLine.
 */
export function checkRecord(b: Uint8Array, s: number, e: number): number {
  if (e - s < 30 || !matches(b, s, SEQ_KEY) || b[e - 1] !== CLOSE_OBJ) return -1;
  let i = readUint(b, s + SEQ_KEY.length, e);
  if (i < 0 || b[i] !== COMMA) return -1;
  const seq = lastUint;
  if (!matches(b, i + 1, TS_KEY)) return -1;
  i = readUint(b, i + 1 + TS_KEY.length, e);
  if (i < 0 || b[i] !== COMMA || !matches(b, i + 1, TYPE_KEY) || b[i + 1 + TYPE_KEY.length] !== QUOTE) return -1;
  i = skipString(b, i + 1 + TYPE_KEY.length, e);
  if (i < 0 || b[i] !== COMMA || !matches(b, i + 1, JOB_KEY) || b[i + 1 + JOB_KEY.length] !== QUOTE) return -1;
  i = skipString(b, i + 1 + JOB_KEY.length, e);
  if (i < 0) return -1;
  // The remaining members of the top-level object, then its `}` exactly at the end.
  let depth = 0; // containers open inside the top-level object
  let expectValue = false;
  while (i >= 0 && i < e) {
    if (expectValue) {
      const v = b[i];
      expectValue = false;
      if (v === QUOTE) i = skipString(b, i, e);
      else if (v === OPEN_OBJ || v === OPEN_ARR) {
        if (depth === MAX_DEPTH) return -1;
        stack[depth++] = v;
        i++;
        if (b[i] === (v === OPEN_OBJ ? CLOSE_OBJ : CLOSE_ARR)) {
          depth--;
          i++;
        } else if (v === OPEN_OBJ) {
          i = skipKey(b, i, e);
          expectValue = true;
        } else {
          expectValue = true;
        }
      } else if (v === MINUS || isDigit(v!)) i = skipNumber(b, i, e);
      else i = skipLiteral(b, i, e);
      continue;
    }
    const c = b[i];
    if (c === COMMA) {
      i++;
      if (depth === 0) {
        const k = skipKey(b, i, e);
        if (k < 0 || isReservedKey(b, i, k - 1)) return -1;
        i = k;
      } else if (stack[depth - 1] === OPEN_OBJ) {
        i = skipKey(b, i, e);
      }
      expectValue = true;
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      if (depth === 0) return c === CLOSE_OBJ && i === e - 1 ? seq : -1;
      if (stack[--depth] !== (c === CLOSE_OBJ ? OPEN_OBJ : OPEN_ARR)) return -1;
      i++;
    } else {
      return -1;
    }
  }
  return -1;
}

/** Past `"key":` at i, or -1. */
function skipKey(b: Uint8Array, i: number, e: number): number {
  if (b[i] !== QUOTE) return -1;
  const k = skipString(b, i, e);
  return k >= 0 && b[k] === COLON ? k + 1 : -1;
}
