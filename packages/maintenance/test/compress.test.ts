import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, openSync, closeSync, statSync, utimesSync } from 'node:fs';
import { dirname } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { openWal } from '@threadwal/client';
import { rotatedIndexes, segmentPaths } from '@threadwal/core';
import { compress, readWal, verify, cleanup, applyRetention, rotate, closePool } from '../src/index.js';
import { readGzipMeta } from '@threadwal/core';
import { tempWal, lines, seqs, range, expectCode, writeSegment } from './helpers.js';

const TS = 1_700_000_000;
const dirs: string[] = [];
function wal(): string {
  const p = tempWal();
  dirs.push(dirname(p));
  return p;
}
/** `.3 .2 .1` of 100 events each (seq 0..299), active 300..309. */
function layout(path: string, ts = (s: number) => TS + s): void {
  for (let k = 0; k < 3; k++) writeSegment(`${path}.${3 - k}`, lines(k * 100, 100, ts));
  writeFileSync(path, lines(300, 10, ts));
}

test('compress replaces each rotated segment by {path}.N.gz; readWal, verify and gunzip read them', async () => {
  const path = wal();
  layout(path);
  const plain = readFileSync(`${path}.2`);
  const total = [1, 2, 3].reduce((n, i) => n + statSync(`${path}.${i}`).size, 0);
  const r = await compress(path);
  assert.is(r.compressedSegments, 3);
  assert.ok(r.ratio > 2, `ratio ${r.ratio}`);
  assert.is(r.bytesIn, total);
  for (const i of [1, 2, 3]) {
    assert.not.ok(existsSync(`${path}.${i}`));
    assert.ok(existsSync(`${path}.${i}.gz`));
  }
  assert.ok(existsSync(path), 'the active file is never compressed');
  assert.equal(gunzipSync(readFileSync(`${path}.2.gz`)), plain, 'a standard gzip member');
  assert.equal(execFileSync('gzip', ['-dc', `${path}.2.gz`]), plain, 'gzip(1) reads it too');
  const fd = openSync(`${path}.2.gz`, 'r');
  assert.equal(readGzipMeta(fd), { firstSeq: 100, lastSeq: 199, lastTs: TS + 199, bytes: plain.length });
  closeSync(fd);
  assert.equal(await seqs(path), range(0, 310));
  const v = await verify(path);
  assert.ok(v.ok);
  assert.is(v.events, 310);
  assert.ok(v.segments[0]!.compressed);
  assert.equal(readdirSync(dirname(path)).filter((n) => n.includes('.cleanup-')), [], 'no temp file left');
  assert.is((await compress(path)).compressedSegments, 0, 'idempotent');
});

test('readWal over .gz: fromSeq skips whole segments by the header, records match the plain read', async () => {
  const path = wal();
  layout(path);
  const before: unknown[] = [];
  for await (const r of readWal(path)) before.push(r);
  await compress(path);
  const after: unknown[] = [];
  for await (const r of readWal(path)) after.push(r);
  assert.equal(after, before);
  const from: number[] = [];
  for await (const r of readWal(path, { fromSeq: 250 })) from.push(r.seq);
  assert.equal(from, range(250, 310));
});

test('the compressed copy keeps the segment\'s mtime; cleanup deletes an old .gz whole and keeps a newer one whole', async () => {
  const path = wal();
  // .2 old (ts 1000), .1 mixed, active new
  writeSegment(`${path}.2`, lines(0, 10, () => 1000), 2000);
  writeSegment(`${path}.1`, lines(10, 10, (s) => (s < 15 ? 1000 : TS)), 2000);
  writeFileSync(path, lines(20, 5, () => TS));
  await compress(path);
  assert.is(Math.floor(statSync(`${path}.2.gz`).mtimeMs / 1000), 2000);
  // utimes on .1.gz: cleanup trusts mtime as a bound, and this one holds new events
  utimesSync(`${path}.1.gz`, TS, TS);
  const r = await cleanup(path, 100, { now: TS });
  assert.is(r.deletedSegments, 1);
  assert.is(r.removed, 10);
  assert.not.ok(existsSync(`${path}.2.gz`));
  assert.ok(existsSync(`${path}.1.gz`), 'a compressed segment not old as a whole stays whole');
  assert.equal(await seqs(path), range(10, 25));
});

test('retention counts, ages and sizes compressed segments by their headers and files', async () => {
  const path = wal();
  layout(path);
  await compress(path);
  const r = await applyRetention(path, { maxAge: 150 }, { now: TS + 300 });
  assert.is(r.deletedSegments, 1, 'the segment whose newest event is TS+99');
  assert.is(r.removedEvents, 100);
  const gz = statSync(`${path}.1.gz`).size;
  const s = await applyRetention(path, { maxTotalBytes: gz + statSync(path).size });
  assert.is(s.deletedSegments, 1);
  assert.equal(await seqs(path), range(200, 310));
});

test('rotation shifts .N.gz with the plain segments; compress after rotate via the rotate option', async () => {
  const path = wal();
  layout(path);
  await compress(path);
  const r = await rotate(path, 0, 9, { compress: 'gzip' });
  assert.ok(r.rotated);
  assert.is(r.compress!.compressedSegments, 1);
  assert.equal(rotatedIndexes(path), [4, 3, 2, 1]);
  assert.ok(existsSync(`${path}.4.gz`) && existsSync(`${path}.1.gz`));
  assert.equal(await seqs(path), range(0, 310));
  // keep 2: the shift deletes .2.gz … .4.gz and moves .1.gz to .2.gz
  writeFileSync(path, lines(310, 1, () => TS));
  await rotate(path, 0, 2);
  assert.equal(segmentPaths(path).map((p) => p.slice(path.length)), ['.2.gz', '.1', '']);
  assert.equal(await seqs(path), range(300, 311));
});

