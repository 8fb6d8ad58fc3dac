// Public option and result types of @threadwal/maintenance. Plain data only: results cross
// from the pool's worker threads by structured clone. The retention policy's shape lives in
// core (openWal takes it too); it is named here as well so this package's API is unchanged.
import type { ForcedPastCursor, RetentionOptions } from '@threadwal/core';

export type { ForcedPastCursor, RetentionOptions };

/** How far a long job has got, for a progress bar. */
export interface Progress {
  bytesDone: number;
  bytesTotal: number;
}

/** Lock settings shared by the jobs that take the writers' lock (rotate, cleanup). */
export interface LockOptions {
  /** Give up waiting for the writers' lock after this long and reject with ELOCKED. Default 30000. */
  lockTimeoutMs?: number | undefined;
  /** A lock not refreshed for this long is taken over (proper-lockfile `stale`, at least 2000). Default 10000. */
  lockStaleMs?: number | undefined;
}

export interface RotateOptions extends LockOptions {
  /** Applied after the rotation, in the same job (see RetentionOptions). */
  retention?: RetentionOptions | undefined;
  /** Compress the rotated segments (in the pool, after the rotation, outside the lock). */
  compress?: CompressFormat | false | undefined;
}

/** The one format for now: Node 20 has no zstd in node:zlib. */
export type CompressFormat = 'gzip';

export interface RetentionRunOptions extends LockOptions {
  /** The current time in Unix seconds. Default: the clock. */
  now?: number | undefined;
}

/** What retention did. */
export interface RetentionResult {
  deletedSegments: number;
  /** Bytes on disk of the deleted segments. */
  deletedBytes: number;
  /** Events in the deleted segments (from their first and last seq). */
  removedEvents: number;
  /** Rotated segments kept. */
  keptSegments: number;
  /** All segments' bytes on disk, after. */
  totalBytes: number;
  /** Segments each limit alone would delete. */
  due: { maxSegments: number; maxAge: number; maxTotalBytes: number };
  /** Segments maxSegments/maxAge wanted gone that `retain` kept. */
  heldByCursors: number;
  /** maxTotalBytes deleted events that a `retain` cursor had not committed (also sent as a process warning). */
  forcedPastCursors: ForcedPastCursor[];
  /** The active file alone is over maxTotalBytes (it is never deleted: rotate first). */
  overBudget: boolean;
  /** The seq the next event will get; recorded in `{path}.meta` before anything was deleted. */
  nextSeq: number;
  /** Temp files that killed processes left beside the log (cleanup's, compress's, `.meta`'s, the lock's), removed first. */
  sweptTemps: number;
}

export interface CompressOptions extends LockOptions {
  /** Default 'gzip'. */
  format?: CompressFormat | undefined;
  /** zlib level, 1 (fastest) … 9 (smallest). Default 1. */
  level?: number | undefined;
  /** Called now and then with the plain bytes compressed so far. */
  onProgress?: ((p: Progress) => void) | undefined;
  /** Stops after the current file's temp is removed; finished segments stay compressed. */
  signal?: AbortSignal | undefined;
}

/** What compress did. */
export interface CompressResult {
  /** Plain segments replaced by `{path}.N.gz`. */
  compressedSegments: number;
  /** Leftover pairs (a crashed compress's `.N` beside its finished `.N.gz`) whose plain file was removed. */
  finishedSegments: number;
  bytesIn: number;
  bytesOut: number;
  /** bytesIn / bytesOut (0 when nothing was compressed). */
  ratio: number;
  /** Plain MB (10^6 bytes) compressed per second of the job. */
  mbPerSec: number;
  /** Temp files that killed processes left beside the log (cleanup's, compress's, `.meta`'s, the lock's), removed first. */
  sweptTemps: number;
  /**
   * Plain segments left as they were because there was no room for their compressed copy
   * (ENOSPC, EDQUOT), after every other segment was tried (each one compressed frees space).
   * 0 normally; when nothing at all could be compressed for lack of space, compress rejects
   * with ENOSPC instead.
   */
  noSpaceSegments: number;
}

/** What rotate did. */
export interface RotateResult {
  /** False when the active file was absent, empty, or smaller than maxSizeBytes. */
  rotated: boolean;
  /**
   * True when no part of the log exists (no active file, segment or `.meta`): like the
   * seed's rotate and logrotate's `missingok`, that is nothing to do, not an error.
   */
  missing?: boolean;
  /** Size of the active file (after cutting a torn tail) when rotate looked at it. */
  size: number;
  /** The seq the next event will get; recorded in `{path}.meta` before anything moved. */
  nextSeq: number;
  /** Bytes of a torn tail cut from the active file before rotating. */
  tornBytes: number;
  /** Rotated files deleted to keep at most maxRotations (with maxRotations 0, the active file counts). */
  droppedSegments: number;
  /** Temp files that killed processes left beside the log (cleanup's, compress's, `.meta`'s, the lock's), removed first. */
  sweptTemps: number;
  /** Set when options.retention was given. */
  retention?: RetentionResult;
  /** Set when options.compress was given. */
  compress?: CompressResult;
}

export interface CleanupOptions extends LockOptions {
  /** Applied after the cleanup, in the same call (see RetentionOptions). */
  retention?: RetentionOptions | undefined;
  /** Called now and then while cleanup reads and copies. */
  onProgress?: ((p: Progress) => void) | undefined;
  /** Stops the cleanup (nothing is changed, temp files are removed); the promise rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
  /** The current time in Unix seconds; events with ts < now - maxAgeSecs are old. Default: the clock. */
  now?: number | undefined;
}

