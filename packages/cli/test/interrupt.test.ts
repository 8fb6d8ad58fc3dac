// Signals while a job runs (issue 10, item 6): the first SIGINT/SIGTERM asks the job to stop;
// a second one, of either kind, exits at once even when the job is stuck in a blocking call
// in a worker thread, where no abort can reach it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collect, start, tempWal, until, writeLines } from './helpers.js';

const STUCK = fileURLToPath(new URL('../../test/fixtures/stuck-open.mjs', import.meta.url));

/** `threadwal verify` on a fresh WAL whose pool job blocks for good when it opens the log; resolves once it is stuck. */
async function stuckVerify(): Promise<{ child: ReturnType<typeof start>; stderr: () => string; done: ReturnType<typeof collect> }> {
  const path = tempWal('stuck.wal');
  writeLines(path, 0, 3);
  const fifo = join(dirname(path), 'never-written');
  assert.is(spawnSync('mkfifo', [fifo]).status, 0);
  const mark = join(dirname(path), 'stuck');
  const child = start(['verify', path], {
    NODE_OPTIONS: `--import ${STUCK}`,
    THREADWAL_STUCK_NAME: 'stuck.wal',
    THREADWAL_STUCK_MARK: mark,
    THREADWAL_STUCK_FIFO: fifo,
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer | string) => { err += d.toString(); });
  const done = collect(child, 15_000);
  await until(() => existsSync(mark));
  return { child, stderr: () => err, done };
}

test('SIGINT, then SIGTERM while the job is stuck in a blocking call: the process still answers, and quits at once (killed by SIGTERM: 143)', async () => {
  const { child, stderr, done } = await stuckVerify();
  child.kill('SIGINT');
  // The handler ran (the process is not deaf), the job cannot stop: it says how to quit.
  await until(() => stderr().includes('interrupt again to quit at once'));
  child.kill('SIGTERM');
  const r = await done;
  assert.is(r.signal, 'SIGTERM', r.stderr); // ended by the signal itself: the shell says 143
  assert.match(r.stderr, /threadwal: SIGTERM again: quitting without waiting for the job\n$/);
  assert.is(r.stdout, '');
});

test('SIGINT twice while the job is stuck: the second exits at once (killed by SIGINT: 130)', async () => {
  const { child, done } = await stuckVerify();
  child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGINT');
  const r = await done;
  assert.is(r.signal, 'SIGINT', r.stderr); // the shell says 130
  assert.match(r.stderr, /SIGINT again: quitting/);
});

test('SIGTERM twice while the job is stuck: the second exits at once (killed by SIGTERM: 143)', async () => {
  const { child, done } = await stuckVerify();
  child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  const r = await done;
  assert.is(r.signal, 'SIGTERM', r.stderr);
});

test.run();
