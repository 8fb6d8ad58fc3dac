// The fixed workload `pnpm bench:runtimes` runs under each runtime, from a fresh app where
// threadwal is npm-installed (this file is copied there, built): one producer on the main
// thread, durability fdatasync, job events of ~180-byte lines, for `measureS` seconds after
// a warm-up. Prints one JSON line.
//   <runtime> runtime-workload.js <dir> <window|nowait> <measureS>
//   window  1000 append() then await Promise.all (each event's own promise)
//   nowait  1000 appendNoWait() then flush(), 4 flushes in flight
import { openWal } from 'threadwal';
import { join } from 'node:path';

const WINDOW = 1000;
const DEPTH = 4;
const WARM_S = 0.5;

const TYPES = ['job_submitted', 'job_started', 'job_completed', 'job_failed'] as const;
const pool = Array.from({ length: 4096 }, (_, i) => ({
  ts: 1_715_800_000 + (i >> 6),
  type: TYPES[i % TYPES.length]!,
  job_id: `job-${100_000 + ((i * 7919) % 900_000)}`,
  capability: 'FileRead',
  output: { path: `/srv/in/${i}.csv`, bytes: 1000 + ((i * 104_729) % 9_000_000), digest: `sha256:${(i * 2_246_822_519 >>> 0).toString(16).padStart(8, '0')}` },
}));

const [dir, mode, measure] = process.argv.slice(2) as [string, 'window' | 'nowait', string];
const wal = await openWal<string>(join(dir, `${mode}.wal`));
let i = 0;

/** Appends until `until` (performance.now()); returns how many events became durable. */
async function run(until: number): Promise<number> {
  const start = i;
  if (mode === 'window') {
    while (performance.now() < until) {
      const window: Array<Promise<number>> = [];
      for (let k = 0; k < WINDOW; k++) window.push(wal.append(pool[i++ & 4095]!));
      await Promise.all(window);
    }
  } else {
    const flushes: Array<Promise<void>> = [];
    while (performance.now() < until) {
      for (let k = 0; k < WINDOW; k++) wal.appendNoWait(pool[i++ & 4095]!);
      flushes.push(wal.flush());
      if (flushes.length >= DEPTH) await flushes.shift();
    }
    await Promise.all(flushes);
  }
  return i - start;
}

await run(performance.now() + WARM_S * 1000);
const s0 = await wal.stats();
const t0 = performance.now();
const events = await run(t0 + Number(measure) * 1000);
const ms = performance.now() - t0;
const s1 = await wal.stats();
await wal.close();
const batches = s1.batches - s0.batches;
process.stdout.write(`${JSON.stringify({ events, ms, evPerSec: Math.round(events / (ms / 1000)), fsyncsPerSec: Math.round(batches / (ms / 1000)), meanBatch: Math.round(events / Math.max(1, batches)) })}\n`);
