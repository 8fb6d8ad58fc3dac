// Workloads: durable cursor commits and the ship checkpoint (written directly: the NATS
// side is not needed to exercise its file).
import { openWal } from '@threadwal/client';
import { commitCursor, closePool } from '@threadwal/maintenance';
import { readWalId } from '@threadwal/core';
import { FileCheckpoint } from '@threadwal/ship';
import { ack, mark } from './markers.js';

export async function cursorCommits(path: string, n: number): Promise<void> {
  const wal = await openWal(path, { reportRecovery: false });
  for (let i = 0; i < n; i++) {
    const seq = await ack(wal, `k-${i}`);
    if (i % 2 === 0) mark('commit', 'c1', await commitCursor(path, 'c1', seq));
    if (i % 3 === 1) mark('commit', 'c2', await commitCursor(path, 'c2', seq));
  }
  mark('commit', 'c1', await commitCursor(path, 'c1', 0)); // lower: a no-op that resolves with the stored seq
  await wal.close();
  await closePool();
}

export async function shipCheckpoint(path: string, n: number): Promise<void> {
  const wal = await openWal(path, { reportRecovery: false });
  const walId = readWalId(path)!;
  const cp = new FileCheckpoint(path, 'ship');
  for (let i = 0; i < n; i++) {
    const seq = await ack(wal, `s-${i}`);
    if (i % 2 === 1) {
      await cp.commit({ walId, stream: 'S', subject: 'wal.s', base: 0, ackedSeq: seq, ts: Date.now() });
      mark('checkpoint', 'ship', seq);
    }
  }
  await wal.close();
}
