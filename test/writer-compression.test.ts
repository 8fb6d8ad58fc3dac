// Issue 19, item 5: openWal's `rotate.compress: 'gzip'`. The writer's own rotations leave
// `{path}.N.gz` (gzipped in the writer's compress thread, put in place under its lock),
// earlier runs' plain segments and a crashed compression's leftovers are dealt with at
// open, retention and later rotations move or delete what is being compressed, and
// maintenance's compress() may run at the same time. Readers read it all as before.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync, openSync, closeSync, fstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openWal, type Wal } from '@threadwal/client';
import { rotatedIndexes, segmentPath, isWalError, readGzipMeta, writeGzipCopy, type WriterCompressionStats } from '@threadwal/core';
import { readWal, verify, compress, closePool } from '@threadwal/maintenance';

const OLD_TS = 1715800000;
const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function walPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'threadwal-wgz-'));
  dirs.push(d);
  return join(d, 'app.wal');
}

/** A WAL path whose `.4 … .1` hold seqs 0..39 from an earlier run, plain. */
function earlierRun(): string {
  const path = walPath();
  for (let seg = 0; seg < 4; seg++) {
    let s = '';
    for (let i = seg * 10; i < seg * 10 + 10; i++) s += `{"seq":${i},"ts":${OLD_TS + i},"type":"job_started","job_id":"old-${i}"}\n`;
    writeFileSync(`${path}.${4 - seg}`, s);
  }
  return path;
}

const names = (path: string): string[] => readdirSync(join(path, '..')).filter((n) => n.startsWith('app.wal.') && !n.endsWith('.meta')).sort();
const temps = (path: string): string[] => names(path).filter((n) => n.endsWith('.tmp'));
const plainRotated = (path: string): number[] => rotatedIndexes(path).filter((i) => existsSync(segmentPath(path, i)));

/** Waits (a hang guard, not a timing) until no rotated segment is plain, then returns the writer's compression stats. */
async function settled(w: Wal, path: string): Promise<WriterCompressionStats> {
  for (let i = 0; i < 1000; i++) {
    const s = (await w.stats()).compression!;
    if (plainRotated(path).length === 0 && temps(path).length === 0) return s;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`still plain after 10 s: ${names(path).join(' ')}`);
}

/** Seqs readWal yields, checked consecutive from the first. */
async function readSeqs(path: string): Promise<number[]> {
  const out: number[] = [];
  for await (const r of readWal(path)) out.push(r.seq);
  for (let i = 1; i < out.length; i++) assert.is(out[i], out[i - 1]! + 1, `seq gap after ${out[i - 1]}`);
  return out;
}

const ev = (i: number, pad = 100): { type: 'job_started'; job_id: string; output: string } => ({ type: 'job_started', job_id: `new-${i}`, output: 'x'.repeat(pad) });

test('each of the writer\'s rotations leaves {path}.N.gz (gzip with our header), none plain; readWal and verify read them', async () => {
  const path = walPath();
  const w = await openWal(path, { rotate: { maxSizeBytes: 2000, maxRotations: 100, compress: 'gzip' } });
  for (let i = 0; i < 300; i++) await w.append(ev(i));
  const s = await settled(w, path);
  const rotations = (await w.stats()).rotations;
  await w.close();
  assert.ok(rotations >= 10, `${rotations} rotations`);
  assert.is(s.compressedSegments, rotations);
  assert.is(s.errors, 0);
  assert.ok(s.bytesIn > s.bytesOut * 3, `${s.bytesIn} -> ${s.bytesOut}`);
  assert.equal(names(path), rotatedIndexes(path).map((i) => `app.wal.${i}.gz`).sort());
  // A standard gzip member whose header says which seqs it holds.
  const fd = openSync(`${path}.1.gz`, 'r');
  const meta = readGzipMeta(fd);
  closeSync(fd);
  const lines = gunzipSync(readFileSync(`${path}.1.gz`)).toString().trim().split('\n').map((l) => JSON.parse(l) as { seq: number });
  assert.is(meta?.firstSeq, lines[0]!.seq);
  assert.is(meta?.lastSeq, lines.at(-1)!.seq);
  assert.equal(await readSeqs(path), Array.from({ length: 300 }, (_, i) => i));
  const v = await verify(path);
  assert.ok(v.ok);
  assert.is(v.events, 300);
});

