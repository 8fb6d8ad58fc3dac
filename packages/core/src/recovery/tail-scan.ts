// Reads the end of the active file and applies tail-rule.ts to it, in O(window): the one
// implementation of "where does the torn tail start" that openWal's recovery, rotate,
// cleanup, verify and readWal all call, so they cannot disagree.
//
// The usual file has no NUL byte near its end: one pass of native NUL search over the last
// TORN_WINDOW bytes (about 0.1 ms per MiB from the page cache), then only its last line is
// read. Only when a hole may be torn are the lines around it loaded and judged.
import { fsSeam, readFully } from '../util/fs-seam.js';
import { BLOCK, describeLine, judgeTail, readableSeq, TORN_WINDOW, type TailLine } from './tail-rule.js';

const CHUNK = 64 * 1024;
const NUL_CHUNK = 1024 * 1024;
const NL = 0x0a;

/** Where the torn tail of a file starts, and the chain there. */
export interface TailScan {
  size: number;
  /** Just past the last `\n` (0 when there is none). */
  wholeEnd: number;
  /** Where the torn tail starts (<= wholeEnd); bytes [tornStart, size) are torn. */
  tornStart: number;
  /** The seq of the last record kept (counting one for each kept record that names none), -1 when nothing is kept. */
  lastSeq: number;
  /** Some kept line names a seq (else lastSeq counts from the chain before the file). */
  anchored: boolean;
  /** Kept record lines looked at. */
  records: number;
  /** False when no record naming a seq was found within reach of the end (lastSeq is then unknown, -1). */
  reach: boolean;
}

export interface ScanOptions {
  /** Bytes before the end of the whole lines in which a hole may be judged torn (TORN_WINDOW; 0 for the trailing holes only). */
  window?: number;
  /** The seq of the record before the file's first line (the newest rotated segment's, `.meta`'s floor); -1 for none. */
  before: () => number;
}

/** Offset of the last `\n` in [0, end), or -1. */
export function lastNewline(fd: number, end: number, buf: Buffer = Buffer.allocUnsafe(CHUNK)): number {
  let hi = end;
  while (hi > 0) {
    const lo = Math.max(0, hi - buf.length);
    const n = readFully(fd, buf, hi - lo, lo);
    const i = buf.subarray(0, n).lastIndexOf(NL);
    if (i >= 0) return lo + i;
    hi = lo;
  }
  return -1;
}

/** Offset of the first NUL byte in [from, end), or -1. */
function firstNul(fd: number, from: number, end: number, buf: Buffer): number {
  for (let lo = from; lo < end; lo += buf.length) {
    const n = readFully(fd, buf, Math.min(buf.length, end - lo), lo);
    const i = buf.subarray(0, n).indexOf(0);
    if (i >= 0) return lo + i;
    if (n === 0) break;
  }
  return -1;
}

export function readRange(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(end - start);
  return buf.subarray(0, readFully(fd, buf, end - start, start));
}

/**
 * Where the torn tail of the file open at `fd` (of `size` bytes) starts under tail-rule.ts,
 * and the seq of the last record before it. Reads; never writes.
 */
export function scanTail(fd: number, size: number, opts: ScanOptions): TailScan {
  const window = opts.window ?? TORN_WINDOW;
  const scratch = Buffer.allocUnsafe(CHUNK);
  const wholeEnd = lastNewline(fd, size, scratch) + 1;
  const none: TailScan = { size, wholeEnd, tornStart: 0, lastSeq: -1, anchored: false, records: 0, reach: true };
  if (wholeEnd === 0) return none;
  const lo = Math.max(0, wholeEnd - window);
  const lastStart = lastNewline(fd, wholeEnd - 1, scratch) + 1;
  if (mayHaveTornHole(fd, lo, lastStart, wholeEnd)) return judgeRegion(fd, size, wholeEnd, lo, lastStart, window, opts);
  // No hole can be torn: every whole line stays; the chain is the last line naming a seq.
  let records = 0;
  for (let end = wholeEnd; end > 0;) {
    const start = end === wholeEnd ? lastStart : lastNewline(fd, end - 1, scratch) + 1;
    const line = readRange(fd, start, end - 1);
    if (!line.includes(0)) {
      const seq = readableSeq(line, 0, line.length);
      if (seq >= 0) return { ...none, tornStart: wholeEnd, lastSeq: seq + records, anchored: true, records: records + 1 };
      records += 1;
    } // a line with NUL here is a hole far from the end, followed by records: corruption, not a record
    end = start;
    if (wholeEnd - end > window + TORN_WINDOW) return { ...none, tornStart: wholeEnd, records, reach: false };
  }
  return { ...none, tornStart: wholeEnd, lastSeq: records > 0 ? opts.before() + records : -1, records };
}

