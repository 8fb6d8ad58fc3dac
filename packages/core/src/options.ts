import { WalError } from './errors.js';
import { checkOptionKeys, isPositiveInt } from './util/option-checks.js';
import { parseEvery } from './writer/rotate-clock.js';
import { resolveRetention, type RetentionOptions } from './retention/retention-options.js';
import type { RetentionPolicy } from './retention/retention-plan.js';
import { RUNTIME } from './util/runtime.js';

export { checkOptionKeys, isPositiveInt };

export type Durability = 'fdatasync' | 'fsync' | 'none';
export type LockMode = 'batch' | 'exclusive';

/** Options of the writer thread. Every field is optional. */
export interface WriterOptions {
  /** How a batch is made durable before it is acknowledged. Default `'fdatasync'`. */
  durability?: Durability | undefined;
  /**
   * `'batch'` takes the cross-process lock for a run of back-to-back batches and hands it to
   * another process after the current batch when it asks (idle, it is released);
   * `'exclusive'` holds it while open. Default `'batch'`.
   */
  lock?: LockMode | undefined;
  /** A lock not refreshed for this long is taken over (proper-lockfile `stale`, at least 2000). Default 10000. */
  lockStaleMs?: number | undefined;
  /** Give up waiting for the lock after this long and reject the batch with ELOCKED. Default 30000. */
  lockTimeoutMs?: number | undefined;
  /** Most bytes one write + fdatasync carries. Default 4 MiB. */
  maxBatchBytes?: number | undefined;
  /**
   * The commit window, ms: while the writer is busy and nothing queued is awaited (only
   * `appendNoWait` lines, pino's included), its next write + fdatasync starts no sooner than
   * this after the previous one began, so more lines share it. An awaited append, `flush()`,
   * `flushSync()`, a pino `syncLevel` line or the exit flush commits at once; an idle writer
   * never waits. 0 turns it off. Default 2 (see DEFAULT_COMMIT_WINDOW_MS).
   */
  commitWindowMs?: number | undefined;
  /**
   * Rotate from the writer thread at a batch boundary once the active file reaches
   * maxSizeBytes, and/or (`every`: '1h', '1d', '15m', or ms) before the first batch of a new
   * interval, boundaries in local time unless `utc`. Keeps maxRotations rotated files
   * (default 5 when only `every` is given). `compress: 'gzip'` then gzips each rotated
   * segment to `{path}.N.gz` off the writer thread (compress/writer-compression.ts).
   * Default off.
   */
  rotate?: { maxSizeBytes?: number; maxRotations?: number; every?: string | number; utc?: boolean; compress?: 'gzip' | false } | false | undefined;
  /**
   * Applied by the writer after each of its automatic rotations, under the writers' lock,
   * to every rotated segment (earlier runs' included): the same policy as maintenance's
   * rotate()/cleanup() `retention`. Needs `rotate`; with it, `rotate.maxRotations` may be
   * left out (then only the policy deletes). Default off.
   */
  retention?: RetentionOptions | undefined;
  /** `'crc32c'`: end each line with a `"crc32c"` checksum field that readWal and verify check. Default off. */
  checksum?: 'crc32c' | false | undefined;
  /**
   * Permissions of the files the writer creates (the active file, on first open and at every
   * rotation, and `.meta`), e.g. `0o600`, set exactly (the umask does not apply). Every other
   * file of the log (rotated and compressed segments, rewritten segments, cursor and ship
   * checkpoint files, all temp files) takes the mode of the file it replaces or derives
   * from, so it spreads from here. An existing file keeps its mode. Default: 0o644 less the
   * umask, as fs.open.
   */
  mode?: number | undefined;
  /** Tests only: URL or path of a module exporting `install(seam)`, loaded in the writer thread. */
  faultInjection?: string | undefined;
}

export interface ResolvedWriterOptions {
  durability: Durability;
  lock: LockMode;
  lockStaleMs: number;
  lockTimeoutMs: number;
  maxBatchBytes: number;
  commitWindowMs: number;
  /** maxSizeBytes is Infinity when only time rotates; everyMs/utc only when `every` was given. */
  rotate: { maxSizeBytes: number; maxRotations: number; everyMs?: number; utc?: boolean; compress?: 'gzip' } | false;
  faultInjection: string | undefined;
  /** Present only when given (applied after each automatic rotation). */
  retention?: RetentionPolicy | undefined;
  /** Present only when on. */
  checksum?: 'crc32c' | undefined;
  /** Present only when given. */
  mode?: number | undefined;
}

/** Every key of WriterOptions, for the unknown-key check. */
export const WRITER_OPTION_KEYS = ['durability', 'lock', 'lockStaleMs', 'lockTimeoutMs', 'maxBatchBytes', 'commitWindowMs', 'rotate', 'retention', 'checksum', 'mode', 'faultInjection'] as const;
const ROTATE_KEYS = ['maxSizeBytes', 'maxRotations', 'every', 'utc', 'compress'] as const;
// Compile-time: a WriterOptions field missing from WRITER_OPTION_KEYS would be refused as unknown.
type MissingWriterKey = Exclude<keyof WriterOptions, (typeof WRITER_OPTION_KEYS)[number]>;
const _everyWriterKey: [MissingWriterKey] extends [never] ? true : MissingWriterKey = true;
void _everyWriterKey;

/** rotate.maxRotations when `retention` is given without it: the highest index segment listing reads, i.e. no cap. */
const RETENTION_MAX_ROTATIONS = 999_999_999;

/** wal.rotate()'s default too. */
const DEFAULT_TIME_ROTATIONS = 5;

