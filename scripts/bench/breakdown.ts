// Issue 15's latency breakdown: `node dist-scripts/bench/breakdown.js [--seconds N] [--rates 1000,10000] [--dir DIR]`.
// Runs threadwal's paced rows (paced.ts's offer(), 1 s warm-up) with THREADWAL_TRACE=1 (it
// re-executes itself with it set) and prints, per rate, p50/p99 of every step of an awaited
// append: producer → writer wake-up, queueing, lock, write, fdatasync, acks, writer →
// producer wake-up, promise resolution, plus event-loop delay and GC pauses of both threads.
// Tracing costs a few clock reads per batch and a 5 ms loop-delay timer in each thread, so
// its totals run a little above the untraced bench rows; compare steps within one run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { TraceSummary } from '@threadwal/core';
import { Latency } from './lib/measure.js';
import { loadClient } from './lib/producer.js';
import { event } from './lib/workload.js';
import { offer, type Appender } from './cases/paced.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

async function one(dir: string, rate: number, seconds: number): Promise<{ producer: TraceSummary; writer: TraceSummary; meanBatch: number }> {
  const { openWal } = await loadClient();
  const { threadTrace, absNow } = await import('@threadwal/core');
  const wal = await openWal<string>(join(dir, `trace-${rate}.wal`));
  const appender: Appender = {
    append: (i) => wal.append(event(i)).then((seq) => {
      threadTrace.record('8 ack handled → await resumes', absNow() - threadTrace.lastAckAt);
      return seq;
    }),
    flush: () => wal.flush(),
  };
  try {
    const warm = await offer(appender, rate, 1, 0, null);
    await wal.stats(); // resets the writer's trace
    threadTrace.reset();
    const lat = new Latency();
    const total = { recordMs: (ms: number) => { lat.recordMs(ms); threadTrace.record('total: scheduled → await resumes', ms); } } as unknown as Latency;
    await offer(appender, rate, seconds, warm.events, total);
    const s = await wal.stats();
    return { producer: threadTrace.summary(), writer: s.trace ?? {}, meanBatch: s.meanBatch };
  } finally {
    await wal.close();
  }
}

const us = (x: number | undefined): string => (x === undefined ? '' : x < 1000 ? `${Math.round(x)} µs` : `${(x / 1000).toFixed(2)} ms`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '4' }, rates: { type: 'string', default: '1000,10000' }, dir: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (process.env.THREADWAL_TRACE !== '1') {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, THREADWAL_TRACE: '1' } });
    process.exitCode = r.status ?? 1;
    return;
  }
  const parent = resolve(values.dir ?? join(repoRoot, '.bench-data'));
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'breakdown-'));
  try {
    const rates = values.rates.split(',').map(Number);
    const runs: Array<{ rate: number; producer: TraceSummary; writer: TraceSummary; meanBatch: number }> = [];
    for (const rate of rates) runs.push({ rate, ...(await one(dir, rate, Number(values.seconds))) });
    if (values.json) return void console.log(JSON.stringify(runs, null, 2));
    const names = [...new Set(runs.flatMap((r) => [...Object.keys(r.producer), ...Object.keys(r.writer)]))].sort();
    const header = ['step', ...runs.flatMap((r) => [`${r.rate / 1000}k/s p50`, 'p99', 'max', 'n'])];
    const rows = names.map((n) => [n, ...runs.flatMap((r) => {
      const p = r.producer[n] ?? r.writer[n];
      return p ? [us(p.p50Us), us(p.p99Us), us(p.maxUs), String(p.n)] : ['', '', '', ''];
    })]);
    rows.push(['mean batch (events)', ...runs.flatMap((r) => [r.meanBatch.toFixed(1), '', '', ''])]);
    const w = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
    const fmt = (row: string[]): string => row.map((cell, c) => (c === 0 ? cell.padEnd(w[c]!) : cell.padStart(w[c]!))).join('  ');
    console.log([fmt(header), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(fmt)].join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
