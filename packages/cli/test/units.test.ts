import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UnitParseError, formatDuration, formatRate, formatSize, parseCount, parseDuration, parseSize } from '../src/units.js';

test('sizes: binary for bare letters and iB, SI for B, bytes for bare numbers', () => {
  assert.is(parseSize('64MiB'), 64 * 1024 * 1024);
  assert.is(parseSize('1.5GB'), 1_500_000_000);
  assert.is(parseSize('512k'), 512 * 1024);
  assert.is(parseSize('512K'), 512 * 1024);
  assert.is(parseSize('10kB'), 10_000);
  assert.is(parseSize('2m'), 2 * 1024 * 1024);
  assert.is(parseSize('1TiB'), 1024 ** 4);
  assert.is(parseSize('4096'), 4096);
  assert.is(parseSize('100B'), 100);
  assert.is(parseSize(' 8 MiB '), 8 * 1024 * 1024);
  assert.is(parseSize('0.5k'), 512);
  // Exact decimal arithmetic, not floats rounded down.
  assert.is(parseSize('1.005kB'), 1005);
  assert.is(parseSize('2.01kB'), 2010);
  assert.is(parseSize('1.001MB'), 1_001_000);
  assert.is(parseSize('.5KiB'), 512);
});

test('a size that is not a whole number of bytes is an error, not rounded', () => {
  for (const bad of ['1.5', '0.3k', '1.0001kB', '0.1B']) {
    assert.throws(() => parseSize(bad), (e: unknown) => e instanceof UnitParseError && /whole number of bytes/.test(e.reason), bad);
  }
  assert.is(parseSize('1.0'), 1);
});

test('bad sizes throw UnitParseError (kind size, code EINVAL)', () => {
  for (const bad of ['', 'abc', '64XB', '1Mi', 'iB', '-5k', '1.2.3M', 'MiB', '5 k b', '1e3']) {
    try {
      parseSize(bad);
      assert.unreachable(`${JSON.stringify(bad)} parsed`);
    } catch (err) {
      assert.instance(err, UnitParseError, JSON.stringify(bad));
      assert.is((err as UnitParseError).kind, 'size');
      assert.is((err as UnitParseError).code, 'EINVAL');
    }
  }
  assert.throws(() => parseSize('99999999999PB'), (e: unknown) => e instanceof UnitParseError);
});

test('durations: units add up; a bare number is seconds', () => {
  assert.is(parseDuration('7d'), 7 * 86_400);
  assert.is(parseDuration('12h'), 12 * 3600);
  assert.is(parseDuration('30m'), 1800);
  assert.is(parseDuration('45s'), 45);
  assert.is(parseDuration('1h30m'), 5400);
  assert.is(parseDuration('2w'), 14 * 86_400);
  assert.is(parseDuration('1.5h'), 5400);
  assert.is(parseDuration('250ms'), 0.25);
  assert.is(parseDuration('90'), 90);
  assert.is(parseDuration('7D'), 7 * 86_400);
});

test('bad durations throw UnitParseError (kind duration)', () => {
  for (const bad of ['', 'd', '7x', '7 days', '-1h', '1h-', 'h1', '1y']) {
    assert.throws(() => parseDuration(bad), (e: unknown) => e instanceof UnitParseError && e.kind === 'duration', JSON.stringify(bad));
  }
});

test('counts are whole numbers >= 0', () => {
  assert.is(parseCount('0'), 0);
  assert.is(parseCount('123'), 123);
  for (const bad of ['-1', '1.5', 'x', '', '99999999999999999999']) {
    assert.throws(() => parseCount(bad), (e: unknown) => e instanceof UnitParseError && e.kind === 'integer', JSON.stringify(bad));
  }
});

test('formatting for people', () => {
  assert.is(formatSize(512), '512 B');
  assert.is(formatSize(1536), '1.5 KiB');
  assert.is(formatSize(64 * 1024 * 1024), '64.0 MiB');
  assert.is(formatDuration(45), '45s');
  assert.is(formatDuration(5400), '1h30m');
  assert.is(formatDuration(7 * 86_400), '7d');
  assert.is(formatDuration(0.25), '250ms');
});

test('formatRate picks a unit that fits: small inputs never print 0 MB/s', () => {
  assert.is(formatRate(300_000, 1), '300 kB/s');
  assert.is(formatRate(25_000, 1), '25.0 kB/s');
  assert.is(formatRate(512, 1), '512 B/s');
  assert.is(formatRate(3_200_000, 1), '3.2 MB/s');
  assert.is(formatRate(412e6, 1), '412 MB/s');
  assert.is(formatRate(2.5e9, 1), '2.5 GB/s');
  assert.is(formatRate(1000, 0), '-');
});

test.run();
