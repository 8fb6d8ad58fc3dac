// readWal's raw modes ({ raw: true } and { raw: 'chunks' }): the stored bytes, the writer's
// seq, and the same corruption reporting as the parsing reader, checked side by side on
// every damaged-file case read.test.ts covers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { openWal } from '@threadwal/client';
import { readWal, rotate, compress, closePool, readCursor, type ReadOptions, type RawChunk } from '../src/index.js';
import { tempWal, lines, line, writeSegment, range, expectCode } from './helpers.js';

const TS = 1_700_000_000;
const ts = (): number => TS;

interface Outcome {
  seqs: number[];
  skipped: number;
  skips: unknown[];
  tornBytes: number;
  error: { code: string; file?: string; offset?: number } | null;
}

/** Everything a reader says about `path`: what it yielded, skipped, left as torn, and how it failed. */
async function outcome(path: string, opts: Omit<ReadOptions, 'raw'>, mode: 'parsed' | 'raw' | 'chunks'): Promise<Outcome & { lines: string[] }> {
  const out = { seqs: [] as number[], lines: [] as string[], skipped: 0, skips: [] as unknown[], tornBytes: 0, error: null as Outcome['error'] };
  const r = mode === 'parsed' ? readWal(path, opts) : mode === 'raw' ? readWal(path, { ...opts, raw: true }) : readWal(path, { ...opts, raw: 'chunks' });
  try {
    for await (const item of r as AsyncIterable<unknown>) {
      if (mode === 'parsed') out.seqs.push((item as { seq: number }).seq);
      else if (mode === 'raw') {
        const { seq, line: l } = item as { seq: number; line: Buffer };
        out.seqs.push(seq);
        out.lines.push(l.toString('latin1'));
      } else {
        const c = item as RawChunk;
        assert.is(c.lastSeq, c.firstSeq + c.count - 1);
        assert.is(c.ends.length, c.count);
        assert.is(c.ends[c.count - 1], c.data.length);
        let start = 0;
        for (let i = 0; i < c.count; i++) {
          assert.is(c.data[c.ends[i]! - 1], 0x0a, 'every line of a chunk ends in \\n');
          out.seqs.push(c.firstSeq + i);
          out.lines.push(c.data.toString('latin1', start, c.ends[i]! - 1));
          start = c.ends[i]!;
        }
      }
    }
  } catch (err) {
    const e = err as { code: string; file?: string; offset?: number };
    out.error = { code: e.code, file: e.file, offset: e.offset };
  }
  out.skipped = r.skipped;
  out.skips = [...r.skips];
  out.tornBytes = r.tornBytes;
  return out;
}

/** Both raw modes report exactly what the parsing reader reports, and hand out the stored lines. */
async function same(path: string, opts: Omit<ReadOptions, 'raw'> = {}): Promise<Outcome> {
  const parsed = await outcome(path, opts, 'parsed');
  for (const mode of ['raw', 'chunks'] as const) {
    const raw = await outcome(path, opts, mode);
    assert.equal({ ...raw, lines: undefined }, { ...parsed, lines: undefined }, `${mode} vs parsed`);
    for (let i = 0; i < raw.lines.length; i++) assert.ok(raw.lines[i]!.startsWith(`{"seq":${raw.seqs[i]},`) || raw.lines[i]!.includes(`"seq":${raw.seqs[i]}`), raw.lines[i]);
  }
  return parsed;
}

test('raw: the stored lines of .N … .1 and the active file, in seq order, byte for byte', async () => {
  const path = tempWal();
  writeSegment(`${path}.2`, lines(0, 5, ts));
  writeSegment(`${path}.1`, lines(5, 5, ts));
  writeFileSync(path, lines(10, 5, ts));
  const o = await same(path);
  assert.equal(o.seqs, range(0, 15));
  const raw = await outcome(path, {}, 'raw');
  assert.is(raw.lines.map((l) => `${l}\n`).join(''), lines(0, 15, ts));
  const chunks: RawChunk[] = [];
  for await (const c of readWal(path, { raw: 'chunks' })) chunks.push(c);
  assert.equal(chunks.map((c) => [c.firstSeq, c.lastSeq, c.count, c.file, c.offset]), [[0, 4, 5, `${path}.2`, 0], [5, 9, 5, `${path}.1`, 0], [10, 14, 5, path, 0]]);
  assert.is(Buffer.concat(chunks.map((c) => c.data)).toString(), lines(0, 15, ts));
});

