// A single-pass check that bytes are one JSON value (RFC 8259 grammar), without building
// anything: appendRaw runs it on the caller's text so that a line it acknowledges always
// parses (issue 22: an acknowledged line readers refuse is corruption, and before recovery
// kept such lines it cut them and reused their seq). The bytes come from a JS string
// written as UTF-8, so they are valid UTF-8 already; only the JSON grammar is checked.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const MINUS = 0x2d;

/** Byte classes inside a string: 0 plain, 1 ends it or needs a look (`"`, `\`, control characters). */
const STRING_STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_STOP[c] = 1;
STRING_STOP[QUOTE] = 1;
STRING_STOP[BACKSLASH] = 1;

/** JSON's escapes after `\`: `"` `\` `/` b f n r t (u is handled apart). */
const ESCAPE = new Uint8Array(256);
for (const c of [QUOTE, BACKSLASH, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]) ESCAPE[c] = 1;

const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** End of the string whose opening quote is at `i` (past its closing quote), or -1. */
export function skipString(b: Uint8Array, i: number, end: number): number {
  for (i++; i < end; i++) {
    if (STRING_STOP[b[i]!] === 0) continue;
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c !== BACKSLASH) return -1; // a raw control character
    const x = b[++i]!;
    if (x === 0x75) { // \uXXXX
      if (i + 4 >= end || HEX[b[i + 1]!] === 0 || HEX[b[i + 2]!] === 0 || HEX[b[i + 3]!] === 0 || HEX[b[i + 4]!] === 0) return -1;
      i += 4;
    } else if (i >= end || ESCAPE[x] === 0) {
      return -1;
    }
  }
  return -1;
}

/** End of the number at `i`, or -1. JSON's grammar: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)? */
export function skipNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === MINUS) i++;
  if (i < end && b[i] === 0x30) i++;
  else if (i < end && b[i]! >= 0x31 && b[i]! <= 0x39) while (i < end && isDigit(b[i]!)) i++;
  else return -1;
  if (i < end && b[i] === 0x2e) {
    i++;
    if (!(i < end && isDigit(b[i]!))) return -1;
    while (i < end && isDigit(b[i]!)) i++;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === MINUS)) i++;
    if (!(i < end && isDigit(b[i]!))) return -1;
    while (i < end && isDigit(b[i]!)) i++;
  }
  return i;
}

/** End of `true`, `false` or `null` at `i`, or -1. */
export function skipLiteral(b: Uint8Array, i: number, end: number): number {
  const c = b[i];
  if (c === 0x74) return i + 4 <= end && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65 ? i + 4 : -1; // true
  if (c === 0x66) return i + 5 <= end && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65 ? i + 5 : -1; // false
  if (c === 0x6e) return i + 4 <= end && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c ? i + 4 : -1; // null
  return -1;
}

/** Open containers of the value being checked (1 object, 2 array), grown as needed. */
let stack = new Uint8Array(64);

/** True when b[start, end) is exactly one JSON value, with optional whitespace around it. */
export function isJsonValue(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  let depth = 0;
  // After a value: `,` or a close (or the end, at depth 0). Before one: a value (or a close of an empty container).
  for (;;) {
    while (i < end && isSpace(b[i]!)) i++;
    if (i >= end) return false;
    const c = b[i]!;
    if (c === QUOTE) i = skipString(b, i, end);
    else if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (depth === stack.length) {
        const bigger = new Uint8Array(stack.length * 2);
        bigger.set(stack);
        stack = bigger;
      }
      stack[depth++] = c === OPEN_OBJ ? 1 : 2;
      i++;
      while (i < end && isSpace(b[i]!)) i++;
      if (i < end && b[i] === (c === OPEN_OBJ ? CLOSE_OBJ : CLOSE_ARR)) {
        depth--;
        i++;
      } else if (c === OPEN_OBJ) {
        i = key(b, i, end);
        if (i < 0) return false;
        continue; // its value next
      } else {
        continue; // the first element next
      }
    } else if (c === MINUS || isDigit(c)) i = skipNumber(b, i, end);
    else i = skipLiteral(b, i, end);
    if (i < 0) return false;
    // A value ended: close containers, or go on to the next member or element.
    for (;;) {
      while (i < end && isSpace(b[i]!)) i++;
      if (depth === 0) return i === end;
      if (i >= end) return false;
      const x = b[i];
      const open = stack[depth - 1]!;
      if (x === COMMA) {
        i++;
        if (open === 1) {
          while (i < end && isSpace(b[i]!)) i++;
          i = key(b, i, end);
          if (i < 0) return false;
        }
        break;
      }
      if (x !== (open === 1 ? CLOSE_OBJ : CLOSE_ARR)) return false;
      depth--;
      i++;
    }
  }
}

/** Past `"key" :` at `i` (whitespace allowed around the colon), or -1. */
function key(b: Uint8Array, i: number, end: number): number {
  if (b[i] !== QUOTE) return -1;
  i = skipString(b, i, end);
  if (i < 0) return -1;
  while (i < end && isSpace(b[i]!)) i++;
  return i < end && b[i] === COLON ? i + 1 : -1;
}
