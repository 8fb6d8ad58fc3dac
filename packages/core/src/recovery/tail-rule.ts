// What is a torn tail: the one rule recovery (openWal, rotate, cleanup), verify and readWal
// apply to the end of the active file (DESIGN.md, Recovery). A power cut leaves the batch
// it interrupted (never acknowledged: the ack follows the fdatasync) as any mix of: bytes
// missing from the end, and blocks that read back as zeros. The filesystem gives two
// signals, and the rule uses only those:
// - NUL bytes. The writer never writes one (JSON escapes control characters; appendRaw
//   text is scanned), so a NUL is the filesystem's mark of a block that never reached
//   the disk. A power cut zeroes whole blocks: inside a line, such a run of NULs ends at a
//   multiple of BLOCK bytes (data resumes at a block's start) and, unless it starts where
//   the line does, is a whole block long. A flipped byte is a single NUL.
// - The seq chain. Every line the writer writes starts `{"seq":N,` with N one past the
//   line before it, so lines after a zero-filled block whose seqs skip are what is left of
//   the same interrupted batch.
// This file holds the rule over line descriptors; tail-scan.ts reads them from a file.
import { isUtf8 } from 'node:buffer';
import { parseLine, peekSeq } from '../format/format.js';
import { checkLineChecksum } from '../format/checksum.js';

/** Blocks a power cut zeroes are multiples of this (a sector; 4 KiB pages are 8 of them). */
export const BLOCK = 512;

/**
 * Lines after a zero-filled hole are cut only when the hole starts in this many bytes
 * before the end of the whole lines: the most one interrupted write can hold (four times the
 * default maxBatchBytes, room for the seq prefix and checksum of the smallest events).
 */
export const TORN_WINDOW = 16 * 1024 * 1024;

/** One complete line: bytes [start, end) of the file, its `\n` at `end`. */
export interface TailLine {
  start: number;
  end: number;
  /** Holds a NUL byte. */
  nul: boolean;
  /**
   * Without NUL: the line's seq (its `{"seq":N,` prefix, else the seq JSON.parse finds), -1
   * when it has none or its crc32c field does not match. With NUL: its prefix's seq, or -1.
   */
  seq: number;
  /** With NUL: every run of NULs could be a zeroed block (it ends at a multiple of BLOCK, or is at least BLOCK long). */
  blockZeros: boolean;
}

/**
 * The seq a line without NUL bytes names, or -1: its writer prefix, else (a line in another
 * field order) what parseLine reads; a line whose checksum field does not match names none.
 */
export function readableSeq(buf: Buffer, s: number, e: number): number {
  if (checkLineChecksum(buf, s, e) === 'bad') return -1;
  const seq = peekSeq(buf, s, e);
  if (seq >= 0) return seq;
  if (!isUtf8(buf.subarray(s, e))) return -1;
  try {
    return parseLine(buf.toString('utf8', s, e)).seq;
  } catch {
    return -1;
  }
}

/** Describes the line [s, e) of `buf` (its `\n` at e), which sits at file offset `at`. */
export function describeLine(buf: Buffer, s: number, e: number, at: number): TailLine {
  const first = buf.indexOf(0, s);
  if (first < 0 || first >= e) return { start: at, end: at + e - s, nul: false, seq: readableSeq(buf, s, e), blockZeros: false };
  let blockZeros = true;
  for (let i = first; i >= 0 && i < e; i = buf.indexOf(0, i)) {
    const run = i;
    while (i < e && buf[i] === 0) i++;
    // Data resumes at i (the `\n` at the latest): a zeroed block ends on a block boundary.
    if ((at + i - s) % BLOCK !== 0 && i - run < BLOCK) {
      blockZeros = false;
      break;
    }
  }
  return { start: at, end: at + e - s, nul: true, seq: peekSeq(buf, s, e), blockZeros };
}

/** What judgeTail decided. */
export interface TailJudgement {
  /** Where the torn tail starts: a line's start, or `wholeEnd` when only bytes after the last `\n` (if any) are torn. */
  tornStart: number;
  /** The chain at tornStart: the last kept record's seq (+1 for each kept record after it that names none). */
  lastSeq: number;
  /** A kept line named a seq (else lastSeq counts from `before`). */
  anchored: boolean;
  /** Kept record lines. */
  records: number;
}

/**
 * Judges `lines` (consecutive, in file order, ending at `wholeEnd`), the chain before them
 * being `before` (the seq of the record before the first line; -1 for none):
 * 1. A line without NUL is a record, whatever it holds: the writer wrote it whole (a power
 *    cut cannot make one), so it is never cut. Its seq is the one it names, else one past
 *    the record before it.
 * 2. A line with NUL whose prefix continues the chain (seq = last + 1) and that holds a
 *    run of NULs no power cut makes (shorter than a block, not ending on a block boundary)
 *    is a damaged record: a flipped byte, not a lost block.
 * 3. Any other line with NUL is a hole. A hole with everything after it is torn when no
 *    later line continues the chain from before it (names a seq <= last + 1, without
 *    block-shaped NULs) and it starts within `window` bytes of `wholeEnd`, or when only
 *    lines with NUL follow it. Otherwise it is corruption: kept, and judging goes on.
 */
export function judgeTail(lines: readonly TailLine[], before: number, wholeEnd: number, window: number): TailJudgement {
  const n = lines.length;
  let lastNulFree = -1;
  for (let k = 0; k < n; k++) if (!lines[k]!.nul) lastNulFree = k;
  let last = before;
  let anchored = false;
  let records = 0;
  const keep = (l: TailLine): void => {
    records += 1;
    if (l.seq >= 0) {
      last = l.seq;
      anchored = true;
    } else {
      last += 1;
    }
  };
  let i = 0;
  while (i < n) {
    const l = lines[i]!;
    if (!l.nul || (l.seq === last + 1 && !l.blockZeros)) {
      keep(l);
      i += 1;
      continue;
    }
    const inWindow = l.start >= wholeEnd - window;
    if (!inWindow) {
      if (lastNulFree < i) return { tornStart: l.start, lastSeq: last, anchored, records };
      i += 1; // far from the end and followed by records: corruption
      continue;
    }
    let j = i + 1;
    for (; j < n; j++) {
      const m = lines[j]!;
      if (m.seq >= 0 && m.seq <= last + 1 && (!m.nul || !m.blockZeros)) break;
    }
    if (j === n) return { tornStart: l.start, lastSeq: last, anchored, records };
    // The chain goes on after the hole, so it lost no seq: the lines up to there are kept
    // (those with NUL as corruption), and judging resumes at the continuing line.
    for (let k = i + 1; k < j; k++) if (!lines[k]!.nul) keep(lines[k]!);
    i = j;
  }
  return { tornStart: wholeEnd, lastSeq: last, anchored, records };
}
