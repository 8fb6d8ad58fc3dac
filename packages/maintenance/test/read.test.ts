import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { openWal } from '@threadwal/client';
import { readWal, rotate, cleanup, closePool, RECORD_LINE, type WalReader } from '../src/index.js';
import { tempWal, lines, line, writeSegment, seqs, range, expectCode } from './helpers.js';
import { WalError } from '@threadwal/core';

const TS = 1_700_000_000;
const ts = (): number => TS;

/** Collects records of a following reader until `n` arrived (or a 20 s guard aborts it), then aborts it. */
async function collect(r: WalReader, ac: AbortController, n: number, onEach?: (count: number) => Promise<void> | void): Promise<number[]> {
  const guard = setTimeout(() => ac.abort(), 20_000);
  const got: number[] = [];
  try {
    for await (const rec of r) {
      got.push(rec.seq);
      await onEach?.(got.length);
      if (got.length >= n) ac.abort();
    }
  } finally {
    clearTimeout(guard);
  }
  return got;
}

test('reads .N … .1 then the active file, in seq order', async () => {
  const path = tempWal();
  writeSegment(`${path}.3`, lines(0, 5, ts));
  writeSegment(`${path}.2`, lines(5, 5, ts));
  writeSegment(`${path}.1`, lines(10, 5, ts));
  writeFileSync(path, lines(15, 5, ts));
  const recs = [];
  for await (const r of readWal(path)) recs.push(r);
  assert.equal(recs.map((r) => r.seq), range(0, 20));
  assert.is(recs[3]!.job_id, 'job-3');
  assert.is(recs[3]!.type, 'job_started');
});

test('absent WAL: the first next() rejects with ENOENT', async () => {
  await expectCode(seqs(tempWal()), 'ENOENT');
});

test('an empty active file yields nothing', async () => {
  const path = tempWal();
  writeFileSync(path, '');
  assert.equal(await seqs(path), []);
});

test('fromSeq skips whole segments by their last seq (a bad line in one is never read)', async () => {
  const path = tempWal();
  writeSegment(`${path}.2`, lines(0, 5, ts) + 'garbage\n' + lines(5, 5, ts));
  writeSegment(`${path}.1`, lines(10, 5, ts));
  writeFileSync(path, lines(15, 5, ts));
  const got: number[] = [];
  for await (const r of readWal(path, { fromSeq: 12 })) got.push(r.seq);
  assert.equal(got, range(12, 20));
  await expectCode(seqs(path), 'ECORRUPT');
});

test('a torn tail of the active file is not yielded and not an error', async () => {
  const path = tempWal();
  const torn = '{"seq":5,"ts":1700';
  writeFileSync(path, lines(0, 5, ts) + torn);
  const r = readWal(path);
  const got: number[] = [];
  for await (const rec of r) got.push(rec.seq);
  assert.equal(got, range(0, 5));
  assert.is(r.tornBytes, torn.length);
});

test('a zero-filled hole and the lines after it whose seqs skip are the torn tail: not yielded, not an error (issue 22)', async () => {
  const path = tempWal();
  const tail = Buffer.concat([Buffer.alloc(600), Buffer.from('ob_id":"j"}\n' + lines(7, 2, ts))]);
  writeFileSync(path, Buffer.concat([Buffer.from(lines(0, 5, ts)), tail]));
  const r = readWal(path);
  const got: number[] = [];
  for await (const rec of r) got.push(rec.seq);
  assert.equal(got, range(0, 5));
  assert.is(r.tornBytes, tail.length);
});

test('a whole last line without NUL that does not parse is corruption, not a torn tail: the writer wrote it (issue 22)', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 5, ts) + 'garbage\n' + 'half}\n');
  const err = (await expectCode(seqs(path), 'ECORRUPT')) as WalError;
  assert.is(err.file, path);
  assert.is(err.offset, lines(0, 5, ts).length);
  const path2 = tempWal();
  writeFileSync(path2, lines(0, 5, ts) + `{"seq":5,"ts":${TS},"type":"x","job_id":"j","output":{"a":1,}}\n`);
  assert.is(((await expectCode(seqs(path2), 'ECORRUPT')) as WalError).offset, lines(0, 5, ts).length);
});

test('corruption in the middle raises ECORRUPT with file and byte offset', async () => {
  const path = tempWal();
  writeSegment(`${path}.1`, lines(0, 3, ts) + '{"seq":3,"ts":1,"type":"x"\n' + lines(4, 3, ts));
  writeFileSync(path, lines(7, 3, ts));
  const got: number[] = [];
  const err = (await expectCode((async () => { for await (const r of readWal(path)) got.push(r.seq); })(), 'ECORRUPT')) as WalError;
  assert.is(err.file, `${path}.1`);
  assert.is(err.offset, lines(0, 3, ts).length);
  assert.equal(got, [0, 1, 2]);
});

