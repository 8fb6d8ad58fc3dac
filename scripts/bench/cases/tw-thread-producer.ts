// Entry of a producer worker thread of `tw-threads4`: connectWal(port) on the port the
// coordinator got from wal.port(), then the shared producer loop on the coordinator's schedule.
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { loadClient, produceOnSchedule, type Go, type ProduceOptions } from '../lib/producer.js';

const parent = parentPort!;
const { port } = workerData as { port: MessagePort };

try {
  const { connectWal } = await loadClient();
  const wal = await connectWal<string>(port);
  parent.on('message', (m: { type: 'go'; go: Go; options: ProduceOptions } | { type: 'close' }) => {
    switch (m.type) {
      case 'go':
        produceOnSchedule(wal, m.go, m.options).then(
          (report) => parent.postMessage({ type: 'report', report }),
          (err: Error) => parent.postMessage({ type: 'error', error: `${(err as { code?: string }).code ?? ''} ${err.message}` }),
        );
        return;
      case 'close':
        void wal.close().finally(() => parent.close());
        return;
      default:
        parent.postMessage({ type: 'error', error: `this should not happen: ${JSON.stringify(m)}` });
    }
  });
  parent.postMessage({ type: 'ready' });
} catch (err) {
  parent.postMessage({ type: 'error', error: (err as Error).message });
}
