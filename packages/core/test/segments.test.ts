import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  rotatedIndexes, segmentPath, segmentPaths, metaPath, readMetaNextSeq, writeMetaNextSeq, shiftSegments,
  readWalId, ensureWalId,
} from '../src/segments/segments.js';
import { fsSeam } from '../src/util/fs-seam.js';
import { tmpDir, lines, codeOf } from './helpers.js';

/** Writes `{path}` and rotated segments with distinct contents; returns what each holds. */
function seed(path: string, rotated: number[]): Map<number, string> {
  const contents = new Map<number, string>();
  contents.set(0, `active\n`);
  writeFileSync(path, 'active\n');
  for (const i of rotated) {
    contents.set(i, `segment ${i}\n`);
    writeFileSync(segmentPath(path, i), `segment ${i}\n`);
  }
  return contents;
}

function read(path: string): string {
  return readFileSync(path, 'utf8');
}

test('segmentPath and metaPath name files as the seed does', () => {
  assert.is(segmentPath('/d/wal.jsonl', 0), '/d/wal.jsonl');
  assert.is(segmentPath('/d/wal.jsonl', 1), '/d/wal.jsonl.1');
  assert.is(segmentPath('/d/wal.jsonl', 12), '/d/wal.jsonl.12');
  assert.is(metaPath('/d/wal.jsonl'), '/d/wal.jsonl.meta');
});

test('rotatedIndexes lists existing rotated segments, oldest first', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  seed(path, [1, 2, 3, 10]);
  assert.equal(rotatedIndexes(path), [10, 3, 2, 1]);
});

test('rotatedIndexes ignores .lock, .meta, .tmp and other non-numeric suffixes, and other files', () => {
  const dir = tmpDir();
  const path = join(dir, 'wal.jsonl');
  seed(path, [1, 2]);
  mkdirSync(`${path}.lock`);
  for (const name of [
    'wal.jsonl.meta', 'wal.jsonl.meta.tmp-1-abc', 'wal.jsonl.tmp', 'wal.jsonl.1.tmp', 'wal.jsonl.0', 'wal.jsonl.01',
    'wal.jsonl.-1', 'wal.jsonl.1e3', 'wal.jsonl. 3', 'wal.jsonl.3 ', 'wal.jsonl.bak', 'wal.jsonl.', 'wal.jsonl.1.2',
    'wal.jsonl.9999999999', 'wal.jsonl2.5', 'other.jsonl.4', 'xwal.jsonl.6', 'wal.jsonl.٣',
  ]) writeFileSync(join(dir, name), 'x');
  assert.equal(rotatedIndexes(path), [2, 1]);
});

test('rotatedIndexes is empty when the directory does not exist', () => {
  assert.equal(rotatedIndexes(join(tmpDir(), 'missing', 'wal.jsonl')), []);
});

test('segmentPaths gives reading order: .N … .1, then the active file', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  seed(path, [1, 2, 3]);
  assert.equal(segmentPaths(path), [`${path}.3`, `${path}.2`, `${path}.1`, path]);
  const only = join(tmpDir(), 'wal.jsonl');
  writeFileSync(`${only}.1`, 'x');
  assert.equal(segmentPaths(only), [`${only}.1`]);
});

// ---- meta ---------------------------------------------------------------------------------

test('meta: missing reads as 0; written values read back; the larger value is kept', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  assert.is(readMetaNextSeq(path), 0);
  writeMetaNextSeq(path, 42);
  assert.is(readMetaNextSeq(path), 42);
  assert.is(read(metaPath(path)), '{"next_seq":42}\n');
  writeMetaNextSeq(path, 7);
  assert.is(readMetaNextSeq(path), 42);
  writeMetaNextSeq(path, 43);
  assert.is(readMetaNextSeq(path), 43);
  assert.equal(readdirSync(join(path, '..')).sort(), ['wal.jsonl.meta'], 'no temp files left behind');
});

test('meta: a torn meta file reads as 0', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(metaPath(path), '{"next_s');
  assert.is(readMetaNextSeq(path), 0);
});

test('meta: a short write of the meta file still records the whole value', () => {
  // Regression (found by this suite, fixed in 71360bb): writeMetaNextSeq ignored writeSync's
  // return value, so a short write left a torn meta file, fsynced and renamed over the good one.
  const path = join(tmpDir(), 'wal.jsonl');
  writeMetaNextSeq(path, 5);
  const real = fsSeam.writeSync;
  fsSeam.writeSync = (fd, buf, offset, length) => real(fd, buf, offset, Math.min(length, 4));
  try {
    writeMetaNextSeq(path, 123456);
  } finally {
    fsSeam.writeSync = real;
  }
  assert.is(readMetaNextSeq(path), 123456);
});

test('wal id: none until ensured; then stable, and kept by every later meta rewrite', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  assert.is(readWalId(path), undefined);
  writeMetaNextSeq(path, 3);
  assert.is(readWalId(path), undefined, 'an old meta file has no id and gets none from a next-seq write');
  const id = ensureWalId(path);
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.is(readMetaNextSeq(path), 3, 'making the id keeps the next seq');
  assert.is(ensureWalId(path), id);
  writeMetaNextSeq(path, 10);
  assert.is(readWalId(path), id);
  writeFileSync(path, 'x\n');
  shiftSegments(path, 2, 20);
  assert.is(readWalId(path), id, 'rotation keeps the id');
  assert.is(readMetaNextSeq(path), 20);
  assert.is(read(metaPath(path)), `{"next_seq":20,"id":"${id}"}\n`);
  const other = join(tmpDir(), 'wal.jsonl');
  assert.is.not(ensureWalId(other), id, 'each log gets its own id');
});

