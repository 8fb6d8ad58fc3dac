// The runtime suite's plumbing: where bun and deno are, how each runtime runs a script of
// the test app, and what a WAL file holds (read back on Node, whatever runtime wrote it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type RuntimeName = 'node' | 'bun' | 'deno';

export interface Runtime {
  name: RuntimeName;
  bin: string;
  version: string;
  /** The command line that runs `script` (a file of the app) with `args`. */
  argv(script: string, args: string[]): string[];
}

/**
 * Where `.ci/run` installs bun and deno from npm (`npm install --prefix <dir> bun deno`),
 * outside the repository: THREADWAL_RUNTIMES_DIR, else ~/.cache/threadwal-runtimes.
 */
export const RUNTIMES_DIR = process.env.THREADWAL_RUNTIMES_DIR || join(homedir(), '.cache', 'threadwal-runtimes');

function version(bin: string, pattern: RegExp): string | null {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0) return null;
  return pattern.exec(r.stdout)?.[1] ?? null;
}

/** The first candidate binary that answers --version, with that version. */
function first(candidates: Array<string | undefined>, pattern: RegExp): { bin: string; version: string } | null {
  for (const bin of candidates) {
    if (!bin) continue;
    if (bin.includes('/') && !existsSync(bin)) continue;
    const v = version(bin, pattern);
    if (v) return { bin, version: v };
  }
  return null;
}

/** Deno's npm package puts its binary in a platform package: @deno/<platform>-<arch>[-glibc]/deno. */
function denoPlatformBins(nm: string): string[] {
  const dir = join(nm, '@deno');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((d) => d.startsWith(`${process.platform}-`)).map((d) => join(dir, d, 'deno'));
}

export interface Found {
  runtimes: Runtime[];
  /** Runtimes whose binary is absent, with where it was looked for. */
  missing: Array<{ name: RuntimeName; reason: string }>;
}

/** Node (this process's), then bun and deno: THREADWAL_BUN / THREADWAL_DENO, RUNTIMES_DIR's npm install, PATH. */
export function findRuntimes(): Found {
  const nm = join(RUNTIMES_DIR, 'node_modules');
  const runtimes: Runtime[] = [{ name: 'node', bin: process.execPath, version: process.versions.node, argv: (s, a) => [s, ...a] }];
  const missing: Found['missing'] = [];
  const bun = first([process.env.THREADWAL_BUN, join(nm, 'bun', 'bin', 'bun.exe'), join(nm, '.bin', 'bun'), 'bun'], /^(\d+\.\d+\.\d+)/m);
  if (bun) runtimes.push({ name: 'bun', ...bun, argv: (s, a) => [s, ...a] });
  else missing.push({ name: 'bun', reason: `no bun binary (THREADWAL_BUN, ${join(nm, 'bun/bin/bun.exe')}, PATH); install it with: npm install --prefix ${RUNTIMES_DIR} bun` });
  const deno = first([process.env.THREADWAL_DENO, ...denoPlatformBins(nm), join(nm, '.bin', 'deno'), 'deno'], /^deno (\d+\.\d+\.\d+)/m);
  // -A: every permission (the permission checks have a test of their own).
  if (deno) runtimes.push({ name: 'deno', ...deno, argv: (s, a) => ['run', '-A', '--quiet', s, ...a] });
  else missing.push({ name: 'deno', reason: `no deno binary (THREADWAL_DENO, ${join(nm, '@deno/*/deno')}, PATH); install it with: npm install --prefix ${RUNTIMES_DIR} deno` });
  return { runtimes, missing };
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** What the children get: the user's environment, less what `pnpm test` adds, with a TMPDIR of the test's own. */
export function childEnv(tmp: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm|pnpm)_/i.test(k)));
  return { ...env, TMPDIR: tmp, NO_COLOR: '1', FORCE_COLOR: '0' };
}

export interface Started {
  child: ChildProcess;
  done: Promise<Result>;
  /** Calls `fn` with each complete stdout line as it arrives. */
  onLine(fn: (line: string) => void): void;
}

/** Starts `cmd args` in `cwd` (stdin closed); killed with SIGKILL after `timeoutMs`. */
export function start(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Started {
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '', partial = '';
  const lineFns: Array<(l: string) => void> = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    for (const l of parts) for (const fn of lineFns) fn(l);
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const timer = setTimeout(() => { stderr += `\n[runtimes] killed after ${timeoutMs} ms\n`; child.kill('SIGKILL'); }, timeoutMs);
  const done = new Promise<Result>((resolve, reject) => {
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 }); });
  });
  return { child, done, onLine: (fn) => void lineFns.push(fn) };
}

export interface WalLine {
  seq: number;
  job_id: string;
  type: string;
  output?: unknown;
}

/**
 * The records of one WAL file, oldest first. A last line that does not parse is a torn
 * tail (a kill mid-write) and is left out; any other bad line throws.
 */
export function fileRecords(path: string): WalLine[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: WalLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue;
    try {
      out.push(JSON.parse(lines[i]!) as WalLine);
    } catch (err) {
      if (i >= lines.length - 2) break; // the torn last line
      throw new Error(`${path}: line ${i + 1} is not JSON: ${lines[i]!.slice(0, 80)}`, { cause: err });
    }
  }
  return out;
}

/** Throws unless the seqs are 0, 1, 2, … with no gap and no repeat. */
export function checkGapless(records: WalLine[], what: string): void {
  records.forEach((r, i) => {
    if (r.seq !== i) throw new Error(`${what}: line ${i} has seq ${r.seq}`);
  });
}
