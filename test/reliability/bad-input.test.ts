// Issue 7, item 8: bad input. Every event the format cannot hold losslessly throws WalError
// EINVAL synchronously at the call (append and appendNoWait, main thread and worker
// threads), before anything is queued; awkward but valid strings (lone surrogates,
// U+2028/2029, newlines, control characters) round trip exactly; the file stays one valid
// record per line and the good events appended around the bad ones all land.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { openWal, WalError } from '@threadwal/client';
import { readWal, closePool } from '@threadwal/maintenance';
import { tmpDir, fixture, report, size, readStrict, checkGapless, walErrorOfSync, within } from './helpers.js';
import { badEvents, awkwardEvents, expected } from './fixtures/bad-events.js';

const MAX_EVENT_BYTES = 4096;

test('bad events throw EINVAL at the call (append and appendNoWait), nothing is queued', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const wal = await openWal<string>(path, { maxEventBytes: MAX_EVENT_BYTES });
  const bad = badEvents(MAX_EVENT_BYTES);
  for (const [what, e] of bad) {
    assert.is(walErrorOfSync(() => wal.append(e as never)).code, 'EINVAL', `append(${what})`);
    assert.is(walErrorOfSync(() => wal.appendNoWait(e as never)).code, 'EINVAL', `appendNoWait(${what})`);
  }
  assert.is((await wal.stats()).pendingBytes, 0, 'nothing was queued');
  await wal.flush(); // no appendNoWait error is pending either
  assert.is(await wal.append({ type: 'job_started', job_id: 'first-good' }), 0, 'no seq was consumed by a bad event');
  await wal.close();
  assert.equal(readStrict(path).map((r) => r.job_id), ['first-good']);
  report('bad-input/rejected', { bad_kinds: bad.length, calls: bad.length * 2 });
});

test('the largest event under maxEventBytes is accepted', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const wal = await openWal<string>(path, { maxEventBytes: MAX_EVENT_BYTES });
  // Grow the output until the event is refused: every one before is accepted and round trips.
  let n = MAX_EVENT_BYTES - 200;
  let accepted = 0;
  for (;; n += 1) {
    try {
      wal.appendNoWait({ type: 'job_started', job_id: 'big', output: 'x'.repeat(n) });
      accepted += 1;
    } catch (err) {
      assert.ok(err instanceof WalError && err.code === 'EINVAL', `refused with ${String(err)}`);
      break;
    }
  }
  await wal.flush();
  await wal.close();
  const records = readStrict(path);
  assert.is(records.length, accepted, 'every event below the limit was accepted');
  assert.is((records.at(-1)!.output as string).length, n - 1);
  const text = readFileSync(path, 'utf8');
  const longest = Buffer.byteLength(text.slice(text.lastIndexOf('\n', text.length - 2) + 1));
  assert.ok(longest <= MAX_EVENT_BYTES, `an accepted line of ${longest} bytes exceeds maxEventBytes`);
  report('bad-input/max-event-bytes', { max_event_bytes: MAX_EVENT_BYTES, longest_accepted_line: longest });
});

test('lone surrogates, U+2028/2029, newlines and control characters are accepted and round trip', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const wal = await openWal<string>(path);
  const events = awkwardEvents();
  const seqs: number[] = [];
  for (const [, e] of events) seqs.push(await wal.append(e as never));
  for (const [, e] of events) wal.appendNoWait(e as never);
  await wal.flush();
  await wal.close();
  const records = readStrict(path); // one record per line: no raw newline escaped the encoder
  assert.is(records.length, events.length * 2);
  checkGapless(records.slice(0, events.length));
  events.forEach(([what, e], i) => {
    assert.equal(records[i], { ...expected(e, seqs[i]!), offset: records[i]!.offset }, `${what} (append)`);
    assert.equal(records[i + events.length], { ...expected(e, events.length + i), offset: records[i + events.length]!.offset }, `${what} (appendNoWait)`);
  });
  // readWal (another reader) sees the same.
  const read: unknown[] = [];
  for await (const r of readWal(path)) read.push(r);
  assert.equal(read, records.map(({ offset: _o, ...r }) => r));
  report('bad-input/round-trip', { kinds: events.length, events: records.length });
});

const ROUNDS = size(5, 50);

test(`bad events interleaved with good ones from the main thread and a worker thread: the good ones all land (${ROUNDS} rounds)`, async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const wal = await openWal<string>(path, { maxEventBytes: MAX_EVENT_BYTES });
  const port = wal.port();
  const worker = new Worker(fixture('bad-input-worker'), { workerData: { port, maxEventBytes: MAX_EVENT_BYTES, rounds: ROUNDS }, transferList: [port] });
  const fromWorker = once(worker, 'message') as Promise<[{ einval: number; other: string[]; seqs: number[]; flushed: string }]>;
  const acks: Array<Promise<number>> = [];
  let einval = 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (const [what, e] of badEvents(MAX_EVENT_BYTES)) {
      assert.is(walErrorOfSync(() => wal.append(e as never)).code, 'EINVAL', what);
      acks.push(wal.append({ type: 'job_started', job_id: `m-${r}-${acks.length}` }));
      assert.is(walErrorOfSync(() => wal.appendNoWait(e as never)).code, 'EINVAL', what);
      wal.appendNoWait({ type: 'job_started', job_id: `mn-${r}-${acks.length}` });
      einval += 2;
    }
    await new Promise((res) => setImmediate(res));
  }
  const seqs = await Promise.all(acks);
  await wal.flush();
  const [w] = await within(fromWorker, 'the worker thread');
  await once(worker, 'exit');
  await wal.close();
  assert.equal(w.other, [], 'in the worker: every bad event threw EINVAL');
  assert.is(w.flushed, 'ok');
  const perThread = badEvents(MAX_EVENT_BYTES).length * ROUNDS;
  assert.is(w.einval, perThread * 2);

  const records = readStrict(path);
  checkGapless(records);
  assert.is(records.length, perThread * 4, 'exactly the good events, each once');
  for (const [i, seq] of seqs.entries()) assert.is(records[seq]!.job_id.startsWith('m-'), true, `main ack ${i}`);
  for (const seq of w.seqs) assert.is(records[seq]!.job_id.startsWith('w-'), true);
  // Each producer's events keep their order.
  for (const prefix of ['m-', 'mn-', 'w-', 'wn-']) {
    const mine = records.filter((r) => r.job_id.startsWith(prefix)).map((r) => Number(r.job_id.split('-')[2]));
    assert.equal(mine, [...mine].sort((a, b) => a - b), `${prefix} events in order`);
    assert.is(mine.length, perThread);
  }
  report('bad-input/interleaved', { rounds: ROUNDS, bad_calls: einval + w.einval, good_events: records.length });
});

test.after(async () => {
  await closePool();
});

test.run();