/** Where a line that is not a record was found. */
export interface BadLine {
  file: string;
  offset: number;
  /** Set when the line carries a crc32c field that does not match (it may well parse): the stored and the computed value, 8 hex digits each. */
  checksum?: { expected: string; actual: string };
}

/** What cleanup did. */
export interface CleanupResult {
  /** Events removed. */
  removed: number;
  /** ts below which events were old (now - maxAgeSecs). */
  cutoff: number;
  /** Rotated segments deleted whole. */
  deletedSegments: number;
  /** Segments rewritten without their old events. */
  rewrittenSegments: number;
  /** Lines that did not parse among those cleanup judged: kept in place, reported here (at most 100). */
  badLines: BadLine[];
  badLineCount: number;
  /** Temp files that killed processes left beside the log (cleanup's, compress's, `.meta`'s, the lock's), removed first. */
  sweptTemps: number;
  /**
   * Segments whose old events stayed because there was no room to write their rewritten copy
   * (ENOSPC, EDQUOT). Whole old segments are deleted all the same (that needs no space), and
   * cleanup tries once more in the room they freed; 0 normally. When it could remove nothing
   * at all for lack of space, cleanup rejects with ENOSPC instead.
   */
  noSpaceSegments: number;
  /** Total segment bytes before and after. */
  bytesBefore: number;
  bytesAfter: number;
  /** Longest time cleanup held the writers' lock, in ms: how long an append could stall on it. */
  maxLockHoldMs: number;
  /** Set when options.retention was given. */
  retention?: RetentionResult;
}

export interface VerifyOptions {
  /**
   * JSON.parse every line. Default false: a byte-level check proves lines in the writer's
   * shape valid (~3x faster) and only the others are JSON.parsed; both find the same bad lines.
   */
  deep?: boolean | undefined;
  /** Called now and then while verify reads. */
  onProgress?: ((p: Progress) => void) | undefined;
  /** Stops verify; the promise rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
  /** Most entries kept in each issue list (counts stay exact). Default 100. */
  maxIssues?: number | undefined;
}

/** One segment as verify saw it. */
export interface SegmentReport {
  path: string;
  /** Bytes on disk (compressed, for a `.gz` segment). */
  size: number;
  /** Set for a compressed segment `{path}.N.gz`; its offsets are of its plain bytes. */
  compressed?: boolean;
  events: number;
  /** -1 when the segment holds no event. */
  firstSeq: number;
  lastSeq: number;
}

/** The result of verify. `ok` is false on any bad line, gap, duplicate or out-of-order seq; a torn tail alone is not an error. */
export interface VerifyReport {
  ok: boolean;
  path: string;
  segments: SegmentReport[];
  events: number;
  bytes: number;
  /** -1 when there is no event. */
  firstSeq: number;
  lastSeq: number;
  /** Seqs missing between two events: from..to inclusive, and where the later event is. */
  gaps: Array<{ from: number; to: number; file: string; offset: number }>;
  /** An event whose seq equals the one just before it. */
  duplicates: Array<{ seq: number; file: string; offset: number }>;
  /** An event whose seq is below the one just before it (a repeat of an older seq lands here too). */
  outOfOrder: Array<{ seq: number; prev: number; file: string; offset: number }>;
  badLines: BadLine[];
  counts: { gaps: number; duplicates: number; outOfOrder: number; badLines: number };
  /** Bytes at the end of the active file that recovery would cut. */
  tornTailBytes: number;
  /** `{path}.meta`'s next_seq (0 when absent). */
  metaNextSeq: number;
  /** Temp files left by cleanups (ignored by readers; the next cleanup removes dead ones). */
  tempFiles: string[];
}

export interface ReadOptions {
  /** Skip events with a lower seq (whole segments are skipped by their last seq). Default 0. */
  fromSeq?: number | undefined;
  /** Keep yielding events as they are appended, across rotations and cleanups, until `signal` aborts. Default false. */
  follow?: boolean | undefined;
  /** Ends the iteration (without an error) when aborted. */
  signal?: AbortSignal | undefined;
  /** What a bad line (not the active file's torn tail) does: throw WalError ECORRUPT, or skip and count it. Default 'throw'. */
  onCorrupt?: 'throw' | 'skip' | undefined;
  /** How often follow mode looks for new data, in ms. Default 50. */
  pollMs?: number | undefined;
  /** A durable consumer cursor (`{path}.cursors/<name>`): start after its committed seq (and after fromSeq); `reader.commit(seq)` moves it. */
  cursor?: string | undefined;
  /** Attach each record's stored line text (without `\n`) as `record[RECORD_LINE]` where it is exactly the record (no checksum field). Default false. */
  keepLines?: boolean | undefined;
  /**
   * Hand out the stored lines without parsing them: `true` yields `{ seq, line }` (the line's
   * bytes without `\n`), `'chunks'` yields runs of consecutive lines (`{ firstSeq, lastSeq,
   * count, data, ends, file, offset }`, data = whole lines each ending in `\n`). Lines are
   * checked by shape, UTF-8, NUL bytes and checksum, not by JSON.parse (see docs/API.md).
   * Default false.
   */
  raw?: boolean | 'chunks' | undefined;
}
