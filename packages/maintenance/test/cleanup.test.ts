import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, basename } from 'node:path';
import { openWal } from '@threadwal/client';
import { cleanup, verify, readWal, closePool, type Progress } from '../src/index.js';
import { tempWal, lines, line, writeSegment, seqs, range, expectCode, nowSecs } from './helpers.js';

const NOW = 1_700_000_000;
const OLD = NOW - 10_000;
const meta = (path: string): number => (JSON.parse(readFileSync(`${path}.meta`, 'utf8')) as { next_seq: number }).next_seq;

test('removes old events from the active file and returns how many', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 10, (s) => (s < 6 ? OLD : NOW)));
  const r = await cleanup(path, 3600, { now: NOW });
  assert.is(r.removed, 6);
  assert.is(r.cutoff, NOW - 3600);
  assert.is(r.rewrittenSegments, 1);
  assert.is(readFileSync(path, 'utf8'), lines(6, 4, () => NOW));
  assert.is(meta(path), 10);
});

test('nothing old: no rewrite (the active file keeps its inode)', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 10, () => NOW));
  const ino = statSync(path).ino;
  const r = await cleanup(path, 3600, { now: NOW });
  assert.is(r.removed, 0);
  assert.is(r.rewrittenSegments, 0);
  assert.is(statSync(path).ino, ino);
});

test('event age is judged with maxAgeSecs against now: ts exactly maxAgeSecs old stays', async () => {
  const path = tempWal();
  writeFileSync(path, line(0, NOW - 101) + line(1, NOW - 100) + line(2, NOW));
  assert.is((await cleanup(path, 100, { now: NOW })).removed, 1);
  assert.equal(await seqs(path), [1, 2]);
});

test('removal stops at the first event to keep: an old event after a newer one stays (seq stays gapless)', async () => {
  const path = tempWal();
  const ts = [OLD, OLD, NOW, OLD, NOW];
  writeFileSync(path, lines(0, 5, (s) => ts[s]!));
  const r = await cleanup(path, 3600, { now: NOW });
  assert.is(r.removed, 2);
  assert.equal(await seqs(path), [2, 3, 4]);
  assert.ok((await verify(path)).ok);
});

test('whole old rotated segments are deleted from their tail alone (a bad line inside is never read)', async () => {
  const path = tempWal();
  // .3 holds a line that does not parse: had cleanup read it, it would be kept and reported.
  writeSegment(`${path}.3`, lines(0, 3, () => OLD) + 'garbage\n' + lines(3, 3, () => OLD), OLD);
  writeSegment(`${path}.2`, lines(6, 4, () => OLD), OLD);
  writeSegment(`${path}.1`, lines(10, 4, (s) => (s < 12 ? OLD : NOW)), NOW);
  writeFileSync(path, lines(14, 2, () => NOW));
  const r = await cleanup(path, 3600, { now: NOW });
  assert.is(r.deletedSegments, 2);
  assert.is(r.rewrittenSegments, 1);
  assert.is(r.badLineCount, 0);
  assert.is(r.removed, 6 + 4 + 2);
  assert.not.ok(existsSync(`${path}.3`));
  assert.not.ok(existsSync(`${path}.2`));
  assert.equal(await seqs(path), range(12, 16));
});

test('a rotated segment written recently is read line by line even if its last event is old (mtime bounds ts)', async () => {
  const path = tempWal();
  // A newer event before an older last one: producers racing across a second boundary.
  writeSegment(`${path}.1`, line(0, OLD) + line(1, NOW) + line(2, OLD), NOW);
  writeFileSync(path, line(3, NOW));
  const r = await cleanup(path, 3600, { now: NOW });
  assert.is(r.removed, 1);
  assert.equal(await seqs(path), [1, 2, 3]);
});

test('a partially old rotated segment is rewritten and keeps its mtime', async () => {
  const path = tempWal();
  writeSegment(`${path}.1`, lines(0, 6, (s) => (s < 4 ? OLD : NOW - 10)), NOW - 5);
  writeFileSync(path, lines(6, 2, () => NOW));
  const ino = statSync(`${path}.1`).ino;
  const r = await cleanup(path, 3600, { now: NOW });
  assert.is(r.removed, 4);
  assert.is(r.rewrittenSegments, 1);
  assert.is(readFileSync(`${path}.1`, 'utf8'), lines(4, 2, () => NOW - 10));
  assert.is.not(statSync(`${path}.1`).ino, ino);
  assert.is(Math.floor(statSync(`${path}.1`).mtimeMs / 1000), NOW - 5);
  assert.is(readFileSync(path, 'utf8'), lines(6, 2, () => NOW)); // the active file is untouched
});

