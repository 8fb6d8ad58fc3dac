// Shared by core's test files (not a test file itself: the runner only runs *.test.js).
// Every test gets its own temp dir; they are removed when the test process exits.
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBody, parseLine, type WalRecord } from '../src/format/format.js';
import { WalError, type WalErrorCode } from '../src/errors.js';

const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh, empty temp dir for one test. */
export function tmpDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'threadwal-core-'));
  dirs.push(d);
  return d;
}

export const MAX = Number.MAX_SAFE_INTEGER;

/** A seed-shaped event; `i` keeps them distinct. */
export function ev(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ts: 1715800000 + i, type: 'job_started', job_id: `job-${i}`, capability: 'FileRead', ...extra };
}

/** The bytes of `n` valid lines starting at `first`, as the writer would write them. */
export function lines(first: number, n: number, extra: (i: number) => Record<string, unknown> = () => ({})): string {
  let s = '';
  for (let i = first; i < first + n; i++) s += `{"seq":${i},${encodeBody(ev(i, extra(i)), MAX)}`;
  return s;
}

/** Parses a whole file; every line must be a record, the file must end in `\n` (or be empty). */
export function readRecords(path: string): WalRecord[] {
  const text = readFileSync(path, 'utf8');
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error(`${path} does not end with a newline`);
  return text.slice(0, -1).split('\n').map((l) => parseLine(l));
}

/** Runs `fn` and returns the WalError it threw (sync or async); fails when it did not throw one. */
export async function walErrorOf(fn: () => unknown): Promise<WalError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof WalError) return err;
    throw new Error(`expected a WalError, got ${String(err)}`);
  }
  throw new Error('expected a WalError, nothing was thrown');
}

/** Synchronous variant of walErrorOf. */
export function walErrorOfSync(fn: () => unknown): WalError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WalError) return err;
    throw new Error(`expected a WalError, got ${String(err)}`);
  }
  throw new Error('expected a WalError, nothing was thrown');
}

export function codeOf(fn: () => unknown): WalErrorCode {
  return walErrorOfSync(fn).code;
}

/**
 * Hang guard, not a timed assertion: a test waiting for something that never comes fails
 * with a clear message instead of stalling the whole file until the runner kills it.
 */
export function within<T>(p: Promise<T>, what: string, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up waiting for ${what}`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}
