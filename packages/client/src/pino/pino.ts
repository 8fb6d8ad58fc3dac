// @threadwal/client/pino: a durable pino destination. Duck-typed (no dependency on pino):
// pino needs only write(string); it uses flush(cb), flushSync() (after every fatal), emit()
// (the PINO_CONFIG message) and the pino.metadata symbol when they exist, and the one-argument
// pino(dest) form needs `writable`. Each line is stored verbatim as a record's `output`.
import { EventEmitter } from 'node:events';
import { WalError, rearmWriterLocksAtExit, releaseWriterLocksAtExit } from '@threadwal/core';
import { Wal, openWalNow } from '../wal/wal.js';
import { registerSignalFlush } from './signals.js';
import type { WalOptions } from '../options.js';
import {
  BindingsCache, applyConfig, defaultLevels, errorMessageOf, idIn, labelOf, looksLikeObject, secondsOf, stripEol,
  type Levels, type PinoConfig, type RecordHead,
} from './pino-record.js';

/** Options of pinoDestination; the WalOptions apply when it opens the WAL from a path. */
export interface PinoDestinationOptions extends WalOptions {
  /** Key of the merge object, then of the logger's bindings, that names the record's job_id. Default 'job_id'. */
  jobIdKey?: string | undefined;
  /** From this level up (label or number), the log call returns only once its line is durable. Default 'fatal'. */
  syncLevel?: string | number | undefined;
  /** Past maxPendingBytes: 'block' waits (flushSync) until there is room, 'drop' counts the line and emits 'drop'. Default 'block'. */
  onBackpressure?: 'block' | 'drop' | undefined;
  /** Flush before a SIGTERM/SIGINT/SIGHUP that the app does not handle, then re-raise it. Default true. */
  signals?: boolean | undefined;
}

const METADATA = Symbol.for('pino.metadata');
const WRITE_OPTIONS = new Set(['jobIdKey', 'syncLevel', 'onBackpressure', 'signals']);

// Set by an 'exit' listener put before every other one: a line written after it (from an
// app's own 'exit' listener) is flushed at once, as nothing would post it later.
let exiting = false;
let exitListener = false;

function invalid(message: string): WalError {
  return new WalError('EINVAL', message);
}

/** A pino destination writing durable records to a threadwal WAL (see pinoDestination). */
export class PinoDestination extends EventEmitter {
  /** So that pino(dest), with one argument, takes this for a stream. */
  readonly writable = true;
  readonly [METADATA] = true;
  // Set by pino before each write (lib/proto.js); -1 after, so a bare write() is noticed.
  lastLevel: number = -1;
  lastObj: unknown = undefined;
  lastMsg: unknown = undefined;
  lastTime: unknown = undefined;
  lastLogger: unknown = undefined;
  /** The WAL the lines go to (usable at once, even before `ready`). */
  readonly wal: Wal<string>;
  /** Resolves once the writer thread has opened the WAL; lines written before are kept either way. */
  readonly ready: Promise<void>;
  /** Lines not stored: 'drop' backpressure, or over maxEventBytes. */
  dropped = 0;

  readonly #owned: boolean;
  readonly #jobIdKey: string;
  readonly #bindings: BindingsCache;
  readonly #levels: Levels = defaultLevels();
  readonly #syncLevelOption: string | number;
  #syncLevel: number;
  #errorKey = 'err';
  readonly #drop: boolean;
  readonly #head: RecordHead = { ts: 0, type: '', job_id: '', error: undefined };
  readonly #unregisterSignals: () => void;
  #reportedUnknown = false;
  #reportedTooBig = false;
  #lastError: unknown = null;
  #ended = false;
  #flushCallbacks: Array<((err?: Error | null) => void) | undefined> = [];

