// compress(): gzip the plain rotated segments in the pool (see compress-job.ts).
import { WalError, DEFAULT_GZIP_LEVEL } from '@threadwal/core';
import { runJob } from '../pool/pool.js';
import { checkFunction, checkObject, checkSignal, resolveLock } from '../options.js';
import { walTarget } from '../wal-target.js';
import type { LockSettings } from '../pool/protocol.js';
import type { CompressOptions, CompressResult } from '../types.js';

/** core's default (gzip-segment.ts), shared with the writer's rotate.compress. */
export { DEFAULT_GZIP_LEVEL };

/** Validates `compress` options; returns the zlib level. */
export function resolveCompress(o: CompressOptions): number {
  checkObject(o);
  if (o.format !== undefined && o.format !== 'gzip') throw new WalError('EINVAL', `options.format must be 'gzip', got ${String(o.format)}`);
  const level = o.level ?? DEFAULT_GZIP_LEVEL;
  if (typeof level !== 'number' || !Number.isSafeInteger(level) || level < 1 || level > 9) throw new WalError('EINVAL', `options.level must be an integer 1..9, got ${String(level)}`);
  checkFunction(o.onProgress, 'options.onProgress');
  checkSignal(o.signal, 'options.signal');
  return level;
}

export function runCompressJob(path: string, level: number, minIndex: number, lock: LockSettings, o: CompressOptions = {}): Promise<CompressResult> {
  return runJob<CompressResult>(path, (control) => ({ type: 'compress', path, level, minIndex, lock, control }), o);
}

/** Replaces every plain rotated segment `{path}.N` by `{path}.N.gz`, crash-safe; readers read both. */
export async function compress(path: string, options: CompressOptions = {}): Promise<CompressResult> {
  const level = resolveCompress(options);
  const lock = resolveLock(options);
  const abs = walTarget(path, { what: 'compress', needs: { write: true, threads: true } });
  return runCompressJob(abs, level, 1, lock, options);
}
