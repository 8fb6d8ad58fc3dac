// The batch a client is building this tick: event bodies serialized straight into one
// transferable buffer (concatenating strings and encoding once cost ~5x more: flattening
// a rope of thousands of parts dominated), with each awaiting append's resolver.
import { writeBody, writeRawBody, roomFor, tooBig } from '@threadwal/core';
import type { Resolve } from './hot-path.js';

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
}

export class BatchBuilder {
  readonly #maxEventBytes: number;
  /** Called when the buffer is full and holds events: the owner posts them (and calls take()). */
  readonly #onFull: () => void;
  #buf: Buffer | null = null;
  #nextBufBytes = MIN_BUF_BYTES;
  count = 0;
  bytes = 0;
  #res: Resolve[] = [];

  constructor(maxEventBytes: number, onFull: () => void) {
    this.#maxEventBytes = maxEventBytes;
    this.#onFull = onFull;
  }

  /**
   * Serializes `event` after what the buffer holds; returns its byte length, not yet
   * counted (add() counts it). A full buffer is handed to onFull and a new one started.
   */
  encode(event: unknown): number {
    const max = this.#maxEventBytes;
    if (this.#buf !== null) {
      const end = writeBody(event, this.#buf, this.bytes, max);
      if (end >= 0) return end - this.bytes;
    }
    if (this.count > 0) this.#onFull();
    const most = roomFor(max);
    for (let size = this.#nextBufBytes; ; size = Math.min(size * 4, most)) {
      // allocUnsafeSlow: a buffer of its own (never the shared pool), so it can be transferred.
      const buf = this.#buf = Buffer.allocUnsafeSlow(size);
      const end = writeBody(event, buf, 0, max);
      if (end >= 0) return end;
      if (size >= most) {
        this.#buf = null; // do not keep a buffer of 3x maxEventBytes for the next small event
        throw tooBig(max);
      }
    }
  }

  /** encode() for an event whose `output` is JSON text already (Wal.appendRaw). */
  encodeRaw(event: unknown, output: string): number {
    const max = this.#maxEventBytes;
    if (this.#buf !== null) {
      const end = writeRawBody(event, output, this.#buf, this.bytes, max);
      if (end >= 0) return end - this.bytes;
    }
    if (this.count > 0) this.#onFull();
    const most = roomFor(max);
    for (let size = this.#nextBufBytes; ; size = Math.min(size * 4, most)) {
      const buf = this.#buf = Buffer.allocUnsafeSlow(size);
      const end = writeRawBody(event, output, buf, 0, max);
      if (end >= 0) return end;
      if (size >= most) {
        this.#buf = null;
        throw tooBig(max);
      }
    }
  }

  /** A copy of the `len` bytes encode() just wrote, for an event held back by backpressure. */
  copyEncoded(len: number): Buffer {
    return Buffer.from(this.#buf!.subarray(this.bytes, this.bytes + len));
  }

  /** Appends a held-back body (the slow path). Returns its length, counted. */
  addBody(body: Buffer, res: Resolve): number {
    const n = body.length;
    if (this.#buf === null || this.#buf.length - this.bytes < n) {
      if (this.count > 0) this.#onFull();
      this.#buf = Buffer.allocUnsafeSlow(Math.max(this.#nextBufBytes, n));
    }
    body.copy(this.#buf, this.bytes);
    this.add(n, res);
    return n;
  }

  /** Counts the `n` bytes just written after what the buffer held as one event. */
  add(n: number, res: Resolve): void {
    this.count += 1;
    this.bytes += n;
    this.#res.push(res);
  }

  /** The batch built so far (count > 0), and a fresh start sized for a batch like it. */
  take(): Built {
    const b: Built = { buf: this.#buf!, len: this.bytes, count: this.count, res: this.#res };
    this.#nextBufBytes = Math.min(Math.max(MIN_BUF_BYTES, this.bytes * 2), MAX_POST_BYTES * 2);
    this.#buf = null;
    this.count = 0;
    this.bytes = 0;
    this.#res = [];
    return b;
  }
}
