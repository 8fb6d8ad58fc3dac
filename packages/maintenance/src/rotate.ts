// rotate(): the seed's `WalWriter::rotate`, made safe for live writers (see rotate-job.ts).
import { runJob } from './pool.js';
import { walTarget } from './wal-target.js';
import { checkNonNegativeInt, checkObject, resolveLock } from './options.js';
import type { RotateOptions, RotateResult } from './types.js';

/**
 * Once the active file has reached `maxSizeBytes`, moves it to `{path}.1` (shifting
 * `.1 → .2 …`, keeping at most `maxRotations` rotated files) and leaves a fresh empty one.
 */
export async function rotate(path: string, maxSizeBytes: number, maxRotations: number, options: RotateOptions = {}): Promise<RotateResult> {
  checkNonNegativeInt(maxSizeBytes, 'maxSizeBytes');
  checkNonNegativeInt(maxRotations, 'maxRotations');
  checkObject(options);
  const lock = resolveLock(options);
  const abs = walTarget(path);
  return runJob<RotateResult>(abs, () => ({ type: 'rotate', path: abs, maxSizeBytes, maxRotations, lock }));
}
