import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openWal, WalWriter, type WalEvent } from '../src/index.js';
import { tempWal, readLines, expectCode } from './helpers.js';

test('append resolves with the seq once the line is on disk', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  const seq = await wal.append({ ts: 1715800000, type: 'job_started', job_id: 'job-1', capability: 'FileRead' });
  assert.is(seq, 0);
  // Resolved means written and fdatasynced: the line is in the file before close.
  assert.equal(readLines(path), [{ seq: 0, ts: 1715800000, type: 'job_started', job_id: 'job-1', capability: 'FileRead' }]);
  await wal.close();
});

test('appends of one tick share a batch and get consecutive seqs in call order', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  const seqs = await Promise.all(Array.from({ length: 500 }, (_, i) => wal.append({ type: 'job_started', job_id: `j${i}` })));
  assert.equal(seqs, Array.from({ length: 500 }, (_, i) => i));
  const stats = await wal.stats();
  assert.ok(stats.batches < 500, `expected group commit, got ${stats.batches} batches for 500 events`);
  assert.is(stats.events, 500);
  assert.is(stats.durableSeq, 499);
  await wal.close();
  assert.equal(readLines(path).map((l) => l.job_id), Array.from({ length: 500 }, (_, i) => `j${i}`));
});

test('reopen continues the seq', async () => {
  const path = tempWal();
  let wal = await openWal(path);
  await wal.append({ type: 'job_started', job_id: 'a' });
  await wal.append({ type: 'job_completed', job_id: 'a' });
  await wal.close();
  wal = await openWal(path);
  assert.is(wal.nextSeq(), 2);
  assert.is(await wal.append({ type: 'job_started', job_id: 'b' }), 2);
  await wal.close();
  assert.equal(readLines(path).map((l) => l.seq), [0, 1, 2]);
});

test('appendNoWait + flush makes everything durable', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  for (let i = 0; i < 3000; i++) wal.appendNoWait({ type: 'command_executed', job_id: `j${i}`, output: { i } });
  await wal.flush();
  assert.is(readLines(path).length, 3000);
  await wal.flush(); // nothing pending: resolves at once
  await wal.close();
});

test('bad events throw EINVAL at the call and do not disturb the others', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  const good = wal.append({ type: 'job_started', job_id: 'ok-1' });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const bad: unknown[] = [null, 42, 'str', [], { type: 'job_started' }, { job_id: 'x' }, { type: '', job_id: 'x' },
    { type: 't', job_id: 'x', output: 1n }, { type: 't', job_id: 'x', output: cyclic }, { type: 't', job_id: 'x', output: { f: () => 1 } },
    { type: 't', job_id: 'x', output: Symbol('s') }, { type: 't', job_id: 'x', output: NaN }, { type: 't', job_id: 'x', ts: -1 }];
  for (const b of bad) {
    await expectCode(() => wal.append(b as WalEvent), 'EINVAL');
    await expectCode(() => wal.appendNoWait(b as WalEvent), 'EINVAL');
  }
  await expectCode(() => wal.append({ type: 'job_started', job_id: 'x', output: 'y'.repeat(2 * 1024 * 1024) }), 'EINVAL');
  const good2 = wal.append({ type: 'job_completed', job_id: 'ok-2' });
  assert.equal(await Promise.all([good, good2]), [0, 1]);
  await wal.close();
  assert.equal(readLines(path).map((l) => l.job_id), ['ok-1', 'ok-2']);
});

test('what JSON.stringify would store is stored: a Date as its ISO string, an undefined member absent; a caller\'s seq is the writer\'s to assign', async () => {
  // Decided (issue 19): the line is what JSON.stringify makes of the event, the rules a JSON
  // logger's user expects; what JSON would change silently in a lossy way (undefined in an
  // array, NaN, BigInt, Map/Set) is EINVAL at the call. `seq` is ignored as the seed does.
  const path = tempWal();
  const wal = await openWal(path);
  const at = new Date(Date.UTC(2026, 11, 7, 10, 0, 0));
  const event = { ts: 1715800000, type: 'job_started' as const, job_id: 'j', at, gone: undefined, seq: 99 };
  assert.is(await wal.append(event), 0);
  await wal.close();
  const [line] = readLines(path);
  assert.equal(line, { seq: 0, ts: 1715800000, type: 'job_started', job_id: 'j', at: '2026-12-07T10:00:00.000Z' });
  assert.not.ok('gone' in line!);
});

test('custom event types are allowed through the generic', async () => {
  const wal = await openWal<'deploy_started'>(tempWal());
  assert.is(await wal.append({ type: 'deploy_started', job_id: 'd1' }), 0);
  await wal.close();
});

test('after close every method rejects or throws ECLOSED', async () => {
  const wal = await openWal(tempWal());
  await wal.append({ type: 'job_started', job_id: 'a' });
  await wal.close();
  await wal.close(); // idempotent
  await expectCode(wal.append({ type: 'job_started', job_id: 'b' }), 'ECLOSED');
  await expectCode(() => wal.appendNoWait({ type: 'job_started', job_id: 'b' }), 'ECLOSED');
  await expectCode(wal.flush(), 'ECLOSED');
  await expectCode(wal.stats(), 'ECLOSED');
  await expectCode(wal.rotate(), 'ECLOSED');
  await expectCode(() => wal.port(), 'ECLOSED');
});

test('bad options throw EINVAL at the call, nothing opened', async () => {
  await expectCode(() => openWal(tempWal(), { maxPendingBytes: -1 }), 'EINVAL');
  await expectCode(() => openWal(tempWal(), { durability: 'sometimes' as never }), 'EINVAL');
  await expectCode(() => openWal(tempWal(), { rotate: { maxSizeBytes: 0, maxRotations: 1 } }), 'EINVAL');
  await expectCode(() => openWal(''), 'EINVAL');
});

test('two openWal of one path share one writer and one seq space', async () => {
  const path = tempWal();
  const a = await openWal(path);
  const b = await openWal(path);
  const seqs = await Promise.all([a.append({ type: 'job_started', job_id: 'a' }), b.append({ type: 'job_started', job_id: 'b' })]);
  assert.equal(seqs.sort(), [0, 1]);
  await a.close();
  assert.is(await b.append({ type: 'job_started', job_id: 'b2' }), 2); // still open for b
  await b.close();
  assert.is(readLines(path).length, 3);
});

test('WalWriter: the seed API', async () => {
  const path = tempWal();
  const w = await WalWriter.create(path);
  assert.is(w.seq(), 0);
  await w.append({ seq: 0, ts: 1715800000, type: 'job_started', job_id: 'job1', capability: null, output: null, error: null });
  assert.is(w.seq(), 1);
  await w.close();
  const again = await WalWriter.create(path);
  assert.is(again.seq(), 1);
  await again.close();
  assert.equal(readLines(path), [{ seq: 0, ts: 1715800000, type: 'job_started', job_id: 'job1', output: null }]);
});

test('stats and rotate through the control plane', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  await wal.append({ type: 'job_started', job_id: 'a' });
  const r = await wal.rotate({ maxRotations: 2 });
  assert.equal(r, { rotated: true, nextSeq: 1 });
  assert.is(await wal.append({ type: 'job_started', job_id: 'b' }), 1);
  const s = await wal.stats();
  assert.is(s.rotations, 1);
  assert.ok(s.ackP50Us > 0 && s.ackP99Us >= s.ackP50Us);
  assert.is(s.pendingBytes, 0);
  await wal.close();
  assert.equal(readLines(`${path}.1`).map((l) => l.seq), [0]);
  assert.equal(readLines(path).map((l) => l.seq), [1]);
});

test.run();
