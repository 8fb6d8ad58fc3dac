// Issue 7, item 9: random byte sequences and mutated valid files never crash or hang
// readWal or verify. Each input is a set of segment files ({path}, {path}.1, … as core's
// segmentPath names them), generated from a seeded PRNG (one stream per input, so an input
// replays alone with THREADWAL_SEED and THREADWAL_FUZZ_INDEX):
//   1. pure random bytes (0..64 KiB; NULs, invalid UTF-8, digit runs, deep nesting, tokens),
//   2. a valid WAL written once through openWal, then mutated (bit flips, inserted and
//      deleted bytes, truncation, duplicated/swapped/deleted lines, spliced bytes, zeroed
//      blocks, and lines replaced by almost-records: seq 1e309, negative, fractional,
//      unsafe or string seqs, JSON that is not an object, missing fields, …),
//   3. several segments whose seq ranges are out of order, overlap, repeat or skip, some
//      of them mutated, torn or random, with a `.meta` and stray files beside them.
// For every input verify() and verify({ deep: true }) must resolve, readWal must finish or
// throw WalError ECORRUPT with its file and offset, and readWal({ onCorrupt: 'skip' }) must
// finish; each within HANG_MS (readWal runs in a worker thread of its own, so even a
// synchronous loop is caught and the thread terminated). What the skip-mode reader yields
// is then checked against the deep verify's report: deep verify and readWal apply the same
// rules (JSON.parse plus the record check per line, the same torn-tail rule), so its event
// count, bad-line count, torn bytes, gaps, duplicates and out-of-order seqs must be exactly
// what the reader saw. verify's default mode proves lines in the writer's shape valid byte
// by byte and JSON.parses the rest; it must find exactly what deep finds (VerifyOptions).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openWal } from '@threadwal/client';
import { recoverTail, segmentPath, WalError } from '@threadwal/core';
import { verify, closePool, type VerifyReport } from '@threadwal/maintenance';
import { tmpDir, report, size, prng, runSeed, within, ev, fixture } from './helpers.js';
import type { ReadResult } from './fixtures/fuzz-reader.js';

type Rand = ReturnType<typeof prng>;

/** Longest any one verify or read of an input (at most a few hundred KiB) may take before it counts as a hang. */
const HANG_MS = 20_000;
const MAX_RANDOM_BYTES = 64 * 1024;
/** THREADWAL_FUZZ_INDEX=i runs only input i of each test (with THREADWAL_SEED, a failure's replay). */
const ONLY = process.env.THREADWAL_FUZZ_INDEX === undefined ? undefined : Number(process.env.THREADWAL_FUZZ_INDEX);

// ---- inputs ------------------------------------------------------------------------------

interface Input {
  /** What was generated, for failure messages. */
  label: string;
  /** Index 0 is `{path}`, N is `{path}.N`. */
  segments: Array<{ index: number; bytes: Buffer }>;
  /** Content of `{path}.meta`, if any. */
  meta?: Buffer;
  /** Files beside the WAL that are not segments (`{path}<suffix>`): every reader must ignore them. */
  strays?: Array<{ suffix: string; bytes: Buffer }>;
  /** Valid as written (torn tail of the active file at most): verify must be ok and readWal must not throw. */
  pristine?: boolean;
}

/** The PRNG of input `i` of a run: inputs do not depend on each other, so one replays alone. */
const inputRand = (seed: number, i: number): Rand => prng((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);

/** A length in 0..64 KiB, log-uniform (short inputs are as interesting as long ones). */
function randomLength(r: Rand): number {
  if (r.next() < 0.05) return 0;
  return Math.min(MAX_RANDOM_BYTES, Math.floor(2 ** (r.next() * 16)));
}

const INVALID_UTF8: readonly number[][] = [
  [0xff], [0xfe, 0xff], [0x80], [0xc0, 0x80], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80], [0xe0, 0x80, 0xaf], [0xf0, 0x9f, 0x98],
];
const TOKENS: readonly string[] = [
  '{"seq":', ',"ts":', '"type":"job_started"', ',"job_id":"j"', '}', '}\n', '\n', '{', '[', ']', ',', ':', '"', '\\', '\\u', '\\ud800',
  '0', '1', '7', '42', '-', '.', 'e', '1e309', '-0', '9007199254740993', 'null', 'true', 'false', ' ', '\t', '\r', '\u0000',
  'ü', '😀', '\u2028', '{"seq":0,"ts":1,"type":"x","job_id":"y"}\n', '"output":', '"__proto__":',
];

type RandomKind = 'bytes' | 'text' | 'tokens' | 'nul' | 'digits' | 'nesting' | 'utf8';
const RANDOM_KINDS: readonly RandomKind[] = ['bytes', 'text', 'tokens', 'nul', 'digits', 'nesting', 'utf8'];