test("onCorrupt: 'skip' skips and counts bad lines", async () => {
  const path = tempWal();
  writeSegment(`${path}.1`, lines(0, 3, ts) + 'bad one\nbad two\n' + lines(3, 3, ts) + '{"seq":6,"ts');
  writeFileSync(path, lines(7, 3, ts) + 'bad three\n' + line(10, TS));
  const r = readWal(path, { onCorrupt: 'skip' });
  const got: number[] = [];
  for await (const rec of r) got.push(rec.seq);
  assert.equal(got, [0, 1, 2, 3, 4, 5, 7, 8, 9, 10]);
  assert.is(r.skipped, 4); // two lines, the rotated segment's unterminated last line, one in the active file
  // Where: runs of consecutive bad lines, in reading order.
  const bad1 = lines(0, 3, ts).length;
  const unterminated = bad1 + 'bad one\nbad two\n'.length + lines(3, 3, ts).length;
  assert.equal(r.skips, [
    { file: `${path}.1`, offset: bad1, lines: 2 },
    { file: `${path}.1`, offset: unterminated, lines: 1 },
    { file: path, offset: lines(7, 3, ts).length, lines: 1 },
  ]);
});

test('a line with invalid UTF-8 is a bad line, as verify says, not a record decoded with U+FFFD', async () => {
  // Found by test/reliability/reader-fuzz: a damaged multi-byte character inside a string
  // parsed after the lossy decode, so readWal yielded altered data that verify reports as bad.
  const path = tempWal();
  const a = lines(0, 2, ts);
  const bad = Buffer.concat([Buffer.from(`{"seq":2,"ts":${TS},"type":"x","job_id":"\u00fc`), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
  writeFileSync(path, Buffer.concat([Buffer.from(a), bad, Buffer.from(lines(3, 2, ts))]));
  const got: number[] = [];
  const err = (await expectCode((async () => { for await (const r of readWal(path)) got.push(r.seq); })(), 'ECORRUPT')) as WalError;
  assert.is(err.offset, a.length);
  assert.equal(got, [0, 1]);
  const r = readWal(path, { onCorrupt: 'skip' });
  const all: number[] = [];
  for await (const rec of r) all.push(rec.seq);
  assert.equal(all, [0, 1, 3, 4]);
  assert.is(r.skipped, 1);

  // As the active file's last line it is still a bad line (a whole line: never torn), as verify counts it.
  const last = tempWal();
  writeFileSync(last, Buffer.concat([Buffer.from(a), bad]));
  const rl = readWal(last, { onCorrupt: 'skip' });
  const seen: number[] = [];
  for await (const rec of rl) seen.push(rec.seq);
  assert.equal(seen, [0, 1]);
  assert.is(rl.skipped, 1);
  assert.is(rl.tornBytes, 0);
});

test('a segment that cannot be read rejects with WalError EIO naming it, never a raw fs error', async () => {
  // Found while writing the reader fuzz test (issue 7 item 9): a directory named like a segment opens
  // read-only, then its read failed with Node's own EISDIR error.
  const path = tempWal();
  mkdirSync(`${path}.1`);
  writeFileSync(path, lines(0, 3, ts));
  for (const fromSeq of [0, 1]) {
    let err: unknown;
    try {
      for await (const _ of readWal(path, { fromSeq })) { /* drain */ }
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof WalError, `fromSeq ${fromSeq}: ${String(err)}`);
    assert.is((err as WalError).code, 'EIO');
    assert.is((err as WalError).path, `${path}.1`);
  }
});

test('an unterminated last line of a rotated segment is corruption', async () => {
  const path = tempWal();
  writeSegment(`${path}.1`, lines(0, 3, ts) + '{"seq":3');
  writeFileSync(path, line(4, TS));
  const err = (await expectCode(seqs(path), 'ECORRUPT')) as WalError;
  assert.is(err.offset, lines(0, 3, ts).length);
});

test('follow: keeps yielding appends across rotations until aborted, then ends without error', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  for (let i = 0; i < 5; i++) await wal.append({ type: 'job_started', job_id: `a${i}` });
  const ac = new AbortController();
  const got = await collect(readWal(path, { follow: true, signal: ac.signal, pollMs: 10 }), ac, 60, async (count) => {
    // Every fifth record seen: append five more and rotate.
    if (count % 5 !== 0) return;
    for (let i = 0; i < 5; i++) await wal.append({ type: 'job_started', job_id: `b${count}-${i}` });
    await rotate(path, 1, 50);
  });
  await wal.close();
  assert.equal(got, range(0, 60));
});

test('follow: events appended to the file being read survive a rotation that deletes it (maxRotations 0)', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  for (let i = 0; i < 5; i++) await wal.append({ type: 'job_started', job_id: `a${i}` });
  const ac = new AbortController();
  const got = await collect(readWal(path, { follow: true, signal: ac.signal, pollMs: 10 }), ac, 15, async (count) => {
    if (count === 5) {
      // The reader holds this file open: what lands in it before the unlink is still read.
      for (let i = 0; i < 5; i++) await wal.append({ type: 'job_started', job_id: `b${i}` });
      assert.is((await rotate(path, 1, 0)).nextSeq, 10);
    }
    if (count === 10) for (let i = 0; i < 5; i++) await wal.append({ type: 'job_started', job_id: `c${i}` });
  });
  await wal.close();
  assert.equal(got, range(0, 15));
});

