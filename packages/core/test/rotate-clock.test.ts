import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEvery, intervalStart, RotationClock } from '../src/writer/rotate-clock.js';
import { resolveWriterOptions } from '../src/options.js';
import { tmpDir, codeOf } from './helpers.js';

const H = 3_600_000;
const D = 86_400_000;

test('parseEvery: units and milliseconds; nonsense and sub-second intervals are EINVAL', () => {
  assert.is(parseEvery('1h'), H);
  assert.is(parseEvery('1d'), D);
  assert.is(parseEvery('15m'), 15 * 60_000);
  assert.is(parseEvery('30s'), 30_000);
  assert.is(parseEvery(5000), 5000);
  for (const bad of ['1y', 'h', '', '-1h', 999, 1.5, null, {}]) assert.is(codeOf(() => parseEvery(bad)), 'EINVAL', String(bad));
});

test('intervalStart in UTC: multiples since the epoch', () => {
  const t = Date.UTC(2026, 11, 2, 10, 59, 30);
  assert.is(intervalStart(t, H, true), Date.UTC(2026, 11, 2, 10));
  assert.is(intervalStart(t, D, true), Date.UTC(2026, 11, 2));
});

test('intervalStart in local time: a day starts at local midnight', () => {
  const t = new Date(2026, 5, 15, 23, 30).getTime();
  assert.is(intervalStart(t, D, false), new Date(2026, 5, 15, 0, 0).getTime());
  assert.is(intervalStart(t, H, false), new Date(2026, 5, 15, 23, 0).getTime());
});

test('an empty file is never due; the interval starts with its first batch', () => {
  const c = new RotationClock(H, true);
  const t = Date.UTC(2026, 0, 1, 10, 30);
  assert.not.ok(c.due({ fd: 3, size: 0, reopens: 0 }, t));
  assert.not.ok(c.due({ fd: 3, size: 100, reopens: 0 }, t + 20 * 60_000), 'same hour');
  assert.ok(c.due({ fd: 3, size: 100, reopens: 0 }, t + 31 * 60_000), 'the next hour');
  c.reset();
  assert.not.ok(c.due({ fd: 3, size: 0, reopens: 0 }, t + 5 * H), 'an idle stretch rotates nothing');
});

test('a file this writer did not start: its interval comes from its first event (restart at 10:59 rotates at 11:00)', () => {
  const dir = tmpDir();
  const path = join(dir, 'w.jsonl');
  const now = Date.now();
  // first event an hour ago: the file belongs to an earlier interval than now
  writeFileSync(path, `{"seq":0,"ts":${Math.floor((now - 2 * H) / 1000)},"type":"t","job_id":"j"}\n`);
  const fd = openSync(path, 'r');
  try {
    const size = 60;
    // birth time is now (created by this test), so only a ts later than it counts: not due in this hour
    const c = new RotationClock(H, true);
    assert.not.ok(c.due({ fd, size, reopens: 0 }, now), 'old replayed ts values alone never force a rotation');
    assert.ok(new RotationClock(H, true).due({ fd, size, reopens: 0 }, now + H), 'the next hour');
    // a first ts later than the birth time moves the interval on (never past now)
    writeFileSync(path, `{"seq":0,"ts":${Math.floor((now + 10 * H) / 1000)},"type":"t","job_id":"j"}\n`);
    assert.not.ok(new RotationClock(H, true).due({ fd, size, reopens: 0 }, now));
  } finally {
    closeSync(fd);
  }
});

test('writer options: every alone, with maxSizeBytes, and bad values', () => {
  assert.equal(resolveWriterOptions({ rotate: { every: '1h' } }).rotate, { maxSizeBytes: Infinity, maxRotations: 5, everyMs: H, utc: false });
  assert.equal(resolveWriterOptions({ rotate: { every: '1d', utc: true, maxSizeBytes: 10, maxRotations: 2 } }).rotate, { maxSizeBytes: 10, maxRotations: 2, everyMs: D, utc: true });
  assert.equal(resolveWriterOptions({ rotate: { maxSizeBytes: 10, maxRotations: 2 } }).rotate, { maxSizeBytes: 10, maxRotations: 2 });
  assert.is(codeOf(() => resolveWriterOptions({ rotate: { every: '1y' } })), 'EINVAL');
  assert.is(codeOf(() => resolveWriterOptions({ rotate: { every: '1h', utc: 'yes' as never } })), 'EINVAL');
  assert.is(codeOf(() => resolveWriterOptions({ rotate: { maxRotations: 2 } })), 'EINVAL');
  assert.is(codeOf(() => resolveWriterOptions({ rotate: { every: '1h', maxSizeBytes: 0 } })), 'EINVAL');
});

test.run();
