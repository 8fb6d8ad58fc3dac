// Issue 22, items 2 and 3: what a power cut leaves of an unacknowledged batch is cut; what
// the writer wrote whole is a record and never cut, its seq never handed out again. The
// rule is tail-rule.ts (DESIGN.md, Recovery); these are its cases at the recoverTail level.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, constants, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recoverTail, nextSeqFor } from '../src/recovery/recover.js';
import { describeLine, judgeTail, TORN_WINDOW, BLOCK, type TailLine } from '../src/recovery/tail-rule.js';
import { encodeLine } from '../src/format/format.js';
import { Stamper } from '../src/format/checksum.js';
import { tmpDir, lines, ev } from './helpers.js';

const RW = constants.O_RDWR | constants.O_APPEND;

function recoverFile(path: string, opts: { truncate?: boolean; quick?: boolean } = {}): ReturnType<typeof recoverTail> {
  const fd = openSync(path, RW);
  try {
    return recoverTail(fd, path, { truncate: opts.truncate ?? true, ...(opts.quick ? { quick: true } : {}) });
  } finally {
    closeSync(fd);
  }
}

const b = (s: string): Buffer => Buffer.from(s);
const zeros = (n: number): Buffer => Buffer.alloc(n);

/** `acked` then `batch`, with bytes [from, to) of the batch (offsets in the batch) zeroed. */
function zeroed(acked: string, batch: string, from: number, to: number): Buffer {
  const bytes = b(acked + batch);
  bytes.fill(0, b(acked).length + from, b(acked).length + to);
  return bytes;
}

// ---- item 2: a torn batch with a hole is cut -----------------------------------------------

test('zeros over the first 1.5 lines of an unacknowledged 3-line batch, the third intact: cut back to the record before the hole', () => {
  const acked = lines(0, 3);
  const batch = lines(3, 3);
  const l3 = b(lines(3, 1)).length;
  const l4 = b(lines(4, 1)).length;
  const path = join(tmpDir(), 'wal.jsonl');
  const content = zeroed(acked, batch, 0, l3 + Math.floor(l4 / 2));
  writeFileSync(path, content);
  const r = recoverFile(path);
  assert.equal(r.cut, { file: path, bytes: content.length - b(acked).length, offset: b(acked).length, reason: 'zero-filled' });
  assert.is(r.lastSeq, 2);
  assert.is(nextSeqFor(path, r.lastSeq), 3, 'the next append gets seq 3, not 6');
  assert.is(readFileSync(path, 'utf8'), acked);
});

test('a hole made of whole 512-byte blocks (as a power cut leaves them) inside a batch: cut from the line it starts in', () => {
  // Lines of ~300 bytes, so blocks cut across them; every choice of zeroed block in the batch.
  const big = (i: number): Record<string, unknown> => ({ output: 'x'.repeat(220 + (i % 7)) });
  const acked = lines(0, 4, big);
  const batch = lines(4, 12, big);
  const base = b(acked).length;
  const starts: number[] = [];
  for (let i = 0, at = base; i < 12; at += b(lines(4 + i, 1, big)).length, i++) starts.push(at);
  const firstBlock = Math.ceil(base / BLOCK);
  const lastBlock = Math.floor((base + b(batch).length) / BLOCK) - 1;
  let cases = 0;
  for (let blk = firstBlock; blk <= lastBlock; blk++) {
    const path = join(tmpDir(), `wal-${blk}.jsonl`);
    const content = b(acked + batch);
    content.fill(0, blk * BLOCK, (blk + 1) * BLOCK);
    writeFileSync(path, content);
    const firstHit = starts.filter((s) => s <= blk * BLOCK).at(-1)!; // the line the block starts in
    const r = recoverFile(path);
    assert.is(r.size, firstHit, `block ${blk}: cut at the start of the first line it touches`);
    assert.is(r.lastSeq, 3 + starts.indexOf(firstHit), `block ${blk}: the chain before it`);
    cases += 1;
  }
  assert.ok(cases >= 5);
});

test('a hole followed by a line that continues the chain lost no seq: kept (corruption for readers), nothing cut', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const content = Buffer.concat([b(lines(0, 3)), zeros(700), b('\n'), b(lines(3, 2))]);
  writeFileSync(path, content);
  assert.equal(recoverFile(path), { size: content.length, tornBytes: 0, lastSeq: 4, cut: null });
});

