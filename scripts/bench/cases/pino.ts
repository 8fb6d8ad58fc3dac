// Case 3, continued: pino itself, into each destination a pino user can pick, same logger,
// same lines (the `pino` row's configuration: no base, no timestamp; one workload event per
// call). Each row reports lines/s counted once durable (or marked NOT durable), the calling
// thread's CPU per log call (pino's formatting included), and, for the durable rows, the
// ack latency of a paced 10k lines/s: from each line's scheduled time to the callback of a
// logger.flush(cb) issued right after it (the durable ack pino users have).
import { join } from 'node:path';
import { Latency, ThreadCpu, immediate, now, round, sleep, throughput, type CaseResult } from '../lib/measure.js';
import { event, importPeer, type CaseContext } from '../lib/workload.js';

interface Logger {
  info(obj: object): void;
  flush(cb?: (err?: Error) => void): void;
}
interface Stream {
  once(event: string, fn: (err?: Error) => void): void;
  flushSync?(): void;
  end(): void;
}
interface Pino {
  (opts: object, stream: object): Logger;
  destination(opts: { dest: string; sync: boolean; fsync?: boolean; mkdir?: boolean }): Stream;
  transport(opts: { target: string; options: object }): Stream;
}
interface ThreadwalPino {
  pinoDestination(path: string, options?: object): Stream & { ready: Promise<void>; durable(): Promise<number>; flush(cb: (err?: Error | null) => void): void; end(cb?: (err?: Error | null) => void): void };
}

const LOGGER_OPTIONS = { base: null, timestamp: false };
const BURST = 1000;
const PACED_RATE = 10_000;

const loadPino = async (): Promise<Pino> => (await importPeer<{ default: Pino }>('pino')).default;
const flushed = (logger: Logger): Promise<void> => new Promise((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())));

/**
 * Logs in bursts of 1000 (yielding between them, as a server's event loop would) until the
 * deadline, then waits for `settle` (durable, or handed over): the time includes it.
 */
async function closedLoop(ctx: CaseContext, logger: Logger, settle: () => Promise<void>, first = 0): Promise<{ events: number; ms: number; cpuMs: number; cpuHow: string; next: number }> {
  let i = first;
  const phase = async (seconds: number): Promise<number> => {
    const end = now() + seconds * 1000;
    let events = 0;
    while (now() < end) {
      for (let j = 0; j < BURST; j++) logger.info(event(i++));
      events += BURST;
      await immediate();
    }
    await settle();
    return events;
  };
  await phase(ctx.warmS);
  const cpu = new ThreadCpu();
  const t0 = now();
  const events = await phase(ctx.measureS);
  const ms = now() - t0;
  return { events, ms, cpuMs: cpu.elapsedMs(), cpuHow: cpu.how, next: i };
}

/** A paced 10k lines/s for `seconds`; each line's ack is the logger.flush(cb) right after it. */
async function pacedAcks(logger: Logger, seconds: number, first: number): Promise<Latency> {
  const lat = new Latency();
  const interval = 1000 / PACED_RATE;
  const total = Math.max(1, Math.round(PACED_RATE * seconds));
  let acked = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => { done = r; });
  const t0 = now() + 1;
  let i = 0;
  while (i < total) {
    const t = now();
    while (i < total && t0 + i * interval <= t) {
      const due = t0 + i * interval;
      logger.info(event(first + i));
      logger.flush(() => {
        lat.recordMs(now() - due);
        if (++acked === total) done();
      });
      i++;
    }
    if (i >= total) break;
    const wait = t0 + i * interval - now();
    if (wait > 2) await sleep(wait - 1.5);
    else await immediate();
  }
  await all;
  return lat;
}

function row(ctx: CaseContext, m: { events: number; ms: number; cpuMs: number; cpuHow: string }, extra: Partial<CaseResult>): CaseResult {
  return throughput(ctx.id, m.events, m.ms, { cpuUsPerEvent: round((m.cpuMs * 1000) / m.events, 2), cpuOn: `main (${m.cpuHow})`, ...extra });
}