/** `len` bytes (about) of one kind of noise. */
function noise(r: Rand, kind: RandomKind, len: number): Buffer {
  switch (kind) {
    case 'bytes': {
      const b = Buffer.alloc(len);
      for (let i = 0; i < len; i++) b[i] = r.int(0, 255);
      return b;
    }
    case 'text': {
      const b = Buffer.alloc(len);
      const nlEvery = r.pick([0, 8, 40, 400]); // 0: no newline at all
      for (let i = 0; i < len; i++) b[i] = nlEvery && r.int(1, nlEvery) === 1 ? 0x0a : r.int(0x20, 0x7e);
      return b;
    }
    case 'tokens': {
      const parts: Buffer[] = [];
      let n = 0;
      while (n < len) {
        const t = r.next() < 0.05 ? Buffer.from(r.pick(INVALID_UTF8)) : Buffer.from(r.pick(TOKENS));
        parts.push(t);
        n += t.length;
      }
      return Buffer.concat(parts);
    }
    case 'nul': {
      const b = Buffer.alloc(len);
      for (let i = 0; i < len; i++) {
        const x = r.next();
        if (x < 0.01) b[i] = 0x0a;
        else if (x < 0.02) b[i] = r.int(1, 255);
      }
      return b;
    }
    case 'digits': {
      const prefix = r.pick(['', '{"seq":', '{"seq":1,"ts":', '{"seq":-', '{"seq":0.', '{"seq":1e']);
      const digits = Buffer.alloc(Math.max(0, len - prefix.length));
      for (let i = 0; i < digits.length; i++) digits[i] = r.int(0x30, 0x39);
      const suffix = r.pick(['', '\n', ',"ts":1,"type":"x","job_id":"y"}\n', '}\n']);
      return Buffer.concat([Buffer.from(prefix), digits, Buffer.from(suffix)]);
    }
    case 'nesting': {
      const prefix = r.pick(['', '{"seq":0,"ts":1,"type":"x","job_id":"y","output":', '{"seq":0,"ts":1,"output":']);
      const open = r.pick(['[', '{"a":', '[{"a":']);
      const depth = Math.max(1, Math.floor(len / open.length));
      const close = open === '[' ? ']' : open === '{"a":' ? '}' : '}]';
      const balanced = r.next() < 0.5;
      const body = open.repeat(depth) + (balanced ? `0${close.repeat(depth)}` : '');
      return Buffer.from(prefix + body + (balanced && prefix ? '}' : '') + r.pick(['', '\n']));
    }
    case 'utf8': {
      const parts: Buffer[] = [];
      let n = 0;
      let seq = 0;
      while (n < len) {
        const bad = Buffer.from(r.pick(INVALID_UTF8));
        const t = r.next() < 0.5
          ? Buffer.concat([Buffer.from(`{"seq":${seq++},"ts":1,"type":"x","job_id":"a`), bad, Buffer.from('"}\n')])
          : Buffer.concat([Buffer.from(r.pick(['ü€', 'text ', '😀', '\n'])), bad]);
        parts.push(t);
        n += t.length;
      }
      return Buffer.concat(parts);
    }
  }
}

/** Events with everything the format holds: escapes, multi-byte UTF-8, U+2028, lone surrogates, nesting, extras. */
function baseEvents(): Array<Record<string, unknown>> {
  const outputs: unknown[] = [
    undefined, { rows: 42 }, 'ü€😀 "q" \\ \u2028\u2029', [1, 2.5, -3e-7, null, true, 'x'], { nested: { a: [{ b: [] }] } },
    '\udc00 lone', 'line\nbreak\ttab\u0000nul', 1e21, '', { '': { ' ': [[[]]] } },
  ];
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 40; i++) {
    const e: Record<string, unknown> = ev(`e-${i}-${'ü'.repeat(i % 3)}`, { ts: i % 7 === 0 ? Number.MAX_SAFE_INTEGER : 1715800000 + i });
    if (outputs[i % outputs.length] !== undefined) e.output = outputs[i % outputs.length];
    if (i % 5 === 0) e.error = `failed: "${i}"\n`;
    if (i % 6 === 0) e['extra "key" ü'] = { attempt: i };
    if (i % 4 === 0) delete e.capability;
    out.push(e);
  }
  return out;
}

let bodiesOnce: Promise<Buffer[]> | undefined;

/**
 * The bodies (everything after `{"seq":N,`) of lines the writer really wrote: a WAL is
 * written once through openWal; any seq range is then made by prefixing `{"seq":N,`.
 */
function bodies(): Promise<Buffer[]> {
  bodiesOnce ??= (async () => {
    const path = join(tmpDir(), 'base.jsonl');
    const wal = await openWal<string>(path);
    const events = baseEvents();
    for (const e of events) await wal.append(e as never);
    await wal.close();
    const bytes = readFileSync(path);
    const out: Buffer[] = [];
    for (let s = 0; s < bytes.length;) {
      const nl = bytes.indexOf(0x0a, s);
      out.push(bytes.subarray(bytes.indexOf(0x2c, s) + 1, nl + 1)); // after `{"seq":N,`, with its `\n`
      s = nl + 1;
    }
    assert.is(out.length, events.length);
    return out;
  })();
  return bodiesOnce;
}