test('everything old: all segments go, the active file is emptied, the next append continues the seq', async () => {
  const path = tempWal();
  writeSegment(`${path}.1`, lines(0, 5, () => OLD), OLD);
  writeFileSync(path, lines(5, 5, () => OLD));
  const r = await cleanup(path, 3600, { now: NOW });
  assert.is(r.removed, 10);
  assert.not.ok(existsSync(`${path}.1`));
  assert.is(statSync(path).size, 0);
  assert.is(meta(path), 10);
  const wal = await openWal(path);
  assert.is(await wal.append({ type: 'job_started', job_id: 'next' }), 10);
  await wal.close();
});

test('a line that does not parse is kept and reported, never dropped', async () => {
  const path = tempWal();
  const bad = '{"seq":2,"ts":oops}\n';
  writeFileSync(path, lines(0, 2, () => OLD) + bad + lines(3, 2, () => OLD) + lines(5, 2, () => NOW));
  const r = await cleanup(path, 3600, { now: NOW });
  assert.is(r.removed, 4);
  assert.is(r.badLineCount, 1);
  assert.equal(r.badLines, [{ file: path, offset: lines(0, 2, () => OLD).length }]);
  assert.is(readFileSync(path, 'utf8'), bad + lines(5, 2, () => NOW));
});

test('an old line that only looks right (a damaged key or value, invalid UTF-8) is kept and reported, never dropped', async () => {
  for (const bad of [
    Buffer.from(`{"seq":2,"ts":${OLD},"type":"job_started","kob_id":"j"}\n`),
    Buffer.from(`{"seq":2,"ts":${OLD},"type":"job_started","job_id":#j"}\n`),
    Buffer.concat([Buffer.from(`{"seq":2,"ts":${OLD},"type":"job_started","job_id":"j`), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]),
  ]) {
    const path = tempWal();
    const head = lines(0, 2, () => OLD);
    writeFileSync(path, Buffer.concat([Buffer.from(head), bad, Buffer.from(lines(3, 2, () => OLD) + lines(5, 2, () => NOW))]));
    const r = await cleanup(path, 3600, { now: NOW });
    assert.is(r.removed, 4, bad.toString('latin1'));
    assert.equal(r.badLines, [{ file: path, offset: head.length }]);
    assert.ok(readFileSync(path).equals(Buffer.concat([bad, Buffer.from(lines(5, 2, () => NOW))])), bad.toString('latin1'));
  }
});

test('an unterminated last line of a rotated segment is kept and reported', async () => {
  const path = tempWal();
  const frag = '{"seq":3,"ts":1';
  writeSegment(`${path}.1`, lines(0, 3, () => OLD) + frag, NOW);
  writeFileSync(path, line(4, NOW));
  const r = await cleanup(path, 3600, { now: NOW });
  assert.is(r.removed, 3);
  assert.is(r.badLineCount, 1);
  assert.is(readFileSync(`${path}.1`, 'utf8'), `${frag}\n`);
});

test('the active file’s torn tail is cut, not copied', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 3, () => OLD) + lines(3, 2, () => NOW) + '{"seq":5,"ts"');
  const r = await cleanup(path, 3600, { now: NOW });
  assert.is(r.removed, 3);
  assert.is(readFileSync(path, 'utf8'), lines(3, 2, () => NOW));
});

test('temp files of a crashed cleanup are ignored by readers and removed by the next cleanup', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 3, () => NOW));
  // pid 2^22+1 is above Linux's pid_max default: no such process.
  const leftover = `${path}.cleanup-4194305-0123456789ab.tmp`;
  writeFileSync(leftover, lines(0, 3, () => NOW));
  assert.equal(await seqs(path), [0, 1, 2]);
  const report = await verify(path);
  assert.ok(report.ok);
  assert.equal(report.tempFiles, [leftover]);
  const r = await cleanup(path, 3600, { now: NOW });
  assert.is(r.sweptTemps, 1);
  assert.not.ok(existsSync(leftover));
});

test('temp files of a live cleanup (this pid, fresh) are left alone', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 3, () => NOW));
  const live = `${path}.cleanup-${process.pid}-0123456789ab.tmp`;
  writeFileSync(live, '');
  assert.is((await cleanup(path, 3600, { now: NOW })).sweptTemps, 0);
  assert.ok(existsSync(live));
});

