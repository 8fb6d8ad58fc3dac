import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, constants, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fsSeam, readFully, fsyncDir } from '../src/util/fs-seam.js';
import { tmpDir } from './helpers.js';

test('readFully keeps reading through short reads', () => {
  const path = join(tmpDir(), 'f');
  writeFileSync(path, 'abcdefghijklmnopqrstuvwxyz');
  const fd = openSync(path, constants.O_RDONLY);
  const real = fsSeam.readSync;
  let calls = 0;
  fsSeam.readSync = (f, b, off, len, pos) => { calls += 1; return real(f, b, off, Math.min(len, 3), pos); };
  try {
    const buf = Buffer.alloc(20);
    assert.is(readFully(fd, buf, 20, 4), 20);
    assert.is(buf.toString(), 'efghijklmnopqrstuvwx');
    assert.ok(calls >= 7);
  } finally {
    fsSeam.readSync = real;
    closeSync(fd);
  }
});

test('readFully stops at end of file', () => {
  const path = join(tmpDir(), 'f');
  writeFileSync(path, 'abc');
  const fd = openSync(path, constants.O_RDONLY);
  try {
    const buf = Buffer.alloc(10);
    assert.is(readFully(fd, buf, 10, 1), 2);
    assert.is(buf.toString('utf8', 0, 2), 'bc');
    assert.is(readFully(fd, buf, 10, 3), 0);
  } finally {
    closeSync(fd);
  }
});

test('fsyncDir opens, fsyncs and closes the directory through the seam', () => {
  const dir = tmpDir();
  const real = { ...fsSeam };
  const log: string[] = [];
  fsSeam.openSync = (p, flags, mode) => { log.push(`open ${p === dir}`); return real.openSync(p, flags, mode); };
  fsSeam.fsyncSync = (fd) => { log.push('fsync'); real.fsyncSync(fd); };
  fsSeam.closeSync = (fd) => { log.push('close'); real.closeSync(fd); };
  try {
    fsyncDir(dir);
  } finally {
    Object.assign(fsSeam, real);
  }
  assert.equal(log, ['open true', 'fsync', 'close']);
});

test('fsyncDir closes the directory even when fsync fails', () => {
  const dir = tmpDir();
  const real = { ...fsSeam };
  let closed = 0;
  fsSeam.fsyncSync = () => { throw Object.assign(new Error('EIO'), { code: 'EIO' }); };
  fsSeam.closeSync = (fd) => { closed += 1; real.closeSync(fd); };
  let threw = false;
  try {
    fsyncDir(dir);
  } catch (err) {
    threw = (err as NodeJS.ErrnoException).code === 'EIO';
  } finally {
    Object.assign(fsSeam, real);
  }
  assert.ok(threw);
  assert.is(closed, 1);
});

test.run();
