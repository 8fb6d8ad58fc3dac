// writeBody writes into a caller's buffer: with too little room it must say so (-1) and
// never write past the end; with enough it writes exactly encodeBody's bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeBody, roomFor } from '../src/format/body-writer.js';
import { encodeBody } from '../src/format/format.js';
import { MAX } from './helpers.js';

const EVENTS = [
  { ts: 5, type: 'job_started', job_id: 'j-1' },
  { ts: 5, type: 'тип', job_id: '作业-😀', output: { s: 'a\nb"c\\\u0001\u2028', lone: '\ud800x', n: [-1.5e-7, 0, 12345678901234] }, error: 'é' },
  { ts: 5, type: 't', job_id: 'j', extra: 'x'.repeat(300), more: { deep: [[{ a: null }]] } },
];

test('every buffer size: -1 without room (nothing written past the end), else exactly encodeBody', () => {
  for (const ev of EVENTS) {
    const want = Buffer.from(encodeBody(ev, MAX));
    for (let size = 0; size <= want.length * 3 + 16; size++) {
      const buf = Buffer.alloc(size + 8, 0xee);
      const end = writeBody(ev, buf.subarray(0, size), 0, MAX);
      assert.ok(buf.subarray(size).every((x) => x === 0xee), `wrote past a buffer of ${size}`);
      if (end < 0) {
        assert.ok(size < roomFor(want.length), `refused ${size} bytes for a ${want.length}-byte body`);
        continue;
      }
      assert.is(end, want.length);
      assert.ok(buf.subarray(0, end).equals(want), `size ${size}`);
    }
  }
});

test('writes at an offset and leaves what is before it alone', () => {
  const buf = Buffer.alloc(1024, 0x41);
  const end = writeBody(EVENTS[0], buf, 100, MAX);
  assert.ok(buf.subarray(0, 100).every((x) => x === 0x41));
  assert.is(buf.toString('utf8', 100, end), encodeBody(EVENTS[0], MAX));
});

test('an ASCII event needs no more room than its size', () => {
  const want = Buffer.from(encodeBody(EVENTS[2], MAX));
  assert.is(writeBody(EVENTS[2], Buffer.alloc(want.length), 0, MAX), want.length);
});

test.run();
