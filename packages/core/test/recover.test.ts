import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, constants, ftruncateSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { recoverTail, lastSeqOfFile, nextSeqFor, lastNewline, type CutReason } from '../src/recovery/recover.js';
import { encodeLine } from '../src/format/format.js';
import { fsSeam } from '../src/util/fs-seam.js';
import { TORN_WINDOW } from '../src/recovery/tail-rule.js';
import { ActiveFile } from '../src/writer/log-file.js';
import { tmpDir, lines, readRecords, walErrorOf, ev } from './helpers.js';

const RW = constants.O_RDWR | constants.O_APPEND;

/** Runs recoverTail on `path` (opened read-write, append); the sizes and seq (recoverCut() has the cut). */
function recover(path: string, truncate = true): Omit<ReturnType<typeof recoverTail>, 'cut'> {
  const { cut: _cut, ...rest } = recoverCut(path, truncate);
  return rest;
}

function recoverCut(path: string, truncate = true): ReturnType<typeof recoverTail> {
  const fd = openSync(path, RW);
  try {
    return recoverTail(fd, path, { truncate });
  } finally {
    closeSync(fd);
  }
}

/** Counts the bytes read through the fs seam while `fn` runs. */
function bytesReadDuring(fn: () => void): number {
  const real = fsSeam.readSync;
  let bytes = 0;
  fsSeam.readSync = (fd, buf, offset, length, position) => {
    const n = real(fd, buf, offset, length, position);
    bytes += n;
    return n;
  };
  try {
    fn();
  } finally {
    fsSeam.readSync = real;
  }
  return bytes;
}

// ---- the torn-tail matrix ---------------------------------------------------------------

for (const [name, lastExtra] of [
  ['ASCII', {}],
  ['multi-byte UTF-8 (cuts land inside characters)', { output: '🦀中é€\u2028', note: 'ü'.repeat(3) }],
] as const) {
  test(`torn tail at every byte offset of the last line (${name}): recovered, truncated, reported, appendable`, () => {
    const dir = tmpDir();
    const good = lines(0, 5);
    const last = encodeLine(5, ev(5, lastExtra));
    const lastBytes = Buffer.from(last);
    for (let cut = 0; cut <= lastBytes.length; cut++) {
      const path = join(dir, `wal-${cut}.jsonl`);
      writeFileSync(path, Buffer.concat([Buffer.from(good), lastBytes.subarray(0, cut)]));
      const whole = cut === lastBytes.length;
      const fd = openSync(path, RW);
      try {
        const r = recoverTail(fd, path, { truncate: true });
        assert.is(r.lastSeq, whole ? 5 : 4, `cut ${cut}: lastSeq`);
        assert.is(r.tornBytes, whole ? 0 : cut, `cut ${cut}: tornBytes`);
        assert.is(r.size, Buffer.byteLength(good) + (whole ? lastBytes.length : 0), `cut ${cut}: size`);
        assert.is(statSync(path).size, r.size, `cut ${cut}: file truncated`);
        // The next line appended after recovery is clean.
        writeSync(fd, encodeLine(r.lastSeq + 1, ev(99)));
      } finally {
        closeSync(fd);
      }
      const recs = readRecords(path);
      assert.equal(recs.map((x) => x.seq), whole ? [0, 1, 2, 3, 4, 5, 6] : [0, 1, 2, 3, 4, 5], `cut ${cut}: seqs`);
      assert.is(recs.at(-1)!.job_id, 'job-99');
    }
  });
}

test('read-only recovery reports the torn bytes but leaves the file alone', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const torn = '{"seq":3,"ts":1,"ty';
  const content = lines(0, 3) + torn;
  writeFileSync(path, content);
  const r = recover(path, false);
  assert.equal(r, { size: Buffer.byteLength(content), tornBytes: torn.length, lastSeq: 2 });
  assert.is(readFileSync(path, 'utf8'), content);
});

