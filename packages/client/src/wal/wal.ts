// The public face of a client: the same API on the main thread (openWal) and in any other
// thread (connectWal). Events go through the Batcher; everything else through the WalSource.
import type { MessagePort } from 'node:worker_threads';
import {
  WalError, openWriter, openWriterNow, resolveWriterOptions, checkOptionKeys, isPositiveInt,
  type Connection, type WalEvent, type WalEventType, type WriterStats, type RotateResult, type RecoveryCut,
} from '@threadwal/core';
import { Batcher } from '../batch/batcher.js';
import { exportSource, importSource, serveSource, type WalSource } from './control.js';
import { serveThreadRequests, type ThreadMessageSource } from './thread-requests.js';
import { registerExitFlush } from './exit.js';
import { abortable, waitSignal, type WaitOptions } from './abort.js';
import { resolveClientOptions, WAL_CLIENT_KEYS, DEFAULT_CONNECT_TIMEOUT_MS, type ClientOptions, type ResolvedClientOptions, type WalOptions } from '../options.js';

/** Writer counters plus this client's view. */
export interface WalStats extends WriterStats {
  /** Bytes this client appended that are not yet durable. */
  pendingBytes: number;
  /** Median and 99th percentile of this client's batch append→durable latency, µs (last 4096 batches). */
  ackP50Us: number;
  ackP99Us: number;
}

/** A write-ahead log handle. Create with `openWal` (owner thread) or `connectWal` (any other thread). */
export class Wal<T extends string = WalEventType> {
  readonly path: string;
  readonly #batcher: Batcher;
  readonly #source: WalSource;
  readonly #options: ResolvedClientOptions;
  readonly #release: () => Promise<void>;
  readonly #openNextSeq: number;
  /** What opening the file cut from its end (a torn tail: bytes, offset, reason), or null when nothing was cut. */
  readonly recovery: RecoveryCut | null;
  readonly #unregisterExit: () => void;
  #closing: Promise<void> | null = null;
  /** serveThreads() subscriptions, ended by close(). */
  readonly #serving = new Set<() => void>();

  /** @internal use openWal / connectWal */
  constructor(source: WalSource, options: ResolvedClientOptions, conn: Connection, release: () => Promise<void>) {
    this.path = source.path;
    this.#source = source;
    this.#options = options;
    this.#release = release;
    this.#openNextSeq = conn.info.nextSeq;
    this.recovery = conn.info.recovery;
    this.#batcher = new Batcher(source.path, source, options, conn);
    this.#unregisterExit = registerExitFlush(this);
  }

  /**
   * Appends an event; resolves with its seq once it is durable. A bad event (or option)
   * throws EINVAL at the call, nothing queued; what goes wrong later rejects the promise.
   * `signal` ends the wait only: the event stays appended.
   */
  append(event: WalEvent<T>, options?: WaitOptions): Promise<number> {
    if (options === undefined) return this.#batcher.append(event);
    const signal = waitSignal(options, 'append');
    const p = this.#batcher.append(event);
    return signal ? abortable(p, signal, this.path, 'waiting for append') : p;
  }

  /** Appends without a promise; throws EBACKPRESSURE (nothing queued) past maxPendingBytes. Errors surface on the next flush(). */
  appendNoWait(event: WalEvent<T>): void {
    this.#batcher.appendNoWait(event);
  }

  /**
   * append() with `output` given as JSON text already (one JSON value, no raw line break),
   * stored byte for byte: no parse, no re-serialization. The check is cheap (first and last
   * character, line breaks, maxEventBytes), so what lies between is the caller's word.
   * `event` must not hold an `output` of its own. Same seq and durability as append().
   */
  appendRaw(event: Omit<WalEvent<T>, 'output'>, output: string): Promise<number> {
    return this.#batcher.appendRaw(event, output);
  }

  /** appendNoWait() with `output` as JSON text already (see appendRaw). */
  appendRawNoWait(event: Omit<WalEvent<T>, 'output'>, output: string): void {
    this.#batcher.appendRawNoWait(event, output);
  }

  /**
   * Resolves when everything this client appended before the call is durable; rejects if
   * any of it was rejected, or with an earlier appendNoWait error no flush reported yet.
   */
  flush(options?: WaitOptions): Promise<void> {
    const signal = waitSignal(options, 'flush');
    const p = this.#batcher.flush();
    return signal ? abortable(p, signal, this.path, 'flush') : p;
  }