test('a hole far from the end (over TORN_WINDOW of records after it) is corruption, never a torn tail', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const chunk = b(lines(100, 2000));
  const parts = [b(lines(0, 3)), zeros(700), b('\n')];
  let tail = 0;
  while (tail <= TORN_WINDOW) {
    parts.push(chunk);
    tail += chunk.length;
  }
  parts.push(b(lines(100_000, 1)));
  const content = Buffer.concat(parts);
  writeFileSync(path, content);
  const r = recoverFile(path, { truncate: false });
  assert.is(r.tornBytes, 0);
  assert.is(r.lastSeq, 100_000);
});

test('only lines with NUL after the last record are torn however far back they start', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const content = Buffer.concat([b(lines(0, 3)), zeros(TORN_WINDOW + 4096), b('\n'), zeros(100), b('\n')]);
  writeFileSync(path, content);
  const r = recoverFile(path);
  assert.is(r.size, b(lines(0, 3)).length);
  assert.is(r.lastSeq, 2);
});

// ---- item 3: damage inside acknowledged data is never cut --------------------------------

test('a flipped byte that became NUL in the last acknowledged line: a damaged record, kept, its seq not reused', () => {
  const good = lines(0, 5);
  const last = b(lines(5, 1));
  for (const at of [12, 20, last.length - 3]) {
    const path = join(tmpDir(), `wal-${at}.jsonl`);
    const content = Buffer.concat([b(good), last]);
    const pos = b(good).length + at;
    if ((pos + 1) % BLOCK === 0) continue; // a NUL just before a block boundary looks like a zeroed block's end
    content[pos] = 0;
    writeFileSync(path, content);
    const r = recoverFile(path);
    assert.equal(r, { size: content.length, tornBytes: 0, lastSeq: 5, cut: null }, `NUL at ${at}`);
  }
});

test('a flipped NUL in a line inside the window, records after it: nothing cut', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const content = b(lines(0, 10));
  const pos = b(lines(0, 4)).length + 30;
  content[pos] = 0;
  writeFileSync(path, content);
  assert.equal(recoverFile(path), { size: content.length, tornBytes: 0, lastSeq: 9, cut: null });
});

test('a last line whose checksum does not match names no seq: it took the one after the record before it', () => {
  // A flipped seq digit (3 -> 1) would otherwise hand out 2 and 3 again.
  const path = join(tmpDir(), 'wal.jsonl');
  const framed = b(lines(0, 4));
  const { out, len } = new Stamper().stamp(framed, framed.length, 4);
  const content = Buffer.from(out.subarray(0, len));
  const lastStart = content.lastIndexOf(0x0a, content.length - 2) + 1;
  content[lastStart + 7] = 0x31; // {"seq":3 -> {"seq":1
  writeFileSync(path, content);
  assert.is(recoverFile(path).lastSeq, 3);
});

// ---- item 1: a fresh segment torn in its first batch, in a log that exists ------------------

test('after a rotation, a new active file torn in its first batch (zeros then the end of a line) is cut, and the seq continues', () => {
  const dir = tmpDir();
  const path = join(dir, 'wal.jsonl');
  writeFileSync(`${path}.1`, lines(0, 3));
  writeFileSync(`${path}.meta`, '{"next_seq":3}\n');
  const line = b(encodeLine(3, ev(3)));
  const content = Buffer.concat([zeros(90), line.subarray(line.length >> 1)]);
  writeFileSync(path, content);
  const r = recoverFile(path);
  assert.equal(r.cut, { file: path, bytes: content.length, offset: 0, reason: 'torn-first-batch' });
  assert.is(readFileSync(path).length, 0);
  assert.is(nextSeqFor(path, r.lastSeq), 3);
});

test('a known WAL (rotated segments) whose active file holds a hole and then lines skipping seqs: all cut, seq from the segment', () => {
  const dir = tmpDir();
  const path = join(dir, 'wal.jsonl');
  writeFileSync(`${path}.1`, lines(0, 3));
  const batch = b(lines(3, 3));
  batch.fill(0, 0, b(lines(3, 1)).length + 10);
  writeFileSync(path, batch);
  const r = recoverFile(path);
  assert.is(r.size, 0);
  assert.is(nextSeqFor(path, r.lastSeq), 3);
});

