// `pnpm demo`: a small multi-threaded job runner on one threadwal WAL. The main thread and
// four worker threads keep many jobs in flight, each job writing its lifecycle
// (submitted → validated → started → commands → completed/failed) and awaiting every
// event's durable ack before its next step. Then it prints what the log achieved and checks
// the result with the `threadwal` CLI (verify, stats), as a user would.
import { Worker } from 'node:worker_threads';
import { mkdtempSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { openWal, type Wal } from '@threadwal/client';
import { runJobs, type ThreadResult } from './demo/jobs.js';
import type { DemoWorkerData, FromWorker, ToWorker } from './demo/protocol.js';
import { bold, dim, fmtBytes, fmtInt, fmtMs, quantile, table } from './demo/report.js';

const WORKERS = 4;
/** THREADWAL_DEMO_MS shortens the run (the demo's own test uses it). */
const RUN_MS = Number(process.env.THREADWAL_DEMO_MS ?? 5_000);
/** Jobs each thread keeps in flight; each waits for its own acks, so this is also the events in flight per thread. */
const IN_FLIGHT = 64;
const ROTATE = { maxSizeBytes: 4 * 1024 * 1024, maxRotations: 5 };

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'packages/cli/bin/threadwal.js');
// Each run keeps its files for the commands it suggests; earlier runs' are removed here, so
// repeated demos never pile up in the temp dir.
const earlier = readdirSync(tmpdir()).filter((n) => n.startsWith('threadwal-demo-'));
for (const n of earlier) {
  try {
    rmSync(join(tmpdir(), n), { recursive: true, force: true });
  } catch {
    // Another user's, or in use: not ours to remove.
  }
}
const dir = mkdtempSync(join(tmpdir(), 'threadwal-demo-'));
const path = join(dir, 'jobs.wal');

console.log(`
${bold('threadwal demo')}
A job runner with ${WORKERS + 1} threads (the main thread and ${WORKERS} workers) writes to one WAL.
Each thread keeps ${IN_FLIGHT} jobs in flight for ${RUN_MS / 1000} s. A job appends job_submitted,
job_validated, job_started, 1-3 command_executed, then job_completed or job_failed,
and awaits each event's durable ack (written and fdatasync'ed) before its next step.
The writer thread rotates the log at ${fmtBytes(ROTATE.maxSizeBytes)} and keeps ${ROTATE.maxRotations} rotated segments.

  WAL  ${path}
`);

function startWorker(wal: Wal, thread: string): { worker: Worker; ready: Promise<void>; done: Promise<ThreadResult> } {
  const port = wal.port();
  const data: DemoWorkerData = { port, thread, inFlight: IN_FLIGHT };
  const worker = new Worker(new URL('./demo/worker.js', import.meta.url), { workerData: data, transferList: [port] });
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => { onReady = resolve; });
  const done = new Promise<ThreadResult>((resolve, reject) => {
    worker.on('message', (msg: FromWorker) => {
      switch (msg.type) {
        case 'ready': onReady(); break;
        case 'done': resolve(msg.result); break;
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`${thread} exited with code ${code} before reporting`)));
  });
  done.catch(() => onReady()); // a worker that dies while starting must not hang the start barrier
  return { worker, ready, done };
}

/** On a TTY, one status line that the writer's counters refresh while the jobs run. */
function liveStatus(wal: Wal, t0: number): () => void {
  if (!process.stdout.isTTY) return () => {};
  const timer = setInterval(() => {
    wal.stats().then((s) => {
      const secs = (performance.now() - t0) / 1000;
      process.stdout.write(`\r  running  ${secs.toFixed(1)} s  ${fmtInt(s.events)} durable events  ${s.rotations} rotation${s.rotations === 1 ? "" : "s"}   `);
    }, () => {});
  }, 200);
  return () => { clearInterval(timer); process.stdout.write('\r\x1b[2K'); };
}

