// The owner's side of walForThread (thread-wal.ts): a worker thread asks its parent for a
// client of a WAL by posting a port; the thread that opened the WAL answers on it.
import type { MessagePort } from 'node:worker_threads';
import { WalError } from '@threadwal/core';

/** What a worker thread posts to its parent to ask for a client of `path`. */
export interface ThreadConnectRequest {
  threadwal: 'connect';
  path: string;
  port: MessagePort;
}

/** Something that emits its worker threads' messages: a piscina pool, a Worker. */
export interface ThreadMessageSource {
  on(event: 'message', listener: (msg: unknown) => void): unknown;
  off?(event: 'message', listener: (msg: unknown) => void): unknown;
  removeListener?(event: 'message', listener: (msg: unknown) => void): unknown;
}

export function isThreadConnectRequest(msg: unknown): msg is ThreadConnectRequest {
  const m = msg as Partial<ThreadConnectRequest> | null;
  return typeof m === 'object' && m !== null && m.threadwal === 'connect' && typeof m.path === 'string' && typeof m.port?.postMessage === 'function';
}

/** Ports already served (two handles of one WAL may serve the same pool: one answers). */
const served = new WeakSet<MessagePort>();

/** Answers the connect requests of `source`'s threads for `path` with `serve(port)`; returns the unsubscribe function. */
export function serveThreadRequests(source: ThreadMessageSource, path: string, serve: (port: MessagePort) => void): () => void {
  if (source === null || typeof source !== 'object' || typeof source.on !== 'function') {
    throw new WalError('EINVAL', 'serveThreads needs what emits the worker threads\' messages (a piscina pool, a Worker)', { path });
  }
  const listener = (msg: unknown): void => {
    if (!isThreadConnectRequest(msg) || msg.path !== path || served.has(msg.port)) return;
    served.add(msg.port);
    serve(msg.port);
  };
  source.on('message', listener);
  return () => {
    if (typeof source.off === 'function') source.off('message', listener);
    else source.removeListener?.('message', listener);
  };
}
