// Issue 22, items 2 and 3, as a seeded fuzz over the states a power cut can leave of the
// last, unacknowledged batch (the model of DESIGN.md, Recovery): the file keeps any size
// between the acknowledged end and the batch's end, and any set of 512-byte blocks of the
// unsynced part reads back as zeros. Acknowledged lines may include records that do not
// parse (an old appendRaw text) or carry a flipped byte. For every state:
// - recovery never cuts an acknowledged byte, and what it keeps after them is whole,
//   valid lines continuing the chain (the log opens, reads and continues gapless);
// - verify's tornTailBytes, readWal's tornBytes and recovery's cut are the same bytes;
// - the next seq is one past the last kept line, never an acknowledged one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, constants, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BLOCK, encodeLine, nextSeqFor, parseLine, recoverTail } from '@threadwal/core';
import { readWal, verify, closePool } from '@threadwal/maintenance';
import { tmpDir, report, size, prng, runSeed } from './helpers.js';

type Rand = ReturnType<typeof prng>;

/** A line the writer would write for seq `i`, with an output of random size (some lines span blocks). */
function line(i: number, rand: Rand): string {
  const n = rand.pick([0, 10, 60, 200, 700, 1500]);
  return encodeLine(i, { ts: 1715800000 + i, type: 'job_started', job_id: `job-${i}`, output: n ? 'ü'.repeat(rand.int(0, 3)) + 'x'.repeat(n) : undefined });
}

/** An acknowledged line that does not parse (what an unchecked appendRaw could leave), or one with a byte flipped to NUL. */
function damaged(i: number, rand: Rand): string | Buffer {
  if (rand.next() < 0.5) return `{"seq":${i},"ts":1715800000,"type":"info","job_id":"raw-${i}","output":{"a":1,}}\n`;
  const b = Buffer.from(`{"seq":${i},"ts":1715800000,"type":"info","job_id":"flip-${i}","output":"abcdefgh"}\n`);
  b[b.length - 6] = 0; // a lone NUL in the middle: no zeroed block looks like that (unless it ends on a boundary)
  return b;
}

interface State {
  content: Buffer;
  /** End of the acknowledged lines. */
  acked: number;
  /** Seq of the last acknowledged line. */
  lastAcked: number;
  /** Offsets where the lines of the unacknowledged batch start, and their seqs. */
  batch: Array<{ start: number; end: number; seq: number }>;
}

function makeState(rand: Rand): State {
  const ackedLines = rand.int(1, 12);
  const parts: Buffer[] = [];
  for (let i = 0; i < ackedLines; i++) parts.push(Buffer.from(i === ackedLines - 1 && rand.next() < 0.2 ? damaged(i, rand) : line(i, rand)));
  const acked = Buffer.concat(parts);
  if (acked.includes(0) && (acked.indexOf(0) + 1) % BLOCK === 0) return makeState(rand); // a flipped NUL that ends on a block boundary is a zeroed block's end: not this test's case
  const batch: State['batch'] = [];
  const lines: Buffer[] = [];
  let at = acked.length;
  for (let i = 0, n = rand.int(1, 8); i < n; i++) {
    const l = Buffer.from(line(ackedLines + i, rand));
    batch.push({ start: at, end: at + l.length, seq: ackedLines + i });
    lines.push(l);
    at += l.length;
  }
  const full = Buffer.concat([acked, ...lines]);
  // What reached the disk: a size between the acknowledged end and the batch's end (a block
  // boundary or anywhere), then some of the unsynced blocks as zeros.
  const sizeChoice = rand.next();
  let size = sizeChoice < 0.3 ? full.length : sizeChoice < 0.6 ? Math.min(full.length, Math.ceil(rand.int(acked.length, full.length) / BLOCK) * BLOCK) : rand.int(acked.length, full.length);
  if (size < acked.length) size = acked.length;
  const content = Buffer.alloc(size);
  full.copy(content, 0, 0, Math.min(size, full.length));
  const p = rand.pick([0, 0.2, 0.5, 0.9]);
  for (let blk = Math.floor(acked.length / BLOCK); blk * BLOCK < size; blk++) {
    if (rand.next() >= p) continue;
    content.fill(0, Math.max(blk * BLOCK, acked.length), Math.min((blk + 1) * BLOCK, size));
  }
  return { content, acked: acked.length, lastAcked: ackedLines - 1, batch };
}

const ROUNDS = size(300, 5000);

test('power-cut states of the last batch: nothing acknowledged is cut, the rest reads gapless, and recovery, verify and readWal agree', async () => {
  const seed = runSeed('torn-batch');
  const rand = prng(seed);
  const root = tmpDir();
  let torn = 0;
  let holes = 0;
  let keptUnacked = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const s = makeState(rand);
    const dir = join(root, String(round));
    mkdirSync(dir);
    const path = join(dir, 'wal.jsonl');
    writeFileSync(path, s.content);
    const what = `round ${round} (seed ${seed}), file ${path}`;

    const [v, reader] = await Promise.all([verify(path), (async () => {
      const r = readWal(path, { onCorrupt: 'skip' });
      const seqs: number[] = [];
      for await (const rec of r) seqs.push(rec.seq);
      return { seqs, tornBytes: r.tornBytes };
    })()]);
    const fd = openSync(path, constants.O_RDWR);
    let cut: ReturnType<typeof recoverTail>;
    try {
      cut = recoverTail(fd, path, { truncate: true });
    } finally {
      closeSync(fd);
    }
    const kept = cut.size;
    assert.ok(kept >= s.acked, `${what}: recovery cut acknowledged bytes (kept ${kept} of ${s.acked})`);
    assert.is(v.tornTailBytes, cut.tornBytes, `${what}: verify and recovery agree on the torn tail`);
    assert.is(reader.tornBytes, cut.tornBytes, `${what}: readWal and recovery agree on the torn tail`);
    // What is kept past the acknowledged lines is whole batch lines, intact, continuing the chain.
    const after = s.content.subarray(s.acked, kept);
    let expectSeq = s.lastAcked + 1;
    for (let p = 0; p < after.length;) {
      const nl = after.indexOf(0x0a, p);
      assert.ok(nl >= 0, `${what}: a kept line without its newline`);
      const rec = parseLine(after.toString('utf8', p, nl));
      assert.is(rec.seq, expectSeq, `${what}: kept lines continue the chain`);
      expectSeq += 1;
      keptUnacked += 1;
      p = nl + 1;
    }
    assert.is(cut.lastSeq, expectSeq - 1, `${what}: recovery's last seq`);
    assert.is(nextSeqFor(path, cut.lastSeq), expectSeq, `${what}: the next seq is one past the last kept line`);
    assert.ok(expectSeq > s.lastAcked, `${what}: an acknowledged seq would be handed out again`);
    if (cut.tornBytes > 0) torn += 1;
    if (cut.cut?.reason === 'zero-filled') holes += 1;
  }
  report('torn-batch', { states: ROUNDS, torn, cut_at_a_hole: holes, unacked_lines_kept: keptUnacked });
  assert.ok(holes > ROUNDS / 10, `holes were exercised (${holes})`);
});

test.after(async () => {
  await closePool();
});

test.run();
