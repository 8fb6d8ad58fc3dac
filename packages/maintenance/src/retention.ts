// applyRetention(): deletes the rotated segments a retention policy no longer keeps (see
// retention-job.ts), and the options check shared with rotate() and cleanup().
import { WalError } from '@threadwal/core';
import { runJob } from './pool.js';
import { checkObject, resolveLock } from './options.js';
import { walTarget } from './wal-target.js';
import { toBytes, toSecs } from './human-units.js';
import { checkCursorName } from './cursors.js';
import type { LockSettings, RetentionPolicy } from './protocol.js';
import type { RetentionOptions, RetentionResult, RetentionRunOptions } from './types.js';

/** Validates a retention policy (one check per field); throws EINVAL naming the field. */
export function resolveRetention(o: RetentionOptions, name = 'retention'): RetentionPolicy {
  checkObject(o, name);
  let maxSegments: number | null = null;
  if (o.maxSegments !== undefined) {
    if (typeof o.maxSegments !== 'number' || !Number.isSafeInteger(o.maxSegments) || o.maxSegments < 0) {
      throw new WalError('EINVAL', `${name}.maxSegments must be an integer >= 0, got ${String(o.maxSegments)}`);
    }
    maxSegments = o.maxSegments;
  }
  const maxAgeSecs = o.maxAge === undefined ? null : toSecs(o.maxAge, `${name}.maxAge`);
  const maxTotalBytes = o.maxTotalBytes === undefined ? null : toBytes(o.maxTotalBytes, `${name}.maxTotalBytes`);
  let untilCommitted: string[] = [];
  if (o.retain !== undefined) {
    checkObject(o.retain, `${name}.retain`);
    const u = o.retain.untilCommitted;
    if (!Array.isArray(u)) throw new WalError('EINVAL', `${name}.retain.untilCommitted must be an array of cursor names, got ${String(u)}`);
    untilCommitted = u.map((c, i) => checkCursorName(c, `${name}.retain.untilCommitted[${i}]`));
  }
  return { maxSegments, maxAgeSecs, maxTotalBytes, untilCommitted };
}

export function checkNow(now: unknown): number {
  const v = now ?? Math.floor(Date.now() / 1000);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new WalError('EINVAL', `options.now must be an integer (Unix seconds), got ${String(v)}`);
  return v;
}

/** Runs a retention job; says on stderr (a process warning) when the size cap deleted what a cursor had not read. */
export async function runRetentionJob(path: string, policy: RetentionPolicy, now: number, lock: LockSettings): Promise<RetentionResult> {
  const r = await runJob<RetentionResult>(path, () => ({ type: 'retention', path, policy, now, lock }));
  for (const f of r.forcedPastCursors) {
    process.emitWarning(
      `maxTotalBytes deleted seqs ${f.lostFromSeq}..${f.lostToSeq} of ${path} that cursor '${f.cursor}' had not committed (it is at ${f.committedSeq})`,
      { code: 'THREADWAL_RETENTION_FORCED', type: 'ThreadwalWarning' },
    );
  }
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
  return runRetentionJob(walTarget(path), resolved, now, lock);
}
