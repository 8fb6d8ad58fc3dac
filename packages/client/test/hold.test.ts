// Issue 21: while the writer is busy with a client's previous batch the client keeps filling
// the next one instead of posting every tick; un-awaited lines share the writer's commit
// window; anything awaited (append, flush) still goes at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { openWal } from '../src/index.js';
import { tempWal } from './helpers.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const linesIn = (path: string): number => readFileSync(path, 'utf8').split('\n').length - 1;

test('a busy writer gets at most one batch per cycle from a client, not one per tick', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  try {
    const acks: Array<Promise<number>> = [];
    for (let t = 0; t < 300; t++) {
      for (let k = 0; k < 3; k++) acks.push(wal.append({ type: 'job_started', job_id: `j${t}-${k}` }));
      await tick();
    }
    const seqs = await Promise.all(acks);
    assert.equal(seqs, seqs.map((_, i) => i), 'every event acked with its own seq, in order');
    const s = await wal.stats();
    assert.ok(s.received <= s.batches + 1, `${s.received} batches posted for ${s.batches} write cycles (300 ticks)`);
    assert.is(linesIn(path), 900);
  } finally {
    await wal.close();
  }
});

test('un-awaited lines wait for the commit window; flush() ends it', async () => {
  const path = tempWal();
  const wal = await openWal(path, { commitWindowMs: 1000 });
  try {
    wal.appendNoWait({ type: 'command_executed', job_id: 'a' });
    await wal.flush(); // at once: a cycle began just now
    wal.appendNoWait({ type: 'command_executed', job_id: 'b' });
    await sleep(100);
    assert.is(linesIn(path), 1, 'an un-awaited line was committed inside the window');
    await wal.flush();
    assert.is(linesIn(path), 2);
    const s = await wal.stats();
    assert.ok(s.windowWaitedMs < 1000, `the window was waited out (${s.windowWaitedMs} ms), not ended by flush()`);
    // An awaited append while un-awaited lines wait: one cycle takes them all.
    wal.appendNoWait({ type: 'command_executed', job_id: 'c' });
    await sleep(20);
    assert.is(await wal.append({ type: 'job_started', job_id: 'd' }), 3);
    assert.is(linesIn(path), 4);
  } finally {
    await wal.close();
  }
});

test('lines nobody awaits, written steadily, cost about one fdatasync per window', async () => {
  const path = tempWal();
  const window = 50;
  const wal = await openWal(path, { commitWindowMs: window });
  try {
    const s0 = await wal.stats();
    const t0 = performance.now();
    for (let i = 0; i < 300; i++) {
      wal.appendNoWait({ type: 'command_executed', job_id: `n${i}` });
      await sleep(1);
    }
    const elapsed = performance.now() - t0;
    await wal.flush();
    const s1 = await wal.stats();
    const fsyncs = s1.fsyncs - s0.fsyncs;
    // A slow machine only makes `elapsed` longer: the bound loosens, never tightens.
    assert.ok(fsyncs <= Math.ceil(elapsed / window) + 2, `${fsyncs} fdatasyncs in ${Math.round(elapsed)} ms with a ${window} ms window`);
    assert.is(linesIn(path), 300);
  } finally {
    await wal.close();
  }
});

test.run();
