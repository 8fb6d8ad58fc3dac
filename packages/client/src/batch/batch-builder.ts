// The batch a client is building: event bodies serialized straight into one transferable
// buffer (concatenating strings and encoding once cost ~5x more: flattening a rope of
// thousands of parts dominated), with each awaiting append's resolver. While the writer is
// busy with this client's previous batch the batch is not posted but grows (see Batcher),
// so a busy writer gets a few large batches rather than one per tick.
import { writeBody, writeRawBody, roomFor, tooBig } from '@threadwal/core';
import type { Resolve } from './hot-path.js';
import { BufferPool } from './buffer-pool.js';

/** Post at once past this many bytes, so one long synchronous loop still pipelines. */
export const MAX_POST_BYTES = 1024 * 1024;
/** Past this many bytes, post at once if the writer has nothing of ours left to write (see Batcher). */
export const EARLY_POST_BYTES = 16 * 1024;
const MIN_BUF_BYTES = 4096;

/** A finished batch: `len` bytes of `count` bodies in `buf`. */
export interface Built {
  buf: Buffer;
  len: number;
  count: number;
  res: Resolve[];
  /** Someone waits for it: an awaited append, or a flush. */
  urgent: boolean;
}

export class BatchBuilder {
  readonly #maxEventBytes: number;
  /**
   * Called when the buffer is full and holds events: the owner posts them (calling take())
   * and returns true, or returns false to have the buffer grow instead.
   */
  readonly #onFull: () => boolean;
  readonly pool = new BufferPool();
  #buf: Buffer | null = null;
  #nextBufBytes = MIN_BUF_BYTES;
  count = 0;
  bytes = 0;
  urgent = false;
  #res: Resolve[] = [];

  constructor(maxEventBytes: number, onFull: () => boolean) {
    this.#maxEventBytes = maxEventBytes;
    this.#onFull = onFull;
  }

  /**
   * Serializes `event` (with `output` as JSON text when not null: Wal.appendRaw) after what
   * the buffer holds; returns its byte length, not yet counted (add() counts it).
   */
  encode(event: unknown, output: string | null = null): number {
    const max = this.#maxEventBytes;
    if (this.#buf !== null) {
      const end = output === null ? writeBody(event, this.#buf, this.bytes, max) : writeRawBody(event, output, this.#buf, this.bytes, max);
      if (end >= 0) return end - this.bytes;
    }
    if (this.count > 0 && this.#onFull()) return this.encode(event, output); // posted: a fresh buffer next
    const most = roomFor(max);
    for (let want = this.#nextBufBytes; ; want = Math.min(want * 4, most)) {
      this.#grow(want);
      const buf = this.#buf!;
      const end = output === null ? writeBody(event, buf, this.bytes, max) : writeRawBody(event, output, buf, this.bytes, max);
      if (end >= 0) return end - this.bytes;
      if (want >= most) {
        if (this.count === 0) this.#buf = null; // do not keep a buffer of 3x maxEventBytes for the next small event
        throw tooBig(max);
      }
    }
  }

  /** A buffer with at least `want` bytes free after what it holds (copied over), from the pool when one fits. */
  #grow(want: number): void {
    const old = this.#buf;
    const used = this.bytes;
    if (old !== null && old.length - used >= want) return;
    const min = used + want;
    const buf = this.pool.take(min, Math.max(min, this.#nextBufBytes, old === null ? 0 : old.length * 2));
    if (old !== null) {
      if (used > 0) old.copy(buf, 0, 0, used);
      this.pool.give(old.buffer as ArrayBuffer);
    }
    this.#buf = buf;
  }

  /** A copy of the `len` bytes encode() just wrote, for an event held back by backpressure. */
  copyEncoded(len: number): Buffer {
    return Buffer.from(this.#buf!.subarray(this.bytes, this.bytes + len));
  }

  /** Appends a held-back body (the slow path). Returns its length, counted. */
  addBody(body: Buffer, res: Resolve): number {
    const n = body.length;
    if (this.#buf === null || this.#buf.length - this.bytes < n) {
      if (this.count > 0) this.#onFull(); // posted (a fresh buffer follows), or not (this one grows)
      this.#grow(n);
    }
    body.copy(this.#buf!, this.bytes);
    this.add(n, res);
    return n;
  }

  /** Counts the `n` bytes just written after what the buffer held as one event. */
  add(n: number, res: Resolve): void {
    this.count += 1;
    this.bytes += n;
    this.#res.push(res);
    if (res !== undefined) this.urgent = true;
  }

  /** The batch built so far (count > 0), and a fresh start sized for a batch like it. */
  take(): Built {
    const b: Built = { buf: this.#buf!, len: this.bytes, count: this.count, res: this.#res, urgent: this.urgent };
    this.#nextBufBytes = Math.min(Math.max(MIN_BUF_BYTES, this.bytes * 2), MAX_POST_BYTES * 2);
    this.#buf = null;
    this.count = 0;
    this.bytes = 0;
    this.urgent = false;
    this.#res = [];
    return b;
  }
}
