// verify: exit 0 when clean, 1 with every problem's file and byte offset when not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { line, tempWal, threadwal, writeLines } from './helpers.js';
import { Stamper } from '@threadwal/core';

/** Byte offset of line `seq` in a file written by writeLines from seq `from`. */
const offsetOf = (seq: number, from = 0): number => {
  let n = 0;
  for (let s = from; s < seq; s++) n += line(s).length;
  return n;
};

test('a clean WAL across segments: exit 0, summary on stdout, nothing on stderr', async () => {
  const path = tempWal();
  writeLines(`${path}.1`, 0, 40);
  writeLines(path, 40, 10);
  const r = await threadwal(['verify', path]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  assert.match(r.stdout, `${path}: clean`);
  assert.match(r.stdout, /segments\s+2 \(app\.wal\.1, app\.wal\)/);
  assert.match(r.stdout, /events\s+50\n/);
  assert.match(r.stdout, /seq\s+0 … 49\n/);
});

test('a corrupt line in the middle: exit 1 and its file and byte offset', async () => {
  const path = tempWal();
  writeLines(path, 0, 10, 'this is not a record\n');
  appendFileSync(path, line(10));
  const r = await threadwal(['verify', path]);
  assert.is(r.code, 1);
  assert.match(r.stdout, 'NOT CLEAN (1 problem)');
  assert.match(r.stdout, new RegExp(`bad line\\s+${basename(path)}\\s+at byte\\s+${offsetOf(10)}\\s+does not parse`));
});

test('a line whose crc32c does not match (it still parses): "checksum mismatch" with both values', async () => {
  const path = tempWal();
  const framed = Buffer.from(line(0) + line(1) + line(2));
  const { out, len } = new Stamper().stamp(framed, framed.length, 3);
  const text = out.toString('utf8', 0, len);
  const at = text.indexOf('"job_validated"') + 1;
  writeFileSync(path, text.slice(0, at) + 'J' + text.slice(at + 1));
  const r = await threadwal(['verify', path]);
  assert.is(r.code, 1);
  assert.match(r.stdout, new RegExp(`bad line\\s+app\\.wal\\s+at byte\\s+${text.indexOf('\n') + 1}\\s+checksum mismatch \\(crc32c expected [0-9a-f]{8}, actual [0-9a-f]{8}\\)`));
});

test('gaps and duplicates with their offsets; the torn tail alone is no error', async () => {
  const path = tempWal();
  const gapped = tempWal();
  writeLines(path, 0, 5);
  appendFileSync(path, line(4) + line(5));  // seq 4 again
  writeLines(gapped, 0, 3);
  appendFileSync(gapped, line(7) + line(8)); // 3..6 missing
  const torn = tempWal();
  writeLines(torn, 0, 3, '{"seq":3,"ts":17158');
  const [dup, gap, tail] = await Promise.all([threadwal(['verify', path]), threadwal(['verify', gapped]), threadwal(['verify', torn])]);
  assert.is(dup.code, 1);
  assert.match(dup.stdout, new RegExp(`duplicate\\s+app\\.wal\\s+at byte\\s+${offsetOf(5)}\\s+seq 4 again`));
  assert.is(gap.code, 1);
  assert.match(gap.stdout, new RegExp(`gap\\s+app\\.wal\\s+at byte\\s+${offsetOf(3)}\\s+seqs 3…6 missing \\(4\\)`));
  assert.is(tail.code, 0, tail.stdout);
  assert.match(tail.stdout, /torn tail\s+19 bytes/);
});

test('--json prints the report for tools, exit code as without it', async () => {
  const path = tempWal();
  writeLines(path, 0, 3, '}{\n');
  appendFileSync(path, line(3));
  const r = await threadwal(['verify', path, '--json']);
  assert.is(r.code, 1);
  const report = JSON.parse(r.stdout) as { ok: boolean; badLines: Array<{ file: string; offset: number }>; events: number };
  assert.is(report.ok, false);
  assert.is(report.events, 4);
  assert.equal(report.badLines, [{ file: path, offset: offsetOf(3) }]);
});

test('--json says null, not -1, where there is no seq: an empty log, an empty segment', async () => {
  const path = tempWal();
  writeLines(`${path}.1`, 0, 2);
  writeFileSync(path, '');
  const r = await threadwal(['verify', path, '--json']);
  assert.is(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { firstSeq: number | null; lastSeq: number | null; segments: Array<{ firstSeq: number | null; lastSeq: number | null }> };
  assert.is(report.firstSeq, 0);
  assert.is(report.lastSeq, 1);
  assert.equal(report.segments.map((s) => [s.firstSeq, s.lastSeq]), [[0, 1], [null, null]]);
  const empty = tempWal();
  writeFileSync(empty, '');
  const e = JSON.parse((await threadwal(['verify', empty, '--json'])).stdout) as { firstSeq: unknown; lastSeq: unknown };
  assert.is(e.firstSeq, null);
  assert.is(e.lastSeq, null);
  // A number -1 anywhere in the report, not a '-1' inside a temp path.
  assert.not.match(r.stdout, /[:\[,]\s*-1\b/);
});

test.run();
