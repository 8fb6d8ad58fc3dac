// writeRawBody: an output given as JSON text is copied byte for byte after the same head
// writeBody writes, and what would break the line framing or is not one JSON value is EINVAL.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeRawBody, roomFor } from '../src/format/body-writer.js';
import { encodeBody, encodeRawBody } from '../src/format/format.js';
import { MAX, codeOf } from './helpers.js';

const HEAD = { ts: 5, type: 'info', job_id: 'j-1' };
const OUTPUTS = [
  '{"level":30,"msg":"hé😀 \\n\\u0001","n":[1,2.5e-7,{"a":null}]}',
  '[1,"x",{}]',
  '"a string"',
  '12',
  '-0.5',
  'true',
  'null',
  '{"k":"' + 'ü'.repeat(5000) + '"}',
];

test('the same bytes as writeBody with the parsed output, for objects, arrays, strings, literals', () => {
  for (const out of OUTPUTS) {
    const want = encodeBody({ ...HEAD, output: JSON.parse(out), error: 'e' }, MAX);
    assert.is(encodeRawBody({ ...HEAD, error: 'e' }, out, MAX), want);
  }
});

test('the output bytes are kept as given, not re-serialized (key order, spacing, escapes)', () => {
  const out = '{ "2": 1, "1": "\\u00e9" }';
  assert.is(encodeRawBody(HEAD, out, MAX), `"ts":5,"type":"info","job_id":"j-1","output":${out}}\n`);
});

test('one final \\n or \\r\\n (a logger line end) is allowed and not stored; anywhere else it is EINVAL', () => {
  const want = encodeRawBody(HEAD, '{"a":1}', MAX);
  assert.is(encodeRawBody(HEAD, '{"a":1}\n', MAX), want);
  assert.is(encodeRawBody(HEAD, '{"a":1}\r\n', MAX), want);
  assert.is(encodeRawBody(HEAD, '7\n', MAX), encodeRawBody(HEAD, '7', MAX));
  for (const bad of ['{"a":1}\n\n', '\n', '{"a":1}\r', '{"a":1\r}\n', '{"a":1}\n ']) {
    assert.is(codeOf(() => encodeRawBody(HEAD, bad, MAX)), 'EINVAL', JSON.stringify(bad));
  }
});

test('every buffer size: -1 without room (nothing written past the end), else the whole body', () => {
  for (const out of [OUTPUTS[0]!, OUTPUTS[7]!]) {
    const want = Buffer.from(encodeRawBody(HEAD, out, MAX));
    for (let size = 0; size <= want.length + 8; size += size < 200 ? 1 : 97) {
      const buf = Buffer.alloc(size + 8, 0xee);
      const end = writeRawBody(HEAD, out, buf.subarray(0, size), 0, MAX);
      assert.ok(buf.subarray(size).every((x) => x === 0xee), `wrote past a buffer of ${size}`);
      if (end < 0) {
        assert.ok(size < roomFor(want.length), `refused ${size} bytes for a ${want.length}-byte body`);
        continue;
      }
      assert.ok(buf.subarray(0, end).equals(want), `size ${size}`);
    }
  }
});

test('EINVAL: not one JSON value, a raw line break, empty, not a string', () => {
  for (const bad of ['', '{', '{"a":1', '"a":1}', '[1,2', '"x', 'undefined', 'NaN', '01', '{"a":\n1}', '{"a":"\r"}', 'abc']) {
    assert.is(codeOf(() => encodeRawBody(HEAD, bad, MAX)), 'EINVAL', JSON.stringify(bad));
  }
  assert.is(codeOf(() => encodeRawBody(HEAD, 5 as unknown as string, MAX)), 'EINVAL');
});

test('EINVAL: text that starts and ends like one JSON value but is not one (issue 22: it was acknowledged, then unreadable)', () => {
  for (const bad of ['{"a":1,}', '[1,,2]', '{"a":1}{"b":2}', '"abc\\"', '{"a":tru}', '{"msg":"a\u0001b"}', '[1]]']) {
    assert.is(codeOf(() => encodeRawBody(HEAD, bad, MAX)), 'EINVAL', JSON.stringify(bad));
  }
  // Whitespace around the value is JSON, and kept as given.
  assert.is(encodeRawBody(HEAD, ' {"a":1} ', MAX), `"ts":5,"type":"info","job_id":"j-1","output": {"a":1} }\n`);
});

test('EINVAL: an event that also has an output, a bad head, or a body over maxEventBytes', () => {
  assert.is(codeOf(() => encodeRawBody({ ...HEAD, output: 1 }, '1', MAX)), 'EINVAL');
  assert.is(codeOf(() => encodeRawBody({ ts: 5, type: '', job_id: 'j' }, '1', MAX)), 'EINVAL');
  assert.is(codeOf(() => encodeRawBody(HEAD, `"${'x'.repeat(2000)}"`, 1024)), 'EINVAL');
});

test('a later writeBody is not affected by a failed writeRawBody', () => {
  assert.is(codeOf(() => encodeRawBody(HEAD, '{', MAX)), 'EINVAL');
  assert.is(encodeBody({ ...HEAD, output: { a: 1 } }, MAX), '"ts":5,"type":"info","job_id":"j-1","output":{"a":1}}\n');
});

test.run();
