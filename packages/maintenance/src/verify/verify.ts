// verify(): a read-only check of a whole WAL, in the pool so a large one does not block the
// caller's event loop (see verify-job.ts).
import { WalError, isPositiveInt } from '@threadwal/core';
import { runJob } from '../pool/pool.js';
import { walTarget } from '../wal-target.js';
import { checkFunction, checkObject, checkSignal, DEFAULT_MAX_ISSUES } from '../options.js';
import type { VerifyOptions, VerifyReport } from '../types.js';

/** Reads every segment and reports events, seq range, gaps, duplicates, out-of-order seqs, bad lines and the torn tail. */
export async function verify(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  checkObject(options);
  checkFunction(options.onProgress, 'options.onProgress');
  checkSignal(options.signal, 'options.signal');
  const deep = options.deep ?? false;
  if (typeof deep !== 'boolean') throw new WalError('EINVAL', `options.deep must be a boolean, got ${String(deep)}`);
  const maxIssues = options.maxIssues ?? DEFAULT_MAX_ISSUES;
  if (!isPositiveInt(maxIssues)) throw new WalError('EINVAL', `options.maxIssues must be a positive integer, got ${String(maxIssues)}`);
  const abs = walTarget(path, { what: 'verify', needs: { threads: true } });
  return runJob<VerifyReport>(abs, (control) => ({ type: 'verify', path: abs, deep, maxIssues, control }), options);
}
