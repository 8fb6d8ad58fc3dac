// appendRaw / appendRawNoWait (pre-serialized output) and openWalNow (the synchronous open
// pinoDestination stands on).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openWal } from '../src/index.js';
import { openWalNow } from '../src/wal/wal.js';
import { tempWal, readLines, expectCode } from './helpers.js';

function cleanup(path: string): void {
  rmSync(dirname(path), { recursive: true, force: true });
}

test('appendRaw resolves with its seq once durable, in one seq order with append, output kept byte for byte', async () => {
  const path = tempWal();
  const wal = await openWal<string>(path);
  const a = wal.append({ type: 'job_started', job_id: 'j', output: { x: 1 } });
  const b = wal.appendRaw({ type: 'info', job_id: 'j' }, '{ "2":1,"1":"é" }');
  wal.appendRawNoWait({ type: 'info', job_id: 'k', error: 'boom' }, '[1]');
  assert.equal(await Promise.all([a, b]), [0, 1]);
  await wal.flush();
  assert.is(wal.lastSeq, 2);
  await wal.close();
  const text = readFileSync(path, 'utf8').split('\n');
  assert.match(text[1]!, /^\{"seq":1,"ts":\d+,"type":"info","job_id":"j","output":\{ "2":1,"1":"é" \}\}$/);
  assert.equal(readLines(path)[2]!.output, [1]);
  assert.is(readLines(path)[2]!.error, 'boom');
  cleanup(path);
});

test('appendRaw with a bad output or head throws EINVAL at the call and queues nothing', async () => {
  const path = tempWal();
  const wal = await openWal<string>(path, { maxEventBytes: 4096 });
  await expectCode(() => wal.appendRaw({ type: 'info', job_id: 'j' }, '{"a":1'), 'EINVAL');
  await expectCode(() => wal.appendRawNoWait({ type: 'info', job_id: 'j' }, '{"a":\n1}'), 'EINVAL');
  await expectCode(() => wal.appendRawNoWait({ type: 'info', job_id: '' }, '1'), 'EINVAL');
  await expectCode(() => wal.appendRawNoWait({ type: 'info', job_id: 'j' }, `"${'x'.repeat(5000)}"`), 'EINVAL');
  // Issue 22: these start and end like one JSON value and were acknowledged, leaving a line no reader could read.
  await expectCode(() => wal.appendRaw({ type: 'info', job_id: 'j' }, '{"a":1,}'), 'EINVAL');
  await expectCode(() => wal.appendRawNoWait({ type: 'info', job_id: 'j' }, '{"a":1}{"b":2}'), 'EINVAL');
  assert.is(await wal.appendRaw({ type: 'info', job_id: 'j' }, '1'), 0);
  await wal.close();
  assert.is(readLines(path).length, 1);
  cleanup(path);
});

test('appendRaw after close is ECLOSED; appendRawNoWait past maxPendingBytes is EBACKPRESSURE with nothing queued', async () => {
  const path = tempWal();
  const wal = await openWal<string>(path, { maxPendingBytes: 1024 });
  const big = `"${'x'.repeat(900)}"`;
  wal.appendRawNoWait({ type: 'info', job_id: 'j' }, big);
  await expectCode(() => wal.appendRawNoWait({ type: 'info', job_id: 'j' }, big), 'EBACKPRESSURE');
  await wal.flush();
  await wal.close();
  await expectCode(wal.appendRaw({ type: 'info', job_id: 'j' }, '1'), 'ECLOSED');
  await expectCode(() => wal.appendRawNoWait({ type: 'info', job_id: 'j' }, '1'), 'ECLOSED');
  assert.is(readLines(path).length, 1);
  cleanup(path);
});

test('openWalNow: appends made before the writer thread is up are kept, in order; ready resolves', async () => {
  const path = tempWal();
  const { wal, ready } = openWalNow<string>(path);
  const seqs = [wal.appendRaw({ type: 'info', job_id: 'j' }, '0'), wal.appendRaw({ type: 'info', job_id: 'j' }, '1')];
  wal.flushSync(); // blocks while the thread starts, opens and writes
  assert.is(readLines(path).length, 2);
  await ready;
  assert.equal(await Promise.all(seqs), [0, 1]);
  await wal.close();
  cleanup(path);
});

test('openWalNow on a path that cannot be opened: ready rejects and the early appends reject', async () => {
  const dir = dirname(tempWal());
  const path = join(dir, 'is-a-dir');
  mkdirSync(path);
  writeFileSync(join(path, 'x'), '');
  const { wal, ready } = openWalNow<string>(path);
  const p = wal.appendRaw({ type: 'info', job_id: 'j' }, '1');
  p.catch(() => undefined);
  let code: string | undefined;
  await ready.catch((err: { code?: string }) => { code = err.code; });
  assert.ok(code !== undefined, 'ready rejected');
  let appendCode: string | undefined;
  await p.catch((err: { code?: string }) => { appendCode = err.code; });
  assert.ok(appendCode !== undefined, 'the early append rejected');
  await wal.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

test('openWalNow with a bad path throws EINVAL at the call', () => {
  assert.throws(() => openWalNow(''), (err: { code?: string }) => err.code === 'EINVAL');
});

test.run();