test('raw: fromSeq, torn tails, NUL lines, corruption in the middle: the same as readWal', async () => {
  const a = tempWal();
  writeSegment(`${a}.2`, lines(0, 5, ts) + 'garbage\n' + lines(5, 5, ts));
  writeSegment(`${a}.1`, lines(10, 5, ts));
  writeFileSync(a, lines(15, 5, ts));
  assert.equal((await same(a, { fromSeq: 12 })).seqs, range(12, 20));
  assert.is((await same(a)).error?.code, 'ECORRUPT');

  const torn = tempWal();
  writeFileSync(torn, lines(0, 5, ts) + '{"seq":5,"ts":1700');
  assert.is((await same(torn)).tornBytes, 18);

  // A line with NUL followed by a whole line without NUL: the torn-tail rule (DESIGN.md,
  // Recovery) never cuts a whole NUL-free line, so the NUL line is corruption, not a tail.
  const nul = tempWal();
  writeFileSync(nul, lines(0, 5, ts) + `{"seq":5,"ts":${TS},"type":"x","job_id":"\0\0"}\n` + 'half}\n');
  const o = await same(nul);
  assert.equal([o.seqs, o.error], [range(0, 5), { code: 'ECORRUPT', file: nul, offset: lines(0, 5, ts).length }]);

  // Zeros then the end of a line, at the end: a torn tail, not yielded, not an error.
  const hole = tempWal();
  writeFileSync(hole, lines(0, 5, ts) + '\0'.repeat(40) + 'ob_id":"y"}\n');
  const h = await same(hole);
  assert.equal([h.seqs, h.error], [range(0, 5), null]);
  assert.is(h.tornBytes, 40 + 'ob_id":"y"}\n'.length);

  const mid = tempWal();
  writeSegment(`${mid}.1`, lines(0, 3, ts) + '{"seq":3,"ts":1,"type":"x"\n' + lines(4, 3, ts));
  writeFileSync(mid, lines(7, 3, ts));
  const m = await same(mid);
  assert.equal(m.error, { code: 'ECORRUPT', file: `${mid}.1`, offset: lines(0, 3, ts).length });
  assert.equal(m.seqs, [0, 1, 2]);

  const unterminated = tempWal();
  writeSegment(`${unterminated}.1`, lines(0, 3, ts) + '{"seq":3');
  writeFileSync(unterminated, line(4, TS));
  assert.is((await same(unterminated)).error?.offset, lines(0, 3, ts).length);
});

test("raw: onCorrupt 'skip' counts and places the same runs; chunks break at a skipped line", async () => {
  const path = tempWal();
  writeSegment(`${path}.1`, lines(0, 3, ts) + 'bad one\nbad two\n' + lines(3, 3, ts) + '{"seq":6,"ts');
  writeFileSync(path, lines(7, 3, ts) + 'bad three\n' + line(10, TS));
  const o = await same(path, { onCorrupt: 'skip' });
  assert.equal(o.seqs, [0, 1, 2, 3, 4, 5, 7, 8, 9, 10]);
  assert.is(o.skipped, 4);
  const chunks: RawChunk[] = [];
  for await (const c of readWal(path, { raw: 'chunks', onCorrupt: 'skip' })) chunks.push(c);
  assert.equal(chunks.map((c) => [c.firstSeq, c.count]), [[0, 3], [3, 3], [7, 3], [10, 1]]);
});

