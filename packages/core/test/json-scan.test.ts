// isJsonValue: one pass over bytes, the JSON grammar, nothing built. It must say exactly
// what JSON.parse says, or appendRaw would acknowledge a line readers refuse (issue 22).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isJsonValue } from '../src/format/json-scan.js';

const parses = (s: string): boolean => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};
const check = (s: string): boolean => {
  const b = Buffer.from(s);
  return isJsonValue(b, 0, b.length);
};

test('valid values, with the whitespace JSON allows', () => {
  for (const s of ['0', '-0', '1.5e-7', '-12E+3', 'true', 'false', 'null', '""', '"a\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9"', '[]', '{}', '[1,[2,[3]],{"a":{}}]',
    '{ "2" : 1 , "1" : [ true , null ] }', ' 7 ', '\t{"k":"ü😀"}', '{"a":"\\ud800"}']) {
    assert.ok(check(s), s);
  }
});

test('what the old first/last-character check let through is refused now', () => {
  for (const s of ['{"a":1,}', '[1,,2]', '[1,]', '{"a" 1}', '{"a":1}{"b":2}', '[1]]', '"abc\\"', '{"a":tru}', '{a:1}', '"\u0001"', '"tab\tinside"',
    '01', '1.', '.5', '-', '1e', '+1', '[1 2]', '{"a":1 "b":2}', '{,}', '[', '"', '', ' ', 'nul', 'truex', '"\\x41"', '"\\u12G4"', '{"a":}', '{"a"}']) {
    assert.not.ok(check(s), JSON.stringify(s));
    assert.not.ok(parses(s), `the test itself: ${JSON.stringify(s)} must not parse`);
  }
});

test('bytes past the range are never read as part of the value', () => {
  const b = Buffer.from('{"a":1}}]"');
  for (let end = 0; end < 7; end++) assert.not.ok(isJsonValue(b, 0, end), `end ${end}`);
  assert.ok(isJsonValue(b, 0, 7));
  const esc = Buffer.from('"ab\\"');
  assert.not.ok(isJsonValue(esc, 0, 4)); // `"ab\` then the range ends
});

test('deep nesting is fine (the container stack grows)', () => {
  const depth = 100_000;
  assert.ok(check('['.repeat(depth) + ']'.repeat(depth)));
  assert.not.ok(check('['.repeat(depth) + ']'.repeat(depth - 1)));
  assert.ok(check('{"a":'.repeat(2000) + '1' + '}'.repeat(2000)));
});

test('agrees with JSON.parse on seeded mutations of valid JSON', () => {
  let x = 0x2545f491;
  const rand = (n: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const seeds = ['{"level":30,"msg":"hello","n":[1,2.5e-7,{"a":null}],"ok":true}', '[1,"x",{},[],-0.25]', '{"k":"\\u00e9\\n","e":1E+2}', '"s"', '123'];
  const alphabet = '{}[],:"\\ 0123456789.eE+-tfnrulsa\tx';
  let tried = 0;
  let valid = 0;
  for (let round = 0; round < 20_000; round++) {
    let s = seeds[rand(seeds.length)]!;
    for (let k = rand(3) + 1; k > 0; k--) {
      const at = rand(s.length + 1);
      const op = rand(3);
      const c = alphabet[rand(alphabet.length)]!;
      s = op === 0 ? s.slice(0, at) + c + s.slice(at) : op === 1 ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + c + s.slice(at + 1);
    }
    const want = parses(s);
    assert.is(check(s), want, JSON.stringify(s));
    tried += 1;
    if (want) valid += 1;
  }
  assert.ok(valid > 1000 && tried - valid > 1000, `both kinds covered (${valid} valid of ${tried})`);
});

test.run();
