// The client's use of its data port, in one place (the MessagePort API differs a little
// between runtimes): post a batch (its buffer transferred), post an urge, and read the
// messages already queued without waiting for the event loop.
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { BatchMsg, FromWriterData, UrgeMsg } from '@threadwal/core';
import type { Built } from './batch-builder.js';

export function postBatch(port: MessagePort, id: number, b: Built): void {
  const msg: BatchMsg = { type: 'batch', id, buf: b.buf.buffer as ArrayBuffer, len: b.len, count: b.count };
  if (b.urgent) msg.urgent = true;
  port.postMessage(msg, [msg.buf]);
}

const URGE: UrgeMsg = { type: 'urge' };

export function postUrge(port: MessagePort): void {
  port.postMessage(URGE);
}

/** Hands every message already queued on `port` to `fn`, in order. */
export function takeQueued(port: MessagePort, fn: (msg: FromWriterData) => void): void {
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) fn(m.message as FromWriterData);
}
