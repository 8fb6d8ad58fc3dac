// The public face of a client: the same API on the main thread (openWal) and in any other
// thread (connectWal). Events go through the Batcher; everything else through the WalSource.
import type { MessagePort } from 'node:worker_threads';
import { WalError, openWriter, openWriterNow, type Connection, type WalEvent, type WalEventType, type WriterStats, type RotateResult } from '@threadwal/core';
import { Batcher } from './batcher.js';
import { exportSource, importSource, type WalSource } from './control.js';
import { registerExitFlush } from './exit.js';
import { resolveClientOptions, type ClientOptions, type ResolvedClientOptions, type WalOptions } from './options.js';

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
  readonly #unregisterExit: () => void;
  #closing: Promise<void> | null = null;

  /** @internal use openWal / connectWal */
  constructor(source: WalSource, options: ResolvedClientOptions, conn: Connection, release: () => Promise<void>) {
    this.path = source.path;
    this.#source = source;
    this.#options = options;
    this.#release = release;
    this.#openNextSeq = conn.info.nextSeq;
    this.#batcher = new Batcher(source.path, source, options, conn);
    this.#unregisterExit = registerExitFlush(this);
  }

  /** Appends an event; resolves with its seq once it is durable. Throws EINVAL at the call for a bad event. */
  append(event: WalEvent<T>): Promise<number> {
    return this.#batcher.append(event);
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

  /** Resolves when everything this client appended before the call is durable. */
  flush(): Promise<void> {
    return this.#batcher.flush();
  }

  /** Blocks this thread until everything it appended is durable (Atomics.wait). Also runs at exit. */
  flushSync(timeoutMs?: number): void {
    this.#batcher.flushSync(timeoutMs);
  }

  /** Resolves once pending bytes are below maxPendingBytes again (after EBACKPRESSURE). */
  drain(): Promise<void> {
    return this.#batcher.drain();
  }

  /** A MessagePort to transfer to another thread, where `connectWal(port)` appends straight to the writer. */
  port(): MessagePort {
    if (this.#batcher.closed) throw new WalError('ECLOSED', 'the WAL is closed', { path: this.path });
    return exportSource(this.#source, this.#options);
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
    if (this.#batcher.closed) return Promise.reject(new WalError('ECLOSED', 'the WAL is closed', { path: this.path }));
    return this.#source.rotate(opts);
  }

  /** Drains, detaches, and (for the last openWal handle of a path) ends the writer thread. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      let error: unknown;
      try {
        await this.#batcher.flush();
      } catch (err) {
        error = err;
      }
      this.#batcher.close();
      this.#unregisterExit();
      await this.#release();
      if (error) throw error;
    })();
    return this.#closing;
  }

  /** @internal called by the exit hook */
  exitFlush(): void {
    if (this.#batcher.closed) return;
    try {
      this.#batcher.flushSync();
    } catch (err) {
      process.stderr.write(`threadwal: events of ${this.path} may not be durable at exit: ${(err as Error).message}\n`);
    }
  }
}

/** Opens the WAL at `path` on this thread, starting (or sharing) its writer thread. */
export async function openWal<T extends string = WalEventType>(path: string, options: WalOptions = {}): Promise<Wal<T>> {
  const clientOptions = resolveClientOptions(options);
  const { maxPendingBytes: _p, maxEventBytes: _e, flushSyncTimeoutMs: _f, ...writerOptions } = options;
  const host = await openWriter(path, writerOptions);
  try {
    const conn = await host.connect();
    return new Wal<T>(host, clientOptions, conn, () => host.release());
  } catch (err) {
    await host.release();
    throw err;
  }
}

/**
 * openWal without the wait, for synchronous callers (pinoDestination): the writer thread is
 * spawned and a data port posted to it before this returns, so events appended at once are
 * kept in order and flushSync (the exit hook's too) makes them durable once the thread is up.
 * `ready` settles when the thread opened the file; on failure the events appended meanwhile
 * reject (appendNoWait ones on the next flush()). `nextSeq()` is 0 until the first ack.
 */
export function openWalNow<T extends string = WalEventType>(path: string, options: WalOptions = {}): { wal: Wal<T>; ready: Promise<void> } {
  const clientOptions = resolveClientOptions(options);
  const { maxPendingBytes: _p, maxEventBytes: _e, flushSyncTimeoutMs: _f, ...writerOptions } = options;
  const host = openWriterNow(path, writerOptions);
  const conn = host.connectNow();
  if (!conn) {
    void host.release();
    throw new WalError('ECLOSED', 'the WAL is closed', { path });
  }
  const wal = new Wal<T>(host, clientOptions, conn, () => host.release());
  return { wal, ready: host.started };
}

/** In another thread: a client over a port from `wal.port()`, writing straight to the writer thread. */
export async function connectWal<T extends string = WalEventType>(port: MessagePort, options: ClientOptions = {}): Promise<Wal<T>> {
  if (port === null || typeof port !== 'object' || typeof (port as { postMessage?: unknown }).postMessage !== 'function') {
    throw new WalError('EINVAL', 'connectWal needs the MessagePort returned by wal.port()');
  }
  const { source, options: inherited, dispose } = await importSource(port);
  const clientOptions = resolveClientOptions({ ...inherited, ...options });
  const conn = await source.connect();
  return new Wal<T>(source, clientOptions, conn, async () => dispose());
}
