// Entry of one producer thread of `paced-4x10k`: connectWal(port), then paced.ts's offer()
// at the rate it is given, warm-up then measured; posts back every measured latency (ms).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { loadClient } from '../lib/producer.js';
import { event } from '../lib/workload.js';
import type { Latency } from '../lib/measure.js';
import { offer, type Appender } from './paced.js';

const parent = parentPort!;
const { port, rate, warmS, measureS, first } = workerData as { port: MessagePort; rate: number; warmS: number; measureS: number; first: number };

try {
  const { connectWal } = await loadClient();
  const wal = await connectWal<string>(port);
  const appender: Appender = { append: (i) => wal.append(event(i)), flush: () => wal.flush() };
  parent.postMessage({ type: 'ready' });
  parent.once('message', async () => {
    const warm = await offer(appender, rate, warmS, first, null);
    const samples: number[] = [];
    const lat = { recordMs: (ms: number) => void samples.push(ms) } as unknown as Latency;
    const r = await offer(appender, rate, measureS, first + warm.events, lat);
    await wal.close();
    const buf = Float64Array.from(samples);
    parent.postMessage({ type: 'report', samples: buf, events: r.events, ms: r.ms, maxLagMs: r.maxLagMs }, [buf.buffer]);
  });
} catch (err) {
  parent.postMessage({ type: 'error', error: (err as Error).message });
}
