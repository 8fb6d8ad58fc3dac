// Time-based rotation (`rotate: { every: '1h' | '1d' | ms, utc? }`): a segment holds the
// events of one interval, boundaries aligned to the clock (UTC, or local time by default:
// a '1d' segment runs from local midnight to midnight). The writer asks before each batch
// whether the active file belongs to an earlier interval than now and, if so, rotates
// first. So an idle hour leaves no empty segment (nothing is written, nothing rotates) and
// a restart keeps the schedule: the active file's interval is recovered from the file (a
// process starting at 10:59 over a file begun at 10:30 rotates at 11:00, not 11:59).
import { readSync } from 'node:fs';
import { fsSeam } from '../util/fs-seam.js';
import { WalError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const EVERY_RE = /^(\d+)\s*(ms|s|m|h|d)$/;
/** Shortest interval: below a second, rotation would dominate the writer's work. */
export const MIN_EVERY_MS = 1000;
const HEAD_BYTES = 4096;
const TS_RE = /"ts":(\d{1,15})[,}]/;

/** `'1h'`, `'1d'`, `'15m'`, `'30s'` or milliseconds → milliseconds (>= 1 s); throws EINVAL. */
export function parseEvery(v: unknown, field = 'options.rotate.every'): number {
  let ms = NaN;
  if (typeof v === 'number') ms = v;
  else if (typeof v === 'string') {
    const m = EVERY_RE.exec(v.trim());
    if (m) ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  if (!Number.isSafeInteger(ms) || ms < MIN_EVERY_MS) {
    throw new WalError('EINVAL', `${field} must be '1h', '1d', '<n>m', '<n>s' or milliseconds (at least ${MIN_EVERY_MS}), got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  }
  return ms;
}

/** Start (Unix ms) of the interval holding `tMs`: multiples of `everyMs` since the epoch in UTC, or in local time. */
export function intervalStart(tMs: number, everyMs: number, utc: boolean): number {
  if (utc) return Math.floor(tMs / everyMs) * everyMs;
  const offset = new Date(tMs).getTimezoneOffset() * 60_000; // local = utc - offset
  return Math.floor((tMs - offset) / everyMs) * everyMs + offset;
}

/** What the clock needs of the writer's active file. */
export interface ClockFile {
  fd: number;
  size: number;
  reopens: number;
}

/** Answers "does the next batch belong in a new segment?" for one writer. */
export class RotationClock {
  readonly #everyMs: number;
  readonly #utc: boolean;
  /** Interval start of the active file, null until known (or while it is empty). */
  #start: number | null = null;
  #key = '';

  constructor(everyMs: number, utc: boolean) {
    this.#everyMs = everyMs;
    this.#utc = utc;
  }

  /** True when `file` holds events of an interval before the one `nowMs` is in. */
  due(file: ClockFile, nowMs: number): boolean {
    if (file.size === 0) {
      // An empty file is never rotated away; its interval starts with its first batch.
      this.#start = intervalStart(nowMs, this.#everyMs, this.#utc);
      this.#key = `${file.fd}:${file.reopens}`;
      return false;
    }
    const key = `${file.fd}:${file.reopens}`;
    if (this.#start === null || key !== this.#key) {
      this.#start = this.#recover(file, nowMs);
      this.#key = key;
    }
    return intervalStart(nowMs, this.#everyMs, this.#utc) > this.#start;
  }

  /** Forget the file (it was rotated): the next call learns the new one. */
  reset(): void {
    this.#start = null;
  }

  /**
   * The interval of a file this writer did not start (a restart, or another process's
   * file): the later of its creation time and its first event's ts (so old replayed ts
   * values cannot force a rotation per batch), never after now.
   */
  #recover(file: ClockFile, nowMs: number): number {
    const st = fsSeam.fstatSync(file.fd);
    let t = st.birthtimeMs > 0 ? st.birthtimeMs : 0;
    const head = Buffer.allocUnsafe(Math.min(HEAD_BYTES, file.size));
    const n = readSync(file.fd, head, 0, head.length, 0);
    const m = TS_RE.exec(head.toString('latin1', 0, n));
    if (m) t = Math.max(t, Number(m[1]) * 1000);
    if (t === 0) t = st.mtimeMs;
    return intervalStart(Math.min(t, nowMs), this.#everyMs, this.#utc);
  }
}
