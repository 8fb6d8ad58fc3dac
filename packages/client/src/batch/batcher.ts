// The producer side of one client: serializes on the caller's thread into one transferred
// buffer per batch, and settles each event's promise when the writer acks its batch. The
// data path is a raw MessagePort straight to the writer thread.
//
// When to post (post-gate.ts): at the end of the tick (a microtask), or early in a long
// synchronous run, but only once the writer has settled everything this client posted
// before; until then the batch keeps growing, and the ack that settles the previous one
// posts it. Also: past MAX_POST_BYTES always; the rest of a run that posted early at the
// end of its tick; an urgent batch when the one in flight is not; everything at flushSync
// and exit.
import { WalError, encodeBody, encodeRawBody, fromWire, assertNever, type Connection, type FromWriterData } from '@threadwal/core';
import { BatchBuilder, MAX_POST_BYTES, EARLY_POST_BYTES } from './batch-builder.js';
import { newPromise, capturedRes, type Resolve } from './hot-path.js';
import { Ledger, type Held } from './ledger.js';
import { Link, type ConnectionSource, type LinkOwner } from './link.js';
import { postBatch, postUrge } from './port.js';
import { PostGate } from './post-gate.js';
import { SyncFlush } from './sync-wait.js';
import type { ResolvedClientOptions } from '../options.js';

export type { ConnectionSource };

export class Batcher implements LinkOwner {
  readonly #opts: ResolvedClientOptions;
  readonly #path: string;
  readonly #link: Link;
  readonly #b: BatchBuilder;
  readonly #l: Ledger;
  readonly #gate = new PostGate();
  readonly #sync: SyncFlush;
  #scheduled = false;
  readonly #postTask = (): void => {
    this.#scheduled = false;
    if (this.#gate.endRun() || this.#mayPost()) this.post();
  };
  #nextId = 1;
  #failed: WalError | null = null;
  #closed = false;

