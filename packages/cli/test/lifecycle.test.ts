// Issue 13 through the CLI: retention options on rotate/cleanup, compress, cursors, and the
// readers (cat, stats, verify) over compressed segments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempWal, threadwal, writeLines } from './helpers.js';

const dirs: string[] = [];
function wal(): string {
  const p = tempWal();
  dirs.push(dirname(p));
  return p;
}
/** `.3 .2 .1` of 10 events each, active 30..34. */
function layout(path: string): void {
  for (let k = 0; k < 3; k++) writeLines(`${path}.${3 - k}`, k * 10, 10);
  writeLines(path, 30, 5);
}
function commit(path: string, name: string, seq: number): void {
  mkdirSync(`${path}.cursors`, { recursive: true });
  writeFileSync(join(`${path}.cursors`, name), `{"cursor":"${name}","seq":${seq},"ts":1715800000000}\n`);
}

test('rotate --max-segments --compress: retention after the rotation, then gzip; cat, stats and verify read the .gz', async () => {
  const path = wal();
  layout(path);
  const r = await threadwal(['rotate', path, '--keep', '9', '--max-segments', '2', '--compress']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /retention: deleted 2 segments/);
  assert.match(r.stdout, /compressed 2 segments: .* \(ratio \d/);
  assert.not.match(r.stdout, / 0 MB\/s/, "a small input gets a small unit");
  assert.ok(existsSync(`${path}.1.gz`) && existsSync(`${path}.2.gz`));
  assert.not.ok(existsSync(`${path}.3.gz`) || existsSync(`${path}.1`));
  const cat = await threadwal(['cat', path, '--json']);
  assert.is(cat.code, 0, cat.stderr);
  assert.equal(cat.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq), Array.from({ length: 15 }, (_, i) => 20 + i));
  const v = await threadwal(['verify', path]);
  assert.is(v.code, 0, v.stdout);
  const s = await threadwal(['stats', path, '--json']);
  assert.is(s.code, 0, s.stderr);
  assert.is((JSON.parse(s.stdout) as { events: number }).events, 15);
});

test('compress: human and --json output; nothing left to do the second time', async () => {
  const path = wal();
  layout(path);
  const r = await threadwal(['compress', path, '--level', '1', '--json']);
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { compressedSegments: number; ratio: number };
  assert.is(j.compressedSegments, 3);
  assert.ok(j.ratio > 1);
  const again = await threadwal(['compress', path]);
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stdout, /^nothing to compress/);
  const bad = await threadwal(['compress', path, '--level', '11']);
  assert.is(bad.code, 2);
});

test('cursors: lag in events and bytes; --json', async () => {
  const path = wal();
  layout(path);
  const none = await threadwal(['cursors', path]);
  assert.is(none.code, 0, none.stderr);
  assert.match(none.stdout, /^no cursors/);
  commit(path, 'shipper', 24);
  const r = await threadwal(['cursors', path]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /shipper\s+24\s+10\s+\d+ B/);
  const j = JSON.parse((await threadwal(['cursors', path, '--json'])).stdout) as Array<{ name: string; lagEvents: number; lagBytes: number }>;
  const tail = readFileSync(`${path}.1`, 'utf8');
  assert.equal(j.map((c) => [c.name, c.lagEvents]), [['shipper', 10]]);
  assert.is(j[0]!.lagBytes, tail.length - tail.indexOf('{"seq":25,') + statSync(path).size);
});

test('cleanup --until-committed keeps what the shipper has not read; --max-total-size still wins and says so on stderr', async () => {
  const path = wal();
  layout(path);
  commit(path, 'shipper', 9);
  const held = await threadwal(['cleanup', path, '--max-age', '100000d', '--max-segments', '0', '--until-committed', 'shipper']);
  assert.is(held.code, 0, held.stderr);
  assert.match(held.stdout, /retention: deleted 1 segment/);
  assert.match(held.stdout, /retention: 2 segments kept for cursors/);
  const seg = statSync(`${path}.1`).size;
  const forced = await threadwal(['cleanup', path, '--max-age', '100000d', '--until-committed', 'shipper', '--max-total-size', `${seg + statSync(path).size}`]);
  assert.is(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /--max-total-size deleted seqs 10\.\.19 that cursor shipper had not committed/);
  assert.match(forced.stderr, /cursor 'shipper' had not committed/);
});

test('naming a compressed segment or the cursors directory points at the WAL itself', async () => {
  const path = wal();
  layout(path);
  await threadwal(['compress', path]);
  commit(path, 'c', 1);
  for (const side of [`${path}.2.gz`, `${path}.cursors`]) {
    const r = await threadwal(['cat', side]);
    assert.not.equal(r.code, 0);
    assert.match(r.stderr, /not a WAL: name the WAL itself/);
  }
});

test('bad retention values are usage errors', async () => {
  const path = wal();
  layout(path);
  for (const args of [['--max-segments', '-1'], ['--max-total-size', '12Q'], ['--max-segment-age', 'soon']]) {
    const r = await threadwal(['rotate', path, ...args]);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  const name = await threadwal(['rotate', path, '--until-committed', '../x']);
  assert.not.equal(name.code, 0);
  assert.match(name.stderr, /EINVAL|must be/);
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
test.run();
