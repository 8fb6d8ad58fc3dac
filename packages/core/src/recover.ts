// Open-time recovery in O(tail): read backwards from the end to the last complete line,
// truncate what follows it (a torn write), and learn the last seq. A 1 GB file costs one
// 64 KiB read. A final line that ends in `\n` but does not parse is torn too (DESIGN.md);
// so are trailing lines holding NUL bytes, which is how appends can persist after a power
// loss (the size reached disk, the data did not). Anything else that does not parse is
// corruption: reported, never dropped.
import { constants } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { fsSeam, readFully } from './fs-seam.js';
import { WalError } from './errors.js';
import { parseLine } from './format.js';
import { rotatedIndexes, segmentPath, readMetaNextSeq } from './segments.js';

const CHUNK = 64 * 1024;
const NL = 0x0a;

export interface TailState {
  /** File size after recovery. */
  size: number;
  /** Bytes cut (or, read-only, that would be cut) from the end. */
  tornBytes: number;
  /** Seq of the last complete line, -1 when there is none. */
  lastSeq: number;
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
        droppedUnparsable = true;
        end = start;
        continue;
      }
      throw err;
    }
  }
  const tornBytes = size - end;
  if (tornBytes > 0 && opts.truncate) {
    fsSeam.ftruncateSync(fd, end);
    fsSeam.fdatasyncSync(fd);
  }
  return { size: opts.truncate ? end : size, tornBytes, lastSeq };
}

/** Last seq of a closed segment (read-only, torn tail ignored); -1 when it has no line. */
export function lastSeqOfFile(path: string): number {
  let fd: number;
  try {
    fd = fsSeam.openSync(path, constants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw new WalError('EIO', `cannot open ${path}: ${(err as Error).message}`, { path, cause: err });
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
