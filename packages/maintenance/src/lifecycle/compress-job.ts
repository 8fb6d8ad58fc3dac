// Worker side of compress: each plain rotated segment becomes `{path}.N.gz`, by core's
// crash-safe routine (compress/gzip-segment.ts, shared with the writer's rotate.compress):
// the gzip is written without the lock (rotated segments no longer change; one that
// cleanup replaced or retention deleted meanwhile is found gone by dev+ino and its copy
// discarded) into a temp file, made durable, then put in place under the writers' lock
// where the segment is now (a rotation may have shifted it), the plain file retired.
import { unlinkSync, statSync } from 'node:fs';
import { fromFsError, isNoSpace, WalError, COMPRESSED_SUFFIX, writeGzipCopy, installCompressed, sweepTemps, tempPath } from '@threadwal/core';
import { PathLock } from '@threadwal/core/lock';
import { openSegments, closeSegments, locate, type SegmentFile } from '../read/snapshot.js';
import type { JobContext } from '../pool/job-context.js';
import type { CompressJob } from '../pool/protocol.js';
import type { CompressResult } from '../types.js';

/** Compresses the plain rotated segments of `job.path` (those with index >= job.minIndex); runs in a pool worker. */
export async function runCompress(job: CompressJob, ctx: JobContext): Promise<CompressResult> {
  const { path } = job;
  const t0 = performance.now();
  // Leftovers of killed processes first: on a full disk that is space freed before anything needs it.
  const result: CompressResult = { compressedSegments: 0, finishedSegments: 0, bytesIn: 0, bytesOut: 0, ratio: 0, mbPerSec: 0, sweptTemps: sweepTemps(path), noSpaceSegments: 0 };
  const lock = new PathLock(path, job.lock.staleMs, job.lock.timeoutMs);
  const segs = openSegments(path);
  try {
    let todo = segs.filter((s) => s.index >= Math.max(1, job.minIndex) && !s.compressed);
    ctx.bytesTotal = todo.reduce((n, s) => n + s.size, 0);
    // Out of space, a segment waits while the others go on: each one compressed frees space,
    // so those that had no room are tried again until a round makes no progress.
    let noSpace: unknown = null;
    for (;;) {
      const left: SegmentFile[] = [];
      let progress = false;
      for (const seg of todo) {
        ctx.checkCancel();
        // A crash between rename and unlink left a finished copy: only the unlink is missing (it frees space).
        if (statSync(seg.path + COMPRESSED_SUFFIX, { throwIfNoEntry: false })) {
          if (await commit(path, lock, seg, null)) {
            result.finishedSegments += 1;
            progress = true;
          }
          closeSegments([seg]); // an unlinked file's blocks are freed once no fd holds it
          ctx.advance(seg.size);
          continue;
        }
        const tmp = tempPath(path);
        let out: number;
        try {
          out = await writeGzipCopy(seg, tmp, job.level, (n) => ctx.advance(n));
        } catch (err) {
          try { unlinkSync(tmp); } catch { /* never created, or already gone */ }
          if (!isNoSpace(err)) throw err;
          noSpace = err;
          left.push(seg);
          continue;
        }
        if (await commit(path, lock, seg, tmp)) {
          result.compressedSegments += 1;
          result.bytesIn += seg.size;
          result.bytesOut += out;
          progress = true;
        }
        closeSegments([seg]); // an unlinked file's blocks are freed once no fd holds it
      }
      todo = left;
      if (todo.length === 0 || !progress) break;
      ctx.bytesTotal += todo.reduce((n, s) => n + s.size, 0); // counted again as they are retried
    }
    result.noSpaceSegments = todo.length;
    if (todo.length > 0 && result.compressedSegments + result.finishedSegments === 0) {
      const e = fromFsError(noSpace, path, 'compress');
      throw new WalError(e.code, `compress could not write any compressed segment of ${path} for lack of space (${(noSpace as Error).message}); nothing was changed and no temp file is left: free space first (applyRetention or cleanup delete segments without needing any)`, { path, cause: noSpace });
    }
  } finally {
    closeSegments(segs);
  }
  result.ratio = result.bytesOut > 0 ? result.bytesIn / result.bytesOut : 0;
  const secs = (performance.now() - t0) / 1000;
  result.mbPerSec = secs > 0 ? result.bytesIn / 1e6 / secs : 0;
  return result;
}

/**
 * Under the lock: puts `tmp` (null: an existing `.gz` beside it) in place of the plain
 * segment wherever it is now, then removes the plain one (retired to a temp name first,
 * so a crash before the unlink leaves only a temp the next run sweeps). False when the
 * segment is gone.
 */
async function commit(path: string, lock: PathLock, seg: SegmentFile, tmp: string | null): Promise<boolean> {
  await lock.acquire();
  try {
    const where = locate(path, seg);
    if (where === undefined || where === path || where.endsWith(COMPRESSED_SUFFIX)) {
      if (tmp) unlinkSync(tmp);
      return false;
    }
    if (!lock.stillOurs()) throw new WalError('ELOCKED', `lost the lock on ${path} during compress`, { path });
    if (!tmp && !statSync(where + COMPRESSED_SUFFIX, { throwIfNoEntry: false })) {
      return false; // the pair moved apart: only a rename of both keeps them together, so leave it
    }
    unlinkSync(installCompressed(path, where, tmp));
    return true;
  } finally {
    lock.release();
  }
}
