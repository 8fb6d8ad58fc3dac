// What a reader carries across the segments it reads (ReadState), and the verdict on a run of
// bad lines: skipped and counted, or ECORRUPT naming the file and offset.
import { WalError } from '@threadwal/core';
import { badLineMessage, type BadWhy } from './lines.js';

/** Runs of skipped lines a reader remembers (the count stays exact). */
export const MAX_SKIP_RUNS = 100;

/** `lines` consecutive bad lines skipped, the first at `offset` of `file`. */
export interface SkippedRun {
  file: string;
  offset: number;
  lines: number;
}

/** Shared by every segment a reader reads. */
export interface ReadState {
  /** Yield only seq >= this. */
  fromSeq: number;
  /** Highest seq parsed, -1 before the first. */
  lastSeq: number;
  /** Seq of the last record handed to the consumer, -1 before the first (what a cursor may commit). */
  yielded: number;
  onCorrupt: 'throw' | 'skip';
  skipped: number;
  /** Where the skipped lines were: runs of consecutive bad lines, the first MAX_SKIP_RUNS of them. */
  skips: SkippedRun[];
  tornBytes: number;
  /** Attach each record's stored line text as record[RECORD_LINE] (readWal's `keepLines`). */
  keepLines: boolean;
}

/** A run of bad lines: skipped and counted (onCorrupt 'skip'), or ECORRUPT with file, offset and why. */
export function corrupt(file: string, offset: number, count: number, st: ReadState, why?: BadWhy): void {
  if (st.onCorrupt === 'skip') {
    st.skipped += count;
    if (st.skips.length < MAX_SKIP_RUNS) st.skips.push({ file, offset, lines: count });
    return;
  }
  throw new WalError('ECORRUPT', badLineMessage(file, offset, why), { path: file, file, offset });
}
