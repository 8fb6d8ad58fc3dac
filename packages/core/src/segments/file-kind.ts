// What may stand at a WAL's path: a regular file, or nothing yet. openWal checks the path
// (and `.meta`) on the caller's thread before it spawns the writer, so a FIFO, a socket, a
// device or a directory is refused before anything is created beside it (no `.meta`, no
// lock); the writer thread checks its fd again after opening (a FIFO made in between).
import { statSync, type Stats } from 'node:fs';
import { WalError, fromFsError } from '../errors.js';
import { dirname } from 'node:path';
import { metaPath } from './segments.js';
import { checkNotPseudoFs } from './wal-dir.js';

/** What a non-regular file is, for an error message. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * The error for `p` (the WAL file `path` itself, or its `.meta`) being `st`, not a regular
 * file: EISDIR for a directory, else EINVAL naming what it is.
 */
export function notAWalFile(p: string, path: string, st: Stats): WalError {
  const what = p === path ? 'a WAL file' : `the .meta file of the WAL ${path}`;
  if (st.isDirectory()) return new WalError('EISDIR', `${p} is a directory, not ${what}: the WAL path must name a file`, { path });
  return new WalError('EINVAL', `${p} is ${fileKind(st)}, not ${what}: a WAL must be a regular file`, { path });
}

/**
 * Throws unless the WAL at the resolved `path` is a regular file or absent, and its `.meta`
 * too (symlinks followed). Stats only: opens nothing, so a FIFO never blocks it.
 */
export function checkWalFile(path: string): void {
  checkNotPseudoFs(dirname(path), path);
  for (const p of [path, metaPath(path)]) {
    let st: Stats | undefined;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch (err) {
      throw fromFsError(err, p, 'stat');
    }
    if (st && !st.isFile()) throw notAWalFile(p, path, st);
  }
}
