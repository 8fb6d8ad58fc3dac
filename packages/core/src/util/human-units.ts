// Sizes and ages given as human strings in library options (`'64MiB'`, `'1.5GB'`, `'14d'`),
// with the CLI's rules: a bare letter or `iB` is a power of 1024, a letter with `B` a power
// of 1000; durations add up `<number><unit>` parts (ms s m h d w). Numbers pass through.
import { WalError } from '../errors.js';

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)$/i;
const POWERS: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };
const PART_RE = /(\d+(?:\.\d+)?)\s*(ms|[smhdw])/gy;
const SECS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

function bad(field: string, want: string, got: unknown): WalError {
  return new WalError('EINVAL', `${field} must be ${want}, got ${typeof got === 'string' ? JSON.stringify(got) : String(got)}`);
}

/** Bytes from a non-negative integer or a size string. */
export function toBytes(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  const m = typeof v === 'string' ? SIZE_RE.exec(v.trim()) : null;
  if (m && m[3]!.toLowerCase() !== 'i' && !(m[2] === '' && m[3]!.toLowerCase() === 'ib')) {
    const power = POWERS[m[2]!.toLowerCase()]!;
    const base = power > 0 && m[3]!.toLowerCase() === 'b' ? 1000 : 1024;
    const n = Math.floor(Number(m[1]) * base ** power);
    if (Number.isSafeInteger(n)) return n;
  }
  throw bad(field, "an integer >= 0 (bytes) or a size like '512k', '64MiB', '1.5GB'", v);
}

/** Milliseconds from a positive integer (ms) or a duration string. */
export function toMs(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    let total = 0;
    let at = 0;
    PART_RE.lastIndex = 0;
    for (let m = PART_RE.exec(s); m; m = PART_RE.exec(s)) {
      total += Number(m[1]) * SECS[m[2]!]! * 1000;
      at = PART_RE.lastIndex;
    }
    if (s.length > 0 && at === s.length && total > 0 && Number.isFinite(total)) return Math.round(total);
  }
  throw bad(field, "a positive number or a duration like '30m', '12h', '14d'", v);
}

/** Seconds from a non-negative integer (seconds) or a duration string. */
export function toSecs(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'number') throw bad(field, "an integer >= 0 (seconds) or a duration like '12h', '14d'", v);
  return Math.round(toMs(v, field) / 1000);
}
