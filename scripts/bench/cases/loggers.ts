// Case 3: the fast Node loggers, as the nearest thing people reach for.
//
// What sonic-boom 4.2's `fsync: true` guarantees (read from its index.js): `release()`, which
// runs after every completed write in both modes, calls `fs.fsyncSync(fd)` on the calling
// thread. With `sync: true` and minLength 0, `write()` runs writeSync + fsyncSync before it
// returns, so the return of write() is a per-event durable ack. With `sync: false`, write()
// only buffers; the buffered bytes go out in one fs.write whose callback fsyncSyncs (blocking
// the event loop), so there is no per-event ack at all: the only durable point is flush(cb).
// And flush(cb) with minLength 0 calls back at once without waiting for anything
// (`if (this.minLength <= 0) { cb?.(); return }`), so the async variant uses minLength 4096,
// where flush(cb) waits for 'drain', which is emitted after the last write's fsyncSync.
//
// pino through its worker transport (thread-stream + pino/file) is not durable at all: it is
// the upper bound of "logging that never blocks the caller on I/O".
import { join } from 'node:path';
import { Latency, ThreadCpu, now, round, throughput, warmThenMeasure, type CaseResult } from '../lib/measure.js';
import { event, importPeer, line, type CaseContext } from '../lib/workload.js';

interface SonicBoom {
  write(data: string): boolean;
  flush(cb: (err?: Error) => void): void;
  flushSync(): void;
  end(): void;
  once(event: 'close' | 'ready' | 'error', fn: (err?: Error) => void): void;
}
type SonicBoomCtor = new (opts: { dest: string; sync: boolean; fsync: boolean; minLength: number; append: boolean; mkdir: boolean }) => SonicBoom;

async function loadSonicBoom(): Promise<SonicBoomCtor> {
  const mod = await importPeer<{ default: SonicBoomCtor }>('sonic-boom');
  return mod.default;
}

function closeSonic(sb: SonicBoom): Promise<void> {
  return new Promise((resolve) => {
    sb.once('close', () => resolve());
    sb.end();
  });
}

/** sync: true, fsync: true: each write() is writeSync + fsyncSync before it returns. */
export async function sonicSync(ctx: CaseContext): Promise<CaseResult> {
  const SonicBoom = await loadSonicBoom();
  const sb = new SonicBoom({ dest: join(ctx.dir, 'sonic.log'), sync: true, fsync: true, minLength: 0, append: true, mkdir: true });
  let i = 0;
  const warmEnd = now() + ctx.warmS * 1000;
  while (now() < warmEnd) sb.write(line(i, i++));
  const lat = new Latency();
  const cpu = new ThreadCpu();
  const t0 = now();
  const end = t0 + ctx.measureS * 1000;
  let t = t0;
  let events = 0;
  while (t < end) {
    sb.write(line(i, i++));
    const t1 = now();
    lat.recordMs(t1 - t);
    t = t1;
    events += 1;
  }
  const cpuMs = cpu.elapsedMs();
  await closeSonic(sb);
  return throughput(ctx.id, events, t - t0, {
    ack: lat.summary('event'),
    cpuUsPerEvent: round((cpuMs * 1000) / events, 2),
    cpuOn: `main (${cpu.how})`,
    detail: 'ack = return of write() (writeSync+fsyncSync)',
  });
}

/** sync: false, fsync: true, minLength 4096: windows of 1000 write() then flush(cb) as the durable point. */
export async function sonicAsync(ctx: CaseContext): Promise<CaseResult> {
  const SonicBoom = await loadSonicBoom();
  const sb = new SonicBoom({ dest: join(ctx.dir, 'sonic.log'), sync: false, fsync: true, minLength: 4096, append: true, mkdir: true });
  await new Promise<void>((resolve, reject) => {
    sb.once('ready', () => resolve());
    sb.once('error', (err) => reject(err));
  });
  const WINDOW = 1000;
  let i = 0;
  const flush = (): Promise<void> => new Promise((resolve, reject) => sb.flush((err) => (err ? reject(err) : resolve())));
  const phase = async (seconds: number, lat: Latency | null): Promise<number> => {
    const end = now() + seconds * 1000;
    let events = 0;
    while (now() < end) {
      const t = now();
      for (let j = 0; j < WINDOW; j++) sb.write(line(i, i++));
      await flush();
      lat?.recordMs(now() - t);
      events += WINDOW;
    }
    return events;
  };
  const { events, ms, lat, cpuMs, cpuHow } = await warmThenMeasure(ctx, phase);
  await closeSonic(sb);
  return throughput(ctx.id, events, ms, {
    ack: lat.summary('window of 1000'),
    cpuUsPerEvent: round((cpuMs * 1000) / events, 2),
    cpuOn: `main (${cpuHow}; fsyncSync blocks it)`,
    detail: 'no per-event ack; durable point = flush(cb)',
  });
}

interface PinoLogger {
  info(obj: object): void;
  flush(cb?: (err?: Error) => void): void;
}
interface PinoTransport {
  end(): void;
  once(event: 'close' | 'ready' | 'error', fn: (err?: Error) => void): void;
}
interface Pino {
  (opts: object, stream: PinoTransport): PinoLogger;
  transport(opts: { target: string; options: object }): PinoTransport;
}

/** pino → pino.transport({ target: 'pino/file' }): serialization on the caller, file I/O in pino's worker thread, no fsync. */
export async function pinoTransport(ctx: CaseContext): Promise<CaseResult> {
  const pino = (await importPeer<{ default: Pino }>('pino')).default;
  const transport = pino.transport({ target: 'pino/file', options: { destination: join(ctx.dir, 'pino.log'), mkdir: true, append: true } });
  await new Promise<void>((resolve, reject) => {
    transport.once('ready', () => resolve());
    transport.once('error', (err) => reject(err));
  });
  const logger = pino({ base: null, timestamp: false }, transport);
  const flush = (): Promise<void> => new Promise((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())));
  let i = 0;
  const phase = async (seconds: number): Promise<number> => {
    const end = now() + seconds * 1000;
    let events = 0;
    while (now() < end) {
      for (let j = 0; j < 1000; j++) logger.info(event(i++));
      events += 1000;
    }
    await flush(); // everything handed to the transport thread
    return events;
  };
  await phase(ctx.warmS);
  const cpu = new ThreadCpu();
  const t0 = now();
  const events = await phase(ctx.measureS);
  const ms = now() - t0;
  const cpuMs = cpu.elapsedMs();
  // Not awaited: pino's thread-stream is unref'd and may never emit 'close' before the event
  // loop empties; everything counted was already handed over (flush above).
  transport.end();
  return throughput(ctx.id, events, ms, {
    cpuUsPerEvent: round((cpuMs * 1000) / events, 2),
    cpuOn: `main (${cpu.how})`,
    detail: 'NOT durable: counted once flush() saw the transport thread take them',
  });
}
