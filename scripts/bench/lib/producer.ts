// The threadwal producer loop, shared by the main-thread cases, the producer worker threads
// and the producer processes, so every threadwal row measures the same code path.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Wal } from '@threadwal/client';
import { Latency, ThreadCpu, now, wallNow } from './measure.js';
import { Unavailable, event, importPeer } from './workload.js';

export type ClientModule = typeof import('@threadwal/client');

/** Loads the built client, or says it is not there (it is built by `node scripts/build.mjs`). */
export async function loadClient(): Promise<ClientModule> {
  try {
    return await importPeer<ClientModule>('@threadwal/client');
  } catch (err) {
    throw new Unavailable(`@threadwal/client not available (${(err as Error).message})`);
  }
}

export interface ProduceOptions {
  /** 'append': one durable promise per event; 'nowait': appendNoWait, one flush() per window. */
  mode: 'append' | 'nowait';
  /** Events per window (the unit awaited). */
  window: number;
  /** Windows in flight before the producer awaits the oldest. */
  depth: number;
}

/** Latency is sampled on one event in SAMPLE_EVERY (a power of two) so the probe barely adds to the CPU figure. */
export const SAMPLE_EVERY = 16;

/** Appends until `deadline` (a now() value), then waits for every window to be durable. Returns events appended. */
export async function produce(wal: Wal<string>, deadline: number, first: number, o: ProduceOptions, lat: Latency | null): Promise<number> {
  const inflight: Array<Promise<unknown>> = [];
  const mask = SAMPLE_EVERY - 1;
  let i = first;
  while (now() < deadline) {
    if (o.mode === 'append') {
      const acks: Array<Promise<number>> = new Array(o.window);
      for (let j = 0; j < o.window; j++, i++) {
        const p = wal.append(event(i));
        if (lat !== null && (i & mask) === 0) {
          const t = now();
          void p.then(() => lat.recordMs(now() - t));
        }
        acks[j] = p;
      }
      inflight.push(Promise.all(acks));
    } else {
      for (let j = 0; j < o.window; ) {
        try {
          wal.appendNoWait(event(i));
          i++;
          j++;
        } catch (err) {
          if ((err as { code?: string }).code !== 'EBACKPRESSURE') throw err;
          await wal.drain();
        }
      }
      const t = now();
      const f = wal.flush();
      if (lat !== null) void f.then(() => lat.recordMs(now() - t));
      inflight.push(f);
    }
    if (inflight.length >= o.depth) await inflight.shift();
  }
  await Promise.all(inflight);
  return i - first;
}

/** What one producer thread or process reports: events, its measured interval and its own CPU. */
export interface ProducerReport {
  warmEvents: number;
  events: number;
  /** Wall-clock (epoch ms) end of the measured interval: when its last window was durable. */
  endWall: number;
  cpuMs: number;
  cpuHow: string;
  /** Sampled append→durable latencies, ms. */
  samples: number[];
  meanBatch: number;
}

/** Schedule every producer of a multi-producer case follows (epoch ms, same for all). */
export interface Go {
  warmEndWall: number;
  endWall: number;
}

/** Runs the warm-up and measured phases on an absolute schedule shared with other producers. */
export async function produceOnSchedule(wal: Wal<string>, go: Go, o: ProduceOptions): Promise<ProducerReport> {
  const toNow = (wall: number): number => now() + (wall - wallNow());
  const warmEvents = await produce(wal, toNow(go.warmEndWall), 0, o, null);
  const samples: number[] = [];
  const lat = { recordMs: (ms: number) => void samples.push(ms) } as unknown as Latency;
  const s0 = await wal.stats();
  const cpu = new ThreadCpu();
  const events = await produce(wal, toNow(go.endWall), warmEvents, o, lat);
  const endWall = wallNow();
  const cpuMs = cpu.elapsedMs();
  const s1 = await wal.stats();
  const batches = s1.batches - s0.batches;
  return { warmEvents, events, endWall, cpuMs, cpuHow: cpu.how, samples, meanBatch: batches > 0 ? (s1.events - s0.events) / batches : 0 };
}

/** The seq of the last complete line of a WAL file, or -1 (a cheap end-of-run consistency check). */
export function lastSeqInFile(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(size, 65_536);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    const text = buf.toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return -1;
    const start = text.lastIndexOf('\n', end - 1) + 1;
    return (JSON.parse(text.slice(start, end)) as { seq: number }).seq;
  } finally {
    closeSync(fd);
  }
}