/** pino → pino.destination(file): sonic-boom async, minLength 0. NOT durable (no fsync). */
export async function pinoDestinationAsync(ctx: CaseContext): Promise<CaseResult> {
  const pino = await loadPino();
  const dest = pino.destination({ dest: join(ctx.dir, 'pino.log'), sync: false, mkdir: true });
  await new Promise<void>((resolve, reject) => { dest.once('ready', () => resolve()); dest.once('error', (e) => reject(e)); });
  const logger = pino(LOGGER_OPTIONS, dest);
  // flushSync writes what sonic-boom still holds: the count includes the final drain.
  const m = await closedLoop(ctx, logger, async () => dest.flushSync?.());
  dest.end();
  return row(ctx, m, { detail: 'NOT durable: counted once written to the page cache (flushSync at the end)' });
}

/** pino → pino.destination({ sync: true, fsync: true }): writeSync + fsyncSync inside every log call. */
export async function pinoDestinationFsync(ctx: CaseContext): Promise<CaseResult> {
  const pino = await loadPino();
  const dest = pino.destination({ dest: join(ctx.dir, 'pino.log'), sync: true, fsync: true, mkdir: true });
  const logger = pino(LOGGER_OPTIONS, dest);
  const lat = new Latency();
  let i = 0;
  const loop = (seconds: number, record: boolean): number => {
    const end = now() + seconds * 1000;
    let t = now();
    let n = 0;
    while (t < end) {
      logger.info(event(i++));
      const t1 = now();
      if (record) lat.recordMs(t1 - t);
      t = t1;
      n++;
    }
    return n;
  };
  loop(ctx.warmS, false);
  const cpu = new ThreadCpu();
  const t0 = now();
  const events = loop(ctx.measureS, true);
  const ms = now() - t0;
  const m = { events, ms, cpuMs: cpu.elapsedMs(), cpuHow: cpu.how };
  dest.end();
  return row(ctx, m, { ack: lat.summary('log call, closed loop (10k/s is out of reach)'), detail: 'durable when the call returns; fsyncSync blocks the caller' });
}

/** pino → threadwal pinoDestination (durable: flush/durable() count). */
export async function pinoThreadwal(ctx: CaseContext): Promise<CaseResult> {
  const pino = await loadPino();
  const { pinoDestination } = await importPeer<ThreadwalPino>('@threadwal/client/pino');
  const dest = pinoDestination(join(ctx.dir, 'app.wal'));
  await dest.ready;
  const logger = pino(LOGGER_OPTIONS, dest);
  const m = await closedLoop(ctx, logger, async () => { await dest.durable(); });
  const lat = await pacedAcks(logger, ctx.measureS, m.next);
  await new Promise<void>((resolve, reject) => dest.end((err) => (err ? reject(err) : resolve())));
  return row(ctx, m, { ack: lat.summary(`line at a paced ${PACED_RATE / 1000}k/s → flush(cb)`), detail: 'durable: counted once durable() resolved' });
}

/** pino → pino.transport({ target: '@threadwal/client/pino-transport' }) (durable through flush(cb), single target). */
export async function pinoThreadwalTransport(ctx: CaseContext): Promise<CaseResult> {
  const pino = await loadPino();
  const transport = pino.transport({ target: '@threadwal/client/pino-transport', options: { path: join(ctx.dir, 'app.wal') } });
  await new Promise<void>((resolve, reject) => { transport.once('ready', () => resolve()); transport.once('error', (e) => reject(e)); });
  const logger = pino(LOGGER_OPTIONS, transport);
  const m = await closedLoop(ctx, logger, () => flushed(logger));
  const lat = await pacedAcks(logger, ctx.measureS, m.next);
  await flushed(logger);
  transport.end(); // not awaited, as in the `pino` row: thread-stream is unref'd
  return row(ctx, m, { ack: lat.summary(`line at a paced ${PACED_RATE / 1000}k/s → flush(cb)`), detail: 'durable: counted once logger.flush(cb) called back' });
}
