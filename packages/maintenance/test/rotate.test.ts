import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { openWal } from '@threadwal/client';
import { rotate, verify, closePool } from '../src/index.js';
import { tempWal, lines, line, seqs, range, expectCode } from './helpers.js';

const TS = 1_700_000_000;
const meta = (path: string): number => (JSON.parse(readFileSync(`${path}.meta`, 'utf8')) as { next_seq: number }).next_seq;

test('absent log: a no-op like the seed\'s rotate (missingok), nothing created', async () => {
  const path = tempWal();
  const r = await rotate(path, 0, 3);
  assert.equal(r, { rotated: false, missing: true, size: 0, nextSeq: 0, tornBytes: 0, droppedSegments: 0, sweptTemps: 0 });
  assert.not.ok(existsSync(path));
  assert.not.ok(existsSync(`${path}.1`));
  assert.not.ok(existsSync(`${path}.lock`));
});

test('rotated segments but no active file: not rotated, the next seq from the segments', async () => {
  const path = tempWal();
  writeFileSync(`${path}.1`, lines(0, 5, () => TS));
  const r = await rotate(path, 0, 3);
  assert.is(r.rotated, false);
  assert.is(r.nextSeq, 5);
});

test('smaller than maxSizeBytes: no-op, file untouched', async () => {
  const path = tempWal();
  const content = lines(0, 5, () => TS);
  writeFileSync(path, content);
  const r = await rotate(path, content.length + 1, 3);
  assert.is(r.rotated, false);
  assert.is(r.size, content.length);
  assert.is(readFileSync(path, 'utf8'), content);
  assert.not.ok(existsSync(`${path}.1`));
});

test('empty active file is not rotated even with maxSizeBytes 0', async () => {
  const path = tempWal();
  writeFileSync(path, '');
  const r = await rotate(path, 0, 3);
  assert.is(r.rotated, false);
  assert.not.ok(existsSync(`${path}.1`));
});

test('reached maxSizeBytes: moved to .1, fresh empty active, next seq in .meta', async () => {
  const path = tempWal();
  const content = lines(0, 5, () => TS);
  writeFileSync(path, content);
  const r = await rotate(path, content.length, 3);
  assert.equal(r, { rotated: true, size: content.length, nextSeq: 5, tornBytes: 0, droppedSegments: 0, sweptTemps: 0 });
  assert.is(readFileSync(`${path}.1`, 'utf8'), content);
  assert.is(statSync(path).size, 0);
  assert.is(meta(path), 5);
});

test('shifts .1 -> .2 and keeps at most maxRotations', async () => {
  const path = tempWal();
  for (let k = 0; k < 4; k++) {
    writeFileSync(path, lines(k * 3, 3, () => TS));
    const r = await rotate(path, 1, 2);
    assert.is(r.rotated, true);
    assert.is(r.droppedSegments, k >= 2 ? 1 : 0);
  }
  assert.not.ok(existsSync(`${path}.3`));
  assert.is(readFileSync(`${path}.2`, 'utf8'), lines(6, 3, () => TS));
  assert.is(readFileSync(`${path}.1`, 'utf8'), lines(9, 3, () => TS));
  assert.equal(await seqs(path), range(6, 12));
});

test('maxRotations 0 drops the active events; seq continues via .meta', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 7, () => TS));
  const r = await rotate(path, 1, 0);
  assert.equal(r, { rotated: true, size: r.size, nextSeq: 7, tornBytes: 0, droppedSegments: 1, sweptTemps: 0 });
  assert.not.ok(existsSync(`${path}.1`));
  assert.is(statSync(path).size, 0);
  const wal = await openWal(path);
  assert.is(await wal.append({ type: 'job_started', job_id: 'after' }), 7);
  await wal.close();
});

test('maxRotations 1 keeps exactly one rotated file', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 3, () => TS));
  await rotate(path, 1, 1);
  writeFileSync(path, lines(3, 3, () => TS));
  const r = await rotate(path, 1, 1);
  assert.is(r.droppedSegments, 1);
  assert.is(readFileSync(`${path}.1`, 'utf8'), lines(3, 3, () => TS));
  assert.not.ok(existsSync(`${path}.2`));
});

