// The writer actor, as it runs inside the writer thread. It alone holds the append fd.
// Group commit: producers' batches queue while a write + fdatasync runs (the thread is
// blocked in the syscall and the MessagePorts buffer); the next cycle takes everything
// queued, up to maxBatchBytes, as one write and one fdatasync. No timer is on the latency
// path of anything awaited: an idle writer starts a cycle one setImmediate after a batch
// arrives; only a busy writer with nothing awaited queued waits out the commit window.
import type { MessagePort } from 'node:worker_threads';
import { WalError, toWire, fromFsError, isNoSpace } from '../errors.js';
import { Clients, type Client } from './clients.js';
import { ActiveFile } from './log-file.js';
import { BatchCommit, type Pending } from './batch-commit.js';
import { CommitWindow } from './commit-window.js';
import { LockKeeper } from './lock-keeper.js';
import { PathLock } from '../lock/lock.js';
import type { LockBoard } from '../lock/lock-board.js';
import { RotationClock } from './rotate-clock.js';
import { WriteQueue } from './write-queue.js';
import { WriterRotation } from './writer-rotation.js';
import { Stamper } from '../format/checksum.js';
import { WriterRetention } from './writer-retention.js';
import { WriterCompression } from '../compress/writer-compression.js';
import { DEFAULT_GZIP_LEVEL } from '../compress/gzip-segment.js';
import type { ResolvedWriterOptions } from '../options.js';
import { TRACE, absNow, threadTrace } from './trace.js';
import { assertNever, type ToWriterData, type OpenInfo, type WriterStats, type RotateResult } from '../protocol.js';

const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));

export class Writer {
  readonly #opts: ResolvedWriterOptions;
  readonly #file: ActiveFile;
  readonly #keeper: LockKeeper;
  readonly #clients = new Clients();
  readonly #commit: BatchCommit;
  readonly #window: CommitWindow;
  readonly #queue: WriteQueue;
  readonly #rotation: WriterRotation;
  #busy = false;
  #scheduled = false;
  #failed: WalError | null = null;
  #closed = false;
  #idleWaiters: Array<() => void> = [];
  #received = 0;
  /** openWal's `retention`, applied after each rotation, else null. */
  readonly #retention: WriterRetention | null;
  /** openWal's `rotate.compress`: gzips rotated segments in its own thread, else null. */
  readonly #compression: WriterCompression | null;

  private constructor(path: string, opts: ResolvedWriterOptions, board?: LockBoard) {
    this.#opts = opts;
    this.#file = new ActiveFile(path, opts.mode);
    this.#retention = opts.retention ? new WriterRetention(path, opts.retention) : null;
    this.#compression = opts.rotate !== false && opts.rotate.compress ? new WriterCompression(path, DEFAULT_GZIP_LEVEL, { schedule: () => this.#schedule(), failed: () => this.#failed !== null }) : null;
    this.#keeper = new LockKeeper(new PathLock(path, opts.lockStaleMs, opts.lockTimeoutMs, board), opts.lock, TRACE);
    const stamper = opts.checksum === 'crc32c' ? new Stamper() : null;
    this.#commit = new BatchCommit(this.#file, this.#clients, opts.durability, stamper, TRACE, (take, err) => this.#nack(take, err));
    this.#window = new CommitWindow(opts.commitWindowMs, opts.maxBatchBytes);
    this.#queue = new WriteQueue(opts.maxBatchBytes);
    const clock = opts.rotate !== false && opts.rotate.everyMs !== undefined ? new RotationClock(opts.rotate.everyMs, opts.rotate.utc ?? false) : null;
    this.#rotation = new WriterRotation(this.#file, this.#keeper.lock, opts.rotate, clock, this.#retention, this.#compression);
  }

