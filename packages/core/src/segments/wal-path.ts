// One path, one log (issue 10): a WAL named through a symlink, a relative path, `..` or
// any other spelling is the same log for the writer, the lock, every maintenance job and
// the CLI. They all call resolveWalPath and derive the lock directory, `.meta` and the
// segments from its result, so those always live beside the real file. (A rotate that
// renamed a symlink instead of its target used to fork the seq into a new file.)
//
// Resolution is physical, as open(2) does it: `link/../wal` is the `wal` beside the
// link's target, not beside the link (path.resolve and fs.realpathSync would say the
// latter). The file may not exist yet: then the directory is resolved and the name kept.
// A dangling symlink is followed to the file it names, which is where the writer's
// O_CREAT would create it; a symlink loop is EINVAL. Two bind mounts of one directory
// are different paths to the same inodes: each resolves to its own spelling, but the
// lock directory, `.meta` and segments are the same files, so they are still one log.
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { WalError } from '../errors.js';
import { metaPath, rotatedIndexes } from './segments.js';
import { mkdirParents } from './wal-dir.js';

// For the CLI, which loads this module alone (`@threadwal/core/wal-path`) at startup.
export { metaPath, rotatedIndexes };

/** Linux's MAXSYMLINKS: more links than this in a chain is a loop. */
const MAX_LINKS = 40;

export interface ResolveWalPathOptions {
  /** Create the file's directory when it is missing (the writer does; readers never). Default false. */
  createDir?: boolean | undefined;
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/**
 * The absolute path every part of threadwal knows the WAL `path` by: symlinks (the file's
 * own included, even dangling) and `..` resolved as the kernel would. Throws WalError
 * EINVAL for an empty path, a path that names a directory by its form (`dir/`, `..`) or a
 * symlink loop.
 */
export function resolveWalPath(path: string, options: ResolveWalPathOptions = {}): string {
  if (typeof path !== 'string' || path.length === 0) throw new WalError('EINVAL', 'path must be a non-empty string');
  if (path.includes('\0')) throw new WalError('EINVAL', `path must not contain NUL bytes, got ${JSON.stringify(path)}`);
  if (path.endsWith('/')) throw new WalError('EINVAL', `path must name a file, got the directory ${path}`, { path });
  // Not normalized: `..` after a symlink is resolved by realpath(3), physically.
  let p = isAbsolute(path) ? path : `${process.cwd()}/${path}`;
  for (let links = 0; ; links++) {
    try {
      return realpathSync.native(p);
    } catch (err) {
      if (errnoOf(err) === 'ELOOP') throw new WalError('EINVAL', `${path} is a symlink loop`, { path, cause: err });
    }
    // Missing (or not reachable): a dangling symlink is followed by hand, as open(O_CREAT) would.
    let target: string | undefined;
    try {
      if (lstatSync(p).isSymbolicLink()) target = readlinkSync(p);
    } catch {
      // nothing at p, or its directory is missing: resolve what exists below
    }
    if (target === undefined) break;
    if (links >= MAX_LINKS) throw new WalError('EINVAL', `${path} is a symlink loop`, { path });
    p = isAbsolute(target) ? target : `${dirname(p)}/${target}`;
  }
  const name = basename(p);
  if (name === '.' || name === '..') throw new WalError('EINVAL', `path must name a file, got the directory ${path}`, { path });
  const dir = dirname(p);
  if (options.createDir) mkdirParents(dir, path);
  try {
    return join(realpathSync.native(dir), name);
  } catch {
    return resolve(p); // the directory is missing too: nothing there to be the same as
  }
}

/** True when any part of the WAL at the resolved `path` exists: the active file, a rotated segment or `.meta`. */
export function walExists(path: string): boolean {
  return lstatExists(path) || rotatedIndexes(path).length > 0 || lstatExists(metaPath(path));
}

function lstatExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
