// cleanup(): the seed's `WalWriter::cleanup`, streamed, off the caller's thread, and safe
// for live writers (see cleanup-job.ts).
import { WalError } from '@threadwal/core';
import { runJob } from '../pool/pool.js';
import { walTarget } from '../wal-target.js';
import { checkFunction, checkNonNegativeInt, checkObject, checkSignal, resolveLock } from '../options.js';
import { resolveRetention } from '@threadwal/core';
import { runRetentionJob } from './retention.js';
import type { CleanupOptions, CleanupResult } from '../types.js';

/**
 * Removes the events whose ts is more than `maxAgeSecs` before now, from the oldest end of
 * the log (an old event after a newer one stays, so seq stays gapless).
 */
export async function cleanup(path: string, maxAgeSecs: number, options: CleanupOptions = {}): Promise<CleanupResult> {
  checkNonNegativeInt(maxAgeSecs, 'maxAgeSecs');
  checkObject(options);
  checkFunction(options.onProgress, 'options.onProgress');
  checkSignal(options.signal, 'options.signal');
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (typeof now !== 'number' || !Number.isSafeInteger(now)) throw new WalError('EINVAL', `options.now must be an integer (Unix seconds), got ${String(now)}`);
  const lock = resolveLock(options);
  const policy = options.retention === undefined ? null : resolveRetention(options.retention, 'options.retention');
  const cutoff = now - maxAgeSecs;
  const abs = walTarget(path, { what: 'cleanup', needs: { write: true, threads: true } });
  const r = await runJob<CleanupResult>(abs, (control) => ({ type: 'cleanup', path: abs, cutoff, lock, control }), options);
  if (policy) r.retention = await runRetentionJob(abs, policy, now, lock);
  return r;
}
