// stats: segments and sizes, events, seq and time range, events per type.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, statSync, writeFileSync } from 'node:fs';
import { line, tempWal, threadwal, writeLines } from './helpers.js';

test('stats of a two-segment WAL', async () => {
  const path = tempWal();
  writeLines(`${path}.1`, 0, 8);
  writeLines(path, 8, 4);
  const r = await threadwal(['stats', path]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  const size1 = statSync(`${path}.1`).size;
  assert.match(r.stdout, /segments\s+2, /);
  assert.match(r.stdout, new RegExp(`app\\.wal\\.1\\s+${size1} B\\s+8 events\\s+seq 0 … 7`));
  assert.match(r.stdout, /app\.wal\s+\d+ B\s+4 events\s+seq 8 … 11/);
  assert.match(r.stdout, /events\s+12\n/);
  assert.match(r.stdout, /seq\s+0 … 11, next 12\n/);
  assert.match(r.stdout, /time\s+2024-05-15 19:06:40Z … 2024-05-15 19:06:51Z \(11s\)/);
  assert.match(r.stdout, /health\s+clean/);
  for (const type of ['job_submitted', 'job_validated', 'job_started', 'job_completed']) {
    assert.match(r.stdout, new RegExp(`${type}\\s+3\\s+25\\.0%`));
  }
});

test('stats --json, and a corrupt line counted as a problem without failing', async () => {
  const path = tempWal();
  writeLines(path, 0, 3, 'garbage\n');
  appendFileSync(path, line(3));
  const [json, text] = await Promise.all([threadwal(['stats', path, '--json']), threadwal(['stats', path])]);
  assert.is(json.code, 0, json.stderr);
  const s = JSON.parse(json.stdout) as { events: number; firstSeq: number; lastSeq: number; problems: number; types: Record<string, number>; firstTs: number; lastTs: number };
  assert.is(s.events, 4);
  assert.is(s.problems, 1);
  assert.is(s.firstTs, 1_715_800_000);
  assert.is(s.lastTs, 1_715_800_003);
  assert.equal(s.types, { job_completed: 1, job_started: 1, job_submitted: 1, job_validated: 1 });
  assert.match(text.stdout, /health\s+1 problem: run `threadwal verify /);
});

test('stats --json of a log whose events were all removed: null seqs and times, not -1; the next seq from .meta', async () => {
  const path = tempWal();
  writeFileSync(path, '');
  writeFileSync(`${path}.meta`, '{"next_seq":7}\n');
  const [json, text] = await Promise.all([threadwal(['stats', path, '--json']), threadwal(['stats', path])]);
  assert.is(json.code, 0, json.stderr);
  const s = JSON.parse(json.stdout) as Record<string, unknown> & { segments: Array<Record<string, unknown>> };
  for (const k of ['firstSeq', 'lastSeq', 'firstTs', 'lastTs']) assert.is(s[k], null, k);
  assert.equal(s.segments.map((g) => [g.firstSeq, g.lastSeq]), [[null, null]]);
  assert.is(s.nextSeq, 7);
  assert.match(text.stdout, /seq\s+none, next 7\n/);
  assert.match(text.stdout, /time\s+none\n/);
});

test.run();
