// Messages between the demo's main thread and its workers.
import type { MessagePort } from 'node:worker_threads';
import type { ThreadResult } from './jobs.js';

/** workerData of each demo worker. */
export interface DemoWorkerData {
  port: MessagePort;
  thread: string;
  inFlight: number;
}

export interface GoMessage { type: 'go'; durationMs: number }
export type ToWorker = GoMessage;

export interface ReadyMessage { type: 'ready' }
export interface DoneMessage { type: 'done'; result: ThreadResult }
export type FromWorker = ReadyMessage | DoneMessage;