  /** Opens and recovers under the lock, so a tail being written by another process is never mistaken for a torn one. */
  static async open(path: string, opts: ResolvedWriterOptions, board?: LockBoard): Promise<Writer> {
    const w = new Writer(path, opts, board);
    const lock = w.#keeper.lock;
    await lock.acquire();
    try {
      w.#file.open();
    } catch (err) {
      lock.release(); // 'exclusive' too: a writer that never opened holds nothing
      throw err;
    }
    if (opts.lock === 'batch') lock.release();
    w.#commit.stats.durableSeq = w.#file.nextSeq - 1;
    w.#compression?.kick(); // what an earlier run or a crash left plain
    return w;
  }

  info(): OpenInfo {
    const f = this.#file;
    return { path: f.path, nextSeq: f.nextSeq, size: f.size, tornBytes: f.tornBytes, recovery: f.openCut, created: f.created };
  }

  attach(port: MessagePort, sab: SharedArrayBuffer): void {
    const client = this.#clients.add(port, sab, this.#failed ? toWire(this.#failed) : null);
    port.on('message', (msg: ToWriterData) => this.#onMessage(client, msg));
    // (The writer also drains every port at the start of a cycle: see #cycle.)
  }

  readonly #onMessageFn = (client: Client, msg: ToWriterData): void => this.#onMessage(client, msg);

  #onMessage(client: Client, msg: ToWriterData): void {
    if (msg?.type == null) return;
    switch (msg.type) {
      case 'batch': {
        const error = this.#failed ?? (this.#closed ? new WalError('ECLOSED', 'the WAL is closed', { path: this.#file.path }) : null);
        if (error) return this.#clients.nack(client, msg.id, msg.count, toWire(error));
        const urgent = msg.urgent === true;
        this.#queue.push({ client, id: msg.id, buf: Buffer.from(msg.buf, 0, msg.len), len: msg.len, count: msg.count, urgent, t: TRACE ? absNow() : 0 });
        this.#received += 1;
        if (urgent) this.#window.urge();
        this.#schedule();
        return;
      }
      case 'urge':
        this.#window.urge();
        return;
      default:
        assertNever(msg);
    }
  }

