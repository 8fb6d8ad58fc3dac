// Per-line bookkeeping shared by readWal and verify. Where the active file's torn tail
// starts is core's to say (scanActiveTail: the rule recovery cuts by, DESIGN.md Recovery);
// every line before it that is not a record is corruption, reported with file and offset.
// (peekTs and nextNewline live in core's segment-tail.ts: the writer's retention reads
// segment tails too.)
import { checksumMismatch, type ChecksumMismatch } from '@threadwal/core';

/** Why a line is bad: a checksum that does not match (with both values), else it does not parse. */
export interface BadWhy {
  checksum?: ChecksumMismatch | undefined;
}

/** Why the line [s, e) of `buf` is not a record. */
export function badWhy(buf: Buffer, s: number, e: number): BadWhy | undefined {
  const checksum = checksumMismatch(buf, s, e);
  return checksum ? { checksum } : undefined;
}

/** The message of a bad line at `file:offset`. */
export function badLineMessage(file: string, offset: number, why: BadWhy | undefined): string {
  const c = why?.checksum;
  if (c) return `checksum mismatch at ${file}:${offset} (crc32c expected ${c.expected}, actual ${c.actual})`;
  return `line does not parse at ${file}:${offset}`;
}

/** A run of consecutive bad lines: where it starts, how many, and why the first one is bad. */
export class BadRun {
  /** Offset of the first line, -1 when the run is empty. */
  first = -1;
  count = 0;
  why: BadWhy | undefined = undefined;

  add(offset: number, why?: BadWhy): void {
    if (this.count === 0) {
      this.first = offset;
      this.why = why;
    }
    this.count += 1;
  }

  clear(): void {
    this.first = -1;
    this.count = 0;
    this.why = undefined;
  }
}
