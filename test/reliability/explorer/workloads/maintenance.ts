// Workloads: cleanup (whole segments deleted, the segment holding the cutoff rewritten, the
// active file too) and compress (segments replaced by `.gz`), both with a writer open.
// `n` is the number of events; the patterns repeat until it is reached.
import { openWal } from '@threadwal/client';
import { rotate, cleanup, compress, closePool } from '@threadwal/maintenance';
import { appendSome, floor } from './markers.js';
import { TS0 } from '../events.js';

export async function cleanupWorkload(path: string, n: number): Promise<void> {
  const wal = await openWal(path, { reportRecovery: false });
  let i = 0;
  for (let round = 0; i < n; round++) {
    i = await appendSome(wal, 'c', i, 8);
    await wal.rotate({ maxRotations: 5 });
    i = await appendSome(wal, 'c', i, 8);
    // Events are one second apart (events.ts): the cutoff falls inside the rotated segment
    // (it is rewritten, older ones deleted whole), or every other round inside the active file.
    await cleanup(path, 0, { now: TS0 + i - (round % 2 === 0 ? 12 : 3) });
    floor(path);
  }
  await appendSome(wal, 'c', i, 2);
  await wal.close();
  await closePool();
  floor(path);
}

export async function compressWorkload(path: string, n: number): Promise<void> {
  const wal = await openWal(path, { reportRecovery: false });
  let i = 0;
  for (let round = 0; i < n; round++) {
    i = await appendSome(wal, 'z', i, 8);
    if (round % 2 === 0) {
      await wal.rotate({ maxRotations: 4 });
      await compress(path);
    } else await rotate(path, 0, 4, { compress: 'gzip' });
    floor(path);
  }
  await appendSome(wal, 'z', i, 2);
  await wal.close();
  await closePool();
  floor(path);
}
