// Batch buffers the writer handed back (AckMsg.bufs), kept for the next batches instead of
// a fresh allocation per batch: a busy client reuses the same few buffers, and the memory
// they hold stays put rather than waiting for a GC to free each transferred one.

/** Buffers kept at most, and their total size. */
const MAX_KEPT = 4;
const MAX_KEPT_BYTES = 8 * 1024 * 1024;

export class BufferPool {
  readonly #free: ArrayBuffer[] = [];
  #bytes = 0;

  /** Keeps `ab` for reuse (or drops it, past the pool's bounds). */
  give(ab: ArrayBuffer): void {
    if (this.#free.length >= MAX_KEPT || this.#bytes + ab.byteLength > MAX_KEPT_BYTES || ab.byteLength === 0) return;
    this.#free.push(ab);
    this.#bytes += ab.byteLength;
  }

  /** A kept buffer of at least `min` bytes (the smallest such), or a new one of `size` (>= min). */
  take(min: number, size: number): Buffer {
    const free = this.#free;
    let best = -1;
    for (let i = 0; i < free.length; i++) {
      const n = free[i]!.byteLength;
      if (n >= min && (best < 0 || n < free[best]!.byteLength)) best = i;
    }
    if (best < 0) return Buffer.allocUnsafeSlow(size); // a buffer of its own (never the shared pool), so it can be transferred
    const ab = free[best]!;
    free[best] = free[free.length - 1]!;
    free.pop();
    this.#bytes -= ab.byteLength;
    return Buffer.from(ab);
  }
}
