// resolveWalPath: the one function that says which file a WAL path names (issue 10, item 2).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveWalPath, walExists } from '../src/segments/wal-path.js';
import { tmpDir, codeOf } from './helpers.js';

/** Runs `fn` with the working directory set to `dir`. */
function inDir<T>(dir: string, fn: () => T): T {
  const before = process.cwd();
  process.chdir(dir);
  try {
    return fn();
  } finally {
    process.chdir(before);
  }
}

test('an existing file through a symlink, a relative path or `..` resolves to the real file', () => {
  const root = realpathSync(tmpDir());
  mkdirSync(join(root, 'real'));
  const real = join(root, 'real', 'app.wal');
  writeFileSync(real, '');
  symlinkSync(real, join(root, 'link.wal'));
  assert.is(resolveWalPath(join(root, 'link.wal')), real);
  assert.is(inDir(root, () => resolveWalPath('real/app.wal')), real);
  assert.is(inDir(join(root, 'real'), () => resolveWalPath('./app.wal')), real);
  assert.is(resolveWalPath(join(root, 'real', '..', 'real', 'app.wal')), real);
});

test('`..` after a symlinked directory is resolved physically, as open(2) does, not by string', () => {
  const root = realpathSync(tmpDir());
  mkdirSync(join(root, 'real', 'sub'), { recursive: true });
  symlinkSync(join(root, 'real', 'sub'), join(root, 'link'));
  const real = join(root, 'real', 'app.wal');
  writeFileSync(real, '');
  // path.resolve would say root/app.wal, which does not exist; the kernel opens real/app.wal.
  assert.is(resolveWalPath(join(root, 'link') + '/../app.wal'), real);
  assert.is(inDir(root, () => resolveWalPath('link/../app.wal')), real);
  // Not there yet: the directory is resolved physically and the name kept.
  assert.is(resolveWalPath(join(root, 'link') + '/../new.wal'), join(root, 'real', 'new.wal'));
});

test('a file that does not exist yet: the real directory plus the name; createDir makes the directory', () => {
  const root = realpathSync(tmpDir());
  symlinkSync(root, join(root, 'here'));
  assert.is(resolveWalPath(join(root, 'here', 'new.wal')), join(root, 'new.wal'));
  const deep = join(root, 'a', 'b', 'app.wal');
  assert.is(resolveWalPath(deep), deep);
  assert.not.ok(existsSync(join(root, 'a')), 'a reader must not create directories');
  assert.is(resolveWalPath(deep, { createDir: true }), deep);
  assert.ok(existsSync(join(root, 'a', 'b')));
});

test('a dangling symlink is followed to the file it names (where O_CREAT would create it), through a chain', () => {
  const root = realpathSync(tmpDir());
  mkdirSync(join(root, 'data'));
  symlinkSync('data/app.wal', join(root, 'hop.wal')); // relative to the link's directory
  symlinkSync(join(root, 'hop.wal'), join(root, 'link.wal'));
  assert.is(resolveWalPath(join(root, 'link.wal')), join(root, 'data', 'app.wal'));
  // The target's directory is missing: created only with createDir.
  symlinkSync(join(root, 'later', 'app.wal'), join(root, 'later.wal'));
  assert.is(resolveWalPath(join(root, 'later.wal'), { createDir: true }), join(root, 'later', 'app.wal'));
  assert.ok(existsSync(join(root, 'later')));
});

test('EINVAL: an empty path, a symlink loop, a path that names a directory by its form', () => {
  const root = realpathSync(tmpDir());
  symlinkSync(join(root, 'b.wal'), join(root, 'a.wal'));
  symlinkSync(join(root, 'a.wal'), join(root, 'b.wal'));
  for (const bad of ['', join(root, 'a.wal'), `${root}/`, `${root}/x/..`, 'a\0b']) {
    assert.is(codeOf(() => resolveWalPath(bad)), 'EINVAL', JSON.stringify(bad));
  }
});

test('walExists: true for any part of a log (active file, a rotated segment, .meta only), false otherwise', () => {
  const root = realpathSync(tmpDir());
  const p = join(root, 'app.wal');
  assert.not.ok(walExists(p));
  writeFileSync(`${p}.meta`, '{"next_seq":5}\n');
  assert.ok(walExists(p));
  const q = join(root, 'q.wal');
  writeFileSync(`${q}.3`, '');
  assert.ok(walExists(q));
  assert.not.ok(walExists(join(root, 'app')), 'a prefix of a log is not a log');
});

test.run();
