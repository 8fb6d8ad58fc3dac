// Clocks, per-thread CPU, latency histograms and the result record every case returns.
// Shared by the orchestrator (index.ts) and the case processes (run-case.ts); no case code here.
import { readdirSync, readFileSync } from 'node:fs';
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

/** What one case reports back to the orchestrator (plain data: it crosses the IPC channel). */
export interface CaseResult {
  id: string;
  status: 'ok' | 'unavailable' | 'error' | 'timeout' | 'skipped';
  /** Why it is unavailable / failed, or what the reader must know to read the numbers. */
  note?: string;
  /** Durable events (acknowledged as on disk) in the measured interval. */
  events?: number;
  seconds?: number;
  eventsPerSec?: number;
  /** append → durable latency, µs; `per` says what one sample is. */
  ack?: AckLatency;
  /** CPU µs spent per append on the producing thread(s) (`cpuOn` says which). */
  cpuUsPerEvent?: number;
  cpuOn?: string;
  /** Short text for the table's "detail" column. */
  detail?: string;
  /** Raw numbers for the JSON file (openMs, bytesRead, mbPerSec, peakRssMb, meanBatch, ...). */
  metrics?: Record<string, number | string | boolean>;
  /** A group's own table (several variants measured inside one case), printed under the main table. */
  section?: string;
  /** That table's rows as data (for the JSON record), and each run behind them. */
  variants?: Array<Record<string, number | string | boolean | null>>;
  runs?: Array<Record<string, number | string | boolean | null>>;
}

export interface AckLatency {
  p50Us: number;
  p99Us: number;
  p999Us?: number;
  maxUs?: number;
  samples: number;
  per: string;
}

/** Milliseconds, monotonic, sub-µs resolution. */
export const now = (): number => performance.now();

/** Milliseconds since the epoch on a clock that every process of this machine shares closely enough. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * CPU time of the calling thread in ns, from /proc/thread-self/schedstat (the scheduler's
 * sum_exec_runtime): process.cpuUsage() would also count the writer thread and libuv's pool,
 * and Node 20 has no process.threadCpuUsage(). Null where /proc is not Linux's.
 */
export function threadCpuNs(): number | null {
  try {
    const s = readFileSync('/proc/thread-self/schedstat', 'latin1');
    const ns = Number(s.slice(0, s.indexOf(' ')));
    return Number.isFinite(ns) ? ns : null;
  } catch {
    return null;
  }
}

/** Measures this thread's CPU over an interval; falls back to event-loop utilization × wall time. */
export class ThreadCpu {
  readonly #cpu0 = threadCpuNs();
  readonly #elu0 = performance.eventLoopUtilization();
  /** How the figure was obtained, for the table. */
  how = '';

  /** Event-loop active ms of this thread since construction (ELU's view, kept as a cross-check in the JSON). */
  eluActiveMs(): number {
    return performance.eventLoopUtilization(this.#elu0).active;
  }

  /** CPU ms used by this thread since construction. */
  elapsedMs(): number {
    const cpu1 = threadCpuNs();
    if (this.#cpu0 !== null && cpu1 !== null) {
      this.how = 'thread CPU';
      return (cpu1 - this.#cpu0) / 1e6;
    }
    this.how = 'event-loop active time';
    return performance.eventLoopUtilization(this.#elu0).active;
  }
}

/** A latency recorder over node's HDR histogram (3 significant figures), fed in ms, read in µs. */
export class Latency {
  readonly #h: RecordableHistogram = createHistogram({ lowest: 1, highest: 120e9, figures: 3 });
  #n = 0;

  recordMs(ms: number): void {
    this.#h.record(Math.max(1, Math.round(ms * 1e6)));
    this.#n += 1;
  }

  get count(): number {
    return this.#n;
  }

  summary(per: string): AckLatency | undefined {
    if (this.#n === 0) return undefined;
    const us = (p: number): number => round(this.#h.percentile(p) / 1000, 1);
    return { p50Us: us(50), p99Us: us(99), p999Us: us(99.9), maxUs: round(this.#h.max / 1000, 1), samples: this.#n, per };
  }
}

export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Bytes this process read through read(2) and friends so far (/proc/self/io rchar), or null. */
export function bytesReadSoFar(): number | null {
  try {
    const m = /rchar:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'latin1'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Peak resident set size of this process (all its threads), MB. */
export function peakRssMb(): number {
  return round(process.resourceUsage().maxRSS / 1024, 1);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Throughput record from a count, an interval and optional latency/CPU. */
export function throughput(id: string, events: number, ms: number, extra: Partial<CaseResult> = {}): CaseResult {
  return { id, status: 'ok', events, seconds: round(ms / 1000, 3), eventsPerSec: Math.round(events / (ms / 1000)), ...extra };
}

/** CPU ns of each thread of this process (Linux), by thread id. */
function taskCpuNs(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const s = readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1');
        out.set(tid, Number(s.slice(0, s.indexOf(' '))));
      } catch {
        // the thread ended between readdir and read
      }
    }
  } catch {
    // not Linux
  }
  return out;
}

/**
 * CPU of the threads that appeared after construction (say, a writer thread started by
 * openWal), measured from `start()` on. Node does not name its threads, so "new since
 * before openWal" is how the writer thread is told apart from V8's and libuv's.
 */
export class NewThreadsCpu {
  readonly #before = new Set(taskCpuNs().keys());
  #start = new Map<string, number>();

  start(): void {
    this.#start = new Map([...taskCpuNs()].filter(([tid]) => !this.#before.has(tid)));
  }

  /** CPU ms of those threads since start(), or null when /proc is not there. */
  elapsedMs(): number | null {
    if (this.#start.size === 0) return null;
    let ns = 0;
    for (const [tid, v] of taskCpuNs()) {
      const v0 = this.#start.get(tid);
      if (v0 !== undefined) ns += v - v0;
    }
    return ns / 1e6;
  }
}

/** What warmThenMeasure measured: events, wall ms, per-ack latency, and the main thread's CPU. */
export interface Measured {
  events: number;
  ms: number;
  lat: Latency;
  cpuMs: number;
  cpuHow: string;
}

/** Runs `phase` for the warm-up time, then again measured (for the cases whose loop is one function of time). */
export async function warmThenMeasure(
  ctx: { warmS: number; measureS: number },
  phase: (seconds: number, lat: Latency | null) => Promise<number>,
): Promise<Measured> {
  await phase(ctx.warmS, null);
  const lat = new Latency();
  const cpu = new ThreadCpu();
  const t0 = now();
  const events = await phase(ctx.measureS, lat);
  const ms = now() - t0;
  return { events, ms, lat, cpuMs: cpu.elapsedMs(), cpuHow: cpu.how };
}
