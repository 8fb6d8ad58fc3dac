// Entry of one job-runner variant's process: `node jobs-run.js <variant> <dir> <iters> <warmS>
// <measureS>`, spawned by jobs.ts with an IPC channel (a process per variant, so that its
// peak RSS is its own). A piscina pool of 4 threads with concurrentTasksPerWorker 16, kept at
// 64 jobs in flight by 64 lanes that each submit a job as soon as their previous one is done.
// Sends { type: 'result', ... } and exits.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { Latency, now } from '../lib/measure.js';
import { countInDir } from '../lib/count-matches.js';
import { procCpu, procMem, procSwitches, procThreadCpu } from '../lib/proc.js';
import { importPeer } from '../lib/workload.js';
import { IN_FLIGHT, PER_THREAD, THREADS, type JobTask, type JobVariant, type JobsResult } from './jobs-shared.js';

interface Pool {
  run(task: JobTask, opts?: { transferList?: MessagePort[] }): Promise<number | null>;
  destroy(): Promise<void>;
}
type PiscinaCtor = new (opts: object) => Pool;
interface WriterCounts {
  fsyncs: number;
  events: number;
  received?: number;
}
interface Wal {
  port(): MessagePort;
  stats(): Promise<WriterCounts>;
  close(): Promise<void>;
  /** Serves walForThread() to the pool's threads (issue 21); absent in builds before it. */
  serveThreads?(pool: Pool): () => void;
}

const taskFile = fileURLToPath(new URL('./jobs-task.js', import.meta.url));

/**
 * tw-thread in a build without walForThread (kept for before/after runs): a 'connect' task per thread, each with a port from wal.port(),
 * until every thread of the pool reports its client (a thread that has one closes the
 * spare). piscina does not let the caller pick a thread, hence the loop.
 */
async function connectThreads(pool: Pool, wal: Wal): Promise<void> {
  const connected = new Set<number>();
  for (let attempt = 0; connected.size < THREADS; attempt++) {
    if (attempt === 50) throw new Error(`only ${connected.size} of ${THREADS} pool threads got a client after 50 rounds of connect tasks`);
    const wanted = THREADS - connected.size;
    const answers = await Promise.all(Array.from({ length: wanted }, () => {
      const port = wal.port();
      return pool.run({ kind: 'connect', port }, { transferList: [port] });
    }));
    for (const id of answers) if (typeof id === 'number') connected.add(id);
  }
}

/** CPU µs per job by thread between two procThreadCpu snapshots (a thread born in between counts from 0). */
function cpuSplit(before: Map<number, number>, after: Map<number, number>, pool: Set<number>, jobs: number): NonNullable<JobsResult['cpuSplit']> {
  const split = { main: 0, pool: 0, top: 0, rest: 0 };
  const others: number[] = [];
  for (const [tid, ns] of after) {
    const us = (ns - (before.get(tid) ?? 0)) / 1000 / jobs;
    if (tid === process.pid) split.main += us;
    else if (pool.has(tid)) split.pool += us;
    else others.push(us);
  }
  others.sort((a, b) => b - a);
  split.top = others[0] ?? 0;
  split.rest = others.slice(1).reduce((a, b) => a + b, 0);
  return split;
}

async function main(): Promise<JobsResult> {
  const [variant, dir, itersS, warmS, measureS] = process.argv.slice(2) as [JobVariant, string, string, string, string];
  const iters = Number(itersS);
  const file = variant === 'lmdb' ? join(dir, 'jobs.lmdb') : variant === 'sqlite' ? join(dir, 'jobs.db') : join(dir, 'jobs.wal');
  let wal: Wal | null = null;
  if (variant === 'tw-port' || variant === 'tw-thread') {
    const { openWal } = await importPeer<{ openWal(p: string): Promise<Wal> }>('@threadwal/client');
    wal = await openWal(file);
  }
  if (variant === 'sqlite') {
    const Database = (await importPeer<{ default: new (p: string) => { pragma(s: string): unknown; exec(s: string): void; close(): void } }>('better-sqlite3')).default;
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    db.close();
  }
  const tids = new SharedArrayBuffer(4 * (THREADS + 4));
  const Piscina = (await importPeer<{ Piscina: PiscinaCtor }>('piscina')).Piscina;
  const pool = new Piscina({
    filename: taskFile, minThreads: THREADS, maxThreads: THREADS, concurrentTasksPerWorker: PER_THREAD,
    workerData: { variant, path: file, iters, tids },
  });
  if (variant === 'tw-thread') {
    if (wal!.serveThreads) wal!.serveThreads(pool);
    else await connectThreads(pool, wal!);
  }

  let next = 0;
  const runJob = (): Promise<unknown> => {
    const i = next++;
    if (variant !== 'tw-port') return pool.run({ kind: 'job', i });
    const port = wal!.port(); // one port per task, as the README shows
    return pool.run({ kind: 'job', i, port }, { transferList: [port] });
  };
  let done = 0;
  const phase = async (seconds: number, lat: Latency | null): Promise<number> => {
    const end = now() + seconds * 1000;
    let jobs = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (now() < end) {
        const t = now();
        await runJob();
        lat?.recordMs(now() - t);
        jobs += 1;
        done += 1;
      }
    }));
    return jobs;
  };
  await phase(Number(warmS), null);
  const lat = new Latency();
  const w0 = await wal?.stats();
  const cpu0 = procCpu(process.pid);
  const sw0 = procSwitches(process.pid);
  const th0 = procThreadCpu(process.pid);
  const t0 = now();
  const jobs = await phase(Number(measureS), lat);
  const ms = now() - t0;
  const cpu1 = procCpu(process.pid);
  const sw1 = procSwitches(process.pid);
  const th1 = procThreadCpu(process.pid);
  const w1 = await wal?.stats();
  const mem = procMem(process.pid);
  await pool.destroy();
  await wal?.close();
  const s = lat.summary('job');
  const result: JobsResult = { jobs, seconds: ms / 1000, p50Us: s?.p50Us, p99Us: s?.p99Us, peakRssMb: mem?.peakRssMb ?? null, jobsDone: done };
  if (cpu0 && cpu1 && jobs > 0) result.cpuUsPerJob = (cpu1.totalNs - cpu0.totalNs) / 1000 / jobs;
  if (jobs > 0) result.cpuSplit = cpuSplit(th0, th1, new Set(new Int32Array(tids).subarray(1)), jobs);
  if (sw0 !== null && sw1 !== null && jobs > 0) result.switchesPerJob = (sw1 - sw0) / jobs;
  if (w0 && w1) {
    const fsyncs = w1.fsyncs - w0.fsyncs;
    result.fsyncsPerSec = fsyncs / (ms / 1000);
    if (fsyncs > 0) {
      result.eventsPerSync = (w1.events - w0.events) / fsyncs;
      if (w0.received !== undefined && w1.received !== undefined) result.messagesPerSync = (w1.received - w0.received) / fsyncs;
    }
  }
  if (variant === 'tw-port' || variant === 'tw-thread' || variant === 'seed') [result.recordsFound] = countInDir(dir, ['"type":"job_completed"']);
  return result;
}

// The case process is gone (killed on a timeout); checked once too, for a parent that went
// away while this module loaded (before the listener existed).
process.on('disconnect', () => process.exit(1));
if (!process.connected) process.exit(1);
main().then(
  (result) => process.send!({ type: 'result', result }, () => process.exit(0)),
  (err: Error) => process.send!({ type: 'error', error: `${(err as { code?: string }).code ?? ''} ${err.message}`.trim() }, () => process.exit(1)),
);
