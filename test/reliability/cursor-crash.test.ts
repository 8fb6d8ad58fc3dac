// Issue 13, item 6: a consumer killed (SIGKILL) at random points inside its cursor commits
// (temp + fsync + rename + dir fsync, one per record). After every kill the cursor file
// parses, never moved backwards, is at least the last commit that resolved and at most the
// last record the consumer had read; the next consumer resumes exactly after it, and a
// final one reads to the end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readdirSync, rmSync } from 'node:fs';
import { openWal } from '@threadwal/client';
import { readCursor, cursorsDir, listCursors, closePool } from '@threadwal/maintenance';
import { tmpDir, fixture, run, runToEnd, within, report, size, prng, runSeed } from './helpers.js';

const EVENTS = 3000;
const NAME = 'shipper';

test('cursor commit killed at random points: never torn, never backwards, never past what was read', async () => {
  const dir = tmpDir();
  const path = join(dir, 'wal.jsonl');
  const wal = await openWal<string>(path);
  for (let i = 0; i < EVENTS; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, k) => wal.append({ type: 'job_started', job_id: `e-${i + k}` })));
    if (i === EVENTS / 2) await wal.rotate({ maxRotations: 3 });
  }
  await wal.close();
  const rnd = prng(runSeed('cursor-crash'));
  const runs = size(12, 60);
  let prev = -1;
  let killedMidCommit = 0;
  for (let k = 0; k < runs; k++) {
    const child = run(fixture('cursor-consumer'), [path, NAME]);
    const target = rnd.int(1, 40);
    await child.waitLine((l) => l.startsWith('c ') && Number(l.slice(2)) >= prev + target, `run ${k}: ${target} commits`);
    child.proc.kill('SIGKILL');
    await within(child.exited, `run ${k} to die`);
    const reads = child.lines.filter((l) => l.startsWith('r ')).map((l) => Number(l.slice(2)));
    const commits = child.lines.filter((l) => l.startsWith('c ')).map((l) => Number(l.slice(2)));
    assert.is(reads[0], prev + 1, `run ${k}: resumed right after the committed seq ${prev}`);
    const stored = await readCursor(path, NAME); // throws ECORRUPT if the kill tore it
    assert.ok(stored >= prev, `run ${k}: the cursor moved backwards (${prev} -> ${stored})`);
    assert.ok(stored >= commits.at(-1)!, `run ${k}: a commit that resolved (${commits.at(-1)}) was lost (${stored})`);
    assert.ok(stored <= reads.at(-1)!, `run ${k}: the cursor (${stored}) is past what was read (${reads.at(-1)})`);
    if (stored > commits.at(-1)!) killedMidCommit += 1; // renamed, killed before the commit resolved
    prev = stored;
  }
  const last = await runToEnd(fixture('cursor-consumer'), [path, NAME]);
  const reads = last.lines.filter((l) => l.startsWith('r ')).map((l) => Number(l.slice(2)));
  assert.is(reads[0], prev + 1);
  assert.is(reads.at(-1), EVENTS - 1);
  assert.is(await readCursor(path, NAME), EVENTS - 1);
  assert.equal((await listCursors(path)).map((c) => c.name), [NAME]);
  assert.equal(readdirSync(cursorsDir(path)), [NAME], 'the next committer removed the temps killed ones left');
  report('cursor-crash', { runs, events: EVENTS, killed_after_rename_before_resolve: killedMidCommit });
  rmSync(dir, { recursive: true, force: true });
});

test.after(async () => {
  await closePool();
});
test.run();
