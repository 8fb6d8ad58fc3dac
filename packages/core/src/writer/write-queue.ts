// The writer's queue (writer-core.ts): the batches received since the last cycle took, in
// arrival order, and their bytes. A cycle takes up to maxBatchBytes of it (at least one
// batch), usually all of it, and then by swapping arrays: no array is allocated per cycle.
import type { Pending } from './batch-commit.js';

export class WriteQueue {
  readonly #maxBatchBytes: number;
  #items: Pending[] = [];
  /** The array the previous take() returned, emptied and reused as the queue by the next one. */
  #spare: Pending[] = [];
  /** Bytes queued. */
  bytes = 0;

  constructor(maxBatchBytes: number) {
    this.#maxBatchBytes = maxBatchBytes;
  }

  get length(): number {
    return this.#items.length;
  }

  /** What is queued, oldest first (read only). */
  get items(): readonly Pending[] {
    return this.#items;
  }

  push(p: Pending): void {
    this.#items.push(p);
    this.bytes += p.len;
  }

  /** Takes the oldest batches, up to maxBatchBytes in all (at least one, if any). */
  take(): Pending[] {
    const queue = this.#items;
    let bytes = 0;
    let n = 0;
    while (n < queue.length && (n === 0 || bytes + queue[n]!.len <= this.#maxBatchBytes)) {
      bytes += queue[n]!.len;
      n += 1;
    }
    this.bytes -= bytes;
    if (n < queue.length) return queue.splice(0, n);
    // All of it (the usual case). The array the last cycle took is done with by now:
    // cycles never overlap.
    this.#items = this.#spare;
    this.#items.length = 0;
    this.#spare = queue;
    return queue;
  }

  /** Puts batches taken but not written back in front, in their order. */
  putBack(take: Pending[]): void {
    for (const p of take) this.bytes += p.len;
    this.#items.unshift(...take);
  }

  /** Empties the queue and returns what it held. */
  clear(): Pending[] {
    this.bytes = 0;
    return this.#items.splice(0);
  }
}
