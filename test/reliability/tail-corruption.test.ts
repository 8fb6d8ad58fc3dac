// Issue 7, item 3: what a crash or a bad disk leaves in the file, through the public API.
// A torn tail (the last line cut at any byte, zero-filled blocks, garbage after the last
// newline) is cut on open: every complete line is kept, the next append continues the
// seq. A whole last line that does not parse is a record the writer wrote (issue 22): kept,
// its seq never reused. A bit flip in the middle is corruption: verify() and readWal()
// report it with its file and byte offset, and openWal still opens and appends (never
// dropping the line).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openWal, WalError } from '@threadwal/client';
import { parseLine } from '@threadwal/core';
import { verify, readWal, closePool } from '@threadwal/maintenance';
import { tmpDir, report, size, prng, runSeed, readStrict, checkGapless, ev } from './helpers.js';

const LINES = 20;

/** The bytes of LINES lines as the writer writes them (written through openWal once). */
async function baseFile(): Promise<{ bytes: Buffer; offsets: number[] }> {
  const path = join(tmpDir(), 'wal.jsonl');
  const wal = await openWal<string>(path);
  for (let i = 0; i < LINES - 1; i++) await wal.append(ev(`e-${i}`));
  // The last line has multi-byte UTF-8, escapes and U+2028, so cuts land inside all of them.
  await wal.append({ type: 'job_started', job_id: 'last', ts: 1715800000, output: 'ü€😀 "q" \\ \u2028' });
  await wal.close();
  const bytes = readFileSync(path);
  const offsets = [0];
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < bytes.length - 1; i = bytes.indexOf(0x0a, i + 1)) offsets.push(i + 1);
  assert.is(offsets.length, LINES);
  return { bytes, offsets };
}

interface TornCase {
  name: string;
  content: Buffer;
  /** The bytes recovery must keep: a prefix of whole lines. */
  keep: Buffer;
}

/** Writes the case, opens it through openWal, and checks the cut, the seq and the next append. */
async function recoverCase(c: TornCase): Promise<void> {
  const dir = join(tmpDir(), 'c');
  mkdirSync(dir);
  const path = join(dir, 'wal.jsonl');
  writeFileSync(path, c.content);
  const keptLines = c.keep.length === 0 ? 0 : c.keep.toString('utf8').split('\n').length - 1;
  const wal = await openWal<string>(path);
  try {
    assert.is(wal.nextSeq(), keptLines, `${c.name}: nextSeq after recovery`);
    assert.ok(readFileSync(path).equals(c.keep), `${c.name}: recovery kept exactly the complete lines`);
    assert.is(await wal.append(ev('next')), keptLines, `${c.name}: the next append continues the seq`);
  } finally {
    await wal.close();
  }
  const records = readStrict(path);
  checkGapless(records);
  assert.is(records.length, keptLines + 1);
  assert.is(records.at(-1)!.job_id, 'next');
}

/** Runs the cases `width` at a time (each openWal has its own writer thread). */
async function runCases(cases: TornCase[], width = 3): Promise<void> {
  const queue = [...cases];
  await Promise.all(Array.from({ length: width }, async () => { while (queue.length) await recoverCase(queue.shift()!); }));
}

test('the last line cut at every byte: openWal keeps every complete line, cuts the rest, continues the seq', async () => {
  const { bytes, offsets } = await baseFile();
  const lastStart = offsets[LINES - 1]!;
  const prefix = bytes.subarray(0, lastStart);
  const cases: TornCase[] = [];
  for (let cut = lastStart; cut < bytes.length; cut++) {
    cases.push({ name: `cut at ${cut - lastStart}/${bytes.length - lastStart}`, content: bytes.subarray(0, cut), keep: prefix });
  }
  // The whole file, newline included, is not torn at all.
  cases.push({ name: 'whole', content: bytes, keep: bytes });
  await runCases(cases);
  report('tail-corruption/cut-every-byte', { last_line_bytes: bytes.length - lastStart, cases: cases.length });
});

