// Issue 7, item 4: the disk says no. A failed fdatasync is fail-stop (EFSYNC for everything
// pending and later, nothing claims durability); a failed write (ENOSPC, EIO) rejects that
// batch only, leaves no partial line, and later batches succeed; short writes and EAGAIN
// are retried to completion. Faults are injected in the writer thread through the fs seam.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { openWal, WalError } from '@threadwal/client';
import {
  tmpDir, fixture, faultModule, runToEnd, report, size, ev, readStrict, checkGapless,
  walErrorOfSync, rejection, outcome, within,
} from './helpers.js';

function logLines(log: string): string[] {
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
}

/** Opens a WAL whose 4th fdatasync fails, appends 3 durable events, then a batch that fails. */
async function failedWal(log?: string) {
  const dir = tmpDir();
  const path = join(dir, 'wal.jsonl');
  const wal = await openWal(path, { faultInjection: faultModule('fault-fsync-eio', log ? { after: 3, log } : { after: 3 }) });
  const durable: number[] = [];
  for (let i = 0; i < 3; i++) durable.push(await wal.append(ev(`ok-${i}`)));
  assert.equal(durable, [0, 1, 2]);
  const pending = Array.from({ length: 50 }, (_, i) => wal.append(ev(`lost-${i}`)));
  const settled = await within(Promise.allSettled(pending), 'the failing batch to settle');
  return { path, wal, settled };
}

test('fdatasync EIO: pending and later appends reject EFSYNC, nothing claims durability, a new process recovers', async () => {
  const log = join(tmpDir(), 'fault.log');
  const { path, wal, settled } = await failedWal(log);
  assert.equal([...new Set(settled.map(outcome))], ['EFSYNC'], 'every pending append rejects with EFSYNC');
  assert.ok(logLines(log).includes('fdatasyncSync EIO'), 'the fault fired');

  // Later appends: rejected, never queued, never retried on the same fd.
  for (let i = 0; i < 3; i++) assert.is((await rejection(wal.append(ev(`later-${i}`)))).code, 'EFSYNC');
  const stats = await wal.stats();
  assert.ok(stats.failed);
  assert.is(stats.durableSeq, 2, 'nothing past the last good fdatasync is reported durable');
  assert.is(wal.lastSeq, 2);
  assert.is(logLines(log).filter((l) => l === 'fdatasyncSync EIO').length, 1, 'fdatasync is never retried after EIO');
  const closed = await wal.close().then(() => 'ok', (err: unknown) => (err instanceof WalError ? err.code : 'not-a-WalError'));
  assert.ok(closed === 'ok' || closed === 'EFSYNC', `close() settled with ${closed}`);

  // A new process (a new writer, no fault) recovers and continues the seq.
  const child = await runToEnd(fixture('append-n'), [path, '20', 'after']);
  const acks = child.lines.filter((l) => l.startsWith('a ')).map((l) => l.split(' '));
  assert.is(acks.length, 20);
  const records = readStrict(path);
  checkGapless(records);
  const ids = records.map((r) => r.job_id);
  for (let i = 0; i < 3; i++) assert.is(ids[i], `ok-${i}`, 'the durable events are intact');
  for (const [, seq, id] of acks) assert.is(records[Number(seq)]?.job_id, id);
  // What was written before the fdatasync failed may be there (never acked): whole lines, a
  // prefix of the pending appends in their order (the client may have posted them as more
  // than one batch, and the writer stops after the first failed fdatasync).
  const lost = ids.filter((id) => id.startsWith('lost-'));
  const lostKept = lost.length;
  assert.equal(lost, Array.from({ length: lostKept }, (_, i) => `lost-${i}`), 'unacked survivors are a prefix, in order');
  assert.equal(ids.slice(3, 3 + lostKept), lost, 'right after the durable events');
  assert.not.ok(ids.some((id) => id.startsWith('later-')), 'appends after the fail-stop never reach the file');
  report('fs-faults/fsync-eio', { durable_before: 3, rejected: 53, recovered_lines: records.length, failed_batch_on_disk: lostKept });
});

test('fdatasync EIO: once an append rejected EFSYNC, appendNoWait throws EFSYNC at the call', async () => {
  const { wal } = await failedWal();
  assert.is(walErrorOfSync(() => wal.appendNoWait(ev('later-nw'))).code, 'EFSYNC');
  await wal.close().catch(() => undefined);
});

test('fdatasync EIO: flush() after the fail-stop rejects EFSYNC (it must not claim durability)', async () => {
  const { wal } = await failedWal();
  await rejection(wal.append(ev('later-0'))); // the fail-stop is known to this client by now
  assert.is((await rejection(wal.flush())).code, 'EFSYNC');
  await wal.close().catch(() => undefined);
});

test('fdatasync EIO: flushSync() after the fail-stop throws EFSYNC (it must not claim durability)', async () => {
  const { wal } = await failedWal();
  await rejection(wal.append(ev('later-0')));
  assert.is(walErrorOfSync(() => wal.flushSync()).code, 'EFSYNC');
  await wal.close().catch(() => undefined);
});

