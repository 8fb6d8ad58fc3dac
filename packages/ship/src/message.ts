// What one NATS message carries. A batch: stored lines as JSONL, each ending in `\n`, with
// the WAL id and its first and last seq in headers. One event per message (batch.maxEvents
// 1): the line without `\n`, as before batches. Lines are the raw reader's bytes, never
// parsed or re-serialised. Headers are written in wire form, one template per message
// (HeaderBlock): values are ids and numbers, the WAL id is checked for CR/LF once.
import type { RawChunk } from '@threadwal/maintenance';
import { HeaderBlock } from './publisher.js';

export const HDR_SEQ = 'Threadwal-Seq';
export const HDR_LAST_SEQ = 'Threadwal-Last-Seq';
export const HDR_ID = 'Threadwal-Id';

/** One message to publish: WAL seqs first…last (consecutive), `body` as described above. */
export interface OutMsg {
  first: number;
  last: number;
  body: Uint8Array;
}

/**
 * `Nats-Msg-Id`: `<walId>:<seq>` for a message holding one event (a batch of one included,
 * so it dedupes against the same event published alone), `<walId>:<first>-<last>` for more.
 */
export function msgId(walId: string, first: number, last: number): string {
  return first === last ? `${walId}:${first}` : `${walId}:${first}-${last}`;
}

/** Builds the header blocks of one stream and WAL. */
export class Headers {
  readonly #walId: string;
  readonly #mid: string;
  readonly #end: string;
  readonly #batch: boolean;

  constructor(walId: string, stream: string, batch: boolean) {
    this.#walId = walId;
    this.#batch = batch;
    this.#mid = `\r\nNats-Expected-Stream: ${stream}\r\nNats-Expected-Last-Sequence: `;
    this.#end = `\r\n${HDR_ID}: ${walId}\r\n\r\n`;
  }

  /** The fence: the message is stored only if the stream's last sequence is `expectLast`. */
  for(m: OutMsg, expectLast: number): HeaderBlock {
    const seqs = this.#batch ? `${HDR_SEQ}: ${m.first}\r\n${HDR_LAST_SEQ}: ${m.last}` : `${HDR_SEQ}: ${m.first}`;
    return new HeaderBlock(`NATS/1.0\r\nNats-Msg-Id: ${msgId(this.#walId, m.first, m.last)}${this.#mid}${expectLast}\r\n${seqs}${this.#end}`);
  }

  /** Bytes the headers of any message of this WAL take at most (for the size limits). */
  get maxBytes(): number {
    return 2 * this.#mid.length + this.#end.length + this.#walId.length + 160;
  }
}

/**
 * Cuts the lines of raw chunks into messages of at most `maxEvents` lines and `maxBytes`
 * bytes (a longer line goes alone: the caller checks it against the hard limit). Lines of one
 * chunk stay one view of its bytes; a message spanning chunks is copied together once.
 */
export class Batcher {
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  readonly #single: boolean;
  #parts: Buffer[] = [];
  #first = -1;
  #count = 0;
  #bytes = 0;

  constructor(maxEvents: number, maxBytes: number) {
    this.#maxEvents = maxEvents;
    this.#maxBytes = maxBytes;
    this.#single = maxEvents === 1;
  }

  /** Lines held for the next message. */
  get pending(): number {
    return this.#count;
  }

  /** Adds lines [from, c.count) of `c` (seq c.firstSeq + from on), pushing every full message to `out`. */
  add(c: RawChunk, from: number, out: OutMsg[]): void {
    const { ends, data } = c;
    let start = from === 0 ? 0 : ends[from - 1]!;
    if (this.#single) {
      for (let i = from; i < c.count; i++) {
        const end = ends[i]!;
        out.push({ first: c.firstSeq + i, last: c.firstSeq + i, body: data.subarray(start, end - 1) });
        start = end;
      }
      return;
    }
    let runStart = start;
    for (let i = from; i < c.count; i++) {
      const end = ends[i]!;
      const len = end - start;
      if (this.#count > 0 && (this.#count >= this.#maxEvents || this.#bytes + len > this.#maxBytes)) {
        if (start > runStart) this.#parts.push(data.subarray(runStart, start));
        runStart = start;
        out.push(this.#cut());
      }
      if (this.#count === 0) this.#first = c.firstSeq + i;
      this.#count += 1;
      this.#bytes += len;
      start = end;
    }
    if (start > runStart) this.#parts.push(data.subarray(runStart, start));
  }

  /** The held lines as a message now (undefined when none are held). */
  flush(): OutMsg | undefined {
    return this.#count === 0 ? undefined : this.#cut();
  }

  /** Drops what is held (the epoch ended). */
  clear(): void {
    this.#parts = [];
    this.#count = 0;
    this.#bytes = 0;
  }

  #cut(): OutMsg {
    const body = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#bytes);
    const m = { first: this.#first, last: this.#first + this.#count - 1, body };
    this.clear();
    return m;
  }
}
