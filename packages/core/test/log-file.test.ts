import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, existsSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ActiveFile } from '../src/writer/log-file.js';
import { fsSeam, type FsSeam } from '../src/util/fs-seam.js';
import { WalError } from '../src/errors.js';
import { writeMetaNextSeq, readWalId, readMetaNextSeq } from '../src/segments/segments.js';
import { tmpDir, lines, readRecords, walErrorOf } from './helpers.js';

/** Replaces some seam methods while `fn` runs, then restores them. */
async function withSeam(patch: (real: FsSeam) => Partial<FsSeam>, fn: () => unknown): Promise<void> {
  const real = { ...fsSeam };
  Object.assign(fsSeam, patch(real));
  try {
    await fn();
  } finally {
    Object.assign(fsSeam, real);
  }
}

function errno(code: string): Error {
  return Object.assign(new Error(`${code}: injected`), { code });
}

function buf(s: string): Buffer {
  return Buffer.from(s);
}

function opened(path: string): ActiveFile {
  const f = new ActiveFile(path);
  f.open();
  return f;
}

// ---- open -----------------------------------------------------------------------------------

test('open creates missing parent directories and the file', () => {
  const path = join(tmpDir(), 'x', 'y', 'wal.jsonl');
  const f = opened(path);
  try {
    assert.ok(f.fd >= 0);
    assert.ok(statSync(path).isFile());
    assert.is(f.created, true);
    assert.is(f.size, 0);
    assert.is(f.nextSeq, 0);
  } finally {
    f.closeFd();
  }
});

test('open gives a log without one its id in .meta, and keeps it on every later open', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, lines(0, 2));
  assert.is(readWalId(path), undefined);
  opened(path).closeFd();
  const id = readWalId(path);
  assert.match(id ?? '', /^[0-9a-f]{32}$/);
  assert.is(readMetaNextSeq(path), 0, 'the segments, not the meta file, give the next seq');
  const f = opened(path);
  assert.is(f.nextSeq, 2);
  f.closeFd();
  assert.is(readWalId(path), id);
});

test('open never truncates an existing file and continues its seq', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, lines(0, 3));
  const f = opened(path);
  try {
    assert.is(f.created, false);
    assert.is(f.size, Buffer.byteLength(lines(0, 3)));
    assert.is(f.nextSeq, 3);
    assert.is(readFileSync(path, 'utf8'), lines(0, 3));
  } finally {
    f.closeFd();
  }
});

test('open fails with a WalError (ENOTDIR, naming the file) when the parent is a file', async () => {
  const dir = tmpDir();
  writeFileSync(join(dir, 'file'), '');
  const err = await walErrorOf(() => new ActiveFile(join(dir, 'file', 'wal.jsonl')).open());
  assert.is(err.code, 'ENOTDIR');
  assert.ok(err.message.includes(`${join(dir, 'file')} is a file`), err.message);
});

test('open refuses a FIFO with EINVAL at once (O_NONBLOCK, then fstat), writing no .meta beside it', async () => {
  const dir = tmpDir();
  const path = join(dir, 'fifo');
  execFileSync('mkfifo', [path]);
  const err = await walErrorOf(() => new ActiveFile(path).open());
  assert.is(err.code, 'EINVAL');
  assert.match(err.message, /is a FIFO/);
  assert.not.ok(existsSync(`${path}.meta`));
});

/** The paths fsynced while `fn` runs (through fsSeam: files and directories). */
async function fsyncedDuring(fn: () => void): Promise<string[]> {
  const names = new Map<number, string>();
  const synced: string[] = [];
  await withSeam((real) => ({
    openSync: (p, flags, mode) => { const fd = real.openSync(p, flags, mode); names.set(fd, p); return fd; },
    fsyncSync: (fd) => { synced.push(names.get(fd) ?? `fd ${fd}`); real.fsyncSync(fd); },
  }), fn);
  return synced;
}

test('creating the file fsyncs its directory', async () => {
  const dir = tmpDir();
  const path = join(dir, 'wal.jsonl');
  let f: ActiveFile | undefined;
  const synced = await fsyncedDuring(() => { f = opened(path); });
  f!.closeFd();
  assert.ok(synced.includes(dir), `fsynced: ${JSON.stringify(synced)}`);
});

