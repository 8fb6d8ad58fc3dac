import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveWriterOptions, isPositiveInt, DEFAULT_LOCK_STALE_MS, DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_MAX_BATCH_BYTES, DEFAULT_COMMIT_WINDOW_MS, type WriterOptions } from '../src/options.js';
import { walErrorOfSync } from './helpers.js';

test('defaults', () => {
  const want = {
    durability: 'fdatasync', lock: 'batch', lockStaleMs: DEFAULT_LOCK_STALE_MS, lockTimeoutMs: DEFAULT_LOCK_TIMEOUT_MS,
    maxBatchBytes: DEFAULT_MAX_BATCH_BYTES, commitWindowMs: DEFAULT_COMMIT_WINDOW_MS, rotate: false, faultInjection: undefined,
  };
  assert.equal(resolveWriterOptions(), want);
  assert.equal(resolveWriterOptions({}), want);
  assert.equal(resolveWriterOptions({ rotate: false, durability: undefined }), want);
  assert.is(DEFAULT_LOCK_STALE_MS, 10_000);
  assert.is(DEFAULT_LOCK_TIMEOUT_MS, 30_000);
  assert.is(DEFAULT_MAX_BATCH_BYTES, 4 * 1024 * 1024);
  assert.is(DEFAULT_COMMIT_WINDOW_MS, 5);
});

test('valid values are kept; rotate is copied, not aliased', () => {
  const rotate = { maxSizeBytes: 1000, maxRotations: 0 };
  const r = resolveWriterOptions({ durability: 'none', lock: 'exclusive', lockStaleMs: 2000, lockTimeoutMs: 1, maxBatchBytes: 1, commitWindowMs: 0, rotate, faultInjection: '/x.mjs' });
  assert.equal(r, { durability: 'none', lock: 'exclusive', lockStaleMs: 2000, lockTimeoutMs: 1, maxBatchBytes: 1, commitWindowMs: 0, rotate, faultInjection: '/x.mjs' });
  assert.is(resolveWriterOptions({ commitWindowMs: 1000 }).commitWindowMs, 1000);
  assert.ok(r.rotate !== rotate);
  assert.is(resolveWriterOptions({ durability: 'fsync' }).durability, 'fsync');
});

test('EINVAL naming the field, one check per field', () => {
  const cases: Array<[string, unknown]> = [
    ['durability', { durability: 'always' }],
    ['lock', { lock: 'none' }],
    ['lockStaleMs', { lockStaleMs: 1999 }], ['lockStaleMs', { lockStaleMs: -5 }], ['lockStaleMs', { lockStaleMs: 3000.5 }],
    ['lockTimeoutMs', { lockTimeoutMs: 0 }], ['lockTimeoutMs', { lockTimeoutMs: NaN }],
    ['maxBatchBytes', { maxBatchBytes: 0 }], ['maxBatchBytes', { maxBatchBytes: 2 ** 60 }],
    ['commitWindowMs', { commitWindowMs: -1 }], ['commitWindowMs', { commitWindowMs: 1.5 }], ['commitWindowMs', { commitWindowMs: 1001 }], ['commitWindowMs', { commitWindowMs: '2' }],
    ['rotate', { rotate: true }], ['rotate', { rotate: 5 }],
    ['rotate.maxSizeBytes', { rotate: { maxSizeBytes: -1, maxRotations: 1 } }],
    ['rotate.maxRotations', { rotate: { maxSizeBytes: 1, maxRotations: 1.5 } }],
    ['faultInjection', { faultInjection: {} }],
  ];
  for (const [field, o] of cases) {
    const err = walErrorOfSync(() => resolveWriterOptions(o as WriterOptions));
    assert.is(err.code, 'EINVAL', JSON.stringify(o));
    // The field's name is the contract (STYLE: the message names the field), not the wording.
    assert.ok(err.message.includes(`options.${field} `), err.message);
  }
  assert.is(walErrorOfSync(() => resolveWriterOptions(null as unknown as WriterOptions)).code, 'EINVAL');
});

test('isPositiveInt', () => {
  for (const v of [1, 2 ** 53 - 1]) assert.ok(isPositiveInt(v), String(v));
  for (const v of [0, -1, 1.5, NaN, Infinity, 2 ** 53, '1', null, undefined, 1n]) assert.not.ok(isPositiveInt(v), String(v));
});

test('retention: resolved into the policy, needs rotate, lifts the maxRotations requirement', () => {
  const r = resolveWriterOptions({ rotate: { maxSizeBytes: 1000 }, retention: { maxSegments: 3, maxAge: '1d', maxTotalBytes: '1MiB' } });
  assert.equal(r.retention, { maxSegments: 3, maxAgeSecs: 86_400, maxTotalBytes: 1 << 20, untilCommitted: [] });
  assert.ok(r.rotate !== false && r.rotate.maxRotations > 1e6);
  assert.is(resolveWriterOptions({ rotate: { maxSizeBytes: 1000, maxRotations: 2 }, retention: {} }).rotate !== false, true);
  assert.is(walErrorOfSync(() => resolveWriterOptions({ retention: { maxSegments: 1 } })).code, 'EINVAL');
  assert.is(walErrorOfSync(() => resolveWriterOptions({ rotate: { maxSizeBytes: 1000 }, retention: { maxSegments: 1.5 } })).code, 'EINVAL');
  assert.is(resolveWriterOptions({ rotate: { maxSizeBytes: 1000, maxRotations: 1 } }).retention, undefined);
});

test.run();
