import { WalError, isPositiveInt, checkOptionKeys, type WriterOptions } from '@threadwal/core';

/** Options of one client (the thread that appends). */
export interface ClientOptions {
  /** Bytes appended but not yet durable before `append` waits and `appendNoWait` throws EBACKPRESSURE. Default 64 MiB. */
  maxPendingBytes?: number | undefined;
  /** Largest serialized event, in bytes; larger ones throw EINVAL. Default 1 MiB. */
  maxEventBytes?: number | undefined;
  /** How long `flushSync` (and the exit flush) waits before throwing ETIMEDOUT, in ms. Default 30000. */
  flushSyncTimeoutMs?: number | undefined;
  /**
   * Called with the error (and how many events it cost) when a batch of `appendNoWait` events
   * is rejected and no `flush()` is waiting to report it. Without it the error is kept for
   * the next `flush()`/`flushSync()`, or reported at exit. Not inherited through `port()`.
   */
  onError?: ((error: WalError, events: number) => void) | undefined;
  /** `connectWal` only: how long to wait for the other end of the port to answer, in ms. Default 5000. */
  connectTimeoutMs?: number | undefined;
}

/** Options of `openWal`: the writer thread's and this client's. */
export interface WalOptions extends WriterOptions, ClientOptions {
  /** Print one line to stderr when opening cut a torn tail (it is in `wal.recovery` either way). Default true. */
  reportRecovery?: boolean | undefined;
}

export interface ResolvedClientOptions {
  maxPendingBytes: number;
  maxEventBytes: number;
  flushSyncTimeoutMs: number;
  onError: ((error: WalError, events: number) => void) | undefined;
  connectTimeoutMs: number;
}

export const CLIENT_OPTION_KEYS = ['maxPendingBytes', 'maxEventBytes', 'flushSyncTimeoutMs', 'onError', 'connectTimeoutMs'] as const;
/** Keys of WalOptions that are not the writer thread's. */
export const WAL_CLIENT_KEYS = [...CLIENT_OPTION_KEYS, 'reportRecovery'] as const;
// Compile-time: a ClientOptions field missing from CLIENT_OPTION_KEYS would be refused as unknown.
type MissingClientKey = Exclude<keyof ClientOptions, (typeof CLIENT_OPTION_KEYS)[number]>;
const _everyClientKey: [MissingClientKey] extends [never] ? true : MissingClientKey = true;
void _everyClientKey;

export const DEFAULT_MAX_PENDING_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
export const DEFAULT_FLUSH_SYNC_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

function check(field: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (!isPositiveInt(v)) throw new WalError('EINVAL', `options.${field} must be a positive integer, got ${String(v)}`);
  return v;
}

/** Validates client options once, eagerly, naming the bad field; `keyCheck` false when the caller checked the keys. */
export function resolveClientOptions(o: ClientOptions = {}, keyCheck = true): ResolvedClientOptions {
  if (typeof o !== 'object' || o === null) throw new WalError('EINVAL', `options must be an object, got ${String(o)}`);
  if (keyCheck) checkOptionKeys(o, CLIENT_OPTION_KEYS);
  if (o.onError !== undefined && typeof o.onError !== 'function') throw new WalError('EINVAL', `options.onError must be a function, got ${String(o.onError)}`);
  return {
    maxPendingBytes: check('maxPendingBytes', o.maxPendingBytes, DEFAULT_MAX_PENDING_BYTES),
    maxEventBytes: check('maxEventBytes', o.maxEventBytes, DEFAULT_MAX_EVENT_BYTES),
    flushSyncTimeoutMs: check('flushSyncTimeoutMs', o.flushSyncTimeoutMs, DEFAULT_FLUSH_SYNC_TIMEOUT_MS),
    onError: o.onError,
    connectTimeoutMs: check('connectTimeoutMs', o.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS),
  };
}

/** What a client in another thread inherits through `port()`: the plain, cloneable part. */
export function inheritable(o: ResolvedClientOptions): Partial<ResolvedClientOptions> {
  return { maxPendingBytes: o.maxPendingBytes, maxEventBytes: o.maxEventBytes, flushSyncTimeoutMs: o.flushSyncTimeoutMs };
}
