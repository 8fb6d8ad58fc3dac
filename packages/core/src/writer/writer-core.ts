// The writer actor, as it runs inside the writer thread. It alone holds the append fd.
// Group commit: producers' batches queue while a write + fdatasync runs (the thread is
// blocked in the syscall and the MessagePorts buffer); the next cycle takes everything
// queued, up to maxBatchBytes, as one write and one fdatasync. No timer is on the latency
// path: an idle writer starts a cycle one setImmediate after a batch arrives.
import type { MessagePort } from 'node:worker_threads';
import { WalError, toWire } from '../errors.js';
import { Clients, type Client } from './clients.js';
import { ActiveFile } from './log-file.js';
import { Framer } from '../format/frame.js';
import { PathLock } from '../lock/lock.js';
import type { LockBoard } from '../lock/lock-board.js';
import { shiftSegments } from '../segments/segments.js';
import { RotationClock } from './rotate-clock.js';
import { Stamper } from '../format/checksum.js';
import { WriterRetention } from './writer-retention.js';
import { WriterCompression } from '../compress/writer-compression.js';
import { DEFAULT_GZIP_LEVEL } from '../compress/gzip-segment.js';
import type { ResolvedWriterOptions } from '../options.js';
import { TRACE, absNow, threadTrace } from './trace.js';
import { assertNever, nextBatchId, type ToWriterData, type OpenInfo, type WriterStats, type RotateResult } from '../protocol.js';

interface Pending {
  client: Client;
  id: number;
  buf: Buffer;
  len: number;
  count: number;
  /** When it arrived (absNow), THREADWAL_TRACE only. */
  t: number;
}

interface RotateRequest {
  maxRotations: number;
  resolve: (r: RotateResult) => void;
  reject: (e: WalError) => void;
}

const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * After handing the lock to a waiter, a 'batch' writer stays away this long before it tries
 * again: longer than a waiter's longest backoff sleep (2 ms), so the waiter's next try wins.
 */
const HANDOVER_MS = 3;

/**
 * 'batch' mode: an idle writer keeps the lock this long before it lets others in. Releasing
 * at once made every batch of a paced producer (1k/s: a batch a millisecond, idle between)
 * pay an rmdir, a mkdir and a utimes, which ext4 journals into the next fdatasync: ~0.3 ms
 * of writer time at p50 and milliseconds at p99 (the breakdown in DESIGN.md). A waiter's
 * hint still ends a busy run after the current batch; an idle holder lets go within this.
 */
const IDLE_LINGER_MS = 5;

export class Writer {
  readonly #opts: ResolvedWriterOptions;
  readonly #file: ActiveFile;
  readonly #lock: PathLock;
  readonly #framer = new Framer();
  readonly #clients = new Clients();
  #queue: Pending[] = [];
  /** The array the previous #take() returned, emptied and reused as the queue by the next one. */
  #spare: Pending[] = [];
  #rotations: RotateRequest[] = [];
  #busy = false;
  #scheduled = false;
  /** 'batch' mode: a waiter asked for the lock; do not take it back before this time. */
  #handoverUntil = 0;
  #failed: WalError | null = null;
  #closed = false;
  #idleWaiters: Array<() => void> = [];
  /** 'batch' mode: releases the lock IDLE_LINGER_MS after the last cycle (re-armed, never reallocated). */
  #linger: ReturnType<typeof setTimeout> | null = null;
  readonly #stats = { events: 0, bytes: 0, batches: 0, fsyncs: 0, maxBatch: 0, rotations: 0, durableSeq: -1 };
  /** THREADWAL_TRACE only: this cycle's stamps (trace.ts), [cycle, locked, written, synced, end of the previous cycle]. */
  readonly #t = TRACE ? [0, 0, 0, 0, 0] : null;
  /** Time-based rotation (rotate.every), else null. */
  readonly #clock: RotationClock | null;
  /** Per-line checksums (checksum: 'crc32c'), else null. */
  readonly #stamper: Stamper | null;
  /** openWal's `retention`, applied after each rotation, else null. */
  readonly #retention: WriterRetention | null;
  /** openWal's `rotate.compress`: gzips rotated segments in its own thread, else null. */
  readonly #compression: WriterCompression | null;

