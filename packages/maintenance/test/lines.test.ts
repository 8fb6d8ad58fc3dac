import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BadRun } from '../src/read/lines.js';
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

test('BadRun: nothing held means the torn tail is only the fragment', () => {
  const r = new BadRun();
  assert.equal(r.atEnd(100), { corrupt: 0, tornStart: 100 });
});

test('BadRun: a bad last line is torn; NUL lines before it are torn too', () => {
  const r = new BadRun();
  r.add(10, 20, true);
  r.add(20, 30, true);
  r.add(30, 40, false);
  assert.equal(r.atEnd(40), { corrupt: 0, tornStart: 10 });
});

test('BadRun: a bad line without NUL before the last one is corruption, the rest torn', () => {
  const r = new BadRun();
  r.add(10, 20, false);
  r.add(20, 30, true);
  r.add(30, 40, false);
  assert.equal(r.atEnd(40), { corrupt: 1, tornStart: 20 });
});

test('BadRun: clear forgets everything', () => {
  const r = new BadRun();
  r.add(10, 20, false);
  r.add(20, 30, false);
  r.clear();
  assert.is(r.count, 0);
  assert.equal(r.atEnd(50), { corrupt: 0, tornStart: 50 });
});

test.run();
