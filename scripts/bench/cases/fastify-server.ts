// Entry of the real-server group's server process: `node fastify-server.js <variant> <dir>`,
// spawned (maybe under `taskset -c 0`) by fastify.ts with an IPC channel. A Fastify 5 app as a
// user writes it: one JSON route, Fastify's default request logging (an "incoming request"
// and a "request completed" line per request, each through the request's child logger), the
// destination of the variant, listening on 127.0.0.1. It answers two messages:
//   { type: 'stats' } → { type: 'stats', counters, writer } (writer: the threadwal writer's stats, or null)
//   { type: 'stop' }  → a graceful stop: app.close() (in-flight requests finish), then the
//                       destination is flushed and ended; → { type: 'stopped', counters }, then exit.
import { BroadcastChannel } from 'node:worker_threads';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importPeer } from '../lib/workload.js';

export type Variant = 'none' | 'pino-dest' | 'pino-file' | 'tw-dest' | 'tw-transport' | 'pino-fsync';

/** What the server counted through its own hooks (after the variant's log line was written). */
export interface Counters {
  received: number;
  completed: number;
}

/** The writer's counters (the subset of WriterStats the bench uses). */
export interface WriterCounts {
  events: number;
  batches: number;
  fsyncs: number;
}

export type ServerMessage =
  | { type: 'ready'; port: number }
  | { type: 'stats'; counters: Counters; writer: WriterCounts | null }
  | { type: 'stopped'; counters: Counters; endMs: number }
  | { type: 'error'; error: string };

interface Stream {
  once(event: string, fn: (err?: Error) => void): unknown;
  flushSync?(): void;
  end(cb?: (err?: Error | null) => void): void;
}
interface Pino {
  destination(opts: string | { dest: string; sync?: boolean; fsync?: boolean }): Stream;
  transport(opts: { target: string; options: object }): Stream;
}
interface TwDest extends Stream {
  ready: Promise<void>;
  wal: { stats(): Promise<WriterCounts> };
}
interface App {
  get(path: string, handler: () => Promise<unknown>): void;
  addHook(name: string, fn: (req: unknown, reply: unknown, done: () => void) => void): void;
  listen(opts: { host: string; port: number }): Promise<string>;
  close(): Promise<void>;
  server: { address(): { port: number } | string | null };
}
type Fastify = (opts: object) => App;

/** The BroadcastChannel on which fastify-tw-transport.ts answers 'stats?' from its transport thread. */
export const STATS_CHANNEL = 'threadwal-bench-writer-stats';

/**
 * Ends this process now, whatever its state: process.exit() is not enough, as pino's exit hook
 * for a pino.destination() whose file is not open yet throws ('sonic boom is not ready yet')
 * out of process.exit(), and the server lives on.
 */
const die = (): void => void process.kill(process.pid, 'SIGKILL');

const send = (m: ServerMessage, then: () => void = () => undefined): void => {
  if (!process.connected) return die(); // no one to answer: the case process is gone
  process.send!(m, then);
};

async function destinationOf(variant: Variant, dir: string): Promise<{ stream: Stream | null; writerStats: () => Promise<WriterCounts | null> }> {
  const none = async (): Promise<null> => null;
  if (variant === 'none') return { stream: null, writerStats: none };
  const pino = (await importPeer<{ default: Pino }>('pino')).default;
  const file = join(dir, 'app.log');
  switch (variant) {
    case 'pino-dest':
      return { stream: pino.destination(file), writerStats: none };
    case 'pino-fsync':
      return { stream: pino.destination({ dest: file, sync: true, fsync: true }), writerStats: none };
    case 'pino-file':
      return { stream: await started(pino.transport({ target: 'pino/file', options: { destination: file } })), writerStats: none };
    case 'tw-dest': {
      const { pinoDestination } = await importPeer<{ pinoDestination(path: string, o?: object): TwDest }>('@threadwal/client/pino');
      // THREADWAL_BENCH_COMMIT_WINDOW_MS: an A/B run's commitWindowMs (unset: the default).
      const windowMs = process.env.THREADWAL_BENCH_COMMIT_WINDOW_MS;
      const dest = pinoDestination(join(dir, 'app.wal'), windowMs ? { commitWindowMs: Number(windowMs) } : undefined);
      await dest.ready;
      return { stream: dest, writerStats: () => dest.wal.stats() };
    }
    case 'tw-transport': {
      // The shipped target, wrapped only to answer stats (see fastify-tw-transport.ts).
      const target = fileURLToPath(new URL('./fastify-tw-transport.js', import.meta.url));
      const stream = await started(pino.transport({ target, options: { path: join(dir, 'app.wal') } }));
      return { stream, writerStats: transportStats };
    }
    default:
      throw new Error(`unknown variant ${String(variant)}`);
  }
}