  #schedule(): void {
    if (this.#busy || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#run();
    });
  }

  async #run(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while ((this.#queue.length > 0 || this.#rotation.requested || this.#compression?.waiting) && !this.#failed) {
        // Nothing queued is awaited and a cycle began less than commitWindowMs ago: let more join it.
        const wait = this.#rotation.requested || this.#closed || this.#compression?.waiting ? 0 : this.#window.delay(this.#queue.bytes);
        if (wait > 0) await this.#window.wait(wait);
        await this.#cycle();
        // Let the batches that arrived during the write/fsync in before the next cycle.
        await immediate();
      }
    } finally {
      // 'batch' mode keeps the lock across back-to-back batches; idle, it lets others in.
      this.#keeper.releaseWhenIdle(() => this.#busy || this.#scheduled, this.#closed || this.#failed !== null);
      this.#busy = false;
      if (this.#queue.length === 0) for (const w of this.#idleWaiters.splice(0)) w();
    }
  }

  #take(): Pending[] {
    const take = this.#queue.take();
    this.#window.started(this.#queue.length === 0);
    return take;
  }

  async #cycle(): Promise<void> {
    const t = this.#commit.t;
    if (t) t[0] = absNow();
    try {
      await this.#keeper.ensure();
    } catch (err) {
      this.#rotation.rejectAll(err as WalError); // or #run would retry them forever
      this.#compression?.drop();
      return this.#nack(this.#take(), err as WalError);
    }
    // What arrived during the last write + fdatasync, straight off the ports (the 'message'
    // listener above only has to wake an idle writer).
    this.#clients.drain(this.#onMessageFn);
    const take = this.#take();
    let answered = false;
    try {
      this.#file.revalidate();
      if (t) t[1] = absNow();
      if (take.length > 0) this.#rotation.beforeWrite();
      if (take.length > 0) this.#locked(take);
      answered = true;
      if (!this.#failed) this.#rotation.maybeRotate();
      const lock = this.#keeper.lock;
      if (!this.#failed && this.#compression?.waiting && lock.stillOurs() && lock.enter()) {
        try { this.#compression.install(); } finally { lock.leave(); }
      }
    } catch (err) {
      const e = fromFsError(err, this.#file.path, 'the write cycle');
      // Out of space while reopening or rotating: nothing unwritten was acked and no line is
      // half written (#write answers its own ENOSPC), so reject this batch and go on; the next
      // cycle reopens the file, and appends succeed again once there is room.
      if (isNoSpace(e) && !(err as { fatal?: boolean }).fatal) {
        this.#file.closeFd();
        if (!answered) this.#nack(take, e);
      } else {
        this.#failStop(e, take);
      }
    } finally {
      this.#keeper.afterCycle();
    }
  }

  /** Writes `take` under the lock, BUSY on the board. */
  #locked(take: Pending[]): void {
    const lock = this.#keeper.lock;
    // Fence: never write under a lock that another process may have taken over while we
    // were paused, nor once the exiting owner thread took it back (enter() is false).
    if (!lock.stillOurs() || !lock.enter()) return this.#queue.putBack(take);
    try {
      this.#commit.write(take);
    } finally {
      lock.leave();
    }
  }

  #nack(take: Pending[], error: WalError): void {
    const wire = toWire(error);
    for (const p of take) this.#clients.nack(p.client, p.id, p.count, wire);
  }

  /** fsync failed (or the file is in a state we cannot vouch for): reject everything, now and later, and tell every thread. */
  #failStop(e: WalError, take: Pending[]): void {
    this.#failed = e;
    this.#clients.markFailed();
    this.#nack([...take, ...this.#queue.clear()], e);
    this.#rotation.rejectAll(e);
    this.#compression?.drop();
    this.#clients.announceFailed(toWire(e));
  }

  /** Marks every client's SAB dead so a thread blocked in flushSync wakes up (the writer is going away). */
  markDead(): void {
    this.#clients.markDead();
  }

  rotate(maxRotations: number): Promise<RotateResult> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#closed) return Promise.reject(new WalError('ECLOSED', 'the WAL is closed', { path: this.#file.path }));
    const done = this.#rotation.request(maxRotations);
    this.#window.urge();
    this.#schedule();
    return done;
  }

  stats(): WriterStats {
    const s = this.#commit.stats;
    const trace = TRACE ? threadTrace.summary() : undefined;
    if (trace) threadTrace.reset(); // each stats() covers the time since the last one
    const w = this.#window;
    return {
      ...(trace ? { trace } : {}),
      path: this.#file.path, events: s.events, bytes: s.bytes, batches: s.batches, fsyncs: s.fsyncs, received: this.#received,
      meanBatch: s.batches ? s.events / s.batches : 0, maxBatch: s.maxBatch, durableSeq: s.durableSeq,
      nextSeq: this.#file.nextSeq, reopens: this.#file.reopens, rotations: this.#rotation.count, lockWaits: this.#keeper.lock.waits,
      windowWaits: w.waits, windowWaitedMs: Math.round(w.waitedMs),
      failed: this.#failed !== null,
      ...(this.#retention ? { retention: { ...this.#retention.stats } } : {}),
      ...(this.#compression ? { compression: { ...this.#compression.stats } } : {}),
    };
  }

  /** Writes what is queued, then releases the lock and the fd. Later batches reject with ECLOSED. */
  async close(): Promise<void> {
    this.#window.urge();
    if (this.#busy || this.#queue.length > 0) await new Promise<void>((r) => { this.#idleWaiters.push(r); this.#schedule(); });
    this.#closed = true;
    await this.#compression?.close();
    await this.#retention?.settle();
    this.#file.closeFd();
    this.#keeper.close();
    this.#clients.closeAll();
  }
}
