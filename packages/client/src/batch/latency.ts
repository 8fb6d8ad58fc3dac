/** A ring of the last 4096 batch ack latencies (ms), for stats() percentiles. */
export class LatencyRing {
  readonly #buf = new Float64Array(4096);
  #n = 0;

  add(ms: number): void {
    this.#buf[this.#n++ & 4095] = ms;
  }

  /** The q-quantile (0..1) in microseconds, or 0 when empty. */
  quantileUs(q: number): number {
    const n = Math.min(this.#n, 4096);
    if (n === 0) return 0;
    const sorted = this.#buf.slice(0, n).sort();
    return Math.round(sorted[Math.min(n - 1, Math.floor(q * n))]! * 1000);
  }
}
