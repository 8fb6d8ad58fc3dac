// Writes JSON values as UTF-8 straight into a byte buffer, in one pass that also validates:
// no intermediate strings, no rope to flatten, no garbage. It refuses what JSON.stringify
// would silently change (functions, symbols, BigInt, NaN/±Inf, Map/Set/class instances,
// `undefined` in arrays, cycles) and otherwise writes exactly the bytes
// Buffer.from(JSON.stringify(…)) would, lone surrogates escaped as `\udXXX`. The event's
// body (body-writer.ts) is made of these values; this is the producer's hot path.
import { WalError } from '../errors.js';
import { isJsonValue } from './json-scan.js';

const OBJECT_PROTO = Object.prototype;
const MAX_DEPTH = 256;
const HEX = [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66];

/** Thrown (and caught by writeBody) when the buffer is too small; never escapes. */
export const NO_ROOM = Symbol('no room');

export function invalid(message: string): WalError {
  return new WalError('EINVAL', message);
}

// The buffer being written and the write position. Module state keeps the per-value calls
// free of an extra argument; beginWriting sets them and writing is not reentrant (nothing
// it calls can call it back, except toJSON, which only returns a value).
let b: Uint8Array = new Uint8Array(0);
let o = 0;
const EMPTY = new Uint8Array(0);

/** Writing starts into `buf` at `at`. */
export function beginWriting(buf: Uint8Array, at: number): void {
  b = buf;
  o = at;
}

/** Writing ends (the buffer is let go); returns the write position reached. */
export function endWriting(): number {
  b = EMPTY;
  return o;
}

function room(n: number): void {
  if (o + n > b.length) throw NO_ROOM;
}

function ascii(s: string): void {
  room(s.length);
  for (let i = 0; i < s.length; i++) b[o++] = s.charCodeAt(i);
}

function escape(c: number): void {
  b[o++] = 0x5c; // \
  switch (c) {
    case 0x22: b[o++] = 0x22; return;
    case 0x5c: b[o++] = 0x5c; return;
    case 0x08: b[o++] = 0x62; return; // b
    case 0x0c: b[o++] = 0x66; return; // f
    case 0x0a: b[o++] = 0x6e; return; // n
    case 0x0d: b[o++] = 0x72; return; // r
    case 0x09: b[o++] = 0x74; return; // t
    default: // \u00XX, or \udXXX for a lone surrogate
      b[o++] = 0x75;
      b[o++] = HEX[(c >> 12) & 15]!;
      b[o++] = HEX[(c >> 8) & 15]!;
      b[o++] = HEX[(c >> 4) & 15]!;
      b[o++] = HEX[c & 15]!;
  }
}

/** `s` as a JSON string literal, UTF-8 encoded. */
function str(s: string): void {
  const n = s.length;
  room(n + 2); // ASCII: one byte a unit; the first wider unit reserves 3 bytes for each left
  let wide = false;
  b[o++] = 0x22;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c) b[o++] = c;
      else {
        room(6 + (n - i) * 3 + 1);
        escape(c);
      }
      continue;
    }
    if (!wide) {
      room((n - i) * 3 + 1); // a UTF-16 unit takes at most 3 bytes (a pair takes 4 for 2 units)
      wide = true;
    }
    if (c < 0x800) {
      b[o++] = 0xc0 | (c >> 6);
      b[o++] = 0x80 | (c & 63);
    } else if (c < 0xd800 || c > 0xdfff) {
      b[o++] = 0xe0 | (c >> 12);
      b[o++] = 0x80 | ((c >> 6) & 63);
      b[o++] = 0x80 | (c & 63);
    } else {
      const d = c <= 0xdbff && i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        b[o++] = 0xf0 | (cp >> 18);
        b[o++] = 0x80 | ((cp >> 12) & 63);
        b[o++] = 0x80 | ((cp >> 6) & 63);
        b[o++] = 0x80 | (cp & 63);
        i++;
      } else {
        room(6 + (n - i) * 3);
        escape(c); // a lone surrogate: JSON.stringify escapes it
      }
    }
  }
  b[o++] = 0x22;
}

function uint(v: number): void {
  // digits of a non-negative safe integer, written backwards into place
  let len = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) len++;
  room(len);
  let i = o + len;
  o = i;
  do {
    const q = Math.floor(v / 10);
    b[--i] = 0x30 + (v - q * 10);
    v = q;
  } while (v > 0);
}

