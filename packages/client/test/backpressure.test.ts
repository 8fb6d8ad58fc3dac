import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openWal, type WalEvent } from '../src/index.js';
import { tempWal, readLines, fixture } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const event = (i: number): WalEvent => ({ type: 'command_executed', job_id: `job-${i}`, capability: 'FileWrite', output: { i, pad: 'x'.repeat(120) } });

test('appendNoWait throws EBACKPRESSURE past maxPendingBytes; nothing is queued, drain() makes room', async () => {
  const path = tempWal();
  const wal = await openWal(path, { maxPendingBytes: 64 * 1024, faultInjection: fixture('slow-fsync.mjs') });
  let accepted = 0;
  let refused = 0;
  for (let i = 0; accepted < 5000; i++) {
    try {
      wal.appendNoWait(event(accepted));
      accepted += 1;
    } catch (err) {
      assert.is((err as { code?: string }).code, 'EBACKPRESSURE');
      refused += 1;
      assert.ok((await wal.stats()).pendingBytes <= 64 * 1024);
      await wal.drain();
    }
  }
  await wal.flush();
  await wal.close();
  assert.ok(refused > 0, 'the producer outran a 20 ms fsync, so it must have been refused');
  const lines = readLines(path);
  assert.is(lines.length, 5000);
  assert.equal(lines.map((l) => l.job_id), Array.from({ length: 5000 }, (_, i) => `job-${i}`));
});

test('append past maxPendingBytes waits, and memory stays bounded while the producer outruns the disk', async () => {
  const path = tempWal();
  const max = 256 * 1024;
  const wal = await openWal(path, { maxPendingBytes: max, faultInjection: fixture('slow-fsync.mjs') });
  // The producer's JS heap. (arrayBuffers swings by megabytes with the writer thread's GC of
  // the batches it was handed, so it says nothing about this thread retaining memory.)
  const used = (): number => { gc(); return process.memoryUsage().heapUsed; };
  const samples: number[] = [];
  let peakPending = 0;
  // 100,000 events (~20 MB) in awaited windows of 5,000 (~1 MB each), against a 256 KiB limit and a 20 ms fsync.
  for (let w = 0; w < 20; w++) {
    const ps = Array.from({ length: 5000 }, (_, i) => wal.append(event(w * 5000 + i)));
    peakPending = Math.max(peakPending, (await wal.stats()).pendingBytes);
    await Promise.all(ps);
    samples.push(used());
  }
  await wal.close();
  assert.ok(peakPending <= max, `pending ${peakPending} > ${max}`);
  // Flat: what is retained after 100k events is no more than after the first 20k (+ 2 MiB of noise).
  const early = Math.max(...samples.slice(2, 5));
  const late = Math.max(...samples.slice(-3));
  console.log(`retained after 25k events ${(early / 1e6).toFixed(1)} MB, after 100k ${(late / 1e6).toFixed(1)} MB`);
  assert.ok(late < early + 2 * 1024 * 1024, `memory grew from ${early} to ${late}`);
  assert.is(readLines(path).length, 100000);
});

test.run();
