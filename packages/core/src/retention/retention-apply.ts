// Retention on disk, for whoever holds the writers' lock: maintenance's retention job and
// the writer thread after one of its automatic rotations. List every rotated segment
// (earlier runs' included), judge them (retention-plan.ts), then rename the doomed ones,
// oldest first, to temp names and fsync the directory: a crash midway leaves the newest
// segments, a gapless suffix, never a hole. Freeing the blocks (unlinking the temp names)
// is the caller's, after the lock: a large file's unlink takes a while. The caller has
// recorded the next seq in `{path}.meta` before calling retireSegments (rotation does).
import { openSync, closeSync, fstatSync, statSync, renameSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir } from '../util/fs-seam.js';
import { rotatedIndexes, segmentPath, COMPRESSED_SUFFIX } from '../segments/segments.js';
import { firstLineKeys, lastLineKeys } from '../recovery/segment-tail.js';
import { readGzipMeta } from '../segments/gz-format.js';
import { readCursorSync } from '../segments/cursor-files.js';
import { tempPath } from '../segments/temp-files.js';
import { planRetention, type RetentionPlan, type RetentionPolicy, type SegmentFacts } from './retention-plan.js';

/** A rotated segment with the files that hold it (both while a compression's plain/.gz pair is left). */
export interface ListedSegment extends SegmentFacts {
  files: string[];
}

/** A cursor whose uncommitted events the hard size cap deleted. */
export interface ForcedPastCursor {
  cursor: string;
  /** Its committed seq (-1: never committed). */
  committedSeq: number;
  /** The events it had not read that are gone: seqs from..to inclusive. */
  lostFromSeq: number;
  lostToSeq: number;
}

export interface RetentionDecision {
  /** Every rotated segment, oldest first. */
  segs: ListedSegment[];
  /** The prefix of `segs` the policy deletes. */
  doomed: ListedSegment[];
  plan: RetentionPlan;
  forcedPastCursors: ForcedPastCursor[];
}

/**
 * Seq range and newest ts of closed segments by file identity (dev, inode, size, mtime): a
 * rotated segment never changes in place (cleanup and compress write new files), so the
 * writer, judging after every rotation, reads each segment's head and tail once, not once
 * per rotation (with 1,000 segments that was ~75 ms inside a write cycle).
 */
export type SegmentFactsCache = Map<string, Pick<SegmentFacts, 'firstSeq' | 'lastSeq' | 'lastTs'>>;

/** Facts of rotated segment `index` (undefined when it vanished). */
export function listedSegment(path: string, index: number, cache?: SegmentFactsCache, seen?: Set<string>): ListedSegment | undefined {
  const plain = segmentPath(path, index);
  const gz = plain + COMPRESSED_SUFFIX;
  const ps = statSync(plain, { throwIfNoEntry: false });
  const gs = statSync(gz, { throwIfNoEntry: false });
  // While both exist the plain one is the segment (segments.ts).
  const st = ps ?? gs;
  if (st === undefined) return undefined;
  const file = ps ? plain : gz;
  const files = [...(ps ? [plain] : []), ...(gs ? [gz] : [])];
  const bytes = (ps?.size ?? 0) + (gs?.size ?? 0);
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  seen?.add(key);
  const known = cache?.get(key);
  if (known) return { files, bytes, ...known };
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  let facts: Pick<SegmentFacts, 'firstSeq' | 'lastSeq' | 'lastTs'>;
  try {
    const size = fstatSync(fd).size;
    const mtime = Math.floor(st.mtimeMs / 1000);
    if (file === gz) {
      const m = readGzipMeta(fd);
      facts = { firstSeq: m?.firstSeq ?? -1, lastSeq: m?.lastSeq ?? -1, lastTs: m && m.lastTs >= 0 ? m.lastTs : mtime };
    } else {
      const last = lastLineKeys(fd, size);
      const first = firstLineKeys(fd, size);
      facts = { firstSeq: first?.seq ?? -1, lastSeq: last?.seq ?? -1, lastTs: last?.ts ?? mtime };
    }
  } finally {
    closeSync(fd);
  }
  cache?.set(key, facts);
  return { files, bytes, ...facts };
}

/** What `policy` deletes now (`now` in Unix seconds); reads only segment heads/tails (those not in `cache`) and cursor files. */
export function decideRetention(path: string, policy: RetentionPolicy, now: number, cache?: SegmentFactsCache): RetentionDecision {
  const segs: ListedSegment[] = [];
  const seen = cache ? new Set<string>() : undefined;
  for (const i of rotatedIndexes(path)) {
    const f = listedSegment(path, i, cache, seen);
    if (f) segs.push(f);
  }
  if (cache) for (const k of cache.keys()) if (!seen!.has(k)) cache.delete(k); // gone: deleted, compressed, replaced
  const activeBytes = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  const cursors = policy.untilCommitted.map((name) => ({ name, seq: readCursorSync(path, name) }));
  const committed = cursors.length === 0 ? Infinity : Math.min(...cursors.map((c) => c.seq));
  const plan = planRetention(segs, activeBytes, policy, now, committed);
  const doomed = segs.slice(0, plan.count);
  const forcedPastCursors: ForcedPastCursor[] = [];
  if (plan.forced > 0) {
    const lostTo = doomed.reduce((m, s) => Math.max(m, s.lastSeq), -1);
    for (const c of cursors) {
      if (lostTo > c.seq) forcedPastCursors.push({ cursor: c.name, committedSeq: c.seq, lostFromSeq: c.seq + 1, lostToSeq: lostTo });
    }
  }
  return { segs, doomed, plan, forcedPastCursors };
}

/**
 * Renames the files of `doomed` (oldest first) to temp names and fsyncs the directory;
 * returns the temp paths for the caller to unlink once it released the lock.
 */
export function retireSegments(path: string, doomed: readonly ListedSegment[]): string[] {
  const trash: string[] = [];
  if (doomed.length === 0) return trash;
  for (const s of doomed) {
    for (const f of s.files) {
      const t = tempPath(path);
      renameSync(f, t);
      trash.push(t);
    }
  }
  fsyncDir(dirname(path));
  return trash;
}

/** Says on stderr (a process warning) that the size cap deleted what a cursor had not committed. */
export function warnForcedPastCursors(path: string, forced: readonly ForcedPastCursor[]): void {
  for (const f of forced) {
    process.emitWarning(
      `maxTotalBytes deleted seqs ${f.lostFromSeq}..${f.lostToSeq} of ${path} that cursor '${f.cursor}' had not committed (it is at ${f.committedSeq})`,
      { code: 'THREADWAL_RETENTION_FORCED', type: 'ThreadwalWarning' },
    );
  }
}
