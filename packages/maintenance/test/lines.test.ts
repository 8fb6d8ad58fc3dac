import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BadRun, badLineMessage } from '../src/read/lines.js';
import { peekTs } from '@threadwal/core';

const b = (s: string): Buffer => Buffer.from(s);

test('peekTs reads ts of a line in the writer shape', () => {
  const l = b('{"seq":12,"ts":1715800000,"type":"x","job_id":"j"}');
  assert.is(peekTs(l, 0, l.length), 1715800000);
});

test('peekTs returns -1 for other shapes', () => {
  for (const s of ['{"seq":1,"type":"x","ts":5}', '{"seq":1,"ts":"5"}', '{"seq":1,"ts":}', '{"ts":5,"seq":1}', '{"seq":1,"ts":-5,"type":"x"}']) {
    const l = b(s);
    assert.is(peekTs(l, 0, l.length), -1, s);
  }
});

test('BadRun: the first line of a run and why it is bad', () => {
  const r = new BadRun();
  r.add(10, { checksum: { expected: '00000001', actual: '00000002' } });
  r.add(20);
  assert.equal([r.first, r.count, r.why], [10, 2, { checksum: { expected: '00000001', actual: '00000002' } }]);
  r.clear();
  assert.equal([r.first, r.count, r.why], [-1, 0, undefined]);
});

test('badLineMessage: a checksum mismatch says so, with both values; anything else does not parse', () => {
  assert.is(badLineMessage('/w', 5, { checksum: { expected: 'aaaaaaaa', actual: 'bbbbbbbb' } }), 'checksum mismatch at /w:5 (crc32c expected aaaaaaaa, actual bbbbbbbb)');
  assert.is(badLineMessage('/w', 5, undefined), 'line does not parse at /w:5');
});

test.run();
