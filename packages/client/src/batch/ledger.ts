// What one client has in flight and who waits for it: the posted batches and their
// promises, the bytes not yet durable (maxPendingBytes), events held back by backpressure,
// flush() and drain() waiters, and appendNoWait errors no one has been told about yet.
import { WalError, fromWire, prevBatchId, nextBatchId, type AckMsg, type NackMsg } from '@threadwal/core';
import { rejected, type Resolve } from './hot-path.js';
import { LatencyRing } from './latency.js';
import { TRACE, traceAck } from './trace.js';
import type { ResolvedClientOptions } from '../options.js';

export interface Inflight {
  count: number;
  bytes: number;
  res: Resolve[];
  t0: number;
}

/** An event held back by maxPendingBytes: its serialized body and its promise's resolver. */
export interface Held {
  body: Buffer;
  res: Resolve;
}

interface FlushWaiter {
  target: number;
  resolve: () => void;
  reject: (e: WalError) => void;
}

export class Ledger {
  readonly #opts: ResolvedClientOptions;
  /** Puts a held-back event into the batch once there is room (the Batcher's). */
  readonly #addHeld: (w: Held) => void;
  /** Nothing is in flight any more (the Batcher lets its port stop keeping the thread alive). */
  readonly #idle: () => void;
  /** Posted batches not settled yet, by id, oldest first. */
  readonly inflight = new Map<number, Inflight>();
  pendingBytes = 0;
  accepted = 0;
  settled = 0;
  waiting: Held[] = [];
  #drainWaiters: Array<() => void> = [];
  #flushWaiters: FlushWaiter[] = [];
  #noWaitError: WalError | null = null;
  /** appendNoWait events rejected that no flush() or onError was told about (the exit hook counts them). */
  noWaitLost = 0;
  /** Events of this connection's nacks handled so far; the SAB's SAB_NACKED_EVENTS minus this were rejected unseen. */
  nackedSeen = 0;
  lastSeq = -1;
  readonly latency = new LatencyRing();

  constructor(opts: ResolvedClientOptions, addHeld: (w: Held) => void, idle: () => void) {
    this.#opts = opts;
    this.#addHeld = addHeld;
    this.#idle = idle;
  }

  /** Whether an event of `len` bytes must wait for room (maxPendingBytes; one event always fits). */
  mustHold(len: number): boolean {
    return this.waiting.length > 0 || (this.pendingBytes > 0 && this.pendingBytes + len > this.#opts.maxPendingBytes);
  }

  /** Settles the batches an ack covers, oldest first, each one's seqs right after the one before. */
  ack(msg: AckMsg): void {
    const n = msg.n ?? 1;
    let id = msg.id;
    for (let k = 1; k < n; k++) id = prevBatchId(id);
    let seq = msg.firstSeq;
    for (let k = 0; k < n; k++, id = nextBatchId(id)) {
      const b = this.inflight.get(id);
      if (!b) continue;
      this.inflight.delete(id);
      this.latency.add(performance.now() - b.t0);
      if (TRACE && msg.t) traceAck(b.t0, msg.t);
      for (let i = 0; i < b.count; i++) b.res[i]?.(seq + i);
      seq += b.count;
      this.lastSeq = seq - 1;
      this.settle(b);
    }
  }

  /** A nack: the batch's events reject. Returns its error (EFSYNC is the caller's to note as fail-stop). */
  nack(msg: NackMsg): WalError | null {
    const b = this.inflight.get(msg.id);
    if (!b) return null;
    this.inflight.delete(msg.id);
    this.nackedSeen += b.count;
    const err = fromWire(msg.error);
    this.reject(b, err);
    this.settle(b);
    return err;
  }

  reject(b: { count: number; res: Resolve[] }, err: WalError): void {
    const r = rejected(err);
    for (let i = 0; i < b.count; i++) {
      const res = b.res[i];
      if (res) res(r);
      else {
        this.#noWaitError = err;
        this.noWaitLost += 1;
      }
    }
  }

  /** Rejects (and settles) a batch's events. */
  rejectNow(b: { count: number; bytes: number; res: Resolve[] }, err: WalError): void {
    this.reject(b, err);
    this.settle(b);
  }

  /** The batches in flight now; the function returned rejects those of them still in flight then. */
  inflightNow(): (err: WalError) => void {
    const lost = [...this.inflight];
    return (err) => {
      for (const [id, b] of lost) {
        if (this.inflight.get(id) !== b) continue;
        this.inflight.delete(id);
        this.rejectNow(b, err);
      }
    };
  }

  /** The stored appendNoWait error, now reported to the caller (and so no longer the exit hook's). */
  takeNoWaitError(): WalError | null {
    const err = this.#noWaitError;
    this.#noWaitError = null;
    this.noWaitLost = 0;
    return err;
  }

  /** Rejects every held-back event (the WAL failed or closed). */
  rejectWaiting(err: WalError): void {
    const r = rejected(err);
    for (const w of this.waiting.splice(0)) w.res?.(r);
  }

  settle(b: { count: number; bytes: number }): void {
    this.pendingBytes -= b.bytes;
    this.settled += b.count;
    if (this.inflight.size === 0) this.#idle();
    const max = this.#opts.maxPendingBytes;
    while (this.waiting.length > 0 && (this.pendingBytes === 0 || this.pendingBytes + this.waiting[0]!.body.length <= max)) {
      this.#addHeld(this.waiting.shift()!);
    }
    if (this.#drainWaiters.length > 0 && this.pendingBytes <= max / 2 && this.waiting.length === 0) {
      for (const d of this.#drainWaiters.splice(0)) d();
    }
    while (this.#flushWaiters.length > 0 && this.#flushWaiters[0]!.target <= this.settled) {
      const f = this.#flushWaiters.shift()!;
      const err = this.takeNoWaitError();
      if (err) f.reject(err);
      else f.resolve();
    }
    // A no-wait error that no flush() is waiting to collect goes to onError, if there is one.
    const onError = this.#opts.onError;
    if (onError && this.#noWaitError && this.#flushWaiters.length === 0) {
      const events = this.noWaitLost;
      const err = this.takeNoWaitError()!;
      queueMicrotask(() => onError(err, events));
    }
  }

  /** Resolves once every event accepted so far is settled (rejects with a no-wait error not yet reported). */
  flushed(): Promise<void> {
    const target = this.accepted;
    if (this.settled >= target) {
      const err = this.takeNoWaitError();
      return err ? Promise.reject(err) : Promise.resolve();
    }
    return new Promise((resolve, reject) => this.#flushWaiters.push({ target, resolve, reject }));
  }

  /** Resolves at the low-water mark (half of maxPendingBytes), so a producer retrying after EBACKPRESSURE makes room to fill. */
  drained(): Promise<void> {
    if (this.pendingBytes <= this.#opts.maxPendingBytes / 2 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.#drainWaiters.push(r));
  }
}
