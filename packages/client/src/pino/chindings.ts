// Reads one top-level key of a pino logger's bindings straight from its chindings string
// (`,"pid":1,"hostname":"h","reqId":"req-1"`: what pino keeps per logger and what
// bindings() would JSON.parse), without parsing the rest: a web server's per-request child
// logger has a chindings string of its own, so a cache keyed by it would miss every time.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Index just past the JSON string that opens at `i` (a quote), or -1. Sets `escaped` when it holds an escape. */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === BACKSLASH) {
      escapes = true;
      j++;
    } else if (c === QUOTE) return j + 1;
  }
  return -1;
}
let escapes = false;

/** Index just past the JSON value that starts at `i` (any type, nested ones skipped), or -1. */
function valueEnd(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return stringEnd(s, i);
  if (c !== 0x7b && c !== 0x5b) {
    let j = i;
    while (j < s.length && s.charCodeAt(j) !== 0x2c) j++; // a number, true, false, null: up to the next comma
    return j;
  }
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const d = s.charCodeAt(j);
    if (d === QUOTE) {
      j = stringEnd(s, j) - 1;
      if (j < 0) return -1;
    } else if (d === 0x7b || d === 0x5b) depth++;
    else if (d === 0x7d || d === 0x5d) {
      if (--depth === 0) return j + 1;
    }
  }
  return -1;
}

/**
 * The value of top-level key `key` in chindings `ch` as an id: a non-empty string, or a
 * finite number as a string (as idIn() reads bindings()); undefined when the key is absent
 * or holds anything else; null when `ch` is not what pino writes (the caller parses instead).
 * A key bound twice (a child re-binding it) counts as its last binding, as in JSON.parse.
 */
export function idInChindings(ch: string, key: string): string | undefined | null {
  let found: string | undefined;
  let i = 0;
  while (i < ch.length) {
    if (ch.charCodeAt(i) !== 0x2c || ch.charCodeAt(i + 1) !== QUOTE) return null;
    escapes = false;
    const keyEnd = stringEnd(ch, i + 1);
    if (keyEnd < 0 || ch.charCodeAt(keyEnd) !== 0x3a) return null;
    const k = escapes ? (JSON.parse(ch.slice(i + 1, keyEnd)) as string) : ch.slice(i + 2, keyEnd - 1);
    const at = keyEnd + 1;
    escapes = false;
    const end = valueEnd(ch, at);
    if (end < 0) return null;
    if (k === key) found = idOfToken(ch.slice(at, end));
    i = end;
  }
  return found;
}

function idOfToken(token: string): string | undefined {
  const c = token.charCodeAt(0);
  if (c === QUOTE) {
    const v = escapes ? (JSON.parse(token) as string) : token.slice(1, -1);
    return v.length > 0 ? v : undefined;
  }
  if ((c >= 0x30 && c <= 0x39) || c === 0x2d) {
    const n = Number(token);
    return Number.isFinite(n) ? String(n) : undefined;
  }
  return undefined;
}
