import { WalError, isPositiveInt, type WriterOptions } from '@threadwal/core';

/** Options of one client (the thread that appends). */
export interface ClientOptions {
  /** Bytes appended but not yet durable before `append` waits and `appendNoWait` throws EBACKPRESSURE. Default 64 MiB. */
  maxPendingBytes?: number;
  /** Largest serialized event, in bytes; larger ones throw EINVAL. Default 1 MiB. */
  maxEventBytes?: number;
  /** How long `flushSync` (and the exit flush) waits before throwing ETIMEDOUT, in ms. Default 30000. */
  flushSyncTimeoutMs?: number;
}

/** Options of `openWal`: the writer thread's and this client's. */
export type WalOptions = WriterOptions & ClientOptions;

export interface ResolvedClientOptions {
  maxPendingBytes: number;
  maxEventBytes: number;
  flushSyncTimeoutMs: number;
}

export const DEFAULT_MAX_PENDING_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
export const DEFAULT_FLUSH_SYNC_TIMEOUT_MS = 30_000;

function check(field: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (!isPositiveInt(v)) throw new WalError('EINVAL', `options.${field} must be a positive integer, got ${String(v)}`);
  return v;
}

/** Validates client options once, eagerly, naming the bad field. */
export function resolveClientOptions(o: ClientOptions = {}): ResolvedClientOptions {
  if (typeof o !== 'object' || o === null) throw new WalError('EINVAL', `options must be an object, got ${String(o)}`);
  return {
    maxPendingBytes: check('maxPendingBytes', o.maxPendingBytes, DEFAULT_MAX_PENDING_BYTES),
    maxEventBytes: check('maxEventBytes', o.maxEventBytes, DEFAULT_MAX_EVENT_BYTES),
    flushSyncTimeoutMs: check('flushSyncTimeoutMs', o.flushSyncTimeoutMs, DEFAULT_FLUSH_SYNC_TIMEOUT_MS),
  };
}