test('a whole last line that does not parse is a record (issue 22): never cut, its seq never handed out again', () => {
  // It has its `\n` and no NUL byte: a power cut cannot make such a line, the writer wrote it
  // (an appendRaw text that passed the old first/last-character check, or a flipped byte).
  // Cutting it gave its acknowledged seq to the next event.
  for (const bad of ['{"seq":3,"ts":1,"type":"t"\n', '{"seq":3,"ts":1715800003,"type":"t","job_id":"j","output":{"a":1,}}\n']) {
    const path = join(tmpDir(), 'wal.jsonl');
    writeFileSync(path, lines(0, 3) + bad);
    const r = recoverCut(path);
    assert.is(r.lastSeq, 3, bad);
    assert.is(r.tornBytes, 0);
    assert.is(r.cut, null);
    assert.is(readFileSync(path, 'utf8'), lines(0, 3) + bad);
  }
});

test('a last line with invalid UTF-8 is a record too: kept, and so is an unparsable one after it', () => {
  // Readers report both (ECORRUPT with file and offset); recovery keeps them and continues after them.
  const path = join(tmpDir(), 'wal.jsonl');
  const bad = Buffer.concat([Buffer.from('{"seq":3,"ts":1,"type":"t","job_id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
  writeFileSync(path, Buffer.concat([Buffer.from(lines(0, 3)), bad]));
  assert.equal(recover(path), { size: Buffer.byteLength(lines(0, 3)) + bad.length, tornBytes: 0, lastSeq: 3 });

  const two = join(tmpDir(), 'wal.jsonl');
  const content = Buffer.concat([Buffer.from(lines(0, 3)), bad, Buffer.from('{"seq":4,"ts"\n')]);
  writeFileSync(two, content);
  assert.equal(recover(two), { size: content.length, tornBytes: 0, lastSeq: 4 });
  assert.ok(readFileSync(two).equals(content));
});

test('a whole last line whose seq cannot be read is a record that took the next seq', () => {
  // A flipped byte in the prefix itself: which seq it held is unknown, so it counts as the
  // one after the record before it, and the next append skips it rather than reusing it.
  for (const bad of ['{"sep":3,"ts":1,"type":"t","job_id":"j"}\n', 'not json\n']) {
    const path = join(tmpDir(), 'wal.jsonl');
    writeFileSync(path, lines(0, 3) + bad);
    assert.equal(recover(path), { size: Buffer.byteLength(lines(0, 3) + bad), tornBytes: 0, lastSeq: 3 }, bad);
  }
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, lines(0, 3) + 'bad one\nbad two\n');
  assert.is(recover(path).lastSeq, 4);
});

test('garbage after the last newline is torn', () => {
  for (const garbage of ['x', 'garbage garbage', '\u0001\u00ff', '}}}}', '{"seq":3,"ts":1,"type":"t","job_id":"j"}', '🦀'.repeat(20)]) {
    const path = join(tmpDir(), 'wal.jsonl');
    writeFileSync(path, lines(0, 3) + garbage);
    const r = recover(path);
    assert.is(r.lastSeq, 2, garbage);
    assert.is(r.tornBytes, Buffer.byteLength(garbage));
    assert.is(readFileSync(path, 'utf8'), lines(0, 3));
  }
});

for (const [name, tail] of [
  ['NUL block without a newline', Buffer.alloc(4096)],
  ['NUL block ending in a newline', Buffer.concat([Buffer.alloc(4095), Buffer.from('\n')])],
  ['several NUL lines', Buffer.concat([Buffer.alloc(100), Buffer.from('\n'), Buffer.alloc(100), Buffer.from('\n'), Buffer.alloc(50)])],
  ['a torn line then NULs', Buffer.concat([Buffer.from('{"seq":3,"ts":17158'), Buffer.alloc(8192 - 19)])],
  ['a torn line, NULs, then a newline', Buffer.concat([Buffer.from('{"seq":3,"ts":17158'), Buffer.alloc(4000), Buffer.from('\n')])],
  ['a zeroed block in the middle of a line-shaped tail', Buffer.concat([Buffer.from('{"seq":3,"ts":1,'), Buffer.alloc(600), Buffer.from('"job_id":"j"}\n'), Buffer.alloc(30), Buffer.from('\n')])],
] as const) {
  test(`zero-filled tail (${name}) is torn`, () => {
    const path = join(tmpDir(), 'wal.jsonl');
    writeFileSync(path, Buffer.concat([Buffer.from(lines(0, 3)), tail]));
    const r = recover(path);
    assert.is(r.lastSeq, 2);
    assert.is(r.tornBytes, tail.length);
    assert.is(readFileSync(path, 'utf8'), lines(0, 3));
  });
}

test('a whole file of NULs (size persisted, data not) recovers to empty', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, Buffer.alloc(10_000));
  const r = recover(path);
  assert.equal(r, { size: 0, tornBytes: 10_000, lastSeq: -1 });
});

