// checkRecord is one-sided: when it returns a seq, parseLine must accept the line with that
// seq. Checked against parseLine as the oracle on hand-picked lines and on seeded mutations.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeLine, parseLine } from '@threadwal/core';
import { checkRecord } from '../src/verify/record-check.js';

const check = (line: string): number => {
  const b = Buffer.from(`${line}\n`);
  return checkRecord(b, 0, b.length - 1);
};
const oracle = (line: string): number => {
  try {
    return parseLine(line).seq;
  } catch {
    return -1;
  }
};

const EVENTS = [
  { ts: 1, type: 'job_started', job_id: 'a' },
  { ts: 17158, type: 'job_completed', job_id: 'j-\u2028\ud800"x\\', output: { a: [1, 2.5e-3, -0, true, null, { b: 'c' }], d: [[[]]], e: {} }, error: 'x' },
  { ts: 0, type: 't', job_id: 'j', capability: 'cap', extra: [{}, [], '', 0], nested: { 'k"': 'v' } },
];

test('accepts every line the writer writes, with its seq', () => {
  for (const [i, ev] of EVENTS.entries()) {
    const line = encodeLine(1000 + i, ev).slice(0, -1);
    assert.is(check(line), 1000 + i, line);
  }
});

test('refuses lines parseLine refuses, including ones that only look right', () => {
  const bad = [
    '{"seq":1,"ts":5,"type":"x","job_id":"j"', // no closing brace
    '{"seq":1,"ts":5,"type":"x","job_id":#j"}',
    '{"seq":1,"ts":5,"type":"x","kob_id":"j"}',
    '{"seq":1,"ts":5,"t9pe":"x","job_id":"j"}',
    '{"seq":1,"ts":5,"type":"x","job_id":"j","output":[1,}',
    '{"seq":1,"ts":5,"type":"x","job_id":"j","output":{"a":1]}',
    '{"seq":1,"ts":5,"type":"x","job_id":"j","output":01}',
    '{"seq":1,"ts":5,"type":"x","job_id":"j","output":"\\x"}',
    '{"seq":1,"ts":5,"type":"x","job_id":"j","output":"\\u12G4"}',
    '{"seq":1,"ts":5,"type":"x","job_id":"j","output":tru}',
    '{"seq":1,"ts":5,"type":"x","job_id":"j","output":1.}',
    '{"seq":1,"ts":5,"type":"x","job_id":"j"}}',
    '{"seq":1,"ts":5,"type":"x","job_id":"j","x":"a\tb"}', // a raw control character
    '{"seq":99999999999999999,"ts":5,"type":"x","job_id":"j"}', // not a safe integer
  ];
  for (const line of bad) {
    assert.is(oracle(line), -1, `oracle: ${line}`);
    assert.is(check(line), -1, line);
  }
});

test('a later "seq", "type" or escaped key would override the first: left to parseLine', () => {
  for (const line of [
    '{"seq":1,"ts":5,"type":"x","job_id":"j","seq":2}',
    '{"seq":1,"ts":5,"type":"x","job_id":"j","type":7}',
    '{"seq":1,"ts":5,"type":"x","job_id":"j","\\u0073eq":2}',
  ]) assert.is(check(line), -1, line);
});

test('seeded mutations: never a seq parseLine would not return', () => {
  let seed = 0x5eed;
  const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const alphabet = '{}[]",:0123456789-.eE+tfnrulsa\\ xbu';
  let tried = 0;
  let accepted = 0;
  for (const [i, ev] of EVENTS.entries()) {
    const base = Buffer.from(encodeLine(i, ev));
    for (let k = 0; k < 20_000; k++) {
      const b = Buffer.from(base);
      for (let j = 0, n = 1 + Math.floor(rand() * 3); j < n; j++) {
        const pos = Math.floor(rand() * (b.length - 1));
        b[pos] = rand() < 0.5 ? b[pos]! ^ (1 << Math.floor(rand() * 7)) : alphabet.charCodeAt(Math.floor(rand() * alphabet.length));
        if (b[pos] === 0x0a) b[pos] = 0x20;
      }
      const line = b.toString('utf8', 0, b.length - 1);
      if (!Buffer.from(line).equals(b.subarray(0, b.length - 1))) continue; // not valid UTF-8: the caller's check
      tried += 1;
      const seq = checkRecord(b, 0, b.length - 1);
      if (seq >= 0) accepted += 1;
      if (seq >= 0) assert.is(seq, oracle(line), line);
    }
  }
  assert.ok(tried > 30_000 && accepted > 100, `tried ${tried}, accepted ${accepted}`);
});

test.run();
