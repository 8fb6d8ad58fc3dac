// Issue 15: inside one long synchronous run of appends, a client hands what it has to the
// writer before the run ends (as soon as the writer has caught up with it, or past 1 MiB),
// so the writer writes while the producer serializes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { openWal } from '../src/index.js';
import { tempWal } from './helpers.js';

const lineCount = (path: string): number => (existsSync(path) ? readFileSync(path, 'latin1').split('\n').length - 1 : 0);

test('a long synchronous run of appends reaches the disk before the run ends', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  try {
    const acks: Array<Promise<number>> = [];
    let i = 0;
    // ~30 KiB of events: past the early-post size, far below the 1 MiB size that always posts.
    for (; i < 300; i++) acks.push(wal.append({ type: 'job_started', job_id: `job-${i}`, output: { pad: 'x'.repeat(40) } }));
    // Still in the same synchronous run: no microtask has run, so only an early post can
    // have handed anything to the writer thread. Wait (bounded) for its lines to land.
    const deadline = Date.now() + 20_000;
    while (lineCount(path) === 0 && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    const early = lineCount(path);
    assert.ok(early > 0, 'nothing was written while the synchronous run went on');
    assert.ok(early < 300, `all ${early} lines were written before the run ended`);
    // Once the writer has caught up again (its fdatasync and ack may still be under way when
    // the lines show in the file), the next event past the threshold goes out too: append
    // one at a time, a millisecond apart, still in the same synchronous run.
    for (; i < 600 && lineCount(path) === early && Date.now() < deadline; i++) {
      acks.push(wal.append({ type: 'job_started', job_id: `job-${i}`, output: { pad: 'x'.repeat(40) } }));
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
    const second = i;
    assert.ok(lineCount(path) > early, 'the second half of the run was not written before the run ended');
    for (; i < 600; i++) acks.push(wal.append({ type: 'job_started', job_id: `job-${i}`, output: { pad: 'x'.repeat(40) } }));
    assert.ok(second < 600, 'the events of the second half went out only at the end of the run');
    const seqs = await Promise.all(acks);
    assert.equal(seqs, Array.from({ length: 600 }, (_, k) => k), 'every event acked with its own seq, in order');
    assert.is(lineCount(path), 600);
  } finally {
    await wal.close();
  }
});

test.run();