test('empty and single-torn-line files', () => {
  const dir = tmpDir();
  writeFileSync(join(dir, 'empty'), '');
  assert.equal(recover(join(dir, 'empty')), { size: 0, tornBytes: 0, lastSeq: -1 });
  writeFileSync(join(dir, 'torn'), '{"seq":0,"ts"');
  assert.equal(recover(join(dir, 'torn')), { size: 0, tornBytes: 13, lastSeq: -1 });
  writeFileSync(join(dir, 'one'), lines(0, 1));
  assert.equal(recover(join(dir, 'one')), { size: Buffer.byteLength(lines(0, 1)), tornBytes: 0, lastSeq: 0 });
});

// ---- foreign files (issue 10, item 4): never destroy a file that is not a WAL ---------------

const FOREIGN: Array<[string, string | Buffer]> = [
  ['a two-line text file without a final newline', 'line one\nline two'],
  ['a one-line text file', 'hello world\n'],
  ['a two-line text file', 'line one\nline two\n'],
  ["another program's JSON lines (one line)", '{"level":30,"msg":"started"}\n'],
  ["another program's JSON lines, torn", '{"level":30,"msg":"started"}\n{"level":30,"ms'],
  ['a JSON object without a newline', '{"a":1}'],
  ['text before zero-filled blocks', Buffer.concat([Buffer.from('hello\n'), Buffer.alloc(100)])],
  ['a line with NULs after text that is not a record', Buffer.concat([Buffer.from('hello'), Buffer.alloc(10), Buffer.from('\n')])],
  ['zeros, then text', Buffer.concat([Buffer.alloc(10), Buffer.from('text')])],
];

for (const [name, content] of FOREIGN) {
  test(`not a WAL (${name}): ECORRUPT, the file byte for byte intact`, async () => {
    const path = join(tmpDir(), 'foreign.txt');
    writeFileSync(path, content);
    const before = readFileSync(path);
    const err = await walErrorOf(() => recover(path));
    assert.is(err.code, 'ECORRUPT');
    assert.equal(readFileSync(path), before);
  });
}

const TORN_FIRST: Array<[string, string | Buffer, CutReason]> = [
  ['a record prefix, no newline', '{"seq":0,"ts":17158', 'torn-first-batch'],
  ['a prefix of the seq key', '{"se', 'torn-first-batch'],
  ['a whole record without its newline', '{"seq":0,"ts":1,"type":"x","job_id":"j"}', 'torn-first-batch'],
  ['zeros only', Buffer.alloc(300), 'torn-first-batch'],
  ['a record prefix then zeros, with a newline', Buffer.concat([Buffer.from('{"seq":0,"ts"'), Buffer.alloc(512 - 13), Buffer.from('\n'), Buffer.alloc(5)]), 'torn-first-batch'],
];

for (const [name, content, reason] of TORN_FIRST) {
  test(`a new log torn in its first batch (${name}): cut to empty and reported`, () => {
    const path = join(tmpDir(), 'wal.jsonl');
    writeFileSync(path, content);
    const size = readFileSync(path).length;
    const r = recoverCut(path);
    assert.equal(r.cut, { file: path, bytes: size, offset: 0, reason });
    assert.is(readFileSync(path).length, 0);
  });
}

