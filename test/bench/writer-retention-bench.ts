// Append latency with and without openWal's `retention` deleting during the writer's
// rotations (issue 13, item 1: retention must not stall appends). Each case lays out four
// 64 MiB segments "from an earlier run", opens a writer rotating every 1 MiB, and appends
// at a steady pace (BATCH events every millisecond, each awaited on its own) for SECONDS s,
// recording every append's latency. `plain` keeps everything (maxRotations 1000);
// `retention` keeps 2 segments, so its first rotation deletes 192 MiB and every later one
// 1 MiB. Cases alternate, ROUNDS times. Not a test:
//   node scripts/build.mjs && flock /tmp/bench.lock node dist-test/bench/writer-retention-bench.js [seconds] [rounds]
import { mkdtempSync, rmSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { openWal, type WalOptions } from '@threadwal/client';

const SECONDS = Number(process.argv[2] ?? 15);
const ROUNDS = Number(process.argv[3] ?? 2);
const BATCH = 10;
const OLD_BYTES = 64 * 1024 * 1024;

function earlierRun(path: string): void {
  let seq = 0;
  for (let seg = 4; seg >= 1; seg--) {
    const fd = openSync(`${path}.${seg}`, 'w');
    let chunk = '';
    for (let written = 0; written < OLD_BYTES;) {
      chunk += `{"seq":${seq++},"ts":1715800000,"type":"job_started","job_id":"old-${seq}","output":"${'o'.repeat(120)}"}\n`;
      if (chunk.length > 1 << 20) {
        written += writeSync(fd, chunk);
        chunk = '';
      }
    }
    if (chunk) writeSync(fd, chunk);
    closeSync(fd);
  }
}

const q = (a: Float64Array, p: number): number => a[Math.min(a.length - 1, Math.floor(p * a.length))]!;

async function runCase(name: string, opts: WalOptions): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'threadwal-wret-bench-'));
  const path = join(dir, 'app.wal');
  try {
    earlierRun(path);
    const wal = await openWal(path, opts);
    const lat: number[] = [];
    const pending: Promise<void>[] = [];
    const end = performance.now() + SECONDS * 1000;
    let n = 0;
    await new Promise<void>((done) => {
      const tick = setInterval(() => {
        if (performance.now() >= end) {
          clearInterval(tick);
          done();
          return;
        }
        for (let i = 0; i < BATCH; i++) {
          const t0 = performance.now();
          pending.push(wal.append({ type: 'job_started', job_id: `j-${n++}`, output: 'x'.repeat(120) }).then(() => void lat.push(performance.now() - t0)));
        }
      }, 1);
    });
    await Promise.all(pending);
    const s = await wal.stats();
    await wal.close();
    const a = Float64Array.from(lat).sort();
    const r = s.retention;
    return `${name.padEnd(10)} events=${a.length} rotations=${s.rotations} p50=${(q(a, 0.5) * 1000).toFixed(0)}µs p99=${(q(a, 0.99) * 1000).toFixed(0)}µs p99.9=${(q(a, 0.999) * 1000).toFixed(0)}µs max=${a[a.length - 1]!.toFixed(1)}ms` +
      (r ? ` deleted=${r.deletedSegments} (${(r.deletedBytes / 1048576).toFixed(0)} MiB) errors=${r.errors} longest run in the cycle=${(r.maxApplyUs / 1000).toFixed(2)}ms` : '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`writer retention bench: ${SECONDS}s per case, ${BATCH} appends/ms, rotate every 1 MiB; load average ${load()}`);
for (let r = 0; r < ROUNDS; r++) {
  console.log(await runCase('plain', { rotate: { maxSizeBytes: 1 << 20, maxRotations: 1000 } }));
  console.log(await runCase('retention', { rotate: { maxSizeBytes: 1 << 20 }, retention: { maxSegments: 2 } }));
}
console.log(`load average at the end ${load()}`);