  constructor(path: string, source: ConnectionSource, opts: ResolvedClientOptions, conn: Connection) {
    this.#path = path;
    this.#opts = opts;
    this.#b = new BatchBuilder(opts.maxEventBytes, () => this.#mayPost() && this.post());
    this.#l = new Ledger(opts, (w) => this.#addHeld(w), () => this.#link.conn?.port.unref());
    this.#link = new Link(source, this, conn);
    this.#sync = new SyncFlush(path, this.#l, this.#b, this.#link, {
      addHeld: (w) => this.#addHeld(w),
      postNow: () => this.#postNow(),
      lastPosted: () => (this.#nextId - 1) | 0 || -1,
      onMessage: (m) => this.onMessage(m),
    });
  }

  get pendingBytes(): number {
    return this.#l.pendingBytes;
  }

  get lastSeq(): number {
    return this.#l.lastSeq;
  }

  get latency(): Ledger['latency'] {
    return this.#l.latency;
  }

  #error(code: 'ECLOSED' | 'EBACKPRESSURE' | 'EWORKER', message: string): WalError {
    return new WalError(code, message, { path: this.#path });
  }

  /** Why nothing can be appended (closed, failed), else null; bad input throws EINVAL whatever the state. */
  #refused(event: unknown, output: string | null): WalError | null {
    if (!this.#closed && !this.#failed) return null;
    if (output === null) encodeBody(event, this.#opts.maxEventBytes);
    else encodeRawBody(event, output, this.#opts.maxEventBytes);
    return this.#failed ?? this.#error('ECLOSED', 'the WAL is closed');
  }

  append(event: unknown): Promise<number> {
    const no = this.#refused(event, null);
    return no ? Promise.reject(no) : this.#queued(this.#b.encode(event));
  }

  appendNoWait(event: unknown): void {
    const no = this.#refused(event, null);
    if (no) throw no;
    this.#queuedNoWait(this.#b.encode(event));
  }

  /** append() with `output` already JSON text (Wal.appendRaw): same queueing, seq and durability. */
  appendRaw(event: unknown, output: string): Promise<number> {
    const no = this.#refused(event, output);
    return no ? Promise.reject(no) : this.#queued(this.#b.encode(event, output));
  }

  /** appendNoWait() with `output` already JSON text (Wal.appendRawNoWait). */
  appendRawNoWait(event: unknown, output: string): void {
    const no = this.#refused(event, output);
    if (no) throw no;
    this.#queuedNoWait(this.#b.encode(event, output));
  }

  /** The `len` bytes just encoded become an event with a promise: batched now, or held back by maxPendingBytes. */
  #queued(len: number): Promise<number> {
    const promise = newPromise();
    this.#l.accepted += 1;
    if (this.#l.mustHold(len)) this.#l.waiting.push({ body: this.#b.copyEncoded(len), res: capturedRes });
    else this.#add(len, capturedRes);
    return promise;
  }

  /** The `len` bytes just encoded become an event without a promise; past maxPendingBytes it is refused. */
  #queuedNoWait(len: number): void {
    if (this.#l.mustHold(len)) {
      throw this.#error('EBACKPRESSURE', `more than maxPendingBytes (${this.#opts.maxPendingBytes}) is waiting to be durable; await drain()`);
    }
    this.#l.accepted += 1;
    this.#add(len, undefined);
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
    this.#l.pendingBytes += n;
    const bytes = this.#b.bytes;
    // Inside one long synchronous run of appends, post as soon as the writer has caught up
    // (the SAB cursor says so; its ack message cannot be read until the run ends), so it
    // writes while we still serialize.
    if (bytes >= MAX_POST_BYTES || (bytes >= EARLY_POST_BYTES && this.#mayPost())) this.post();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      this.#gate.startRun();
      queueMicrotask(this.#postTask);
    }
  }

  #mayPost(): boolean {
    return this.#gate.mayPost(this.#b.urgent, this.#l.inflight.size, this.#link.sab, this.#b.bytes);
  }

  /** Sends the batch built so far to the writer thread; false when it could not (no writer thread: reconnecting). */
  post(): boolean {
    if (this.#b.count === 0) return true;
    const conn = this.#link.conn;
    if (!conn) {
      this.#link.reconnect(); // its onAttached posts; meanwhile the batch stays (and grows)
      return false;
    }
    const b = this.#b.take();
    const id = this.#nextId;
    this.#nextId = (id + 1) | 0 || 1; // nextBatchId: Int32 in the SAB; 0 means "none"
    const l = this.#l;
    l.inflight.set(id, { count: b.count, bytes: b.len, res: b.res, t0: performance.now() });
    if (l.inflight.size === 1) conn.port.ref(); // keep the process alive until the writer answers
    postBatch(conn.port, id, b);
    this.#gate.posted(id, b.urgent);
    return true;
  }

  /** Whatever is built goes now, marked as waited for; so does word to the writer to end its commit window. */
  #postNow(): void {
    this.#b.urgent = true;
    if (this.#b.count > 0) this.post();
    else if (!this.#gate.lastUrgent && this.#l.inflight.size > 0 && this.#link.conn) {
      postUrge(this.#link.conn.port);
      this.#gate.lastUrgent = true;
    }
  }

  /** @internal (LinkOwner) */
  onMessage(msg: FromWriterData): void {
    if (msg?.type == null) return;
    switch (msg.type) {
      case 'hello':
        return;
      case 'ack':
        if (msg.bufs) for (const ab of msg.bufs) this.#b.pool.give(ab);
        this.#l.ack(msg);
        break;
      case 'nack': {
        const err = this.#l.nack(msg);
        // EFSYNC is fail-stop: known here before any rejected promise's handler runs.
        if (err?.code === 'EFSYNC') this.#failed ??= err;
        break;
      }
      case 'failed':
        this.#failed = fromWire(msg.error);
        this.#l.rejectWaiting(this.#failed);
        return;
      default:
        assertNever(msg);
    }
    // What was kept back while the writer was busy with our previous batch goes now.
    if (this.#b.count > 0 && this.#mayPost()) this.post();
  }

  /**
   * @internal (LinkOwner) The writer thread died (or closed): what was in flight may or may
   * not be on disk, so it rejects with EWORKER, or, when the thread that opened the WAL is
   * gone (its writer thread went with it), with that error, for good.
   */
  onLost(): (why: WalError | null) => void {
    const reject = this.#l.inflightNow();
    return (why) => {
      if (why?.code === 'ECLOSED') this.#failed ??= why;
      reject(why ?? this.#error('EWORKER', 'the writer thread died before these events were acknowledged; the next append restarts it'));
      if (this.#b.count > 0) this.#link.reconnect();
    };
  }

  /** @internal (LinkOwner) */
  onAttached(): void {
    this.#l.nackedSeen = 0;
    this.#gate.reset();
    this.post();
  }

  /** @internal (LinkOwner) */
  onConnectFailed(err: WalError): void {
    // ECLOSED from connect is for good (the WAL was closed, or the thread that opened it exited).
    if (err.code === 'ECLOSED') this.#failed ??= err;
    const taken = this.#b.count > 0 ? this.#b.take() : null;
    this.#l.rejectNow({ count: taken?.count ?? 0, bytes: taken?.len ?? 0, res: taken?.res ?? [] }, err);
  }

  flush(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#error('ECLOSED', 'the WAL is closed'));
    if (this.#failed) return Promise.reject(this.#failed);
    this.#b.urgent = true;
    if (this.#b.count > 0) {
      if (this.#mayPost()) this.post(); // else the ack of what is in flight posts it
    } else this.#postNow();
    return this.#l.flushed();
  }

  /** Resolves at the low-water mark (half of maxPendingBytes), so a producer retrying after EBACKPRESSURE makes room to fill. */
  drain(): Promise<void> {
    return this.#l.drained();
  }

  /**
   * Blocks this thread until everything appended so far is settled (see sync-wait.ts); throws
   * if any of it was rejected, or if an earlier appendNoWait batch was and no flush() said so.
   */
  flushSync(timeoutMs = this.#opts.flushSyncTimeoutMs): void {
    if (this.#closed) return;
    if (this.#failed) throw this.#failed;
    this.#sync.wait(timeoutMs);
    const err = this.#l.takeNoWaitError();
    if (err) throw err;
  }

  /**
   * The exit hook's flush: like flushSync, but says how many appended events are not
   * durable (rejected unseen, or still unsettled) and why; null when every one is.
   */
  exitFlush(): { error: WalError; events: number } | null {
    return this.#closed ? null : this.#sync.atExit(this.#failed, this.#opts.flushSyncTimeoutMs);
  }

  /** Stops accepting events and detaches from the writer (after the caller flushed). */
  close(): void {
    this.#closed = true;
    this.#l.rejectWaiting(this.#error('ECLOSED', 'the WAL was closed before this event was written'));
    this.#link.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Why this client can append no more (fail-stop, or the WAL's owner is gone), else null. */
  get failed(): WalError | null {
    return this.#failed;
  }

  get sab(): SharedArrayBuffer | undefined {
    return this.#link.conn?.sab;
  }
}
