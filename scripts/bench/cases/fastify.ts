// Group 8 (issue 21): a real server. Fastify 5 with its default request logging (two pino
// lines per request through a child logger per request), one JSON route, autocannon -c 50 on
// 127.0.0.1, each destination in its own server process so /proc measures it alone: pinned
// (server on CPU 0, autocannon on CPU 1) or unpinned. Variants run interleaved within one
// case (every round runs each variant once, the order reversed every other round) and the
// ratios are taken to pino.destination() of the same round. After a graceful stop of each
// server the log is read back: a durable variant missing a served request's line fails the case.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { now, round, type CaseResult } from '../lib/measure.js';
import { countInDir } from '../lib/count-matches.js';
import { PeerProcess } from '../lib/peer-process.js';
import { procCpu, procMem, procThreadCpu } from '../lib/proc.js';
import { median, textTable } from '../lib/text-table.js';
import { benchVariantWanted, importPeer, type CaseContext } from '../lib/workload.js';
import type { LoadResult } from './fastify-load.js';
import type { Counters, Variant, WriterCounts } from './fastify-server.js';

/** `quick`: run by --quick too (threadwal's two and the baseline of the ratios; the rest are full runs only, for the 60 s budget). */
const VARIANTS: ReadonlyArray<{ id: Variant; label: string; durable: boolean; quick: boolean }> = [
  { id: 'none', label: 'no logging', durable: false, quick: false },
  { id: 'pino-dest', label: 'pino.destination() (NOT durable)', durable: false, quick: true },
  { id: 'pino-file', label: "pino transport 'pino/file' (NOT durable)", durable: false, quick: false },
  { id: 'tw-dest', label: 'threadwal pinoDestination', durable: true, quick: true },
  { id: 'tw-transport', label: 'threadwal pino-transport target', durable: true, quick: true },
  { id: 'pino-fsync', label: 'pino.destination({ sync, fsync })', durable: true, quick: false },
];
const BASE: Variant = 'pino-dest';
const CONNECTIONS = 50;
const INCOMING = '"msg":"incoming request"';
const COMPLETED = '"msg":"request completed"';

const serverEntry = fileURLToPath(new URL('./fastify-server.js', import.meta.url));
const loadEntry = fileURLToPath(new URL('./fastify-load.js', import.meta.url));

/** One variant's run in one round. */
interface Run {
  variant: Variant;
  round: number;
  reqPerSec: number;
  p50Us: number | null;
  p99Us: number | null;
  p999Us: number | null;
  mainCpuUsPerReq: number | null;
  procCpuUsPerReq: number | null;
  /** CPU of the busiest thread other than main (threadwal's writer in its pinoDestination variant), µs per request. */
  topOtherCpuUsPerReq: number | null;
  fsyncsPerSec: number | null;
  linesPerSync: number | null;
  peakRssMb: number | null;
  rssMb: number | null;
  /** Lines the server wrote (its own hook counts) that are not in the log after the stop. */
  missingLines: number;
  /** Lines in the log beyond those counts (pino's own lines, or requests the hooks never saw). */
  extraLines: number;
  /** 2xx responses autocannon got, minus the completions the server counted (in flight at a run's end). */
  clientMinusServer: number;
  stopMs: number;
  errors: number;
  /** CPU of the autocannon process over the measured interval, % of one core: near 100 it, not the server, sets the pace. */
  loaderCpuPct: number | null;
  /** CPU of the server process (all its threads) over the measured interval, % of one core. */
  serverCpuPct: number | null;
}

export const fastifyPinned = (ctx: CaseContext): Promise<CaseResult> => realServer(ctx, true);
export const fastifyUnpinned = (ctx: CaseContext): Promise<CaseResult> => realServer(ctx, false);

