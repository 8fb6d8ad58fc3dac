// What a workload tells the explorer, in the trace itself: each `@@TW …` line is one
// write(2) to stdout, so it sits in the trace in order with the file operations.
//   ack <seq> <job_id>          an append resolved (the event is acknowledged)
//   floor <seq>|all             the lowest seq still in the live log (after an operation
//                               that deletes events); `all`: no event is left
//   commit <cursor> <seq>       commitCursor resolved
//   checkpoint <name> <seq>     a ship checkpoint commit resolved
import { writeSync, openSync, closeSync, fstatSync, constants } from 'node:fs';
import type { Wal } from '@threadwal/client';
import { segmentPaths, firstLineKeys, readGzipMeta } from '@threadwal/core';
import { eventFor } from '../events.js';

export function mark(...parts: Array<string | number>): void {
  writeSync(1, `@@TW ${parts.join(' ')}\n`);
}

/** Appends the event of `jobId`, then marks it acknowledged. */
export async function ack(wal: Wal, jobId: string): Promise<number> {
  const seq = await wal.append(eventFor(jobId));
  mark('ack', seq, jobId);
  return seq;
}

/** The lowest seq in any segment of the live log, or undefined when none holds an event. */
function lowestSeq(path: string): number | undefined {
  let low: number | undefined;
  for (const file of segmentPaths(path)) {
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY);
    } catch {
      continue; // renamed away meanwhile: its events are gone from the log
    }
    try {
      const first = file.endsWith('.gz') ? readGzipMeta(fd)?.firstSeq : firstLineKeys(fd, fstatSync(fd).size)?.seq;
      if (first !== undefined && first >= 0 && (low === undefined || first < low)) low = first;
    } finally {
      closeSync(fd);
    }
  }
  return low;
}

/** Marks the lowest seq still in the log: acked events below it may have been deleted on purpose. */
export function floor(path: string): void {
  const low = lowestSeq(path);
  mark('floor', low === undefined ? 'all' : low);
}

/**
 * Appends `k` events named `<tag>-<from>…` in writes of varied sizes: one event alone, then
 * bursts of 2, 5, 9 and 14 appended in one tick (one batch: one write of up to ~9 KiB,
 * crossing sectors and pages), repeating. Returns the next number.
 */
export async function appendSome(wal: Wal, tag: string, from: number, k: number): Promise<number> {
  const sizes = [1, 2, 5, 9, 14];
  let i = from;
  for (let round = 0; i < from + k; round++) {
    const m = Math.min(sizes[round % sizes.length]!, from + k - i);
    const ids = Array.from({ length: m }, (_, x) => `${tag}-${i + x}`);
    i += m;
    await Promise.all(ids.map((id) => ack(wal, id)));
  }
  return i;
}
