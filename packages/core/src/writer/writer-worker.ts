// Entry of the writer thread. Imports the protocol, the actor and comlink; never the
// main-side handle (writer.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import { expose } from 'comlink';
import { installWalErrorTransfer } from './comlink-errors.js';
import { closeParentPort } from './port-compat.js';
import { Writer } from './writer-core.js';
import { LockBoard } from '../lock/lock-board.js';
import { fromFsError, toWire } from '../errors.js';
import { checkWalFile } from '../segments/file-kind.js';
import { fsSeam, type FaultInstaller } from '../util/fs-seam.js';
import { TRACE, threadTrace } from './trace.js';
import { assertNever, SAB_STATE, SAB_DURABLE_BATCH, STATE_DEAD, type ToWorker, type FromWorker, type WriterWorkerData, type WriterControl } from '../protocol.js';

installWalErrorTransfer();
if (TRACE) threadTrace.probeThread('writer');
const data = workerData as WriterWorkerData;
const port = parentPort!;
const send = (msg: FromWorker): void => port.postMessage(msg);

async function main(): Promise<void> {
  if (data.options.faultInjection) {
    const spec = data.options.faultInjection;
    const mod = (await import(isAbsolute(spec) ? pathToFileURL(spec).href : spec)) as { install: FaultInstaller };
    mod.install(fsSeam);
  }
  let writer: Writer;
  try {
    // A FIFO, socket, device or directory is refused before the lock or .meta is made.
    checkWalFile(data.path);
    writer = await Writer.open(data.path, data.options, new LockBoard(data.lockBoard));
  } catch (err) {
    const e = fromFsError(err, data.path, 'opening the WAL');
    send({ type: 'open-failed', error: toWire(e) });
    // A client that attached before the open failed (connectNow) may be blocked in flushSync,
    // at exit even, where the host cannot tell it: wake it with its SAB marked dead
    // (EWORKER) instead of leaving it to wait out flushSyncTimeoutMs. The host terminates
    // this thread once it reads 'open-failed'; the timer ends it if nobody does.
    port.on('message', (msg: ToWorker) => {
      if (msg?.type !== 'attach') return;
      const sab = new Int32Array(msg.sab);
      Atomics.store(sab, SAB_STATE, STATE_DEAD);
      Atomics.notify(sab, SAB_DURABLE_BATCH);
      msg.port.close();
      msg.probe?.close();
    });
    setTimeout(() => {
      closeParentPort(port);
      data.control.close();
    }, 1000);
    return;
  }
  // If this thread dies (process.exit inside it, an uncaught throw), wake every flushSync.
  process.on('exit', () => writer.markDead());
  process.on('uncaughtException', (err) => {
    writer.markDead();
    throw err;
  });

  const control: WriterControl = {
    stats: () => writer.stats(),
    rotate: (opts) => writer.rotate(opts?.maxRotations ?? 5),
    close: async () => {
      await writer.close();
      send({ type: 'closed' });
      setImmediate(() => {
        closeParentPort(port);
        data.control.close();
      });
    },
  };
  expose(control, data.control as unknown as Parameters<typeof expose>[1]);

  port.on('message', (msg: ToWorker) => {
    if (msg?.type == null) return;
    switch (msg.type) {
      case 'attach':
        writer.attach(msg.port, msg.sab);
        msg.probe?.postMessage({ type: 'hello' });
        msg.probe?.close(); // the message still arrives first
        return;
      case 'shutdown':
        void control.close();
        return;
      default:
        assertNever(msg);
    }
  });
  send({ type: 'ready', info: writer.info() });
}

void main();