  /** Blocks this thread until everything it appended is durable (Atomics.wait); throws as flush() rejects. Also runs at exit. */
  flushSync(timeoutMs?: number): void {
    if (timeoutMs !== undefined && !isPositiveInt(timeoutMs)) throw new WalError('EINVAL', `flushSync timeoutMs must be a positive integer, got ${String(timeoutMs)}`, { path: this.path });
    this.#batcher.flushSync(timeoutMs);
  }

  /**
   * Resolves once pending (appended, not yet durable) bytes are at or below half of
   * maxPendingBytes and nothing is held back: the moment to retry after EBACKPRESSURE.
   */
  drain(options?: WaitOptions): Promise<void> {
    const signal = waitSignal(options, 'drain');
    const p = this.#batcher.drain();
    return signal ? abortable(p, signal, this.path, 'drain') : p;
  }

  /** A MessagePort to transfer to another thread, where `connectWal(port)` appends straight to the writer. */
  port(): MessagePort {
    if (this.#batcher.closed) throw new WalError('ECLOSED', 'the WAL is closed', { path: this.path });
    return exportSource(this.#source, this.#options);
  }

  /**
   * Serves walForThread() to the worker threads of `pool` (a piscina pool, or a Worker:
   * anything that emits its threads' messages as 'message'): each thread that asks gets
   * its own client of this WAL, kept for the thread's life. Returns the function that stops
   * serving (clients already connected keep working).
   */
  serveThreads(pool: ThreadMessageSource): () => void {
    if (this.#batcher.closed) throw new WalError('ECLOSED', 'the WAL is closed', { path: this.path });
    const stop = serveThreadRequests(pool, this.path, (port) => serveSource(this.#source, this.#options, port));
    this.#serving.add(stop);
    return () => {
      this.#serving.delete(stop);
      stop();
    };
  }

  /** @internal Whether walForThread may keep handing out this client (not closed, its owner thread still there). */
  get usable(): boolean {
    return !this.#batcher.closed && this.#batcher.failed?.code !== 'ECLOSED';
  }

  /** Seq of the newest event of this client known durable, or -1. */
  get lastSeq(): number {
    return this.#batcher.lastSeq;
  }

  /** The next seq as far as this client knows (other writers may have appended since). */
  nextSeq(): number {
    return Math.max(this.#openNextSeq, this.#batcher.lastSeq + 1);
  }

  async stats(): Promise<WalStats> {
    if (this.#batcher.closed) throw new WalError('ECLOSED', 'the WAL is closed', { path: this.path });
    const w = await this.#source.stats();
    const l = this.#batcher.latency;
    return { ...w, pendingBytes: this.#batcher.pendingBytes, ackP50Us: l.quantileUs(0.5), ackP99Us: l.quantileUs(0.99) };
  }

  /** Rotates at the next batch boundary: `{path}` → `{path}.1` …, keeping maxRotations (default 5). */
  rotate(opts?: { maxRotations?: number }): Promise<RotateResult> {
    if (opts !== undefined) {
      if (typeof opts !== 'object' || opts === null) throw new WalError('EINVAL', `rotate options must be an object, got ${String(opts)}`, { path: this.path });
      checkOptionKeys(opts, ['maxRotations'], 'rotate options');
      const n = opts.maxRotations;
      if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) throw new WalError('EINVAL', `rotate options.maxRotations must be an integer >= 0, got ${String(n)}`, { path: this.path });
    }
    if (this.#batcher.closed) return Promise.reject(new WalError('ECLOSED', 'the WAL is closed', { path: this.path }));
    return this.#source.rotate(opts);
  }

  /** `await using wal = await openWal(path)`: closes the handle at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Flushes, detaches, and (for the last handle of a path, in any thread) ends the writer thread. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      let error: unknown;
      try {
        await this.#batcher.flush();
      } catch (err) {
        error = err;
      }
      this.#batcher.close();
      for (const stop of this.#serving) stop();
      this.#serving.clear();
      this.#unregisterExit();
      await this.#release();
      if (error) throw error;
    })();
    return this.#closing;
  }

  /** @internal called by the exit hook */
  exitFlush(): void {
    const lost = this.#batcher.exitFlush();
    if (!lost) return;
    // One line, and a failing exit code: a script that lost events must not end as a success.
    const why = lost.error.message.replace(/\s+/g, ' ');
    process.stderr.write(`threadwal: ${this.path}: ${lost.events} appended event(s) not durable at exit (${lost.error.code}: ${why})\n`);
    if (process.exitCode === undefined || Number(process.exitCode) === 0) process.exitCode = 1;
  }
}

/**
 * Opens the WAL at `path` on this thread, starting (or sharing) its writer thread. Bad
 * arguments (an unknown option key included) throw EINVAL at the call.
 */
export function openWal<T extends string = WalEventType>(path: string, options: WalOptions = {}): Promise<Wal<T>> {
  if (typeof path !== 'string' || path.length === 0) throw new WalError('EINVAL', `path must be a non-empty string, got ${String(path)}`);
  const writerOptions = resolveWriterOptions(options, WAL_CLIENT_KEYS);
  const clientOptions = resolveClientOptions(options, false);
  const report = options.reportRecovery ?? true;
  if (typeof report !== 'boolean') throw new WalError('EINVAL', `options.reportRecovery must be a boolean, got ${String(report)}`);
  return openResolved<T>(path, writerOptions, clientOptions, report);
}

async function openResolved<T extends string>(path: string, writerOptions: ReturnType<typeof resolveWriterOptions>, clientOptions: ResolvedClientOptions, report: boolean): Promise<Wal<T>> {
  const host = await openWriter(path, {}, writerOptions);
  let wal: Wal<T>;
  try {
    const conn = await host.connect();
    wal = new Wal<T>(host, clientOptions, conn, () => host.release());
  } catch (err) {
    await host.release();
    throw err;
  }
  const cut = host.takeRecoveryReport();
  if (cut && report) {
    process.stderr.write(`threadwal: ${cut.file}: recovery cut ${cut.bytes} byte(s) at offset ${cut.offset} (${cut.reason}); see wal.recovery\n`);
  }
  return wal;
}

/**
 * openWal without the wait, for synchronous callers (pinoDestination): the writer thread is
 * spawned and a data port posted to it before this returns, so events appended at once are
 * kept in order and flushSync (the exit hook's too) makes them durable once the thread is up.
 * `ready` settles when the thread opened the file; on failure the events appended meanwhile
 * reject (appendNoWait ones on the next flush()). `nextSeq()` is 0 until the first ack.
 * Bad arguments throw EINVAL at the call, as openWal's.
 */
export function openWalNow<T extends string = WalEventType>(path: string, options: WalOptions = {}): { wal: Wal<T>; ready: Promise<void> } {
  if (typeof path !== 'string' || path.length === 0) throw new WalError('EINVAL', `path must be a non-empty string, got ${String(path)}`);
  const writerOptions = resolveWriterOptions(options, WAL_CLIENT_KEYS);
  const clientOptions = resolveClientOptions(options, false);
  const host = openWriterNow(path, {}, writerOptions);
  const conn = host.connectNow();
  if (!conn) {
    void host.release();
    throw new WalError('ECLOSED', 'the WAL is closed', { path });
  }
  const wal = new Wal<T>(host, clientOptions, conn, () => host.release());
  return { wal, ready: host.started };
}

/**
 * In another thread: a client over a port from `wal.port()`, writing straight to the writer
 * thread. A port that is not one rejects with EINVAL within `connectTimeoutMs`.
 */
export function connectWal<T extends string = WalEventType>(port: MessagePort, options: ClientOptions = {}): Promise<Wal<T>> {
  if (port === null || typeof port !== 'object' || typeof (port as { postMessage?: unknown }).postMessage !== 'function') {
    throw new WalError('EINVAL', 'connectWal needs the MessagePort returned by wal.port()');
  }
  resolveClientOptions(options); // at the call: unknown keys and bad values throw here
  return connectResolved<T>(port, options);
}

async function connectResolved<T extends string>(port: MessagePort, options: ClientOptions): Promise<Wal<T>> {
  const { source, options: inherited, dispose } = await importSource(port, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  const clientOptions = resolveClientOptions({ ...inherited, ...options });
  try {
    const conn = await source.connect();
    return new Wal<T>(source, clientOptions, conn, async () => dispose());
  } catch (err) {
    dispose();
    throw err;
  }
}
