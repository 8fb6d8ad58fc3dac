import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { openWal } from '../src/index.js';
import { tempWal, readLines, fixture, expectCode } from './helpers.js';

test('flushSync blocks until everything appended is on disk', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  for (let i = 0; i < 5000; i++) wal.appendNoWait({ type: 'job_started', job_id: `j${i}` });
  const p = wal.append({ type: 'job_completed', job_id: 'last' });
  wal.flushSync();
  // No await between: the writer thread made them durable while this thread waited.
  assert.is(readLines(path).length, 5001);
  assert.is(await p, 5000);
  await wal.close();
});

for (const where of ['main', 'worker']) {
  test(`process.exit() right after 10,000 appendNoWait from the ${where} thread loses none`, () => {
    const path = tempWal();
    const r = spawnSync(process.execPath, [fixture('exit-after-appends.mjs'), path, where], { encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 0, r.stderr);
    const lines = readLines(path);
    assert.is(lines.length, 10000);
    assert.equal(lines.map((l) => l.seq), Array.from({ length: 10000 }, (_, i) => i));
    // The writer thread died with the process, maybe holding the lock: the exit hook removes it,
    // or the next process to open this WAL would wait lockStaleMs for it to go stale.
    assert.not.ok(existsSync(`${path}.lock`), 'the exit left the lock directory behind');
  });
}

test('a handle the app dropped without closing still has its events flushed when an uncaught exception ends the process', () => {
  const path = tempWal();
  const r = spawnSync(process.execPath, ['--expose-gc', fixture('dropped-handle.mjs'), path, '1000'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 1, r.stderr); // the uncaught exception's
  assert.match(r.stderr, 'uncaught, on purpose');
  assert.is(readLines(path).length, 1000, 'every event appended before the GC and the exception');
});

test('five short-lived processes in a row (append, exit) leave no stale lock for the next one', () => {
  const path = tempWal();
  for (let run = 0; run < 5; run++) {
    const r = spawnSync(process.execPath, [fixture('exit-after-appends.mjs'), path, 'main'], { encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 0, r.stderr);
    assert.not.ok(existsSync(`${path}.lock`), `run ${run} left the lock directory behind`);
  }
  assert.is(readLines(path).length, 50000);
});

test('fsync failure is fail-stop: EFSYNC for pending and later appends, flushSync throws', async () => {
  const path = tempWal();
  const wal = await openWal(path, { faultInjection: fixture('eio-fsync.mjs') });
  assert.is(await wal.append({ type: 'job_started', job_id: 'ok' }), 0);
  await expectCode(wal.append({ type: 'job_started', job_id: 'lost' }), 'EFSYNC');
  await expectCode(wal.append({ type: 'job_started', job_id: 'later' }), 'EFSYNC');
  await expectCode(() => wal.appendNoWait({ type: 'job_started', job_id: 'later' }), 'EFSYNC');
  assert.ok((await wal.stats()).failed);
  await wal.close().catch(() => undefined);
  const again = await openWal(path); // a new writer recovers from disk
  const seq = await again.append({ type: 'job_started', job_id: 'after' });
  assert.ok(seq >= 1);
  await again.close();
});

test.run();
