// One path, one log; missing means missing; nothing that is not a regular file is opened
// (issue 10, items 2, 5 and 6): rotate, cleanup, verify and readWal through symlinks,
// relative paths, `..` and bind mounts, on absent logs, and on FIFOs and devices.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { openWal } from '@threadwal/client';
import { cleanup, closePool, readWal, rotate, verify } from '../src/index.js';
import { expectCode, lines, range, seqs, tempDir, writeSegment } from './helpers.js';

const TS = 1_700_000_000;
const OLD = TS;
const NOW = TS + 1_000_000;
const ev = (i: number) => ({ type: 'job_started' as const, job_id: `j${i}`, ts: NOW });
const seqsIn = (file: string): number[] => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { seq: number }).seq);

/** A real WAL file in `<root>/real/` and a symlink to it in `<root>/links/`. */
function linked(): { root: string; real: string; link: string } {
  const root = realpathSync(tempDir());
  mkdirSync(join(root, 'real'));
  mkdirSync(join(root, 'links'));
  const real = join(root, 'real', 'app.wal');
  const link = join(root, 'links', 'app.wal');
  symlinkSync(real, link);
  return { root, real, link };
}

function inDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const before = process.cwd();
  process.chdir(dir);
  return fn().finally(() => process.chdir(before));
}

