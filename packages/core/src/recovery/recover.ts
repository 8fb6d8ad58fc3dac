// Open-time recovery in O(tail): find where the torn tail of the active file starts
// (tail-scan.ts, under the rule of tail-rule.ts that verify and readWal share), cut it,
// and learn the last seq. What a power cut leaves of an unacknowledged batch is cut:
// bytes after the last `\n`, zero-filled blocks and the lines after them whose seqs break
// the chain. A whole line without NUL bytes is never cut, even when it does not parse: it
// is a record the writer wrote (readers report it as corrupt), and its seq is never
// handed out again. Nothing is changed in a file that is not a WAL.
import { constants } from 'node:fs';
import { fsSeam } from '../util/fs-seam.js';
import { WalError, fromFsError } from '../errors.js';
import { rotatedIndexes, segmentPath, readMetaNextSeq, metaPath } from '../segments/segments.js';
import { lastNewline, readRange, scanTail, type TailScan } from './tail-scan.js';
import { readableSeq, TORN_WINDOW } from './tail-rule.js';

export { lastNewline };

const NL = 0x0a;

/** Why recovery cut the end of a file. */
export type CutReason =
  | 'partial-line' // bytes after the last `\n`
  | 'zero-filled' // zero-filled blocks (lines holding NUL bytes) and the lines after them whose seqs break the chain
  | 'torn-first-batch'; // nothing kept: a new segment torn in its first batch

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
  /** Seq of the last record kept, -1 when the file keeps none. */
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

/** `{path}.meta` or a rotated segment exists: `path` is certainly a WAL (the writer writes `.meta` before its first batch). */
function knownWal(path: string): boolean {
  return fsSeam.statSync(metaPath(path)) !== undefined || rotatedIndexes(path).length > 0;
}

/** The seq of the record before the active file's first line: the newest rotated segment's last, never below `.meta`'s floor. */
function chainBefore(path: string): number {
  return nextSeqFor(path, -1) - 1;
}

/** Where the torn tail of the active file `path` (open at `fd`, `size` bytes) starts: what verify and readWal stop at. */
export function scanActiveTail(fd: number, path: string, size: number, window = TORN_WINDOW): TailScan {
  return scanTail(fd, size, { window, before: () => chainBefore(path) });
}

function notAWal(path: string, size: number, why: string): WalError {
  return new WalError('ECORRUPT', `${path} is not a threadwal WAL (${why} in its ${size} bytes); refusing to open it, nothing was changed`, { path, file: path, offset: 0 });
}

/**
 * Finds where the torn tail of the active file open at `fd` starts and, with `truncate`,
 * cuts it (then fdatasyncs). `quick` judges only holes at the very end (what a live
 * writer's re-read needs: no power cut can have happened since it opened the file).
 * Throws ECORRUPT, changing nothing, for a file that is not a WAL.
 */
export function recoverTail(fd: number, path: string, opts: { truncate: boolean; quick?: boolean }): TailState {
  const size = fsSeam.fstatSync(fd).size;
  const t = scanActiveTail(fd, path, size, opts.quick ? 0 : TORN_WINDOW);
  const end = t.tornStart;
  const tornBytes = size - end;
  if (!t.reach) throw notAWal(path, size, `no line names a seq near its end`);
  if (!t.anchored && !knownWal(path)) {
    // Nothing kept names a seq and nothing beside the file says it is a WAL: only a torn new log may be cut, never someone's file (issue 10).
    if (end > 0) throw notAWal(path, size, 'no line is a record');
    if (tornBytes > 0) {
      const whole = size <= MAX_FIRST_BATCH_READ ? readRange(fd, 0, size) : null;
      if (!whole || !looksTornFirstBatch(whole)) throw notAWal(path, size, 'no line is a record');
    }
  }
  let cut: RecoveryCut | null = null;
  if (tornBytes > 0) {
    const reason: CutReason = t.records === 0 && end === 0 ? 'torn-first-batch' : end < t.wholeEnd ? 'zero-filled' : 'partial-line';
    cut = { file: path, bytes: tornBytes, offset: end, reason };
    if (opts.truncate) {
      fsSeam.ftruncateSync(fd, end);
      fsSeam.fdatasyncSync(fd);
    }
  }
  return { size: opts.truncate ? end : size, tornBytes, lastSeq: t.lastSeq, cut };
}

/**
 * Last seq of a closed (rotated) segment: its last whole line naming a seq, plus one for
 * each whole line without NUL after it (records that name none); -1 when it has none.
 * Nothing in a closed segment is torn: the writer rotates only after its batch is durable.
 */
function lastSeqOfSegment(fd: number): number {
  const size = fsSeam.fstatSync(fd).size;
  const scratch = Buffer.allocUnsafe(64 * 1024);
  let records = 0;
  for (let end = lastNewline(fd, size, scratch) + 1; end > 0 && size - end <= TORN_WINDOW;) {
    const start = lastNewline(fd, end - 1, scratch) + 1;
    const line = readRange(fd, start, end - 1);
    if (!line.includes(0)) {
      const seq = readableSeq(line, 0, line.length);
      if (seq >= 0) return seq + records;
      records += 1;
    }
    end = start;
  }
  return -1;
}

function openRead(path: string): number | undefined {
  try {
    return fsSeam.openSync(path, constants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromFsError(err, path, 'open');
  }
}

/**
 * Last seq of the active file `path` (read-only), -1 when it has none: what recovery keeps,
 * judging only holes at the very end (quick: O(last line), as often as a shipper samples
 * it). A hole further back, followed by lines, can only make it higher than what the next
 * open keeps, never lower: a seq floor taken from it never reuses one.
 */
export function lastSeqOfFile(path: string): number {
  const fd = openRead(path);
  if (fd === undefined) return -1;
  try {
    return recoverTail(fd, path, { truncate: false, quick: true }).lastSeq;
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
      const fd = openRead(segmentPath(path, i));
      if (fd === undefined) continue;
      try {
        last = lastSeqOfSegment(fd);
      } finally {
        fsSeam.closeSync(fd);
      }
      if (last >= 0) break;
    }
  }
  return Math.max(last + 1, readMetaNextSeq(path));
}
