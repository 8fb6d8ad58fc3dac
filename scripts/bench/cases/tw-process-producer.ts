// Entry of a producer process of `tw-procs4`: `node tw-process-producer.js <path>`, forked
// with IPC. Its own openWal, so its own writer thread, on a path other processes append to.
import { loadClient, produceOnSchedule, type Go, type ProduceOptions } from '../lib/producer.js';

const path = process.argv[2]!;
const send = (msg: object): void => void process.send!(msg);
// The coordinator died or was killed for running over time: do not linger.
process.on('disconnect', () => process.exit(1));

try {
  const { openWal } = await loadClient();
  const wal = await openWal<string>(path);
  process.on('message', (m: { type: 'go'; go: Go; options: ProduceOptions } | { type: 'close' }) => {
    switch (m.type) {
      case 'go':
        produceOnSchedule(wal, m.go, m.options).then(
          (report) => send({ type: 'report', report }),
          (err: Error) => send({ type: 'error', error: `${(err as { code?: string }).code ?? ''} ${err.message}` }),
        );
        return;
      case 'close':
        void wal.close().finally(() => {
          process.removeAllListeners('disconnect');
          process.disconnect();
        });
        return;
      default:
        send({ type: 'error', error: `this should not happen: ${JSON.stringify(m)}` });
    }
  });
  send({ type: 'ready' });
} catch (err) {
  send({ type: 'error', error: (err as Error).message });
}