async function realServer(ctx: CaseContext, pinned: boolean): Promise<CaseResult> {
  if (pinned && ctx.quick) return { id: ctx.id, status: 'skipped', note: 'full runs only (--quick runs fastify-unpinned)' };
  if (pinned && (cpus().length < 2 || spawnSync('taskset', ['-c', '0', 'true']).status !== 0)) {
    return { id: ctx.id, status: 'unavailable', note: 'needs 2 CPUs and taskset' };
  }
  // Fail early and plainly when a peer is missing (the server and loader would fail later).
  await importPeer('fastify');
  await importPeer('autocannon');
  const rounds = ctx.quick ? 1 : 3;
  const warmS = ctx.quick ? 0.1 : 1.5;
  const measureS = ctx.quick ? 0.4 : 4;
  const loader = new PeerProcess('autocannon', loadEntry, [], pinned ? '1' : null);
  const runs: Run[] = [];
  try {
    await loader.next('ready', 30_000);
    // autocannon's own JIT warm-up, so that the first variant of round 1 does not pay for it.
    if (!ctx.quick) await runVariant(ctx, 'none', -1, pinned, loader, 2, 0.5);
    const chosen = VARIANTS.filter((v) => (v.quick || !ctx.quick) && benchVariantWanted(v.id));
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? chosen : [...chosen].reverse();
      for (const v of order) runs.push(await runVariant(ctx, v.id, r, pinned, loader, warmS, measureS));
    }
  } finally {
    loader.send({ type: 'exit' });
    await Promise.race([loader.exited, new Promise((r) => setTimeout(r, 3000))]);
    await loader.kill();
  }
  return summarize(ctx, pinned, runs, { rounds, warmS, measureS });
}

