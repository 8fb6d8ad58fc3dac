// Shared by the maintenance tests: temp WALs, hand-written segments, child processes.
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readWal } from '../src/index.js';

const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp dir, removed when the test process exits. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'threadwal-maint-'));
  dirs.push(d);
  return d;
}

/** A WAL path in a fresh temp dir of its own (removed when the test process exits). */
export function tempWal(name = 'app.wal'): string {
  return join(tempDir(), name);
}

/** One line as the writer writes it. */
export function line(seq: number, ts: number, jobId = `job-${seq}`): string {
  return `{"seq":${seq},"ts":${ts},"type":"job_started","job_id":"${jobId}"}\n`;
}

/** Lines for seqs [from, from + count), ts from `ts(seq)`. */
export function lines(from: number, count: number, ts: (seq: number) => number): string {
  let s = '';
  for (let i = from; i < from + count; i++) s += line(i, ts(i));
  return s;
}

/** Writes a segment file; `mtimeSecs` backdates it (cleanup trusts a segment's mtime as its newest write). */
export function writeSegment(path: string, content: string, mtimeSecs?: number): void {
  writeFileSync(path, content);
  if (mtimeSecs !== undefined) utimesSync(path, mtimeSecs, mtimeSecs);
}

export const nowSecs = (): number => Math.floor(Date.now() / 1000);

/** Every seq readWal yields for `path`. */
export async function seqs(path: string): Promise<number[]> {
  const out: number[] = [];
  for await (const r of readWal(path)) out.push(r.seq);
  return out;
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** A fixture in packages/maintenance/test/fixtures, seen from the built test file. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));
}

/** Awaits `p` (or calls `p`) and checks it fails with WalError `code`. */
export async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<unknown> {
  try {
    if (typeof p === 'function') await p();
    else await p;
  } catch (err) {
    if ((err as { code?: string }).code !== code) throw new Error(`expected ${code}, got ${(err as { code?: string }).code}: ${(err as Error).message}`);
    return err;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

/**
 * Runs `node file ...args`; a child still running after `killAfterMs` is killed (reported as
 * signal SIGKILL). `onLine` sees each stdout line as it comes.
 */
export function runNode(
  file: string, args: string[], killAfterMs = 60_000, onLine?: (line: string) => void,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!onLine) return;
      const parts = (partial + String(d)).split('\n');
      partial = parts.pop()!;
      for (const l of parts) if (l) onLine(l);
    });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