test('a torn tail is cut before rotating, so .1 holds whole lines only', async () => {
  const path = tempWal();
  const good = lines(0, 4, () => TS);
  const torn = '{"seq":4,"ts":17';
  writeFileSync(path, good + torn);
  const r = await rotate(path, 1, 3);
  assert.is(r.tornBytes, torn.length);
  assert.is(readFileSync(`${path}.1`, 'utf8'), good);
  assert.ok((await verify(path)).ok);
});

test('a writer holding the old fd continues in the new file with the next seq', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  for (let i = 0; i < 10; i++) await wal.append({ type: 'job_started', job_id: `a${i}` });
  const r = await rotate(path, 1, 5);
  assert.is(r.nextSeq, 10);
  for (let i = 0; i < 10; i++) assert.is(await wal.append({ type: 'job_started', job_id: `b${i}` }), 10 + i);
  await wal.close();
  // Nothing landed in the rotated-away file after the rotation.
  assert.equal(readFileSync(`${path}.1`, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { seq: number }).seq), range(0, 10));
  assert.equal(await seqs(path), range(0, 20));
});

test('concurrent appends and rotations stay gapless, no event after rotation in a rotated file', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  let stop = false;
  const appender = (async () => {
    const acked: number[] = [];
    while (!stop) {
      const batch = Array.from({ length: 20 }, (_, i) => wal.append({ type: 'job_started', job_id: `x${i}` }));
      acked.push(...(await Promise.all(batch)));
    }
    return acked;
  })();
  let rotations = 0;
  for (let i = 0; i < 15; i++) if ((await rotate(path, 1, 100)).rotated) rotations += 1;
  stop = true;
  const acked = await appender;
  await wal.close();
  assert.ok(rotations > 1);
  const report = await verify(path);
  assert.ok(report.ok, JSON.stringify(report.counts));
  assert.equal(await seqs(path), range(0, acked.length));
  assert.equal(acked, range(0, acked.length));
});

test('the writer’s own automatic rotation (client option) keeps seq gapless across segments', async () => {
  const path = tempWal();
  const wal = await openWal(path, { rotate: { maxSizeBytes: 2000, maxRotations: 100 } });
  const acked: number[] = [];
  for (let i = 0; i < 10; i++) acked.push(...(await Promise.all(Array.from({ length: 30 }, (_, j) => wal.append({ type: 'job_started', job_id: `r${i}-${j}` })))));
  await wal.close();
  const report = await verify(path);
  assert.ok(report.ok);
  assert.ok(report.segments.length >= 3, `segments: ${report.segments.length}`);
  assert.equal(await seqs(path), acked);
  assert.equal(acked, range(0, 300));
});

test('an exclusive writer holds the lock: rotate gives up with ELOCKED', async () => {
  const path = tempWal();
  const wal = await openWal(path, { lock: 'exclusive' });
  await wal.append({ type: 'job_started', job_id: 'x' });
  await expectCode(rotate(path, 1, 3, { lockTimeoutMs: 200 }), 'ELOCKED');
  await wal.close();
  assert.is((await rotate(path, 1, 3)).rotated, true);
});

test('bad arguments reject with EINVAL', async () => {
  const path = tempWal();
  await expectCode(rotate('', 1, 1), 'EINVAL');
  await expectCode(rotate(path, -1, 1), 'EINVAL');
  await expectCode(rotate(path, 1, 1.5), 'EINVAL');
  await expectCode(rotate(path, 1, 1, { lockStaleMs: 10 }), 'EINVAL');
});

test('writing one line by hand after rotation continues the numbering a writer picks up', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 3, () => TS));
  await rotate(path, 1, 3);
  writeFileSync(path, line(3, TS));
  const wal = await openWal(path);
  assert.is(await wal.append({ type: 'job_started', job_id: 'n' }), 4);
  await wal.close();
});

test.after(async () => {
  await closePool();
});

test.run();