/**
 * True when a line with NUL starts at or after `lo`, or the last line holds NUL: only then
 * can a hole be torn. One forward pass over [lo - 1, wholeEnd): the first `\n` in it starts
 * the window's lines, a NUL after it is in one of them.
 */
function mayHaveTornHole(fd: number, lo: number, lastStart: number, wholeEnd: number): boolean {
  const from = Math.max(0, lo - 1);
  const buf = Buffer.allocUnsafe(Math.min(NUL_CHUNK, Math.max(1, wholeEnd - from)));
  let inLines = lo === 0;
  for (let at = from; at < wholeEnd; at += buf.length) {
    const n = readFully(fd, buf, Math.min(buf.length, wholeEnd - at), at);
    if (n === 0) break;
    const view = buf.subarray(0, n);
    let i = 0;
    if (!inLines) {
      i = view.indexOf(NL) + 1;
      if (i === 0) continue;
      inLines = true;
    }
    if (view.indexOf(0, i) >= 0) return true;
  }
  // The last line began before the window: its start is outside the pass above.
  return lastStart < lo && firstNul(fd, lastStart, wholeEnd, buf) >= 0;
}

/** Describes the whole lines of `buf` (file bytes [base, base + buf.length)); the first is dropped unless it starts at `base === 0` or after a `\n`. */
function describeAll(buf: Buffer, base: number, startsAtLine: boolean): TailLine[] {
  const out: TailLine[] = [];
  let s = 0;
  if (!startsAtLine) s = buf.indexOf(NL) + 1;
  if (s === 0 && !startsAtLine) return out;
  for (let e = buf.indexOf(NL, s); e >= 0; e = buf.indexOf(NL, s)) {
    out.push(describeLine(buf, s, e, base + s));
    s = e + 1;
  }
  return out;
}

/** Loads the lines from a record before every hole that may be torn to the end, and judges them. */
function judgeRegion(fd: number, size: number, wholeEnd: number, lo: number, lastStart: number, window: number, opts: ScanOptions): TailScan {
  const from = Math.min(lo, lastStart);
  const maxBack = wholeEnd - from + window + TORN_WINDOW;
  for (let back = wholeEnd - from + CHUNK; ; back *= 2) {
    const base = Math.max(0, wholeEnd - Math.min(back, maxBack));
    // A byte before base that is `\n` means the first line is whole; BLOCK alignment needs true offsets, which base gives.
    const startsAtLine = base === 0 || readRange(fd, base - 1, base)[0] === NL;
    const lines = describeAll(readRange(fd, base, wholeEnd), base, startsAtLine);
    let t = lines.length; // lines[t..] hold NUL: the trailing run
    while (t > 0 && lines[t - 1]!.nul) t--;
    let c = lines.findIndex((l) => l.nul && l.start >= lo);
    if (c < 0 || c > t) c = t;
    let a = c - 1; // the last record naming a seq before the first hole that may be torn
    while (a >= 0 && (lines[a]!.nul || lines[a]!.seq < 0)) a--;
    if (a >= 0) {
      const j = judgeTail(lines.slice(a + 1), lines[a]!.seq, wholeEnd, window);
      return { size, wholeEnd, tornStart: j.tornStart, lastSeq: j.lastSeq, anchored: true, records: j.records + 1, reach: true };
    }
    if (base === 0) {
      const j = judgeTail(lines, opts.before(), wholeEnd, window);
      const kept = j.records > 0;
      return { size, wholeEnd, tornStart: j.tornStart, lastSeq: kept ? j.lastSeq : -1, anchored: j.anchored, records: j.records, reach: true };
    }
    if (back >= maxBack) {
      // No record naming a seq within reach: the chain is unknown; only the trailing holes are cut.
      return { size, wholeEnd, tornStart: t < lines.length ? lines[t]!.start : wholeEnd, lastSeq: -1, anchored: false, records: 0, reach: false };
    }
  }
}

export { BLOCK, TORN_WINDOW };
