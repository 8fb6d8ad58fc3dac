import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planRetention, type SegmentFacts } from '../src/retention/retention-plan.js';
import type { RetentionPolicy } from '../src/retention/retention-plan.js';

const NONE: RetentionPolicy = { maxSegments: null, maxAgeSecs: null, maxTotalBytes: null, untilCommitted: [] };
/** Five segments of 100 bytes, 10 events each, the k-th (oldest first) newest ts 1000 + 100k. */
const SEGS: SegmentFacts[] = Array.from({ length: 5 }, (_, k) => ({ bytes: 100, firstSeq: k * 10, lastSeq: k * 10 + 9, lastTs: 1000 + 100 * k }));

test('no limit deletes nothing', () => {
  assert.is(planRetention(SEGS, 50, NONE, 5000, Infinity).count, 0);
});

test('maxSegments keeps the newest N', () => {
  assert.is(planRetention(SEGS, 50, { ...NONE, maxSegments: 2 }, 5000, Infinity).count, 3);
  assert.is(planRetention(SEGS, 50, { ...NONE, maxSegments: 0 }, 5000, Infinity).count, 5);
  assert.is(planRetention(SEGS, 50, { ...NONE, maxSegments: 9 }, 5000, Infinity).count, 0);
});

test('maxAge deletes the oldest prefix whose newest event is older than now - maxAge', () => {
  // cutoff 1250: segments with lastTs 1000, 1100, 1200 go
  assert.is(planRetention(SEGS, 50, { ...NONE, maxAgeSecs: 250 }, 1500, Infinity).count, 3);
  // an old segment after a newer one stays (a prefix only: seq stays gapless)
  const odd = [SEGS[0]!, { ...SEGS[1]!, lastTs: 9999 }, SEGS[2]!];
  assert.is(planRetention(odd, 0, { ...NONE, maxAgeSecs: 1 }, 5000, Infinity).count, 1);
});

test('maxTotalBytes counts the active file and deletes until under it', () => {
  // 5*100 + 50 = 550; at most 300 → delete 3 (250 left)
  const p = planRetention(SEGS, 50, { ...NONE, maxTotalBytes: 300 }, 5000, Infinity);
  assert.is(p.count, 3);
  assert.is(p.overBudget, false);
  const over = planRetention(SEGS, 400, { ...NONE, maxTotalBytes: 300 }, 5000, Infinity);
  assert.is(over.count, 5);
  assert.is(over.overBudget, true);
});

test('any combination: the strictest wins', () => {
  const p = planRetention(SEGS, 50, { ...NONE, maxSegments: 4, maxAgeSecs: 250, maxTotalBytes: 500 }, 1500, Infinity);
  assert.equal(p.due, { maxSegments: 1, maxAge: 3, maxTotalBytes: 1 });
  assert.is(p.count, 3);
});

test('a retain cursor holds back maxSegments and maxAge', () => {
  // committed up to seq 15: only segment 0 (0..9) is consumed
  const p = planRetention(SEGS, 50, { ...NONE, maxSegments: 1 }, 5000, 15);
  assert.is(p.count, 1);
  assert.is(p.heldByCursors, 3);
  assert.is(p.forced, 0);
  assert.is(planRetention(SEGS, 50, { ...NONE, maxSegments: 1 }, 5000, -1).count, 0);
});

test('maxTotalBytes wins over a cursor and says how far', () => {
  const p = planRetention(SEGS, 50, { ...NONE, maxSegments: 1, maxTotalBytes: 300 }, 5000, 9);
  assert.is(p.count, 3);
  assert.is(p.forced, 2);
  assert.is(p.heldByCursors, 1);
});

test('an empty segment is consumed; one with no readable line is not (unless no cursor waits)', () => {
  const segs: SegmentFacts[] = [{ bytes: 0, firstSeq: -1, lastSeq: -1, lastTs: 0 }, { bytes: 10, firstSeq: -1, lastSeq: -1, lastTs: 0 }, SEGS[4]!];
  assert.is(planRetention(segs, 0, { ...NONE, maxSegments: 0 }, 5000, 100).count, 1);
  assert.is(planRetention(segs, 0, { ...NONE, maxSegments: 0 }, 5000, Infinity).count, 3);
});

test.run();
