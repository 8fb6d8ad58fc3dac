// A demo worker thread: connects to the main thread's WAL through the port it was given
// (events then go straight to the writer thread), runs jobs when told to, reports back.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { connectWal } from '@threadwal/client';
import { runJobs } from './jobs.js';
import type { DemoWorkerData, FromWorker, ToWorker } from './protocol.js';

const { port, thread, inFlight } = workerData as DemoWorkerData;
const parent = parentPort!;
const wal = await connectWal(port);

parent.once('message', async (msg: ToWorker) => {
  const deadline = performance.now() + msg.durationMs;
  const result = await runJobs(wal, thread, deadline, inFlight);
  await wal.close();
  const done: FromWorker = { type: 'done', result };
  parent.postMessage(done, [result.latenciesUs.buffer as ArrayBuffer]);
});
const ready: FromWorker = { type: 'ready' };
parent.postMessage(ready);
