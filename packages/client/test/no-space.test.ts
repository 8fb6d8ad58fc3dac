// Issue 22, item 4, through the writer's fs seam: running out of space while rotating (a rename,
// creating the fresh file) is not a fail-stop. The rotation is rejected with ENOSPC, nothing
// acknowledged is lost, and appends go on, the next cycle reopening the active file; a later
// rotation succeeds. (Before, any error inside a write cycle's rotation stopped the WAL for good.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { openWal, WalError } from '../src/index.js';
import { tempWal, fixture, readLines } from './helpers.js';

const fault = (q: string): string => `${pathToFileURL(fixture('errno-on.mjs')).href}?${q}`;
const ev = (i: number) => ({ type: 'job_started' as const, job_id: `j${i}`, ts: 1 });

for (const [what, q] of [
  // The first rename through the seam renames the active file to .1 (.meta goes around it on open, through it on rotation: after=1 skips .meta's).
  ['renaming the active file to .1', 'op=renameSync&code=ENOSPC&after=1&times=1'],
  ['creating the fresh active file', 'op=openSync&code=ENOSPC&flags=1089&times=1'],
] as const) {
  test(`ENOSPC ${what}: wal.rotate() rejects, the WAL goes on, nothing acked is lost, a later rotate works`, async () => {
    const path = tempWal();
    const wal = await openWal(path, { faultInjection: fault(q) });
    try {
      assert.is(await wal.append(ev(0)), 0);
      assert.is(await wal.append(ev(1)), 1);
      let err: unknown;
      await wal.rotate().catch((e: unknown) => { err = e; });
      assert.instance(err, WalError, `rotate should have failed: ${String(err)}`);
      assert.is((err as WalError).code, 'ENOSPC');
      assert.is((await wal.stats()).failed, false, 'not a fail-stop');
      assert.is(await wal.append(ev(2)), 2, 'appends go on at the next seq');
      const r = await wal.rotate();
      assert.ok(r.rotated);
      assert.is(await wal.append(ev(3)), 3);
    } finally {
      await wal.close();
    }
    const all = [...readLines(`${path}.2`), ...readLines(`${path}.1`), ...readLines(path)].map((l) => l.seq);
    assert.equal(all, [0, 1, 2, 3], 'every acked event once, in order');
    assert.ok(existsSync(path));
  });
}

test.run();
