// Case 6: latency under a paced (open-loop) load. Event i is due at t0 + i/rate; a loop (a
// timer when the next one is more than 2 ms away, else blocked naps of at most 0.1 ms, each
// followed by a turn of the event loop) issues every due event, and its latency runs from
// its *scheduled* time to its durable ack, so a producer that falls behind shows up in the
// percentiles instead of hiding (no coordinated omission).
// Compare with `raw-fdatasync` of the same run (one write + fdatasync at a time) and with
// the `floor-*` rows (floor.ts: a bare writer thread, paced by this same offer()).
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Latency, ThreadCpu, immediate, now, round, sleep, throughput, type CaseResult } from '../lib/measure.js';
import { loadClient } from '../lib/producer.js';
import { event, type CaseContext } from '../lib/workload.js';

/** What offer() drives: event i appended (its promise settles once durable), and a flush. */
export interface Appender {
  append(i: number): Promise<unknown>;
  flush(): Promise<void>;
}

const SLICE_MS = 0.1;
const napCell = new Int32Array(new SharedArrayBuffer(4));

/** Offers `rate` events/s for `seconds`, from event `first` on; records each one's latency from its scheduled time. */
export async function offer(wal: Appender, rate: number, seconds: number, first: number, lat: Latency | null): Promise<{ events: number; ms: number; maxLagMs: number }> {
  const interval = 1000 / rate;
  const total = Math.max(1, Math.round(rate * seconds));
  const t0 = now() + 1;
  let i = 0;
  let maxLagMs = 0;
  let lastAck = t0;
  while (i < total) {
    const t = now();
    while (i < total && t0 + i * interval <= t) {
      const due = t0 + i * interval;
      if (t - due > maxLagMs) maxLagMs = t - due;
      void wal.append(first + i).then(() => {
        lastAck = now();
        lat?.recordMs(lastAck - due);
      });
      i++;
    }
    if (i >= total) break;
    const wait = t0 + i * interval - now();
    if (wait > 2) await sleep(wait - 1.5); // timers are ms-coarse: a timer for most of the gap,
    else {
      // and the rest in naps of at most 0.1 ms, blocked rather than spinning, each
      // followed by one turn of the event loop (acks are read there, so one waits at most a
      // slice). A producer spinning on setImmediate kept its core busy: four of them (paced-4x10k)
      // took both cores from the writer thread, and the row measured the scheduler.
      // This tick's microtasks go first: a client posts its batch at the end of the tick, and
      // a nap before that held every event ~0.2 ms (p50) between append() and its post.
      await Promise.resolve();
      const left = t0 + i * interval - now();
      if (left > 0) Atomics.wait(napCell, 0, 0, Math.min(left, SLICE_MS));
      await immediate();
    }
  }
  await wal.flush();
  return { events: total, ms: lastAck - t0, maxLagMs };
}

async function paced(ctx: CaseContext, rate: number): Promise<CaseResult> {
  const { openWal } = await loadClient();
  const wal = await openWal<string>(join(ctx.dir, 'paced.wal'));
  const appender: Appender = { append: (i) => wal.append(event(i)), flush: () => wal.flush() };
  try {
    const warm = await offer(appender, rate, ctx.warmS, 0, null);
    const s0 = await wal.stats();
    const lat = new Latency();
    const cpu = new ThreadCpu();
    const r = await offer(appender, rate, ctx.measureS, warm.events, lat);
    const cpuMs = cpu.elapsedMs();
    const s1 = await wal.stats();
    const batches = s1.batches - s0.batches;
    const meanBatch = batches > 0 ? (s1.events - s0.events) / batches : 0;
    return throughput(ctx.id, r.events, r.ms, {
      ack: lat.summary('event, from its scheduled time'),
      detail: `offered ${rate / 1000}k/s; batch≈${round(meanBatch, 1)}; max issue lag ${round(r.maxLagMs, 2)} ms`,
      // CPU here includes the pacing loop's spinning, so it is kept out of the table's CPU column.
      metrics: { offeredPerSec: rate, meanBatch: round(meanBatch, 2), maxIssueLagMs: round(r.maxLagMs, 3), mainCpuUsPerEventInclSpin: round((cpuMs * 1000) / r.events, 2) },
    });
  } finally {
    await wal.close();
  }
}

export const paced1k = (ctx: CaseContext): Promise<CaseResult> => paced(ctx, 1_000);
export const paced10k = (ctx: CaseContext): Promise<CaseResult> => paced(ctx, 10_000);
export const paced100k = (ctx: CaseContext): Promise<CaseResult> => paced(ctx, 100_000);

/**
 * Stress: 4 producer threads (each connectWal on a port of this thread's WAL, so one writer
 * thread) offering `rate` each at once; the row is every event's latency from all four.
 */
export async function pacedThreads4(ctx: CaseContext, rate = 10_000): Promise<CaseResult> {
  if (ctx.quick) return { id: ctx.id, status: 'skipped', note: 'a stress row: full runs only' };
  const { openWal } = await loadClient();
  const wal = await openWal<string>(join(ctx.dir, 'paced4.wal'));
  const workers: Worker[] = [];
  try {
    type Msg = { type: 'ready' } | { type: 'error'; error: string } | { type: 'report'; samples: Float64Array; events: number; ms: number; maxLagMs: number };
    const replies: Array<Promise<Msg & { type: 'report' }>> = [];
    const ready: Array<Promise<void>> = [];
    for (let k = 0; k < 4; k++) {
      const port = wal.port();
      const w = new Worker(new URL('./paced-thread.js', import.meta.url), {
        workerData: { port, rate, warmS: ctx.warmS, measureS: ctx.measureS, first: k * 100_000_000 }, transferList: [port],
      });
      workers.push(w);
      let onReady!: () => void;
      ready.push(new Promise((r) => (onReady = r)));
      replies.push(new Promise((resolve, reject) => {
        w.on('message', (m: Msg) => {
          if (m.type === 'ready') onReady();
          else if (m.type === 'report') resolve(m);
          else reject(new Error(`producer thread: ${m.error}`));
        });
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`producer thread exited (${code}) before reporting`)));
      }));
    }
    await Promise.all(ready);
    for (const w of workers) w.postMessage('go');
    const reports = await Promise.all(replies);
    const lat = new Latency();
    for (const r of reports) for (const ms of r.samples) lat.recordMs(ms);
    const events = reports.reduce((s, r) => s + r.events, 0);
    const ms = Math.max(...reports.map((r) => r.ms));
    const maxLag = Math.max(...reports.map((r) => r.maxLagMs));
    return throughput(ctx.id, events, ms, {
      ack: lat.summary('event, from its scheduled time'),
      detail: `4 threads × ${rate / 1000}k/s offered; max issue lag ${round(maxLag, 2)} ms`,
      metrics: { offeredPerSec: 4 * rate, maxIssueLagMs: round(maxLag, 3) },
    });
  } finally {
    for (const w of workers) void w.terminate();
    await wal.close();
  }
}