test('wal id: a malformed id reads as none', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(metaPath(path), '{"next_seq":4,"id":"not-hex"}\n');
  assert.is(readWalId(path), undefined);
  assert.is(readMetaNextSeq(path), 4);
});

// ---- shiftSegments ------------------------------------------------------------------------

test('shiftSegments, maxRotations 3: .1 -> .2 -> .3, the oldest beyond the limit deleted, fresh empty active', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const before = seed(path, [1, 2, 3]);
  shiftSegments(path, 3, 100);
  assert.is(read(path), '');
  assert.is(read(`${path}.1`), before.get(0));
  assert.is(read(`${path}.2`), before.get(1));
  assert.is(read(`${path}.3`), before.get(2));
  assert.not.ok(existsSync(`${path}.4`));
  assert.is(readMetaNextSeq(path), 100);
});

test('shiftSegments, maxRotations 3, with fewer segments than the limit keeps them all', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const before = seed(path, [1]);
  shiftSegments(path, 3, 1);
  assert.equal(rotatedIndexes(path), [2, 1]);
  assert.is(read(`${path}.1`), before.get(0));
  assert.is(read(`${path}.2`), before.get(1));
});

test('shiftSegments, maxRotations 1: only the just-rotated file is kept', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const before = seed(path, [1, 2]);
  shiftSegments(path, 1, 9);
  assert.equal(rotatedIndexes(path), [1]);
  assert.is(read(`${path}.1`), before.get(0));
  assert.is(read(path), '');
});

test('shiftSegments, maxRotations 0: the active file\'s events are dropped, no rotated file stays', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, lines(0, 5));
  writeFileSync(`${path}.1`, lines(0, 1));
  shiftSegments(path, 0, 5);
  assert.equal(rotatedIndexes(path), []);
  assert.is(read(path), '');
  assert.is(readMetaNextSeq(path), 5, 'the next seq survives though every event is gone');
});

test('shiftSegments repeated: contents keep moving down and fall off the end', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, 'gen0\n');
  for (let g = 1; g <= 5; g++) {
    shiftSegments(path, 3, g);
    writeFileSync(path, `gen${g}\n`);
  }
  assert.equal(rotatedIndexes(path), [3, 2, 1]);
  assert.is(read(`${path}.1`), 'gen4\n');
  assert.is(read(`${path}.2`), 'gen3\n');
  assert.is(read(`${path}.3`), 'gen2\n');
  assert.is(read(path), 'gen5\n');
});

test('shiftSegments with gaps: every existing segment moves down by one, beyond the limit deleted', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const before = seed(path, [2, 5]);
  shiftSegments(path, 4, 1);
  assert.equal(rotatedIndexes(path), [3, 1]);
  assert.is(read(`${path}.3`), before.get(2));
  assert.is(read(`${path}.1`), before.get(0));
});

test('shiftSegments when the active file is missing still leaves a fresh empty one', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(`${path}.1`, 'one\n');
  shiftSegments(path, 2, 3);
  assert.is(read(path), '');
  assert.is(read(`${path}.2`), 'one\n');
  assert.not.ok(existsSync(`${path}.1`));
});

test('shiftSegments records the next seq before it renames or deletes anything', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  seed(path, [1, 2]);
  const ops: string[] = [];
  const { renameSync, unlinkSync } = fsSeam;
  fsSeam.renameSync = (from, to) => { ops.push(`rename ${basename(from).replace(/tmp-.*/, 'tmp')} ${basename(to)}`); renameSync(from, to); };
  fsSeam.unlinkSync = (p) => { ops.push(`unlink ${basename(p)}`); unlinkSync(p); };
  try {
    shiftSegments(path, 2, 77);
  } finally {
    fsSeam.renameSync = renameSync;
    fsSeam.unlinkSync = unlinkSync;
  }
  assert.equal(ops, [
    'rename wal.jsonl.meta.tmp wal.jsonl.meta',
    'unlink wal.jsonl.2',
    'rename wal.jsonl.1 wal.jsonl.2',
    'rename wal.jsonl wal.jsonl.1',
  ]);
});

test('shiftSegments never lowers the recorded next seq', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeMetaNextSeq(path, 500);
  writeFileSync(path, 'x\n');
  shiftSegments(path, 2, 10);
  assert.is(readMetaNextSeq(path), 500);
});

test('shiftSegments leaves the lock directory and meta alone', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  seed(path, [1]);
  mkdirSync(`${path}.lock`);
  shiftSegments(path, 0, 3);
  assert.ok(statSync(`${path}.lock`).isDirectory());
  assert.ok(existsSync(metaPath(path)));
});

test('shiftSegments: EINVAL for a bad maxRotations, before touching anything', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  seed(path, [1]);
  for (const bad of [-1, 1.5, NaN, Infinity]) assert.is(codeOf(() => shiftSegments(path, bad, 1)), 'EINVAL', String(bad));
  assert.equal(rotatedIndexes(path), [1]);
  assert.is(read(path), 'active\n');
  assert.not.ok(existsSync(metaPath(path)));
});

test.run();
