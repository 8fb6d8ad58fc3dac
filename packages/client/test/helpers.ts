import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A WAL path in a fresh temp dir of its own, removed when the test process exits. */
export function tempWal(name = 'app.wal'): string {
  const d = mkdtempSync(join(tmpdir(), 'threadwal-client-'));
  dirs.push(d);
  return join(d, name);
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
