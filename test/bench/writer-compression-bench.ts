// Issue 19, item 5: does rotate.compress stall the writer? A paced producer (RATE events/s
// of ~250 bytes, issued every millisecond, not awaited) appends to a WAL that rotates every
// SEGMENT bytes: `off` (no compression), `gzip` (rotate.compress: 'gzip') and `pool` (what a
// user did before: maintenance's compress() called when a rotation is seen, in its piscina
// thread of this process, its install taking the writers' lock), runs interleaved (off, gzip,
// pool, off, …) in one process. Reported per mode: append → ack latency over the whole run,
// and over the appends issued within WINDOW_MS after each rotation (where a compression
// runs in gzip mode; the same windows in off mode), p50/p99/p99.9/max, plus the writer's
// own figures (compressed segments, the longest install inside a cycle). Not a test:
//   node scripts/build.mjs && flock /tmp/threadwal-machine.lock node dist-test/bench/writer-compression-bench.js [--rate 20000] [--seconds 8] [--segment-mib 8] [--reps 3] [--dir DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { openWal } from '@threadwal/client';
import { compress, closePool } from '@threadwal/maintenance';

type Mode = 'off' | 'gzip' | 'pool';
const MODES: Mode[] = ['off', 'gzip', 'pool'];

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '8' },
    'segment-mib': { type: 'string', default: '8' },
    reps: { type: 'string', default: '3' },
    window: { type: 'string', default: '500' },
    dir: { type: 'string' },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const SEGMENT = Number(values['segment-mib']) * 1024 * 1024;
const REPS = Number(values.reps);
const WINDOW_MS = Number(values.window);

interface Run {
  all: number[];
  near: number[];
  rotations: number;
  compressed: number;
  maxInstallUs: number;
}

async function once(mode: Mode): Promise<Run> {
  const dir = mkdtempSync(join(values.dir ?? tmpdir(), 'tw-rc-'));
  try {
    const path = join(dir, 'bench.wal');
    const wal = await openWal(path, { rotate: { maxSizeBytes: SEGMENT, maxRotations: 3, ...(mode === 'gzip' ? { compress: 'gzip' as const } : {}) } });
    const issued: number[] = [];
    const lat: number[] = [];
    const rotationsAt: number[] = [];
    let rotations = 0;
    let pooled = 0;
    const jobs: Array<Promise<unknown>> = [];
    let asking = false; // one stats() at a time (each call in flight holds a listener on the writer's Worker)
    const watch = setInterval(() => {
      if (asking) return;
      asking = true;
      void wal.stats().then((s) => {
        if (s.rotations > rotations) {
          rotationsAt.push(performance.now());
          if (mode === 'pool') jobs.push(compress(path).then((r) => { pooled += r.compressedSegments; }));
        }
        rotations = s.rotations;
      }, () => undefined).finally(() => {
        asking = false;
      });
    }, 5);
    const pad = 'x'.repeat(180);
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < SECONDS * 1000) {
      const due = Math.floor(((performance.now() - t0) / 1000) * RATE);
      for (; n < due; n++) {
        const i = n;
        const at = performance.now();
        issued[i] = at;
        void wal.append({ type: 'job_started', job_id: `e${i}`, output: pad }).then(() => {
          lat[i] = (performance.now() - at) * 1000;
        });
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await wal.flush();
    await new Promise((r) => setImmediate(r)); // the last acks' .then callbacks
    clearInterval(watch);
    await Promise.all(jobs);
    const s = await wal.stats();
    await wal.close();
    const near: number[] = [];
    for (let i = 0; i < n; i++) {
      if (lat[i] === undefined) continue;
      if (rotationsAt.some((r) => issued[i]! >= r - 5 && issued[i]! < r + WINDOW_MS)) near.push(lat[i]!);
    }
    return { all: lat.filter((x) => x !== undefined), near, rotations: s.rotations, compressed: s.compression?.compressedSegments ?? pooled, maxInstallUs: s.compression?.maxInstallUs ?? 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function q(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]!);
}

const perRep = Object.fromEntries(MODES.map((m) => [m, { all: [] as number[], near: [] as number[] }])) as Record<Mode, { all: number[]; near: number[] }>;
const sum = Object.fromEntries(MODES.map((m) => [m, { all: [] as number[], near: [] as number[], rotations: 0, compressed: 0, maxInstallUs: 0 }])) as Record<Mode, { all: number[]; near: number[]; rotations: number; compressed: number; maxInstallUs: number }>;
console.log(`rate ${RATE}/s, ${SECONDS} s per run, segment ${SEGMENT / 1048576} MiB, window ${WINDOW_MS} ms, ${REPS} reps each, interleaved; ${cpus().length} cpus, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (let r = 0; r < REPS; r++) {
  for (const mode of MODES) {
    const run = await once(mode);
    const t = sum[mode];
    for (const x of run.all) t.all.push(x);
    for (const x of run.near) t.near.push(x);
    t.rotations += run.rotations;
    t.compressed += run.compressed;
    t.maxInstallUs = Math.max(t.maxInstallUs, run.maxInstallUs);
    perRep[mode].all.push(q(run.all, 0.99));
    perRep[mode].near.push(q(run.near, 0.99));
    console.log(`rep ${r} ${mode.padEnd(4)}: all p50 ${q(run.all, 0.5)} p99 ${q(run.all, 0.99)} p99.9 ${q(run.all, 0.999)} max ${q(run.all, 1)} µs | near rotations (${run.near.length}) p50 ${q(run.near, 0.5)} p99 ${q(run.near, 0.99)} p99.9 ${q(run.near, 0.999)} max ${q(run.near, 1)} µs | rotations ${run.rotations} compressed ${run.compressed} maxInstall ${run.maxInstallUs} µs`);
  }
}
for (const mode of MODES) {
  const t = sum[mode];
  console.log(`TOTAL ${mode.padEnd(4)}: all (${t.all.length}) p50 ${q(t.all, 0.5)} p99 ${q(t.all, 0.99)} p99.9 ${q(t.all, 0.999)} max ${q(t.all, 1)} µs | near rotations (${t.near.length}) p50 ${q(t.near, 0.5)} p99 ${q(t.near, 0.99)} p99.9 ${q(t.near, 0.999)} µs | rotations ${t.rotations} compressed ${t.compressed} maxInstall ${t.maxInstallUs} µs`);
}
const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : 'n/a');
for (const mode of MODES) console.log(`median of the reps' p99 ${mode.padEnd(4)}: all ${q(perRep[mode].all, 0.5)} µs, near rotations ${q(perRep[mode].near, 0.5)} µs`);
for (const mode of ['gzip', 'pool'] as const) console.log(`${mode}/off, median of the reps' p99: all ${ratio(q(perRep[mode].all, 0.5), q(perRep.off.all, 0.5))}, near rotations ${ratio(q(perRep[mode].near, 0.5), q(perRep.off.near, 0.5))}`);
for (const mode of ['gzip', 'pool'] as const) console.log(`${mode}/off p99 of all reps together: all ${ratio(q(sum[mode].all, 0.99), q(sum.off.all, 0.99))}, near rotations ${ratio(q(sum[mode].near, 0.99), q(sum.off.near, 0.99))}`);
await closePool();