/** Valid lines with seqs from, from+1, … (bodies picked at random). */
function validLines(r: Rand, body: Buffer[], from: number, count: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) parts.push(Buffer.from(`{"seq":${from + i},`), r.pick(body));
  return Buffer.concat(parts);
}

/** Lines of `b` (each with its `\n`; the last may be an unterminated fragment). */
function splitLines(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let s = 0;
  while (s < b.length) {
    const nl = b.indexOf(0x0a, s);
    const e = nl < 0 ? b.length : nl + 1;
    out.push(b.subarray(s, e));
    s = e;
  }
  return out;
}

/** Lines that look like, or almost like, records: every way a seq, a field or the object itself can be wrong. */
const NASTY: ReadonlyArray<(s: number, r: Rand) => string | Buffer> = [
  () => '{"seq":1e309,"ts":1,"type":"x","job_id":"y"}',
  (s) => `{"seq":${-s - 1},"ts":1,"type":"x","job_id":"y"}`,
  () => '{"seq":-0,"ts":1,"type":"x","job_id":"y"}',
  (s) => `{"seq":${s}.5,"ts":1,"type":"x","job_id":"y"}`,
  (s) => `{"seq":${s}.0,"ts":1,"type":"x","job_id":"y"}`,
  (s) => `{"seq":${s}e0,"ts":1,"type":"x","job_id":"y"}`,
  (s) => `{"seq":0${s},"ts":1,"type":"x","job_id":"y"}`,
  () => '{"seq":9007199254740991,"ts":1,"type":"x","job_id":"y"}',
  () => '{"seq":9007199254740992,"ts":1,"type":"x","job_id":"y"}',
  () => '{"seq":9999999999999999,"ts":1,"type":"x","job_id":"y"}',
  (_s, r) => `{"seq":${'9'.repeat(r.int(17, 2000))},"ts":1,"type":"x","job_id":"y"}`,
  (s) => `{"seq":"${s}","ts":1,"type":"x","job_id":"y"}`,
  () => '{"seq":null,"ts":1,"type":"x","job_id":"y"}',
  (s) => `{"seq":${s},"ts":-5,"type":"x","job_id":"y"}`,
  (s) => `{"seq":${s},"ts":1.5,"type":"x","job_id":"y"}`,
  (s) => `{"seq":${s},"ts":1e309,"type":"x","job_id":"y"}`,
  (s) => `{"seq":${s},"ts":"1","type":"x","job_id":"y"}`,
  (s) => `{"seq":${s},"ts":99999999999999999999,"type":"x","job_id":"y"}`,
  (s) => `{"seq":${s},"type":"x","job_id":"y"}`,
  (s) => `{"seq":${s},"ts":1,"job_id":"y"}`,
  (s) => `{"seq":${s},"ts":1,"type":"x"}`,
  (s) => `{"seq":${s},"ts":1,"type":5,"job_id":"y"}`,
  (s) => `{"seq":${s},"ts":1,"type":"x","job_id":{}}`,
  (s) => `{"ts":1,"type":"x","job_id":"y","seq":${s}}`,
  (s, r) => `{"seq":${s},"ts":1,"type":"x","job_id":"y","seq":${s + r.int(-3, 3)}}`,
  () => '{"ts":1,"type":"x","job_id":"y"}',
  () => '{}',
  () => '[]',
  () => 'null',
  () => '0',
  () => '"str"',
  () => 'true',
  (s) => `[{"seq":${s},"ts":1,"type":"x","job_id":"y"}]`,
  () => '',
  () => '   \t',
  (s) => `{"seq":${s},"ts":1,"type":"x","job_id":"y"}garbage`,
  (s) => `{"seq":${s},"ts":1,"type":"x","job_id":"y"}}`,
  (s) => `{"seq":${s},"ts":1,"type":"x" "job_id":"y"}`,
  (s) => `{"seq":${s},"ts":1,"type":"x","job_id":"y"`,
  (s) => `{"seq":${s},"ts":1,"type":"x","job_id":"y",}`,
  (s) => `  {"seq":${s},"ts":1,"type":"x","job_id":"y"}  `,
  (s) => `{"seq":${s},"ts":1,"type":"x","job_id":"y"}\r`,
  (s) => `\ufeff{"seq":${s},"ts":1,"type":"x","job_id":"y"}`,
  (s) => `{"__proto__":{"seq":1},"seq":${s},"ts":1,"type":"x","job_id":"y"}`,
  (s) => `{"seq":${s},"ts":1,"type":"x","job_id":"a\u0000b"}`,
  (s) => `{"seq":${s},"ts":1,"type":"x","job_id":"\\ud800"}`,
  (s, r) => { const d = r.int(1000, 50_000); return `{"seq":${s},"ts":1,"type":"x","job_id":"y","output":${'['.repeat(d)}${']'.repeat(d)}}`; },
  (s, r) => { const d = r.int(1000, 50_000); return `{"seq":${s},"ts":1,"type":"x","job_id":"y","output":${'{"a":'.repeat(d)}1${'}'.repeat(d)}}`; },
  (s, r) => `{"seq":${s},"ts":1,"type":"x","job_id":"y","output":"${'x'.repeat(r.int(64 * 1024, 600 * 1024))}"}`,
  (s, r) => Buffer.concat([Buffer.from(`{"seq":${s},"ts":1,"type":"x","job_id":"`), Buffer.from(r.pick(INVALID_UTF8)), Buffer.from('"}')]),
];

