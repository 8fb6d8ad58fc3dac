// Public option and result types of @threadwal/maintenance. Plain data only: results cross
// from the pool's worker threads by structured clone.

/** How far a long job has got, for a progress bar. */
export interface Progress {
  bytesDone: number;
  bytesTotal: number;
}

/** Lock settings shared by the jobs that take the writers' lock (rotate, cleanup). */
export interface LockOptions {
  /** Give up waiting for the writers' lock after this long and reject with ELOCKED. Default 30000. */
  lockTimeoutMs?: number;
  /** A lock not refreshed for this long is taken over (proper-lockfile `stale`, at least 2000). Default 10000. */
  lockStaleMs?: number;
}

export type RotateOptions = LockOptions;

/** What rotate did. */
export interface RotateResult {
  /** False when the active file was absent, empty, or smaller than maxSizeBytes. */
  rotated: boolean;
  /** Size of the active file (after cutting a torn tail) when rotate looked at it. */
  size: number;
  /** The seq the next event will get; recorded in `{path}.meta` before anything moved. */
  nextSeq: number;
  /** Bytes of a torn tail cut from the active file before rotating. */
  tornBytes: number;
  /** Rotated files deleted to keep at most maxRotations (with maxRotations 0, the active file counts). */
  droppedSegments: number;
}

export interface CleanupOptions extends LockOptions {
  /** Called now and then while cleanup reads and copies. */
  onProgress?: (p: Progress) => void;
  /** Stops the cleanup (nothing is changed, temp files are removed); the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** The current time in Unix seconds; events with ts < now - maxAgeSecs are old. Default: the clock. */
  now?: number;
}

/** Where a line that does not parse was found. */
export interface BadLine {
  file: string;
  offset: number;
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
  /** Temp files of crashed cleanups that were removed. */
  sweptTemps: number;
  /** Total segment bytes before and after. */
  bytesBefore: number;
  bytesAfter: number;
  /** Longest time cleanup held the writers' lock, in ms: how long an append could stall on it. */
  maxLockHoldMs: number;
}

export interface VerifyOptions {
  /**
   * JSON.parse every line. Default false: a byte-level check proves lines in the writer's
   * shape valid (~3x faster) and only the others are JSON.parsed; both find the same bad lines.
   */
  deep?: boolean;
  /** Called now and then while verify reads. */
  onProgress?: (p: Progress) => void;
  /** Stops verify; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Most entries kept in each issue list (counts stay exact). Default 100. */
  maxIssues?: number;
}

/** One segment as verify saw it. */
export interface SegmentReport {
  path: string;
  size: number;
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
  fromSeq?: number;
  /** Keep yielding events as they are appended, across rotations and cleanups, until `signal` aborts. Default false. */
  follow?: boolean;
  /** Ends the iteration (without an error) when aborted. */
  signal?: AbortSignal;
  /** What a bad line (not the active file's torn tail) does: throw WalError ECORRUPT, or skip and count it. Default 'throw'. */
  onCorrupt?: 'throw' | 'skip';
  /** How often follow mode looks for new data, in ms. Default 50. */
  pollMs?: number;
}
