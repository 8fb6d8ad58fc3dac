// Capped exponential backoff with "equal jitter": attempt n waits between half and all of
// min(max, initial * 2^n), so many shippers restarted by one outage do not retry in step.

export interface BackoffOptions {
  /** First delay, ms. Default 100. */
  initialMs?: number | undefined;
  /** Cap, ms. Default 5000. */
  maxMs?: number | undefined;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  attempt = 0;

  constructor(opts: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.initialMs = opts.initialMs ?? 100;
    this.maxMs = opts.maxMs ?? 5000;
  }

  /** The next delay (and counts the attempt). */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }
}
