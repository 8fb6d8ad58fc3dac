// Worker side of cleanup. Events older than the cutoff are removed from the oldest end of
// the log: whole rotated segments are deleted, the segment holding the first event to keep
// is rewritten without the ones before it. Writers keep appending throughout:
//   A. under the lock: cut a torn tail, open every segment (a consistent set);
//   B. no lock: judge and copy into temp files (the bulk of the work);
//   C. brief locks: learn where the active file's whole lines end now and copy what was
//      appended meanwhile (the active file only grows under the lock), until little is left;
//   D. under the lock: copy the last bytes, record the next seq, delete and rename.
// Files are found again by dev+ino before being replaced, so a rotation that renamed them
// in the meantime is harmless. Writers stall for D only: milliseconds, not the file's size.
// On a full disk (ENOSPC, EDQUOT) a rewrite that cannot be written is dropped, with every
// plan after it (so what is removed stays a prefix): the whole old segments before it are
// still deleted, which needs no space (.meta is updated in place), and a second pass tries
// the rewrite in the room that freed.
import { fstatSync, unlinkSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { recoverTail, nextSeqFor, lastSeqOfFile, writeMetaNextSeq, fsyncDir, segmentPaths, fromFsError, isNoSpace, WalError, COMPRESSED_SUFFIX } from '@threadwal/core';
import { PathLock } from '@threadwal/core/lock';
import { openSegments, closeSegments, locate, type SegmentFile } from '../read/snapshot.js';
import { SegmentRewriter } from './segment-rewriter.js';
import { LineScanner } from '../read/line-scanner.js';
import { firstLineKeys, lastLineKeys } from '@threadwal/core';
import { sweepTemps, tempPath } from '@threadwal/core';
import { readGzipMeta } from '@threadwal/core';
import type { JobContext } from '../pool/job-context.js';
import type { CleanupJob } from '../pool/protocol.js';
import type { BadLine, CleanupResult } from '../types.js';

/** Stop catching up once at most this much is left to copy under the lock. */
const CATCHUP_BYTES = 1024 * 1024;
const MAX_CATCHUP_ROUNDS = 16;
/**
 * A segment's mtime bounds the ts of the events in it (an event is stamped before it is
 * written), which makes deleting it from its tail alone safe even when events from several
 * producers reached the file slightly out of ts order. The kernel's file clock is coarse,
 * hence the slack.
 */
const MTIME_SLACK_SECS = 2;

interface Plan {
  seg: SegmentFile;
  /** Null: delete the whole segment. */
  rw: SegmentRewriter | null;
  removed: number;
}

/** Plans dropped for lack of space, and why. */
interface NoSpace {
  segments: number;
  error: unknown;
}

/** Drops `plans[i..]` (their temp files removed) because `err` says there is no room; rethrows anything else. */
function dropForSpace(plans: Plan[], i: number, err: unknown, noSpace: NoSpace): void {
  if (!isNoSpace(err)) throw err;
  for (const p of plans.splice(i)) p.rw?.discard();
  noSpace.segments += 1;
  noSpace.error = err;
}

/** Removes events older than `job.cutoff`; runs in a pool worker. */
export async function runCleanup(job: CleanupJob, ctx: JobContext): Promise<CleanupResult> {
  // Leftovers of killed processes first: on a full disk that is space freed before anything needs it.
  const sweptTemps = sweepTemps(job.path);
  const noSpace: NoSpace = { segments: 0, error: null };
  const r = await cleanupPass(job, ctx, noSpace);
  if (noSpace.segments > 0 && r.deletedSegments > 0) {
    // A rewrite had no room, but deleting whole segments freed some: once more, in that room.
    noSpace.segments = 0;
    const again = await cleanupPass(job, ctx, noSpace);
    r.removed += again.removed;
    r.deletedSegments += again.deletedSegments;
    r.rewrittenSegments += again.rewrittenSegments;
    // The second pass judges again the lines the first kept: its bad lines are the first's.
    if (again.badLineCount > 0) {
      r.badLines = again.badLines;
      r.badLineCount = again.badLineCount;
    }
    r.bytesAfter = again.bytesAfter;
    r.maxLockHoldMs = Math.max(r.maxLockHoldMs, again.maxLockHoldMs);
  }
  r.sweptTemps = sweptTemps;
  r.noSpaceSegments = noSpace.segments;
  if (noSpace.segments > 0 && r.deletedSegments + r.rewrittenSegments === 0) {
    const e = fromFsError(noSpace.error, job.path, 'cleanup');
    throw new WalError(e.code, `cleanup could not remove anything from ${job.path} for lack of space: rewriting a segment without its old events needs room for the copy (${(noSpace.error as Error).message}); nothing was changed and no temp file is left: free space first (applyRetention deletes whole segments without needing any)`, { path: job.path, cause: noSpace.error });
  }
  return r;
}

/** One cleanup: judge, copy, commit. Out of space, drops the rewrites that had no room (noSpace). */
async function cleanupPass(job: CleanupJob, ctx: JobContext, noSpace: NoSpace): Promise<CleanupResult> {
  const { path, cutoff } = job;
  const lock = new PathLock(path, job.lock.staleMs, job.lock.timeoutMs);
  const bad = { list: [] as BadLine[], count: 0 };
  const scanner = new LineScanner();
  const plans: Plan[] = [];
  let segs: SegmentFile[] = [];
  const hold = { maxMs: 0 };
  await locked(lock, hold, () => {
    segs = openSegments(path, { activeWritable: true });
    const active = segs.find((s) => s.index === 0);
    if (active) active.size = recoverTail(active.fd, path, { truncate: true }).size;
  });
  const bytesBefore = segs.reduce((n, s) => n + s.size, 0);
  const result: CleanupResult = {
    removed: 0, cutoff, deletedSegments: 0, rewrittenSegments: 0, badLines: bad.list, badLineCount: 0,
    sweptTemps: 0, bytesBefore, bytesAfter: bytesBefore, maxLockHoldMs: 0, noSpaceSegments: 0,
  };
  try {
    ctx.bytesTotal = bytesBefore;
    planSegments(segs, cutoff, (seg) => new SegmentRewriter(seg, tempPath(path), cutoff, scanner, ctx, bad), plans, scanner, ctx, noSpace);
    const at = plans.findIndex((p) => p.rw !== null && p.seg.index === 0);
    if (at >= 0) {
      try {
        await catchUp(path, lock, hold, plans[at]!.rw!, ctx);
      } catch (err) {
        dropForSpace(plans, at, err, noSpace);
      }
    }
    for (let i = 0; i < plans.length; i++) {
      try {
        plans[i]!.rw?.flush();
      } catch (err) {
        dropForSpace(plans, i, err, noSpace);
      }
    }
    ctx.checkCancel(); // the last point where nothing has changed yet
    if (plans.length > 0) {
      const trash = await locked(lock, hold, () => commit(path, lock, plans, result, noSpace));
      // Freeing a large file's blocks takes a while: done after the lock is released.
      for (const t of trash) unlinkSync(t);
    }
  } finally {
    for (const p of plans) p.rw?.discard();
    closeSegments(segs);
  }
  result.badLineCount = bad.count;
  result.maxLockHoldMs = hold.maxMs;
  result.bytesAfter = segmentPaths(path).reduce((n, p) => n + (statSync(p, { throwIfNoEntry: false })?.size ?? 0), 0);
  ctx.bytesDone = ctx.bytesTotal;
  return result;
}

/** Phase B: decides, oldest segment first, what goes, until the first event to keep. */
function planSegments(
  segs: SegmentFile[], cutoff: number, rewriter: (seg: SegmentFile) => SegmentRewriter,
  plans: Plan[], scanner: LineScanner, ctx: JobContext, noSpace: NoSpace,
): void {
  for (const seg of segs) {
    if (seg.compressed) {
      // A compressed segment goes whole or stays whole: the first one not old as a whole
      // ends the cleanup (its old events stay until all of it is old).
      const whole = wholeCompressedEvents(seg, cutoff);
      if (whole === undefined) return;
      plans.push({ seg, rw: null, removed: whole });
      ctx.advance(seg.size);
      continue;
    }
    if (seg.index !== 0) {
      const whole = wholeSegmentEvents(seg, cutoff, scanner);
      if (whole !== undefined) {
        plans.push({ seg, rw: null, removed: whole });
        ctx.advance(seg.size);
        continue;
      }
    }
    let rw: SegmentRewriter;
    try {
      rw = rewriter(seg);
    } catch (err) {
      return dropForSpace(plans, plans.length, err, noSpace); // no room even for the temp file: stop here
    }
    try {
      rw.advance(seg.size, seg.index !== 0);
    } catch (err) {
      rw.discard();
      return dropForSpace(plans, plans.length, err, noSpace); // out of space: this one and all after stay
    }
    if (rw.removed === 0) {
      rw.discard(); // nothing old here (or only bad lines, which stay)
      if (rw.boundary) return;
      continue;
    }
    plans.push({ seg, rw, removed: 0 });
    if (rw.boundary) return;
  }
}

/** Events in a rotated segment that is old as a whole (judged from its last line and mtime), else undefined. */
function wholeSegmentEvents(seg: SegmentFile, cutoff: number, scanner: LineScanner): number | undefined {
  if (seg.mtimeMs / 1000 >= cutoff - MTIME_SLACK_SECS) return undefined;
  const last = lastLineKeys(seg.fd, seg.size);
  if (last === undefined || last.ts >= cutoff) return undefined;
  const first = firstLineKeys(seg.fd, seg.size);
  if (first !== undefined && first.seq <= last.seq) return last.seq - first.seq + 1;
  let lines = 0;
  scanner.scan(seg.fd, 0, seg.size, () => ++lines > 0);
  return lines;
}

/** Events of a compressed segment that is old as a whole (from its header and mtime), else undefined. */
function wholeCompressedEvents(seg: SegmentFile, cutoff: number): number | undefined {
  if (seg.mtimeMs / 1000 >= cutoff - MTIME_SLACK_SECS) return undefined;
  const m = readGzipMeta(seg.fd);
  if (m === undefined || m.lastSeq < 0 || m.lastTs < 0 || m.lastTs >= cutoff) return undefined;
  return m.firstSeq >= 0 && m.firstSeq <= m.lastSeq ? m.lastSeq - m.firstSeq + 1 : 0;
}

/** Where the active file's whole lines end now, under the lock; `final` once it was rotated away; undefined when it is gone. */
function currentEnd(path: string, seg: SegmentFile): { end: number; final: boolean } | undefined {
  const where = locate(path, seg);
  if (where === undefined) return undefined;
  if (where !== path) return { end: fstatSync(seg.fd).size, final: true };
  return { end: recoverTail(seg.fd, path, { truncate: true }).size, final: false };
}

/** Phase C: copies what writers appended meanwhile, taking the lock only to learn how far. */
async function catchUp(path: string, lock: PathLock, hold: { maxMs: number }, rw: SegmentRewriter, ctx: JobContext): Promise<void> {
  for (let round = 0; round < MAX_CATCHUP_ROUNDS; round++) {
    ctx.checkCancel();
    // Unlocked, the size is only an estimate (a write may be in flight), but enough to skip
    // a lock round trip when little has arrived.
    if (fstatSync(rw.seg.fd).size - rw.pos <= CATCHUP_BYTES) return;
    const now = await locked(lock, hold, () => currentEnd(path, rw.seg));
    if (now === undefined || now.end - rw.pos <= CATCHUP_BYTES) return;
    ctx.bytesTotal += now.end - rw.pos;
    rw.advance(now.end, now.final);
    if (now.final) return;
  }
}

/** Runs `fn` holding the writers' lock, keeping the longest time they were kept out. */
async function locked<T>(lock: PathLock, hold: { maxMs: number }, fn: () => T): Promise<T> {
  await lock.acquire();
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    lock.release();
    hold.maxMs = Math.max(hold.maxMs, performance.now() - t0);
  }
}

