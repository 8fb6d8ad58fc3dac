// The writer's side of its clients: one data port and one SharedArrayBuffer each. Every
// answer goes both ways: a message for the client's event loop, and a SAB store + notify
// for a thread blocked in flushSync (which reads no messages).
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { WAL_ERROR_CODES, type WireError } from '../errors.js';
import {
  SAB_DURABLE_BATCH, SAB_NACKED_BATCH, SAB_NACK_CODE, SAB_NACKED_EVENTS, SAB_STATE, STATE_FAILED, STATE_DEAD, STATE_OK,
  type FromWriterData, type AckMsg, type ToWriterData,
} from '../protocol.js';

export interface Client {
  port: MessagePort;
  sab: Int32Array;
}

export class Clients {
  readonly #all = new Set<Client>();

  /** A new client; `failed` (the WAL already failed stop) is told at once. */
  add(port: MessagePort, sab: SharedArrayBuffer, failed: WireError | null): Client {
    const client: Client = { port, sab: new Int32Array(sab) };
    this.#all.add(client);
    this.tell(client, { type: 'hello' }); // (connect() learns it on the attach message's probe port)
    if (failed) {
      Atomics.store(client.sab, SAB_STATE, STATE_FAILED);
      this.tell(client, { type: 'failed', error: failed });
    }
    port.on('close', () => this.#all.delete(client));
    return client;
  }

  /**
   * Hands every message already queued on every client's port to `fn`, in each port's
   * order, without going through the event loop: receiveMessageOnPort costs a fraction of
   * a 'message' event's dispatch, and a writer back from a long fdatasync finds many.
   */
  drain(fn: (client: Client, msg: ToWriterData) => void): void {
    for (const c of this.#all) {
      for (let m = receiveMessageOnPort(c.port); m !== undefined; m = receiveMessageOnPort(c.port)) fn(c, m.message as ToWriterData);
    }
  }

  tell(client: Client, msg: FromWriterData): void {
    try {
      client.port.postMessage(msg);
    } catch {
      // the client went away; its SAB still tells anyone waiting in flushSync
    }
  }

  /**
   * The `n` batches of `client` ending with batch `id` (consecutive ids) are durable, the
   * first of them from `firstSeq` on; `bufs` are their buffers, transferred back for reuse
   * (the array is the caller's, read here). Call notify() once the whole cycle is acked.
   */
  ack(client: Client, id: number, firstSeq: number, n: number, bufs: readonly ArrayBuffer[], t?: number[]): void {
    const msg: AckMsg = n === 1 ? { type: 'ack', id, firstSeq } : { type: 'ack', id, firstSeq, n };
    if (t) msg.t = t;
    this.#tellWith(client, msg, bufs);
    // After the message: a flushSync woken by this store finds the ack on its port (takeAcks).
    Atomics.store(client.sab, SAB_DURABLE_BATCH, id);
  }

  #tellWith(client: Client, msg: AckMsg, bufs: readonly ArrayBuffer[]): void {
    if (bufs.length > 0) {
      const list = bufs.slice();
      msg.bufs = list;
      try {
        client.port.postMessage(msg, list);
        return;
      } catch {
        // a buffer that cannot be transferred (not one a client transferred to us): the ack goes without them
        delete msg.bufs;
      }
    }
    this.tell(client, msg);
  }

  notify(client: Client): void {
    Atomics.notify(client.sab, SAB_DURABLE_BATCH);
  }

  /** Batch `id` (`count` events) was rejected. It is settled too: flushSync must not wait for it forever. */
  nack(client: Client, id: number, count: number, error: WireError): void {
    this.tell(client, { type: 'nack', id, error });
    Atomics.store(client.sab, SAB_NACK_CODE, WAL_ERROR_CODES.indexOf(error.code));
    // Counted before the batch reads as settled, so an exit flush that sees it settled also sees it counted.
    Atomics.add(client.sab, SAB_NACKED_EVENTS, count);
    Atomics.store(client.sab, SAB_NACKED_BATCH, id);
    Atomics.store(client.sab, SAB_DURABLE_BATCH, id);
    Atomics.notify(client.sab, SAB_DURABLE_BATCH);
  }

  /** Fail-stop, step 1 (before any nack): a thread woken in flushSync must already see it. */
  markFailed(): void {
    for (const c of this.#all) Atomics.store(c.sab, SAB_STATE, STATE_FAILED);
  }

  /** Fail-stop, step 2 (after the nacks): every client learns it, and every sleeper wakes. */
  announceFailed(error: WireError): void {
    for (const c of this.#all) {
      this.tell(c, { type: 'failed', error });
      Atomics.notify(c.sab, SAB_DURABLE_BATCH);
    }
  }

  /** Marks every client's SAB dead so a thread blocked in flushSync wakes up (the writer is going away). */
  markDead(): void {
    for (const c of this.#all) {
      if (Atomics.load(c.sab, SAB_STATE) === STATE_OK) Atomics.store(c.sab, SAB_STATE, STATE_DEAD);
      Atomics.notify(c.sab, SAB_DURABLE_BATCH);
    }
  }

  closeAll(): void {
    for (const c of this.#all) c.port.close();
    this.#all.clear();
  }
}
