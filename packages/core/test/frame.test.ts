import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Framer, type BodyBatch } from '../src/format/frame.js';
import { encodeBody, encodeLine, parseLine } from '../src/format/format.js';
import { MAX, ev } from './helpers.js';

function batch(bodies: string[], count = bodies.length): BodyBatch {
  const buf = Buffer.from(bodies.join(''));
  return { buf, len: buf.length, count };
}

function bodiesFor(from: number, n: number): string[] {
  return Array.from({ length: n }, (_, k) => encodeBody(ev(from + k), MAX));
}

function framed(framer: Framer, batches: BodyBatch[], firstSeq: number): string {
  const { out, len } = framer.frame(batches, firstSeq);
  return out.toString('utf8', 0, len);
}

/** What the writer must produce: `{"seq":N,` + body, for consecutive N. */
function expected(bodies: string[], firstSeq: number): string {
  return bodies.map((b, k) => `{"seq":${firstSeq + k},${b}`).join('');
}

test('one batch: each line is `{"seq":N,` + its body', () => {
  const f = new Framer();
  const bodies = bodiesFor(0, 3);
  const r = f.frame([batch(bodies)], 0);
  assert.is(r.count, 3);
  assert.is(r.out.toString('utf8', 0, r.len), expected(bodies, 0));
  assert.is(r.out.toString('utf8', 0, r.len), [0, 1, 2].map((i) => encodeLine(i, ev(i))).join(''));
});

test('seq digits carry across length boundaries', () => {
  const f = new Framer();
  for (const [first, n] of [[0, 12], [8, 4], [95, 10], [998, 5], [9999, 3], [999995, 10], [99999999, 2], [9007199254740980, 11]] as const) {
    const bodies = bodiesFor(0, n);
    assert.is(framed(f, [batch(bodies)], first), expected(bodies, first), `from ${first}`);
  }
});

test('9 -> 10, 99 -> 100 and 999999 -> 1000000 inside one batch give parseable, consecutive lines', () => {
  const f = new Framer();
  for (const first of [9, 99, 999999]) {
    const text = framed(f, [batch(bodiesFor(0, 2))], first);
    const seqs = text.slice(0, -1).split('\n').map((l) => parseLine(l).seq);
    assert.equal(seqs, [first, first + 1]);
  }
});

test('several batches in one frame continue the seq from batch to batch', () => {
  const f = new Framer();
  const a = bodiesFor(0, 3);
  const b = bodiesFor(3, 1);
  const c = bodiesFor(4, 7);
  const r = f.frame([batch(a), batch(b), batch(c)], 97);
  assert.is(r.count, 11);
  assert.is(r.out.toString('utf8', 0, r.len), expected([...a, ...b, ...c], 97));
});

test('successive frames are independent: each starts at the seq it is given', () => {
  const f = new Framer();
  const a = bodiesFor(0, 5);
  assert.is(framed(f, [batch(a)], 995), expected(a, 995));
  // After the digits grew to 4, a frame back at 1 digit must not keep the extra ones.
  assert.is(framed(f, [batch(a)], 3), expected(a, 3));
  assert.is(framed(f, [batch(a)], 1000), expected(a, 1000));
});

test('a batch given with len shorter than its buffer uses only len bytes', () => {
  const f = new Framer();
  const bodies = bodiesFor(0, 2);
  const used = Buffer.from(bodies.join(''));
  const buf = Buffer.concat([used, Buffer.from('"ts":9,"type":"junk","job_id":"x"}\n')]);
  assert.is(framed(f, [{ buf, len: used.length, count: 2 }], 0), expected(bodies, 0));
});

test('bodies with multi-byte UTF-8 are copied byte for byte', () => {
  const f = new Framer();
  const bodies = [encodeBody(ev(0, { output: '🦀中é\u2028' }), MAX), encodeBody(ev(1, { note: '\ud800' }), MAX)];
  assert.is(framed(f, [batch(bodies)], 41), expected(bodies, 41));
});

test('a frame larger than the initial buffer grows it', () => {
  const f = new Framer();
  const big = encodeBody(ev(0, { output: 'x'.repeat(300_000) }), MAX);
  const bodies = [big, big, big, big, ...bodiesFor(1, 1000)];
  const r = f.frame([batch(bodies.slice(0, 2)), batch(bodies.slice(2))], 0);
  assert.ok(r.len > 1 << 20);
  assert.is(r.out.toString('utf8', 0, r.len), expected(bodies, 0));
});

