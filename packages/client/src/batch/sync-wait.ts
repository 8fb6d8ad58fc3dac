// flushSync and the exit flush: post everything, then block the calling thread on the
// per-client SharedArrayBuffer the writer thread advances, in short slices, so a writer that
// died without marking the SAB still ends in ETIMEDOUT rather than a hang.
import {
  WalError, WAL_ERROR_CODES,
  SAB_DURABLE_BATCH, SAB_NACKED_BATCH, SAB_NACKED_EVENTS, SAB_NACK_CODE, SAB_STATE, STATE_FAILED, STATE_DEAD,
  type FromWriterData,
} from '@threadwal/core';
import type { BatchBuilder } from './batch-builder.js';
import type { Held, Ledger } from './ledger.js';
import type { Link } from './link.js';
import { takeQueued } from './port.js';

/** What SyncFlush needs of its Batcher. */
export interface SyncHost {
  /** Puts an event held back by backpressure into the batch. */
  addHeld(w: Held): void;
  /** Posts the batch built so far, marked as waited for (or an urge for the one in flight). */
  postNow(): void;
  /** Id of the newest batch posted (-1: none). */
  lastPosted(): number;
  /** Handles one message from the writer. */
  onMessage(msg: FromWriterData): void;
}

/** The blocking flushes of one client (Batcher's flushSync and exitFlush). */
export class SyncFlush {
  readonly #path: string;
  readonly #l: Ledger;
  readonly #b: BatchBuilder;
  readonly #link: Link;
  readonly #host: SyncHost;

  constructor(path: string, l: Ledger, b: BatchBuilder, link: Link, host: SyncHost) {
    this.#path = path;
    this.#l = l;
    this.#b = b;
    this.#link = link;
    this.#host = host;
  }

  /** Posts everything (backpressure ignored) and returns once it is settled; throws as waitSettled does. */
  wait(timeoutMs: number): void {
    const l = this.#l;
    for (const w of l.waiting.splice(0)) this.#host.addHeld(w);
    this.#host.postNow();
    // Not posted: the writer thread is gone and reconnecting needs the event loop.
    if (this.#b.count > 0) throw new WalError('EWORKER', 'the writer thread is not running; flush() restarts it', { path: this.#path });
    if (l.inflight.size === 0) return;
    const first = l.inflight.keys().next().value as number;
    waitSettled(this.#link.sab!, first, this.#host.lastPosted(), timeoutMs, this.#path);
    // The acks already queued on the data port are handled now, not on a later tick, so that
    // pendingBytes and lastSeq are current when flushSync returns (a pino destination that
    // blocks on backpressure appends again right after it).
    const port = this.#link.conn?.port;
    if (port) takeQueued(port, (m) => this.#host.onMessage(m));
  }

  /** The exit flush: how many appended events are not durable and why (`failed`: the client's fail-stop), or null. */
  atExit(failed: WalError | null, timeoutMs: number): { error: WalError; events: number } | null {
    let error = failed;
    if (!error) {
      try {
        this.wait(timeoutMs);
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
}

const SLICE_MS = 50;

/**
 * Returns once batch `last` (a client batch id) is settled; throws if any batch from `first`
 * on was rejected, with that rejection's code (EFSYNC once the WAL failed stop).
 */
export function waitSettled(sab: Int32Array, first: number, last: number, timeoutMs: number, path: string): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const settled = Atomics.load(sab, SAB_DURABLE_BATCH);
    if (((settled - last) | 0) >= 0) break;
    const state = Atomics.load(sab, SAB_STATE);
    if (state === STATE_FAILED) break;
    if (state === STATE_DEAD) throw new WalError('EWORKER', 'the writer thread died during flushSync', { path });
    const left = deadline - Date.now();
    if (left <= 0) throw new WalError('ETIMEDOUT', `flushSync waited ${timeoutMs} ms`, { path });
    Atomics.wait(sab, SAB_DURABLE_BATCH, settled, Math.min(left, SLICE_MS));
  }
  if (Atomics.load(sab, SAB_STATE) === STATE_FAILED) {
    throw new WalError('EFSYNC', 'the WAL failed stop (fdatasync failed); nothing more becomes durable', { path });
  }
  const nacked = Atomics.load(sab, SAB_NACKED_BATCH);
  if (nacked !== 0 && ((nacked - first) | 0) >= 0) {
    const code = WAL_ERROR_CODES[Atomics.load(sab, SAB_NACK_CODE)] ?? 'EIO';
    throw new WalError(code, `a batch was rejected by the writer with ${code} (its promises say why)`, { path });
  }
}

/**
 * For the exit hook, after its wait: how many of the events in flight are not durable, from
 * the SAB alone (no message is read during exit): those of batches the cursor has not
 * passed, plus those nacked that this client has not handled (`nackedSeen`); every one of
 * them after a fail-stop or without a writer.
 */
export function countUnsettled(sab: Int32Array | null, inflight: ReadonlyMap<number, { count: number }>, nackedSeen: number): number {
  let total = 0;
  for (const b of inflight.values()) total += b.count;
  if (total === 0 || sab === null || Atomics.load(sab, SAB_STATE) === STATE_FAILED) return total;
  // Read the cursor before the nack count: a batch seen settled is then seen counted.
  const settledId = Atomics.load(sab, SAB_DURABLE_BATCH);
  const nacked = (Atomics.load(sab, SAB_NACKED_EVENTS) - nackedSeen) | 0;
  let unsettled = 0;
  for (const [id, b] of inflight) if (((settledId - id) | 0) < 0) unsettled += b.count;
  return Math.min(total, unsettled + nacked);
}
