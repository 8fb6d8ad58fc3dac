// rotate(): the seed's `WalWriter::rotate`, made safe for live writers (see rotate-job.ts).
import { runJob } from '../pool/pool.js';
import { walTarget } from '../wal-target.js';
import { checkNonNegativeInt, checkObject, resolveLock } from '../options.js';
import { resolveRetention, walExists } from '@threadwal/core';
import { checkNow, runRetentionJob } from './retention.js';
import { runCompressJob, DEFAULT_GZIP_LEVEL } from './compress.js';
import { WalError } from '@threadwal/core';
import type { RotateOptions, RotateResult } from '../types.js';

/**
 * Once the active file has reached `maxSizeBytes`, moves it to `{path}.1` (shifting
 * `.1 → .2 …`, keeping at most `maxRotations` rotated files) and leaves a fresh empty one.
 * An absent log is not an error: it resolves with `rotated: false, missing: true`.
 */
export async function rotate(path: string, maxSizeBytes: number, maxRotations: number, options: RotateOptions = {}): Promise<RotateResult> {
  checkNonNegativeInt(maxSizeBytes, 'maxSizeBytes');
  checkNonNegativeInt(maxRotations, 'maxRotations');
  checkObject(options);
  const lock = resolveLock(options);
  const policy = options.retention === undefined ? null : resolveRetention(options.retention, 'options.retention');
  const gz = options.compress ?? false;
  if (gz !== false && gz !== 'gzip') throw new WalError('EINVAL', `options.compress must be 'gzip' or false, got ${String(gz)}`);
  const abs = walTarget(path, { allowMissing: true, what: 'rotate', needs: { write: true, threads: true } });
  // The seed's rotate returns Ok on a missing file (only its cleanup errors): nothing is
  // created, not even the lock.
  if (!walExists(abs)) return { rotated: false, missing: true, size: 0, nextSeq: 0, tornBytes: 0, droppedSegments: 0, sweptTemps: 0 };
  const r = await runJob<RotateResult>(abs, () => ({ type: 'rotate', path: abs, maxSizeBytes, maxRotations, lock }));
  // Retention first: no point compressing what it is about to delete.
  if (policy) r.retention = await runRetentionJob(abs, policy, checkNow(undefined), lock);
  if (gz) r.compress = await runCompressJob(abs, DEFAULT_GZIP_LEVEL, 1, lock);
  return r;
}
