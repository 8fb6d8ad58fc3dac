// rotate and cleanup through the CLI, checked on the files and with verify.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempWal, threadwal, until, writeLines } from './helpers.js';

const HOLD_LOCK = fileURLToPath(new URL('../../test/fixtures/hold-lock.mjs', import.meta.url));

test('rotate: not below --max-size; at it, to .1 with seqs continuing; --keep drops the oldest', async () => {
  const path = tempWal();
  writeLines(path, 0, 10);
  const size = statSync(path).size;
  const under = await threadwal(['rotate', path, '--max-size', '1MiB']);
  assert.is(under.code, 0, under.stderr);
  assert.match(under.stdout, /^not rotated: app\.wal is \d+ B, under --max-size 1\.0 MiB/);
  assert.not.ok(existsSync(`${path}.1`));

  const at = await threadwal(['rotate', path, '--max-size', `${size}`]);
  assert.is(at.code, 0, at.stderr);
  assert.match(at.stdout, /^rotated app\.wal \(\d+ B\) to app\.wal\.1; the next event gets seq 10/);
  assert.is(statSync(`${path}.1`).size, size);
  assert.is(statSync(path).size, 0);

  writeLines(path, 10, 10);
  const now = await threadwal(['rotate', path, '--keep', '1']); // no --max-size: rotate now
  assert.is(now.code, 0, now.stderr);
  assert.match(now.stdout, /deleted 1 old segment to keep 1/);
  assert.ok(readFileSync(`${path}.1`, 'utf8').startsWith('{"seq":10,'));
  assert.not.ok(existsSync(`${path}.2`));
  const v = await threadwal(['verify', path]);
  assert.is(v.code, 0, v.stdout);
});

test('cleanup --max-age removes old events only, and the log stays clean', async () => {
  const path = tempWal();
  const now = Math.floor(Date.now() / 1000);
  let text = '';
  for (let s = 0; s < 6; s++) text += `{"seq":${s},"ts":${s < 4 ? now - 10 * 86_400 : now - 60},"type":"job_started","job_id":"job-${s}"}\n`;
  writeFileSync(path, text);
  const r = await threadwal(['cleanup', path, '--max-age', '7d']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^removed 4 events older than 7d \(ts before /);
  assert.match(r.stdout, /size\s+\d+ B → \d+ B/);
  const left = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).seq);
  assert.equal(left, [4, 5]);
  const [v, again] = await Promise.all([threadwal(['verify', path]), threadwal(['cleanup', path, '--max-age', '12h', '--json'])]);
  assert.is(v.code, 0, v.stdout);
  assert.is(again.code, 0, again.stderr);
  assert.is((JSON.parse(again.stdout) as { removed: number }).removed, 0);
});

test('rotate --json: the result for tools, as every other command has', async () => {
  const path = tempWal();
  writeLines(path, 0, 4);
  const size = statSync(path).size;
  const r = await threadwal(['rotate', path, '--json', '--keep', '2']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), { rotated: true, size, nextSeq: 4, tornBytes: 0, droppedSegments: 0, sweptTemps: 0 });
  const again = await threadwal(['rotate', path, '--json']);
  assert.equal(JSON.parse(again.stdout), { rotated: false, size: 0, nextSeq: 4, tornBytes: 0, droppedSegments: 0, sweptTemps: 0 });
});

test('cleanup through a symlink rewrites the real file; the link stays a link', async () => {
  const real = tempWal();
  const link = join(dirname(real), 'link.wal');
  symlinkSync(real, link);
  const now = Math.floor(Date.now() / 1000);
  let text = '';
  for (let s = 0; s < 6; s++) text += `{"seq":${s},"ts":${s < 4 ? now - 10 * 86_400 : now - 60},"type":"job_started","job_id":"job-${s}"}\n`;
  writeFileSync(real, text);
  const r = await threadwal(['cleanup', link, '--max-age', '7d', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.is((JSON.parse(r.stdout) as { removed: number }).removed, 4);
  assert.ok(lstatSync(link).isSymbolicLink(), 'cleanup replaced the link with a file');
  assert.equal(readFileSync(real, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).seq), [4, 5]);
});

test('a lock takeover by threadwal rotate (its holder was SIGKILLed) leaves no .lock.want behind', async () => {
  const path = tempWal();
  // A writer that holds the lock for its life, killed without a chance to release it.
  const holder = spawn(process.execPath, [HOLD_LOCK, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  holder.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  await until(() => out.includes('ready'));
  holder.kill('SIGKILL');
  await once(holder, 'close');
  assert.ok(existsSync(`${path}.lock`), 'the killed writer left its lock');
  const r = await threadwal(['rotate', path]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^rotated app\.wal/);
  assert.not.ok(existsSync(`${path}.lock.want`), 'the waiter left its hint');
  assert.not.ok(existsSync(`${path}.lock`));
});

test.run();
