// Messages between the caller's thread (pool.ts) and the pool's workers (jobs.ts).
// Dependency-free; errors travel as core's WireError and are rebuilt into WalError.
import type { MessagePort } from 'node:worker_threads';
import type { RetentionPolicy, WireError } from '@threadwal/core';

/** Slot of the cancel flag (Int32) the caller sets when its AbortSignal fires. */
export const CANCEL_SLOT = 0;

/** Progress and cancellation of one job; `port` is transferred to the worker. */
export interface JobControl {
  cancel: SharedArrayBuffer;
  port: MessagePort | null;
}

export interface LockSettings {
  staleMs: number;
  timeoutMs: number;
}

export interface RotateJob {
  type: 'rotate';
  path: string;
  maxSizeBytes: number;
  maxRotations: number;
  lock: LockSettings;
}

export interface CleanupJob {
  type: 'cleanup';
  path: string;
  cutoff: number;
  lock: LockSettings;
  control: JobControl;
}

export interface VerifyJob {
  type: 'verify';
  path: string;
  deep: boolean;
  maxIssues: number;
  control: JobControl;
}

export interface CompressJob {
  type: 'compress';
  path: string;
  /** zlib level 1..9. */
  level: number;
  /** Only segments `{path}.N` with N >= this. */
  minIndex: number;
  lock: LockSettings;
  control: JobControl;
}

export interface RetentionJob {
  type: 'retention';
  path: string;
  policy: RetentionPolicy;
  /** Unix seconds. */
  now: number;
  lock: LockSettings;
}

export type Job = RotateJob | CleanupJob | VerifyJob | CompressJob | RetentionJob;

export type JobReply<T> = { type: 'done'; value: T } | { type: 'failed'; error: WireError } | { type: 'aborted' };

/** Worker -> caller, on a job's port. */
export interface ProgressMsg {
  type: 'progress';
  bytesDone: number;
  bytesTotal: number;
}

export function assertNever(x: never): never {
  throw new Error(`this should not happen: ${JSON.stringify(x)}`);
}