test('fdatasync EIO: flushSync() of appendNoWait events in flight throws EFSYNC', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const wal = await openWal(path, { faultInjection: faultModule('fault-fsync-eio', { after: 1 }) });
  await wal.append(ev('ok-0'));
  for (let i = 0; i < 100; i++) wal.appendNoWait(ev(`nw-${i}`));
  assert.is(walErrorOfSync(() => wal.flushSync()).code, 'EFSYNC');
  assert.is((await rejection(wal.flush())).code, 'EFSYNC');
  await wal.close().catch(() => undefined);
});

for (const code of ['ENOSPC', 'EIO'] as const) {
  for (const fail of [1, 3]) {
    test(`write ${code} mid-batch (${fail} batch${fail > 1 ? 'es' : ''}): that batch rejects ${code}, no partial line, later appends succeed`, async () => {
      const dir = tmpDir();
      const path = join(dir, 'wal.jsonl');
      const log = join(dir, 'fault.log');
      const wal = await openWal(path, { faultInjection: faultModule('fault-write', { mode: 'fail', skip: 5, fail, code, log }) });
      for (let i = 0; i < 5; i++) assert.is(await wal.append(ev(`ok-${i}`)), i);

      for (let b = 0; b < fail; b++) {
        // One batch: 20 awaited appends and 10 fire-and-forget ones in the same tick.
        const ps = Array.from({ length: 20 }, (_, i) => wal.append(ev(`bad-${b}-${i}`)));
        for (let i = 0; i < 10; i++) wal.appendNoWait(ev(`bad-nw-${b}-${i}`));
        const settled = await within(Promise.allSettled(ps), 'the failing batch');
        assert.equal([...new Set(settled.map(outcome))], [code], `batch ${b}: every append of the batch rejects ${code}`);
        assert.is((await rejection(wal.flush())).code, code, 'flush() reports the lost appendNoWait events');
        const records = readStrict(path); // throws if a partial line was left behind
        assert.is(records.length, 5, 'the failed batch left nothing in the file');
      }
      const logged = logLines(log);
      assert.is(logged.filter((l) => l === 'partial').length, fail, 'each failing batch got a partial write first');
      assert.is(logged.filter((l) => l === code).length, fail);

      // Space returns: the seq continues where the last durable batch ended.
      assert.is(await wal.append(ev('after-0')), 5);
      const more = await Promise.all(Array.from({ length: 30 }, (_, i) => wal.append(ev(`after-${i + 1}`))));
      assert.equal(more, Array.from({ length: 30 }, (_, i) => 6 + i));
      await wal.close();
      const records = readStrict(path);
      checkGapless(records);
      assert.is(records.length, 36);
      assert.not.ok(records.some((r) => r.job_id.startsWith('bad-')));
      report(`fs-faults/write-${code}`, { failed_batches: fail, events_rejected: fail * 30, events_on_disk: records.length });
    });
  }
}

test('write ENOSPC: flushSync() after a rejected batch throws instead of claiming durability', async () => {
  const dir = tmpDir();
  const path = join(dir, 'wal.jsonl');
  const wal = await openWal(path, { faultInjection: faultModule('fault-write', { mode: 'fail', skip: 1, fail: 1, code: 'ENOSPC' }) });
  await wal.append(ev('ok-0'));
  for (let i = 0; i < 10; i++) wal.appendNoWait(ev(`nw-${i}`));
  const err = walErrorOfSync(() => wal.flushSync());
  assert.ok(err.code === 'ENOSPC' || err.code === 'EIO', `flushSync threw ${err.code}`);
  await wal.close().catch(() => undefined);
  assert.is(readStrict(path).length, 1);
});

for (const mode of ['short', 'eagain'] as const) {
  test(`${mode === 'short' ? 'short writes' : 'EAGAIN and short writes'} are retried to completion`, async () => {
    const dir = tmpDir();
    const path = join(dir, 'wal.jsonl');
    const log = join(dir, 'fault.log');
    const n = size(2000, 20000);
    const wal = await openWal(path, { faultInjection: faultModule('fault-write', { mode, log }) });
    const seqs: number[] = [];
    for (let i = 0; i < n; i += 100) {
      const window = Array.from({ length: 100 }, (_, k) => wal.append(ev(`e-${i + k}`, { output: 'ü€😀'.repeat(k % 7) })));
      seqs.push(...(await Promise.all(window)));
    }
    await wal.close();
    assert.equal(seqs, Array.from({ length: n }, (_, i) => i));
    const records = readStrict(path);
    checkGapless(records);
    assert.is(records.length, n);
    records.forEach((r, i) => assert.is(r.job_id, `e-${i}`));
    const logged = logLines(log);
    assert.ok(logged.filter((l) => l === 'short').length > 0, 'short writes happened');
    if (mode === 'eagain') assert.ok(logged.filter((l) => l === 'eagain').length > 0, 'EAGAIN happened');
    report(`fs-faults/${mode}`, { events: n, short_writes: logged.filter((l) => l === 'short').length, eagain: logged.filter((l) => l === 'eagain').length });
  });
}

test.run();
