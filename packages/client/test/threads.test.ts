import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { openWal } from '../src/index.js';
import { tempWal, readLines, fixture } from './helpers.js';

test('4 worker threads append over connectWal: one gapless seq space, each thread in its own order', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  const per = 2000;
  const results = await Promise.all(['a', 'b', 'c', 'd'].map((name) => new Promise<number[]>((resolve, reject) => {
    const port = wal.port();
    const w = new Worker(fixture('thread-producer.mjs'), { workerData: { port, name, count: per }, transferList: [port] });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  await wal.append({ type: 'job_completed', job_id: 'main' });
  await wal.close();
  const lines = readLines(path);
  assert.is(lines.length, 4 * per + 1);
  assert.equal(lines.map((l) => l.seq), Array.from({ length: lines.length }, (_, i) => i));
  for (const [k, name] of ['a', 'b', 'c', 'd'].entries()) {
    const mine = lines.filter((l) => l.job_id.startsWith(`${name}-`));
    assert.equal(mine.map((l) => l.n), Array.from({ length: per }, (_, i) => i), `thread ${name} order`);
    assert.equal(mine.map((l) => l.seq), results[k], `thread ${name} acked seqs`);
  }
});

test('connectWal rejects something that is not a port', async () => {
  const { connectWal } = await import('../src/index.js');
  try {
    await connectWal({} as never);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code?: string }).code, 'EINVAL');
  }
});

test.run();