test('cleanup leaves no temp file behind', async () => {
  const path = tempWal();
  writeSegment(`${path}.1`, lines(0, 4, (s) => (s < 2 ? OLD : NOW)), NOW);
  writeFileSync(path, lines(4, 4, () => NOW));
  await cleanup(path, 3600, { now: NOW });
  assert.equal(readdirSync(dirname(path)).filter((n) => n.includes('.cleanup-')), []);
  assert.ok(readdirSync(dirname(path)).every((n) => n.startsWith(basename(path))));
});

test('no event appended during cleanup is lost', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  // 20,000 old events first, so each cleanup has real work while appends continue.
  for (let k = 0; k < 20; k++) await Promise.all(Array.from({ length: 1000 }, (_, i) => wal.append({ type: 'job_started', job_id: `old-${k}-${i}`, ts: OLD })));
  let stop = false;
  const appender = (async () => {
    const acked: number[] = [];
    while (!stop) acked.push(...(await Promise.all(Array.from({ length: 50 }, (_, i) => wal.append({ type: 'job_started', job_id: `new-${i}` })))));
    return acked;
  })();
  let removed = 0;
  for (let i = 0; i < 5; i++) removed += (await cleanup(path, 3600)).removed;
  stop = true;
  const acked = await appender;
  await wal.close();
  assert.is(removed, 20_000);
  assert.ok(acked.length > 0);
  assert.equal(await seqs(path), acked);
  assert.equal(acked, range(20_000, 20_000 + acked.length));
  assert.ok((await verify(path)).ok);
});

test('progress is reported, and abort stops cleanup with nothing changed', async () => {
  const path = tempWal();
  // ~64 MiB of old events followed by new ones: long enough to abort midway.
  const chunk = lines(0, 1, () => OLD).length;
  const n = Math.ceil((64 * 1024 * 1024) / chunk);
  const parts: string[] = [];
  for (let i = 0; i < n; i += 10_000) parts.push(lines(i, Math.min(10_000, n - i), () => OLD));
  writeFileSync(path, parts.join('') + line(n, NOW));
  const size = statSync(path).size;
  const ac = new AbortController();
  const seen: Progress[] = [];
  const reason = new Error('stop');
  const err = await cleanup(path, 3600, {
    now: NOW,
    signal: ac.signal,
    onProgress: (p) => {
      seen.push(p);
      ac.abort(reason);
    },
  }).then(() => null, (e: unknown) => e);
  assert.is(err, reason);
  assert.ok(seen.length > 0);
  assert.ok(seen[0]!.bytesTotal === size && seen[0]!.bytesDone <= size);
  assert.is(statSync(path).size, size);
  assert.equal(readdirSync(dirname(path)).filter((n) => n.includes('.cleanup-')), []);
  // Not aborted, it runs to the end.
  const progress: Progress[] = [];
  const r = await cleanup(path, 3600, { now: NOW, onProgress: (p) => progress.push(p) });
  assert.is(r.removed, n);
  assert.ok(progress.length > 0 && progress.every((p) => p.bytesDone <= p.bytesTotal));
});

test('an already aborted signal rejects at once', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 3, () => OLD));
  const ac = new AbortController();
  ac.abort(new Error('early'));
  const err = await cleanup(path, 1, { signal: ac.signal }).then(() => null, (e: unknown) => e);
  assert.is((err as Error).message, 'early');
});

test('bad arguments reject with EINVAL', async () => {
  const path = tempWal();
  await expectCode(cleanup(path, -1), 'EINVAL');
  await expectCode(cleanup(path, 1, { now: 1.5 }), 'EINVAL');
  await expectCode(cleanup(path, 1, { onProgress: 3 as never }), 'EINVAL');
  await expectCode(cleanup(path, 1, { lockTimeoutMs: 0 }), 'EINVAL');
});

test('absent WAL: ENOENT, nothing created', async () => {
  const path = tempWal();
  await expectCode(cleanup(path, 1, { now: nowSecs() }), 'ENOENT');
  assert.not.ok(existsSync(path));
  assert.not.ok(existsSync(`${path}.meta`));
});

test('readers see a consistent log during cleanup', async () => {
  const path = tempWal();
  writeSegment(`${path}.1`, lines(0, 50_000, () => OLD), OLD);
  writeFileSync(path, lines(50_000, 1000, () => NOW));
  const reading = (async () => {
    const got: number[] = [];
    for await (const r of readWal(path)) got.push(r.seq);
    return got;
  })();
  await cleanup(path, 3600, { now: NOW });
  const got = await reading;
  // Either before or after the cleanup, never a mix with holes.
  assert.ok(got.length === 51_000 || got.length === 1000);
  assert.equal(got, range(51_000 - got.length, 51_000));
});

test.after(async () => {
  await closePool();
});

test.run();
