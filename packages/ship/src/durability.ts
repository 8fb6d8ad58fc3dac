// When an acknowledged event is safe on the server. nats-server 2.9 writes a message before
// it acks (a kill -9 of the server loses nothing) but fsyncs stream files only every 2
// minutes, so a power cut (or a kernel crash) can lose the last 2 minutes of acks on every
// replica at once (nats-server#7564; Jepsen's NATS 2.12.1 analysis). The WAL is then the
// only copy, so retention must keep an event until the server's sync interval has passed
// since its ack: only then does the committed cursor pass it.
//
// The tracker keeps a few (time, acked seq) marks, one per sample (the shipper samples at
// each checkpoint tick): every seq up to a mark's seq was acked by its time, so it is
// durable once that time is an interval old. Coarse by design, and never early.

export class DurabilityClock {
  readonly #intervalMs: number;
  readonly #now: () => number;
  /** (time, seq) marks, oldest first, seqs increasing. */
  #marks: Array<{ t: number; seq: number }> = [];
  #durable: number;

  constructor(intervalMs: number, durable: number, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#durable = durable;
    this.#now = now;
  }

  /** Everything up to `seq` is acknowledged as of now (or was already: an ack time unknown is taken as now). */
  acked(seq: number): void {
    if (this.#intervalMs === 0) {
      this.#durable = Math.max(this.#durable, seq);
      return;
    }
    const last = this.#marks[this.#marks.length - 1];
    if (seq <= (last?.seq ?? this.#durable)) return;
    this.#marks.push({ t: this.#now(), seq });
  }

  /** The server lost acknowledged events (a reconcile found the stream behind): nothing past `seq` can be trusted any more. */
  lost(seq: number): void {
    this.#durable = Math.min(this.#durable, seq);
    this.#marks = this.#marks.filter((m) => m.seq <= seq);
  }

  /** The highest seq the server can no longer lose. */
  durable(): number {
    const cutoff = this.#now() - this.#intervalMs;
    let i = 0;
    while (i < this.#marks.length && this.#marks[i]!.t <= cutoff) this.#durable = Math.max(this.#durable, this.#marks[i++]!.seq);
    if (i > 0) this.#marks.splice(0, i);
    return this.#durable;
  }

  /** When the next mark becomes durable (ms from now), or undefined when none is waiting. */
  nextInMs(): number | undefined {
    const m = this.#marks[0];
    return m === undefined ? undefined : Math.max(0, m.t + this.#intervalMs - this.#now());
  }
}
