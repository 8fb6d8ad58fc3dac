// Issue 13, item 1: openWal's `retention`, applied by the writer thread after each of its
// automatic rotations, to segments of earlier runs too. Each test lays out four rotated
// segments "from an earlier run" (seqs 0..39, ten per segment, `.4` the oldest), opens a
// writer with a small maxSizeBytes, appends until it has rotated once and checks what stayed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWal, type Wal } from '@threadwal/client';
import { rotatedIndexes, segmentPaths, isWalError, type WriterRetentionStats } from '@threadwal/core';
import { commitCursor } from '@threadwal/maintenance';

const OLD_TS = 1715800000; // 2024: older than any maxAge below
const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A WAL path whose `.4 … .1` hold seqs 0..39 from an earlier run. */
function earlierRun(): string {
  const d = mkdtempSync(join(tmpdir(), 'threadwal-wret-'));
  dirs.push(d);
  const path = join(d, 'app.wal');
  for (let seg = 0; seg < 4; seg++) {
    let s = '';
    for (let i = seg * 10; i < seg * 10 + 10; i++) s += `{"seq":${i},"ts":${OLD_TS + i},"type":"job_started","job_id":"old-${i}"}\n`;
    writeFileSync(`${path}.${4 - seg}`, s);
  }
  return path;
}

/** Appends one event at a time until the writer has rotated once; returns its retention stats. */
async function appendUntilRotated(w: Wal): Promise<WriterRetentionStats> {
  for (let i = 0; i < 1000; i++) {
    await w.append({ type: 'job_started', job_id: `new-${i}`, output: 'x'.repeat(100) });
    const s = await w.stats();
    if (s.rotations >= 1) return s.retention!;
  }
  throw new Error('the writer never rotated');
}

/** Seqs of every segment in reading order; they must be consecutive. */
function seqs(path: string): number[] {
  const out: number[] = [];
  for (const f of segmentPaths(path)) {
    for (const l of readFileSync(f, 'utf8').split('\n').filter(Boolean)) out.push((JSON.parse(l) as { seq: number }).seq);
  }
  for (let i = 1; i < out.length; i++) assert.is(out[i], out[i - 1]! + 1, `seq gap after ${out[i - 1]}`);
  return out;
}

const temps = (path: string): string[] => readdirSync(join(path, '..')).filter((n) => n.endsWith('.tmp'));

test('maxSegments: the rotation deletes the oldest segments, earlier runs included, and frees them before close returns', async () => {
  const path = earlierRun();
  const w = await openWal(path, { rotate: { maxSizeBytes: 1000 }, retention: { maxSegments: 2 } });
  const r = await appendUntilRotated(w);
  await w.close();
  assert.is(r.deletedSegments, 3);
  assert.is(r.errors, 0);
  assert.equal(rotatedIndexes(path), [2, 1]);
  assert.is(seqs(path)[0], 30); // .2 is the earlier run's newest segment, whole
  assert.equal(temps(path), []);
});

test('the first retention run removes temp names a crashed process left (its blocks), not a live process\'s', async () => {
  const path = earlierRun();
  const dead = `${path}.cleanup-999999999-0123456789ab.tmp`; // no such pid
  const live = `${path}.cleanup-${process.pid}-0123456789ab.tmp`;
  writeFileSync(dead, 'a deleted segment');
  writeFileSync(live, 'a live job\'s temp');
  const w = await openWal(path, { rotate: { maxSizeBytes: 1000 }, retention: { maxSegments: 10 } });
  await appendUntilRotated(w);
  await w.close();
  assert.not.ok(existsSync(dead));
  assert.ok(existsSync(live));
  rmSync(live);
});

test('maxAge: segments whose newest event is older are deleted; the one just rotated stays', async () => {
  const path = earlierRun();
  const w = await openWal(path, { rotate: { maxSizeBytes: 1000 }, retention: { maxAge: '1d' } });
  const r = await appendUntilRotated(w);
  await w.close();
  assert.is(r.deletedSegments, 4);
  assert.equal(rotatedIndexes(path), [1]);
  assert.is(seqs(path)[0], 40);
});

