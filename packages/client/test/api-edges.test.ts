// Issue 10, items 6, 7, 8: strict options, one error channel for bad arguments (a throw at
// the call), AbortSignal on waits, onError for appendNoWait batches, Symbol.asyncDispose,
// connectWal on a port that is not from wal.port().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MessageChannel } from 'node:worker_threads';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { openWal, connectWal, WalWriter, WalError } from '../src/index.js';
import { resolveWriterOptions } from '@threadwal/core';
import { tempWal, readLines, fixture, expectCode } from './helpers.js';

const ev = (job_id: string): { type: 'job_started'; job_id: string } => ({ type: 'job_started', job_id });

/** A temp WAL path and a cleanup for its directory. */
function scratch(): { path: string; done(): void } {
  const path = tempWal();
  return { path, done: () => rmSync(dirname(path), { recursive: true, force: true }) };
}

function thrown(fn: () => unknown): WalError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WalError) return err;
    throw err;
  }
  throw new Error('nothing was thrown');
}

/** Fails (instead of hanging the run) if `p` does not settle within 20 s. */
function settles<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, no) => setTimeout(() => no(new Error(`hung: ${what}`)), 20_000).unref())]);
}

// ---- item 7: unknown option keys -----------------------------------------------------------

test('an unknown option key is EINVAL naming it and the closest valid key, for every options object', async () => {
  const s = scratch();
  try {
    const cases: Array<[() => unknown, string, string]> = [
      [() => openWal(s.path, { durabilty: 'fsync' } as never), 'durabilty', 'durability'],
      [() => openWal(s.path, { maxPendingByte: 1 } as never), 'maxPendingByte', 'maxPendingBytes'],
      [() => openWal(s.path, { rotate: { maxSizeBytes: 1, maxRotation: 2 } } as never), 'maxRotation', 'maxRotations'],
      [() => WalWriter.create(s.path, { lockStaleMS: 5000 } as never), 'lockStaleMS', 'lockStaleMs'],
      [() => resolveWriterOptions({ maxBatchByte: 1 } as never), 'maxBatchByte', 'maxBatchBytes'],
      [() => connectWal(new MessageChannel().port1, { flushSyncTimeout: 5 } as never), 'flushSyncTimeout', 'flushSyncTimeoutMs'],
    ];
    for (const [fn, key, closest] of cases) {
      const err = thrown(fn);
      assert.is(err.code, 'EINVAL', key);
      assert.ok(err.message.includes(key) && err.message.includes(`did you mean options.${closest}`) || err.message.includes(`did you mean options.rotate.${closest}`), err.message);
    }
  } finally {
    s.done();
  }
});

// ---- item 7: one error channel -------------------------------------------------------------

test('bad arguments throw EINVAL at the call from every method, nothing queued; later failures reject', async () => {
  const s = scratch();
  try {
    const wal = await openWal(s.path);
    const bad = { type: 'job_started' } as never; // no job_id
    const calls: Array<[string, () => unknown]> = [
      ['append', () => wal.append(bad)],
      ['appendNoWait', () => wal.appendNoWait(bad)],
      ['append signal', () => wal.append(ev('x'), { signal: 'soon' } as never)],
      ['append options key', () => wal.append(ev('x'), { signl: undefined } as never)],
      ['flush', () => wal.flush({ sigal: new AbortController().signal } as never)],
      ['drain', () => wal.drain(5 as never)],
      ['flushSync', () => wal.flushSync(-1)],
      ['rotate maxRotations', () => wal.rotate({ maxRotations: -1 })],
      ['rotate key', () => wal.rotate({ maxRotation: 1 } as never)],
    ];
    for (const [name, fn] of calls) assert.is(thrown(fn).code, 'EINVAL', name);
    await wal.flush();
    assert.is(readLines(s.path).length, 0, 'nothing queued by a bad call');
    await wal.close();
    await expectCode(wal.append(ev('late')), 'ECLOSED'); // a state error is a rejection
  } finally {
    s.done();
  }
});

