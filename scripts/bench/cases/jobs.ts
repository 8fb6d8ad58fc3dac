// Group 9 (issue 21, item 4): a job runner on a worker pool, the seed's own use. piscina,
// 4 threads, concurrentTasksPerWorker 16, 64 jobs in flight; each job awaits a durable
// `job_started`, does ~0.2 ms of CPU work, awaits a durable `job_completed` (jobs-task.ts).
// Each variant runs in its own process (jobs-run.ts) so its peak RSS is its own; variants are
// interleaved within the case (order reversed every other round), ratios taken to the
// no-logging ceiling of the same round, then the median over rounds.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { now, round, type CaseResult } from '../lib/measure.js';
import { PeerProcess } from '../lib/peer-process.js';
import { median, textTable } from '../lib/text-table.js';
import { Unavailable, benchVariantWanted, importPeer, type CaseContext } from '../lib/workload.js';
import { IN_FLIGHT, PER_THREAD, THREADS, work, type JobVariant, type JobsResult } from './jobs-shared.js';

/** `quick`: run by --quick too (threadwal's paths and the ceiling; the peers are full runs only, for the 60 s budget). */
const VARIANTS: ReadonlyArray<{ id: JobVariant; label: string; quick: boolean; peer?: string }> = [
  { id: 'none', label: 'no logging (the ceiling)', quick: true },
  { id: 'tw-port', label: 'threadwal, one port per task (README pattern)', quick: true },
  { id: 'tw-thread', label: 'threadwal, one client per thread kept across tasks', quick: true },
  { id: 'lmdb', label: 'lmdb-js put().flushed', quick: false, peer: 'lmdb' },
  { id: 'sqlite', label: 'better-sqlite3 WAL, synchronous=FULL', quick: false, peer: 'better-sqlite3' },
  { id: 'seed', label: "seed's design: lock + write + fsync per event", quick: false },
];
const CEILING: JobVariant = 'none';
const WORK_US = 200;
const runEntry = fileURLToPath(new URL('./jobs-run.js', import.meta.url));

/** KiB of jobs-task.ts's work() that take ~0.2 ms here (timed in this process once warm). */
function calibrate(): number {
  let sink = 0;
  for (let k = 0; k < 200; k++) sink ^= work(10); // warm up
  const samples: number[] = [];
  for (let k = 0; k < 9; k++) {
    const t = now();
    sink ^= work(2000);
    samples.push((now() - t) * 1000); // µs for 2000 KiB
  }
  if (sink === 42) process.stdout.write(''); // keep the result alive
  const us = median(samples)!;
  return Math.max(1, Math.round((2000 * WORK_US) / us));
}

async function unavailableReason(peer: string | undefined, dir: string): Promise<string | null> {
  if (!peer) return null;
  try {
    const m = await importPeer<{ default?: new (p: string) => { close(): void }; open?: (o: object) => { close(): Promise<void> } }>(peer);
    // Loading is not enough for a native addon: open a store once.
    if (peer === 'better-sqlite3') new m.default!(join(dir, 'probe.db')).close();
    if (peer === 'lmdb') await m.open!({ path: join(dir, 'probe.lmdb') }).close();
    return null;
  } catch (err) {
    return err instanceof Unavailable ? err.message : `${peer} cannot open a store: ${(err as Error).message.split('\n')[0]}`;
  }
}

interface Run {
  variant: JobVariant;
  round: number;
  jobsPerSec: number;
  p50Us: number | null;
  p99Us: number | null;
  peakRssMb: number | null;
  lostJobs: number | null;
  cpuUsPerJob: number | null;
  cpuMain: number | null;
  cpuPool: number | null;
  cpuTop: number | null;
  cpuRest: number | null;
  fsyncsPerSec: number | null;
  eventsPerSync: number | null;
  messagesPerSync: number | null;
}

