import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32c, checkLineChecksum, Stamper, CHECKSUM_BYTES } from '../src/format/checksum.js';
import { parseLine } from '../src/format/format.js';
import { resolveWriterOptions } from '../src/options.js';
import { codeOf } from './helpers.js';

test('crc32c: the standard check value and chaining', () => {
  const b = Buffer.from('123456789');
  assert.is(crc32c(b, 0, b.length), 0xe3069283);
  assert.is(crc32c(b, 4, 9, crc32c(b, 0, 4)), 0xe3069283);
  assert.is(crc32c(b, 0, 0), 0);
});

const batch = (lines: string[]): Buffer => Buffer.from(lines.map((l) => `${l}\n`).join(''));

test('stamped lines still parse (the field is an extra one after the seed\'s) and check ok', () => {
  const src = batch(['{"seq":0,"ts":1,"type":"job_started","job_id":"a"}', '{"seq":1,"ts":2,"type":"job_done","job_id":"b","output":{"x":[1,2]}}']);
  const { out, len } = new Stamper().stamp(src, src.length, 2);
  assert.is(len, src.length + 2 * CHECKSUM_BYTES);
  const lines = out.toString('utf8', 0, len).split('\n').slice(0, -1);
  assert.match(lines[0]!, /^\{"seq":0,"ts":1,"type":"job_started","job_id":"a","crc32c":"[0-9a-f]{8}"\}$/);
  for (const l of lines) {
    const b = Buffer.from(l);
    assert.is(checkLineChecksum(b, 0, b.length), 'ok');
    assert.is(parseLine(l).seq >= 0, true);
  }
  // the checksum is that of the line without the field
  const plain = Buffer.from('{"seq":0,"ts":1,"type":"job_started","job_id":"a"}');
  assert.is(lines[0]!.slice(-10, -2), crc32c(plain, 0, plain.length).toString(16).padStart(8, '0'));
});

test('a flipped byte that still parses is caught; lines without the field are "none"', () => {
  const src = batch(['{"seq":7,"ts":1715800000,"type":"job_started","job_id":"job-1"}']);
  const { out, len } = new Stamper().stamp(src, src.length, 1);
  const line = Buffer.from(out.subarray(0, len - 1));
  for (const at of [7, 15, line.indexOf('job-1') + 4]) {
    const bad = Buffer.from(line);
    bad[at] = bad[at]! === 0x31 ? 0x32 : 0x31;
    assert.is(checkLineChecksum(bad, 0, bad.length), 'bad', `byte ${at}`);
  }
  const none = Buffer.from('{"seq":7,"ts":1,"type":"t","job_id":"j","crc32c":"nothex!!"}');
  assert.is(checkLineChecksum(none, 0, none.length), 'none');
  const plain = Buffer.from('{"seq":7,"ts":1,"type":"t","job_id":"j"}');
  assert.is(checkLineChecksum(plain, 0, plain.length), 'none');
});

test('writer option: crc32c or false; anything else EINVAL; absent when off', () => {
  assert.is(resolveWriterOptions({ checksum: 'crc32c' }).checksum, 'crc32c');
  assert.not.ok('checksum' in resolveWriterOptions({}));
  assert.not.ok('checksum' in resolveWriterOptions({ checksum: false }));
  assert.is(codeOf(() => resolveWriterOptions({ checksum: 'md5' as never })), 'EINVAL');
});

test.run();