test('what was cut says how much, from where and why', () => {
  const dir = tmpDir();
  const good = lines(0, 3);
  const at = Buffer.byteLength(good);
  const cases: Array<[string, string | Buffer, number, CutReason]> = [
    ['partial', good + '{"seq":3,"ts"', 13, 'partial-line'],
    ['zeros', Buffer.concat([Buffer.from(good), Buffer.alloc(64), Buffer.from('\n')]), 65, 'zero-filled'],
  ];
  for (const [name, content, bytes, reason] of cases) {
    const path = join(dir, name);
    writeFileSync(path, content);
    assert.equal(recoverCut(path).cut, { file: path, bytes, offset: at, reason }, name);
  }
  writeFileSync(join(dir, 'clean'), good);
  assert.is(recoverCut(join(dir, 'clean')).cut, null);
});

test('a bad line in the middle of the file does not prevent opening: recovery reads only the tail', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const content = lines(0, 3) + 'this line is corrupt\n' + '\u0000\u0000\n' + lines(3, 3);
  writeFileSync(path, content);
  const r = recover(path);
  assert.equal(r, { size: Buffer.byteLength(content), tornBytes: 0, lastSeq: 5 });
  assert.is(readFileSync(path, 'utf8'), content);
});

test('two bad lines at the end (no NULs) are records: nothing truncated, both seqs used', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const content = lines(0, 3) + 'bad one\n' + 'bad two\n';
  writeFileSync(path, content);
  assert.equal(recover(path), { size: Buffer.byteLength(content), tornBytes: 0, lastSeq: 4 });
  assert.is(readFileSync(path, 'utf8'), content);
});

test('a last line longer than the 64 KiB read chunk, whole and torn', () => {
  const dir = tmpDir();
  const big = encodeLine(2, ev(2, { output: '中'.repeat(60_000) })); // ~180 KB
  writeFileSync(join(dir, 'whole'), lines(0, 2) + big);
  assert.equal(recover(join(dir, 'whole')), { size: Buffer.byteLength(lines(0, 2) + big), tornBytes: 0, lastSeq: 2 });
  const torn = Buffer.from(big).subarray(0, 150_001);
  writeFileSync(join(dir, 'torn'), Buffer.concat([Buffer.from(lines(0, 2)), torn]));
  assert.equal(recover(join(dir, 'torn')), { size: Buffer.byteLength(lines(0, 2)), tornBytes: torn.length, lastSeq: 1 });
});

test('lastNewline finds the last \\n before end, across chunks', () => {
  const path = join(tmpDir(), 'f');
  writeFileSync(path, 'a\n' + 'x'.repeat(200_000) + '\nb');
  const fd = openSync(path, constants.O_RDONLY);
  try {
    assert.is(lastNewline(fd, statSync(path).size), 200_002);
    assert.is(lastNewline(fd, 200_002), 1);
    assert.is(lastNewline(fd, 1), -1);
    assert.is(lastNewline(fd, 0), -1);
  } finally {
    closeSync(fd);
  }
});

// ---- O(tail) ----------------------------------------------------------------------------

test('opening a 256 MB file reads only its tail (the torn window)', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const head = lines(0, 3);
  const tail = '\n' + lines(1_000_000, 2);
  const size = 256 * 1024 * 1024;
  // Sparse: a few real lines, a hole, a newline and two valid lines at the very end.
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  ftruncateSync(fd, size - Buffer.byteLength(tail));
  writeSync(fd, tail, size - Buffer.byteLength(tail));
  closeSync(fd);
  assert.is(statSync(path).size, size);
  const f = new ActiveFile(path);
  const read = bytesReadDuring(() => f.open());
  try {
    assert.is(f.nextSeq, 1_000_002);
    assert.is(f.size, size);
    assert.is(f.tornBytes, 0);
    assert.ok(read < TORN_WINDOW + 512 * 1024, `read ${read} bytes of ${size}`);
  } finally {
    f.closeFd();
  }
});