  private constructor(path: string, opts: ResolvedWriterOptions, board?: LockBoard) {
    this.#opts = opts;
    this.#clock = opts.rotate !== false && opts.rotate.everyMs !== undefined ? new RotationClock(opts.rotate.everyMs, opts.rotate.utc ?? false) : null;
    this.#stamper = opts.checksum === 'crc32c' ? new Stamper() : null;
    this.#file = new ActiveFile(path);
    this.#retention = opts.retention ? new WriterRetention(path, opts.retention) : null;
    this.#compression = opts.rotate !== false && opts.rotate.compress ? new WriterCompression(path, DEFAULT_GZIP_LEVEL, { schedule: () => this.#schedule(), failed: () => this.#failed !== null }) : null;
    this.#lock = new PathLock(path, opts.lockStaleMs, opts.lockTimeoutMs, board);
  }

  /** Opens and recovers under the lock, so a tail being written by another process is never mistaken for a torn one. */
  static async open(path: string, opts: ResolvedWriterOptions, board?: LockBoard): Promise<Writer> {
    const w = new Writer(path, opts, board);
    await w.#lock.acquire();
    try {
      w.#file.open();
    } finally {
      if (opts.lock === 'batch') w.#lock.release();
    }
    w.#stats.durableSeq = w.#file.nextSeq - 1;
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
        this.#queue.push({ client, id: msg.id, buf: Buffer.from(msg.buf, 0, msg.len), len: msg.len, count: msg.count, t: TRACE ? absNow() : 0 });
        this.#schedule();
        return;
      }
      default:
        assertNever(msg.type);
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
      while ((this.#queue.length > 0 || this.#rotations.length > 0 || this.#compression?.waiting) && !this.#failed) {
        await this.#cycle();
        // Let the batches that arrived during the write/fsync in before the next cycle.
        await immediate();
      }
    } finally {
      // 'batch' mode keeps the lock across back-to-back batches; idle, it lets others in.
      if (this.#opts.lock === 'batch') this.#releaseWhenIdle();
      this.#busy = false;
      if (this.#queue.length === 0) for (const w of this.#idleWaiters.splice(0)) w();
    }
  }

  /** Lets the lock go once the writer has been idle IDLE_LINGER_MS (or now, if it is closed or failed). */
  #releaseWhenIdle(): void {
    if (!this.#lock.held) return;
    if (this.#closed || this.#failed) return this.#lock.release();
    if (this.#linger) {
      this.#linger.refresh();
      return;
    }
    this.#linger = setTimeout(() => {
      // A cycle under way (or about to start) keeps it; the end of that run re-arms this timer.
      if (this.#busy || this.#scheduled) return;
      const t0 = this.#t ? absNow() : 0;
      this.#lock.takeWaiterHint(); // consumed: a waiter's hint is answered by this release
      this.#lock.release();
      if (this.#t) threadTrace.record('writer: release lock when idle', absNow() - t0);
    }, IDLE_LINGER_MS);
    this.#linger.unref();
  }

  #take(): Pending[] {
    let bytes = 0;
    let n = 0;
    while (n < this.#queue.length && (n === 0 || bytes + this.#queue[n]!.len <= this.#opts.maxBatchBytes)) {
      bytes += this.#queue[n]!.len;
      n += 1;
    }
    if (n < this.#queue.length) return this.#queue.splice(0, n);
    // All of it (the usual case): swap arrays instead of allocating one per cycle. The one
    // the last cycle took is done with by now: cycles never overlap (#busy).
    const take = this.#queue;
    this.#queue = this.#spare;
    this.#queue.length = 0;
    this.#spare = take;
    return take;
  }

  async #cycle(): Promise<void> {
    const lock = this.#lock;
    if (this.#t) this.#t[0] = absNow();
    if (!lock.stillOurs()) {
      lock.forget();
      const wait = this.#handoverUntil - performance.now();
      if (wait > 0) await sleep(wait);
      try {
        await lock.acquire();
      } catch (err) {
        for (const r of this.#rotations.splice(0)) r.reject(err as WalError); // or #run would retry them forever
        this.#compression?.drop();
        return this.#nack(this.#take(), err as WalError);
      }
    }
    // What arrived during the last write + fdatasync, straight off the ports (the 'message'
    // listener above only has to wake an idle writer).
    this.#clients.drain(this.#onMessageFn);
    const take = this.#take();
    try {
      this.#file.revalidate();
      if (this.#t) this.#t[1] = absNow();
      // A batch of a new interval starts a new segment (time rotation happens only when there is something to write).
      if (take.length > 0 && this.#clock?.due(this.#file, Date.now())) this.#maybeRotate(true);
      if (take.length > 0) this.#commit(take);
      if (!this.#failed) this.#maybeRotate();
      if (!this.#failed && this.#compression?.waiting && this.#lock.stillOurs() && this.#lock.enter()) {
        try { this.#compression.install(); } finally { this.#lock.leave(); }
      }
    } catch (err) {
      this.#failStop(err instanceof WalError ? err : new WalError('EIO', String(err), { path: this.#file.path, cause: err }), take);
    } finally {
      if (this.#opts.lock === 'batch' && lock.takeWaiterHint()) {
        lock.release();
        this.#handoverUntil = performance.now() + HANDOVER_MS;
      }
    }
  }

  #commit(take: Pending[]): void {
    // Fence: never write under a lock that another process may have taken over while we
    // were paused, nor once the exiting owner thread took it back (enter() is false).
    if (!this.#lock.stillOurs() || !this.#lock.enter()) {
      this.#queue.unshift(...take);
      return;
    }
    try {
      this.#write(take);
    } finally {
      this.#lock.leave();
    }
  }

  /** Frames, writes and syncs `take` as one batch, then acks it (under the lock, BUSY on the board). */
  #write(take: Pending[]): void {
    const file = this.#file;
    const first = file.nextSeq;
    const framed = this.#framer.frame(take, first);
    const { count, firsts, errors } = framed;
    let { out, len } = framed;
    // A malformed batch (only a buggy client sends one) is rejected alone.
    for (let i = 0; i < take.length; i++) if (errors[i]) this.#nack([take[i]!], errors[i]!);
    if (count === 0) return;
    if (this.#stamper) ({ out, len } = this.#stamper.stamp(out, len, count));
    try {
      file.write(out, len);
    } catch (err) {
      if ((err as { fatal?: boolean }).fatal) throw err;
      return this.#nack(take.filter((_, i) => !errors[i]), err as WalError);
    }
    if (this.#t) this.#t[2] = absNow();
    file.makeDurable(this.#opts.durability); // throws EFSYNC: fail-stop in #cycle
    if (this.#t) this.#t[3] = absNow();
    file.nextSeq = first + count;
    const s = this.#stats;
    s.events += count;
    s.bytes += len;
    s.batches += 1;
    if (this.#opts.durability !== 'none') s.fsyncs += 1;
    if (count > s.maxBatch) s.maxBatch = count;
    s.durableSeq = file.nextSeq - 1;
    // One ack per run of consecutive batches of one client (its ids are consecutive, its
    // seqs contiguous): a producer posting every tick at 100k/s sends dozens per cycle.
    for (let i = 0; i < take.length; i++) {
      const p = take[i]!;
      if (errors[i]) continue;
      let last = i;
      while (last + 1 < take.length && !errors[last + 1] && take[last + 1]!.client === p.client && take[last + 1]!.id === nextBatchId(take[last]!.id)) last++;
      this.#clients.ack(p.client, take[last]!.id, firsts[i]!, last - i + 1, this.#t ? this.#stamps(p.t) : undefined);
      i = last;
    }
    for (const p of take) this.#clients.notify(p.client);
    if (this.#t) this.#traceCycle();
  }

  /** THREADWAL_TRACE only: the stamps an ack carries (see trace.ts T_*). */
  #stamps(recv: number): number[] {
    const t = this.#t!;
    return [recv, t[0]!, t[1]!, t[2]!, t[3]!, absNow(), t[4]!];
  }

  /** THREADWAL_TRACE only: this thread's own view of the cycle just acked. */
  #traceCycle(): void {
    const t = this.#t!;
    threadTrace.record('writer: lock + revalidate', t[1]! - t[0]!);
    threadTrace.record('writer: frame + write', t[2]! - t[1]!);
    threadTrace.record('writer: fdatasync', t[3]! - t[2]!);
    t[4] = absNow();
    threadTrace.record('writer: post acks', t[4] - t[3]!);
  }

  #maybeRotate(timeDue = false): void {
    const auto = this.#opts.rotate;
    const due = timeDue || (auto !== false && this.#file.size >= auto.maxSizeBytes && this.#file.size > 0);
    if (!due && this.#rotations.length === 0) return;
    // Renames need the lock as much as writes do (and the exiting owner thread may have taken it).
    if (!this.#lock.stillOurs() || !this.#lock.enter()) return; // retried next cycle
    try {
      this.#rotate();
    } finally {
      this.#lock.leave();
    }
  }

  #rotate(): void {
    const auto = this.#opts.rotate;
    const requests = this.#rotations.splice(0);
    const keep = requests.at(-1)?.maxRotations ?? (auto === false ? 0 : auto.maxRotations);
    try {
      const file = this.#file;
      const rotated = file.size > 0;
      if (rotated) {
        shiftSegments(file.path, keep, file.nextSeq);
        file.closeFd();
        file.open();
        this.#clock?.reset();
        this.#stats.rotations += 1;
        this.#retention?.apply(Math.floor(Date.now() / 1000)); // still under the lock (see writer-retention.ts)
        this.#compression?.kick(); // after retention: no point compressing what it deleted
      }
      for (const r of requests) r.resolve({ rotated, nextSeq: file.nextSeq });
    } catch (err) {
      const e = err instanceof WalError ? err : new WalError('EIO', `rotation failed: ${(err as Error).message}`, { path: this.#file.path, cause: err });
      for (const r of requests) r.reject(e);
      throw e;
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
    this.#nack([...take, ...this.#queue.splice(0)], e);
    for (const r of this.#rotations.splice(0)) r.reject(e);
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
    return new Promise((resolve, reject) => {
      this.#rotations.push({ maxRotations, resolve, reject });
      this.#schedule();
    });
  }

  stats(): WriterStats {
    const s = this.#stats;
    const trace = this.#t ? threadTrace.summary() : undefined;
    if (trace) threadTrace.reset(); // each stats() covers the time since the last one
    return {
      ...(trace ? { trace } : {}),
      path: this.#file.path, events: s.events, bytes: s.bytes, batches: s.batches, fsyncs: s.fsyncs,
      meanBatch: s.batches ? s.events / s.batches : 0, maxBatch: s.maxBatch, durableSeq: s.durableSeq,
      nextSeq: this.#file.nextSeq, reopens: this.#file.reopens, rotations: s.rotations, lockWaits: this.#lock.waits,
      failed: this.#failed !== null,
      ...(this.#retention ? { retention: { ...this.#retention.stats } } : {}),
      ...(this.#compression ? { compression: { ...this.#compression.stats } } : {}),
    };
  }

  /** Writes what is queued, then releases the lock and the fd. Later batches reject with ECLOSED. */
  async close(): Promise<void> {
    if (this.#busy || this.#queue.length > 0) await new Promise<void>((r) => { this.#idleWaiters.push(r); this.#schedule(); });
    this.#closed = true;
    await this.#compression?.close();
    await this.#retention?.settle();
    if (this.#linger) clearTimeout(this.#linger);
    this.#file.closeFd();
    this.#lock.release();
    this.#clients.closeAll();
  }
}