export async function jobsPiscina(ctx: CaseContext): Promise<CaseResult> {
  await importPeer('piscina');
  const rounds = ctx.quick ? 1 : 3;
  const warmS = ctx.quick ? 0.1 : 1;
  const measureS = ctx.quick ? 0.3 : 4;
  const iters = calibrate();
  const skipped = new Map<JobVariant, string>();
  for (const v of VARIANTS) {
    const why = !benchVariantWanted(v.id) ? 'not in THREADWAL_BENCH_VARIANTS' : ctx.quick && !v.quick ? 'full runs only' : await unavailableReason(v.peer, ctx.dir);
    if (why) skipped.set(v.id, why);
  }
  rmSync(join(ctx.dir, 'probe.db'), { force: true });
  rmSync(join(ctx.dir, 'probe.lmdb'), { recursive: true, force: true });
  const runs: Run[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = (r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()).filter((v) => !skipped.has(v.id));
    for (const v of order) {
      const dir = mkdtempSync(join(ctx.dir, `${v.id}-`));
      const p = new PeerProcess(`jobs (${v.id})`, runEntry, [v.id, dir, String(iters), String(warmS), String(measureS)], null);
      try {
        const { result: m } = await p.next<{ result: JobsResult }>('result', (warmS + measureS + 60) * 1000);
        await p.exited;
        const lost = m.recordsFound === undefined ? null : Math.max(0, m.jobsDone - m.recordsFound);
        runs.push({ variant: v.id, round: r, jobsPerSec: Math.round(m.jobs / m.seconds), p50Us: m.p50Us ?? null, p99Us: m.p99Us ?? null, peakRssMb: m.peakRssMb, lostJobs: lost,
          cpuUsPerJob: m.cpuUsPerJob ?? null, cpuMain: m.cpuSplit?.main ?? null, cpuPool: m.cpuSplit?.pool ?? null, cpuTop: m.cpuSplit?.top ?? null, cpuRest: m.cpuSplit?.rest ?? null,
          fsyncsPerSec: m.fsyncsPerSec ?? null, eventsPerSync: m.eventsPerSync ?? null, messagesPerSync: m.messagesPerSync ?? null });
      } finally {
        await p.kill();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return summarize(ctx, runs, skipped, { rounds, warmS, measureS, iters });
}

const fmtN = (x: number | undefined, digits = 0, paren?: number): string =>
  x === undefined ? '' : `${digits ? x.toFixed(digits) : Math.round(x).toLocaleString('en-US')}${paren === undefined ? '' : ` (${paren.toFixed(1)})`}`;
const fmtUs = (x: number | undefined): string => (x === undefined ? '' : x < 1000 ? `${Math.round(x)} µs` : `${(x / 1000).toFixed(x < 10_000 ? 2 : 1)} ms`);

function summarize(ctx: CaseContext, runs: Run[], skipped: Map<JobVariant, string>, how: { rounds: number; warmS: number; measureS: number; iters: number }): CaseResult {
  const rows: string[][] = [];
  const variants: Array<Record<string, number | string | boolean | null>> = [];
  const metrics: Record<string, number | string | boolean> = { ...how, threads: THREADS, concurrentTasksPerWorker: PER_THREAD, inFlight: IN_FLIGHT };
  const failures: string[] = [];
  for (const v of VARIANTS) {
    const why = skipped.get(v.id);
    if (why) {
      rows.push([v.label, 'skipped', '', '', '', '', '', '', '', '', '', why]);
      variants.push({ variant: v.id, label: v.label, skipped: why });
      continue;
    }
    const mine = runs.filter((x) => x.variant === v.id);
    const med = (k: 'jobsPerSec' | 'p50Us' | 'p99Us' | 'peakRssMb' | 'cpuUsPerJob' | 'cpuMain' | 'cpuPool' | 'cpuTop' | 'cpuRest' | 'fsyncsPerSec' | 'eventsPerSync' | 'messagesPerSync'): number | undefined => median(mine.map((x) => x[k]).filter((x): x is number => typeof x === 'number'));
    const ratio = (k: 'jobsPerSec' | 'peakRssMb'): number | undefined => median(mine.map((x) => {
      const base = runs.find((y) => y.variant === CEILING && y.round === x.round)?.[k];
      const mineK = x[k];
      return typeof base === 'number' && typeof mineK === 'number' && base > 0 ? mineK / base : NaN;
    }));
    const lost = mine.some((x) => x.lostJobs !== null) ? mine.reduce((n, x) => n + (x.lostJobs ?? 0), 0) : null;
    if (lost) failures.push(`${v.id}: ${lost} completed job(s) without their job_completed record`);
    const x = ratio('jobsPerSec');
    const xr = ratio('peakRssMb');
    rows.push([
      v.label, med('jobsPerSec') !== undefined ? Math.round(med('jobsPerSec')!).toLocaleString('en-US') : '', x === undefined ? '' : `×${x.toFixed(2)}`,
      fmtUs(med('p50Us')), fmtUs(med('p99Us')), fmtN(med('cpuUsPerJob')), [med('cpuMain'), med('cpuPool'), med('cpuTop'), med('cpuRest')].map((x) => fmtN(x)).join(' / '), fmtN(med('fsyncsPerSec')), fmtN(med('eventsPerSync'), 1, med('messagesPerSync')),
      med('peakRssMb') !== undefined ? String(Math.round(med('peakRssMb')!)) : '', xr === undefined ? '' : `×${xr.toFixed(2)}`,
      lost === null ? '' : lost === 0 ? 'all there' : `${lost} MISSING`,
    ]);
    const agg = {
      variant: v.id, label: v.label, jobsPerSec: med('jobsPerSec') ?? null, ratioToCeiling: x ?? null, p50Us: med('p50Us') ?? null, p99Us: med('p99Us') ?? null,
      cpuUsPerJob: med('cpuUsPerJob') ?? null, cpuMainUs: med('cpuMain') ?? null, cpuPoolUs: med('cpuPool') ?? null, cpuTopOtherUs: med('cpuTop') ?? null, cpuRestUs: med('cpuRest') ?? null,
      fsyncsPerSec: med('fsyncsPerSec') ?? null, eventsPerSync: med('eventsPerSync') ?? null, messagesPerSync: med('messagesPerSync') ?? null,
      peakRssMb: med('peakRssMb') ?? null, rssRatio: xr ?? null, lostJobs: lost,
    };
    variants.push(agg);
    for (const [k, val] of Object.entries(agg)) if (typeof val === 'number') metrics[`${v.id}.${k}`] = round(val, 3);
  }
  const section = [
    `Job runner (${ctx.id}): piscina, ${THREADS} threads × concurrentTasksPerWorker ${PER_THREAD}, ${IN_FLIGHT} jobs in flight; a job = await durable job_started, ~${WORK_US} µs of CPU (SHA-256 over ${how.iters} KiB), await durable job_completed;`,
    `${how.rounds} round(s) of ${how.warmS} s warm-up + ${how.measureS} s measured per variant, each in its own process, interleaved (order reversed every other round); medians over rounds; × = ratio to the ceiling in the same round`,
    'CPU µs/job: the whole process (every thread, kernel time included); split: the main thread / the pool\'s 4 threads / the busiest other thread (the threadwal writer in its variants) / all other threads (schedstat per thread); fdatasyncs/s and events (batch messages) per sync: the threadwal writer\'s stats() over the measured interval',
    textTable(['variant', 'jobs/s', '× ceiling', 'job p50', 'job p99', 'CPU µs/job', 'split main/pool/top/rest', 'fdatasyncs/s', 'events (msgs) /sync', 'peak RSS MB', 'RSS ×', 'records after close'], rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])),
  ].join('\n');
  const tw = variants.find((v) => v.variant === 'tw-thread');
  const detail = `threadwal per-thread client ${typeof tw?.ratioToCeiling === 'number' ? `×${tw.ratioToCeiling.toFixed(2)}` : 'n/a'} of the no-logging ceiling (table below)`;
  const base = { id: ctx.id, detail, metrics, section, variants, runs: runs as unknown as Array<Record<string, number | string | boolean | null>> };
  if (failures.length) return { ...base, status: 'error', note: `RECORDS MISSING: ${failures.join('; ')}` };
  return { ...base, status: 'ok' };
}
