// Reading durable consumer cursors (`{path}.cursors/<name>`, one small JSON file each; see
// maintenance's cursors.ts for commits). In core because the writer's retention
// (`retain.untilCommitted`) keeps what a named cursor has not committed yet.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WalError } from '../errors.js';
import { resolveWalPath } from './wal-path.js';

/** 1–128 of `A-Z a-z 0-9 . _ -`, not starting with a dot (a dot name is a commit's temp file). */
export const CURSOR_NAME_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** `{path}.cursors`, beside the real file (symlinks resolved as everywhere in threadwal). */
export function cursorsDir(path: string): string {
  return `${resolveWalPath(path)}.cursors`;
}

/** Throws EINVAL unless `name` is a valid cursor name. */
export function checkCursorName(name: unknown, field = 'cursor'): string {
  if (typeof name !== 'string' || !CURSOR_NAME_RE.test(name)) {
    throw new WalError('EINVAL', `${field} must be 1-128 characters of A-Z a-z 0-9 . _ - not starting with a dot, got ${typeof name === 'string' ? JSON.stringify(name) : String(name)}`);
  }
  return name;
}

/** The seq and commit time a cursor file holds; ECORRUPT when it holds none. */
export function parseCursorFile(file: string, text: string): { seq: number; updatedMs: number } {
  try {
    const v = JSON.parse(text) as { seq?: unknown; ts?: unknown };
    if (typeof v.seq === 'number' && Number.isSafeInteger(v.seq) && v.seq >= -1) {
      return { seq: v.seq, updatedMs: typeof v.ts === 'number' ? v.ts : 0 };
    }
  } catch {
    // reported below
  }
  throw new WalError('ECORRUPT', `cursor file ${file} does not hold a cursor`, { path: file, file, offset: 0 });
}

/** The seq cursor `name` last committed, -1 when never; blocking (pool workers, the writer thread). */
export function readCursorSync(path: string, name: string): number {
  const file = join(cursorsDir(path), name);
  try {
    return parseCursorFile(file, readFileSync(file, 'utf8')).seq;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw err;
  }
}
