// Case 6's floor: the bare thread hop. A 60-line writer thread (floor-worker.ts) that
// write+fdatasyncs whatever lines it has received and acks back, paced exactly like the
// threadwal paced rows (paced.ts's offer()). No lock, no framing, no recovery: what any
// design that puts the fdatasync on another thread pays on this machine. Each row runs both
// wake-up mechanisms (MessagePort, and SAB + Atomics.wait / Atomics.waitAsync) one after
// the other and reports the one with the lower p99 (the other is in the detail column), so
// the row is the lower floor of the two.
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Latency, round, throughput, type CaseResult } from '../lib/measure.js';
import { line, type CaseContext } from '../lib/workload.js';
import { offer, type Appender } from './paced.js';
import { ACK, REQ, STOP, type FloorWorkerData } from './floor-worker.js';

type Mode = FloorWorkerData['mode'];

/** The producer side: one post per event, promises settled in order as the durable count grows. */
class FloorClient implements Appender {
  readonly #mode: Mode;
  readonly #worker: Worker;
  readonly #port: MessageChannel['port1'];
  readonly #words: Int32Array;
  readonly #res: Array<(v: number) => void> = [];
  #head = 0;
  #posted = 0;
  #durable = 0;
  #armed = false;
  #flushers: Array<{ at: number; done: () => void }> = [];

  constructor(path: string, mode: Mode) {
    this.#mode = mode;
    const { port1, port2 } = new MessageChannel();
    const sab = new SharedArrayBuffer(16);
    this.#words = new Int32Array(sab);
    this.#port = port1;
    const data: FloorWorkerData = { path, mode, port: port2, sab };
    this.#worker = new Worker(new URL('./floor-worker.js', import.meta.url), { workerData: data, transferList: [port2] });
    if (mode === 'port') port1.on('message', (n: number) => this.#settle(n));
  }

  append(i: number): Promise<number> {
    const p = new Promise<number>((r) => this.#res.push(r));
    this.#port.postMessage(line(i, this.#posted));
    this.#posted += 1;
    if (this.#mode === 'sab') {
      Atomics.add(this.#words, REQ, 1);
      Atomics.notify(this.#words, REQ);
      this.#arm();
    }
    return p;
  }

  #arm(): void {
    if (this.#armed) return;
    const w = Atomics.waitAsync(this.#words, ACK, this.#durable);
    if (!w.async) return this.#settle(Atomics.load(this.#words, ACK));
    this.#armed = true;
    void w.value.then(() => {
      this.#armed = false;
      this.#settle(Atomics.load(this.#words, ACK));
    });
  }

  #settle(n: number): void {
    while (this.#durable < n) {
      this.#res[this.#head]!(this.#durable);
      this.#head += 1;
      this.#durable += 1;
    }
    if (this.#head > 4096) {
      this.#res.splice(0, this.#head);
      this.#head = 0;
    }
    this.#flushers = this.#flushers.filter((f) => (f.at <= n ? (f.done(), false) : true));
    if (this.#mode === 'sab' && this.#durable < this.#posted) this.#arm();
  }

  flush(): Promise<void> {
    if (this.#durable >= this.#posted) return Promise.resolve();
    return new Promise((done) => this.#flushers.push({ at: this.#posted, done }));
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => this.#worker.once('exit', r));
    Atomics.store(this.#words, STOP, 1);
    Atomics.notify(this.#words, REQ);
    this.#worker.postMessage('stop');
    this.#port.close();
    await exited;
  }
}

async function one(ctx: CaseContext, rate: number, mode: Mode): Promise<{ lat: Latency; events: number; ms: number; maxLagMs: number }> {
  const client = new FloorClient(join(ctx.dir, `floor-${mode}.wal`), mode);
  try {
    const warm = await offer(client, rate, ctx.warmS, 0, null);
    const lat = new Latency();
    const r = await offer(client, rate, ctx.measureS, warm.events, lat);
    return { lat, ...r };
  } finally {
    await client.close();
  }
}

async function floor(ctx: CaseContext, rate: number): Promise<CaseResult> {
  const port = await one(ctx, rate, 'port');
  if (ctx.quick) {
    // --quick is a smoke run inside a time budget: one mechanism is enough to show it works.
    return throughput(ctx.id, port.events, port.ms, {
      ack: port.lat.summary('event, from its scheduled time'),
      detail: `offered ${rate / 1000}k/s; port only (--quick)`,
      metrics: { offeredPerSec: rate, mechanism: 'port' },
    });
  }
  const sab = await one(ctx, rate, 'sab');
  const ps = port.lat.summary('event, from its scheduled time')!;
  const ss = sab.lat.summary('event, from its scheduled time')!;
  const [best, bestName, other, otherName] = ss.p99Us <= ps.p99Us ? [sab, 'sab', ps, 'port'] : [port, 'port', ss, 'sab'];
  return throughput(ctx.id, best.events, best.ms, {
    ack: best.lat.summary('event, from its scheduled time'),
    detail: `offered ${rate / 1000}k/s; lower p99 of two: ${bestName} (${otherName}: p50 ${round(other.p50Us)} µs, p99 ${round(other.p99Us)} µs, p99.9 ${round(other.p999Us ?? 0)} µs)`,
    metrics: {
      offeredPerSec: rate, mechanism: bestName,
      portP50Us: ps.p50Us, portP99Us: ps.p99Us, portP999Us: ps.p999Us ?? 0,
      sabP50Us: ss.p50Us, sabP99Us: ss.p99Us, sabP999Us: ss.p999Us ?? 0,
    },
  });
}

export const floor1k = (ctx: CaseContext): Promise<CaseResult> => floor(ctx, 1_000);
export const floor10k = (ctx: CaseContext): Promise<CaseResult> => floor(ctx, 10_000);
export const floor100k = (ctx: CaseContext): Promise<CaseResult> => floor(ctx, 100_000);
