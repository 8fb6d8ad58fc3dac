// The piscina pool that runs rotate, cleanup and verify off the caller's thread. The lock
// (proper-lockfile, which pulls in signal-exit) is only ever loaded in these workers, never
// on the main thread (DESIGN.md). Piscina unrefs idle workers, so an idle pool never keeps
// the process alive; closePool() ends them at once.
import { Piscina } from 'piscina';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { WalError, fromWire } from '@threadwal/core';
import { CANCEL_SLOT, type Job, type JobControl, type JobReply, type ProgressMsg } from './protocol.js';
import type { Progress } from '../types.js';

/** Workers beyond the first idle this long are ended. */
const IDLE_TIMEOUT_MS = 2_000;
/** Two cores: one job may read while another copies. */
const MAX_THREADS = 2;
/**
 * The workers' V8 young generation, MiB. Compressing allocates no JS to speak of, but zlib
 * hands out every 16 KiB of output in a fresh Buffer whose memory is freed only when a GC
 * collects its small wrapper; with the default young generation a 1 GiB gzip went ~28 MiB
 * of such ArrayBuffers deep before one ran (peak RSS 107-109 MB, 70 MB with an idle pool).
 * At 2 MiB a scavenge comes every couple of MiB of JS and the peak is 83-85 MB, with gzip
 * and verify MB/s unchanged within noise (issue 13 bench, docs/PERFORMANCE.md).
 */
const WORKER_YOUNG_GEN_MB = 2;

let pool: Piscina | null = null;

function getPool(): Piscina {
  // 'disabled' atomics: a worker waiting for its next task runs its event loop, so timers
  // left by a job (proper-lockfile's) still fire instead of sleeping in Atomics.wait.
  pool ??= new Piscina({
    filename: new URL('./jobs.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: MAX_THREADS,
    idleTimeout: IDLE_TIMEOUT_MS,
    atomics: 'disabled',
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GEN_MB },
  });
  return pool;
}

/** Ends the pool's worker threads; a later rotate, cleanup or verify starts a new pool. */
export async function closePool(): Promise<void> {
  const p = pool;
  pool = null;
  if (p) await p.destroy();
}

export interface RunOptions {
  onProgress?: ((p: Progress) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Runs the job `build` makes (given its progress/cancel control block) in the pool. Rejects
 * with the worker's WalError rebuilt, EWORKER if the worker died, or the signal's reason.
 */
export async function runJob<T>(path: string, build: (control: JobControl) => Job, opts: RunOptions = {}): Promise<T> {
  const { signal, onProgress } = opts;
  if (signal?.aborted) throw signal.reason;
  const cancel = new SharedArrayBuffer(4);
  let local: MessagePort | null = null;
  let remote: MessagePort | null = null;
  if (onProgress) {
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (msg: ProgressMsg) => {
      if (msg?.type !== 'progress') return;
      onProgress({ bytesDone: msg.bytesDone, bytesTotal: msg.bytesTotal });
    });
    local = port1;
    remote = port2;
  }
  // Cooperative cancel: the job notices between chunks, removes its temp files and releases
  // the lock. Piscina's own abort would terminate the thread while it may hold the lock.
  const onAbort = (): void => Atomics.store(new Int32Array(cancel), CANCEL_SLOT, 1) as unknown as void;
  signal?.addEventListener('abort', onAbort, { once: true });
  let reply: JobReply<T>;
  try {
    reply = (await getPool().run(build({ cancel, port: remote }), { transferList: remote ? [remote] : [] })) as JobReply<T>;
  } catch (err) {
    throw new WalError('EWORKER', `maintenance worker failed: ${(err as Error)?.message ?? String(err)}`, { path, cause: err });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // The reply is the last word: a progress message still in flight on the other channel is dropped.
    local?.close();
  }
  switch (reply.type) {
    case 'done':
      return reply.value;
    case 'failed':
      throw fromWire(reply.error);
    case 'aborted':
      throw signal?.reason ?? new WalError('EWORKER', 'the job was cancelled', { path });
    default: {
      const never: never = reply;
      throw new WalError('EWORKER', `this should not happen: ${JSON.stringify(never)}`, { path });
    }
  }
}