test('zero-filled tail blocks: cut back to the last complete line', async () => {
  const { bytes, offsets } = await baseFile();
  const zeros = (n: number): Buffer => Buffer.alloc(n);
  const at = (i: number): number => offsets[i]!;
  const cases: TornCase[] = [
    ...[1, 511, 4096, 8192 + 17].map((n) => ({ name: `${n} NULs appended`, content: Buffer.concat([bytes, zeros(n)]), keep: bytes })),
    // The size of the last lines reached disk, their data did not: NULs where they were.
    ...[1, 2, 5].map((k) => ({
      name: `last ${k} line(s) zeroed`,
      content: Buffer.concat([bytes.subarray(0, at(LINES - k)), zeros(bytes.length - at(LINES - k))]),
      keep: bytes.subarray(0, at(LINES - k)),
    })),
    { name: 'a NUL line then NULs', content: Buffer.concat([bytes, zeros(100), Buffer.from('\n'), zeros(4000)]), keep: bytes },
    { name: 'NUL lines then a torn line', content: Buffer.concat([bytes, zeros(50), Buffer.from('\n'), zeros(70), Buffer.from('\n{"seq":20,"ts":17')]), keep: bytes },
    { name: 'a torn line then NULs', content: Buffer.concat([bytes, Buffer.from('{"seq":20,"ts":1715800000,"ty'), zeros(4096)]), keep: bytes },
    { name: 'a whole file of NULs', content: zeros(8192), keep: Buffer.alloc(0) },
  ];
  await runCases(cases);
  report('tail-corruption/zero-filled', { cases: cases.length });
});

test('garbage after the last newline: cut on open', async () => {
  const seed = runSeed('tail-corruption/garbage');
  const rand = prng(seed);
  const { bytes } = await baseFile();
  const garbage = (n: number, alphabet: 'bytes' | 'text'): Buffer => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      let c = alphabet === 'bytes' ? rand.int(0, 255) : rand.int(0x20, 0x7e);
      if (c === 0x0a) c = 0x0b;
      b[i] = c;
    }
    return b;
  };
  const cases: TornCase[] = [];
  const n = size(20, 200);
  for (let i = 0; i < n; i++) {
    const g = garbage(rand.int(1, 300), i % 2 === 0 ? 'bytes' : 'text');
    cases.push({ name: `garbage #${i} (${g.length} bytes)`, content: Buffer.concat([bytes, g]), keep: bytes });
  }
  for (const tail of ['{"seq":20,', '{"seq":20,"ts":1,"type":"x","job_id":"y"}', '\xff\xfe invalid utf-8', '{}']) {
    cases.push({ name: `no newline: ${JSON.stringify(tail)}`, content: Buffer.concat([bytes, Buffer.from(tail, 'latin1')]), keep: bytes });
  }
  await runCases(cases);
  report('tail-corruption/garbage', { cases: cases.length });
});

test('a whole last line that does not parse is kept: openWal continues after it, verify and readWal report it (issue 22)', async () => {
  // It ends in \n and holds no NUL: a power cut cannot make it, so it is a record the writer
  // wrote (or one damaged on disk). Cutting it used to hand its seq out again.
  const { bytes } = await baseFile();
  for (const line of ['garbage\n', '{"a":1}\n', '{"seq":20,"ts":1715800000,"type":"x"}\n', '{"seq":20,"ts":1715800000,"type":"job_started","job_id":"x"\n', '{"seq":20,"ts":1715800000,"type":"x","job_id":"y","output":{"a":1,}}\n']) {
    const dir = join(tmpDir(), 'c');
    mkdirSync(dir);
    const path = join(dir, 'wal.jsonl');
    const content = Buffer.concat([bytes, Buffer.from(line)]);
    writeFileSync(path, content);
    const v = await verify(path);
    assert.equal([v.badLines, v.tornTailBytes], [[{ file: path, offset: bytes.length }], 0], line);
    const wal = await openWal<string>(path);
    try {
      assert.is(wal.recovery, null, `${line}: nothing cut`);
      assert.is(await wal.append(ev('next')), LINES + 1, `${line}: the line holds seq ${LINES}, the next append gets ${LINES + 1}`);
    } finally {
      await wal.close();
    }
    assert.ok(readFileSync(path).subarray(0, content.length).equals(content), `${line}: kept byte for byte`);
    const seen: number[] = [];
    const reader = readWal(path, { onCorrupt: 'skip' });
    for await (const r of reader) seen.push(r.seq);
    assert.equal([seen.at(-1), reader.skipped, reader.tornBytes], [LINES + 1, 1, 0], line);
  }
});

/** The line starting at `offset` of `buf`, without its newline. */
function lineAt(buf: Buffer, offset: number): string {
  return buf.toString('utf8', offset, buf.indexOf(0x0a, offset));
}

interface Flip {
  content: Buffer;
  pos: number;
  line: number;
  /** Offset of the flipped line. */
  start: number;
  /** The flipped line still parses (its seq changed), else it does not parse at all. */
  parses: boolean;
}

/**
 * Seeded single-bit flips in the middle lines that make a line detectably bad. The format
 * has no checksum: a flip that leaves a valid record with the same seq is undetectable,
 * and not what these tests are about.
 */
