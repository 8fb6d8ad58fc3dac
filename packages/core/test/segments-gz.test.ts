import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rotatedIndexes, rotatedSegmentFile, segmentPaths, shiftSegments, COMPRESSED_SUFFIX } from '../src/index.js';

const dirs: string[] = [];
function wal(): string {
  const d = mkdtempSync(join(tmpdir(), 'threadwal-seg-gz-'));
  dirs.push(d);
  return join(d, 'app.wal');
}

test('rotatedIndexes counts .N and .N.gz once; other suffixes are not segments', () => {
  const p = wal();
  for (const s of ['.1', '.2.gz', '.3', '.3.gz', '.4.gz.tmp', '.gz', '.5.zst', '.meta']) writeFileSync(p + s, 'x');
  assert.equal(rotatedIndexes(p), [3, 2, 1]);
  assert.is(rotatedSegmentFile(p, 2), `${p}.2${COMPRESSED_SUFFIX}`);
  assert.is(rotatedSegmentFile(p, 3), `${p}.3`, 'the plain file wins while both exist');
  assert.is(rotatedSegmentFile(p, 9), undefined);
  assert.equal(segmentPaths(p), [`${p}.3`, `${p}.2.gz`, `${p}.1`]);
});

test('shiftSegments moves and drops .N.gz with the plain segments, pairs together', () => {
  const p = wal();
  writeFileSync(`${p}.1`, 'one');
  writeFileSync(`${p}.2.gz`, 'two');
  writeFileSync(`${p}.3`, 'three');
  writeFileSync(`${p}.3.gz`, 'three-gz');
  writeFileSync(p, 'active');
  shiftSegments(p, 3, 10);
  assert.equal(rotatedIndexes(p), [3, 2, 1]);
  assert.is(readFileSync(`${p}.3.gz`, 'utf8'), 'two');
  assert.is(readFileSync(`${p}.2`, 'utf8'), 'one');
  assert.is(readFileSync(`${p}.1`, 'utf8'), 'active');
  assert.not.ok(existsSync(`${p}.4`) || existsSync(`${p}.4.gz`), 'index 3 (both files) was dropped');
  assert.is(readFileSync(p, 'utf8'), '');
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
test.run();