export const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;
export const DEFAULT_LOCK_STALE_MS = 10_000;
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
/** Chosen by measurement (docs/PERFORMANCE.md): the fdatasyncs a busy writer saves against the time an un-awaited line waits. */
export const DEFAULT_COMMIT_WINDOW_MS = 5;
/** A longer window would leave un-awaited lines un-durable for longer than anyone should configure by accident. */
export const MAX_COMMIT_WINDOW_MS = 1000;

function bad(field: string, want: string, got: unknown): WalError {
  return new WalError('EINVAL', `options.${field} must be ${want}, got ${typeof got === 'string' ? JSON.stringify(got) : String(got)}`);
}

/**
 * Validates writer options once, eagerly, naming the bad field. `extraKeys` are keys the
 * caller handles itself (openWal's client options), allowed alongside the writer's.
 */
export function resolveWriterOptions(o: WriterOptions = {}, extraKeys: readonly string[] = []): ResolvedWriterOptions {
  if (typeof o !== 'object' || o === null) throw new WalError('EINVAL', `options must be an object, got ${String(o)}`);
  checkOptionKeys(o, extraKeys.length ? [...WRITER_OPTION_KEYS, ...extraKeys] : WRITER_OPTION_KEYS);
  const durability = o.durability ?? 'fdatasync';
  if (durability !== 'fdatasync' && durability !== 'fsync' && durability !== 'none') throw bad('durability', "'fdatasync', 'fsync' or 'none'", durability);
  const lock = o.lock ?? 'batch';
  if (lock !== 'batch' && lock !== 'exclusive') throw bad('lock', "'batch' or 'exclusive'", lock);
  const lockStaleMs = o.lockStaleMs ?? DEFAULT_LOCK_STALE_MS;
  if (!isPositiveInt(lockStaleMs) || lockStaleMs < 2000) throw bad('lockStaleMs', 'an integer >= 2000', lockStaleMs);
  const lockTimeoutMs = o.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (!isPositiveInt(lockTimeoutMs)) throw bad('lockTimeoutMs', 'a positive integer', lockTimeoutMs);
  const maxBatchBytes = o.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  if (!isPositiveInt(maxBatchBytes)) throw bad('maxBatchBytes', 'a positive integer', maxBatchBytes);
  // Bun ends the writer thread soon after an uncaught error, before the exit hook's flush can
  // be answered: lines waiting out a commit window there were lost (664 of 1,000
  // appendNoWait lines in test/runtimes). So on Bun the window is off unless asked for.
  const commitWindowMs = o.commitWindowMs ?? (RUNTIME === 'bun' ? 0 : DEFAULT_COMMIT_WINDOW_MS);
  if (typeof commitWindowMs !== 'number' || !Number.isSafeInteger(commitWindowMs) || commitWindowMs < 0 || commitWindowMs > MAX_COMMIT_WINDOW_MS) {
    throw bad('commitWindowMs', `an integer from 0 to ${MAX_COMMIT_WINDOW_MS}`, commitWindowMs);
  }
  const rotate = o.rotate ?? false;
  const retention = o.retention === undefined ? undefined : resolveRetention(o.retention, 'options.retention');
  if (retention && rotate === false) throw bad('rotate', 'set when options.retention is (the writer applies retention after its rotations)', rotate);
  let resolvedRotate: ResolvedWriterOptions['rotate'] = false;
  if (rotate !== false) {
    if (typeof rotate !== 'object' || rotate === null) throw bad('rotate', 'false or { maxSizeBytes, maxRotations, every }', rotate);
    checkOptionKeys(rotate, ROTATE_KEYS, 'options.rotate');
    const timed = rotate.every !== undefined;
    if ((!timed || rotate.maxSizeBytes !== undefined) && !isPositiveInt(rotate.maxSizeBytes)) throw bad('rotate.maxSizeBytes', 'a positive integer', rotate.maxSizeBytes);
    const maxRotations = rotate.maxRotations ?? (retention ? RETENTION_MAX_ROTATIONS : timed ? DEFAULT_TIME_ROTATIONS : undefined);
    if (!Number.isSafeInteger(maxRotations) || maxRotations! < 0) throw bad('rotate.maxRotations', 'an integer >= 0', rotate.maxRotations);
    resolvedRotate = { maxSizeBytes: rotate.maxSizeBytes ?? Infinity, maxRotations: maxRotations! };
    const compress = rotate.compress ?? false;
    if (compress !== false && compress !== 'gzip') throw bad('rotate.compress', "'gzip' or false", compress);
    if (compress) resolvedRotate.compress = compress;
    if (timed) {
      const everyMs = parseEvery(rotate.every);
      if (rotate.utc !== undefined && typeof rotate.utc !== 'boolean') throw bad('rotate.utc', 'a boolean', rotate.utc);
      resolvedRotate.everyMs = everyMs;
      resolvedRotate.utc = rotate.utc ?? false;
    }
  }
  const checksum = o.checksum ?? false;
  if (checksum !== false && checksum !== 'crc32c') throw bad('checksum', "'crc32c' or false", checksum);
  const mode = o.mode;
  if (mode !== undefined && (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o777)) throw bad('mode', 'an integer 0..0o777 (permission bits, e.g. 0o600)', mode);
  const faultInjection = o.faultInjection;
  if (faultInjection !== undefined && typeof faultInjection !== 'string') throw bad('faultInjection', 'a string', faultInjection);
  return {
    durability, lock, lockStaleMs, lockTimeoutMs, maxBatchBytes, commitWindowMs,
    rotate: resolvedRotate,
    faultInjection,
    ...(retention ? { retention } : {}),
    ...(checksum ? { checksum } : {}),
    ...(mode !== undefined ? { mode } : {}),
  };
}
