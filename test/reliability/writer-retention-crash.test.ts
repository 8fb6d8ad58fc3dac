// Issue 13, item 1: SIGKILL a writer whose automatic rotation applies retention, at random
// moments (mid-append, mid-rotation, between a rotation's renames and retention's, among
// retention's renames to temp names, before the unlinks). After every kill: each acked event
// whose seq is not older than the oldest kept segment is present exactly once with its id,
// the kept segments are gapless in seq (retention only ever removes a prefix: no hole), no
// retention run failed, and a later writer's rotation brings the count back within maxSegments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openWal } from '@threadwal/client';
import { rotatedIndexes, segmentPaths } from '@threadwal/core';
import { tmpDir, fixture, run, size, report, runSeed, prng, sleep, within } from './helpers.js';

const ROUNDS = size(8, 40);
const MAX_SEGMENTS = 3;
const OPTS = { rotate: { maxSizeBytes: 8 * 1024 }, retention: { maxSegments: MAX_SEGMENTS }, lockStaleMs: 2000 };

/** Every complete line of every segment in reading order (a torn tail of the active file aside). */
function onDisk(path: string): Array<{ seq: number; id: string }> {
  const out: Array<{ seq: number; id: string }> = [];
  for (const f of segmentPaths(path)) {
    const text = readFileSync(f, 'utf8');
    const whole = text.slice(0, text.lastIndexOf('\n') + 1);
    for (const l of whole.split('\n').filter(Boolean)) {
      const r = JSON.parse(l) as { seq: number; job_id: string };
      out.push({ seq: r.seq, id: r.job_id });
    }
  }
  return out;
}

test(`writer retention: ${ROUNDS} SIGKILLs at random moments leave every kept acked event and no hole`, async () => {
  const seed = runSeed('writer-retention-crash');
  const rand = prng(seed);
  const path = join(tmpDir(), 'wal.jsonl');
  const acked = new Map<number, string>();
  let deletedBelow = 0;
  let mostSegments = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const child = run(fixture('retention-writer'), [path, `r${round}`, JSON.stringify(OPTS)]);
    await child.waitLine((l) => l.startsWith('a '), `round ${round}: first ack`);
    await sleep(rand.int(0, 120));
    child.proc.kill('SIGKILL');
    const { signal } = await within(child.exited, `round ${round}: the child to die`);
    assert.is(signal, 'SIGKILL', `round ${round}: the child exited by itself: ${child.stderr()}`);
    for (const line of child.lines) {
      const [kind, seq, id] = line.split(' ');
      if (kind === 'a') acked.set(Number(seq), id!);
    }
    const records = onDisk(path);
    assert.ok(records.length > 0, `round ${round}: nothing on disk`);
    for (let i = 1; i < records.length; i++) assert.is(records[i]!.seq, records[i - 1]!.seq + 1, `round ${round}: hole after seq ${records[i - 1]!.seq}`);
    const first = records[0]!.seq;
    deletedBelow = first;
    const bySeq = new Map(records.map((r) => [r.seq, r.id]));
    for (const [seq, id] of acked) {
      if (seq < first) continue; // the policy deleted it
      assert.is(bySeq.get(seq), id, `round ${round}: acked seq ${seq} (${id}) lost or changed`);
    }
    // A kill between a rotation and its retention leaves one segment over the policy, and
    // rounds in a row can each do that, so the count is not bounded here (the clean rotation
    // below is); but no retention run may have failed.
    mostSegments = Math.max(mostSegments, rotatedIndexes(path).length);
    assert.not.ok(child.stderr().includes('THREADWAL_RETENTION_FAILED'), `round ${round}: ${child.stderr()}`);
  }
  // A clean writer's next rotation applies the policy to whatever the kills left.
  const w = await openWal(path, OPTS);
  const before = (await w.stats()).rotations;
  for (let i = 0; (await w.stats()).rotations === before; i++) await w.append({ type: 'job_started', job_id: `final-${i}`, output: 'z'.repeat(200) });
  await w.close();
  assert.ok(rotatedIndexes(path).length <= MAX_SEGMENTS, `${rotatedIndexes(path).length} rotated segments after a clean rotation`);
  report('writer-retention-crash', { rounds: ROUNDS, acked: acked.size, deletedBelow, mostSegments, seed });
});

test.run();