test('at open: an earlier run\'s plain segments are compressed, a crashed compression\'s pair finished, a dead process\'s temp removed', async () => {
  const path = earlierRun();
  // .2 and a finished copy beside it (a compression killed between its renames).
  const fd = openSync(`${path}.2`, 'r');
  const st = fstatSync(fd);
  await writeGzipCopy({ path: `${path}.2`, fd, size: st.size, mtimeMs: st.mtimeMs }, `${path}.2.gz`, 1);
  closeSync(fd);
  const dead = `${path}.cleanup-999999999-0123456789ab.tmp`; // no such pid
  writeFileSync(dead, 'half a gzip');
  const w = await openWal(path, { rotate: { maxSizeBytes: 1_000_000, maxRotations: 10, compress: 'gzip' } });
  const s = await settled(w, path);
  await w.close();
  assert.is(s.compressedSegments, 3);
  assert.is(s.finishedSegments, 1);
  assert.equal(names(path), ['app.wal.1.gz', 'app.wal.2.gz', 'app.wal.3.gz', 'app.wal.4.gz']);
  assert.equal(await readSeqs(path), Array.from({ length: 40 }, (_, i) => i));
});

test('close() lets the segment being compressed finish: after it, .1.gz and no temp', async () => {
  const path = walPath();
  const w = await openWal(path, { rotate: { maxSizeBytes: 64_000_000, maxRotations: 5, compress: 'gzip' } });
  const big = 'y'.repeat(2000);
  for (let i = 0; i < 2100; i += 100) await Promise.all(Array.from({ length: 100 }, (_, k) => w.append({ type: 'job_started', job_id: `big-${i + k}`, output: big })));
  const r = await w.rotate(); // its compression starts in the rotation's cycle
  assert.ok(r.rotated);
  await w.close();
  assert.equal(names(path), ['app.wal.1.gz']);
  assert.equal((await readSeqs(path)).length, 2100);
});

test('retention and maxRotations delete segments being compressed: what is kept is compressed and gapless, nothing plain or temp left', async () => {
  const path = walPath();
  const w = await openWal(path, { rotate: { maxSizeBytes: 1000, maxRotations: 4, compress: 'gzip' }, retention: { maxSegments: 3 } });
  for (let i = 0; i < 400; i += 20) await Promise.all(Array.from({ length: 20 }, (_, k) => w.append(ev(i + k))));
  const s = await settled(w, path);
  await w.close();
  assert.is(s.errors, 0);
  assert.equal(rotatedIndexes(path), [3, 2, 1]);
  assert.equal(names(path), ['app.wal.1.gz', 'app.wal.2.gz', 'app.wal.3.gz']);
  const seqs = await readSeqs(path);
  assert.is(seqs.at(-1), 399);
});

test('maintenance compress() at the same time: each segment compressed once, both readers agree, no temp left', async () => {
  const path = walPath();
  const w = await openWal(path, { rotate: { maxSizeBytes: 3000, maxRotations: 1000, compress: 'gzip' } });
  const jobs: Array<Promise<unknown>> = [];
  for (let i = 0; i < 600; i += 30) {
    await Promise.all(Array.from({ length: 30 }, (_, k) => w.append(ev(i + k))));
    if (i % 120 === 0) jobs.push(compress(path));
  }
  await Promise.all(jobs);
  const s = await settled(w, path);
  await w.close();
  await compress(path); // nothing left for it
  const n = rotatedIndexes(path).length;
  assert.equal(names(path), rotatedIndexes(path).map((i) => `app.wal.${i}.gz`).sort());
  assert.ok(s.compressedSegments + s.discarded >= 1 && s.compressedSegments <= n, JSON.stringify(s));
  assert.equal(await readSeqs(path), Array.from({ length: 600 }, (_, i) => i));
  assert.ok((await verify(path)).ok);
});

test('a bad rotate.compress is EINVAL naming it, nothing opened', async () => {
  for (const compress of ['zstd', true, 1]) {
    const path = walPath();
    try {
      await openWal(path, { rotate: { maxSizeBytes: 1000, maxRotations: 1, compress: compress as never } });
      assert.unreachable(`${String(compress)}: opened`);
    } catch (err) {
      assert.ok(isWalError(err) && err.code === 'EINVAL', String(err));
      assert.ok((err as Error).message.includes('options.rotate.compress'), (err as Error).message);
    }
    assert.not.ok(existsSync(path));
  }
});

test.after(async () => {
  await closePool();
});

test.run();
