// Buffered, backpressure-aware writing to stdout. `threadwal cat big.wal | head` closes the
// pipe early: the EPIPE that follows ends the output quietly (and tells the reader to stop)
// instead of crashing with a stack trace.
const CHUNK_CHARS = 64 * 1024;

export class Output {
  readonly #stream: NodeJS.WritableStream;
  #buf = '';
  #closed = false;
  #scheduled = false;
  #onClose: Array<() => void> = [];

  constructor(stream: NodeJS.WritableStream = process.stdout) {
    this.#stream = stream;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      this.#close();
    });
  }

  /** True once the reader went away: stop producing. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Calls `fn` when the reader goes away. */
  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClose.push(fn);
  }

  /**
   * Queues a line; resolves at once unless a chunk had to wait for the stream to drain.
   * What is queued is written by the end of this turn of the event loop, so a follower
   * (`tail -f`) shows each event as soon as it is read.
   */
  async line(s: string): Promise<void> {
    this.#buf += `${s}\n`;
    if (this.#buf.length >= CHUNK_CHARS) {
      await this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.flush();
      });
    }
  }

  /** Writes what is queued, waiting for the stream if it is full. */
  async flush(): Promise<void> {
    if (this.#buf.length === 0 || this.#closed) {
      this.#buf = '';
      return;
    }
    const chunk = this.#buf;
    this.#buf = '';
    if (!this.#stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => { this.#stream.off('drain', done); resolve(); };
        this.#stream.once('drain', done);
        this.onClose(done);
      });
    }
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#buf = '';
    for (const fn of this.#onClose.splice(0)) fn();
  }
}