test('creating missing parent directories fsyncs the directory each one was created in', async () => {
  // Regression (found by this suite, fixed in 71360bb): open ran a recursive mkdir and fsynced
  // only the file's own directory, so the new directories' entries in their parents were never
  // durable and a power loss could take the whole path, acked events included, with it.
  // DESIGN: "Directories are fsynced after create".
  const root = tmpDir();
  const path = join(root, 'a', 'b', 'wal.jsonl');
  let f: ActiveFile | undefined;
  const synced = await fsyncedDuring(() => { f = opened(path); });
  f!.closeFd();
  for (const d of [root, join(root, 'a'), join(root, 'a', 'b')]) assert.ok(synced.includes(d), `${d} not fsynced; fsynced: ${JSON.stringify(synced)}`);
});

// ---- write ----------------------------------------------------------------------------------

test('write appends whole lines and advances size', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const f = opened(path);
  try {
    f.write(buf(lines(0, 2)), Buffer.byteLength(lines(0, 2)));
    const more = buf(lines(2, 1) + 'unused tail');
    f.write(more, Buffer.byteLength(lines(2, 1)));
    assert.is(f.size, Buffer.byteLength(lines(0, 3)));
    assert.is(readFileSync(path, 'utf8'), lines(0, 3));
  } finally {
    f.closeFd();
  }
});

test('short writes, EAGAIN and EINTR are retried until every byte is written', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const f = opened(path);
  let calls = 0;
  try {
    await withSeam((real) => ({
      writeSync: (fd, b, off, len) => {
        calls += 1;
        if (calls % 3 === 1) throw errno(calls % 2 ? 'EAGAIN' : 'EINTR');
        return real.writeSync(fd, b, off, Math.min(len, 5));
      },
    }), () => f.write(buf(lines(0, 4)), Buffer.byteLength(lines(0, 4))));
    assert.is(readFileSync(path, 'utf8'), lines(0, 4));
    assert.is(f.size, Buffer.byteLength(lines(0, 4)));
    assert.ok(calls > 20);
  } finally {
    f.closeFd();
  }
});

for (const code of ['ENOSPC', 'EDQUOT', 'EIO'] as const) {
  test(`a write failing with ${code} after a partial write cuts the file back and throws ${code}`, async () => {
    const path = join(tmpDir(), 'wal.jsonl');
    writeFileSync(path, lines(0, 2));
    const f = opened(path);
    try {
      let first = true;
      const err = await walErrorOf(() => withSeam((real) => ({
        writeSync: (fd, b, off, len) => {
          if (first) { first = false; return real.writeSync(fd, b, off, Math.floor(len / 2)); }
          throw errno(code);
        },
      }), () => f.write(buf(lines(2, 3)), Buffer.byteLength(lines(2, 3)))));
      assert.is(err.code, code);
      assert.is((err.cause as NodeJS.ErrnoException).code, code);
      assert.is(err.path, path);
      assert.is(readFileSync(path, 'utf8'), lines(0, 2), 'no partial line stays');
      assert.is(f.size, Buffer.byteLength(lines(0, 2)));
      // The fd is still good: the next write lands right after the last whole line.
      f.write(buf(lines(2, 1)), Buffer.byteLength(lines(2, 1)));
      assert.equal(readRecords(path).map((r) => r.seq), [0, 1, 2]);
    } finally {
      f.closeFd();
    }
  });
}

test('a failed write whose cut-back also fails is marked fatal', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const f = opened(path);
  try {
    const err = await walErrorOf(() => withSeam(() => ({
      writeSync: () => { throw errno('EIO'); },
      ftruncateSync: () => { throw errno('EIO'); },
    }), () => f.write(buf(lines(0, 1)), Buffer.byteLength(lines(0, 1)))));
    assert.is(err.code, 'EIO');
    assert.is((err as WalError & { fatal?: boolean }).fatal, true);
  } finally {
    f.closeFd();
  }
});

// ---- makeDurable ----------------------------------------------------------------------------