test('retain.untilCommitted: a cursor keeps the segments it has not read', async () => {
  const path = earlierRun();
  await commitCursor(path, 'shipper', 19); // .4 and .3 read
  const w = await openWal(path, { rotate: { maxSizeBytes: 1000 }, retention: { maxSegments: 0, retain: { untilCommitted: ['shipper'] } } });
  const r = await appendUntilRotated(w);
  await w.close();
  assert.is(r.deletedSegments, 2);
  assert.is(r.forcedPastCursors, 0);
  assert.equal(rotatedIndexes(path), [3, 2, 1]);
  assert.is(seqs(path)[0], 20);
});

test('maxTotalBytes wins over a cursor that never committed, and says so in stats and on stderr', async () => {
  const path = earlierRun();
  // The writer thread's stderr reaches this one through process.stderr.
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    written.push(String(chunk));
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    const w = await openWal(path, { rotate: { maxSizeBytes: 1000 }, retention: { maxTotalBytes: 1600, retain: { untilCommitted: ['shipper'] } } });
    const r = await appendUntilRotated(w);
    await w.close();
    assert.ok(r.deletedSegments >= 3, `deleted ${r.deletedSegments}`);
    assert.is(r.forcedPastCursors, 1);
    for (let i = 0; i < 50 && !written.join('').includes('THREADWAL_RETENTION_FORCED'); i++) await new Promise((res) => setTimeout(res, 20));
    assert.ok(written.join('').includes('THREADWAL_RETENTION_FORCED'), 'a warning on stderr');
  } finally {
    process.stderr.write = write;
  }
  seqs(path); // what is left is still gapless
});

test('a cursor file that does not parse: retention reports ECORRUPT, deletes nothing, appends go on', async () => {
  const path = earlierRun();
  mkdirSync(`${path}.cursors`);
  writeFileSync(`${path}.cursors/shipper`, 'not a cursor');
  const w = await openWal(path, { rotate: { maxSizeBytes: 1000 }, retention: { maxSegments: 0, retain: { untilCommitted: ['shipper'] } } });
  const r = await appendUntilRotated(w);
  assert.is(r.errors, 1);
  assert.is(r.deletedSegments, 0);
  await w.append({ type: 'job_started', job_id: 'after' });
  await w.close();
  assert.equal(rotatedIndexes(path), [5, 4, 3, 2, 1]);
  assert.is(seqs(path)[0], 0);
});

test('bad retention options throw EINVAL naming the key, nothing opened', async () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['options.rotate', { retention: { maxSegments: 1 } }],
    ['options.retention.maxSegments', { rotate: { maxSizeBytes: 1000 }, retention: { maxSegments: -1 } }],
    ['options.retention.maxAge', { rotate: { maxSizeBytes: 1000 }, retention: { maxAge: 'soon' } }],
    ['options.retention.maxTotalBytes', { rotate: { maxSizeBytes: 1000 }, retention: { maxTotalBytes: '12 parsecs' } }],
    ['options.retention.maxSegmnts', { rotate: { maxSizeBytes: 1000 }, retention: { maxSegmnts: 1 } }],
    ['options.retention.retain.untilCommitted', { rotate: { maxSizeBytes: 1000 }, retention: { retain: { untilCommitted: 'shipper' } } }],
    ['options.retention.retain.untilCommitted[0]', { rotate: { maxSizeBytes: 1000 }, retention: { retain: { untilCommitted: ['.hidden'] } } }],
    ['options.retention', { rotate: { maxSizeBytes: 1000 }, retention: 5 }],
  ];
  for (const [key, opts] of cases) {
    const d = mkdtempSync(join(tmpdir(), 'threadwal-wret-'));
    dirs.push(d);
    try {
      await openWal(join(d, 'app.wal'), opts as never);
      assert.unreachable(`${key}: opened`);
    } catch (err) {
      assert.ok(isWalError(err) && err.code === 'EINVAL', `${key}: ${String(err)}`);
      assert.ok((err as Error).message.includes(key), `${key} not named in: ${(err as Error).message}`);
    }
    assert.not.ok(existsSync(join(d, 'app.wal')), key);
  }
});

test.run();
