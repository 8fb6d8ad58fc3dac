// The fixed workload: job-lifecycle events whose seed-format line (with `{"seq":N,` and
// `\n`) is 150–200 bytes, ~180 on average. A pool of distinct events is built once, so
// every case pays for serialization (as a caller would) but not for building objects.
import type { CaseResult } from './measure.js';

export interface BenchEvent {
  ts: number;
  type: string;
  job_id: string;
  capability: string;
  output: { path: string; bytes: number; digest: string };
  [extra: string]: unknown;
}

const TYPES = ['job_submitted', 'job_validated', 'job_started', 'job_completed', 'job_failed', 'job_rolled_back', 'command_executed'] as const;
const CAPABILITIES = ['FileRead', 'FileWrite', 'ShellExec', 'HttpFetch'] as const;
export const POOL_SIZE = 4096; // a power of two: event(i) is pool[i & (POOL_SIZE - 1)]
const BASE_TS = 1_715_800_000;

function hex(n: number, width: number): string {
  return (n >>> 0).toString(16).padStart(width, '0').slice(-width);
}

function makeEvent(i: number): BenchEvent {
  const id = 100_000 + ((i * 7919) % 900_000);
  return {
    ts: BASE_TS + (i >> 6),
    type: TYPES[i % TYPES.length]!,
    job_id: `job-${id}`,
    capability: CAPABILITIES[i % CAPABILITIES.length]!,
    output: {
      path: `/srv/in/${id}.csv`,
      bytes: 1000 + ((i * 104_729) % 9_000_000),
      digest: `sha256:${hex(i * 2_246_822_519, 8)}`,
    },
  };
}

export const pool: readonly BenchEvent[] = Array.from({ length: POOL_SIZE }, (_, i) => makeEvent(i));

/** The i-th event of the workload. */
export function event(i: number): BenchEvent {
  return pool[i & (POOL_SIZE - 1)]!;
}

/** The seed-format line of event i with sequence number `seq` (what the baselines write). */
export function line(i: number, seq: number): string {
  return `{"seq":${seq},${JSON.stringify(event(i)).slice(1)}\n`;
}

/** Line sizes over the pool, for the header (checks the 150–200 B promise). */
export function lineSizes(): { min: number; max: number; mean: number } {
  let min = Infinity;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < POOL_SIZE; i++) {
    const n = Buffer.byteLength(line(i, 1_000_000 + i));
    min = Math.min(min, n);
    max = Math.max(max, n);
    sum += n;
  }
  return { min, max, mean: Math.round(sum / POOL_SIZE) };
}

/** What every case gets from the case runner. */
export interface CaseContext {
  id: string;
  quick: boolean;
  /** A fresh directory for this case (removed by the runner afterwards). */
  dir: string;
  /** A directory shared by the cases of one run (the big-file cases keep their file here). */
  shared: string;
  /** Seconds of warm-up (not counted) and of measurement. */
  warmS: number;
  measureS: number;
}

export type CaseFn = (ctx: CaseContext) => Promise<CaseResult>;

/** Thrown by a case whose peer package cannot be loaded: the row says so and the run goes on. */
export class Unavailable extends Error {
  override readonly name = 'Unavailable';
}

/** Imports an optional peer by a computed specifier, so typecheck and build never depend on it being installed. */
export async function importPeer<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' ? 'not installed' : `cannot load: ${(err as Error).message.split('\n')[0]}`;
    throw new Unavailable(`${name} ${why}`);
  }
}

/**
 * Groups 8 and 9: whether variant `id` runs. `THREADWAL_BENCH_VARIANTS=none,tw-thread` (a
 * comma list) runs only those, for quick A/B runs of one path; unset, every variant runs.
 * Keep the ratios' base variant in the list (group 8: pino-dest; group 9: none).
 */
export function benchVariantWanted(id: string): boolean {
  const list = process.env.THREADWAL_BENCH_VARIANTS;
  return !list || list.split(',').map((s) => s.trim()).includes(id);
}
