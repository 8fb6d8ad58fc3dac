// The thread protocol. Dependency-free: both the main-side handle (writer.ts), the client
// and the worker entry (writer-worker.ts) import only this and plain types.
import type { MessagePort } from 'node:worker_threads';
import type { WireError } from './errors.js';
import type { ResolvedWriterOptions } from './options.js';
import type { RecoveryCut } from './recovery/recover.js';

/** Slots of the per-client SharedArrayBuffer (Int32). */
export const SAB_DURABLE_BATCH = 0; // id of the newest batch of this client that is settled (durable, or nacked)
export const SAB_STATE = 1; // one of STATE_*
export const SAB_NACKED_BATCH = 2; // id of the newest batch of this client that was nacked (0: none)
export const SAB_NACK_CODE = 3; // index in WAL_ERROR_CODES of that nack's code, for flushSync to throw
export const SAB_NACKED_EVENTS = 4; // events of this client rejected so far (wraps), for the exit hook's count
export const SAB_SLOTS = 5;
export const STATE_OK = 0;
export const STATE_FAILED = 1; // fail-stop (EFSYNC): nothing will become durable
export const STATE_DEAD = 2; // the writer thread is gone

/** Client -> writer, on a data port. */
export interface BatchMsg {
  type: 'batch';
  /** Client-local batch id, increasing by one per batch (wraps at 2^31). */
  id: number;
  /** Concatenated line bodies (`"ts":…}\n` each), transferred. */
  buf: ArrayBuffer;
  /** Bytes used in buf. */
  len: number;
  /** Number of lines in buf. */
  count: number;
  /**
   * Someone waits for this batch (an awaited append, flush(), flushSync(), exit): the writer
   * commits it without a commit window. Absent: only appendNoWait lines, which may wait
   * up to the writer's commitWindowMs for company.
   */
  urgent?: true;
}
/** Commit what this client posted so far without waiting out the commit window (flush() with nothing new to post). */
export interface UrgeMsg {
  type: 'urge';
}
export type ToWriterData = BatchMsg | UrgeMsg;

/** Writer -> client, on a data port. */
export interface HelloMsg {
  type: 'hello';
}
/**
 * Batches `id - n + 1 … id` (client ids, consecutive as nextBatchId counts) are durable; the
 * first of them holds seqs from `firstSeq` on, each next one right after the one before.
 */
export interface AckMsg {
  type: 'ack';
  id: number;
  firstSeq: number;
  /** How many batches this ack covers (absent: 1). */
  n?: number;
  /** The covered batches' buffers, transferred back for the client to fill again. */
  bufs?: ArrayBuffer[];
  /** THREADWAL_TRACE only: the writer's stamps for this batch (trace.ts T_*). */
  t?: number[];
}
export interface NackMsg {
  type: 'nack';
  id: number;
  error: WireError;
}
/** The writer failed stop: every batch not yet acked will reject with this error. */
export interface FailedMsg {
  type: 'failed';
  error: WireError;
}
export type FromWriterData = HelloMsg | AckMsg | NackMsg | FailedMsg;

/** Host (main side) -> writer worker, on parentPort. */
export interface AttachMsg {
  type: 'attach';
  port: MessagePort;
  sab: SharedArrayBuffer;
  /** Where the writer says 'hello' (then closes it), proving to connect() that the thread is alive. */
  probe?: MessagePort;
}
export interface ShutdownMsg {
  type: 'shutdown';
}
export type ToWorker = AttachMsg | ShutdownMsg;

/** Writer worker -> host, on parentPort. */
export interface ReadyMsg {
  type: 'ready';
  info: OpenInfo;
}
export interface OpenFailedMsg {
  type: 'open-failed';
  error: WireError;
}
export interface ClosedMsg {
  type: 'closed';
}
export type FromWorker = ReadyMsg | OpenFailedMsg | ClosedMsg;