/** Waits for a thread-stream transport's worker to be up (its 'ready'). */
function started(stream: Stream): Promise<Stream> {
  return new Promise((resolve, reject) => {
    stream.once('ready', () => resolve(stream));
    stream.once('error', (err) => reject(err ?? new Error('transport failed')));
  });
}

/** Asks the transport thread for its writer's stats over the BroadcastChannel. */
function transportStats(): Promise<WriterCounts | null> {
  const bc = new BroadcastChannel(STATS_CHANNEL);
  return new Promise<WriterCounts | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), 2000);
    bc.onmessage = (e: unknown): void => {
      const data = (e as { data: { stats?: WriterCounts } }).data;
      if (!data?.stats) return;
      clearTimeout(timer);
      resolve(data.stats);
    };
    bc.postMessage('stats?');
  }).finally(() => bc.close());
}

/** Flushes what the destination holds and ends it, so the log is complete before exit. */
async function endStream(variant: Variant, stream: Stream): Promise<void> {
  if (variant === 'pino-dest' || variant === 'pino-fsync') {
    stream.flushSync?.();
    await new Promise<void>((resolve) => {
      stream.once('close', () => resolve());
      stream.end();
    });
    return;
  }
  if (variant === 'tw-dest') {
    await new Promise<void>((resolve, reject) => stream.end((err) => (err ? reject(err) : resolve())));
    return;
  }
  // A transport: end() flushes the worker's destination; 'close' once the worker is gone.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 15_000);
    stream.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.end();
  });
}

async function main(): Promise<void> {
  const variant = process.argv[2] as Variant;
  const dir = process.argv[3]!;
  const fastify = (await importPeer<{ default: Fastify }>('fastify')).default;
  const { stream, writerStats } = await destinationOf(variant, dir);
  const app = fastify({ logger: stream ? { level: 'info', stream } : false });
  const counters: Counters = { received: 0, completed: 0 };
  app.addHook('onRequest', (_req, _reply, done) => {
    counters.received += 1;
    done();
  });
  app.addHook('onResponse', (_req, _reply, done) => {
    counters.completed += 1;
    done();
  });
  app.get('/', async () => ({ hello: 'world', at: 'threadwal bench' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error(`unexpected server address ${String(addr)}`);

  let stopping = false;
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stats') {
      writerStats().then(
        (writer) => send({ type: 'stats', counters: { ...counters }, writer: writer && { events: writer.events, batches: writer.batches, fsyncs: writer.fsyncs } }),
        (err: Error) => send({ type: 'error', error: `stats: ${err.message}` }),
      );
    } else if (m.type === 'stop' && !stopping) {
      stopping = true;
      const t0 = performance.now();
      void (async () => {
        await app.close();
        if (stream) await endStream(variant, stream);
        send({ type: 'stopped', counters: { ...counters }, endMs: performance.now() - t0 }, () => process.exit(0));
      })().catch((err: Error) => send({ type: 'error', error: `stop: ${err.message}` }, die));
    }
  });
  if (!process.connected) die(); // the case process went away while this one started
  send({ type: 'ready', port: addr.port });
}

// The case process is gone (killed on a timeout): a listening server would otherwise live on.
// Registered before anything slow, so that a parent killed during startup is noticed too.
if (!process.connected) die();
process.on('disconnect', die);
main().catch((err: Error) => {
  send({ type: 'error', error: `${(err as { code?: string }).code ?? ''} ${err.message}`.trim() }, die);
});
