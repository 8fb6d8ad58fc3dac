// The producer side of one client: serializes on the caller's thread, coalesces the events
// of one tick into one transferred ArrayBuffer, and settles each event's promise when the
// writer acks its batch. The data path is a raw MessagePort straight to the writer thread.
import {
  WalError, encodeBody, encodeRawBody, fromWire, assertNever, nextBatchId, prevBatchId,
  SAB_DURABLE_BATCH, SAB_NACKED_EVENTS, SAB_STATE, STATE_FAILED, STATE_OK, STATE_DEAD,
  type Connection, type FromWriterData, type BatchMsg, type AckMsg,
} from '@threadwal/core';
import { receiveMessageOnPort } from 'node:worker_threads';
import { BatchBuilder, MAX_POST_BYTES, EARLY_POST_BYTES } from './batch-builder.js';
import { waitSettled } from './sync-wait.js';
import { newPromise, capturedRes, rejected, type Resolve } from './hot-path.js';
import type { ResolvedClientOptions } from '../options.js';
import { LatencyRing } from './latency.js';
import { TRACE, traceAck } from './trace.js';

interface Inflight {
  count: number;
  bytes: number;
  res: Resolve[];
  t0: number;
}

/** An event held back by maxPendingBytes: its serialized body and its promise's resolvers. */
interface Held {
  body: Buffer;
  res: Resolve;
}

/** Where a batcher gets (and after a writer death, re-gets) its data port. */
export interface ConnectionSource {
  connect(): Promise<Connection>;
  /** In a thread that did not open the WAL: resolves with the error to use if that thread is gone, else null. */
  ownerGone?(): Promise<WalError | null>;
}

export class Batcher {
  readonly #opts: ResolvedClientOptions;
  readonly #source: ConnectionSource;
  readonly #path: string;
  #conn: Connection | null = null;
  #sab: Int32Array | null = null;
  #connecting: Promise<void> | null = null;
  readonly #b: BatchBuilder;
  #scheduled = false;
  readonly #postTask = (): void => this.post();
  // in flight and held back
  readonly #inflight = new Map<number, Inflight>();
  #nextId = 1;
  /** Id of the newest batch posted (0: none yet). */
  #lastPosted = 0;
  #pendingBytes = 0;
  #waiting: Held[] = [];
  #drainWaiters: Array<() => void> = [];
  #accepted = 0;
  #settled = 0;
  #flushWaiters: Array<{ target: number; resolve: () => void; reject: (e: WalError) => void }> = [];
  #noWaitError: WalError | null = null;
  /** appendNoWait events rejected that no flush() or onError was told about (the exit hook counts them). */
  #noWaitLost = 0;
  /** Events of this connection's nacks handled so far; the SAB's SAB_NACKED_EVENTS minus this were rejected unseen. */
  #nackedSeen = 0;
  #failed: WalError | null = null;
  #closed = false;
  lastSeq = -1;
  readonly latency = new LatencyRing();

