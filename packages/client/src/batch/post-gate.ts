// When a client's batch may go to the writer (issue 21): one batch in flight per client,
// the next one filled meanwhile, so a busy writer sees one batch per client per cycle
// rather than one per producer tick. The Batcher asks; this keeps the state.
import { SAB_DURABLE_BATCH } from '@threadwal/core';

/**
 * A batch this large goes even while another is in flight: its message costs little per
 * event, and holding it back left a process's writer with one batch per lock hold when
 * several processes share the path (tw-procs4: ~1,930 events per cycle, ~2,860 before the
 * gate held batches back; 2,540-2,740 with this).
 */
export const WORTH_A_MESSAGE_BYTES = 64 * 1024;

export class PostGate {
  /** Id of the newest batch posted on this connection (0: none yet), and whether someone waited for it. */
  lastPosted = 0;
  lastUrgent = false;
  /** A batch went since the run's first append: this tick's synchronous run posted early. */
  #postedInRun = false;

  /** A new connection (a new SAB): nothing of ours is in flight on it. */
  reset(): void {
    this.lastPosted = 0;
  }

  /**
   * Whether a batch (`urgent`: someone waits for it) may go now: nothing in flight by the
   * acks read (`inflight`: the writer posts an ack before it moves the cursor), or the SAB
   * cursor at the last batch posted (no message needed), or it is urgent and what is in
   * flight is not (the writer may be holding that in its commit window: this ends it).
   */
  mayPost(urgent: boolean, inflight: number, sab: Int32Array | null, bytes: number): boolean {
    if (this.lastPosted === 0 || inflight === 0 || bytes >= WORTH_A_MESSAGE_BYTES) return true;
    if (sab === null || Atomics.load(sab, SAB_DURABLE_BATCH) === this.lastPosted) return true;
    return urgent && !this.lastUrgent;
  }

  /** The first append of a synchronous run (it schedules the end-of-tick post). */
  startRun(): void {
    this.#postedInRun = false;
  }

  /** At the end of the tick: whether this run already posted (its rest then goes too, not an ack later). */
  endRun(): boolean {
    const posted = this.#postedInRun;
    this.#postedInRun = false;
    return posted;
  }

  /** Batch `id` was just posted. */
  posted(id: number, urgent: boolean): void {
    this.lastPosted = id;
    this.lastUrgent = urgent;
    this.#postedInRun = true;
  }
}
