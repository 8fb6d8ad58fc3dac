// cat and tail on real WALs: made by the client (with rotation) or from valid lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, existsSync, lstatSync, mkdirSync, realpathSync, renameSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
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

test('tail -f follows appends across a rotation; SIGINT ends it with one line on stderr and exit 130', async () => {
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
  assert.is(r.code, 130, r.stderr);
  assert.is(r.stderr, 'threadwal: interrupted\n');
  assert.equal(parse(r.stdout).map((e) => e.seq), [3, 4, 5, 6, 7, 8]);
});

test('tail -f ended by SIGTERM: one line, exit 143', async () => {
  const path = tempWal();
  writeLines(path, 0, 3);
  const child = start(['tail', '-f', path, '--json']);
  const done = collect(child);
  let seen = '';
  child.stdout!.on('data', (d: Buffer | string) => { seen += d.toString(); });
  await until(() => parse(seen).length === 3);
  child.kill('SIGTERM');
  const r = await done;
  assert.is(r.code, 143, r.stderr);
  assert.is(r.stderr, 'threadwal: terminated\n');
});

test('tail -f on a WAL that does not exist yet says so once and waits for it, as tail -F does', async () => {
  const path = tempWal();
  const child = start(['tail', '-f', path, '--json']);
  const done = collect(child);
  let seen = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer | string) => { seen += d.toString(); });
  child.stderr!.on('data', (d: Buffer | string) => { err += d.toString(); });
  await until(() => err.includes('waiting'));
  writeLines(path, 0, 4);
  await until(() => parse(seen).length === 4);
  child.kill('SIGINT');
  const r = await done;
  assert.is(r.code, 130);
  assert.equal(parse(r.stdout).map((e) => e.seq), [0, 1, 2, 3]);
  assert.match(r.stderr, /^threadwal: no WAL at .*app\.wal yet: waiting for it to appear\nthreadwal: interrupted\n$/);
});

test('cat stops at a bad line (ECORRUPT, exit 1); cat --skip-bad prints the rest and says on stderr what it skipped', async () => {
  const path = tempWal();
  writeLines(`${path}.1`, 0, 3, 'not a record\nnor this\n');
  writeLines(path, 3, 3, 'garbage\n');
  appendFileSync(path, line(6));
  const stop = await threadwal(['cat', path, '--json']);
  assert.is(stop.code, 1);
  assert.match(stop.stderr, /^threadwal: line does not parse at .*app\.wal\.1:\d+\n$/);
  const r = await threadwal(['cat', path, '--json', '--skip-bad']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(parse(r.stdout).map((e) => e.seq), [0, 1, 2, 3, 4, 5, 6]);
  const at1 = line(0).length + line(1).length + line(2).length;
  const at0 = line(3).length + line(4).length + line(5).length;
  assert.is(r.stderr, `threadwal: skipped 3 bad lines: app.wal.1 at byte ${at1} (2 lines), app.wal at byte ${at0}\n`);
  const good = tempWal();
  writeLines(good, 0, 3);
  const clean = await threadwal(['cat', good, '--skip-bad']);
  assert.is(clean.code, 0);
  assert.is(clean.stderr, '', 'nothing skipped, nothing said');
});

test('every command through a symlink, a relative path and `..` works on the one real log', async () => {
  const real = tempWal();
  const dir = dirname(real);
  mkdirSync(join(dir, 'links'));
  const link = join(dir, 'links', 'app.wal');
  symlinkSync(real, link);
  const wal = await openWal(link);
  try {
    for (let i = 0; i < 5; i++) await wal.append({ type: 'job_started', job_id: `a${i}` });
    const rot = await threadwal(['rotate', link]);
    assert.is(rot.code, 0, rot.stderr);
    for (let i = 5; i < 10; i++) assert.is(await wal.append({ type: 'job_started', job_id: `b${i}` }), i);
  } finally {
    await wal.close();
  }
  assert.ok(lstatSync(link).isSymbolicLink(), 'threadwal rotate renamed the link');
  assert.not.ok(existsSync(`${link}.1`));
  const rel = relative(process.cwd(), join(dir, 'links', '..', 'links', 'app.wal'));
  for (const name of [link, rel]) {
    const [cat, tail, verify, stats] = await Promise.all([
      threadwal(['cat', name, '--json']),
      threadwal(['tail', name, '-n', '3', '--json']),
      threadwal(['verify', name, '--json']),
      threadwal(['stats', name, '--json']),
    ]);
    assert.equal(parse(cat.stdout).map((e) => e.seq), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], cat.stderr);
    assert.equal(parse(tail.stdout).map((e) => e.seq), [7, 8, 9], tail.stderr);
    const v = JSON.parse(verify.stdout) as { ok: boolean; events: number; path: string };
    assert.ok(v.ok);
    assert.is(v.events, 10);
    assert.is(v.path, realpathSync(real));
    assert.is((JSON.parse(stats.stdout) as { nextSeq: number }).nextSeq, 10);
  }
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
