import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideRetention, retireSegments, type SegmentFactsCache } from '../src/retention/retention-apply.js';
import { resolveRetention } from '../src/retention/retention-options.js';
import { rotatedIndexes } from '../src/segments/segments.js';
import { tmpDir, lines } from './helpers.js';

/** `.3 .2 .1` hold seqs 0-4, 5-9, 10-14; `.2` also has a finished `.gz` copy beside it. */
function layout(): string {
  const path = join(tmpDir(), 'w.wal');
  for (let seg = 0; seg < 3; seg++) writeFileSync(`${path}.${3 - seg}`, lines(seg * 5, 5));
  writeFileSync(`${path}.2.gz`, 'a finished copy');
  writeFileSync(path, '');
  return path;
}

test('decideRetention judges every rotated segment; retireSegments renames the doomed prefix, pairs included', () => {
  const path = layout();
  const d = decideRetention(path, resolveRetention({ maxSegments: 1 }), 1715800000);
  assert.equal(d.segs.map((s) => [s.firstSeq, s.lastSeq]), [[0, 4], [5, 9], [10, 14]]);
  assert.is(d.doomed.length, 2);
  assert.is(d.doomed[1]!.files.length, 2);
  const trash = retireSegments(path, d.doomed);
  assert.is(trash.length, 3);
  for (const t of trash) assert.ok(existsSync(t), t);
  assert.equal(rotatedIndexes(path), [1]);
  assert.not.ok(existsSync(`${path}.2.gz`));
});

test('maxTotalBytes past an uncommitted cursor is reported per cursor; a committed one is not', () => {
  const path = layout();
  mkdirSync(`${path}.cursors`);
  writeFileSync(`${path}.cursors/done`, '{"cursor":"done","seq":14,"ts":0}\n');
  const d = decideRetention(path, resolveRetention({ maxTotalBytes: 1, retain: { untilCommitted: ['done', 'late'] } }), 1715800000);
  assert.is(d.doomed.length, 3);
  assert.equal(d.forcedPastCursors, [{ cursor: 'late', committedSeq: -1, lostFromSeq: 0, lostToSeq: 14 }]);
  assert.is(d.plan.overBudget, false);
});

test('a cursor file that does not parse is ECORRUPT, before anything is renamed', () => {
  const path = layout();
  mkdirSync(`${path}.cursors`);
  writeFileSync(`${path}.cursors/x`, 'junk');
  try {
    decideRetention(path, resolveRetention({ maxSegments: 0, retain: { untilCommitted: ['x'] } }), 1715800000);
    assert.unreachable('decided');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ECORRUPT');
  }
  assert.equal(rotatedIndexes(path), [3, 2, 1]);
});

test('the facts cache reads a segment once, re-reads one replaced by another file, and forgets the gone', () => {
  const path = layout();
  const cache: SegmentFactsCache = new Map();
  const policy = resolveRetention({ maxSegments: 10 });
  decideRetention(path, policy, 1715800000, cache);
  assert.is(cache.size, 3);
  // A rewrite (as cleanup's) is a new file under the old name: its facts must be read again.
  writeFileSync(`${path}.tmp`, lines(100, 2));
  renameSync(`${path}.tmp`, `${path}.3`);
  const d = decideRetention(path, policy, 1715800000, cache);
  assert.equal(d.segs.map((s) => [s.firstSeq, s.lastSeq]), [[100, 101], [5, 9], [10, 14]]);
  assert.is(cache.size, 3);
  retireSegments(path, d.segs.slice(0, 1));
  decideRetention(path, policy, 1715800000, cache);
  assert.is(cache.size, 2);
});

test.run();
