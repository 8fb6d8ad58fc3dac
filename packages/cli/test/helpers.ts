// Runs the built CLI as a user would (`node packages/cli/bin/threadwal.js …`) and makes
// WAL files to run it on.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/cli/bin/threadwal.js, seen from packages/cli/dist/test/*.js. */
export const BIN = fileURLToPath(new URL('../../bin/threadwal.js', import.meta.url));

export interface RunResult {
  code: number | null;
  /** The signal that ended the process, when one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns the CLI with `args`, stdin closed, and collects its output. */
export function threadwal(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return collect(start(args, opts.env), opts.timeoutMs ?? 30_000);
}

/** Spawns the CLI and returns the child, for commands that keep running (tail -f). */
export function start(args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

export function collect(child: ChildProcess, timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`threadwal timed out; stdout: ${stdout}; stderr: ${stderr}`)); }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp dir, removed when the test process exits. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'threadwal-cli-'));
  dirs.push(d);
  return d;
}

/** A fresh temp dir and a WAL path in it. */
export function tempWal(name = 'app.wal'): string {
  return join(tempDir(), name);
}

export const TS0 = 1_715_800_000;
const TYPES = ['job_submitted', 'job_validated', 'job_started', 'job_completed'] as const;

/** The line the writer would write for event `seq` of a simple job stream. */
export function line(seq: number, ts = TS0 + seq): string {
  return `{"seq":${seq},"ts":${ts},"type":"${TYPES[seq % TYPES.length]}","job_id":"job-${Math.floor(seq / TYPES.length)}"}\n`;
}

/** Writes `count` valid lines from `from` to `file` (plus `extra` raw text at the end). */
export function writeLines(file: string, from: number, count: number, extra = ''): void {
  let text = '';
  for (let s = from; s < from + count; s++) text += line(s);
  writeFileSync(file, text + extra);
}

/** Waits until `pred` holds, polling. */
export async function until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