  constructor(path: string, source: ConnectionSource, opts: ResolvedClientOptions, conn: Connection) {
    this.#path = path;
    this.#source = source;
    this.#opts = opts;
    this.#b = new BatchBuilder(opts.maxEventBytes, () => this.post());
    this.#attach(conn);
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  #attach(conn: Connection): void {
    this.#conn = conn;
    this.#sab = new Int32Array(conn.sab);
    this.#nackedSeen = 0;
    conn.port.on('message', (msg: FromWriterData) => this.#onMessage(msg));
    conn.port.on('close', () => this.#onClose(conn));
    conn.port.unref();
  }

  #error(code: 'ECLOSED' | 'EBACKPRESSURE' | 'EWORKER', message: string): WalError {
    return new WalError(code, message, { path: this.#path });
  }

  append(event: unknown): Promise<number> {
    if (this.#closed || this.#failed) {
      encodeBody(event, this.#opts.maxEventBytes); // bad input is EINVAL whatever the state
      return Promise.reject(this.#failed ?? this.#error('ECLOSED', 'the WAL is closed'));
    }
    return this.#queued(this.#b.encode(event));
  }

  appendNoWait(event: unknown): void {
    if (this.#closed || this.#failed) {
      encodeBody(event, this.#opts.maxEventBytes);
      throw this.#failed ?? this.#error('ECLOSED', 'the WAL is closed');
    }
    this.#queuedNoWait(this.#b.encode(event));
  }

  /** append() with `output` already JSON text (Wal.appendRaw): same queueing, seq and durability. */
  appendRaw(event: unknown, output: string): Promise<number> {
    if (this.#closed || this.#failed) {
      encodeRawBody(event, output, this.#opts.maxEventBytes);
      return Promise.reject(this.#failed ?? this.#error('ECLOSED', 'the WAL is closed'));
    }
    return this.#queued(this.#b.encodeRaw(event, output));
  }

  /** appendNoWait() with `output` already JSON text (Wal.appendRawNoWait). */
  appendRawNoWait(event: unknown, output: string): void {
    if (this.#closed || this.#failed) {
      encodeRawBody(event, output, this.#opts.maxEventBytes);
      throw this.#failed ?? this.#error('ECLOSED', 'the WAL is closed');
    }
    this.#queuedNoWait(this.#b.encodeRaw(event, output));
  }

  /** The `len` bytes just encoded become an event with a promise: batched now, or held back by maxPendingBytes. */
  #queued(len: number): Promise<number> {
    const promise = newPromise();
    this.#accepted += 1;
    if (this.#mustHold(len)) this.#waiting.push({ body: this.#b.copyEncoded(len), res: capturedRes });
    else this.#add(len, capturedRes);
    return promise;
  }

  /** The `len` bytes just encoded become an event without a promise; past maxPendingBytes it is refused. */
  #queuedNoWait(len: number): void {
    if (this.#mustHold(len)) {
      throw this.#error('EBACKPRESSURE', `more than maxPendingBytes (${this.#opts.maxPendingBytes}) is waiting to be durable; await drain()`);
    }
    this.#accepted += 1;
    this.#add(len, undefined);
  }

  #mustHold(len: number): boolean {
    return this.#waiting.length > 0 || (this.#pendingBytes > 0 && this.#pendingBytes + len > this.#opts.maxPendingBytes);
  }

  /** Copies a held-back body to the end of the batch (the slow path, after backpressure). */
  #addHeld(w: Held): void {
    this.#counted(this.#b.addBody(w.body, w.res));
  }

  /** Counts the `n` bytes just encoded as one event. */
  #add(n: number, res: Resolve): void {
    this.#b.add(n, res);
    this.#counted(n);
  }

  #counted(n: number): void {
    this.#pendingBytes += n;
    // Inside one long synchronous run of appends, post as soon as the writer has caught up
    // with everything this client sent (the SAB cursor says so; its ack message cannot be
    // read until the run ends), so it writes while we still serialize.
    if (this.#b.bytes >= MAX_POST_BYTES || (this.#b.bytes >= EARLY_POST_BYTES && this.#writerCaughtUp())) this.post();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#postTask);
    }
  }

  #writerCaughtUp(): boolean {
    const sab = this.#sab;
    return sab !== null && Atomics.load(sab, SAB_DURABLE_BATCH) === this.#lastPosted;
  }

  /** Sends the batch built so far to the writer thread. */
  post(): void {
    this.#scheduled = false;
    if (this.#b.count === 0) return;
    const conn = this.#conn;
    if (!conn) return void this.#reconnect();
    const b = this.#b.take();
    const id = this.#nextId;
    this.#nextId = nextBatchId(id); // Int32 in the SAB; 0 means "none"
    this.#lastPosted = id;
    const msg: BatchMsg = { type: 'batch', id, buf: b.buf.buffer as ArrayBuffer, len: b.len, count: b.count };
    this.#inflight.set(id, { count: b.count, bytes: b.len, res: b.res, t0: performance.now() });
    if (this.#inflight.size === 1) conn.port.ref(); // keep the process alive until the writer answers
    conn.port.postMessage(msg, [msg.buf]);
  }

  #onMessage(msg: FromWriterData): void {
    if (msg?.type == null) return;
    switch (msg.type) {
      case 'hello':
        return;
      case 'ack':
        return this.#onAck(msg);
      case 'nack': {
        const b = this.#inflight.get(msg.id);
        if (!b) return;
        this.#inflight.delete(msg.id);
        this.#nackedSeen += b.count;
        const err = fromWire(msg.error);
        // EFSYNC is fail-stop: known here before any rejected promise's handler runs.
        if (err.code === 'EFSYNC') this.#failed ??= err;
        this.#reject(b, err);
        return this.#settle(b);
      }
      case 'failed':
        this.#failed = fromWire(msg.error);
        for (const w of this.#waiting.splice(0)) w.res?.(rejected(this.#failed));
        return;
      default:
        assertNever(msg);
    }
  }

  /** Settles the batches an ack covers, oldest first, each one's seqs right after the one before. */
  #onAck(msg: AckMsg): void {
    const n = msg.n ?? 1;
    let id = msg.id;
    for (let k = 1; k < n; k++) id = prevBatchId(id);
    let seq = msg.firstSeq;
    for (let k = 0; k < n; k++, id = nextBatchId(id)) {
      const b = this.#inflight.get(id);
      if (!b) continue;
      this.#inflight.delete(id);
      this.latency.add(performance.now() - b.t0);
      if (TRACE && msg.t) traceAck(b.t0, msg.t);
      for (let i = 0; i < b.count; i++) b.res[i]?.(seq + i);
      seq += b.count;
      this.lastSeq = seq - 1;
      this.#settle(b);
    }
  }

  #reject(b: { count: number; res: Resolve[] }, err: WalError): void {
    const r = rejected(err);
    for (let i = 0; i < b.count; i++) {
      const res = b.res[i];
      if (res) res(r);
      else {
        this.#noWaitError = err;
        this.#noWaitLost += 1;
      }
    }
  }

  /** The stored appendNoWait error, now reported to the caller (and so no longer the exit hook's). */
  #takeNoWaitError(): WalError | null {
    const err = this.#noWaitError;
    this.#noWaitError = null;
    this.#noWaitLost = 0;
    return err;
  }

  #settle(b: Inflight): void {
    this.#pendingBytes -= b.bytes;
    this.#settled += b.count;
    if (this.#inflight.size === 0) this.#conn?.port.unref();
    while (this.#waiting.length > 0 && (this.#pendingBytes === 0 || this.#pendingBytes + this.#waiting[0]!.body.length <= this.#opts.maxPendingBytes)) {
      this.#addHeld(this.#waiting.shift()!);
    }
    if (this.#drainWaiters.length > 0 && this.#pendingBytes <= this.#opts.maxPendingBytes / 2 && this.#waiting.length === 0) {
      for (const d of this.#drainWaiters.splice(0)) d();
    }
    while (this.#flushWaiters.length > 0 && this.#flushWaiters[0]!.target <= this.#settled) {
      const f = this.#flushWaiters.shift()!;
      const err = this.#takeNoWaitError();
      if (err) f.reject(err);
      else f.resolve();
    }
    // A no-wait error that no flush() is waiting to collect goes to onError, if there is one.
    const onError = this.#opts.onError;
    if (onError && this.#noWaitError && this.#flushWaiters.length === 0) {
      const events = this.#noWaitLost;
      const err = this.#takeNoWaitError()!;
      queueMicrotask(() => onError(err, events));
    }
  }

  /**
   * The writer thread died (or closed): what was in flight may or may not be on disk, so it
   * rejects with EWORKER, or, when the source says the thread that opened the WAL is gone
   * (its writer thread went with it), with that error, for good.
   */
  #onClose(conn: Connection): void {
    if (conn !== this.#conn) return;
    this.#conn = null;
    // Wake (and keep out) flushSync: the host that would mark it may have died with its thread.
    const sab = this.#sab;
    if (sab && Atomics.load(sab, SAB_STATE) === STATE_OK) Atomics.store(sab, SAB_STATE, STATE_DEAD);
    if (this.#closed) return;
    const lost = [...this.#inflight];
    const fail = (why: WalError | null): void => {
      if (why?.code === 'ECLOSED') this.#failed ??= why;
      const err = why ?? this.#error('EWORKER', 'the writer thread died before these events were acknowledged; the next append restarts it');
      for (const [id, b] of lost) {
        if (this.#inflight.get(id) !== b) continue;
        this.#inflight.delete(id);
        this.#reject(b, err);
        this.#settle(b);
      }
      if (this.#b.count > 0) this.#reconnect();
    };
    const check = this.#source.ownerGone;
    if (check) void check().then(fail, () => fail(null));
    else fail(null);
  }

  #reconnect(): Promise<void> {
    this.#connecting ??= this.#source.connect().then(
      (conn) => {
        this.#connecting = null;
        this.#attach(conn);
        this.post();
      },
      (err: WalError) => {
        this.#connecting = null;
        // ECLOSED from connect is for good (the WAL was closed, or the thread that opened it exited).
        if (err.code === 'ECLOSED') this.#failed ??= err;
        const taken = this.#b.count > 0 ? this.#b.take() : null;
        const b = { count: taken?.count ?? 0, bytes: taken?.len ?? 0, res: taken?.res ?? [], t0: 0 };
        this.#reject(b, err);
        this.#settle(b);
      },
    );
    return this.#connecting;
  }

  flush(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#error('ECLOSED', 'the WAL is closed'));
    if (this.#failed) return Promise.reject(this.#failed);
    this.post();
    const target = this.#accepted;
    if (this.#settled >= target) {
      const err = this.#takeNoWaitError();
      return err ? Promise.reject(err) : Promise.resolve();
    }
    return new Promise((resolve, reject) => this.#flushWaiters.push({ target, resolve, reject }));
  }

  /** Resolves at the low-water mark (half of maxPendingBytes), so a producer retrying after EBACKPRESSURE makes room to fill. */
  drain(): Promise<void> {
    if (this.#pendingBytes <= this.#opts.maxPendingBytes / 2 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.#drainWaiters.push(r));
  }

  /**
   * Blocks this thread until everything appended so far is settled (see sync-wait.ts); throws
   * if any of it was rejected, or if an earlier appendNoWait batch was and no flush() said so.
   */
  flushSync(timeoutMs = this.#opts.flushSyncTimeoutMs): void {
    if (this.#closed) return;
    if (this.#failed) throw this.#failed;
    this.#waitSync(timeoutMs);
    const err = this.#takeNoWaitError();
    if (err) throw err;
  }

  #waitSync(timeoutMs: number): void {
    for (const w of this.#waiting.splice(0)) this.#addHeld(w); // flushSync ignores backpressure
    this.post();
    // Not posted: the writer thread is gone and reconnecting needs the event loop.
    if (this.#b.count > 0) throw this.#error('EWORKER', 'the writer thread is not running; flush() restarts it');
    if (this.#inflight.size === 0) return;
    const first = this.#inflight.keys().next().value as number;
    waitSettled(this.#sab!, first, (this.#nextId - 1) | 0 || -1, timeoutMs, this.#path);
    this.#takeAcks();
  }

  /**
   * The exit hook's flush: like flushSync, but says how many appended events are not
   * durable (rejected unseen, or still unsettled) and why; null when every one is.
   */
  exitFlush(): { error: WalError; events: number } | null {
    if (this.#closed) return null;
    let error: WalError | null = this.#failed;
    if (!error) {
      try {
        this.#waitSync(this.#opts.flushSyncTimeoutMs);
      } catch (err) {
        error = err as WalError;
      }
    }
    let events = this.#noWaitLost + this.#b.count + this.#waiting.length;
    const stored = this.#takeNoWaitError();
    let total = 0;
    for (const b of this.#inflight.values()) total += b.count;
    const sab = this.#sab;
    if (total > 0 && sab && Atomics.load(sab, SAB_STATE) !== STATE_FAILED) {
      // Read the cursor before the nack count: a batch seen settled is then seen counted.
      const settledId = Atomics.load(sab, SAB_DURABLE_BATCH);
      const nacked = (Atomics.load(sab, SAB_NACKED_EVENTS) - this.#nackedSeen) | 0;
      let unsettled = 0;
      for (const [id, b] of this.#inflight) if (((settledId - id) | 0) < 0) unsettled += b.count;
      events += Math.min(total, unsettled + nacked);
    } else {
      events += total; // fail-stop (or no writer): nothing in flight becomes durable
    }
    error ??= stored;
    if (events === 0 || !error) return null;
    return { error, events };
  }

  /**
   * Handles the acks already queued on the data port now, not on a later tick, so that
   * pendingBytes and lastSeq are current when flushSync returns (a pino destination that
   * blocks on backpressure appends again right after it).
   */
  #takeAcks(): void {
    const port = this.#conn?.port;
    if (!port) return;
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) this.#onMessage(m.message as FromWriterData);
  }

  /** Stops accepting events and detaches from the writer (after the caller flushed). */
  close(): void {
    this.#closed = true;
    const closed = rejected(this.#error('ECLOSED', 'the WAL was closed before this event was written'));
    for (const w of this.#waiting.splice(0)) w.res?.(closed);
    this.#conn?.port.close();
    this.#conn = null;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get sab(): SharedArrayBuffer | undefined {
    return this.#conn?.sab;
  }
}