/**
 * Phase D, under the lock: finish the copies, record the next seq, then delete and rename,
 * oldest first. Deleting is a rename to a temp name (cheap); returns those names to unlink.
 */
function commit(path: string, lock: PathLock, plans: Plan[], result: CleanupResult, noSpace: NoSpace): string[] {
  const trash: string[] = [];
  const live: Array<{ p: Plan; where: string }> = [];
  for (let i = 0; i < plans.length; i++) {
    const p = plans[i]!;
    const where = locate(path, p.seg);
    if (where === undefined) continue; // deleted or replaced by someone else meanwhile: not ours to touch
    try {
      if (p.rw && p.seg.index === 0) {
        const now = currentEnd(path, p.seg)!;
        p.rw.advance(now.end, now.final);
      }
      p.rw?.finish();
    } catch (err) {
      dropForSpace(plans, i, err, noSpace); // nothing has changed yet: commit the plans before it
      break;
    }
    live.push({ p, where });
  }
  if (live.length === 0) return trash;
  // Before any event disappears: a seq is never reused, even when this removes every event.
  writeMetaNextSeq(path, nextSeqFor(path, lastSeqOfFile(path)));
  if (!lock.stillOurs()) throw new WalError('ELOCKED', `lost the lock on ${path} during cleanup`, { path });
  for (const { p, where } of live) {
    // A compressed twin of a plain segment (a compress killed before its unlink) holds the
    // old lines: it goes with the segment, or it would bring them back.
    const twin = where !== path && !where.endsWith(COMPRESSED_SUFFIX) && statSync(where + COMPRESSED_SUFFIX, { throwIfNoEntry: false }) ? where + COMPRESSED_SUFFIX : null;
    if (twin) {
      const t = tempPath(path);
      renameSync(twin, t);
      trash.push(t);
    }
    if (p.rw === null || (p.rw.written === 0 && p.seg.index !== 0)) {
      const t = tempPath(path);
      renameSync(where, t);
      trash.push(t);
      result.deletedSegments += 1;
      result.removed += p.rw === null ? p.removed : p.rw.removed;
    } else {
      renameSync(p.rw.tmp, where);
      result.rewrittenSegments += 1;
      result.removed += p.rw.removed;
    }
  }
  fsyncDir(dirname(path));
  return trash;
}
