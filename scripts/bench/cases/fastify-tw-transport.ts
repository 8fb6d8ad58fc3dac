// The threadwal pino transport target of the real-server group: the shipped target
// ('@threadwal/client/pino-transport', unchanged), plus a way for the server's main thread to
// read the writer's stats (fsyncs, batches), which live in this transport thread. A second
// openWal of the same path in the same thread shares that thread's writer (core's per-thread
// host map), so its stats() are the target's writer's; it appends nothing. The main thread
// asks over a BroadcastChannel (fastify-server.ts).
import { BroadcastChannel } from 'node:worker_threads';
import { importPeer } from '../lib/workload.js';

interface Target {
  end(): void;
}
interface StatsWal {
  stats(): Promise<{ events: number; batches: number; fsyncs: number }>;
  close(): Promise<void>;
}

const STATS_CHANNEL = 'threadwal-bench-writer-stats'; // = fastify-server.ts's (not imported: that module starts a server)

export default async function benchTransport(options: { path: string }): Promise<Target> {
  const shipped = (await importPeer<{ default: (o: object) => Promise<Target> }>('@threadwal/client/pino-transport')).default;
  const { openWal } = await importPeer<{ openWal(path: string): Promise<StatsWal> }>('@threadwal/client');
  const target = await shipped(options);
  const statsWal = await openWal(options.path);
  const bc = new BroadcastChannel(STATS_CHANNEL);
  bc.unref();
  bc.onmessage = (e: unknown): void => {
    if ((e as { data: unknown }).data !== 'stats?') return;
    statsWal.stats().then((s) => bc.postMessage({ stats: { events: s.events, batches: s.batches, fsyncs: s.fsyncs } }), () => undefined);
  };
  // Release the stats handle first, so that the target's own close is the writer's last.
  const end = target.end.bind(target);
  target.end = (): void => {
    bc.close();
    statsWal.close().finally(end);
  };
  return target;
}
