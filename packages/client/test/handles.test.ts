// Issue 10, item 3: closing one handle never breaks another. A port from wal.port() is a
// handle: the writer thread lives until the last handle of any thread is closed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker, type MessagePort } from 'node:worker_threads';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { openWal } from '../src/index.js';
import { tempWal, readLines, fixture } from './helpers.js';

type Reply = { ok: boolean; seqs?: number[]; code?: string; message?: string; ready?: boolean };

function appender(port: MessagePort): { w: Worker; ask(m: object): Promise<Reply>; ready: Promise<unknown>; exited: Promise<unknown> } {
  const w = new Worker(fixture('handle-thread.mjs'), { workerData: { role: 'appender', port }, transferList: [port] });
  const ready = once(w, 'message');
  const exited = once(w, 'exit'); // listened for from the start: the exit can come right after the last reply
  // A hang (what this test guards against) fails after 30 s instead of stalling the run.
  const guard = <T>(p: Promise<T>, what: string): Promise<T> => Promise.race([p, new Promise<never>((_, no) => setTimeout(() => no(new Error(`hung: ${what}`)), 30_000).unref())]);
  return { w, exited, ready: guard(ready, 'connectWal'), ask: async (m) => { w.postMessage(m); return (await guard(once(w, 'message'), JSON.stringify(m)))[0] as Reply; } };
}

test('the owner closes first (even before the worker connected): the worker keeps appending', async () => {
  const path = tempWal();
  try {
    const wal = await openWal(path);
    await wal.append({ type: 'job_started', job_id: 'owner' });
    const a = appender(wal.port());
    await wal.close(); // the port handed out still holds the writer
    await a.ready;
    const r1 = await a.ask({ op: 'append', n: 50, tag: 'w' });
    assert.ok(r1.ok, r1.message);
    assert.equal(r1.seqs, Array.from({ length: 50 }, (_, i) => i + 1));
    const r2 = await a.ask({ op: 'close' });
    assert.ok(r2.ok, r2.message);
    await a.exited;
    const lines = readLines(path);
    assert.equal(lines.map((l) => l.seq), Array.from({ length: 51 }, (_, i) => i));
    // The last handle is gone: a new open starts a fresh writer that continues the seq.
    const again = await openWal(path);
    assert.is(await again.append({ type: 'job_started', job_id: 'again' }), 51);
    await again.close();
  } finally {
    rmSync(dirname(path), { recursive: true, force: true });
  }
});

test('a worker that exits without close() releases its handle: the owner can still close and reopen', async () => {
  const path = tempWal();
  try {
    const wal = await openWal(path);
    const a = appender(wal.port());
    await a.ready;
    try {
      assert.ok((await a.ask({ op: 'append', n: 5, tag: 'w' })).ok);
    } finally {
      await a.w.terminate();
    }
    await wal.close();
    const again = await openWal(path, { lock: 'exclusive' }); // would wait for the lock if the old writer lived on
    assert.is(await again.append({ type: 'job_started', job_id: 'x' }), 5);
    await again.close();
  } finally {
    rmSync(dirname(path), { recursive: true, force: true });
  }
});

test("a handle whose owner thread exited says exactly that (ECLOSED), and keeps saying it", async () => {
  const path = tempWal();
  try {
    const owner = new Worker(fixture('handle-thread.mjs'), { workerData: { role: 'owner', path } });
    const [{ port }] = (await once(owner, 'message')) as [{ port: MessagePort }];
    const a = appender(port);
    try {
      await a.ready;
      assert.ok((await a.ask({ op: 'append', n: 3, tag: 'w' })).ok);
      owner.postMessage({ op: 'exit' });
      await once(owner, 'exit');
      for (let i = 0; i < 2; i++) {
        const r = await a.ask({ op: 'append', n: 1, tag: `after${i}` });
        assert.not.ok(r.ok);
        assert.is(r.code, 'ECLOSED');
        assert.match(r.message!, /thread that opened this WAL .*has exited/);
      }
    } finally {
      await a.w.terminate();
    }
    assert.equal(readLines(path).map((l) => l.job_id), ['w-0', 'w-1', 'w-2']);
  } finally {
    rmSync(dirname(path), { recursive: true, force: true });
  }
});

test.run();
