// flushSync's wait: blocks the calling thread on the per-client SharedArrayBuffer the writer
// thread advances, in short slices, so a writer that died without marking the SAB still
// ends in ETIMEDOUT rather than a hang.
import {
  WalError, WAL_ERROR_CODES,
  SAB_DURABLE_BATCH, SAB_NACKED_BATCH, SAB_NACKED_EVENTS, SAB_NACK_CODE, SAB_STATE, STATE_FAILED, STATE_DEAD,
} from '@threadwal/core';

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