test('a known WAL whose active file holds only whole lines naming no seq: kept, each taking a seq', () => {
  const dir = tmpDir();
  const path = join(dir, 'wal.jsonl');
  writeFileSync(`${path}.meta`, '{"next_seq":7}\n');
  writeFileSync(path, '{"sez":7}\n{"sez":8}\n');
  const r = recoverFile(path);
  assert.is(r.tornBytes, 0);
  assert.is(nextSeqFor(path, r.lastSeq), 9);
});

test('without .meta or a rotated segment the same file is refused (it may be someone else\'s), nothing changed', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, '{"sez":7}\n');
  let code = '';
  try {
    recoverFile(path);
  } catch (err) {
    code = (err as { code: string }).code;
  }
  assert.is(code, 'ECORRUPT');
  assert.is(readFileSync(path, 'utf8'), '{"sez":7}\n');
});

// ---- quick mode (a live writer's re-read) ------------------------------------------------------

test('quick: trailing NUL lines and a partial line are still cut', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, Buffer.concat([b(lines(0, 3)), zeros(100), b('\n{"seq":3,')]));
  const r = recoverFile(path, { quick: true });
  assert.is(r.size, b(lines(0, 3)).length);
  assert.is(r.lastSeq, 2);
});

// ---- the rule itself ---------------------------------------------------------------------------

/** A line descriptor: `seq`, NUL or not, block-shaped or not, at `start` with `len` bytes. */
function line(start: number, len: number, seq: number, nul = false, blockZeros = true): TailLine {
  return { start, end: start + len - 1, nul, seq, blockZeros: nul && blockZeros };
}

test('judgeTail: the cases of the rule', () => {
  const W = 1000;
  // No NUL: everything is kept; unreadable lines count one seq each.
  assert.equal(judgeTail([line(0, 10, 5), line(10, 10, -1)], 4, 20, W), { tornStart: 20, lastSeq: 6, anchored: true, records: 2 });
  // A trailing hole is torn.
  assert.equal(judgeTail([line(0, 10, 5), line(10, 10, -1, true)], 4, 20, W).tornStart, 10);
  // A hole then skipping seqs: torn. Then continuing: kept.
  assert.equal(judgeTail([line(0, 10, 5), line(10, 10, -1, true), line(20, 10, 8)], 4, 30, W).tornStart, 10);
  assert.equal(judgeTail([line(0, 10, 5), line(10, 10, -1, true), line(20, 10, 6)], 4, 30, W), { tornStart: 30, lastSeq: 6, anchored: true, records: 2 });
  // The same hole further than the window from the end: kept.
  assert.equal(judgeTail([line(0, 10, 5), line(10, 10, -1, true), line(20, 2000, 8)], 4, 2020, W).tornStart, 2020);
  // A NUL line whose prefix continues the chain: a damaged record unless its zeros are block-shaped.
  assert.equal(judgeTail([line(0, 10, 5), line(10, 10, 6, true, false)], 4, 20, W), { tornStart: 20, lastSeq: 6, anchored: true, records: 2 });
  assert.equal(judgeTail([line(0, 10, 5), line(10, 10, 6, true, true), line(20, 10, 7)], 4, 30, W).tornStart, 10);
  // From the start of a file: the chain before it decides.
  assert.equal(judgeTail([line(0, 10, -1, true), line(10, 10, 5)], 2, 20, W).tornStart, 0);
  assert.equal(judgeTail([line(0, 10, -1, true), line(10, 10, 3)], 2, 20, W).tornStart, 20);
});

test('describeLine: NUL runs that a power cut makes and those it does not', () => {
  const at = 4 * BLOCK - 20; // the line starts 20 bytes before a block boundary
  const l = Buffer.concat([b('{"seq":7,"ts":1,'), zeros(4), b('"job_id":"j"}')]); // zeros end at 20: on the boundary
  assert.equal(describeLine(l, 0, l.length, at), { start: at, end: at + l.length, nul: true, seq: 7, blockZeros: true });
  assert.is(describeLine(l, 0, l.length, at + 1).blockZeros, false);
  const long = Buffer.concat([b('{"seq":7,'), zeros(BLOCK), b('x}')]);
  assert.is(describeLine(long, 0, long.length, 1).blockZeros, true);
  const clean = b('{"seq":7,"ts":1,"type":"t","job_id":"j"}');
  assert.equal(describeLine(clean, 0, clean.length, 0), { start: 0, end: clean.length, nul: false, seq: 7, blockZeros: false });
});

test.run();
