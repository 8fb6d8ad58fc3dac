// Shared by the reliability tests (not a test file itself: the runner only runs *.test.js).
// Every test gets its own temp dir, removed when the test process exits. Fixtures are
// built next to this file (dist-test/reliability/fixtures/*.js) and run as child processes.
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WalError, parseLine, type WalRecord, type WalErrorCode, type WalEvent } from '@threadwal/core';

/** `pnpm test:reliability` sets THREADWAL_FULL=1; `pnpm test` runs the CI size. */
export const FULL = process.env.THREADWAL_FULL === '1';

/** `ci` in the default run, `full` under THREADWAL_FULL=1. */
export function size(ci: number, full: number): number {
  return FULL ? full : ci;
}

/** One line the README can quote: `[reliability] <name>: k=v …`. */
export function report(name: string, counts: Record<string, number | string>): void {
  const parts = Object.entries(counts).map(([k, v]) => `${k}=${v}`);
  console.log(`[reliability] ${name}: ${parts.join(' ')}${FULL ? ' (full)' : ' (ci)'}`);
}

const dirs: string[] = [];
process.on('exit', () => {
  if (process.env.THREADWAL_KEEP_TMP === '1') return;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh, empty temp dir for one test. */
export function tmpDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'threadwal-rel-'));
  dirs.push(d);
  return d;
}

/** Absolute path of a built fixture (`fixtures/<name>.js` beside the built test files). */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
}

/**
 * The `faultInjection` value for a fault module: a file URL whose query string configures
 * it (the writer thread imports it as is; each module reads `import.meta.url`).
 */
export function faultModule(name: string, params: Record<string, string | number> = {}): string {
  const url = pathToFileURL(fixture(name));
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  return url.href;
}

/** A small seeded PRNG (mulberry32): the same seed replays the same run. */
export function prng(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(a: readonly T[]): T } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (a) => a[Math.floor(next() * a.length)]!,
  };
}

/** The seed of this run: THREADWAL_SEED if set, else random; printed so a failure can be replayed. */
export function runSeed(name: string): number {
  const s = process.env.THREADWAL_SEED ? Number(process.env.THREADWAL_SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`[reliability] ${name}: seed=${s} (replay with THREADWAL_SEED=${s})`);
  return s;
}

/**
 * Parses a whole segment strictly: it must be empty or end in `\n`, and every line must be
 * a record. Returns the records with the byte offset of each line.
 */
export function readStrict(path: string): Array<WalRecord & { offset: number }> {
  if (!existsSync(path)) return [];
  const buf = readFileSync(path);
  if (buf.length === 0) return [];
  if (buf[buf.length - 1] !== 0x0a) throw new Error(`${path} does not end with a newline (a torn line remains)`);
  const out: Array<WalRecord & { offset: number }> = [];
  let start = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    const rec = parseLine(buf.toString('utf8', start, nl), { file: path, offset: start });
    out.push({ ...rec, offset: start });
    start = nl + 1;
  }
  return out;
}

/**
 * Checks what every test checks at the end: the records (in file order across the given
 * segments) have seqs `first, first+1, …` with no gap and no duplicate, and no `job_id`
 * appears twice (every fixture uses unique ids). Returns the records.
 */
export function checkGapless(records: readonly WalRecord[], first = 0): void {
  const seen = new Set<string>();
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.seq !== first + i) throw new Error(`seq gap or duplicate at index ${i}: expected ${first + i}, found ${r.seq} (${r.job_id})`);
    if (seen.has(r.job_id)) throw new Error(`job_id ${r.job_id} appears twice (second at seq ${r.seq})`);
    seen.add(r.job_id);
  }
}

/** Runs `fn` and returns the WalError it threw synchronously; fails when it threw anything else or nothing. */
export function walErrorOfSync(fn: () => unknown): WalError {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    if (err instanceof WalError) return err;
    throw new Error(`expected a WalError, got ${String(err)}`);
  }
  if (result instanceof Promise) result.catch(() => undefined);
  throw new Error(`expected a synchronous WalError, nothing was thrown${result instanceof Promise ? ' (a promise was returned)' : ''}`);
}

/** Awaits `p` and returns the WalError it rejected with; fails when it resolved or rejected with something else. */
export async function rejection(p: Promise<unknown>): Promise<WalError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WalError) return err;
    throw new Error(`expected a WalError rejection, got ${String(err)}`);
  }
  throw new Error('expected a rejection, the promise resolved');
}

/** The code of a settled result, or 'ok'. */
export function outcome(r: PromiseSettledResult<unknown>): WalErrorCode | 'ok' | 'not-a-WalError' {
  if (r.status === 'fulfilled') return 'ok';
  return r.reason instanceof WalError ? r.reason.code : 'not-a-WalError';
}

/**
 * Hang guard, not a timed assertion: a test waiting for something that never comes fails
 * with a clear message instead of stalling the whole file until the runner kills it.
 */
export function within<T>(p: Promise<T>, what: string, ms = 60_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up waiting for ${what}`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A seed-shaped event with a unique job id. */
export function ev(id: string, extra: Record<string, unknown> = {}): WalEvent {
  return { ts: 1715800000, capability: 'FileRead', ...extra, type: 'job_started', job_id: id };
}

/** A running fixture whose stdout is read line by line. */
export interface Child {
  proc: ChildProcess;
  /** Complete stdout lines so far (a line cut by a kill is never included). */
  lines: string[];
  stderr(): string;
  /** Resolves with the first line (already seen or future) for which `pred` holds. */
  waitLine(pred: (line: string) => boolean, what: string): Promise<string>;
  /** Resolves once the process has exited (code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  send(line: string): void;
}

export function run(script: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; execArgv?: string[] } = {}): Child {
  const proc = spawn(process.execPath, [...(opts.execArgv ?? []), script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  const lines: string[] = [];
  let partial = '';
  let err = '';
  const waiters: Array<{ pred: (l: string) => boolean; resolve: (l: string) => void }> = [];
  proc.stdout!.setEncoding('utf8');
  proc.stderr!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => {
    partial += d;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.pred(line)) waiters.splice(i, 1)[0]!.resolve(line);
      }
    }
  });
  proc.stderr!.on('data', (d: string) => { err += d; });
  proc.stdin!.on('error', () => undefined); // the child may be gone
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    proc,
    lines,
    stderr: () => err,
    waitLine(pred, what) {
      const seen = lines.find(pred);
      if (seen !== undefined) return Promise.resolve(seen);
      const p = new Promise<string>((resolve, reject) => {
        waiters.push({ pred, resolve });
        void exited.then(({ code, signal }) => reject(new Error(`${what}: the fixture exited (${code ?? signal}) first; stderr:\n${err}`)));
      });
      return within(p, what);
    },
    exited,
    send(line) {
      proc.stdin!.write(`${line}\n`);
    },
  };
}

/** Runs a fixture to completion; fails (with its stderr) unless it exits 0. */
export async function runToEnd(script: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; execArgv?: string[] } = {}): Promise<Child> {
  const c = run(script, args, opts);
  const { code, signal } = await within(c.exited, `${script} to finish`, 120_000);
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} exited ${code ?? signal}; stderr:\n${c.stderr()}`);
  return c;
}
