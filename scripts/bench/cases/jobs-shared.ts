// What the job-runner group's three modules share (jobs.ts, jobs-run.ts, jobs-task.ts); no
// side effects, so the case process can import it without starting a pool or a task.
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
  /** threadwal variants: the writer's fdatasyncs per second, and events and batch messages per fdatasync, over the measured interval. */
  fsyncsPerSec?: number;
  eventsPerSync?: number;
  messagesPerSync?: number;
}

/** The job's CPU work: `n` rounds of an integer hash (no allocation); jobs.ts calibrates `n` to ~0.2 ms. */
export function work(n: number): number {
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < n; i++) x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i) | 0;
  return x >>> 0;
}
