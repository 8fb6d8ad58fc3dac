// cat and tail on real WALs: made by the client (with rotation) or from valid lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, renameSync } from 'node:fs';
import { openWal } from '@threadwal/client';
import { collect, line, start, tempWal, threadwal, until, writeLines } from './helpers.js';

const parse = (stdout: string): Array<{ seq: number; type: string; job_id: string }> =>
  stdout.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l));

test('cat prints every event once, in seq order, across rotated segments written by the client', async () => {
  const path = tempWal();
  const wal = await openWal(path, { rotate: { maxSizeBytes: 4096, maxRotations: 50 } });
  const acks: Array<Promise<number>> = [];
  for (let i = 0; i < 300; i++) acks.push(wal.append({ type: i % 2 ? 'job_started' : 'job_submitted', job_id: `job-${i}`, capability: 'FileRead' }));
  await Promise.all(acks);
  await wal.close();
  const r = await threadwal(['cat', path, '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  const events = parse(r.stdout);
  assert.equal(events.map((e) => e.seq), Array.from({ length: 300 }, (_, i) => i));
  assert.is(events[7]!.job_id, 'job-7');
});

test('cat --json prints the stored lines; a pipe gets JSON by default; --from-seq starts there', async () => {
  const path = tempWal();
  writeLines(path, 0, 20);
  const [all, piped, from] = await Promise.all([threadwal(['cat', path, '--json']), threadwal(['cat', path]), threadwal(['cat', path, '--from-seq', '15'])]);
  let expected = '';
  for (let s = 0; s < 20; s++) expected += line(s);
  assert.is(all.stdout, expected);
  assert.is(piped.stdout, expected);
  assert.equal(parse(from.stdout).map((e) => e.seq), [15, 16, 17, 18, 19]);
});

test('cat --pretty: seq, UTC time, type, job, then the other fields', async () => {
  const path = tempWal();
  writeLines(path, 0, 1);
  appendFileSync(path, '{"seq":1,"ts":1715800001,"type":"command_executed","job_id":"job-0","capability":"ShellExec","output":{"exit_code":0}}\n');
  const r = await threadwal(['cat', path, '--pretty']);
  assert.is(r.code, 0);
  const lines = r.stdout.trimEnd().split('\n');
  assert.is(lines[0], '       0  2024-05-15 19:06:40Z  job_submitted     job-0');
  assert.is(lines[1], '       1  2024-05-15 19:06:41Z  command_executed  job-0  ShellExec  output={"exit_code":0}');
});

test('cat of a corrupt WAL fails with one line naming the file and offset, exit 1', async () => {
  const path = tempWal();
  writeLines(path, 0, 2, 'not json\n');
  appendFileSync(path, line(2));
  const r = await threadwal(['cat', path]);
  assert.is(r.code, 1);
  assert.match(r.stderr, new RegExp(`^threadwal: .*${path.replace(/\./g, '\\.')}:${line(0).length * 2}\\n$`));
});

test('tail prints the last events (-n), reading from the newest segment', async () => {
  const path = tempWal();
  writeLines(`${path}.1`, 0, 50);
  writeLines(path, 50, 5);
  const [last3, last10, none] = await Promise.all([
    threadwal(['tail', path, '-n', '3']),
    threadwal(['tail', path]),
    threadwal(['tail', path, '-n', '0']),
  ]);
  assert.equal(parse(last3.stdout).map((e) => e.seq), [52, 53, 54]);
  assert.equal(parse(last10.stdout).map((e) => e.seq), [45, 46, 47, 48, 49, 50, 51, 52, 53, 54]);
  assert.is(none.stdout, '');
  assert.is(none.code, 0);
});

test('tail -f follows appends across a rotation and ends cleanly on SIGINT (exit 0)', async () => {
  const path = tempWal();
  writeLines(path, 0, 5);
  const child = start(['tail', '-f', path, '-n', '2', '--json']);
  const done = collect(child);
  let seen = '';
  child.stdout!.on('data', (d: Buffer | string) => { seen += d.toString(); });
  await until(() => parse(seen).length === 2);
  appendFileSync(path, line(5) + line(6));
  await until(() => parse(seen).length === 4);
  renameSync(path, `${path}.1`); // rotate by hand, as the writer does: rename, then a fresh file
  writeLines(path, 7, 2);
  await until(() => parse(seen).length === 6);
  child.kill('SIGINT');
  const r = await done;
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  assert.equal(parse(r.stdout).map((e) => e.seq), [3, 4, 5, 6, 7, 8]);
});

test('cat into a pipe closed early (| head) stops quietly', async () => {
  const path = tempWal();
  writeLines(path, 0, 50_000);
  const child = start(['cat', path]);
  const done = collect(child);
  child.stdout!.once('data', () => child.stdout!.destroy());
  const r = await done;
  assert.ok(r.code === 0 || r.code === null, `exit ${r.code}: ${r.stderr}`);
  assert.is(r.stderr, '');
});

test.run();