function num(v: number, where: string): void {
  if (Number.isSafeInteger(v)) {
    if (v >= 0) return uint(v);
    room(1);
    b[o++] = 0x2d; // -
    return uint(-v);
  }
  if (!Number.isFinite(v)) throw invalid(`${where} is ${v}, which JSON cannot represent`);
  ascii(`${v}`);
}

function value(v: unknown, where: string, depth: number): void {
  switch (typeof v) {
    case 'string':
      return str(v);
    case 'number':
      return num(v, where);
    case 'boolean':
      return ascii(v ? 'true' : 'false');
    case 'object': {
      if (v === null) return ascii('null');
      if (depth >= MAX_DEPTH) throw invalid(`${where} is nested more than ${MAX_DEPTH} levels deep (or contains a cycle)`);
      if (Array.isArray(v)) {
        room(1);
        b[o++] = 0x5b; // [
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          if (x === undefined) throw invalid(`${where}[${i}] is undefined, which JSON would turn into null`);
          if (i > 0) {
            room(1);
            b[o++] = 0x2c;
          }
          value(x, where, depth + 1);
        }
        room(1);
        b[o++] = 0x5d; // ]
        return;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== OBJECT_PROTO && proto !== null) {
        const toJSON = (v as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === 'function') return value(toJSON.call(v), where, depth + 1); // Date and friends: JSON's rule
        throw invalid(`${where} is a ${proto?.constructor?.name ?? 'non-plain object'}, which JSON would not keep`);
      }
      room(1);
      b[o++] = 0x7b; // {
      let first = true;
      for (const k in v) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) continue; // JSON's rule for object members: absent
        if (!first) {
          room(1);
          b[o++] = 0x2c;
        }
        str(k);
        room(1);
        b[o++] = 0x3a;
        value(x, where, depth + 1);
        first = false;
      }
      room(1);
      b[o++] = 0x7d; // }
      return;
    }
    case 'undefined':
      throw invalid(`${where} is undefined`);
    default:
      throw invalid(`${where} is a ${typeof v}, which JSON cannot represent`);
  }
}

/** `,"k":v`: one more member of an object already open. */
function member(k: string, v: unknown, where: string): void {
  room(1);
  b[o++] = 0x2c;
  str(k);
  room(1);
  b[o++] = 0x3a;
  value(v, where, 0);
}

/**
 * Copies JSON text `s` as UTF-8, then checks in one pass over the bytes that they are one
 * JSON value (json-scan.ts: the grammar, no parse, nothing built), so a line the writer
 * acknowledges always parses. It holds no raw CR or LF, so it can never break the line
 * framing; one final `\n` or `\r\n` (a logger's line end) is allowed and not stored.
 */
function raw(s: string, where: string): void {
  let n = s.length;
  const nl = s.indexOf('\n');
  if (nl !== -1) {
    if (nl !== n - 1) throw invalid(`${where} holds a raw line break`);
    n -= n > 1 && s.charCodeAt(n - 2) === 0x0d ? 2 : 1;
  }
  const cr = s.indexOf('\r');
  if (cr !== -1 && cr < n) throw invalid(`${where} holds a raw line break`);
  // At most 3 bytes per UTF-16 unit; only when that might not fit is the exact length taken.
  const free = b.length - o;
  if (free < 3 * s.length) room(Buffer.byteLength(s));
  const buf = b as Buffer & { utf8Write?: (s: string, at: number, max: number) => number };
  let written: number;
  if (typeof buf.utf8Write === 'function') {
    written = buf.utf8Write(s, o, free); // Buffer's own native copy: no view, no result object
  } else {
    const r = encoder.encodeInto(s, b.subarray(o));
    if (r.read !== s.length) throw NO_ROOM;
    written = r.written;
  }
  const start = o;
  o += written - (s.length - n); // the line end, ASCII, is the last bytes written: drop it
  if (!isJsonValue(b, start, o)) throw invalid(`${where} is not one JSON value`);
}
const encoder = new TextEncoder();

export {
  ascii as writeAscii, str as writeString, uint as writeUint, value as writeValue,
  member as writeMember, raw as writeJsonText,
};
