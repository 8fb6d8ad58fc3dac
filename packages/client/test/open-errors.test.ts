// What openWal says when the path is wrong or the filesystem refuses (issue 22): the errno
// reaches `code` (EISDIR, ENOTDIR, EACCES, EROFS, ENOSPC, EDQUOT, EMFILE; the Node error is
// `cause`), and a path that is not a regular file (FIFO, socket, device) or lies on /proc
// is refused with EINVAL naming what it is, before anything is created beside it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { openWal, WalError } from '../src/index.js';
import { tempWal, fixture } from './helpers.js';

async function openError(path: string, options = {}): Promise<WalError> {
  try {
    const wal = await openWal(path, options);
    await wal.close();
  } catch (err) {
    assert.instance(err, WalError);
    return err as WalError;
  }
  throw new Error(`openWal(${path}) succeeded`);
}

/** The directory holds exactly `names`: no `.meta`, no lock, no temp file appeared. */
function onlyThere(dir: string, names: string[], what: string): void {
  assert.equal(readdirSync(dir).sort(), [...names].sort(), `${what}: nothing may be created beside it`);
}

const isRoot = process.getuid?.() === 0;

// ---- not a regular file -----------------------------------------------------------------

test('a FIFO is refused with EINVAL naming it, without blocking and without a .meta or lock', async () => {
  const path = tempWal('fifo');
  execFileSync('mkfifo', [path]);
  const err = await openError(path);
  assert.is(err.code, 'EINVAL');
  assert.match(err.message, /is a FIFO/);
  onlyThere(dirname(path), ['fifo'], 'FIFO');
});

