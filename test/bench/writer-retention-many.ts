// The cost of openWal's `retention` judging many segments at each rotation: N one-line
// segments "from an earlier run", then 300 awaited appends of which ~43 rotate (every
// 1000 bytes), once keeping everything by maxRotations and once by a retention policy that
// deletes nothing. Prints append p99/max and the longest retention run. Not a test:
//   node scripts/build.mjs && flock /tmp/bench.lock node dist-test/bench/writer-retention-many.js [N]
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { openWal, type WalOptions } from '@threadwal/client';

const N = Number(process.argv[2] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'threadwal-wret-many-'));
const path = join(dir, 'w');
try {
  for (let i = 1; i <= N; i++) writeFileSync(`${path}.${i}`, `{"seq":${N - i},"ts":1715800000,"type":"a","job_id":"b"}\n`);
  console.log(`${N} segments, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const cases: Array<[string, WalOptions]> = [
    ['plain', { rotate: { maxSizeBytes: 1000, maxRotations: 100_000 } }],
    ['retention', { rotate: { maxSizeBytes: 1000 }, retention: { maxSegments: 100_000 } }],
  ];
  for (const [name, opts] of cases) {
    const w = await openWal(path, opts);
    const lat: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      await w.append({ type: 'job_started', job_id: 'x', output: 'y'.repeat(100) });
      lat.push(performance.now() - t0);
    }
    const s = await w.stats();
    await w.close();
    lat.sort((a, b) => a - b);
    const r = s.retention;
    console.log(`${name.padEnd(10)} rotations=${s.rotations} p99=${lat[Math.floor(lat.length * 0.99)]!.toFixed(1)}ms max=${lat.at(-1)!.toFixed(1)}ms${r ? ` longest retention run=${(r.maxApplyUs / 1000).toFixed(1)}ms` : ''}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
