// Worker side of retention: under the writers' lock (one process at a time, and no writer
// or rotation moves a file meanwhile) judge every rotated segment, earlier runs' included,
// record the next seq in `{path}.meta`, then retire the doomed ones oldest first (core's
// retention-apply.ts, shared with the writer's automatic rotation); their blocks are freed
// after the lock is released.
import { statSync, unlinkSync } from 'node:fs';
import { decideRetention, lastSeqOfFile, nextSeqFor, retireSegments, segmentPaths, sweepTemps, writeMetaNextSeq, WalError } from '@threadwal/core';
import { PathLock } from '@threadwal/core/lock';
import type { RetentionJob } from '../pool/protocol.js';
import type { RetentionResult } from '../types.js';

/** Applies `job.policy`; runs in a pool worker. */
export async function runRetention(job: RetentionJob): Promise<RetentionResult> {
  const { path, policy } = job;
  const lock = new PathLock(path, job.lock.staleMs, job.lock.timeoutMs);
  let trash: string[] = [];
  // Leftovers of killed processes first: on a full disk that is space freed before anything needs it.
  const sweptTemps = sweepTemps(path);
  await lock.acquire();
  let result: RetentionResult;
  try {
    const { segs, doomed, plan, forcedPastCursors } = decideRetention(path, policy, job.now);
    const nextSeq = nextSeqFor(path, lastSeqOfFile(path));
    if (doomed.length > 0) {
      // Before any event disappears: a seq is never reused, even when this removes every rotated
      // one. On a full disk .meta is updated in place (core's writeMeta): no block is needed.
      writeMetaNextSeq(path, nextSeq);
      if (!lock.stillOurs()) throw new WalError('ELOCKED', `lost the lock on ${path} during retention`, { path });
      trash = retireSegments(path, doomed);
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
      sweptTemps,
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
