// The producer side of one client: serializes on the caller's thread into one transferred
// buffer per batch, and settles each event's promise when the writer acks its batch. The
// data path is a raw MessagePort straight to the writer thread.
//
// When to post: at the end of the tick (a microtask), or early in a long synchronous run,
// but only once the writer has settled everything this client posted before (its SAB
// cursor says so, no message needed); until then the batch keeps growing, and the ack
// that settles the previous one posts it. A busy writer so sees one batch per client per
// cycle, not one per tick. Exceptions: past MAX_POST_BYTES a batch goes anyway; a batch
// someone waits for goes at once when what is in flight is only appendNoWait lines (the
// writer may be holding those in its commit window: this ends it); flushSync and the exit
// flush post everything.
import { WalError, encodeBody, encodeRawBody, fromWire, assertNever, SAB_DURABLE_BATCH, type Connection, type FromWriterData } from '@threadwal/core';
import { BatchBuilder, MAX_POST_BYTES, EARLY_POST_BYTES } from './batch-builder.js';
import { newPromise, capturedRes, type Resolve } from './hot-path.js';
import { Ledger, type Held } from './ledger.js';
import { Link, type ConnectionSource, type LinkOwner } from './link.js';
import { postBatch, postUrge, takeQueued } from './port.js';
import { countUnsettled, waitSettled } from './sync-wait.js';
import type { ResolvedClientOptions } from '../options.js';

export type { ConnectionSource };

export class Batcher implements LinkOwner {
  readonly #opts: ResolvedClientOptions;
  readonly #path: string;
  readonly #link: Link;
  readonly #b: BatchBuilder;
  readonly #l: Ledger;
  #scheduled = false;
  readonly #postTask = (): void => {
    this.#scheduled = false;
    if (this.#mayPost()) this.post();
  };
  #nextId = 1;
  /** Id of the newest batch posted on this connection (0: none yet), and whether someone waited for it. */
  #lastPosted = 0;
  #lastUrgent = false;
  #failed: WalError | null = null;
  #closed = false;

  constructor(path: string, source: ConnectionSource, opts: ResolvedClientOptions, conn: Connection) {
    this.#path = path;
    this.#opts = opts;
    this.#b = new BatchBuilder(opts.maxEventBytes, () => this.#mayPost() && this.post());
    this.#l = new Ledger(opts, (w) => this.#addHeld(w), () => this.#link.conn?.port.unref());
    this.#link = new Link(source, this, conn);
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
      queueMicrotask(this.#postTask);
    }
  }

  /** Whether the batch may go now (see the top of this file). */
  #mayPost(): boolean {
    // Nothing in flight by the acks read (the writer posts an ack before it moves the cursor).
    if (this.#lastPosted === 0 || this.#l.inflight.size === 0) return true;
    const sab = this.#link.sab;
    if (sab === null || Atomics.load(sab, SAB_DURABLE_BATCH) === this.#lastPosted) return true;
    return this.#b.urgent && !this.#lastUrgent;
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
    this.#lastPosted = id;
    this.#lastUrgent = b.urgent;
    const l = this.#l;
    l.inflight.set(id, { count: b.count, bytes: b.len, res: b.res, t0: performance.now() });
    if (l.inflight.size === 1) conn.port.ref(); // keep the process alive until the writer answers
    postBatch(conn.port, id, b);
    return true;
  }

  /** Whatever is built goes now, marked as waited for; so does word to the writer to end its commit window. */
  #postNow(): void {
    this.#b.urgent = true;
    if (this.#b.count > 0) this.post();
    else if (!this.#lastUrgent && this.#l.inflight.size > 0 && this.#link.conn) {
      postUrge(this.#link.conn.port);
      this.#lastUrgent = true;
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
    this.#lastPosted = 0;
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
    this.#waitSync(timeoutMs);
    const err = this.#l.takeNoWaitError();
    if (err) throw err;
  }

  #waitSync(timeoutMs: number): void {
    const l = this.#l;
    for (const w of l.waiting.splice(0)) this.#addHeld(w); // flushSync ignores backpressure
    this.#postNow();
    // Not posted: the writer thread is gone and reconnecting needs the event loop.
    if (this.#b.count > 0) throw this.#error('EWORKER', 'the writer thread is not running; flush() restarts it');
    if (l.inflight.size === 0) return;
    const first = l.inflight.keys().next().value as number;
    waitSettled(this.#link.sab!, first, (this.#nextId - 1) | 0 || -1, timeoutMs, this.#path);
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
    const l = this.#l;
    let events = l.noWaitLost + this.#b.count + l.waiting.length;
    const stored = l.takeNoWaitError();
    events += countUnsettled(this.#link.sab, l.inflight, l.nackedSeen);
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
    const port = this.#link.conn?.port;
    if (port) takeQueued(port, (m) => this.onMessage(m));
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
