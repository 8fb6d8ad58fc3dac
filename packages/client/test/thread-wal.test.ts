// Issue 21, item 4: a job runner's one-line per-thread client. Every task of a worker thread
// gets the same client from walForThread(path), connected once (one request per thread to
// the owner's serveThreads), kept across tasks and across a writer restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Piscina } from 'piscina';
import { openWal, walForThread } from '../src/index.js';
import { tempWal, readLines, fixture, expectCode } from './helpers.js';

interface TaskResult { threadId: number; same: boolean; seq?: number; code?: string }

function pool(): Piscina {
  return new Piscina({ filename: fixture('thread-wal-task.mjs'), minThreads: 2, maxThreads: 2, concurrentTasksPerWorker: 4 });
}

/** Counts the connect requests the pool's threads post (what serveThreads answers). */
function countRequests(p: Piscina): () => number {
  let n = 0;
  p.on('message', (m: { threadwal?: string }) => {
    if (m?.threadwal === 'connect') n++;
  });
  return () => n;
}

test('tasks share one client per thread, kept across tasks and a writer restart', async () => {
  const path = tempWal();
  const marker = `${path}.die`;
  process.env.THREADWAL_DIE_MARKER = marker;
  const wal = await openWal(path, { faultInjection: fixture('die-on-write.mjs') });
  const p = pool();
  const requests = countRequests(p);
  const stop = wal.serveThreads(p);
  try {
    const run = (from: number, n: number): Promise<TaskResult[]> => Promise.all(Array.from({ length: n }, (_, k) => p.run({ path, i: from + k }) as Promise<TaskResult>));
    const first = await run(0, 40);
    assert.ok(first.every((r) => r.same && r.seq !== undefined), JSON.stringify(first.filter((r) => !r.same || r.code)));
    const threads = new Set(first.map((r) => r.threadId));
    assert.is(requests(), threads.size, 'one connect request per thread');
    // The writer thread dies: what was in flight rejects EWORKER, the next appends restart it.
    writeFileSync(marker, '');
    const dying = await run(40, 8);
    rmSync(marker);
    assert.ok(dying.every((r) => r.seq !== undefined || r.code === 'EWORKER'), JSON.stringify(dying));
    let after = await run(48, 40);
    for (let k = 0; k < 3 && after.some((r) => r.code === 'EWORKER'); k++) after = await run(100 + 40 * k, 40); // a thread's first append after the death may race it
    assert.ok(after.every((r) => r.same && r.seq !== undefined), JSON.stringify(after.filter((r) => r.code)));
    assert.is(requests(), threads.size, 'the restart needed no new client');
    const lines = readLines(path);
    assert.equal(lines.map((l) => l.seq), lines.map((_, k) => k), 'gapless');
    for (const r of [...first, ...after]) assert.is(lines[r.seq!]!.job_id.startsWith('job-'), true);
  } finally {
    stop();
    await p.destroy();
    await wal.close();
  }
});

test('nobody serving: walForThread rejects EINVAL naming serveThreads', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  const p = new Piscina({ filename: fixture('thread-wal-task.mjs'), name: 'unserved', minThreads: 1, maxThreads: 1 });
  try {
    const msg = (await p.run({ path })) as string;
    assert.ok(msg.startsWith('EINVAL') && msg.includes('serveThreads'), msg);
  } finally {
    await p.destroy();
    await wal.close();
  }
});

test('on the main thread walForThread opens the WAL once; a closed one is replaced; bad arguments are EINVAL', async () => {
  const path = tempWal();
  const a = await walForThread(path);
  assert.is(await walForThread(path), a);
  assert.is(await a.append({ type: 'job_started', job_id: 'x' }), 0);
  await a.close();
  const b = await walForThread(path);
  assert.ok(b !== a);
  assert.is(await b.append({ type: 'job_started', job_id: 'y' }), 1);
  await b.close();
  await expectCode(() => walForThread(''), 'EINVAL');
  await expectCode(() => b.serveThreads({} as never), 'ECLOSED');
  const c = await openWal(tempWal());
  await expectCode(() => c.serveThreads({} as never), 'EINVAL');
  await c.close();
});

test('a relative path names the WAL in the cwd of the call: the same string after chdir is another WAL', async () => {
  const home = process.cwd();
  const dirA = dirname(tempWal());
  const dirB = dirname(tempWal());
  try {
    process.chdir(dirA);
    const a = await walForThread('rel.wal');
    assert.is(await walForThread('./rel.wal'), a);
    process.chdir(dirB);
    const b = await walForThread('rel.wal');
    assert.ok(b !== a, 'the path resolved in the first cwd was reused');
    assert.is(await b.append({ type: 'job_started', job_id: 'b' }), 0);
    assert.is(await a.append({ type: 'job_started', job_id: 'a' }), 0);
    await a.close();
    await b.close();
    assert.equal(readLines(join(dirB, 'rel.wal')).map((l) => l.job_id), ['b']);
  } finally {
    process.chdir(home);
  }
});

test.run();
