// Worker side of compress: each plain rotated segment becomes `{path}.N.gz`, by core's
// crash-safe routine (compress/gzip-segment.ts, shared with the writer's rotate.compress):
// the gzip is written without the lock (rotated segments no longer change; one that
// cleanup replaced or retention deleted meanwhile is found gone by dev+ino and its copy
// discarded) into a temp file, made durable, then put in place under the writers' lock
// where the segment is now (a rotation may have shifted it), the plain file retired.
import { unlinkSync, statSync } from 'node:fs';
import { WalError, COMPRESSED_SUFFIX, writeGzipCopy, installCompressed, sweepTemps, tempPath } from '@threadwal/core';
import { PathLock } from '@threadwal/core/lock';
import { openSegments, closeSegments, locate, type SegmentFile } from '../read/snapshot.js';
import type { JobContext } from '../pool/job-context.js';
import type { CompressJob } from '../pool/protocol.js';
import type { CompressResult } from '../types.js';

/** Compresses the plain rotated segments of `job.path` (those with index >= job.minIndex); runs in a pool worker. */
export async function runCompress(job: CompressJob, ctx: JobContext): Promise<CompressResult> {
  const { path } = job;
  const t0 = performance.now();
  const result: CompressResult = { compressedSegments: 0, finishedSegments: 0, bytesIn: 0, bytesOut: 0, ratio: 0, mbPerSec: 0, sweptTemps: sweepTemps(path) };
  const lock = new PathLock(path, job.lock.staleMs, job.lock.timeoutMs);
  const segs = openSegments(path);
  try {
    const todo = segs.filter((s) => s.index >= Math.max(1, job.minIndex) && !s.compressed);
    ctx.bytesTotal = todo.reduce((n, s) => n + s.size, 0);
    for (const seg of todo) {
      ctx.checkCancel();
      // A crash between rename and unlink left a finished copy: only the unlink is missing.
      if (statSync(seg.path + COMPRESSED_SUFFIX, { throwIfNoEntry: false })) {
        if (await commit(path, lock, seg, null)) result.finishedSegments += 1;
        ctx.advance(seg.size);
        continue;
      }
      const tmp = tempPath(path);
      let out: number;
      try {
        out = await writeGzipCopy(seg, tmp, job.level, (n) => ctx.advance(n));
      } catch (err) {
        try { unlinkSync(tmp); } catch { /* never created, or already gone */ }
        throw err;
      }
      if (await commit(path, lock, seg, tmp)) {
        result.compressedSegments += 1;
        result.bytesIn += seg.size;
        result.bytesOut += out;
      }
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
