// The retention policy's public shape and its one validation, shared by openWal's
// `retention` option (applied by the writer after each automatic rotation) and
// maintenance's rotate()/cleanup()/applyRetention().
import { WalError } from '../errors.js';
import { toBytes, toSecs } from '../util/human-units.js';
import { checkCursorName } from '../segments/cursor-files.js';
import { checkOptionKeys } from '../util/option-checks.js';
import type { RetentionPolicy } from './retention-plan.js';

/**
 * Which rotated segments to keep; any combination. Only rotated segments are deleted,
 * oldest first (so seq stays gapless), and the active file never is. Sizes and ages take
 * numbers (bytes, seconds) or human units (`'64MiB'`, `'1.5GB'`, `'14d'`, `'12h'`).
 */
export interface RetentionOptions {
  /** Keep at most this many rotated segments. */
  maxSegments?: number | undefined;
  /** Delete a rotated segment once its newest event (its last line's ts) is older than this. */
  maxAge?: number | string | undefined;
  /** Keep all segments together (active included, as stored on disk) at most this big. Hard: wins over `retain`. */
  maxTotalBytes?: number | string | undefined;
  /** Keep segments holding events that these cursors have not committed yet (maxSegments and maxAge wait for them). */
  retain?: { untilCommitted: string[] } | undefined;
}

const RETENTION_KEYS = ['maxSegments', 'maxAge', 'maxTotalBytes', 'retain'] as const;
const RETAIN_KEYS = ['untilCommitted'] as const;

function checkObject(o: unknown, name: string): asserts o is object {
  if (typeof o !== 'object' || o === null) throw new WalError('EINVAL', `${name} must be an object, got ${String(o)}`);
}

/** Validates a retention policy (one check per field, unknown keys refused); throws EINVAL naming the field. */
export function resolveRetention(o: RetentionOptions, name = 'retention'): RetentionPolicy {
  checkObject(o, name);
  checkOptionKeys(o, RETENTION_KEYS, name);
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
    checkOptionKeys(o.retain, RETAIN_KEYS, `${name}.retain`);
    const u = o.retain.untilCommitted;
    if (!Array.isArray(u)) throw new WalError('EINVAL', `${name}.retain.untilCommitted must be an array of cursor names, got ${String(u)}`);
    untilCommitted = u.map((c, i) => checkCursorName(c, `${name}.retain.untilCommitted[${i}]`));
  }
  return { maxSegments, maxAgeSecs, maxTotalBytes, untilCommitted };
}
