// Per-line work shared by readWal, verify and cleanup: a cheap look at `seq` and `ts`
// without JSON.parse (the writer always starts a line with `{"seq":N,"ts":T,`, and so does
// the seed), and the rule that tells a torn tail from corruption. That rule is core's
// recoverTail run forwards: the last line of the active file may be anything unparsable,
// the lines before it are torn only if they hold NUL bytes (blocks whose size reached disk
// but whose data did not); any other bad line is corruption. (peekTs and nextNewline moved to
// core's segment-tail.ts: the writer's retention reads segment tails too.)

/**
 * The bad lines seen since the last good one. A good line after them makes them all
 * corruption; the end of the active file makes the last one and the NUL-holding ones
 * just before it a torn tail, and the rest corruption.
 */
export class BadRun {
  /** Offset of the first held line, -1 when none is held. */
  first = -1;
  /** Lines held. */
  count = 0;
  #lastEnd = 0;
  #lastNul = false;
  #corruptCount = 0;
  #corruptEnd = 0;

  /** Holds the line [start, end) (end is past its `\n`). */
  add(start: number, end: number, hasNul: boolean): void {
    // The previous last line is no longer last: without NUL bytes it cannot be torn.
    if (this.count > 0 && !this.#lastNul) {
      this.#corruptCount = this.count;
      this.#corruptEnd = this.#lastEnd;
    }
    if (this.count === 0) this.first = start;
    this.count += 1;
    this.#lastEnd = end;
    this.#lastNul = hasNul;
  }

  /**
   * At the end of the active file (`wholeEnd`: just past its last `\n`): how many held lines
   * are corruption, and where the torn tail starts.
   */
  atEnd(wholeEnd: number): { corrupt: number; tornStart: number } {
    if (this.count === 0) return { corrupt: 0, tornStart: wholeEnd };
    if (this.#corruptCount === 0) return { corrupt: 0, tornStart: this.first };
    return { corrupt: this.#corruptCount, tornStart: this.#corruptEnd };
  }

  clear(): void {
    this.first = -1;
    this.count = 0;
    this.#corruptCount = 0;
    this.#corruptEnd = 0;
    this.#lastEnd = 0;
    this.#lastNul = false;
  }
}
