// rotate(): the seed's `WalWriter::rotate`, made safe for live writers (see rotate-job.ts).
import { resolve } from 'node:path';
import { runJob } from './pool.js';
import { checkNonNegativeInt, checkObject, checkPath, resolveLock } from './options.js';
import type { RotateOptions, RotateResult } from './types.js';

/**
 * Once the active file has reached `maxSizeBytes`, moves it to `{path}.1` (shifting
 * `.1 → .2 …`, keeping at most `maxRotations` rotated files) and leaves a fresh empty one.
 */
export async function rotate(path: string, maxSizeBytes: number, maxRotations: number, options: RotateOptions = {}): Promise<RotateResult> {
  const abs = resolve(checkPath(path));
  checkNonNegativeInt(maxSizeBytes, 'maxSizeBytes');
  checkNonNegativeInt(maxRotations, 'maxRotations');
  checkObject(options);
  const lock = resolveLock(options);
  return runJob<RotateResult>(abs, () => ({ type: 'rotate', path: abs, maxSizeBytes, maxRotations, lock }));
}