const wal = await openWal(path, { rotate: ROTATE });
const workers = Array.from({ length: WORKERS }, (_, i) => startWorker(wal, `w${i + 1}`));
await Promise.all(workers.map((w) => w.ready));

const t0 = performance.now();
const stopStatus = liveStatus(wal, t0);
const go: ToWorker = { type: 'go', durationMs: RUN_MS };
for (const w of workers) w.worker.postMessage(go);
const results = await Promise.all([runJobs(wal, 'main', t0 + RUN_MS, IN_FLIGHT), ...workers.map((w) => w.done)]);
const seconds = (performance.now() - t0) / 1000;
stopStatus();
const stats = await wal.stats();
await wal.close();

let total = 0;
for (const r of results) total += r.latenciesUs.length;
const all = new Float32Array(total);
let at = 0;
for (const r of results) { all.set(r.latenciesUs, at); at += r.latenciesUs.length; }
all.sort();

const events = results.reduce((n, r) => n + r.events, 0);
const jobs = results.reduce((n, r) => n + r.jobs, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(bold('What happened'));
console.log(table([
  ['jobs run', fmtInt(jobs), `${fmtInt(failed)} failed on purpose`],
  ['durable events', fmtInt(events), `in ${seconds.toFixed(2)} s`],
  ['durable events/s', fmtInt(events / seconds), 'every one acknowledged only once on disk'],
  ['ack latency p50', fmtMs(quantile(all, 0.5)), 'append() call → promise resolved'],
  ['ack latency p99', fmtMs(quantile(all, 0.99))],
  ['batches written', fmtInt(stats.batches), `${fmtInt(events / Math.max(1, stats.batches))} events per batch on average`],
  ['fsyncs', fmtInt(stats.fsyncs), 'one per batch (group commit)'],
  ['rotations', fmtInt(stats.rotations), stats.rotations > ROTATE.maxRotations
    ? `the newest ${ROTATE.maxRotations} rotated segments are kept, older ones deleted`
    : `at ${fmtBytes(ROTATE.maxSizeBytes)}, by the writer thread, between two batches`],
  ['bytes written', fmtBytes(stats.bytes)],
]));
console.log(dim(`  events per thread: ${results.map((r) => `${r.thread} ${fmtInt(r.events)}`).join(', ')}`));
// Shared machines happen: say so when others were competing for the cores and the disk.
const load = loadavg()[0] ?? 0;
if (load > availableParallelism()) {
  console.log(dim(`  (this machine was busy: load average ${load.toFixed(1)} on ${availableParallelism()} cores, so these figures are lower than it can do)`));
}

/** Runs the built CLI as a user would, echoing the command line first. */
function threadwal(...args: string[]): number {
  console.log(`\n${bold(`$ threadwal ${args.join(' ')}`)}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  return r.status ?? 1;
}

if (!existsSync(join(root, 'packages/cli/dist/src/index.js'))) {
  console.log(`\n(the threadwal CLI is not built, so verify and stats are skipped: run \`node scripts/build.mjs\`)`);
  rmSync(dir, { recursive: true, force: true });
} else {
  const verified = threadwal('verify', path);
  threadwal('stats', path);
  const next: Array<[string, string]> = [
    [`threadwal cat --pretty ${path} | head`, 'the events, oldest first'],
    [`threadwal tail -f ${path}`, 'follow new events, across rotations'],
  ];
  const width = Math.max(...next.map(([c]) => c.length));
  // In a checkout nothing puts `threadwal` on PATH (an installed package does: npx threadwal).
  console.log(`\n${bold('Next')}, in this shell:`);
  console.log(`  alias threadwal='node ${cli}'`);
  for (const [cmd, what] of next) console.log(`  ${cmd.padEnd(width)}   ${dim(what)}`);
  const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  console.log(`\nThe files (${fmtBytes(bytes)}) stay in ${dir} for these commands; the next demo removes them, or now:`);
  console.log(`  rm -r ${dir}`);
  process.exitCode = verified;
}
