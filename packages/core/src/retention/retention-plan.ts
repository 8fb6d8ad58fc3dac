// Which rotated segments a retention policy deletes: a pure function of what the segments
// hold, so the rule is tested apart from the files. Always a prefix of the oldest ones, so
// what stays is gapless. maxSegments and maxAge are soft (a `retain` cursor holds them
// back); maxTotalBytes is hard (a dead consumer must not fill the disk).
/** A resolved retention policy (retention-options.ts makes one); null: that limit is off. */
export interface RetentionPolicy {
  maxSegments: number | null;
  maxAgeSecs: number | null;
  maxTotalBytes: number | null;
  untilCommitted: string[];
}

/** One rotated segment, oldest first. */
export interface SegmentFacts {
  /** Bytes on disk (both files while a compression's plain/.gz pair is left). */
  bytes: number;
  /** -1 when unknown (no line parses). */
  firstSeq: number;
  lastSeq: number;
  /** Newest event's ts (Unix seconds); the file's mtime when no line parses. */
  lastTs: number;
}

export interface RetentionPlan {
  /** Delete segments [0, count). */
  count: number;
  due: { maxSegments: number; maxAge: number; maxTotalBytes: number };
  heldByCursors: number;
  /** Segments deleted beyond what the cursors allowed (by maxTotalBytes). */
  forced: number;
  overBudget: boolean;
}

/**
 * `segs` oldest first; `activeBytes` the active file's size; `committed` the lowest seq the
 * `retain` cursors committed (Infinity when there are none to wait for).
 */
export function planRetention(segs: readonly SegmentFacts[], activeBytes: number, policy: RetentionPolicy, now: number, committed: number): RetentionPlan {
  const n = segs.length;
  const bySegments = policy.maxSegments === null ? 0 : Math.max(0, n - policy.maxSegments);
  let byAge = 0;
  if (policy.maxAgeSecs !== null) {
    const cutoff = now - policy.maxAgeSecs;
    while (byAge < n && segs[byAge]!.lastTs < cutoff) byAge++;
  }
  let byBytes = 0;
  let overBudget = false;
  if (policy.maxTotalBytes !== null) {
    let total = activeBytes + segs.reduce((t, s) => t + s.bytes, 0);
    while (byBytes < n && total > policy.maxTotalBytes) total -= segs[byBytes++]!.bytes;
    overBudget = total > policy.maxTotalBytes;
  }
  // A segment is consumed when the cursors committed its last event; one with no event is consumed too.
  let allowed = 0;
  while (allowed < n && consumed(segs[allowed]!, committed)) allowed++;
  const soft = Math.max(bySegments, byAge);
  const softKept = Math.min(soft, allowed);
  const count = Math.max(softKept, byBytes);
  return {
    count,
    due: { maxSegments: bySegments, maxAge: byAge, maxTotalBytes: byBytes },
    heldByCursors: count >= soft ? 0 : soft - count,
    forced: Math.max(0, count - allowed),
    overBudget,
  };
}

function consumed(s: SegmentFacts, committed: number): boolean {
  if (s.lastSeq < 0) return s.bytes === 0 || committed === Infinity;
  return s.lastSeq <= committed;
}