test('recovering a torn tail of a large file of real lines reads only its tail', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const chunk = lines(0, 10_000); // ~1 MB of lines, repeated: seqs do not matter except the last
  const fd = openSync(path, 'w');
  for (let i = 0; i < 40; i++) writeSync(fd, chunk);
  const torn = '{"seq":10001,"ts":1,"ty';
  writeSync(fd, lines(10_000, 1) + torn);
  closeSync(fd);
  const size = statSync(path).size;
  let r: ReturnType<typeof recover> | undefined;
  const read = bytesReadDuring(() => { r = recover(path); });
  assert.is(r!.lastSeq, 10_000);
  assert.is(r!.tornBytes, torn.length);
  assert.ok(read < TORN_WINDOW + 512 * 1024, `read ${read} bytes of ${size}`);
});

// ---- nextSeqFor / lastSeqOfFile -----------------------------------------------------------

test('lastSeqOfFile: last complete line, -1 for a missing or empty file, torn tail ignored read-only', () => {
  const dir = tmpDir();
  assert.is(lastSeqOfFile(join(dir, 'missing')), -1);
  writeFileSync(join(dir, 'empty'), '');
  assert.is(lastSeqOfFile(join(dir, 'empty')), -1);
  const content = lines(10, 4) + '{"seq":14,';
  writeFileSync(join(dir, 'seg'), content);
  assert.is(lastSeqOfFile(join(dir, 'seg')), 13);
  assert.is(readFileSync(join(dir, 'seg'), 'utf8'), content);
});

test('nextSeqFor: the active file wins when it has a line', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(`${path}.1`, lines(0, 50));
  assert.is(nextSeqFor(path, 60), 61);
});

test('nextSeqFor: an empty active file continues from .1', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, '');
  writeFileSync(`${path}.2`, lines(0, 5));
  writeFileSync(`${path}.1`, lines(5, 3));
  assert.is(nextSeqFor(path, -1), 8);
});

test('nextSeqFor: skips empty and missing rotated segments back to the newest one with a line', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, '');
  writeFileSync(`${path}.1`, '');
  // .2 missing (a gap left by a crash mid-rotation)
  writeFileSync(`${path}.3`, '{"seq":1,"ts":1,"t'); // only a torn line
  writeFileSync(`${path}.4`, lines(0, 4));
  writeFileSync(`${path}.5`, lines(0, 1));
  assert.is(nextSeqFor(path, -1), 4);
});

test('nextSeqFor: 0 for a brand new path', () => {
  assert.is(nextSeqFor(join(tmpDir(), 'wal.jsonl'), -1), 0);
});

test('nextSeqFor: respects {path}.meta when every event is gone', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, '');
  writeFileSync(`${path}.meta`, '{"next_seq":1234}\n');
  assert.is(nextSeqFor(path, -1), 1234);
});

test('nextSeqFor: meta is a floor, never a ceiling', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(`${path}.meta`, '{"next_seq":10}\n');
  assert.is(nextSeqFor(path, 30), 31);
  assert.is(nextSeqFor(path, 3), 10);
  writeFileSync(`${path}.1`, lines(0, 20));
  assert.is(nextSeqFor(path, -1), 20);
});

test('nextSeqFor: a torn or foreign meta file is ignored', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(`${path}.1`, lines(0, 7));
  for (const meta of ['{"next_se', '', 'null', '{"next_seq":-5}', '{"next_seq":"99"}', '{"next_seq":1.5}', '\u0000\u0000']) {
    writeFileSync(`${path}.meta`, meta);
    assert.is(nextSeqFor(path, -1), 7, meta);
  }
});

test('ActiveFile.open truncates the torn tail and continues the seq (the writer open path)', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const torn = '{"seq":4,"ts":';
  writeFileSync(path, lines(0, 4) + torn);
  const f = new ActiveFile(path);
  f.open();
  try {
    assert.is(f.nextSeq, 4);
    assert.is(f.tornBytes, torn.length);
    assert.is(f.size, Buffer.byteLength(lines(0, 4)));
    f.write(Buffer.from(lines(4, 1)), Buffer.byteLength(lines(4, 1)));
  } finally {
    f.closeFd();
  }
  assert.equal(readRecords(path).map((r) => r.seq), [0, 1, 2, 3, 4]);
});

test.run();