test('a writer continues the seq when every rotated segment is compressed', async () => {
  const path = wal();
  layout(path);
  rmSync(path);
  await rotate(path, 0, 9); // nothing to rotate, but records nothing either: .meta comes from the rotations below
  writeFileSync(`${path}.meta`, '{"next_seq":300}\n');
  await compress(path);
  const w = await openWal(path);
  assert.is(await w.append({ type: 'job_started', job_id: 'x' }), 300);
  await w.close();
});

test('a crash between rename and unlink leaves both: readers take the plain one once, the next compress finishes', async () => {
  const path = wal();
  layout(path);
  copyFileSync(`${path}.2`, `${path}.2.bak`);
  await compress(path);
  copyFileSync(`${path}.2.bak`, `${path}.2`);
  rmSync(`${path}.2.bak`);
  assert.equal(await seqs(path), range(0, 310), 'no duplicates');
  assert.ok((await verify(path)).ok);
  const r = await compress(path);
  assert.is(r.finishedSegments, 1);
  assert.not.ok(existsSync(`${path}.2`));
  assert.equal(await seqs(path), range(0, 310));
});

test('cleanup of a plain segment with a leftover .gz twin removes the twin too (the old lines never come back)', async () => {
  const path = wal();
  writeSegment(`${path}.2`, lines(0, 10, () => 1000), 2000);
  writeSegment(`${path}.1`, lines(10, 10, (s) => (s < 15 ? 1000 : TS)), 2000);
  writeFileSync(path, lines(20, 5, () => TS));
  copyFileSync(`${path}.1`, `${path}.1.bak`);
  copyFileSync(`${path}.2`, `${path}.2.bak`);
  await compress(path);
  // as if compress had been killed between its rename and its unlink, for both
  copyFileSync(`${path}.1.bak`, `${path}.1`);
  copyFileSync(`${path}.2.bak`, `${path}.2`);
  utimesSync(`${path}.2`, 2000, 2000);
  rmSync(`${path}.1.bak`);
  rmSync(`${path}.2.bak`);
  const r = await cleanup(path, 100, { now: TS });
  assert.is(r.removed, 15);
  assert.not.ok(existsSync(`${path}.2.gz`) || existsSync(`${path}.2`));
  assert.not.ok(existsSync(`${path}.1.gz`), 'the rewritten segment\'s old twin is gone');
  assert.equal(await seqs(path), range(15, 25));
  await compress(path);
  assert.equal(await seqs(path), range(15, 25));
});

test('a truncated or damaged .gz is ECORRUPT, never a shorter valid segment', async () => {
  const path = wal();
  layout(path);
  await compress(path);
  const gz = readFileSync(`${path}.2.gz`);
  writeFileSync(`${path}.2.gz`, gz.subarray(0, gz.length - 9));
  const e = await expectCode((async () => { for await (const _ of readWal(path)) void _; })(), 'ECORRUPT');
  assert.is((e as { file?: string }).file, `${path}.2.gz`);
  const v = await verify(path);
  assert.not.ok(v.ok);
  assert.ok(v.badLines.some((b) => b.file === `${path}.2.gz`));
  const flipped = Buffer.from(gz);
  flipped[flipped.length - 20]! ^= 0xff;
  writeFileSync(`${path}.2.gz`, flipped);
  await expectCode((async () => { for await (const _ of readWal(path)) void _; })(), 'ECORRUPT');
});

test('a foreign .gz (no header of ours) is still read', async () => {
  const path = wal();
  writeFileSync(`${path}.1.gz`, gzipSync(lines(0, 5, () => TS)));
  writeFileSync(path, lines(5, 2, () => TS));
  assert.equal(await seqs(path), range(0, 7));
  const from: number[] = [];
  for await (const r of readWal(path, { fromSeq: 3 })) from.push(r.seq);
  assert.equal(from, range(3, 7));
  assert.ok((await verify(path)).ok);
});

test('follow reads on across a rotation whose older segment is compressed', async () => {
  const path = wal();
  const w = await openWal(path);
  for (let i = 0; i < 5; i++) await w.append({ type: 'job_started', job_id: `a${i}` });
  const ac = new AbortController();
  const got: number[] = [];
  const done = (async () => {
    for await (const r of readWal(path, { follow: true, signal: ac.signal, pollMs: 10 })) {
      got.push(r.seq);
      if (got.length === 10) ac.abort();
    }
  })();
  await w.rotate({ maxRotations: 3 });
  await compress(path);
  for (let i = 0; i < 5; i++) await w.append({ type: 'job_started', job_id: `b${i}` });
  await done;
  await w.close();
  assert.equal(got, range(0, 10));
});

test('bad options: EINVAL; no WAL: ENOENT', async () => {
  const path = wal();
  await expectCode(() => compress(path), 'ENOENT');
  writeFileSync(path, '');
  await expectCode(() => compress(path, { level: 0 }), 'EINVAL');
  await expectCode(() => compress(path, { format: 'zstd' as never }), 'EINVAL');
  await expectCode(() => rotate(path, 0, 1, { compress: 'brotli' as never }), 'EINVAL');
});

test.after(async () => {
  await closePool();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
test.run();
