// openWal's `rotate.compress`: after each of its rotations (and once at open, for what an
// earlier run or a crash left plain) the writer gzips every plain rotated segment, newest
// first, earlier runs' included, as maintenance's compress() would. The writer thread does
// none of the gzip work: a compress thread (compress-worker.ts, started for a run and
// ended after it) reads the segment, deflates it and writes and fsyncs the temp copy
// (gzip-segment.ts). Only putting the copy in place needs the writers' lock, which the
// writer holds, so that step waits for the writer's next cycle (install()): two renames
// and two directory fsyncs, like a rotation's. The thread stays up IDLE_MS after a run
// (starting one costs the writer thread 0.5-3 ms here), so rotations close together share it. The plain file's blocks are freed after, on
// libuv's pool. A copy whose segment was deleted meanwhile (retention, maxRotations) or
// compressed by maintenance is found gone by its identity (locateSegment) and discarded.
// A failure is reported (THREADWAL_COMPRESS_FAILED), never thrown: the segment stays plain
// and readable, and the next rotation tries again.
import { Worker } from 'node:worker_threads';
import { statSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { rotatedIndexes, segmentPath, locateSegment, COMPRESSED_SUFFIX } from '../segments/segments.js';
import { tempPath, listTemps, alive } from '../segments/temp-files.js';
import { installCompressed } from './gzip-segment.js';
import { fromWire } from '../errors.js';
import type { GzipReply, GzipRequest } from './compress-protocol.js';
import type { WriterCompressionStats } from '../protocol.js';

/** What the writer offers: a cycle soon (under its lock), and whether it has failed (then no cycle runs). */
export interface CompressionHost {
  schedule(): void;
  failed(): boolean;
}

/** A segment to work on: a plain one to gzip, or one whose finished `.gz` is already beside it. */
interface Step {
  file: string;
  key: string;
  pair: boolean;
}

/** Gives up a run after this many segments vanished between listing and opening (they keep shifting). */
const MAX_GONE = 100;

/** How long an idle compress thread is kept for the next run. */
const IDLE_MS = 10_000;

export class WriterCompression {
  readonly stats: WriterCompressionStats = { compressedSegments: 0, finishedSegments: 0, discarded: 0, bytesIn: 0, bytesOut: 0, errors: 0, maxInstallUs: 0 };
  readonly #path: string;
  readonly #level: number;
  readonly #host: CompressionHost;
  #run: Promise<void> | null = null;
  #again = false;
  #closing = false;
  #swept = false;
  #worker: Worker | null = null;
  #idle: ReturnType<typeof setTimeout> | null = null;
  #nextId = 1;
  #pending: { id: number; tmp: string; resolve: (r: GzipReply) => void } | null = null;
  /** The step waiting for the writers' lock; the writer's next cycle runs it (install()). */
  #locked: { fn: () => void; done: (ran: boolean) => void } | null = null;
  readonly #freeing = new Set<Promise<void>>();

  constructor(path: string, level: number, host: CompressionHost) {
    this.#path = path;
    this.#level = level;
    this.#host = host;
  }

  /** True while a step waits for the lock: the writer runs a cycle for it. */
  get waiting(): boolean {
    return this.#locked !== null;
  }

  /** After a rotation, and at open: compress whatever is plain (a run under way looks again when it ends). */
  kick(): void {
    if (this.#closing) return;
    if (this.#run) {
      this.#again = true;
      return;
    }
    this.#run = this.#loop().finally(() => {
      this.#run = null;
    });
  }

  /** In the writer's cycle, under the lock (entered): runs the waiting step. Never throws. */
  install(): void {
    const step = this.#locked;
    if (!step) return;
    this.#locked = null;
    const t0 = performance.now();
    try {
      step.fn();
    } catch (err) {
      this.#warn(err);
    }
    this.stats.maxInstallUs = Math.max(this.stats.maxInstallUs, Math.round((performance.now() - t0) * 1000));
    step.done(true);
  }

  /** The writer failed or could not take the lock: the waiting step is dropped (its temp removed), the run ends. */
  drop(): void {
    const step = this.#locked;
    this.#locked = null;
    step?.done(false);
  }

  /** Lets the segment being compressed finish (and be put in place), starts no other, and waits for the unlinks. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#host.failed()) this.drop();
    await this.#run;
    await this.#stopWorker();
    await Promise.all([...this.#freeing]);
  }

  async #loop(): Promise<void> {
    try {
      do {
        this.#again = false;
        this.#sweep();
        const skip = new Set<string>();
        for (let gone = 0; !this.#closing;) {
          const step = this.#next(skip);
          if (!step) break;
          skip.add(step.key); // once per run, whatever happens to it
          if (step.pair) {
            if (!(await this.#underLock(() => this.#finishPair(step)))) return;
            continue;
          }
          const tmp = tempPath(this.#path);
          const r = await this.#gzip(step.file, tmp);
          if (r.type === 'gone') {
            if (++gone > MAX_GONE) break;
            continue;
          }
          if (r.type === 'failed') return this.#warn(fromWire(r.error)); // the temp is gone; the next rotation tries again
          skip.add(`${r.dev}:${r.ino}`);
          if (!(await this.#underLock(() => this.#put(r, tmp)))) return this.#free(tmp);
        }
      } while (this.#again && !this.#closing);
    } finally {
      if (this.#closing) await this.#stopWorker();
      else if (this.#worker) this.#idle = setTimeout(() => void this.#stopWorker(), IDLE_MS).unref();
    }
  }

  async #stopWorker(): Promise<void> {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = null;
    const w = this.#worker;
    this.#worker = null;
    await w?.terminate();
  }

  /** The newest plain rotated segment not yet seen in this run. */
  #next(skip: Set<string>): Step | undefined {
    for (const i of rotatedIndexes(this.#path).reverse()) {
      const file = segmentPath(this.#path, i);
      const st = statSync(file, { throwIfNoEntry: false });
      if (!st?.isFile()) continue;
      const key = `${st.dev}:${st.ino}`;
      if (skip.has(key)) continue;
      return { file, key, pair: statSync(file + COMPRESSED_SUFFIX, { throwIfNoEntry: false }) !== undefined };
    }
    return undefined;
  }

  /** Under the lock: the copy of the segment with identity r goes in place wherever that segment is now. */
  #put(r: { dev: number; ino: number; bytesIn: number; bytesOut: number }, tmp: string): void {
    const where = locateSegment(this.#path, r);
    if (where === undefined || where === this.#path || where.endsWith(COMPRESSED_SUFFIX)) {
      this.stats.discarded += 1;
      return this.#free(tmp);
    }
    try {
      this.#free(installCompressed(this.#path, where, tmp));
    } catch (err) {
      this.#free(tmp); // still there if its rename failed
      throw err;
    }
    this.stats.compressedSegments += 1;
    this.stats.bytesIn += r.bytesIn;
    this.stats.bytesOut += r.bytesOut;
  }

  /** Under the lock: a crash between a compression's two renames left `.N` beside its finished `.N.gz`; retire the plain one. */
  #finishPair(step: Step): void {
    const st = statSync(step.file, { throwIfNoEntry: false });
    if (!st || `${st.dev}:${st.ino}` !== step.key) return; // shifted since the listing: the next run sees it
    if (!statSync(step.file + COMPRESSED_SUFFIX, { throwIfNoEntry: false })) return;
    this.#free(installCompressed(this.#path, step.file, null));
    this.stats.finishedSegments += 1;
  }

  /** Resolves true once the writer ran `fn` under its lock, false when it never will. */
  #underLock(fn: () => void): Promise<boolean> {
    if (this.#host.failed()) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#locked = { fn, done: resolve };
      this.#host.schedule();
    });
  }

  #gzip(file: string, tmp: string): Promise<GzipReply> {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = null;
    const w = this.#worker ?? this.#startWorker();
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending = { id, tmp, resolve };
      const req: GzipRequest = { type: 'gzip', id, file, tmp, level: this.#level };
      w.postMessage(req);
    });
  }

  #startWorker(): Worker {
    // '../compress/': this file may run from its own place or bundled into writer/writer-worker.js.
    const w = new Worker(new URL('../compress/compress-worker.js', import.meta.url));
    w.unref();
    const answer = (r: GzipReply): void => {
      const p = this.#pending;
      if (!p || p.id !== r.id) return;
      this.#pending = null;
      p.resolve(r);
    };
    const died = (why: string): void => {
      if (this.#worker === w) this.#worker = null;
      const p = this.#pending;
      if (!p) return;
      this.#free(p.tmp); // it may have got as far as creating it
      answer({ type: 'failed', id: p.id, error: { name: 'WalError', code: 'EIO', message: `the compress thread ${why}` } });
    };
    w.on('message', answer);
    w.on('error', (err) => died(`failed: ${err.message}`));
    w.on('exit', (code) => died(`exited (${code})`));
    this.#worker = w;
    return w;
  }

  /** Once per writer: temp files of dead processes (a compression, cleanup or retention that crashed). */
  #sweep(): void {
    if (this.#swept) return;
    this.#swept = true;
    try {
      for (const t of listTemps(this.#path)) if (t.stale && !alive(t.pid)) this.#free(t.path);
    } catch (err) {
      this.#warn(err);
    }
  }

  #free(file: string): void {
    const p: Promise<void> = unlink(file).catch(() => undefined).then(() => {
      this.#freeing.delete(p);
    });
    this.#freeing.add(p);
  }

  #warn(err: unknown): void {
    this.stats.errors += 1;
    const code = (err as { code?: string }).code ?? 'EIO';
    process.emitWarning(`compressing a rotated segment of ${this.#path} failed (${code}): ${(err as Error).message}`, { code: 'THREADWAL_COMPRESS_FAILED', type: 'ThreadwalWarning' });
  }
}