function nastyLine(r: Rand, seq: number): Buffer {
  const v = r.pick(NASTY)(seq, r);
  return Buffer.concat([typeof v === 'string' ? Buffer.from(v) : v, Buffer.from('\n')]);
}

/** A seq near the ones in `b` (from its first line, when that has one). */
function seqNear(b: Buffer, r: Rand): number {
  const m = /^\{"seq":(\d{1,15}),/.exec(b.toString('latin1', 0, 40));
  return Math.max(0, (m ? Number(m[1]) : 0) + r.int(-2, 40));
}

const pos = (b: Buffer, r: Rand): number => r.int(0, b.length);

/** Mutations of a buffer; each returns a new buffer. */
const MUTATIONS: Record<string, (b: Buffer, r: Rand) => Buffer> = {
  bitflip: (b, r) => {
    const c = Buffer.from(b);
    for (let k = r.int(1, 4); k > 0 && c.length > 0; k--) c[r.int(0, c.length - 1)]! ^= 1 << r.int(0, 7);
    return c;
  },
  insertBytes: (b, r) => { const p = pos(b, r); return Buffer.concat([b.subarray(0, p), noise(r, 'bytes', r.int(1, 64)), b.subarray(p)]); },
  deleteBytes: (b, r) => { const p = pos(b, r); return Buffer.concat([b.subarray(0, p), b.subarray(Math.min(b.length, p + r.int(1, 200)))]); },
  truncate: (b, r) => b.subarray(0, pos(b, r)),
  splice: (b, r) => {
    const p = pos(b, r);
    return Buffer.concat([b.subarray(0, p), noise(r, r.pick(RANDOM_KINDS), r.int(1, 2000)), b.subarray(Math.min(b.length, p + r.int(0, 300)))]);
  },
  zeroFill: (b, r) => {
    const c = Buffer.from(b);
    const p = r.next() < 0.5 ? pos(b, r) : Math.max(0, b.length - r.int(1, 8192)); // often the end: a power loss
    c.fill(0, p, Math.min(c.length, p + r.int(1, 8192)));
    return r.next() < 0.3 ? Buffer.concat([c, Buffer.alloc(r.int(1, 4096))]) : c;
  },
  duplicateLine: (b, r) => {
    const l = splitLines(b);
    if (l.length === 0) return b;
    l.splice(r.int(0, l.length), 0, r.pick(l));
    return Buffer.concat(l);
  },
  swapLines: (b, r) => {
    const l = splitLines(b);
    if (l.length < 2) return b;
    const i = r.int(0, l.length - 1);
    const j = r.int(0, l.length - 1);
    [l[i], l[j]] = [l[j]!, l[i]!];
    return Buffer.concat(l);
  },
  deleteLine: (b, r) => {
    const l = splitLines(b);
    if (l.length > 0) l.splice(r.int(0, l.length - 1), 1);
    return Buffer.concat(l);
  },
  replaceLine: (b, r) => {
    const l = splitLines(b);
    if (l.length === 0) return nastyLine(r, 0);
    const i = r.int(0, l.length - 1);
    l[i] = nastyLine(r, seqNear(l[i]!, r));
    return Buffer.concat(l);
  },
  insertLine: (b, r) => {
    const l = splitLines(b);
    const i = r.int(0, l.length);
    l.splice(i, 0, nastyLine(r, seqNear(l[i] ?? l[i - 1] ?? Buffer.alloc(0), r)));
    return Buffer.concat(l);
  },
  badUtf8InString: (b, r) => {
    // Multi-byte UTF-8 damaged inside a string value: only the bytes know, a lossy decode would hide it.
    const at = b.indexOf('"job_id":"', r.int(0, Math.max(0, b.length - 1)));
    const p = at < 0 ? b.indexOf('"job_id":"') : at;
    if (p < 0) return b;
    const q = p + '"job_id":"'.length;
    return Buffer.concat([b.subarray(0, q), Buffer.from(r.pick(INVALID_UTF8)), b.subarray(q)]);
  },
};
const MUTATION_NAMES = Object.keys(MUTATIONS);

function mutate(b: Buffer, r: Rand, n: number): { bytes: Buffer; names: string[] } {
  const names: string[] = [];
  for (let k = 0; k < n; k++) {
    const name = r.pick(MUTATION_NAMES);
    names.push(name);
    b = MUTATIONS[name]!(b, r);
  }
  return { bytes: b, names };
}

function randomInput(r: Rand): Input {
  const one = (): { bytes: Buffer; what: string } => {
    const kind = r.pick(RANDOM_KINDS);
    const bytes = noise(r, kind, randomLength(r));
    return { bytes, what: `${kind} ${bytes.length}B` };
  };
  const layout = r.next();
  if (layout < 0.7) {
    const a = one();
    return { label: `active: ${a.what}`, segments: [{ index: 0, bytes: a.bytes }] };
  }
  if (layout < 0.85) {
    const a = one();
    return { label: `.1: ${a.what}, active: 3 valid lines`, segments: [{ index: 1, bytes: a.bytes }, { index: 0, bytes: Buffer.from('{"seq":100,"ts":1,"type":"x","job_id":"y"}\n'.repeat(3)) }] };
  }
  const segs = [2, 1, 0].map((index) => ({ index, ...one() }));
  return { label: segs.map((s) => `${s.index}: ${s.what}`).join(', '), segments: segs.map(({ index, bytes }) => ({ index, bytes })) };
}

async function mutatedInput(r: Rand): Promise<Input> {
  const body = await bodies();
  const from = r.next() < 0.5 ? 0 : r.int(1, 1_000_000);
  const count = r.int(1, 200);
  const valid = validLines(r, body, from, count);
  const n = r.next() < 0.1 ? 0 : r.int(1, 4);
  const { bytes, names } = mutate(valid, r, n);
  const what = `${count} lines from seq ${from}, ${names.length ? names.join('+') : 'unmutated'}`;
  if (r.next() < 0.75) return { label: `active: ${what}`, segments: [{ index: 0, bytes }], pristine: n === 0 };
  // A closed segment: no torn tail there, an unterminated or bad last line is corruption.
  return {
    label: `.1: ${what}; active: 5 valid lines`,
    segments: [{ index: 1, bytes }, { index: 0, bytes: validLines(r, body, from + count, 5) }],
    pristine: n === 0,
  };
}

type Layout = 'ordered' | 'reversed' | 'overlap' | 'shuffled' | 'gaps' | 'repeat';
const LAYOUTS: readonly Layout[] = ['ordered', 'reversed', 'overlap', 'shuffled', 'gaps', 'repeat'];
const STRAY_SUFFIXES = ['.0', '.01', '.x', '.1.bak', '.1234567890', '.-1', '.lock-not', '.1 '];

async function multiInput(r: Rand): Promise<Input> {
  const body = await bodies();
  const hasActive = r.next() < 0.85;
  const rotated = r.int(hasActive ? 1 : 2, 5);
  let indexes: number[];
  if (r.next() < 0.6) indexes = Array.from({ length: rotated }, (_, i) => rotated - i);
  else {
    const set = new Set<number>();
    while (set.size < rotated) set.add(r.next() < 0.1 ? r.pick([999_999_999, 123_456_789, 10, 100]) : r.int(1, 12));
    indexes = [...set].sort((a, b) => b - a);
  }
  if (hasActive) indexes.push(0);
  // Seq ranges in reading order, then laid out badly.
  const layout = r.pick(LAYOUTS);
  let cursor = r.next() < 0.5 ? 0 : r.int(1, 100_000);
  let ranges: Array<{ from: number; count: number }> = [];
  for (let k = 0; k < indexes.length; k++) {
    const count = r.next() < 0.1 ? 0 : r.int(1, 40);
    let from = cursor;
    if (layout === 'overlap' && k > 0) from = Math.max(0, ranges[k - 1]!.from + r.int(0, ranges[k - 1]!.count));
    if (layout === 'repeat' && k > 0) from = ranges[0]!.from;
    ranges.push({ from, count });
    cursor = from + count + (layout === 'gaps' ? r.int(1, 5) : 0);
  }
  if (layout === 'reversed') ranges = ranges.reverse();
  if (layout === 'shuffled') {
    for (let i = ranges.length - 1; i > 0; i--) {
      const j = r.int(0, i);
      [ranges[i], ranges[j]] = [ranges[j]!, ranges[i]!];
    }
  }
  let pristine = layout === 'ordered';
  const parts: string[] = [];
  const segments = indexes.map((index, k) => {
    const { from, count } = ranges[k]!;
    let bytes = validLines(r, body, from, count);
    let what = `${count}@${from}`;
    const x = r.next();
    if (x < 0.25) {
      const m = mutate(bytes, r, r.int(1, 2));
      bytes = m.bytes;
      what += ` ${m.names.join('+')}`;
      pristine = false;
    } else if (x < 0.35) {
      bytes = Buffer.concat([bytes, Buffer.from(`{"seq":${from + count},"ts":17`)]); // an unterminated last line
      what += ' torn';
      if (index !== 0) pristine = false;
    } else if (x < 0.4) {
      const kind = r.pick(RANDOM_KINDS);
      bytes = noise(r, kind, randomLength(r));
      what = `${kind} ${bytes.length}B`;
      pristine = false;
    } else if (x < 0.45) {
      bytes = Buffer.alloc(0);
      what = 'emptied';
      if (count > 0) pristine = false; // its seqs are missing now
    }
    parts.push(`${index}: ${what}`);
    return { index, bytes };
  });
  const input: Input = { label: `${layout}; ${parts.join(', ')}`, segments, pristine };
  const m = r.next();
  if (m < 0.3) input.meta = Buffer.from(`{"next_seq":${cursor + r.int(0, 10)}}\n`);
  else if (m < 0.45) input.meta = noise(r, r.pick(RANDOM_KINDS), r.int(0, 300));
  else if (m < 0.5) input.meta = Buffer.from(r.pick(['null', '{"next_seq":1e309}', '{"next_seq":-1}', '[]', '{"next_seq":"5"}', '']));
  if (input.meta) input.label += `; meta ${JSON.stringify(input.meta.toString('latin1').slice(0, 30))}`;
  if (r.next() < 0.2) {
    input.strays = Array.from({ length: r.int(1, 3) }, () => ({ suffix: r.pick(STRAY_SUFFIXES), bytes: validLines(r, body, 0, 3) }));
    input.label += `; strays ${input.strays.map((s) => JSON.stringify(s.suffix)).join(' ')}`;
  }
  return input;
}

// ---- running and checking ---------------------------------------------------------------

/** The readWal worker thread: one per test file, terminated when a read hangs. */
class ReaderThread {
  readonly #worker = new Worker(fixture('fuzz-reader'));
  readonly #waiting = new Map<number, { resolve: (r: { strict: ReadResult; skip: ReadResult }) => void; reject: (e: Error) => void }>();
  #next = 0;
  #dead: Error | null = null;

  constructor() {
    this.#worker.on('message', (m: { id: number; strict: ReadResult; skip: ReadResult }) => {
      const w = this.#waiting.get(m.id);
      this.#waiting.delete(m.id);
      w?.resolve(m);
    });
    const fail = (e: Error): void => {
      this.#dead ??= e;
      for (const w of this.#waiting.values()) w.reject(e);
      this.#waiting.clear();
    };
    this.#worker.on('error', (e) => fail(new Error(`the reader thread crashed: ${e.stack ?? String(e)}`)));
    this.#worker.on('exit', (code) => fail(new Error(`the reader thread exited (${code})`)));
  }

  get dead(): boolean {
    return this.#dead !== null;
  }

  /** Both passes over `path`; a hang terminates the thread (the next test starts another). */
  async read(path: string): Promise<{ strict: ReadResult; skip: ReadResult }> {
    if (this.#dead) throw this.#dead;
    const id = this.#next++;
    const p = new Promise<{ strict: ReadResult; skip: ReadResult }>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    this.#worker.postMessage({ id, path });
    try {
      return await within(p, `the reader thread (${HANG_MS} ms)`, HANG_MS);
    } catch (err) {
      this.#dead ??= err as Error;
      await this.#worker.terminate();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}

let reader: ReaderThread | undefined;

interface Stats {
  inputs: number;
  bytes: number;
  segments: number;
  /** readWal (throwing) threw ECORRUPT. */
  ecorrupt: number;
  /** Bad lines the skipping reader skipped, in all inputs. */
  skipped: number;
  /** Inputs with a torn tail. */
  torn: number;
  records: number;
  not_ok: number;
  pristine: number;
}

const newStats = (): Stats => ({
  inputs: 0, bytes: 0, segments: 0, ecorrupt: 0, skipped: 0, torn: 0, records: 0, not_ok: 0, pristine: 0,
});

/** Awaits `p` within HANG_MS; anything but a resolution fails with `what`. */
async function mustResolve<T>(p: Promise<T>, what: string): Promise<T> {
  try {
    return await within(p, `it (${HANG_MS} ms)`, HANG_MS);
  } catch (err) {
    throw new Error(`${what} did not resolve: ${(err as Error)?.stack ?? String(err)}`);
  }
}

/** gaps / duplicates / out-of-order as verify defines them (VerifyReport), over the seqs in reading order. */
function seqIssues(seqs: readonly number[]): { gaps: number; duplicates: number; outOfOrder: number; firstSeq: number; lastSeq: number } {
  let prev = -1;
  let gaps = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  for (const seq of seqs) {
    if (prev >= 0) {
      if (seq > prev + 1) gaps += 1;
      else if (seq === prev) duplicates += 1;
      else if (seq < prev) outOfOrder += 1;
    }
    if (seq > prev) prev = seq;
  }
  return { gaps, duplicates, outOfOrder, firstSeq: seqs[0] ?? -1, lastSeq: prev };
}

/** Bytes recovery would cut from the active file (read-only), undefined when it refuses the file (ECORRUPT: not a WAL) or there is none. */
function recoveryTornBytes(path: string): number | undefined {
  if (!existsSync(path)) return 0;
  const fd = openSync(path, constants.O_RDONLY);
  try {
    return recoverTail(fd, path, { truncate: false }).tornBytes;
  } catch (err) {
    if (err instanceof WalError && err.code === 'ECORRUPT') return undefined;
    throw err;
  } finally {
    closeSync(fd);
  }
}

const isInt = (n: unknown, min = 0): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= min;

/** What every verify report must be, whatever the input: consistent, within the files, safe integers. */
function checkReport(v: VerifyReport, mode: string, path: string, segs: ReadonlyArray<{ path: string; size: number }>, what: string): void {
  const m = `${what}: verify(${mode})`;
  assert.is(v.path, path, `${m}: path`);
  assert.equal(v.segments.map((s) => [s.path, s.size]), segs.map((s) => [s.path, s.size]), `${m}: the segments, in reading order, with their sizes`);
  assert.is(v.bytes, segs.reduce((n, s) => n + s.size, 0), `${m}: bytes`);
  assert.is(v.events, v.segments.reduce((n, s) => n + s.events, 0), `${m}: events is the sum over segments`);
  for (const s of v.segments) {
    assert.ok(isInt(s.events) && isInt(s.firstSeq, -1) && isInt(s.lastSeq, -1), `${m}: segment ${s.path} counts and seqs are safe integers (${JSON.stringify(s)})`);
    assert.is(s.events === 0, s.firstSeq === -1, `${m}: segment ${s.path} firstSeq -1 exactly when it has no event`);
  }
  assert.ok(isInt(v.firstSeq, -1) && isInt(v.lastSeq, -1), `${m}: firstSeq ${v.firstSeq} and lastSeq ${v.lastSeq} are safe integers`);
  assert.is(v.events === 0, v.firstSeq === -1, `${m}: firstSeq -1 exactly when there is no event`);
  const sizeOf = new Map(segs.map((s) => [s.path, s.size]));
  const inFile = (x: { file: string; offset: number }): boolean => sizeOf.has(x.file) && isInt(x.offset) && x.offset < sizeOf.get(x.file)!;
  for (const b of v.badLines) assert.ok(inFile(b), `${m}: bad line ${JSON.stringify(b)} is inside a segment`);
  for (const g of v.gaps) assert.ok(inFile(g) && isInt(g.from) && isInt(g.to) && g.from <= g.to, `${m}: gap ${JSON.stringify(g)}`);
  for (const d of v.duplicates) assert.ok(inFile(d) && isInt(d.seq), `${m}: duplicate ${JSON.stringify(d)}`);
  for (const o of v.outOfOrder) assert.ok(inFile(o) && isInt(o.seq) && isInt(o.prev) && o.seq < o.prev, `${m}: out of order ${JSON.stringify(o)}`);
  const c = v.counts;
  assert.ok(c.badLines >= v.badLines.length && c.gaps >= v.gaps.length && c.duplicates >= v.duplicates.length && c.outOfOrder >= v.outOfOrder.length, `${m}: counts cover the lists`);
  assert.ok(v.badLines.length === Math.min(c.badLines, 100), `${m}: bad lines listed up to maxIssues`);
  assert.is(v.ok, c.badLines + c.gaps + c.duplicates + c.outOfOrder === 0, `${m}: ok means no issue`);
  const active = sizeOf.get(path) ?? 0;
  assert.ok(isInt(v.tornTailBytes) && v.tornTailBytes <= active, `${m}: tornTailBytes ${v.tornTailBytes} within the active file (${active})`);
  assert.ok(isInt(v.metaNextSeq), `${m}: metaNextSeq ${v.metaNextSeq}`);
}

/** Writes the input, runs every reader on it and checks them and their agreement (the files stay when a check fails). */
async function checkInput(input: Input, dir: string, what: string, st: Stats): Promise<void> {
  mkdirSync(dir);
  const path = join(dir, 'wal.jsonl');
  for (const s of input.segments) writeFileSync(segmentPath(path, s.index), s.bytes);
  if (input.meta) writeFileSync(`${path}.meta`, input.meta);
  for (const s of input.strays ?? []) writeFileSync(`${path}${s.suffix}`, s.bytes);
  const segs = [...input.segments].sort((a, b) => (a.index === 0 ? 1 : b.index === 0 ? -1 : b.index - a.index))
    .map((s) => ({ path: segmentPath(path, s.index), size: s.bytes.length }));
  what = `${what}, files in ${dir}`;

  const [plain, deep, reads] = await Promise.all([
    mustResolve(verify(path), `${what}: verify()`),
    mustResolve(verify(path, { deep: true }), `${what}: verify({ deep: true })`),
    mustResolve(reader!.read(path), `${what}: readWal`),
  ]);
  const { strict, skip } = reads;
  checkReport(plain, 'default', path, segs, what);
  checkReport(deep, 'deep', path, segs, what);

  // readWal: the skipping reader finishes; the throwing one finishes or throws ECORRUPT with where.
  assert.is(skip.error, undefined, `${what}: readWal({ onCorrupt: 'skip' }) threw ${JSON.stringify(skip.error)}`);
  assert.equal([...strict.badRecords, ...skip.badRecords], [], `${what}: readWal yielded records breaking WalRecord's contract`);
  if (strict.error) {
    const e = strict.error;
    assert.ok(e.walError && e.code === 'ECORRUPT', `${what}: readWal threw something other than WalError ECORRUPT: ${JSON.stringify(e)}`);
    const seg = segs.find((s) => s.path === e.file);
    assert.ok(seg !== undefined && isInt(e.offset) && e.offset! < seg.size, `${what}: ECORRUPT names a segment and an offset inside it: ${JSON.stringify(e)}`);
  }
  assert.equal(strict.seqs, skip.seqs.slice(0, strict.seqs.length), `${what}: the throwing reader yields what the skipping one does, up to the bad line`);

  // Deep verify and the reader judge every line the same way.
  const seqsSeen = seqIssues(skip.seqs);
  const agree = (a: unknown, b: unknown, field: string): void => assert.equal(a, b, `${what}: verify({ deep }).${field} vs readWal`);
  agree(deep.events, skip.seqs.length, 'events');
  agree(deep.counts.badLines, skip.skipped, 'counts.badLines (reader: skipped)');
  agree(deep.tornTailBytes, skip.tornBytes, 'tornTailBytes');
  // Recovery (openWal, rotate, cleanup) cuts exactly what verify and readWal call torn (issue 22), unless it refuses the file as not a WAL.
  const cut = recoveryTornBytes(path);
  if (cut !== undefined) agree(deep.tornTailBytes, cut, 'tornTailBytes vs what recovery would cut');
  agree([deep.counts.gaps, deep.counts.duplicates, deep.counts.outOfOrder], [seqsSeen.gaps, seqsSeen.duplicates, seqsSeen.outOfOrder], '[gaps, duplicates, outOfOrder]');
  agree([deep.firstSeq, deep.lastSeq], [seqsSeen.firstSeq, seqsSeen.lastSeq], '[firstSeq, lastSeq]');
  if (deep.counts.badLines === 0) {
    assert.is(strict.error, undefined, `${what}: deep verify found no bad line, readWal threw ${JSON.stringify(strict.error)}`);
    agree(strict.seqs.length, skip.seqs.length, 'events of the throwing reader');
  } else {
    const first = deep.badLines[0]!;
    assert.equal(strict.error && { file: strict.error.file, offset: strict.error.offset }, first, `${what}: readWal throws at deep verify's first bad line`);
  }
  // The default's byte-level check and deep's JSON.parse find the same bad lines and seqs.
  assert.equal(plain, deep, `${what}: verify() and verify({ deep: true }) differ`);
  if (input.pristine) {
    assert.ok(plain.ok && deep.ok, `${what}: verify of a valid WAL is ok (default ${plain.ok}, deep ${deep.ok}: ${JSON.stringify(deep.counts)})`);
    assert.is(strict.error, undefined, `${what}: readWal of a valid WAL threw`);
    st.pristine += 1;
  }

  st.inputs += 1;
  st.bytes += segs.reduce((n, s) => n + s.size, 0);
  st.segments += segs.length;
  if (strict.error) st.ecorrupt += 1;
  st.skipped += skip.skipped;
  if (skip.tornBytes > 0) st.torn += 1;
  st.records += skip.seqs.length;
  if (!deep.ok) st.not_ok += 1;
  rmSync(dir, { recursive: true, force: true }); // kept when a check failed
}

/** Generates and checks `n` inputs of one kind, two at a time. */
async function fuzz(name: string, n: number, gen: (r: Rand) => Input | Promise<Input>): Promise<Stats> {
  if (!reader || reader.dead) reader = new ReaderThread();
  const seed = runSeed(`reader-fuzz/${name}`);
  const root = tmpDir();
  const st = newStats();
  const indexes = ONLY === undefined ? Array.from({ length: n }, (_, i) => i) : [ONLY];
  const started = Date.now();
  const lane = async (): Promise<void> => {
    for (let i = indexes.shift(); i !== undefined; i = indexes.shift()) {
      const input = await gen(inputRand(seed, i));
      const what = `reader-fuzz/${name} #${i} [${input.label}] (replay: THREADWAL_SEED=${seed} THREADWAL_FUZZ_INDEX=${i} THREADWAL_KEEP_TMP=1)`;
      try {
        await checkInput(input, join(root, String(i)), what, st);
      } catch (err) {
        indexes.length = 0; // the other lane stops too, before the next test starts
        throw err;
      }
    }
  };
  await Promise.all([lane(), lane()]);
  report(`reader-fuzz/${name}`, { seed, ...st, ms: Date.now() - started });
  return st;
}

test('pure random bytes (0..64 KiB: NULs, invalid UTF-8, digit runs, deep nesting, JSON tokens): readers finish and agree', async () => {
  await fuzz('random', size(400, 4000), randomInput);
});

test('a valid WAL with random mutations (bit flips, inserts, deletes, cuts, duplicated and swapped lines, almost-records): readers finish and agree', async () => {
  const st = await fuzz('mutated', size(600, 6000), mutatedInput);
  if (ONLY === undefined) assert.ok(st.pristine > 0 && st.ecorrupt > 0, 'the run had unmutated and corrupt inputs both');
});

test('several segments out of order, overlapping, repeated, gapped, some mutated or torn, with .meta and stray files: readers finish and agree', async () => {
  const st = await fuzz('multi-segment', size(400, 4000), multiInput);
  if (ONLY === undefined) assert.ok(st.pristine > 0 && st.not_ok > 0, 'the run had clean and failing layouts both');
});

test.after(async () => {
  await reader?.close();
  await closePool();
});

test.run();
