// Worker side of retention: under the writers' lock (one process at a time, and no writer
// or rotation moves a file meanwhile) list every rotated segment, earlier runs' included,
// judge them (retention-plan.ts), record the next seq in `{path}.meta`, then rename the
// doomed ones, oldest first, to temp names (a crash midway leaves the newest segments: a
// gapless suffix) and fsync the directory; their blocks are freed after the lock is released.
import { openSync, closeSync, statSync, renameSync, unlinkSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir, lastSeqOfFile, nextSeqFor, rotatedIndexes, rotatedSegmentFile, segmentPath, segmentPaths, writeMetaNextSeq, WalError, COMPRESSED_SUFFIX } from '@threadwal/core';
import { PathLock } from '@threadwal/core/lock';
import { firstLineKeys, lastLineKeys } from './tail.js';
import { readGzipMeta } from './gz-format.js';
import { readCursorSync } from './cursors.js';
import { planRetention, type SegmentFacts } from './retention-plan.js';
import { sweepTemps, tempPath } from './temp-files.js';
import type { RetentionJob } from './protocol.js';
import type { ForcedPastCursor, RetentionResult } from './types.js';

interface Listed extends SegmentFacts {
  files: string[];
}

/** Facts of rotated segment `index` (undefined when it vanished). */
function facts(path: string, index: number): Listed | undefined {
  const file = rotatedSegmentFile(path, index);
  if (file === undefined) return undefined;
  const files = [segmentPath(path, index), segmentPath(path, index) + COMPRESSED_SUFFIX].filter((p) => statSync(p, { throwIfNoEntry: false }));
  const bytes = files.reduce((n, p) => n + (statSync(p, { throwIfNoEntry: false })?.size ?? 0), 0);
  const fd = openSync(file, constants.O_RDONLY);
  try {
    const st = statSync(file);
    const mtime = Math.floor(st.mtimeMs / 1000);
    if (file.endsWith(COMPRESSED_SUFFIX)) {
      const m = readGzipMeta(fd);
      return { files, bytes, firstSeq: m?.firstSeq ?? -1, lastSeq: m?.lastSeq ?? -1, lastTs: m && m.lastTs >= 0 ? m.lastTs : mtime };
    }
    const last = lastLineKeys(fd, st.size);
    const first = firstLineKeys(fd, st.size);
    return { files, bytes, firstSeq: first?.seq ?? -1, lastSeq: last?.seq ?? -1, lastTs: last?.ts ?? mtime };
  } finally {
    closeSync(fd);
  }
}

/** Applies `job.policy`; runs in a pool worker. */
export async function runRetention(job: RetentionJob): Promise<RetentionResult> {
  const { path, policy } = job;
  const lock = new PathLock(path, job.lock.staleMs, job.lock.timeoutMs);
  let trash: string[] = [];
  sweepTemps(path);
  await lock.acquire();
  let result: RetentionResult;
  try {
    const segs: Listed[] = [];
    for (const i of rotatedIndexes(path)) {
      const f = facts(path, i);
      if (f) segs.push(f);
    }
    const activeBytes = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
    const cursors = policy.untilCommitted.map((name) => ({ name, seq: readCursorSync(path, name) }));
    const committed = cursors.length === 0 ? Infinity : Math.min(...cursors.map((c) => c.seq));
    const plan = planRetention(segs, activeBytes, policy, job.now, committed);
    const doomed = segs.slice(0, plan.count);
    const nextSeq = nextSeqFor(path, lastSeqOfFile(path));
    const forcedPastCursors: ForcedPastCursor[] = [];
    if (plan.forced > 0) {
      const lostTo = doomed.reduce((m, s) => Math.max(m, s.lastSeq), -1);
      for (const c of cursors) {
        if (lostTo > c.seq) forcedPastCursors.push({ cursor: c.name, committedSeq: c.seq, lostFromSeq: c.seq + 1, lostToSeq: lostTo });
      }
    }
    if (doomed.length > 0) {
      // Before any event disappears: a seq is never reused, even when this removes every rotated one.
      writeMetaNextSeq(path, nextSeq);
      if (!lock.stillOurs()) throw new WalError('ELOCKED', `lost the lock on ${path} during retention`, { path });
      for (const s of doomed) {
        for (const f of s.files) {
          const t = tempPath(path);
          renameSync(f, t);
          trash.push(t);
        }
      }
      fsyncDir(dirname(path));
    }
    const removedEvents = doomed.reduce((n, s) => n + (s.firstSeq >= 0 && s.lastSeq >= s.firstSeq ? s.lastSeq - s.firstSeq + 1 : 0), 0);
    result = {
      deletedSegments: doomed.length,
      deletedBytes: doomed.reduce((n, s) => n + s.bytes, 0),
      removedEvents,
      keptSegments: segs.length - doomed.length,
      totalBytes: 0,
      due: plan.due,
      heldByCursors: plan.heldByCursors,
      forcedPastCursors,
      overBudget: plan.overBudget,
      nextSeq,
    };
  } finally {
    lock.release();
  }
  // Freeing a large file's blocks takes a while: after the lock. A crash here leaves temp names the next cleanup sweeps.
  for (const t of trash) unlinkSync(t);
  trash = [];
  result.totalBytes = segmentPaths(path).reduce((n, p) => n + (statSync(p, { throwIfNoEntry: false })?.size ?? 0), 0);
  return result;
}
