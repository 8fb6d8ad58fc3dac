// Worker side of rotate: the seed's rotation, done under the writers' lock. Writers take
// the same lock per batch and, once they hold it, notice that `{path}` is a new file
// (dev+ino) and reopen it, continuing from the newest rotated segment's last seq (or
// `{path}.meta`), so no event lands in a rotated-away file and seq stays gapless.
import { openSync, closeSync, fstatSync, constants } from 'node:fs';
import { recoverTail, nextSeqFor, shiftSegments, rotatedIndexes, sweepTemps, WalError, fromFsError } from '@threadwal/core';
import { PathLock } from '@threadwal/core/lock';
import { notRegular } from '../wal-target.js';
import type { RotateJob } from '../pool/protocol.js';
import type { RotateResult } from '../types.js';

/** Rotates `job.path` if its active file has reached maxSizeBytes; runs in a pool worker. */
export async function runRotate(job: RotateJob): Promise<RotateResult> {
  const { path, maxSizeBytes, maxRotations } = job;
  // Leftovers of killed processes first: on a full disk that is space freed before anything needs it.
  const sweptTemps = sweepTemps(path);
  const lock = new PathLock(path, job.lock.staleMs, job.lock.timeoutMs);
  await lock.acquire();
  try {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromFsError(err, path, 'open');
      return { rotated: false, size: 0, nextSeq: nextSeqFor(path, -1), tornBytes: 0, droppedSegments: 0, sweptTemps };
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw notRegular(path, path, st);
      // A crashed writer's torn tail must not travel into `{path}.1`, where it would be corruption.
      const tail = recoverTail(fd, path, { truncate: true });
      const nextSeq = nextSeqFor(path, tail.lastSeq);
      const base = { size: tail.size, nextSeq, tornBytes: tail.tornBytes, sweptTemps };
      if (tail.size === 0 || tail.size < maxSizeBytes) return { rotated: false, ...base, droppedSegments: 0 };
      // Fence: after a long pause another process may have taken the lock over as stale.
      if (!lock.stillOurs()) throw new WalError('ELOCKED', `lost the lock on ${path} before rotating`, { path });
      const dropped = rotatedIndexes(path).filter((i) => i >= maxRotations).length + (maxRotations === 0 ? 1 : 0);
      // Records nextSeq in .meta first (in place on a full disk), renames oldest first, creates
      // the fresh file (the rotated one's mode), fsyncs the directory.
      shiftSegments(path, maxRotations, nextSeq);
      return { rotated: true, ...base, droppedSegments: dropped };
    } finally {
      closeSync(fd);
    }
  } finally {
    lock.release();
  }
}
