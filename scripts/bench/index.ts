// threadwal's benchmark suite (issue 6). `pnpm bench [--quick] [--out FILE] [--cases a,b]
// [--cpu-prof DIR] [--dir DIR] [--keep]` runs every case of catalog.ts, each in its own
// process (run-case.js), prints one table with ratios to case 1 of the same run and the
// targets as PASS/MISS, and writes the JSON record to --out.
//
// Exit status: 0 unless a case *threw* (a bug in threadwal or in the suite). Timing never
// fails a run: a target miss is printed, a case over its time limit is killed and shown as
// TIMEOUT, a missing peer package is shown as UNAVAILABLE, and --quick skips what does not
// fit its 60 s budget.
//
// Other tools (the `threadwal bench` command) should spawn
//   node <repo>/dist-scripts/bench/index.js --quick [--out FILE]
// rather than import this module; runBench() is exported for in-repo scripts.
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CASES, selectCases } from './catalog.js';
import { now, round, type CaseResult } from './lib/measure.js';
import { judgeTargets, ratioToBaseline, renderLatencyRatios, renderTable, renderTargets, type Target } from './lib/report.js';
import { lineSizes } from './lib/workload.js';

export interface BenchOptions {
  quick?: boolean;
  /** Where to write the JSON record. */
  out?: string;
  /** Case ids to run (default: all, in catalog order). */
  cases?: string[];
  /** Directory for `node --cpu-prof` profiles of every case process (and its threads). */
  cpuProf?: string;
  /** Parent directory of the run's data (default `<repo>/.bench-data`). */
  dir?: string;
  /** Keep the data directory afterwards. */
  keep?: boolean;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface BenchReport {
  results: CaseResult[];
  targets: Target[];
  table: string;
  exitCode: number;
}

/** A bad command line: reported as one line and exit status 2, not a stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

// For the cases, counted from runBench's start. `pnpm bench --quick` also spends 5-8 s
// in pnpm (through npx in CI) and scripts/build.mjs (7.3 s measured at load 14 on this
// 2-core machine), and the whole command must stay under 60 s.
const QUICK_BUDGET_MS = 45_000;
const QUICK_CASE_TIMEOUT_MS = 12_000;
const FULL_CASE_TIMEOUT_MS = 60_000;
const FULL_BIG_CASE_TIMEOUT_MS = 180_000;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const runCaseEntry = fileURLToPath(new URL('./run-case.js', import.meta.url));

/** Names the filesystem under `dir`; fdatasync means nothing on tmpfs, so the header says which it is. */
function fsName(dir: string): string {
  const names: Record<number, string> = { 0xef53: 'ext2/3/4', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs' };
  try {
    const t = statfsSync(dir).type;
    return names[t] ?? `fs type 0x${t.toString(16)}`;
  } catch {
    return 'unknown fs';
  }
}

/** The commit the suite ran against (with "+dirty" for a modified tree), or null outside git. */
function gitCommit(): string | null {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}

function runOne(id: string, shared: string, quick: boolean, timeoutMs: number, cpuProf: string | undefined): Promise<CaseResult> {
  const execArgv = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${join(cpuProf, id)}`] : [];
  const args = [id, '--shared', shared, ...(quick ? ['--quick'] : [])];
  // The case's own processes (a Fastify server, a job runner: lib/peer-process.ts) profile too.
  const env = cpuProf ? { ...process.env, THREADWAL_BENCH_CPU_PROF: join(cpuProf, id) } : process.env;
  const child = fork(runCaseEntry, args, { execArgv, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  const keep = (b: Buffer): void => {
    output = (output + b.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return new Promise((done) => {
    let result: CaseResult | null = null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ id, status: 'timeout', note: `killed after ${round(timeoutMs / 1000, 1)} s` });
    }, timeoutMs);
    child.on('message', (m: CaseResult) => {
      result = m;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result) return done(result);
      const tail = output.trim().split('\n').slice(-3).join(' | ');
      done({ id, status: 'error', note: `case process ended (${signal ?? `code ${code}`}) without a result${tail ? `: ${tail}` : ''}` });
    });
  });
}

/** Runs the suite; never throws for a case's sake (a failed case is a row). */
export async function runBench(opts: BenchOptions = {}): Promise<BenchReport> {
  const quick = opts.quick === true;
  const log = opts.log ?? ((s: string) => void process.stderr.write(`${s}\n`));
  const { ids: wanted, unknown } = selectCases(opts.cases ?? CASES.map((c) => c.id));
  if (unknown.length) throw new UsageError(`unknown case(s): ${unknown.join(', ')}; known: ${CASES.map((c) => c.id).join(', ')}, a group number 1-9, a prefix like tw-*, or threadwal`);
  const parent = resolve(opts.dir ?? join(repoRoot, '.bench-data'));
  mkdirSync(parent, { recursive: true });
  const shared = mkdtempSync(join(parent, 'run-'));
  const fs = fsName(shared);
  const sizes = lineSizes();
  const started = new Date();
  const loadAtStart = loadavg();
  const t0 = now();
  log(`threadwal bench ${quick ? '--quick (0.15 s warm-up + 0.6 s per case, 64 MiB big file; a smoke run, not a measurement)' : '(1 s warm-up + 4 s per case, 1 GiB big file)'}`);
  log(`node ${process.version}, ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}, data in ${shared} (${fs}); lines ${sizes.min}–${sizes.max} B, mean ${sizes.mean} B`);
  if (fs === 'tmpfs') log('WARNING: the data directory is on tmpfs, where fdatasync is a no-op: pass --dir on a disk-backed filesystem');

  const results: CaseResult[] = [];
  const cleanupData = (): void => {
    if (!opts.keep) rmSync(shared, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    cleanupData();
    process.kill(process.pid, sig);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const [n, spec] of CASES.filter((c) => wanted.includes(c.id)).entries()) {
      const left = QUICK_BUDGET_MS - (now() - t0);
      if (quick && left < 1500) {
        results.push({ id: spec.id, status: 'skipped', note: 'over the --quick time budget' });
        log(`[${n + 1}/${wanted.length}] ${spec.id}: skipped (quick budget)`);
        continue;
      }
      const limit = quick ? Math.min(QUICK_CASE_TIMEOUT_MS, left) : spec.timeoutS !== undefined ? spec.timeoutS * 1000 : spec.group === 7 ? FULL_BIG_CASE_TIMEOUT_MS : FULL_CASE_TIMEOUT_MS;
      const tc = now();
      const r = await runOne(spec.id, shared, quick, limit, opts.cpuProf);
      results.push(r);
      const what = r.status === 'ok'
        ? r.eventsPerSec !== undefined ? `${Math.round(r.eventsPerSec).toLocaleString('en-US')} ev/s` : (r.detail ?? 'ok')
        : `${r.status.toUpperCase()} ${r.note ?? ''}`;
      log(`[${n + 1}/${wanted.length}] ${spec.id}: ${what} (${round((now() - tc) / 1000, 1)} s)`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanupData();
  }

  const targets = judgeTargets(results, quick);
  const table = renderTable(results);
  const failed = results.filter((r) => r.status === 'error');
  if (opts.out) {
    const record = {
      schema: 'threadwal-bench/1',
      startedAt: started.toISOString(),
      seconds: round((now() - t0) / 1000, 1),
      quick,
      commit: gitCommit(),
      machine: { node: process.version, platform: `${process.platform}-${process.arch}`, cores: cpus().length, cpu: cpus()[0]?.model, loadavgAtStart: loadAtStart, loadavgAtEnd: loadavg(), dataFs: fs },
      workload: { lineBytes: sizes, durability: 'fdatasync (fsync for case 1 and sonic-boom) before an event counts as acknowledged' },
      cases: results.map((r) => ({ ...r, title: CASES.find((c) => c.id === r.id)?.title, ratioToCase1: ratioToBaseline(results, r) })),
      targets,
    };
    mkdirSync(resolve(opts.out, '..'), { recursive: true });
    writeFileSync(opts.out, `${JSON.stringify(record, null, 2)}\n`);
  }
  return { results, targets, table, exitCode: failed.length > 0 ? 1 : 0 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      cases: { type: 'string' },
      'cpu-prof': { type: 'string' },
      dir: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: node dist-scripts/bench/index.js [--quick] [--out FILE] [--cases LIST] [--cpu-prof DIR] [--dir DIR] [--keep]');
    console.log('  --cases   comma-separated case ids, group numbers (1-9), prefixes like tw-*, or threadwal');
    for (const c of CASES) console.log(`  ${String(c.group)}  ${c.id.padEnd(14)} ${c.title}`);
    return;
  }
  const t0 = now();
  const report = await runBench({
    quick: values.quick,
    out: values.out,
    cases: values.cases?.split(',').map((s) => s.trim()).filter(Boolean),
    cpuProf: values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined,
    dir: values.dir,
    keep: values.keep,
  });
  console.log('');
  console.log(report.table);
  console.log('');
  for (const r of report.results) {
    if (!r.section) continue;
    console.log(r.section);
    console.log('');
  }
  const ratios = renderLatencyRatios(report.results);
  if (ratios) {
    console.log('Latency beside the floor (bare thread hop) and raw write+fdatasync, same run (ratios p50 / p99 / p99.9):');
    console.log(ratios);
    console.log('');
  }
  console.log('Targets (judged on this run; a MISS never fails the run):');
  console.log(renderTargets(report.targets));
  console.log('');
  console.log('ack p50/p99/p99.9: append → durable per "ack is per" unit; CPU µs/ev: CPU time of the producing thread(s) per event; MB = 10^6 B.');
  const failed = report.results.filter((r) => r.status === 'error');
  console.log(`${report.results.length} cases in ${round((now() - t0) / 1000, 1)} s (load now ${loadavg()[0]!.toFixed(2)}): ` +
    `${report.results.filter((r) => r.status === 'ok').length} ok, ${failed.length} failed` +
    `${values.out ? `; JSON written to ${values.out}` : ''}`);
  if (failed.length) console.log(`failed: ${failed.map((r) => r.id).join(', ')}`);
  process.exitCode = report.exitCode;
}

/** True when this file is the process's entry point (through symlinks too), not imported. */
function isEntry(): boolean {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntry()) {
  await main().catch((err: unknown) => {
    if (!(err instanceof UsageError) && !(err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) throw err;
    console.error(`bench: ${err.message}`);
    process.exitCode = 2;
  });
}
