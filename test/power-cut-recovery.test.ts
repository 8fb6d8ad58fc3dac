// Issue 22, items 1–3, through the public API: what a power cut leaves opens, reads and
// continues gapless; an acknowledged seq is never handed out again; openWal, verify and
// readWal agree on what is torn (DESIGN.md, Recovery).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWal } from '@threadwal/client';
import { readWal, rotate, verify, closePool } from '@threadwal/maintenance';

const dirs: string[] = [];
function wal(): string {
  const d = mkdtempSync(join(tmpdir(), 'threadwal-power-cut-'));
  dirs.push(d);
  return join(d, 'app.wal');
}
const ev = (id: string) => ({ type: 'job_started' as const, job_id: id, ts: 1715800000 });

async function seqsOf(path: string): Promise<{ seqs: number[]; tornBytes: number }> {
  const r = readWal(path);
  const seqs: number[] = [];
  for await (const rec of r) seqs.push(rec.seq);
  return { seqs, tornBytes: r.tornBytes };
}

test('item 1: a fresh segment after rotate, torn in its first batch (zeros, then the end of a line): openWal opens, cuts it, reports it, continues the seq; verify agrees', async () => {
  const path = wal();
  const w = await openWal(path);
  for (let i = 0; i < 3; i++) await w.append(ev(`e-${i}`));
  await w.close();
  const r = await rotate(path, 1, 5);
  assert.ok(r.rotated);
  // What a power cut can leave of the next batch in the new file: its first block unwritten
  // (zeros), then the second half of a record line.
  const line = Buffer.from('{"seq":3,"ts":1715800000,"type":"job_started","job_id":"e-3","output":"lost with the power"}\n');
  const torn = Buffer.concat([Buffer.alloc(90), line.subarray(line.length >> 1)]);
  appendFileSync(path, torn);

  const before = await verify(path);
  assert.ok(before.ok, JSON.stringify(before.counts));
  assert.is(before.tornTailBytes, torn.length, 'verify calls it torn');
  assert.equal(await seqsOf(path), { seqs: [0, 1, 2], tornBytes: torn.length });

  const w2 = await openWal(path, { reportRecovery: false });
  try {
    assert.equal(w2.recovery, { file: path, bytes: torn.length, offset: 0, reason: 'torn-first-batch' });
    assert.is(w2.nextSeq(), 3);
    assert.is(await w2.append(ev('e-3')), 3);
  } finally {
    await w2.close();
  }
  const after = await verify(path);
  assert.ok(after.ok);
  assert.is(after.tornTailBytes, 0);
  assert.equal((await seqsOf(path)).seqs, [0, 1, 2, 3]);
});

test('item 2: zeros over the first 1.5 lines of an unacknowledged 3-line batch, the third intact: cut back to the last record, the next append gets seq 3', async () => {
  const path = wal();
  const w = await openWal(path);
  for (let i = 0; i < 3; i++) await w.append(ev(`e-${i}`));
  await w.close();
  const acked = readFileSync(path);
  const batch = Buffer.from([3, 4, 5].map((i) => `{"seq":${i},"ts":1715800000,"type":"job_started","job_id":"e-${i}"}\n`).join(''));
  const l3 = batch.indexOf(0x0a) + 1;
  const l4 = batch.indexOf(0x0a, l3) + 1 - l3;
  batch.fill(0, 0, l3 + (l4 >> 1));
  appendFileSync(path, batch);

  const v = await verify(path);
  assert.ok(v.ok, JSON.stringify(v));
  assert.is(v.tornTailBytes, batch.length);
  assert.equal(await seqsOf(path), { seqs: [0, 1, 2], tornBytes: batch.length });

  const w2 = await openWal(path, { reportRecovery: false });
  try {
    assert.equal(w2.recovery, { file: path, bytes: batch.length, offset: acked.length, reason: 'zero-filled' });
    assert.is(await w2.append(ev('next')), 3, 'not 6: no gap that no one acknowledged');
  } finally {
    await w2.close();
  }
  assert.ok((await verify(path)).ok);
  assert.equal((await seqsOf(path)).seqs, [0, 1, 2, 3]);
});

test('item 3: an acknowledged last line that no longer parses is a record: reported ECORRUPT with file and offset, never cut, the next seq is one past it', async () => {
  const path = wal();
  const w = await openWal(path);
  for (let i = 0; i < 3; i++) await w.append(ev(`e-${i}`));
  await w.close();
  // A byte flipped on disk in the last acknowledged line (seq 2): its prefix still continues the chain.
  const bytes = readFileSync(path);
  const lastStart = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
  bytes[bytes.length - 3] = 0x7b; // `"}` -> `{}`: no longer JSON
  writeFileSync(path, bytes);

  const v = await verify(path);
  assert.equal([v.badLines, v.tornTailBytes], [[{ file: path, offset: lastStart }], 0]);
  let err: { code?: string; file?: string; offset?: number } | undefined;
  try {
    await seqsOf(path);
  } catch (e) {
    err = e as typeof err;
  }
  assert.equal([err?.code, err?.file, err?.offset], ['ECORRUPT', path, lastStart]);

  const w2 = await openWal(path, { reportRecovery: false });
  try {
    assert.is(w2.recovery, null, 'nothing cut');
    assert.is(await w2.append(ev('next')), 3, 'seq 2 was acknowledged: never handed out again');
  } finally {
    await w2.close();
  }
  assert.ok(readFileSync(path).subarray(0, bytes.length).equals(bytes), 'the damaged line is kept byte for byte');
});

test('item 3: .meta stays a floor: an active file emptied by a cut never takes the seq below it', async () => {
  const path = wal();
  const w = await openWal(path);
  for (let i = 0; i < 3; i++) await w.append(ev(`e-${i}`));
  await w.close();
  await rotate(path, 1, 0); // drops every event; .meta remembers next_seq 3
  appendFileSync(path, Buffer.concat([Buffer.alloc(512), Buffer.from('b_id":"x"}\n')]));
  const w2 = await openWal(path, { reportRecovery: false });
  try {
    assert.is(w2.recovery?.reason, 'torn-first-batch');
    assert.is(await w2.append(ev('next')), 3);
  } finally {
    await w2.close();
  }
});

test.after(async () => {
  await closePool();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test.run();
