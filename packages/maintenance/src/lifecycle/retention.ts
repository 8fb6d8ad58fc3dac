// applyRetention(): deletes the rotated segments a retention policy no longer keeps (see
// retention-job.ts); the policy's validation is core's resolveRetention, shared with openWal.
import { WalError, resolveRetention, warnForcedPastCursors, type RetentionPolicy } from '@threadwal/core';
import { runJob } from '../pool/pool.js';
import { checkObject, resolveLock } from '../options.js';
import { walTarget } from '../wal-target.js';
import type { LockSettings } from '../pool/protocol.js';
import type { RetentionOptions, RetentionResult, RetentionRunOptions } from '../types.js';

export function checkNow(now: unknown): number {
  const v = now ?? Math.floor(Date.now() / 1000);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new WalError('EINVAL', `options.now must be an integer (Unix seconds), got ${String(v)}`);
  return v;
}

/** Runs a retention job; says on stderr (a process warning) when the size cap deleted what a cursor had not read. */
export async function runRetentionJob(path: string, policy: RetentionPolicy, now: number, lock: LockSettings): Promise<RetentionResult> {
  const r = await runJob<RetentionResult>(path, () => ({ type: 'retention', path, policy, now, lock }));
  warnForcedPastCursors(path, r.forcedPastCursors);
  return r;
}

/**
 * Deletes the oldest rotated segments that `policy` no longer keeps (by count, by the age
 * of their newest event, by total size), under the writers' lock, earlier runs' segments included.
 */
export async function applyRetention(path: string, policy: RetentionOptions, options: RetentionRunOptions = {}): Promise<RetentionResult> {
  const resolved = resolveRetention(policy, 'policy');
  checkObject(options);
  const now = checkNow(options.now);
  const lock = resolveLock(options);
  return runRetentionJob(walTarget(path, { what: 'applyRetention', needs: { write: true, threads: true } }), resolved, now, lock);
}