function mkfifo(p: string): void {
  const r = spawnSync('mkfifo', [p]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
}

test('rotate through a symlink moves the real file and the next append continues one gapless seq in it', async () => {
  const { real, link } = linked();
  const wal = await openWal(link);
  try {
    for (let i = 0; i < 5; i++) await wal.append(ev(i));
    const r = await rotate(link, 1, 5);
    assert.ok(r.rotated);
    assert.is(r.nextSeq, 5);
    for (let i = 5; i < 10; i++) assert.is(await wal.append(ev(i)), i);
  } finally {
    await wal.close();
  }
  assert.ok(lstatSync(link).isSymbolicLink(), 'rotate replaced the symlink');
  assert.is(readlinkSync(link), real);
  assert.not.ok(existsSync(`${link}.1`), 'a segment appeared beside the link');
  assert.equal(seqsIn(`${real}.1`), range(0, 5));
  assert.equal(seqsIn(real), range(5, 10));
  assert.not.ok(existsSync(`${link}.meta`) || existsSync(`${link}.lock`), 'side files beside the link');
  assert.ok(existsSync(`${real}.meta`), '.meta lives beside the real file');
  // Every reader sees the one log through either name.
  assert.equal(await seqs(link), range(0, 10));
  const v = await verify(link);
  assert.ok(v.ok);
  assert.is(v.path, real);
  assert.equal(v.segments.map((s) => s.path), [`${real}.1`, real]);
});

test('cleanup through a symlink rewrites the real file and leaves the link a link', async () => {
  const { real, link } = linked();
  writeSegment(`${real}.1`, lines(0, 10, () => OLD), OLD);
  writeFileSync(real, lines(10, 5, () => OLD) + lines(15, 5, () => NOW));
  const r = await cleanup(link, 100, { now: NOW });
  assert.is(r.removed, 15);
  assert.ok(lstatSync(link).isSymbolicLink(), 'cleanup replaced the symlink with a file');
  assert.equal(seqsIn(real), range(15, 20));
  assert.equal(await seqs(link), range(15, 20));
  const wal = await openWal(link);
  try {
    assert.is(await wal.append(ev(20)), 20);
  } finally {
    await wal.close();
  }
  assert.equal(seqsIn(real), range(15, 21));
});

test('a dangling symlink: the writer creates its target, and every reader and rotate follow it there', async () => {
  const root = realpathSync(tempDir());
  const target = join(root, 'data', 'app.wal');
  const link = join(root, 'app.wal');
  symlinkSync(target, link);
  await expectCode(verify(link), 'ENOENT');
  const wal = await openWal(link);
  try {
    for (let i = 0; i < 3; i++) await wal.append(ev(i));
    assert.ok((await rotate(link, 1, 5)).rotated);
    for (let i = 3; i < 6; i++) assert.is(await wal.append(ev(i)), i);
  } finally {
    await wal.close();
  }
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(seqsIn(`${target}.1`), range(0, 3));
  assert.equal(seqsIn(target), range(3, 6));
  assert.equal(await seqs(link), range(0, 6));
});

test('relative paths and `..` (resolved physically, past a symlinked directory) name the same log', async () => {
  const root = realpathSync(tempDir());
  mkdirSync(join(root, 'real', 'sub'), { recursive: true });
  symlinkSync(join(root, 'real', 'sub'), join(root, 'link'));
  const real = join(root, 'real', 'app.wal');
  writeSegment(`${real}.1`, lines(0, 5, () => TS));
  writeFileSync(real, lines(5, 5, () => TS));
  // link/../app.wal is real/app.wal to the kernel; path.resolve would say root/app.wal.
  await inDir(root, async () => {
    assert.equal(await seqs('link/../app.wal'), range(0, 10));
    assert.ok((await verify('link/../app.wal')).ok);
    assert.is((await verify('real/app.wal')).events, 10);
    assert.ok((await rotate('link/../app.wal', 1, 5)).rotated);
  });
  assert.equal(seqsIn(`${real}.2`), range(0, 5));
  assert.equal(seqsIn(`${real}.1`), range(5, 10));
  assert.not.ok(existsSync(join(root, 'app.wal')));
  await inDir(join(root, 'real'), async () => assert.equal(await seqs('./app.wal'), range(0, 10)));
});

test('a bind mount of the log directory is the same log: writer on one side, rotate and verify on the other', async () => {
  const root = realpathSync(tempDir());
  const a = join(root, 'a');
  const b = join(root, 'b');
  mkdirSync(a);
  mkdirSync(b);
  const mounted = spawnSync('mount', ['--bind', a, b]);
  if (mounted.status !== 0) {
    console.log(`skipped: bind mount needs root and mount(8) (${String(mounted.stderr).trim() || mounted.error?.message})`);
    return;
  }
  try {
    const wal = await openWal(join(a, 'app.wal'));
    try {
      for (let i = 0; i < 4; i++) await wal.append(ev(i));
      assert.ok((await rotate(join(b, 'app.wal'), 1, 5)).rotated);
      for (let i = 4; i < 8; i++) assert.is(await wal.append(ev(i)), i);
    } finally {
      await wal.close();
    }
    assert.equal(await seqs(join(b, 'app.wal')), range(0, 8));
    assert.ok((await verify(join(b, 'app.wal'))).ok);
  } finally {
    await closePool();
    spawnSync('umount', [b]);
  }
  rmdirSync(b);
});

test('no file, no segment, no .meta: verify, cleanup and readWal reject with ENOENT, rotate is a no-op (the seed\'s), creating nothing', async () => {
  const dir = tempDir();
  const path = join(dir, 'nope.wal');
  await expectCode(verify(path), 'ENOENT');
  assert.is((await rotate(path, 0, 3)).missing, true);
  await expectCode(cleanup(path, 1), 'ENOENT');
  await expectCode(async () => { for await (const _ of readWal(path)) { /* drain */ } }, 'ENOENT');
  await expectCode(verify(join(dir, 'missing-dir', 'app.wal')), 'ENOENT');
  assert.not.ok(existsSync(`${path}.lock`) || existsSync(`${path}.meta`) || existsSync(path));
});

test('a log that is only its .meta (every event removed) exists: empty, and its next seq is kept', async () => {
  const path = join(tempDir(), 'app.wal');
  writeFileSync(`${path}.meta`, '{"next_seq":42}\n');
  const v = await verify(path);
  assert.ok(v.ok);
  assert.is(v.events, 0);
  assert.is(v.metaNextSeq, 42);
  assert.equal(await seqs(path), []);
  const r = await rotate(path, 0, 3);
  assert.is(r.rotated, false);
  assert.is(r.nextSeq, 42);
  assert.is((await cleanup(path, 1)).removed, 0);
});

test('follow waits for a log that does not exist yet, even one that appears as a new symlink', async () => {
  const root = realpathSync(tempDir());
  const real = join(root, 'real.wal');
  const link = join(root, 'app.wal');
  const ac = new AbortController();
  const guard = setTimeout(() => ac.abort(), 20_000);
  const got: number[] = [];
  const reading = (async () => {
    for await (const r of readWal(link, { follow: true, signal: ac.signal, pollMs: 10 })) {
      got.push(r.seq);
      if (got.length === 3) ac.abort();
    }
  })();
  await new Promise((r) => setTimeout(r, 50));
  writeFileSync(real, lines(0, 3, () => TS));
  symlinkSync(real, link);
  await reading;
  clearTimeout(guard);
  assert.equal(got, [0, 1, 2]);
});

test('a FIFO, a socket or a device is refused with EINVAL before anything opens it (a FIFO would block forever)', async () => {
  const dir = tempDir();
  const fifo = join(dir, 'fifo.wal');
  mkfifo(fifo);
  for (const path of [fifo, '/dev/null']) {
    await expectCode(verify(path), 'EINVAL');
    await expectCode(rotate(path, 0, 3), 'EINVAL');
    await expectCode(cleanup(path, 1), 'EINVAL');
    await expectCode(async () => { for await (const _ of readWal(path)) { /* drain */ } }, 'EINVAL');
    await expectCode(async () => { for await (const _ of readWal(path, { follow: true, signal: AbortSignal.timeout(5000) })) { /* drain */ } }, 'EINVAL');
  }
  // A FIFO in a rotated segment's place: a damaged log, EIO naming it.
  const path = join(dir, 'app.wal');
  writeFileSync(path, lines(0, 2, () => TS));
  mkfifo(`${path}.1`);
  const err = await expectCode(verify(path), 'EIO');
  assert.is((err as { path?: string }).path, `${path}.1`);
  await expectCode(async () => { for await (const _ of readWal(path)) { /* drain */ } }, 'EIO');
});

test.after(async () => {
  await closePool();
});

test.run();
