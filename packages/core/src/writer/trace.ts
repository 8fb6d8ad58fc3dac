// Latency tracing (issue 15), off unless THREADWAL_TRACE=1 is in the environment when the
// thread loads this module. Off, the hot path pays one branch on a constant per batch and
// nothing else: no clock reads, no histograms, no observers, no extra message fields.
// On, each thread keeps one set of HDR histograms (`threadTrace`):
//   - the writer records its own phases per cycle and stamps each ack with the absolute
//     times (timeOrigin + now, comparable across threads) at which it received the batch,
//     began the cycle, had the lock, had written, had synced and posted the ack;
//   - the client turns those stamps and its own (post, ack received) into the per-batch
//     breakdown, the promise-resolution step is recorded by whoever awaits (the bench);
//   - both threads record event-loop delay (monitorEventLoopDelay) and GC pauses
//     (PerformanceObserver 'gc').
// The writer's summary travels in stats().trace; the client thread's is threadTrace.summary().
import { envVar } from '../util/runtime.js';
import { monitorEventLoopDelay, performance, PerformanceObserver, type IntervalHistogram, type RecordableHistogram } from 'node:perf_hooks';
// Through the namespace: Deno before 2.8 has no createHistogram, and a named import of it
// would fail every import of threadwal there (only tracing needs it).
import * as perfHooks from 'node:perf_hooks';

export const TRACE: boolean = envVar('THREADWAL_TRACE') === '1';

/** Milliseconds on a clock every thread of the process shares (timeOrigin differs per thread). */
export const absNow = (): number => performance.timeOrigin + performance.now();

/** Indexes of the writer's stamps in AckMsg.t. */
export const T_RECV = 0;
export const T_CYCLE = 1;
export const T_LOCKED = 2;
export const T_WRITTEN = 3;
export const T_SYNCED = 4;
export const T_ACKED = 5;
/** When the writer ended the cycle before the one that took this batch: a batch posted earlier waited for it. */
export const T_FREE = 6;

export interface PhaseSummary {
  n: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  /** Sum of the samples, ms (for GC: total pause time). */
  totalMs: number;
}
export type TraceSummary = Record<string, PhaseSummary>;

const r1 = (x: number): number => Math.round(x * 10) / 10;

export class PhaseTrace {
  readonly #h = new Map<string, { h: RecordableHistogram; sum: number }>();
  readonly #loops: Array<{ name: string; h: IntervalHistogram }> = [];
  /** When this thread last began settling a batch's promises (absNow): the awaiting side times promise resolution from it. */
  lastAckAt = 0;

  record(name: string, ms: number): void {
    let e = this.#h.get(name);
    if (!e) this.#h.set(name, (e = { h: perfHooks.createHistogram({ lowest: 1, highest: 60e9, figures: 3 }), sum: 0 }));
    e.h.record(Math.max(1, Math.round(ms * 1e6)));
    e.sum += ms;
  }

  /** Starts this thread's event-loop delay and GC probes, recorded as `loop delay (who)` and `gc (who)`. */
  probeThread(who: string): void {
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    this.#loops.push({ name: `event-loop delay (${who})`, h });
    const gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.record(`gc pause (${who})`, e.duration);
    });
    gc.observe({ entryTypes: ['gc'] });
  }

  /** Forgets every sample (the end of a warm-up). */
  reset(): void {
    this.#h.clear();
    for (const l of this.#loops) l.h.reset();
  }

  summary(): TraceSummary {
    const out: TraceSummary = {};
    for (const [name, { h, sum }] of this.#h) {
      out[name] = { n: h.count, p50Us: r1(h.percentile(50) / 1000), p99Us: r1(h.percentile(99) / 1000), maxUs: r1(h.max / 1000), totalMs: r1(sum) };
    }
    for (const { name, h } of this.#loops) {
      if (h.count === 0) continue;
      out[name] = { n: h.count, p50Us: r1(h.percentile(50) / 1000), p99Us: r1(h.percentile(99) / 1000), maxUs: r1(h.max / 1000), totalMs: 0 };
    }
    return out;
  }
}

/** This thread's trace (empty and unused unless TRACE). */
export const threadTrace = new PhaseTrace();
