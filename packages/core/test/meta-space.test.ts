// Issue 22, item 4, at the fs seam: `.meta` updates on a full disk. A failed temp file is
// always removed; out of space (ENOSPC, EDQUOT) the update is written over the old `.meta`
// in place, within the block it has, so rotation, cleanup and retention can go on to free
// space; listTemps/sweepTemps find every temp name a killed process can leave.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { writeMetaNextSeq, readMetaNextSeq, readWalId, ensureWalId, shiftSegments, rotatedIndexes } from '../src/segments/segments.js';
import { listTemps, sweepTemps } from '../src/segments/temp-files.js';
import { fsSeam, type FsSeam } from '../src/util/fs-seam.js';
import { tmpDir, lines } from './helpers.js';

function errno(code: string): Error {
  return Object.assign(new Error(`${code}: injected`), { code });
}

/** Runs `fn` with the seam's methods patched, then restores them. */
function withSeam(patch: (real: FsSeam) => Partial<FsSeam>, fn: () => void): void {
  const real = { ...fsSeam };
  Object.assign(fsSeam, patch(real));
  try {
    fn();
  } finally {
    Object.assign(fsSeam, real);
  }
}

/** Writes to a `.meta.tmp-*` file fail with `code`; everything else is real. */
const tempWritesFail = (code: string) => (real: FsSeam): Partial<FsSeam> => {
  const temps = new Set<number>();
  return {
    openSync: (p, flags, mode) => { const fd = real.openSync(p, flags, mode); if (p.includes('.meta.tmp-')) temps.add(fd); return fd; },
    writeSync: (fd, b, off, len) => { if (temps.has(fd)) throw errno(code); return real.writeSync(fd, b, off, len); },
    closeSync: (fd) => { temps.delete(fd); real.closeSync(fd); }, // fd numbers are reused
  };
};

const names = (dir: string): string[] => readdirSync(dir).sort();

for (const code of ['ENOSPC', 'EDQUOT'] as const) {
  test(`${code} writing the temp file: the update goes over .meta in place, no temp file is left, the id is kept`, () => {
    const dir = tmpDir();
    const path = join(dir, 'wal');
    const id = ensureWalId(path);
    writeMetaNextSeq(path, 5);
    const before = statSync(`${path}.meta`).ino;
    withSeam(tempWritesFail(code), () => writeMetaNextSeq(path, 123456789));
    assert.is(readMetaNextSeq(path), 123456789);
    assert.is(readWalId(path), id);
    assert.is(statSync(`${path}.meta`).ino, before, 'the same file, written in place');
    assert.equal(names(dir), ['wal.meta']);
  });
}

test('in place, a shorter record is padded with spaces: no old byte stays after it', () => {
  const dir = tmpDir();
  const path = join(dir, 'wal');
  writeFileSync(`${path}.meta`, `{"next_seq":1,"id":"${'a'.repeat(32)}","pad":"${'z'.repeat(40)}"}\n`);
  withSeam(tempWritesFail('ENOSPC'), () => writeMetaNextSeq(path, 2));
  const text = readFileSync(`${path}.meta`, 'utf8');
  assert.match(text, /^\{"next_seq":2,"id":"a{32}"\} +\n$/);
  assert.is(readMetaNextSeq(path), 2);
});

test('no .meta to write over: the ENOSPC is thrown, and no temp file is left', () => {
  const dir = tmpDir();
  const path = join(dir, 'wal');
  let code: string | undefined;
  withSeam(tempWritesFail('ENOSPC'), () => {
    try {
      writeMetaNextSeq(path, 7);
    } catch (err) {
      code = (err as NodeJS.ErrnoException).code;
    }
  });
  assert.is(code, 'ENOSPC');
  assert.equal(names(dir), []);
});

test('any other failure (EIO on fsync) is thrown as it is, never written in place, and no temp file is left', () => {
  const dir = tmpDir();
  const path = join(dir, 'wal');
  writeMetaNextSeq(path, 3);
  let code: string | undefined;
  withSeam((real) => ({ fsyncSync: (fd) => { if (fsSeam.fstatSync(fd).isFile() && fsSeam.fstatSync(fd).size > 0 && fsSeam.fstatSync(fd).nlink > 0) throw errno('EIO'); real.fsyncSync(fd); } }), () => {
    try {
      writeMetaNextSeq(path, 9);
    } catch (err) {
      code = (err as NodeJS.ErrnoException).code;
    }
  });
  assert.is(code, 'EIO');
  assert.is(readMetaNextSeq(path), 3);
  assert.equal(names(dir), ['wal.meta']);
});

test('shiftSegments on a full disk: records the next seq in place, then rotates', () => {
  const dir = tmpDir();
  const path = join(dir, 'wal');
  ensureWalId(path);
  writeFileSync(path, lines(0, 3));
  writeFileSync(`${path}.1`, 'old\n');
  withSeam(tempWritesFail('ENOSPC'), () => shiftSegments(path, 1, 3));
  assert.is(readMetaNextSeq(path), 3);
  assert.equal(rotatedIndexes(path), [1]);
  assert.is(readFileSync(`${path}.1`, 'utf8'), lines(0, 3));
  assert.is(readFileSync(path, 'utf8'), '');
  assert.equal(names(dir), ['wal', 'wal.1', 'wal.meta']);
});

test('listTemps and sweepTemps find every temp name a killed process leaves: cleanup, .meta and lock temps', () => {
  const dir = tmpDir();
  const path = join(dir, 'app.wal');
  const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
  const left = [`app.wal.cleanup-${dead}-0a1b2c.tmp`, `app.wal.meta.tmp-${dead}-k3j2h1`, `app.wal.lock.tmp-${dead}-00ff00`];
  const mine = `app.wal.meta.tmp-${process.pid}-abc`; // a live process's, in flight: not touched
  for (const n of [...left, mine, 'app.wal', 'app.wal.1', 'other.wal.meta.tmp-1-x']) writeFileSync(join(dir, n), '');
  assert.equal(listTemps(path).map((t) => [t.path.slice(dir.length + 1), t.stale]).sort(), [...left.map((n) => [n, true]), [mine, false]].sort());
  assert.is(sweepTemps(path), 3);
  assert.equal(names(dir), ['app.wal', 'app.wal.1', mine, 'other.wal.meta.tmp-1-x'].sort());
});

test.run();
