// Worker side of compress: each plain rotated segment becomes `{path}.N.gz`. The gzip is
// written without the lock (rotated segments no longer change; one that cleanup replaced
// or retention deleted meanwhile is found gone by dev+ino and its copy discarded) into a
// temp file named like cleanup's (readers never see it; the next cleanup or compress sweeps
// it), made durable, then under the writers' lock, where the segment is now (a rotation
// may have shifted it): rename temp → `.N.gz`, fsync the directory, unlink `.N`, fsync
// again. A crash leaves the plain segment, or both (same lines; readers take the plain
// one and the next compress removes it), never neither and never a partial `.gz` under a
// segment's name.
import { openSync, closeSync, writeSync, readSync, fdatasyncSync, fsyncSync, futimesSync, fchmodSync, fstatSync, renameSync, unlinkSync, statSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { createGzip } from 'node:zlib';
import { fsyncDir, fromFsError, isNoSpace, WalError, COMPRESSED_SUFFIX } from '@threadwal/core';
import { PathLock } from '@threadwal/core/lock';
import { openSegments, closeSegments, locate, type SegmentFile } from '../read/snapshot.js';
import { firstLineKeys, lastLineKeys } from '@threadwal/core';
import { gzipHeader, NODE_GZIP_HEADER_BYTES } from '@threadwal/core';
import { sweepTemps, tempPath } from '@threadwal/core';
import type { JobContext } from '../pool/job-context.js';
import type { CompressJob } from '../pool/protocol.js';
import type { CompressResult } from '../types.js';

const IN_BYTES = 1024 * 1024;
/** As cleanup's rewriter: a large unsynced file would make every writer's fdatasync wait for it (ext4 data=ordered). */
const SYNC_EVERY_BYTES = 8 * 1024 * 1024;

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
          out = await writeGzip(seg, tmp, job.level, ctx);
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

/** Writes the gzip of `seg` to `tmp` (header with the segment's keys, then node's deflate stream), durably; returns its size. */
async function writeGzip(seg: SegmentFile, tmp: string, level: number, ctx: JobContext): Promise<number> {
  const first = firstLineKeys(seg.fd, seg.size);
  const last = lastLineKeys(seg.fd, seg.size);
  const header = gzipHeader({ firstSeq: first?.seq ?? -1, lastSeq: last?.seq ?? -1, lastTs: last?.ts ?? -1, bytes: seg.size });
  let out: number;
  const mode = fstatSync(seg.fd).mode & 0o7777; // the compressed segment keeps the plain one's mode
  try {
    out = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (err) {
    throw fromFsError(err, tmp, 'create');
  }
  try {
    fchmodSync(out, mode); // exactly: the umask of this process does not apply
  } catch (err) {
    closeSync(out);
    throw fromFsError(err, tmp, 'chmod');
  }
  let written = 0;
  let unsynced = 0;
  const put = (b: Buffer, from = 0): void => {
    try {
      for (let s = from; s < b.length;) s += writeSync(out, b, s, b.length - s);
    } catch (err) {
      throw fromFsError(err, tmp, 'write');
    }
    written += b.length - from;
    unsynced += b.length - from;
    if (unsynced >= SYNC_EVERY_BYTES) {
      fdatasyncSync(out);
      unsynced = 0;
    }
  };
  try {
    put(header);
    const z = createGzip({ level });
    let skip = NODE_GZIP_HEADER_BYTES; // node's own fixed header: ours, with the comment, replaces it
    let failure: unknown = null;
    z.on('data', (b: Buffer) => {
      if (failure) return;
      try {
        const from = Math.min(skip, b.length);
        skip -= from;
        if (from < b.length) put(b, from);
      } catch (err) {
        failure = err;
      }
    });
    const ended = new Promise<void>((resolve, reject) => {
      z.once('end', resolve);
      z.once('error', reject);
    });
    const inBuf = Buffer.allocUnsafe(IN_BYTES);
    for (let pos = 0; pos < seg.size;) {
      const n = readSync(seg.fd, inBuf, 0, Math.min(IN_BYTES, seg.size - pos), pos);
      if (n === 0) throw new WalError('EIO', `${seg.path} ended at ${pos}, expected ${seg.size} bytes`, { path: seg.path });
      pos += n;
      // Wait for each chunk to be consumed: memory stays at one chunk, and the buffer can be reused.
      await new Promise<void>((resolve, reject) => z.write(inBuf.subarray(0, n), (err) => (err ? reject(err) : resolve())));
      if (failure) throw failure;
      ctx.advance(n);
    }
    z.end();
    await ended;
    if (failure) throw failure;
    // The copy keeps the segment's mtime, which cleanup trusts as a bound on its newest event.
    futimesSync(out, new Date(), new Date(seg.mtimeMs));
    fsyncSync(out);
  } finally {
    closeSync(out);
  }
  return written;
}

/**
 * Under the lock: puts `tmp` (null: an existing `.gz` beside it) in place of the plain
 * segment wherever it is now, then removes the plain one. False when the segment is gone.
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
    if (tmp) {
      renameSync(tmp, where + COMPRESSED_SUFFIX);
      fsyncDir(dirname(path));
    } else if (!statSync(where + COMPRESSED_SUFFIX, { throwIfNoEntry: false })) {
      return false; // the pair moved apart: only a rename of both keeps them together, so leave it
    }
    unlinkSync(where);
    fsyncDir(dirname(path));
    return true;
  } finally {
    lock.release();
  }
}