  /** @internal use pinoDestination */
  constructor(wal: Wal<string>, ready: Promise<void>, owned: boolean, options: PinoDestinationOptions) {
    super();
    this.wal = wal;
    this.#owned = owned;
    this.#jobIdKey = options.jobIdKey ?? 'job_id';
    this.#bindings = new BindingsCache(this.#jobIdKey);
    this.#syncLevelOption = options.syncLevel ?? 'fatal';
    this.#syncLevel = this.#resolveLevel(this.#syncLevelOption);
    this.#drop = options.onBackpressure === 'drop';
    this.ready = ready;
    ready.catch((err: unknown) => this.#fail(err));
    // pino's PINO_CONFIG message: custom level labels and the error key.
    this.on('message', (msg: { code?: string; config?: PinoConfig }) => {
      if (msg?.code !== 'PINO_CONFIG') return;
      applyConfig(this.#levels, msg.config);
      if (typeof msg.config?.errorKey === 'string') this.#errorKey = msg.config.errorKey;
      this.#syncLevel = this.#resolveLevel(this.#syncLevelOption, true);
    });
    this.#unregisterSignals = options.signals === false ? () => undefined : registerSignalFlush(this);
    if (!exitListener) {
      exitListener = true;
      process.prependListener('exit', () => { exiting = true; });
    }
  }

  /** A level label or number as a number; a label not known yet waits for PINO_CONFIG (Infinity until then). */
  #resolveLevel(level: string | number, configured = false): number {
    if (typeof level === 'number') return level;
    const n = this.#levels.values.get(level);
    if (n !== undefined) return n;
    if (configured) throw invalid(`options.syncLevel ${level} is not one of the logger's levels`);
    return Infinity;
  }

  /** Stores one pino line. Never throws into the log call: errors are emitted as 'error'. */
  write(line: string): boolean {
    if (typeof line !== 'string') line = String(line);
    let level = this.lastLevel;
    let obj = this.lastObj;
    let time = this.lastTime;
    let logger = this.lastLogger;
    this.lastLevel = -1;
    this.lastObj = this.lastLogger = undefined;
    const isObject = looksLikeObject(line);
    if (level < 0) {
      // Not written by pino (or by something that sets no metadata): read the line itself.
      ({ level, obj, time } = this.#fromLine(isObject ? stripEol(line) : ''));
      logger = undefined;
    }
    const head = this.#head;
    head.ts = secondsOf(time);
    head.type = labelOf(this.#levels, level);
    head.job_id = idIn(obj, this.#jobIdKey) ?? (logger !== undefined ? this.#bindings.idOf(logger) : (idIn(obj, 'name') ?? 'pino'));
    head.error = level >= 50 ? errorMessageOf(obj, this.#errorKey) : undefined;
    // The line goes in as it is (its final newline is not stored); one that is not a JSON
    // object (custom hooks), or holds a raw line break, is kept as a JSON string.
    if (!isObject || !this.#append(head, line, line)) {
      if (!this.#reportedUnknown) {
        this.#reportedUnknown = true;
        process.emitWarning('a pino line is not one JSON object; it is stored as a JSON string', { code: 'THREADWAL_PINO_UNKNOWN' });
      }
      this.emit('unknown', line);
      this.#append(head, JSON.stringify(stripEol(line)), line);
    }
    if (level >= this.#syncLevel || exiting) this.#flushNow();
    return true;
  }

  /** Appends; false when `out` is not stored because it is not one JSON value (the caller keeps it as a string). */
  #append(head: RecordHead, out: string, line: string): boolean {
    try {
      this.wal.appendRawNoWait(head, out);
    } catch (err) {
      const code = (err as WalError).code;
      if (code === 'EBACKPRESSURE') {
        if (this.#drop) this.#dropped(line);
        else {
          try {
            this.wal.flushSync(); // bounded memory, nothing lost: wait for room
            this.wal.appendRawNoWait(head, out);
          } catch (again) {
            this.#fail(again);
          }
        }
        return true;
      }
      if (code === 'EINVAL') {
        if (out === line && hasInnerBreak(line)) return false;
        // Over maxEventBytes: this line cannot be stored.
        if (!this.#reportedTooBig) {
          this.#reportedTooBig = true;
          process.emitWarning(`a pino line was not stored: ${(err as Error).message}`, { code: 'THREADWAL_PINO_DROPPED' });
        }
        this.#dropped(line);
        return true;
      }
      this.#fail(err);
    }
    return true;
  }

  #dropped(line: string): void {
    this.dropped += 1;
    this.emit('drop', line);
  }

  #fromLine(out: string): { level: number; obj: unknown; time: unknown } {
    let obj: Record<string, unknown> | undefined;
    try {
      if (out) obj = JSON.parse(out) as Record<string, unknown>;
    } catch {
      obj = undefined;
    }
    const lv = obj?.level;
    const level = typeof lv === 'number' ? lv : typeof lv === 'string' ? (this.#levels.values.get(lv) ?? 30) : 30;
    return { level, obj, time: obj?.time };
  }

  /** Waits until this line is durable: at or above syncLevel, and inside process.on('exit'). */
  #flushNow(): void {
    try {
      if (exiting) rearmWriterLocksAtExit(); // the exit hook may have released the lock already
      this.wal.flushSync();
      if (exiting) releaseWriterLocksAtExit();
    } catch (err) {
      this.#fail(err);
    }
  }

  /** An error pino cannot receive from write(): emitted once per error, after the log call. */
  #fail(err: unknown): void {
    if (err === this.#lastError) return;
    this.#lastError = err;
    process.nextTick(() => this.emit('error', err));
  }

  /**
   * Calls back once every line written before it is durable (logger.flush(cb) lands here).
   * The flushes of one tick share one wal.flush(), taken after the tick's batch is posted:
   * a flush per request line then costs a callback, not a batch and a writer round trip each.
   */
  flush(cb?: (err?: Error | null) => void): void {
    this.#flushCallbacks.push(cb);
    if (this.#flushCallbacks.length > 1) return;
    queueMicrotask(() => {
      const cbs = this.#flushCallbacks;
      this.#flushCallbacks = [];
      this.wal.flush().then(
        () => { for (const f of cbs) f?.(); },
        (err: Error) => { for (const f of cbs) (f ? f(err) : this.#fail(err)); },
      );
    });
  }

  /** Blocks until every line written so far is durable (pino calls it after every fatal). */
  flushSync(): void {
    this.wal.flushSync();
  }

  /** Resolves with the seq of the last durable line once every line written before it is durable. */
  async durable(): Promise<number> {
    await this.wal.flush();
    return this.wal.lastSeq;
  }

  /** Flushes; closes the WAL if this destination opened it. Emits 'finish' and 'close' (multistream.end() calls it). */
  end(cb?: (err?: Error | null) => void): void {
    if (this.#ended) {
      cb?.();
      return;
    }
    this.#ended = true;
    this.#unregisterSignals();
    (this.#owned ? this.wal.close() : this.wal.flush()).then(
      () => {
        this.emit('finish');
        this.emit('close');
        cb?.();
      },
      (err: Error) => (cb ? cb(err) : this.#fail(err)),
    );
  }
}

/** A CR or LF anywhere but in the final line end. */
function hasInnerBreak(line: string): boolean {
  const body = stripEol(line);
  return body.indexOf('\n') !== -1 || body.indexOf('\r') !== -1;
}

function checkOptions(options: unknown): PinoDestinationOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw invalid('options must be an object');
  const o = options as PinoDestinationOptions;
  if (o.jobIdKey !== undefined && (typeof o.jobIdKey !== 'string' || o.jobIdKey.length === 0)) {
    throw invalid(`options.jobIdKey must be a non-empty string, got ${String(o.jobIdKey)}`);
  }
  if (o.syncLevel !== undefined && typeof o.syncLevel !== 'string' && typeof o.syncLevel !== 'number') {
    throw invalid(`options.syncLevel must be a level label or number, got ${String(o.syncLevel)}`);
  }
  if (o.onBackpressure !== undefined && o.onBackpressure !== 'block' && o.onBackpressure !== 'drop') {
    throw invalid(`options.onBackpressure must be 'block' or 'drop', got ${String(o.onBackpressure)}`);
  }
  if (o.signals !== undefined && typeof o.signals !== 'boolean') throw invalid(`options.signals must be a boolean, got ${String(o.signals)}`);
  return o;
}

/**
 * A durable pino destination, synchronously: `pino(pinoDestination('app.wal'))`. Lines
 * written before the writer thread is up are kept in order and made durable like the rest
 * (process.exit() at once loses nothing). Pass a Wal (e.g. from connectWal in a worker
 * thread) to share one seq order across threads; such a WAL is not closed by end().
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any event-type parameter
export function pinoDestination(pathOrWal: string | Wal<any>, options?: PinoDestinationOptions): PinoDestination {
  const o = checkOptions(options);
  if (pathOrWal instanceof Wal) return new PinoDestination(pathOrWal as Wal<string>, Promise.resolve(), false, o);
  if (typeof pathOrWal !== 'string' || pathOrWal.length === 0) throw invalid('pinoDestination needs a WAL path or a Wal');
  const walOptions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!WRITE_OPTIONS.has(k)) walOptions[k] = v;
  const { wal, ready } = openWalNow<string>(pathOrWal, walOptions as WalOptions);
  return new PinoDestination(wal, ready, true, o);
}
