// Checks shared by every options object: unknown keys (with a "did you mean") and positive
// integers. Kept apart from options.ts so retention-options.ts can use them without a cycle.
import { WalError } from '../errors.js';

/** Edit distance (Levenshtein), for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/**
 * Throws EINVAL for the first own key of `o` not in `valid`, naming it and the closest valid
 * key: a typo (`durabilty`) must not silently fall back to a default.
 */
export function checkOptionKeys(o: object, valid: readonly string[], where = 'options'): void {
  for (const key of Object.keys(o)) {
    if (valid.includes(key)) continue;
    let best = valid[0]!;
    for (const v of valid) if (distance(key, v) < distance(key, best)) best = v;
    throw new WalError('EINVAL', `${where}.${key} is not an option; did you mean ${where}.${best}? (valid: ${valid.join(', ')})`);
  }
}

export function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}
