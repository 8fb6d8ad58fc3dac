// What the job-runner group's three modules share (jobs.ts, jobs-run.ts, jobs-task.ts); no
// side effects, so the case process can import it without starting a pool or a task.
import { createHash } from 'node:crypto';
import type { MessagePort } from 'node:worker_threads';

export const THREADS = 4;
export const PER_THREAD = 16;
export const IN_FLIGHT = 64;

export type JobVariant = 'none' | 'tw-port' | 'tw-thread' | 'lmdb' | 'sqlite' | 'seed';

export type JobTask =
  | { kind: 'job'; i: number; port?: MessagePort }
  /** tw-thread only: hands a thread its client's port (see connectThreads in jobs-run.ts). */
  | { kind: 'connect'; port: MessagePort };

export interface JobsResult {
  jobs: number;
  seconds: number;
  p50Us?: number;
  p99Us?: number;
  peakRssMb: number | null;
  /** File-backed variants: `job_completed` records found after the pool and the store closed. */
  recordsFound?: number;
  /** Jobs completed in warm-up and measurement (what recordsFound is checked against). */
  jobsDone: number;
  /** CPU of the whole process (every thread) per job over the measured interval, µs. */
  cpuUsPerJob?: number;
  /** Context switches of every thread of the process (voluntary + involuntary) per job over the measured interval. */
  switchesPerJob?: number;
  /** CPU µs per job by thread over the measured interval: the main thread, the pool's threads, the busiest other thread (the threadwal writer in its variants), all other threads. */
  cpuSplit?: { main: number; pool: number; top: number; rest: number };
  /** threadwal variants: the writer's fdatasyncs per second, and events and batch messages per fdatasync, over the measured interval. */
  fsyncsPerSec?: number;
  eventsPerSync?: number;
  messagesPerSync?: number;
}

/** What one unit of the job's CPU work hashes. */
const BLOCK = Buffer.alloc(1024, 0x5a);

/**
 * The job's CPU work: SHA-256 over `n` KiB (native code, no allocation but the digest);
 * jobs.ts calibrates `n` to ~0.2 ms. Not a JavaScript loop: an integer-hash loop's speed
 * depended on what else V8 inlined into the task function. Beside threadwal's inlined
 * append, TurboFan kept the loop's accumulator in a stack slot instead of a register
 * (--print-opt-code), each iteration then waited on a store-to-load forward, and the
 * same 0.2 ms of work took ~0.45 ms of CPU: the tw-thread row measured V8's register
 * allocation, not the WAL (docs/PERFORMANCE.md, job runner).
 */
export function work(n: number): number {
  const h = createHash('sha256');
  for (let i = 0; i < n; i++) h.update(BLOCK);
  return h.digest().readUInt32BE(0);
}