test("makeDurable calls fdatasync, fsync or nothing as asked", async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const f = opened(path);
  const calls: string[] = [];
  try {
    await withSeam((real) => ({
      fdatasyncSync: (fd) => { calls.push('fdatasync'); real.fdatasyncSync(fd); },
      fsyncSync: (fd) => { calls.push('fsync'); real.fsyncSync(fd); },
    }), () => {
      f.makeDurable('fdatasync');
      f.makeDurable('fsync');
      f.makeDurable('none');
    });
    assert.equal(calls, ['fdatasync', 'fsync']);
  } finally {
    f.closeFd();
  }
});

for (const mode of ['fdatasync', 'fsync'] as const) {
  test(`makeDurable: ${mode} failing is EFSYNC with the original error as cause`, async () => {
    const path = join(tmpDir(), 'wal.jsonl');
    const f = opened(path);
    try {
      const err = await walErrorOf(() => withSeam(() => ({
        fdatasyncSync: () => { throw errno('EIO'); },
        fsyncSync: () => { throw errno('EIO'); },
      }), () => f.makeDurable(mode)));
      assert.is(err.code, 'EFSYNC');
      assert.is((err.cause as NodeJS.ErrnoException).code, 'EIO');
    } finally {
      f.closeFd();
    }
  });
}

// ---- revalidate -----------------------------------------------------------------------------

test('revalidate: nothing changed costs no read', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, lines(0, 3));
  const f = opened(path);
  let reads = 0;
  try {
    await withSeam((real) => ({ readSync: (...a) => { reads += 1; return real.readSync(...a); } }), () => f.revalidate());
    assert.is(reads, 0);
    assert.is(f.nextSeq, 3);
    assert.is(f.reopens, 0);
  } finally {
    f.closeFd();
  }
});

test('revalidate: another process appended, so the tail is re-read and the seq continues after it', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, lines(0, 3));
  const f = opened(path);
  try {
    appendFileSync(path, lines(3, 2));
    f.revalidate();
    assert.is(f.nextSeq, 5);
    assert.is(f.size, Buffer.byteLength(lines(0, 5)));
    assert.is(f.reopens, 0);
  } finally {
    f.closeFd();
  }
});

test('revalidate: another process died mid-write, so its torn tail is cut', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, lines(0, 3));
  const f = opened(path);
  try {
    appendFileSync(path, lines(3, 1) + '{"seq":4,"ts":1');
    f.revalidate();
    assert.is(f.nextSeq, 4);
    assert.is(readFileSync(path, 'utf8'), lines(0, 4));
    assert.is(f.tornBytes, '{"seq":4,"ts":1'.length);
  } finally {
    f.closeFd();
  }
});

test('revalidate: {path} was rotated away, so it reopens the new file and continues from .1', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, lines(0, 3));
  const f = opened(path);
  try {
    renameSync(path, `${path}.1`);
    writeFileSync(path, '');
    f.revalidate();
    assert.is(f.reopens, 1);
    assert.is(f.nextSeq, 3);
    assert.is(f.size, 0);
    f.write(buf(lines(3, 1)), Buffer.byteLength(lines(3, 1)));
    assert.is(readFileSync(path, 'utf8'), lines(3, 1));
    assert.is(readFileSync(`${path}.1`, 'utf8'), lines(0, 3));
  } finally {
    f.closeFd();
  }
});

test('revalidate: {path} was removed by cleanup, so it is re-created and the seq comes from meta', () => {
  const path = join(tmpDir(), 'wal.jsonl');
  writeFileSync(path, lines(0, 3));
  const f = opened(path);
  try {
    writeMetaNextSeq(path, 3);
    unlinkSync(path);
    f.revalidate();
    assert.ok(existsSync(path));
    assert.is(f.reopens, 1);
    assert.is(f.nextSeq, 3);
  } finally {
    f.closeFd();
  }
});

test('closeFd is idempotent', () => {
  const f = opened(join(tmpDir(), 'wal.jsonl'));
  f.closeFd();
  assert.is(f.fd, -1);
  f.closeFd();
  assert.ok(existsSync(dirname(f.path)));
});

test.run();
