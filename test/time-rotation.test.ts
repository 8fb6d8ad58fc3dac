// Issue 13, item 2: the writer's time-based rotation (`rotate: { every }`) with real files
// and a real clock. A 2 s interval stands in for an hour: each test waits for the clock to
// reach a boundary (a wait, not a timed assertion) and checks where the events landed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWal } from '@threadwal/client';
import { rotatedIndexes } from '@threadwal/core';

const EVERY = 2000;
const dirs: string[] = [];
function wal(): string {
  const d = mkdtempSync(join(tmpdir(), 'threadwal-time-rot-'));
  dirs.push(d);
  return join(d, 'app.wal');
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Waits until just past the next multiple of EVERY (UTC epoch ms). */
async function nextBoundary(): Promise<void> {
  const now = Date.now();
  await sleep(EVERY - (now % EVERY) + 30);
}
const ids = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { job_id: string }).job_id) : []);
const ev = (id: string) => ({ type: 'job_started' as const, job_id: id });

test('a batch in a new interval goes to a new segment; the previous interval is rotated whole', async () => {
  const path = wal();
  const w = await openWal(path, { rotate: { every: EVERY, utc: true } });
  await nextBoundary();
  await w.append(ev('a1'));
  await w.append(ev('a2'));
  await nextBoundary();
  await w.append(ev('b1'));
  await w.close();
  assert.equal(ids(`${path}.1`), ['a1', 'a2']);
  assert.equal(ids(path), ['b1']);
});

test('an idle interval leaves no empty segment', async () => {
  const path = wal();
  const w = await openWal(path, { rotate: { every: EVERY, utc: true } });
  await nextBoundary();
  await w.append(ev('a1'));
  await nextBoundary();
  await nextBoundary(); // a whole interval with nothing written
  await w.append(ev('c1'));
  await w.close();
  assert.equal(rotatedIndexes(path), [1]);
  assert.equal(ids(`${path}.1`), ['a1']);
  assert.equal(ids(path), ['c1']);
  for (const i of rotatedIndexes(path)) assert.ok(statSync(`${path}.${i}`).size > 0);
});

test('across a restart: a writer opening a file of an earlier interval rotates before its first batch', async () => {
  const path = wal();
  await nextBoundary();
  const a = await openWal(path, { rotate: { every: EVERY, utc: true } });
  await a.append(ev('a1'));
  await a.close();
  await nextBoundary();
  // A new process would start its clock now; the schedule comes from the file instead.
  const b = await openWal(path, { rotate: { every: EVERY, utc: true } });
  await b.append(ev('b1'));
  await b.close();
  assert.equal(ids(`${path}.1`), ['a1']);
  assert.equal(ids(path), ['b1']);
});

test('with maxSizeBytes too: either trigger rotates; seqs stay gapless', async () => {
  const path = wal();
  const w = await openWal(path, { rotate: { every: EVERY, utc: true, maxSizeBytes: 120, maxRotations: 10 } });
  await nextBoundary();
  const seqs: number[] = [];
  for (let i = 0; i < 4; i++) seqs.push(await w.append(ev(`s${i}`)));
  await nextBoundary();
  seqs.push(await w.append(ev('t0')));
  await w.close();
  assert.equal(seqs, [0, 1, 2, 3, 4]);
  assert.ok(rotatedIndexes(path).length >= 2, 'size rotated within the interval');
  const all = [...rotatedIndexes(path).map((i) => ids(`${path}.${i}`)).flat(), ...ids(path)];
  assert.equal(all, ['s0', 's1', 's2', 's3', 't0']);
  assert.equal(ids(path), ['t0'], 'the new interval starts a segment even though the last one was small');
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
test.run();