/** What the writer learned when it opened the file. */
export interface OpenInfo {
  path: string;
  nextSeq: number;
  size: number;
  tornBytes: number;
  /** What opening cut from the end of the active file (a torn tail), or null. */
  recovery: RecoveryCut | null;
  created: boolean;
}

/** workerData of the writer worker. */
export interface WriterWorkerData {
  path: string;
  options: ResolvedWriterOptions;
  control: MessagePort;
  /** The lock board (lock-board.ts) the owner thread releases the lock through at exit. */
  lockBoard: SharedArrayBuffer;
}

/** The control plane the writer exposes over comlink. */
export interface WriterControl {
  stats(): WriterStats;
  rotate(opts?: { maxRotations?: number }): Promise<RotateResult>;
  close(): Promise<void>;
}

export interface RotateResult {
  rotated: boolean;
  nextSeq: number;
}

/** What openWal's `retention` did since the writer thread started. */
export interface WriterRetentionStats {
  deletedSegments: number;
  /** Bytes on disk of the deleted segments. */
  deletedBytes: number;
  /** Times maxTotalBytes deleted events that a `retain` cursor had not committed (each also a THREADWAL_RETENTION_FORCED warning on stderr). */
  forcedPastCursors: number;
  /** Runs that failed (each a THREADWAL_RETENTION_FAILED warning); the next rotation tries again. */
  errors: number;
  /** The longest time one run took inside a write cycle (judging + renames + dir fsync; the unlinks run after), µs. */
  maxApplyUs: number;
}

/** What openWal's `rotate.compress` did since the writer thread started. */
export interface WriterCompressionStats {
  /** Plain rotated segments replaced by `{path}.N.gz`. */
  compressedSegments: number;
  /** Leftover pairs (a crashed compression's `.N` beside its finished `.N.gz`) whose plain file was retired. */
  finishedSegments: number;
  /** Copies thrown away because their segment was deleted (retention, maxRotations) or compressed by maintenance meanwhile. */
  discarded: number;
  /** Plain bytes compressed, and the bytes of their `.gz` copies. */
  bytesIn: number;
  bytesOut: number;
  /** Compressions that failed (each a THREADWAL_COMPRESS_FAILED warning); the segment stays plain and the next rotation tries again. */
  errors: number;
  /** The longest time putting one copy in place took inside a write cycle (two renames, two directory fsyncs), µs. */
  maxInstallUs: number;
}

export interface WriterStats {
  path: string;
  events: number;
  bytes: number;
  /** Write cycles (one write + one fdatasync each). */
  batches: number;
  fsyncs: number;
  /** Batch messages received from clients (a busy client sends about one per cycle). */
  received: number;
  meanBatch: number;
  maxBatch: number;
  durableSeq: number;
  nextSeq: number;
  reopens: number;
  rotations: number;
  lockWaits: number;
  /** Cycles that waited for the commit window (commitWindowMs), and how long in all (ms). */
  windowWaits: number;
  windowWaitedMs: number;
  failed: boolean;
  /** Only with openWal's `retention`: what it did after the writer's rotations. */
  retention?: WriterRetentionStats;
  /** Only with openWal's `rotate.compress`: what it did after the writer's rotations. */
  compression?: WriterCompressionStats;
  /** THREADWAL_TRACE only: the writer thread's latency trace since the previous stats() (trace.ts). */
  trace?: import('./writer/trace.js').TraceSummary;
}

/** The client batch id after `id`: Int32, increasing, wrapping past 2^31 - 1, never 0 ("none" in the SAB). */
export function nextBatchId(id: number): number {
  return (id + 1) | 0 || 1;
}

/** The client batch id before `id` (nextBatchId's inverse). */
export function prevBatchId(id: number): number {
  return id === 1 ? -1 : (id - 1) | 0;
}

export function assertNever(x: never): never {
  throw new Error(`this should not happen: ${JSON.stringify(x)}`);
}
