import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function tempWal(name = 'app.wal'): string {
  return join(mkdtempSync(join(tmpdir(), 'threadwal-client-')), name);
}

/** Parsed lines of a WAL file (empty when missing). */
export function readLines(path: string): Array<Record<string, unknown> & { seq: number; job_id: string }> {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

/** A fixture file in packages/client/test/fixtures, seen from the built test file. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));
}

export async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (err) {
    if ((err as { code?: string }).code !== code) throw new Error(`expected ${code}, got ${(err as { code?: string }).code}: ${(err as Error).message}`);
    return;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}