test('raw: invalid UTF-8 is a bad line (last or not: a whole line is never a torn tail), as readWal says', async () => {
  const a = lines(0, 2, ts);
  const bad = Buffer.concat([Buffer.from(`{"seq":2,"ts":${TS},"type":"x","job_id":"\u00fc`), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
  const mid = tempWal();
  writeFileSync(mid, Buffer.concat([Buffer.from(a), bad, Buffer.from(lines(3, 2, ts))]));
  assert.equal((await same(mid)).error, { code: 'ECORRUPT', file: mid, offset: a.length });
  assert.is((await same(mid, { onCorrupt: 'skip' })).skipped, 1);
  const last = tempWal();
  writeFileSync(last, Buffer.concat([Buffer.from(a), bad]));
  const l = await same(last);
  assert.equal([l.error, l.tornBytes], [{ code: 'ECORRUPT', file: last, offset: a.length }, 0]);
});

test('raw: a line not in the writer\'s shape is parsed to decide (seed files); a damaged middle only a checksum can see', async () => {
  const seed = tempWal();
  writeFileSync(seed, line(0, TS) + `{"ts":${TS},"seq":1,"type":"x","job_id":"y"}\n` + line(2, TS));
  assert.equal((await same(seed)).seqs, [0, 1, 2]);
  // The documented difference: the writer's prefix, a closing brace and valid UTF-8, but a lost quote.
  const damaged = tempWal();
  writeFileSync(damaged, line(0, TS) + `{"seq":1,"ts":${TS},"type":"x,"job_id":"y"}\n` + line(2, TS));
  assert.is((await outcome(damaged, {}, 'parsed')).error?.code, 'ECORRUPT');
  assert.equal((await outcome(damaged, {}, 'raw')).seqs, [0, 1, 2]);
});

test('raw with checksums: the line as stored (field included); a flipped digit is ECORRUPT at the same offset as readWal', async () => {
  const path = tempWal();
  const wal = await openWal<string>(path, { checksum: 'crc32c' } as never);
  for (let i = 0; i < 4; i++) await wal.append({ type: 'job_started', job_id: `job-${i}` } as never);
  await wal.close();
  const stored = readFileSync(path, 'utf8');
  const raw = await outcome(path, {}, 'raw');
  assert.is(raw.lines.map((l) => `${l}\n`).join(''), stored);
  assert.ok(raw.lines.every((l) => /,"crc32c":"[0-9a-f]{8}"\}$/.test(l)));
  // seq 2's job id: job-2 → job-7 still parses, only the checksum tells.
  const at = stored.indexOf('"job-2"');
  writeFileSync(path, stored.slice(0, at) + '"job-7"' + stored.slice(at + 7));
  const o = await same(path);
  assert.equal([o.seqs, o.error?.code, o.error?.offset], [[0, 1], 'ECORRUPT', stored.indexOf('{"seq":2,')]);
});

test('raw across .gz segments, with fromSeq and a cursor that commit() moves', async () => {
  const path = tempWal();
  const wal = await openWal(path);
  for (let i = 0; i < 30; i++) {
    await wal.append({ type: 'job_started', job_id: `j${i}` });
    if (i % 10 === 9) await rotate(path, 0, 100);
  }
  await wal.close();
  await compress(path);
  assert.equal((await same(path)).seqs, range(0, 30));
  assert.equal((await same(path, { fromSeq: 17 })).seqs, range(17, 30));
  const r = readWal(path, { raw: 'chunks', cursor: 'c1' });
  let last = -1;
  for await (const c of r) { last = c.lastSeq; if (last >= 12) break; }
  assert.is(await r.commit(), last);
  assert.is(await readCursor(path, 'c1'), last);
  const again: number[] = [];
  for await (const rec of readWal(path, { raw: true, cursor: 'c1' })) again.push(rec.seq);
  assert.equal(again, range(last + 1, 30));
});

test('raw: commit() takes the line last handed out, not its chunk\'s end; abort ends a read early', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 100, ts));
  const r = readWal(path, { raw: true, cursor: 'mid' });
  for await (const rec of r) if (rec.seq === 41) break;
  assert.is(await r.commit(), 41);
  await expectCode(r.commit(42), 'EINVAL');
  const ac = new AbortController();
  const got: number[] = [];
  for await (const rec of readWal(path, { raw: true, signal: ac.signal })) {
    got.push(rec.seq);
    if (got.length === 10) ac.abort();
  }
  assert.equal(got, range(0, 10));
});

test('raw follow: appends across rotations, a half-written line completed later', async () => {
  const path = tempWal();
  const wal = await openWal(path, { rotate: { maxSizeBytes: 500, maxRotations: 1000 } });
  const ac = new AbortController();
  const guard = setTimeout(() => ac.abort(), 20_000);
  const got: number[] = [];
  const reading = (async () => {
    for await (const c of readWal(path, { raw: 'chunks', follow: true, signal: ac.signal, pollMs: 5 })) {
      for (let s = c.firstSeq; s <= c.lastSeq; s++) got.push(s);
      if (got.length >= 205) ac.abort();
    }
  })();
  for (let i = 0; i < 200; i++) await wal.append({ type: 'job_started', job_id: `r${i}` });
  await wal.close();
  const tail = lines(200, 5, ts);
  appendFileSync(path, tail.slice(0, tail.length - 20));
  await new Promise((r) => setTimeout(r, 50));
  appendFileSync(path, tail.slice(tail.length - 20));
  await reading;
  clearTimeout(guard);
  assert.equal(got, range(0, 205));
});

test('raw: lines longer than the read buffer are read whole; bad options are EINVAL', async () => {
  const path = tempWal();
  const big = `{"seq":1,"ts":${TS},"type":"t","job_id":"${'x'.repeat(3 * 1024 * 1024)}"}`;
  writeFileSync(path, line(0, TS) + big + '\n' + line(2, TS));
  const raw = await outcome(path, {}, 'raw');
  assert.equal(raw.seqs, [0, 1, 2]);
  assert.is(raw.lines[1], big);
  await expectCode(() => readWal(path, { raw: 'lines' as never }), 'EINVAL');
});

test.after(async () => {
  await closePool();
});

test.run();
