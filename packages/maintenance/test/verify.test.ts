import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { verify, closePool, type Progress } from '../src/index.js';
import { tempWal, lines, line, writeSegment, expectCode } from './helpers.js';

const TS = 1_700_000_000;
const ts = (): number => TS;

test('a clean WAL over four segments', async () => {
  const path = tempWal();
  writeSegment(`${path}.3`, lines(0, 5, ts));
  writeSegment(`${path}.2`, lines(5, 5, ts));
  writeSegment(`${path}.1`, lines(10, 5, ts));
  writeFileSync(path, lines(15, 5, ts));
  writeFileSync(`${path}.meta`, '{"next_seq":15}\n');
  const r = await verify(path);
  assert.ok(r.ok);
  assert.is(r.events, 20);
  assert.is(r.firstSeq, 0);
  assert.is(r.lastSeq, 19);
  assert.is(r.metaNextSeq, 15);
  assert.is(r.tornTailBytes, 0);
  assert.equal(r.segments.map((s) => [s.path, s.events, s.firstSeq, s.lastSeq, s.size]), [
    [`${path}.3`, 5, 0, 4, lines(0, 5, ts).length],
    [`${path}.2`, 5, 5, 9, lines(5, 5, ts).length],
    [`${path}.1`, 5, 10, 14, lines(10, 5, ts).length],
    [path, 5, 15, 19, lines(15, 5, ts).length],
  ]);
  assert.is(r.bytes, lines(0, 20, ts).length);
});

test('an empty WAL is ok; an absent one is ENOENT', async () => {
  const path = tempWal();
  await expectCode(verify(path), 'ENOENT');
  writeFileSync(path, '');
  const r = await verify(path);
  assert.ok(r.ok);
  assert.is(r.events, 0);
  assert.is(r.firstSeq, -1);
});

test('a log starting above 0 (cleanup or retention removed the head) has no gap', async () => {
  const path = tempWal();
  writeFileSync(path, lines(100, 5, ts));
  const r = await verify(path);
  assert.ok(r.ok);
  assert.is(r.firstSeq, 100);
});

test('gaps, duplicates and out-of-order seqs, with where they are', async () => {
  const path = tempWal();
  const a = lines(0, 3, ts); // 0 1 2
  const b = line(5, TS); // gap 3..4
  const c = line(5, TS); // duplicate
  const d = line(4, TS); // out of order
  writeSegment(`${path}.1`, a + b);
  writeFileSync(path, c + d + line(6, TS));
  const r = await verify(path);
  assert.not.ok(r.ok);
  assert.equal(r.gaps, [{ from: 3, to: 4, file: `${path}.1`, offset: a.length }]);
  assert.equal(r.duplicates, [{ seq: 5, file: path, offset: 0 }]);
  assert.equal(r.outOfOrder, [{ seq: 4, prev: 5, file: path, offset: c.length }]);
  assert.equal(r.counts, { gaps: 1, duplicates: 1, outOfOrder: 1, badLines: 0 });
  assert.is(r.lastSeq, 6);
});

test('bad lines with file and offset; a torn tail is counted, not a failure', async () => {
  const path = tempWal();
  const a = lines(0, 2, ts);
  writeSegment(`${path}.1`, a + 'not json\n' + lines(2, 2, ts));
  const torn = '{"seq":6,"ts":';
  writeFileSync(path, lines(4, 2, ts) + torn);
  const r = await verify(path);
  assert.not.ok(r.ok);
  assert.equal(r.badLines, [{ file: `${path}.1`, offset: a.length }]);
  assert.is(r.tornTailBytes, torn.length);
  assert.is(r.events, 6);

  const clean = tempWal();
  writeFileSync(clean, lines(0, 2, ts) + torn);
  const rc = await verify(clean);
  assert.ok(rc.ok);
  assert.is(rc.tornTailBytes, torn.length);
});

test('NUL bytes and invalid UTF-8 make a line bad even when its shape looks right', async () => {
  const path = tempWal();
  const a = lines(0, 2, ts);
  const nul = `{"seq":2,"ts":${TS},"type":"x","job_id":"a\0b"}\n`;
  const bin = Buffer.concat([Buffer.from(`{"seq":3,"ts":${TS},"type":"x","job_id":"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]);
  writeFileSync(path, Buffer.concat([Buffer.from(a + nul), bin, Buffer.from(lines(4, 2, ts))]));
  const r = await verify(path);
  assert.equal(r.badLines.map((b) => b.offset), [a.length, a.length + nul.length]);
  assert.equal(r.counts.gaps, 1); // 2 and 3 are not events
});

test('a valid line in another field order counts (full parse for what the cheap check does not know)', async () => {
  const path = tempWal();
  writeFileSync(path, line(0, TS) + `{"ts":${TS},"seq":1,"job_id":"j","type":"x"}\n` + line(2, TS));
  const r = await verify(path);
  assert.ok(r.ok);
  assert.is(r.events, 3);
});

test('damage inside a line of the right shape is caught with and without deep, at its offset', async () => {
  const path = tempWal();
  writeFileSync(path, line(0, TS) + `{"seq":1,"ts":${TS},"type":"x" "job_id":"j"}\n` + line(2, TS));
  for (const deep of [false, true]) {
    const r = await verify(path, { deep });
    assert.not.ok(r.ok, `deep: ${deep}`);
    assert.equal(r.badLines.map((b) => b.offset), [line(0, TS).length]);
  }
});

test('a valid line in another field order is not corruption (the cheap check falls back to JSON.parse)', async () => {
  const path = tempWal();
  writeFileSync(path, line(0, TS) + `{"job_id":"j","type":"x","ts":${TS},"seq":1}\n` + line(2, TS));
  const r = await verify(path);
  assert.ok(r.ok, JSON.stringify(r.badLines));
  assert.is(r.events, 3);
});

test('issue lists are capped, counts are exact', async () => {
  const path = tempWal();
  let s = '';
  for (let i = 0; i < 50; i++) s += line(i * 2, TS);
  writeFileSync(path, s);
  const r = await verify(path, { maxIssues: 10 });
  assert.is(r.gaps.length, 10);
  assert.is(r.counts.gaps, 49);
});

test('progress is reported up to the total', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 50_000, ts));
  const seen: Progress[] = [];
  await verify(path, { onProgress: (p) => seen.push(p) });
  assert.ok(seen.length > 0);
  assert.ok(seen.every((p) => p.bytesTotal === lines(0, 50_000, ts).length && p.bytesDone <= p.bytesTotal));
});

test('bad options reject with EINVAL', async () => {
  const path = tempWal();
  await expectCode(verify(path, { deep: 1 as never }), 'EINVAL');
  await expectCode(verify(path, { maxIssues: 0 }), 'EINVAL');
  await expectCode(verify(''), 'EINVAL');
});

test.after(async () => {
  await closePool();
});

test.run();