function flips(bytes: Buffer, offsets: number[], seed: number, n: number): Flip[] {
  const rand = prng(seed);
  const out: Flip[] = [];
  while (out.length < n) {
    const line = rand.int(2, LINES - 3);
    const start = offsets[line]!;
    const end = offsets[line + 1]! - 1;
    const content = Buffer.from(bytes);
    const pos = rand.int(start, end - 1);
    content[pos]! ^= 1 << rand.int(0, 7);
    if (content[pos] === 0x0a) continue;
    let parses: boolean;
    try {
      if (parseLine(lineAt(content, start)).seq === line) continue;
      parses = true;
    } catch {
      parses = false;
    }
    out.push({ content, pos, line, start, parses });
  }
  return out;
}

function flipFile(f: Flip): string {
  const dir = join(tmpDir(), 'c');
  mkdirSync(dir);
  const path = join(dir, 'wal.jsonl');
  writeFileSync(path, f.content);
  return path;
}

const describeFlip = (f: Flip): string =>
  `flip at byte ${f.pos} of line ${f.line} (${f.parses ? 'seq changed' : 'unparsable'}): ${JSON.stringify(lineAt(f.content, f.start).slice(0, 60))}`;

const FLIPS = size(6, 60);

test('a bit flip in the middle: verify({ deep }) and readWal report it with its offset, openWal still opens and appends', async () => {
  const seed = runSeed('tail-corruption/bit-flip');
  const { bytes, offsets } = await baseFile();
  let unparsable = 0;
  for (const f of flips(bytes, offsets, seed, FLIPS)) {
    const path = flipFile(f);
    const what = describeFlip(f);
    const v = await verify(path, { deep: true });
    assert.not.ok(v.ok, `${what}: verify() must fail`);
    if (f.parses) {
      const at = [...v.gaps, ...v.duplicates, ...v.outOfOrder].map((x) => x.offset);
      assert.ok(at.includes(f.start) || at.includes(offsets[f.line + 1]!), `${what}: verify() points at the line (${JSON.stringify(at)})`);
    } else {
      unparsable += 1;
      assert.equal(v.badLines, [{ file: path, offset: f.start }], `${what}: verify() reports the line's file and offset`);
      assert.is(v.counts.badLines, 1);
      // readWal throws ECORRUPT at the line (after yielding the lines before it), or skips and counts it.
      let err: unknown;
      const seen: number[] = [];
      try {
        for await (const r of readWal(path)) seen.push(r.seq);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof WalError, `${what}: readWal() must throw a WalError, got ${String(err)}`);
      assert.is((err as WalError).code, 'ECORRUPT');
      assert.is((err as WalError).file, path);
      assert.is((err as WalError).offset, f.start, `${what}: readWal() reports the offset`);
      assert.equal(seen, Array.from({ length: f.line }, (_, i) => i), `${what}: readWal() yielded the lines before it`);
      const reader = readWal(path, { onCorrupt: 'skip' });
      const all: number[] = [];
      for await (const r of reader) all.push(r.seq);
      assert.is(all.length, LINES - 1);
      assert.is(reader.skipped, 1);
    }

    // openWal reads only the tail: it opens, appends after the last line, and leaves the bad line alone.
    const wal = await openWal<string>(path);
    const seq = await wal.append(ev('next'));
    await wal.close();
    assert.is(seq, LINES, `${what}: the next append continues the seq`);
    const after = readFileSync(path);
    assert.ok(after.subarray(0, f.content.length).equals(f.content), `${what}: the corrupt line must never be dropped or rewritten`);
    assert.not.ok((await verify(path, { deep: true })).ok, `${what}: still reported after the append`);
  }
  report('tail-corruption/bit-flip', { flips: FLIPS, unparsable, seq_changed: FLIPS - unparsable });
});

test('a bit flip in the middle: verify() with default options reports a line that does not parse', async () => {
  // verify's default is a shape check ({"seq":N,"ts":T, … }) for speed; a line that
  // readWal refuses (ECORRUPT) must not pass it, or verify says ok on a file that cannot be read.
  const seed = runSeed('tail-corruption/bit-flip-default-verify');
  const { bytes, offsets } = await baseFile();
  const missed: string[] = [];
  const all = flips(bytes, offsets, seed, FLIPS * 4).filter((f) => !f.parses);
  for (const f of all) {
    const path = flipFile(f);
    const v = await verify(path);
    if (v.ok || v.badLines[0]?.offset !== f.start) missed.push(describeFlip(f));
  }
  assert.equal(missed, [], `verify() passed ${missed.length} of ${all.length} unparsable lines`);
});

test.after(async () => {
  await closePool();
});

test.run();
