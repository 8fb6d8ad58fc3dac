import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, rmSync } from 'node:fs';
import { openWal } from '../src/index.js';
import { tempWal, readLines, fixture, expectCode } from './helpers.js';

test('writer thread death rejects pending appends with EWORKER; the next append restarts it', async () => {
  const path = tempWal();
  const marker = `${path}.die`;
  process.env.THREADWAL_DIE_MARKER = marker;
  const wal = await openWal(path, { faultInjection: fixture('die-on-write.mjs') });
  const acked = await Promise.all(Array.from({ length: 100 }, (_, i) => wal.append({ type: 'job_started', job_id: `a${i}` })));
  writeFileSync(marker, '');
  // The thread exits inside the write of this batch: it is neither acked nor nacked, so EWORKER.
  const doomed = wal.append({ type: 'job_started', job_id: 'doomed' });
  await expectCode(doomed, 'EWORKER');
  rmSync(marker); // so the restarted writer lives
  const seq = await wal.append({ type: 'job_completed', job_id: 'after' });
  assert.ok(seq >= 100);
  await wal.close();
  const lines = readLines(path);
  assert.equal(lines.slice(0, 100).map((l) => l.seq), acked);
  assert.equal(lines.map((l) => l.seq), Array.from({ length: lines.length }, (_, i) => i));
  assert.is(lines.at(-1)!.job_id, 'after');
  assert.not.ok(lines.some((l) => l.job_id === 'doomed'), 'the writer died before writing it');
});

test('appending while the writer thread is dead fills one batch, posted to the restarted writer', async () => {
  const path = tempWal();
  const marker = `${path}.die`;
  process.env.THREADWAL_DIE_MARKER = marker;
  const wal = await openWal(path, { faultInjection: fixture('die-on-write.mjs') });
  await wal.append({ type: 'job_started', job_id: 'first' });
  writeFileSync(marker, '');
  await expectCode(wal.append({ type: 'job_started', job_id: 'doomed' }), 'EWORKER');
  rmSync(marker);
  // No writer thread now (the next post restarts it): a long synchronous run past the
  // buffer's size and past 1 MiB must neither recurse nor lose anything.
  for (let i = 0; i < 12_000; i++) wal.appendNoWait({ type: 'command_executed', job_id: `n${i}`, output: { pad: 'x'.repeat(80) } });
  await wal.flush();
  await wal.close();
  const lines = readLines(path);
  assert.is(lines.filter((l) => String(l.job_id).startsWith('n')).length, 12_000);
  assert.equal(lines.map((l) => l.seq), Array.from({ length: lines.length }, (_, i) => i));
});

test.run();