test('promises.push(wal.append(x)) cannot lose an error: the bad event throws out of the loop, the good ones land', async () => {
  const s = scratch();
  try {
    const wal = await openWal(s.path);
    const events = [ev('a'), ev('b'), { type: 'job_started', job_id: 7 } as never, ev('d')];
    const promises: Array<Promise<number>> = [];
    let error: unknown;
    try {
      for (const e of events) promises.push(wal.append(e));
    } catch (err) {
      error = err;
    }
    assert.is((error as WalError).code, 'EINVAL');
    assert.is(promises.length, 2);
    assert.equal(await Promise.all(promises), [0, 1]);
    await wal.close();
  } finally {
    s.done();
  }
});

// ---- item 8: AbortSignal, onError, asyncDispose --------------------------------------------

test('an aborted flush/append/drain wait rejects EABORTED with the reason as cause; the events still land', async () => {
  const s = scratch();
  try {
    const wal = await openWal(s.path, { maxPendingBytes: 1024 });
    const c1 = new AbortController();
    const appended = wal.append(ev('a'), { signal: c1.signal });
    const flushed = wal.flush({ signal: c1.signal });
    const reason = new Error('user gave up');
    c1.abort(reason); // before the writer could answer: the waits end, the event does not
    for (const p of [appended, flushed]) {
      try {
        await p;
        assert.unreachable('should have been aborted');
      } catch (err) {
        assert.is((err as WalError).code, 'EABORTED');
        assert.is((err as WalError).cause, reason);
      }
    }
    wal.appendNoWait({ ...ev('big'), output: 'x'.repeat(900) }); // pending > half of 1024
    const c2 = new AbortController();
    const drained = wal.drain({ signal: c2.signal });
    c2.abort();
    await expectCode(drained, 'EABORTED');
    const pre = AbortSignal.abort();
    await expectCode(wal.append(ev('pre'), { signal: pre }), 'EABORTED'); // appended anyway
    await wal.flush();
    assert.equal(readLines(s.path).map((l) => l.job_id), ['a', 'big', 'pre']);
    await wal.close();
  } finally {
    s.done();
  }
});

test('onError gets an appendNoWait batch error no flush() was waiting for (code and event count)', async () => {
  const s = scratch();
  try {
    const seen: Array<[string, number]> = [];
    let told!: () => void;
    const called = new Promise<void>((r) => { told = r; });
    const wal = await openWal(s.path, {
      faultInjection: fixture('../../../core/test/fixtures/write-enospc-once.mjs'),
      onError: (err, events) => { seen.push([err.code, events]); told(); },
    });
    wal.appendNoWait(ev('FAULT_ENOSPC'));
    wal.appendNoWait(ev('same-batch'));
    await settles(called, 'onError');
    assert.equal(seen, [['ENOSPC', 2]]);
    await wal.flush(); // onError had it: flush does not report it again
    wal.appendNoWait(ev('ok'));
    await wal.flush();
    assert.equal(readLines(s.path).map((l) => l.job_id), ['ok']);
    await wal.close();
    await expectCode(() => openWal(s.path, { onError: 'log' as never }), 'EINVAL');
  } finally {
    s.done();
  }
});

test('await using closes a Wal and a WalWriter at the end of the scope', async () => {
  const s = scratch();
  try {
    let outside: Awaited<ReturnType<typeof openWal>>;
    {
      await using wal = await openWal(s.path);
      outside = wal;
      await wal.append(ev('a'));
    }
    await expectCode(outside.append(ev('b')), 'ECLOSED');
    {
      await using w = await WalWriter.create(s.path);
      assert.is(await w.append(ev('c')), 1);
    }
    assert.equal(readLines(s.path).map((l) => l.job_id), ['a', 'c']);
  } finally {
    s.done();
  }
});

// ---- item 6: connectWal on a foreign port ----------------------------------------------------

test('connectWal on a port that is not from wal.port() rejects EINVAL within connectTimeoutMs, or at once if it closes', async () => {
  const silent = new MessageChannel();
  await expectCode(settles(connectWal(silent.port1, { connectTimeoutMs: 200 }), 'silent port'), 'EINVAL');
  const chatty = new MessageChannel();
  chatty.port2.on('message', () => chatty.port2.postMessage({ hello: 'not comlink' }));
  await expectCode(settles(connectWal(chatty.port1, { connectTimeoutMs: 200 }), 'chatty port'), 'EINVAL');
  chatty.port2.close();
  const closed = new MessageChannel();
  closed.port2.close();
  await expectCode(settles(connectWal(closed.port1), 'closed port'), 'EINVAL');
});

test.run();
