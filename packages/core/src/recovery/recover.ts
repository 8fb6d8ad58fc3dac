// Open-time recovery in O(tail): read backwards from the end to the last complete line,
// truncate what follows it (a torn write), and learn the last seq. A 1 GB file costs one
// 64 KiB read. A final line that ends in `\n` but does not parse is torn too (DESIGN.md);
// so are trailing lines holding NUL bytes, which is how appends can persist after a power
// loss (the size reached disk, the data did not). Anything else that does not parse is
// corruption: reported, never dropped.
import { constants } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { fsSeam, readFully } from '../util/fs-seam.js';
import { WalError, fromFsError } from '../errors.js';
import { parseLine } from '../format/format.js';
import { rotatedIndexes, segmentPath, readMetaNextSeq } from '../segments/segments.js';

const CHUNK = 64 * 1024;
const NL = 0x0a;

/** Why recovery cut the end of a file. */
export type CutReason =
  | 'partial-line' // bytes after the last `\n`
  | 'unparsable-last-line' // a final line that does not parse
  | 'zero-filled' // trailing lines holding NUL bytes (blocks that never reached the disk)
  | 'torn-first-batch'; // no record at all: a new log torn in its first batch

/** What recovery cut from the end of a file: `bytes` from `offset` (the new size) on. */
export interface RecoveryCut {
  file: string;
  bytes: number;
  offset: number;
  reason: CutReason;
}

export interface TailState {
  /** File size after recovery. */
  size: number;
  /** Bytes cut (or, read-only, that would be cut) from the end. */
  tornBytes: number;
  /** Seq of the last complete line, -1 when there is none. */
  lastSeq: number;
  /** What was (or would be) cut, or null. */
  cut: RecoveryCut | null;
}

/** Past this, a file without a single record is never taken for a torn first batch (one write is at most maxBatchBytes). */
const MAX_FIRST_BATCH_READ = 64 * 1024 * 1024;
const SEQ_PREFIX = '{"seq":';

/**
 * True when `buf` (a whole file holding no record) is what a new log torn in its first
 * batch looks like: every complete line holds NUL bytes (unwritten blocks), and the bytes
 * before the first NUL are empty or a prefix of a record (`{"seq":N,…`), or it is all zeros.
 * Anything else (a text file, another program's JSON lines) is not a WAL.
 */
export function looksTornFirstBatch(buf: Buffer): boolean {
  let pos = 0;
  for (let nl = buf.indexOf(NL); nl >= 0; nl = buf.indexOf(NL, pos)) {
    if (!buf.subarray(pos, nl).includes(0)) return false;
    pos = nl + 1;
  }
  const nul = buf.indexOf(0);
  const head = (nul < 0 ? buf : buf.subarray(0, nul)).toString('latin1');
  if (head.length === 0) return buf.every((c) => c === 0 || c === NL);
  if (head.length <= SEQ_PREFIX.length) return SEQ_PREFIX.startsWith(head);
  return head.startsWith(SEQ_PREFIX) && /^[0-9]+(?:,[^]*)?$/.test(head.slice(SEQ_PREFIX.length));
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

function readRange(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(end - start);
  const n = readFully(fd, buf, end - start, start);
  return buf.subarray(0, n);
}

/**
 * Finds the last good line of the file open at `fd` and, with `truncate`, cuts everything
 * after it (then fdatasyncs). Throws ECORRUPT when the tail is neither torn nor valid.
 */
export function recoverTail(fd: number, path: string, opts: { truncate: boolean }): TailState {
  const size = fsSeam.fstatSync(fd).size;
  const scratch = Buffer.allocUnsafe(CHUNK);
  let end = lastNewline(fd, size, scratch) + 1; // length of the part made of whole lines
  let lastSeq = -1;
  let droppedUnparsable = false;
  let droppedZeros = false;
  let reason: CutReason = 'partial-line';
  while (end > 0) {
    const start = lastNewline(fd, end - 1, scratch) + 1;
    const line = readRange(fd, start, end - 1);
    try {
      // Invalid UTF-8 would decode to U+FFFD and parse: the readers (readWal, verify) call such a line bad.
      if (!isUtf8(line)) throw new WalError('ECORRUPT', `line is not valid UTF-8 at ${path}:${start}`, { path, file: path, offset: start });
      lastSeq = parseLine(line.toString('utf8'), { file: path, offset: start }).seq;
      break;
    } catch (err) {
      // Torn: the very last line, or any trailing line with NULs (unwritten blocks).
      if (!droppedUnparsable || line.includes(0)) {
        if (line.includes(0)) droppedZeros = true;
        droppedUnparsable = true;
        end = start;
        continue;
      }
      throw err;
    }
  }
  const tornBytes = size - end;
  if (tornBytes > 0) {
    if (lastSeq < 0) {
      // Nothing in the file is a record: only a torn new log may be cut, never someone's file (issue 10).
      const whole = size <= MAX_FIRST_BATCH_READ ? readRange(fd, 0, size) : null;
      if (!whole || !looksTornFirstBatch(whole)) {
        throw new WalError('ECORRUPT', `${path} is not a threadwal WAL (no line of its ${size} bytes is a record); refusing to open it, nothing was changed`, { path, file: path, offset: 0 });
      }
      reason = 'torn-first-batch';
    } else if (droppedZeros) reason = 'zero-filled';
    else if (droppedUnparsable) reason = 'unparsable-last-line';
  }
  const cut: RecoveryCut | null = tornBytes > 0 ? { file: path, bytes: tornBytes, offset: end, reason } : null;
  if (tornBytes > 0 && opts.truncate) {
    fsSeam.ftruncateSync(fd, end);
    fsSeam.fdatasyncSync(fd);
  }
  return { size: opts.truncate ? end : size, tornBytes, lastSeq, cut };
}

/** Last seq of a closed segment (read-only, torn tail ignored); -1 when it has no line. */
export function lastSeqOfFile(path: string): number {
  let fd: number;
  try {
    fd = fsSeam.openSync(path, constants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw fromFsError(err, path, 'open');
  }
  try {
    return recoverTail(fd, path, { truncate: false }).lastSeq;
  } finally {
    fsSeam.closeSync(fd);
  }
}

/**
 * The next seq for `path` given the active file's last seq: continues from the newest
 * rotated segment holding a line when the active file has none, and never goes below
 * what `{path}.meta` records.
 */
export function nextSeqFor(path: string, activeLastSeq: number): number {
  let last = activeLastSeq;
  if (last < 0) {
    for (const i of rotatedIndexes(path).reverse()) {
      last = lastSeqOfFile(segmentPath(path, i));
      if (last >= 0) break;
    }
  }
  return Math.max(last + 1, readMetaNextSeq(path));
}
