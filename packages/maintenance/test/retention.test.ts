import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { openWal } from '@threadwal/client';
import { applyRetention, rotate, cleanup, commitCursor, verify, closePool } from '../src/index.js';
import { tempWal, lines, seqs, range, expectCode, writeSegment } from './helpers.js';

const TS = 1_700_000_000;
const dirs: string[] = [];
function wal(): string {
  const p = tempWal();
  dirs.push(dirname(p));
  return p;
}
const meta = (path: string): number => (JSON.parse(readFileSync(`${path}.meta`, 'utf8')) as { next_seq: number }).next_seq;

/** `.5 … .1` of 10 events each (seq 0..49), the k-th oldest with ts TS + 100k, 1000 bytes or so each; active with 50..54. */
function layout(path: string): void {
  for (let k = 0; k < 5; k++) writeSegment(`${path}.${5 - k}`, lines(k * 10, 10, () => TS + 100 * k));
  writeFileSync(path, lines(50, 5, () => TS + 1000));
}

test('maxSegments deletes the oldest rotated segments, earlier runs\' included; the rest reads gapless', async () => {
  const path = wal();
  layout(path);
  const r = await applyRetention(path, { maxSegments: 2 });
  assert.is(r.deletedSegments, 3);
  assert.is(r.removedEvents, 30);
  assert.is(r.keptSegments, 2);
  assert.is(r.nextSeq, 55);
  assert.not.ok(existsSync(`${path}.3`));
  assert.ok(existsSync(`${path}.2`));
  assert.equal(await seqs(path), range(30, 55));
  assert.is(meta(path), 55);
  assert.ok((await verify(path)).ok);
  assert.equal(readdirSync(dirname(path)).filter((n) => n.includes('.cleanup-')), [], 'no temp file left');
});

test('maxAge judges a segment by its newest event', async () => {
  const path = wal();
  layout(path);
  // cutoff TS+250: the segments whose newest ts is TS, TS+100, TS+200 go
  const r = await applyRetention(path, { maxAge: 250 }, { now: TS + 500 });
  assert.is(r.deletedSegments, 3);
  assert.equal(await seqs(path), range(30, 55));
  const s = await applyRetention(path, { maxAge: '1d' }, { now: TS + 500 });
  assert.is(s.deletedSegments, 0);
});

test('maxTotalBytes (human units) counts every segment and the active file', async () => {
  const path = wal();
  layout(path);
  const seg = readFileSync(`${path}.1`).length;
  const active = readFileSync(path).length;
  const r = await applyRetention(path, { maxTotalBytes: `${2 * seg + active}` });
  assert.is(r.deletedSegments, 3);
  assert.is(r.totalBytes, 2 * seg + active);
  const all = await applyRetention(path, { maxTotalBytes: 1 });
  assert.is(all.deletedSegments, 2);
  assert.ok(all.overBudget, 'the active file alone is over the cap');
  assert.equal(await seqs(path), range(50, 55));
});

test('removing every rotated event never lets a seq be reused', async () => {
  const path = wal();
  for (let k = 0; k < 3; k++) writeSegment(`${path}.${3 - k}`, lines(k * 10, 10, () => TS));
  const r = await applyRetention(path, { maxSegments: 0 });
  assert.is(r.deletedSegments, 3);
  assert.is(meta(path), 30);
  const w = await openWal(path);
  assert.is(await w.append({ type: 'job_started', job_id: 'x' }), 30);
  await w.close();
});

test('retain.untilCommitted keeps what a cursor has not committed; maxTotalBytes still wins and says so', async () => {
  const path = wal();
  layout(path);
  await commitCursor(path, 'shipper', 19);
  const held = await applyRetention(path, { maxSegments: 0, retain: { untilCommitted: ['shipper'] } });
  assert.is(held.deletedSegments, 2, 'segments 0..9 and 10..19 were consumed');
  assert.is(held.heldByCursors, 3);
  assert.equal(held.forcedPastCursors, []);
  assert.equal(await seqs(path), range(20, 55));

  const warnings: Error[] = [];
  const onWarning = (w: Error): void => { warnings.push(w); };
  process.on('warning', onWarning);
  const seg = readFileSync(`${path}.1`).length;
  const forced = await applyRetention(path, { maxSegments: 0, maxTotalBytes: seg + readFileSync(path).length, retain: { untilCommitted: ['shipper'] } });
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.is(forced.deletedSegments, 2);
  assert.equal(forced.forcedPastCursors, [{ cursor: 'shipper', committedSeq: 19, lostFromSeq: 20, lostToSeq: 39 }]);
  assert.is(warnings.length, 1);
  assert.is((warnings[0] as Error & { code?: string }).code, 'THREADWAL_RETENTION_FORCED');
});

test('a cursor never committed holds everything', async () => {
  const path = wal();
  layout(path);
  const r = await applyRetention(path, { maxSegments: 0, retain: { untilCommitted: ['new-consumer'] } });
  assert.is(r.deletedSegments, 0);
  assert.is(r.heldByCursors, 5);
});

test('rotate() and cleanup() apply a retention policy after their own work; the seed calls keep their meaning', async () => {
  const path = wal();
  layout(path);
  const r = await rotate(path, 0, 9, { retention: { maxSegments: 3 } });
  assert.ok(r.rotated);
  assert.is(r.droppedSegments, 0, 'maxRotations 9 alone deletes nothing');
  assert.is(r.retention!.deletedSegments, 3);
  assert.equal(await seqs(path), range(30, 55));
  const plain = await rotate(path, 0, 9);
  assert.is(plain.retention, undefined);
  const c = await cleanup(path, 1, { now: TS + 10_000, retention: { maxSegments: 1 } });
  assert.ok(c.retention);
  assert.equal(await seqs(path), []);
});

test('bad policies fail with EINVAL naming the field', async () => {
  const path = wal();
  await expectCode(() => applyRetention(path, { maxSegments: -1 }), 'EINVAL');
  await expectCode(() => applyRetention(path, { maxAge: '3 fortnights' }), 'EINVAL');
  await expectCode(() => applyRetention(path, { maxTotalBytes: '12Qb' }), 'EINVAL');
  await expectCode(() => applyRetention(path, { retain: { untilCommitted: ['../x'] } }), 'EINVAL');
  await expectCode(() => applyRetention(path, null as never), 'EINVAL');
  await expectCode(() => rotate(path, 0, 1, { retention: { maxSegments: 1.5 } }), 'EINVAL');
  const e = await expectCode(() => applyRetention(path, { maxAge: -5 }), 'EINVAL');
  assert.match((e as Error).message, /policy\.maxAge/);
});

test('a WAL with no rotated segment: nothing to do; no WAL at all: ENOENT', async () => {
  const path = wal();
  await expectCode(() => applyRetention(path, { maxSegments: 0 }), 'ENOENT');
  writeFileSync(path, lines(0, 3, () => TS));
  const r = await applyRetention(path, { maxSegments: 0, maxTotalBytes: 0 });
  assert.is(r.deletedSegments, 0);
  assert.ok(r.overBudget);
  assert.equal(await seqs(path), [0, 1, 2]);
});

test.after(async () => {
  await closePool();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
test.run();