test('a socket is refused with EINVAL naming it', async () => {
  const path = tempWal('sock');
  const server = createServer();
  await new Promise<void>((r) => server.listen(path, r));
  try {
    const err = await openError(path);
    assert.is(err.code, 'EINVAL');
    assert.match(err.message, /is a socket/);
    onlyThere(dirname(path), ['sock'], 'socket');
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('a character device is refused with EINVAL naming it, with nothing made beside it', async () => {
  const path = tempWal('dev');
  // As root, a device node of our own (so a regression writes its .meta into the temp dir, not
  // into /dev); otherwise a symlink to /dev/null, whose directory we could not write anyway.
  if (isRoot) execFileSync('mknod', [path, 'c', '1', '3']);
  else symlinkSync('/dev/null', path);
  const err = await openError(path);
  assert.is(err.code, 'EINVAL');
  assert.match(err.message, /is a character device/);
  onlyThere(dirname(path), ['dev'], 'device');
});

test('a .meta that is a FIFO is refused before the writer could block reading it', async () => {
  const path = tempWal('app.wal');
  execFileSync('mkfifo', [`${path}.meta`]);
  const err = await openError(path);
  assert.is(err.code, 'EINVAL');
  assert.match(err.message, /app\.wal\.meta is a FIFO/);
  onlyThere(dirname(path), ['app.wal.meta'], '.meta FIFO');
});

// ---- the errno reaches code -----------------------------------------------------------------

test('a directory at the path: EISDIR (was EIO)', async () => {
  const path = tempWal('dir');
  mkdirSync(path);
  const err = await openError(path);
  assert.is(err.code, 'EISDIR');
  onlyThere(dirname(path), ['dir'], 'directory');
});

test('a file where a parent directory should be: ENOTDIR naming the file (was EIO, "EEXIST")', async () => {
  const base = tempWal('file');
  writeFileSync(base, 'x');
  for (const path of [join(base, 'app.wal'), join(base, 'sub', 'app.wal')]) {
    const err = await openError(path);
    assert.is(err.code, 'ENOTDIR', path);
    assert.ok(err.message.includes(`${base} is a file`), err.message);
  }
});

test('a path under /proc: EINVAL saying it is the proc filesystem, at once (Node\'s recursive mkdir never returns there)', async () => {
  for (const path of ['/proc/threadwal-no-such/app.wal', '/proc/self/app.wal']) {
    const err = await openError(path);
    assert.is(err.code, 'EINVAL', path);
    assert.match(err.message, /proc filesystem/);
    assert.not.match(err.message, /ENOENT/);
  }
});

test('a read-only directory: EACCES, with the Node error as cause', async () => {
  if (isRoot) {
    // root ignores permissions: ask as nobody, in a child process.
    const dir = mkdtempSync(join(tmpdir(), 'threadwal-eacces-'));
    try {
      chmodSync(dir, 0o755);
      const mod = pathToFileURL(join(process.cwd(), 'packages/client/dist/src/index.js')).href;
      const script = `const { openWal } = await import(${JSON.stringify(mod)});
        try { await openWal(${JSON.stringify(join(dir, 'app.wal'))}); console.log('opened'); }
        catch (e) { console.log(JSON.stringify({ code: e.code, cause: e.cause?.code, message: e.message })); }`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 30_000 });
      if (r.error) {
        console.log(`  (skipped the EACCES case: cannot run a child as nobody: ${r.error.message})`);
        return;
      }
      // nobody must be able to load the built package: a checkout under a 0700 directory
      // (mktemp -d) cannot be read by it, and that says nothing about openWal.
      if (!r.stdout.trim()) {
        console.log(`  (skipped the EACCES case: nobody cannot load ${mod}: ${r.stderr.trim().split('\n')[0]})`);
        return;
      }
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { code: string; cause: string; message: string };
      assert.is(out.code, 'EACCES', r.stdout + r.stderr);
      assert.is(out.cause, 'EACCES');
      assert.match(out.message, /permission denied/i);
      assert.equal(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const path = tempWal('app.wal');
  chmodSync(dirname(path), 0o555);
  try {
    const err = await openError(path);
    assert.is(err.code, 'EACCES');
    assert.is((err.cause as NodeJS.ErrnoException).code, 'EACCES');
  } finally {
    chmodSync(dirname(path), 0o755);
  }
});

test('a read-only filesystem: EROFS (a tmpfs mounted ro, as root; skipped otherwise)', async () => {
  if (!isRoot) {
    console.log('  (skipped: mounting a read-only tmpfs needs root)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'threadwal-erofs-'));
  let mounted = false;
  try {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
      mounted = true;
      writeFileSync(join(dir, 'app.wal'), '');
      execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
    } catch (err) {
      console.log(`  (skipped: cannot mount a tmpfs here: ${(err as Error).message.split('\n')[0]})`);
      return;
    }
    const err = await openError(join(dir, 'app.wal'));
    assert.is(err.code, 'EROFS');
    assert.is((err.cause as NodeJS.ErrnoException).code, 'EROFS');
    assert.match(err.message, /read-only/);
  } finally {
    if (mounted) execFileSync('umount', ['-l', dir]); // lazily: never left mounted, even with a file still open on it
    rmSync(dir, { recursive: true, force: true });
  }
});

const fault = (q: string): string => `${pathToFileURL(fixture('errno-on.mjs')).href}?${q}`;

for (const code of ['EMFILE', 'ENFILE'] as const) {
  test(`${code} opening the file: EMFILE, the message says to raise the limit`, async () => {
    const err = await openError(tempWal(), { faultInjection: fault(`op=openSync&code=${code}`) });
    assert.is(err.code, 'EMFILE');
    assert.is((err.cause as NodeJS.ErrnoException).code, code);
    assert.match(err.message, /open files/);
  });
}

for (const code of ['ENOSPC', 'EDQUOT', 'EIO'] as const) {
  test(`${code} writing a batch rejects it with ${code} (EDQUOT no longer reads as ENOSPC); the log stays open`, async () => {
    const path = tempWal();
    const wal = await openWal(path, { faultInjection: fault(`op=writeSync&code=${code}`) });
    try {
      let got: unknown;
      await wal.append({ ts: 1, type: 'job_started', job_id: 'j' }).catch((e: unknown) => { got = e; });
      assert.instance(got, WalError);
      assert.is((got as WalError).code, code);
      assert.is(((got as WalError).cause as NodeJS.ErrnoException).code, code);
      if (code !== 'EIO') assert.match((got as WalError).message, /free space/);
      assert.is((await wal.stats()).failed, false);
    } finally {
      await wal.close();
    }
  });
}

test.run();
