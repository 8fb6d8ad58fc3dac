// openWal's `retention`, applied by the writer thread right after it rotated, while it still
// holds the writers' lock (so no other writer, rotation or maintenance job moves a file
// meanwhile). The rotation has just recorded the next seq in `{path}.meta`, so deleting every
// rotated segment never lets a seq be reused. The write cycle pays only for judging the
// segments (a directory listing and a head/tail read per segment) and for the renames to
// temp names plus one directory fsync (retention-apply.ts, as maintenance does, oldest
// first); the unlinks that free the blocks run on libuv's pool, off the write path, since
// freeing a large file's extents can take milliseconds. A crash before they finish leaves
// temp names that no reader lists; the next writer's first retention run (or maintenance's
// cleanup/retention) removes those of dead processes, so a crashing app that relies on the
// writer alone does not keep deleted segments' blocks forever.
import { unlink } from 'node:fs/promises';
import { decideRetention, retireSegments, warnForcedPastCursors, type SegmentFactsCache } from '../retention/retention-apply.js';
import { alive, listTemps } from '../segments/temp-files.js';
import type { RetentionPolicy } from '../retention/retention-plan.js';
import type { WriterRetentionStats } from '../protocol.js';

export class WriterRetention {
  readonly #path: string;
  readonly #policy: RetentionPolicy;
  readonly #freeing = new Set<Promise<void>>();
  /** Facts of the segments judged before (they never change in place). */
  readonly #facts: SegmentFactsCache = new Map();
  /** Whether this writer has looked for temp names left by crashed processes yet. */
  #swept = false;
  readonly stats: WriterRetentionStats = { deletedSegments: 0, deletedBytes: 0, forcedPastCursors: 0, errors: 0, maxApplyUs: 0 };

  constructor(path: string, policy: RetentionPolicy) {
    this.#path = path;
    this.#policy = policy;
  }

  /**
   * Deletes what the policy no longer keeps; the caller holds the lock and has just rotated.
   * A failure (EIO, a corrupt cursor file) is reported, never thrown: the rotation succeeded
   * and appends must go on; what is left is retried after the next rotation.
   */
  apply(nowSecs: number): void {
    const t0 = performance.now();
    try {
      const d = decideRetention(this.#path, this.#policy, nowSecs, this.#facts);
      const trash = retireSegments(this.#path, d.doomed);
      if (!this.#swept) {
        this.#swept = true;
        // Only a dead process's: a live one's retention may be about to unlink its own (by age, listTemps calls those stale too).
        for (const t of listTemps(this.#path)) if (t.stale && !alive(t.pid)) trash.push(t.path);
      }
      this.stats.deletedSegments += d.doomed.length;
      this.stats.deletedBytes += d.doomed.reduce((n, s) => n + s.bytes, 0);
      this.stats.forcedPastCursors += d.forcedPastCursors.length;
      warnForcedPastCursors(this.#path, d.forcedPastCursors);
      if (trash.length > 0) this.#free(trash);
    } catch (err) {
      this.stats.errors += 1;
      const code = (err as { code?: string }).code ?? 'EIO';
      process.emitWarning(`retention after rotating ${this.#path} failed (${code}): ${(err as Error).message}`, { code: 'THREADWAL_RETENTION_FAILED', type: 'ThreadwalWarning' });
    }
    this.stats.maxApplyUs = Math.max(this.stats.maxApplyUs, Math.round((performance.now() - t0) * 1000));
  }

  #free(trash: string[]): void {
    const p: Promise<void> = Promise.all(trash.map((t) => unlink(t).catch(() => undefined))).then(() => {
      this.#freeing.delete(p);
    });
    this.#freeing.add(p);
  }

  /** Resolves once every unlink started so far is done (close() waits, so no temp name outlives the writer). */
  async settle(): Promise<void> {
    await Promise.all([...this.#freeing]);
  }
}
