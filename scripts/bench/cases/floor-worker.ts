// The floor's writer thread (cases/floor.ts): the least a thread-hop WAL can do. It takes
// every line it has received, writes them with one writeSync, fdatasyncs, and acks the
// number of lines now durable. Two ways to be woken and to answer:
//   'port': a MessagePort listener, draining the rest of the queue with receiveMessageOnPort,
//           acking with one postMessage per batch;
//   'sab':  blocked in Atomics.wait on a request counter the producer bumps after each
//           post, draining the port with receiveMessageOnPort, acking by storing the durable
//           count in the SAB and Atomics.notify (the producer waits with Atomics.waitAsync).
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { isMainThread, parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';

export const REQ = 0; // lines posted so far (producer → worker)
export const ACK = 1; // lines durable so far (worker → producer)
export const STOP = 2; // 1: the worker should end

export interface FloorWorkerData {
  path: string;
  mode: 'port' | 'sab';
  port: MessagePort;
  sab: SharedArrayBuffer;
}

function main(): void {
  const { path, mode, port, sab } = workerData as FloorWorkerData;
  const words = new Int32Array(sab);
  const fd = openSync(path, 'a');
  const buf = Buffer.allocUnsafe(4 << 20);
  let durable = 0;

  /** Writes `first` and everything else queued on the port as one write + one fdatasync; returns the line count. */
  const commit = (first: string | undefined): number => {
    let len = 0;
    let n = 0;
    let m: { message: string } | undefined;
    if (first !== undefined) {
      len += buf.write(first, len);
      n += 1;
    }
    while (len < buf.length - 4096 && (m = receiveMessageOnPort(port) as { message: string } | undefined) !== undefined) {
      len += buf.write(m.message, len);
      n += 1;
    }
    if (n === 0) return 0;
    writeSync(fd, buf, 0, len);
    fdatasyncSync(fd);
    durable += n;
    return n;
  };

  if (mode === 'port') {
    port.on('message', (line: string) => {
      commit(line);
      port.postMessage(durable);
    });
    parentPort!.once('message', () => {
      closeSync(fd);
      port.close();
    });
    return;
  }
  let seen = 0;
  while (Atomics.load(words, STOP) === 0) {
    Atomics.wait(words, REQ, seen, 100);
    seen = Atomics.load(words, REQ);
    if (commit(undefined) > 0) {
      Atomics.store(words, ACK, durable);
      Atomics.notify(words, ACK);
    }
  }
  closeSync(fd);
  port.close();
}

// floor.ts imports the constants above; only the worker runs.
if (!isMainThread) main();
