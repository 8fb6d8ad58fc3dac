// verify(): a read-only check of a whole WAL, in the pool so a large one does not block the
// caller's event loop (see verify-job.ts).
import { resolve } from 'node:path';
import { WalError, isPositiveInt } from '@threadwal/core';
import { runJob } from './pool.js';
import { checkFunction, checkObject, checkPath, checkSignal, DEFAULT_MAX_ISSUES } from './options.js';
import type { VerifyOptions, VerifyReport } from './types.js';

/** Reads every segment and reports events, seq range, gaps, duplicates, out-of-order seqs, bad lines and the torn tail. */
export async function verify(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const abs = resolve(checkPath(path));
  checkObject(options);
  checkFunction(options.onProgress, 'options.onProgress');
  checkSignal(options.signal, 'options.signal');
  const deep = options.deep ?? false;
  if (typeof deep !== 'boolean') throw new WalError('EINVAL', `options.deep must be a boolean, got ${String(deep)}`);
  const maxIssues = options.maxIssues ?? DEFAULT_MAX_ISSUES;
  if (!isPositiveInt(maxIssues)) throw new WalError('EINVAL', `options.maxIssues must be a positive integer, got ${String(maxIssues)}`);
  return runJob<VerifyReport>(abs, (control) => ({ type: 'verify', path: abs, deep, maxIssues, control }), options);
}