async function runVariant(ctx: CaseContext, variant: Variant, roundNo: number, pinned: boolean, loader: PeerProcess, warmS: number, measureS: number): Promise<Run> {
  const dir = mkdtempSync(join(ctx.dir, `${variant}-`));
  const t0 = now();
  const trace = (what: string): void => {
    if (process.env.THREADWAL_BENCH_TRACE) process.stderr.write(`${ctx.id} ${variant}: ${what} at ${Math.round(now() - t0)} ms\n`);
  };
  const server = new PeerProcess(`server (${variant})`, serverEntry, [variant, dir], pinned ? '0' : null);
  try {
    const { port } = await server.next<{ port: number }>('ready', 30_000);
    trace('ready');
    const load = (seconds: number, record: boolean): Promise<{ result: LoadResult }> =>
      loader.next('done', (seconds + 30) * 1000, { type: 'run', url: `http://127.0.0.1:${port}/`, connections: CONNECTIONS, seconds, record });
    const stats = (): Promise<{ counters: Counters; writer: WriterCounts | null }> => server.next('stats', 10_000, { type: 'stats' });
    const warm = (await load(warmS, false)).result;
    trace('warm');
    const s0 = await stats();
    const cpu0 = procCpu(server.pid);
    const th0 = procThreadCpu(server.pid);
    const load0 = procCpu(loader.pid);
    const tm0 = now();
    const m = (await load(measureS, true)).result;
    const cpu1 = procCpu(server.pid);
    const th1 = procThreadCpu(server.pid);
    const load1 = procCpu(loader.pid);
    const wallMs = now() - tm0;
    const loaderCpuPct = load0 && load1 ? round(((load1.totalNs - load0.totalNs) / 1e6 / wallMs) * 100) : null;
    const serverCpuPct = cpu0 && cpu1 ? round(((cpu1.totalNs - cpu0.totalNs) / 1e6 / wallMs) * 100) : null;
    const mem = procMem(server.pid);
    const s1 = await stats();
    trace('measured');
    const stopped = await server.next<{ counters: Counters; endMs: number }>('stopped', 60_000, { type: 'stop' });
    await server.exited;
    trace('stopped');
    const [incoming, completed] = countInDir(dir, [INCOMING, COMPLETED]) as [number, number];
    const logged = variant !== 'none';
    const want = stopped.counters;
    const missing = logged ? Math.max(0, want.received - incoming) + Math.max(0, want.completed - completed) : 0;
    const extra = logged ? Math.max(0, incoming - want.received) + Math.max(0, completed - want.completed) : 0;
    trace('counted');
    const served = s1.counters.completed - s0.counters.completed;
    const seconds = m.seconds;
    const perReq = (a: number | undefined, b: number | undefined): number | null =>
      a !== undefined && b !== undefined && served > 0 ? round((b - a) / 1000 / served, 1) : null;
    let fsyncsPerSec: number | null = null;
    let linesPerSync: number | null = null;
    if (s0.writer && s1.writer) {
      const fsyncs = s1.writer.fsyncs - s0.writer.fsyncs;
      fsyncsPerSec = Math.round(fsyncs / seconds);
      linesPerSync = fsyncs > 0 ? round((s1.writer.events - s0.writer.events) / fsyncs, 1) : null;
    } else if (variant === 'pino-fsync') {
      // sonic-boom with fsync: true calls fsyncSync after every write, one write per line.
      fsyncsPerSec = Math.round((2 * served) / seconds);
      linesPerSync = 1;
    }
    return {
      variant, round: roundNo,
      reqPerSec: Math.round(m.ok2xx / seconds),
      p50Us: m.p50Us ?? null, p99Us: m.p99Us ?? null, p999Us: m.p999Us ?? null,
      mainCpuUsPerReq: perReq(cpu0?.mainNs, cpu1?.mainNs),
      procCpuUsPerReq: perReq(cpu0?.totalNs, cpu1?.totalNs),
      topOtherCpuUsPerReq: perReq(0, busiestOther(server.pid, th0, th1)),
      fsyncsPerSec, linesPerSync,
      peakRssMb: mem?.peakRssMb ?? null, rssMb: mem?.rssMb ?? null,
      missingLines: missing, extraLines: extra,
      clientMinusServer: warm.ok2xx + m.ok2xx - want.completed,
      stopMs: round(stopped.endMs, 1),
      errors: warm.errors + m.errors + warm.non2xx + m.non2xx,
      loaderCpuPct, serverCpuPct,
    };
  } catch (err) {
    await server.kill();
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU ns between two snapshots of the busiest thread of `pid` that is not its main thread. */
function busiestOther(pid: number, before: Map<number, number>, after: Map<number, number>): number {
  let top = 0;
  for (const [tid, ns] of after) if (tid !== pid) top = Math.max(top, ns - (before.get(tid) ?? 0));
  return top;
}

const fmtUs = (x: number | null | undefined): string =>
  x === null || x === undefined ? '' : x < 1000 ? `${Math.round(x)} µs` : `${(x / 1000).toFixed(x < 10_000 ? 2 : 1)} ms`;
const fmtN = (x: number | null | undefined, digits = 0): string =>
  x === null || x === undefined ? '' : digits === 0 ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits);
const fmtX = (x: number | undefined): string => (x === undefined ? '' : `×${x.toFixed(2)}`);

function summarize(ctx: CaseContext, pinned: boolean, runs: Run[], how: { rounds: number; warmS: number; measureS: number }): CaseResult {
  const rows: string[][] = [];
  const variants: Array<Record<string, number | string | boolean | null>> = [];
  const metrics: Record<string, number | string | boolean> = { rounds: how.rounds, warmS: how.warmS, measureS: how.measureS, connections: CONNECTIONS, pinned };
  const failures: string[] = [];
  const ofRound = (v: Variant, r: number): Run | undefined => runs.find((x) => x.variant === v && x.round === r);
  for (const v of VARIANTS) {
    const mine = runs.filter((x) => x.variant === v.id);
    if (mine.length === 0) {
      rows.push([v.label, 'not run', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', 'full runs only']);
      continue;
    }
    const med = (k: keyof Run): number | undefined => median(mine.map((x) => x[k]).filter((x): x is number => typeof x === 'number'));
    // Ratios are taken within each round, then the median over rounds.
    const ratio = (k: keyof Run): number | undefined => median(mine.map((x) => {
      const base = ofRound(BASE, x.round)?.[k];
      const mineK = x[k];
      return typeof base === 'number' && typeof mineK === 'number' && base > 0 ? mineK / base : NaN;
    }));
    const missing = mine.reduce((n, x) => n + x.missingLines, 0);
    const extra = mine.reduce((n, x) => n + x.extraLines, 0);
    const inFlight = mine.map((x) => x.clientMinusServer);
    const errors = mine.reduce((n, x) => n + x.errors, 0);
    if (missing > 0 && v.durable) failures.push(`${v.id} lost ${missing} line(s)`);
    const check = v.id === 'none' ? '' : `${missing === 0 ? 'all there' : `${missing} MISSING`}${extra ? `, ${extra} extra` : ''}`;
    rows.push([
      v.label, fmtN(med('reqPerSec')), fmtX(ratio('reqPerSec')), fmtUs(med('p50Us')), fmtUs(med('p99Us')), fmtUs(med('p999Us')), fmtX(ratio('p99Us')),
      fmtN(med('mainCpuUsPerReq'), 1), fmtX(ratio('mainCpuUsPerReq')), fmtN(med('procCpuUsPerReq'), 1), fmtN(med('topOtherCpuUsPerReq'), 1), fmtN(med('fsyncsPerSec')), fmtN(med('linesPerSync'), 1),
      fmtN(med('peakRssMb')), fmtX(ratio('peakRssMb')), fmtN(med('serverCpuPct')), fmtN(med('loaderCpuPct')), `${check}${errors ? `; ${errors} errors/non-2xx` : ''}`,
    ]);
    const agg: Record<string, number | string | boolean | null> = {
      variant: v.id, label: v.label, durable: v.durable, reqPerSec: med('reqPerSec') ?? null, reqRatio: ratio('reqPerSec') ?? null,
      p50Us: med('p50Us') ?? null, p99Us: med('p99Us') ?? null, p999Us: med('p999Us') ?? null, p99Ratio: ratio('p99Us') ?? null,
      mainCpuUsPerReq: med('mainCpuUsPerReq') ?? null, cpuRatio: ratio('mainCpuUsPerReq') ?? null, procCpuUsPerReq: med('procCpuUsPerReq') ?? null,
      topOtherCpuUsPerReq: med('topOtherCpuUsPerReq') ?? null, fsyncsPerSec: med('fsyncsPerSec') ?? null, linesPerSync: med('linesPerSync') ?? null,
      peakRssMb: med('peakRssMb') ?? null, rssRatio: ratio('peakRssMb') ?? null, rssMb: med('rssMb') ?? null,
      missingLines: missing, extraLines: extra, inFlightAtEnd: inFlight.join('/'), errors, stopMs: med('stopMs') ?? null, loaderCpuPct: med('loaderCpuPct') ?? null, serverCpuPct: med('serverCpuPct') ?? null,
    };
    variants.push(agg);
    for (const [k, x] of Object.entries(agg)) if (typeof x === 'number' && k !== 'durable') metrics[`${v.id}.${k}`] = round(x, 3);
  }
  const where = pinned ? 'server pinned to CPU 0 (taskset), autocannon on CPU 1' : 'unpinned';
  const section = [
    `Real server (${ctx.id}): Fastify 5, default request logging (2 pino lines/request via a child logger), 1 JSON route, autocannon -c ${CONNECTIONS} on 127.0.0.1, ${where};`,
    `${how.rounds} round(s) of ${how.warmS} s warm-up + ${how.measureS} s measured per variant (a fresh server each), interleaved (order reversed every other round)${ctx.quick ? '' : ', after 2.5 s of load to warm autocannon'}; medians over rounds; × = ratio to pino.destination() in the same round`,
    textTable(
      ['destination', 'req/s', '×', 'p50', 'p99', 'p99.9', 'p99 ×', 'main CPU µs/req', 'CPU ×', 'proc CPU µs/req', 'busiest other thread µs/req', 'fdatasyncs/s', 'lines/sync', 'peak RSS MB', 'RSS ×', 'server CPU %', 'autocannon CPU %', 'lines after graceful stop'],
      rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]),
    ),
  ].join('\n');
  const tw = variants.find((x) => x.variant === 'tw-dest');
  const detail = `threadwal pinoDestination ${fmtX((tw?.reqRatio as number | null) ?? undefined)} pino.destination() req/s (table below)`;
  const base = { id: ctx.id, detail, metrics, section, variants, runs: runs as unknown as Array<Record<string, number | string | boolean | null>> };
  if (failures.length) return { ...base, status: 'error', note: `LINES MISSING after a graceful stop: ${failures.join('; ')}` };
  return { ...base, status: 'ok' };
}
