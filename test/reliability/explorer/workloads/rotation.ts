// Workloads: the writer's automatic rotation with retention; maintenance's rotate; every
// `.meta` update (the id on creation, next_seq before rotations and deletions that leave
// no event behind). `n` is the number of events; the patterns repeat until it is reached.
import { openWal } from '@threadwal/client';
import { rotate, cleanup, closePool } from '@threadwal/maintenance';
import { appendSome, floor } from './markers.js';
import { TS0 } from '../events.js';

/** Size rotation every ~4 KiB, retention keeping two rotated segments. */
export async function autoRotate(path: string, n: number): Promise<void> {
  const wal = await openWal(path, { reportRecovery: false, rotate: { maxSizeBytes: 4096 }, retention: { maxSegments: 2 } });
  for (let i = 0, round = 0; i < n; round++) {
    i = await appendSome(wal, 'r', i, 1 + (round % 6));
    await wal.stats(); // served after the writer's cycle, its rotation and retention renames included
    floor(path);
  }
  await wal.close();
  floor(path);
}

/** maintenance rotate (in the pool, under the lock) while a writer is open: plain, then with retention keeping one segment. */
export async function maintenanceRotate(path: string, n: number): Promise<void> {
  const wal = await openWal(path, { reportRecovery: false });
  for (let i = 0, round = 0; i < n; round++) {
    i = await appendSome(wal, 'm', i, 10);
    await rotate(path, 0, 3, round % 3 === 2 ? { retention: { maxSegments: 1 } } : {});
    floor(path);
  }
  await appendSome(wal, 'm', n, 3);
  await wal.close();
  await closePool();
  floor(path);
}

/**
 * Every way `.meta` is written: the id at creation; next_seq before the writer's rotate and
 * maintenance's rotate each drop every event (maxRotations 0: `.meta` is then the only
 * record of the next seq); next_seq before a cleanup that removes every event.
 */
export async function metaUpdates(path: string, n: number): Promise<void> {
  const wal = await openWal(path, { reportRecovery: false });
  let i = 0;
  for (let round = 0; i < n; round++) {
    i = await appendSome(wal, 't', i, 6);
    if (round % 3 === 0) await wal.rotate({ maxRotations: 0 });
    else if (round % 3 === 1) await rotate(path, 0, 0);
    else {
      await rotate(path, 0, 2);
      i = await appendSome(wal, 't', i, 2);
      await cleanup(path, 0, { now: TS0 + 1_000_000_000 }); // every event is old: all removed
    }
    floor(path);
  }
  await appendSome(wal, 't', i, 2);
  await wal.close();
  await closePool();
  floor(path);
}
