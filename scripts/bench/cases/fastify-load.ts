// Entry of the real-server group's load process: autocannon, driven over IPC by fastify.ts and
// kept for the whole case (on the other core when the server is pinned). Each
//   { type: 'run', url, connections, seconds, record }
// answers { type: 'done', result } with the 2xx count and, when `record`, the latency of every
// 2xx response in µs from our own histogram: autocannon's keeps whole milliseconds.
import { createHistogram } from 'node:perf_hooks';
import { importPeer } from '../lib/workload.js';

export interface LoadRun {
  type: 'run';
  url: string;
  connections: number;
  seconds: number;
  record: boolean;
}

export interface LoadResult {
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  p50Us?: number;
  p99Us?: number;
  p999Us?: number;
}

interface Tracker {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  on(event: 'done', fn: (r: { '2xx': number; non2xx: number; errors: number; timeouts: number; duration: number }) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
}
type Autocannon = (opts: object) => Tracker;

async function run(autocannon: Autocannon, m: LoadRun): Promise<LoadResult> {
  const h = createHistogram({ lowest: 1, highest: 60e6, figures: 3 });
  return new Promise((resolve, reject) => {
    // sampleInt 100 ms: autocannon notices the end of `duration` only at a sample tick (1 s by default).
    const tracker = autocannon({ url: m.url, connections: m.connections, duration: m.seconds, sampleInt: 100 });
    if (m.record) {
      tracker.on('response', (_c, status, _b, ms) => {
        if (status >= 200 && status < 300) h.record(Math.max(1, Math.round(ms * 1000)));
      });
    }
    tracker.on('error', reject);
    tracker.on('done', (r) => {
      const p = (q: number): number => h.percentile(q);
      resolve({
        ok2xx: r['2xx'], non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, seconds: r.duration,
        ...(m.record && h.count > 0 ? { p50Us: p(50), p99Us: p(99), p999Us: p(99.9) } : {}),
      });
    });
  });
}

process.on('disconnect', () => process.exit(1)); // the case process is gone (killed on a timeout)
const autocannon = (await importPeer<{ default: Autocannon }>('autocannon')).default;
process.on('message', (m: LoadRun | { type: 'exit' }) => {
  if (m.type === 'exit') process.exit(0);
  run(autocannon, m).then(
    (result) => process.send!({ type: 'done', result }),
    (err: Error) => process.send!({ type: 'error', error: err.message }),
  );
});
if (!process.connected) process.exit(1);
process.send!({ type: 'ready' });