test('follow: picks up where it was after cleanup replaced the active file', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 10, (s) => (s < 5 ? 1 : TS)));
  const ac = new AbortController();
  const got = await collect(readWal(path, { follow: true, signal: ac.signal, pollMs: 10 }), ac, 20, async (count) => {
    if (count === 10) {
      await cleanup(path, 3600, { now: TS });
      appendFileSync(path, lines(10, 10, ts));
    }
  });
  assert.equal(got, range(0, 20));
});

test('follow: waits for the file to appear, and for a half-written line to be completed', async () => {
  const path = tempWal();
  const ac = new AbortController();
  const reading = collect(readWal(path, { follow: true, signal: ac.signal, pollMs: 10 }), ac, 3);
  await new Promise((r) => setTimeout(r, 50));
  const full = lines(0, 3, ts);
  writeFileSync(path, full.slice(0, full.length - 20));
  await new Promise((r) => setTimeout(r, 50));
  appendFileSync(path, full.slice(full.length - 20));
  assert.equal(await reading, [0, 1, 2]);
});

test('follow: a torn tail (a zeroed block, then a line skipping seqs) is cut and rewritten by the next writer; the reader sees only the new lines', async () => {
  const path = tempWal();
  writeFileSync(path, Buffer.concat([Buffer.from(lines(0, 3, ts)), Buffer.alloc(600), Buffer.from('b_id":"j"}\n' + lines(5, 1, ts))]));
  const ac = new AbortController();
  const reading = collect(readWal(path, { follow: true, signal: ac.signal, pollMs: 10 }), ac, 5);
  await new Promise((r) => setTimeout(r, 50));
  const wal = await openWal(path); // recovery cuts the torn line, then appends at its offset
  await wal.append({ type: 'job_started', job_id: 'x' });
  await wal.append({ type: 'job_started', job_id: 'y' });
  await wal.close();
  assert.equal(await reading, range(0, 5));
});

test('follow with the writer’s automatic rotation', async () => {
  const path = tempWal();
  const wal = await openWal(path, { rotate: { maxSizeBytes: 500, maxRotations: 1000 } });
  const ac = new AbortController();
  const reading = collect(readWal(path, { follow: true, signal: ac.signal, pollMs: 5 }), ac, 200);
  for (let i = 0; i < 200; i++) await wal.append({ type: 'job_started', job_id: `r${i}` });
  await wal.close();
  assert.equal(await reading, range(0, 200));
});

test('abort ends a plain read early without error', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 100, ts));
  const ac = new AbortController();
  const got: number[] = [];
  for await (const r of readWal(path, { signal: ac.signal })) {
    got.push(r.seq);
    if (got.length === 10) ac.abort();
  }
  assert.ok(got.length >= 10 && got.length < 100);
});

test('lines longer than the read buffer are read whole', async () => {
  const path = tempWal();
  const big = 'x'.repeat(1024 * 1024);
  writeFileSync(path, line(0, TS) + `{"seq":1,"ts":${TS},"type":"t","job_id":"${big}"}\n` + line(2, TS));
  const recs = [];
  for await (const r of readWal(path)) recs.push(r);
  assert.equal(recs.map((r) => r.seq), [0, 1, 2]);
  assert.is(recs[1]!.job_id.length, big.length);
});

test('bad options throw EINVAL', async () => {
  const path = tempWal();
  await expectCode(() => readWal(path, { fromSeq: -1 }), 'EINVAL');
  await expectCode(() => readWal(path, { onCorrupt: 'ignore' as never }), 'EINVAL');
  await expectCode(() => readWal(path, { pollMs: 0 }), 'EINVAL');
  await expectCode(() => readWal(path, { signal: {} as never }), 'EINVAL');
  await expectCode(() => readWal(path, { keepLines: 'yes' as never }), 'EINVAL');
});

test('keepLines: each record carries its stored line; not with a checksum field; not without the option', async () => {
  const path = tempWal();
  const wal = await openWal<string>(path);
  for (let i = 0; i < 3; i++) await wal.append({ type: 'job_started', job_id: `job-${i}`, note: 'é "q"' } as never);
  await wal.close();
  const stored = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  const got: Array<string | undefined> = [];
  for await (const r of readWal(path, { keepLines: true })) got.push((r as { [RECORD_LINE]?: string })[RECORD_LINE]);
  assert.equal(got, stored);
  for await (const r of readWal(path)) assert.is((r as { [RECORD_LINE]?: string })[RECORD_LINE], undefined);
  const summed = tempWal();
  const w2 = await openWal<string>(summed, { checksum: 'crc32c' } as never);
  await w2.append({ type: 'job_started', job_id: 'job-x' } as never);
  await w2.close();
  let n = 0;
  for await (const r of readWal(summed, { keepLines: true })) { n++; assert.is((r as { [RECORD_LINE]?: string })[RECORD_LINE], undefined); assert.is(r.crc32c, undefined); }
  assert.is(n, 1);
});

test.after(async () => {
  await closePool();
});

test.run();