test('the result is reused: a second frame() describes only its own batches', () => {
  const f = new Framer();
  const first = f.frame([batch(['{bad'], 1), batch(bodiesFor(0, 2))], 0);
  assert.equal(first.firsts, [-1, 0]);
  assert.is(first.errors[0]?.code, 'EINVAL');
  const bodies = bodiesFor(2, 1);
  const second = f.frame([batch(bodies)], 2);
  assert.ok(second === first, 'one result object per Framer: no allocation per batch');
  assert.equal(second.firsts, [2]);
  assert.equal(second.errors, [undefined]);
  assert.is(second.count, 1);
  assert.is(second.out.toString('utf8', 0, second.len), expected(bodies, 2));
});

test('an empty batch frames to nothing', () => {
  const f = new Framer();
  const r = f.frame([{ buf: Buffer.alloc(0), len: 0, count: 0 }], 5);
  assert.is(r.len, 0);
  assert.is(r.count, 0);
});

/** Frames one batch that must be rejected; returns its error code and checks it took no bytes or seqs. */
function rejectedCode(b: BodyBatch): string | undefined {
  const r = new Framer().frame([b], 0);
  assert.is(r.len, 0, 'a rejected batch takes no bytes');
  assert.is(r.count, 0, 'a rejected batch takes no seqs');
  assert.equal(r.firsts, [-1]);
  return r.errors[0]?.code;
}

test('EINVAL: a batch whose count says more events than it holds', () => {
  assert.is(rejectedCode(batch(bodiesFor(0, 2), 3)), 'EINVAL');
});

test('EINVAL: a batch whose count says fewer events than it holds', () => {
  assert.is(rejectedCode(batch(bodiesFor(0, 2), 1)), 'EINVAL');
  assert.is(rejectedCode(batch(bodiesFor(0, 1), 0)), 'EINVAL');
});

test('EINVAL: a count far too small cannot overrun the output buffer', () => {
  // Sizing trusts count; 60 000 tiny lines declared as 1 would need far more room than reserved.
  const body = '"ts":1,"type":"t","job_id":"j"}\n';
  const buf = Buffer.from(body.repeat(60_000));
  assert.is(rejectedCode({ buf, len: buf.length, count: 1 }), 'EINVAL');
});

test('EINVAL: a batch that does not end with a newline', () => {
  const torn = Buffer.from(bodiesFor(0, 2).join('').slice(0, -1));
  assert.is(rejectedCode({ buf: torn, len: torn.length, count: 2 }), 'EINVAL');
  const noNl = Buffer.from('"ts":1,"type":"t","job_id":"j"}');
  assert.is(rejectedCode({ buf: noNl, len: noNl.length, count: 1 }), 'EINVAL');
});

test('EINVAL: len cutting the last body short, even though the buffer goes on to a newline', () => {
  const buf = Buffer.from(bodiesFor(0, 2).join(''));
  assert.is(rejectedCode({ buf, len: buf.length - 1, count: 2 }), 'EINVAL');
});

test('a bad batch among good ones is left out; the good ones get consecutive seqs', () => {
  const f = new Framer();
  const a = bodiesFor(0, 2);
  const c = bodiesFor(4, 3);
  const r = f.frame([batch(a), batch(bodiesFor(2, 2), 5), batch(c), { buf: Buffer.from('x'), len: 1, count: 1 }], 40);
  assert.equal(r.firsts, [40, -1, 42, -1]);
  assert.equal(r.errors.map((e) => e?.code), [undefined, 'EINVAL', undefined, 'EINVAL']);
  assert.is(r.count, 5);
  assert.is(r.out.toString('utf8', 0, r.len), expected([...a, ...c], 40));
  // and the framer is still usable afterwards
  const bodies = bodiesFor(0, 2);
  assert.is(framed(f, [batch(bodies)], 9), expected(bodies, 9));
});

test('every batch reports its first seq', () => {
  const r = new Framer().frame([batch(bodiesFor(0, 3)), batch(bodiesFor(3, 1)), batch(bodiesFor(4, 2))], 998);
  assert.equal(r.firsts, [998, 1001, 1002]);
  assert.equal(r.errors, [undefined, undefined, undefined]);
});

test.run();
