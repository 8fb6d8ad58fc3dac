// The lock itself: `{path}.lock`, an empty file that appears with its owner stamp already
// on it. It is made under a temporary name, `{path}.lock.tmp-<pid>-<hex>`, stamped (atime:
// who, see lock-owner.ts; mtime: now, for proper-lockfile's staleness), then hard-linked
// to `{path}.lock`. link(2) fails with EEXIST when anything is there already (a file, or
// the directory an older threadwal made), atomically, which is the mutual exclusion; a
// rename would not do: it replaces an existing file (and an empty directory). So a process
// killed at any step leaves either no lock (only a temp name nobody waits for, swept later)
// or a lock stamped with its pid, which the next process takes over at once
// (removeIfOwnerDead). Before this, the lock was a directory made by mkdir and stamped
// after: a kill between the two left a lock nobody could judge, and the next process waited
// lockStaleMs (issue 22: ~9 s restarts after 3 of 45 power cuts). An empty file also needs
// no data block, so the lock can still be taken on a full disk (a directory needs one).
// On a filesystem without hard links (vfat, some FUSE and SMB mounts: link fails EPERM,
// ENOTSUP, ENOSYS) the lock is created directly with O_EXCL and stamped right after: the
// old window (a kill in between leaves an unstamped lock, judged by staleness) returns
// there only. This module loads only node:fs: the lock board (main thread) uses it too.
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** Temp names of locks being made: `{lock}.tmp-<pid>-<hex>`. */
function tempName(lockPath: string): string {
  return `${lockPath}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Creates `lockPath` already stamped (`atime` seconds, mtime now). Throws an EEXIST error
 * when something is there, else the error of the step that failed (ENOENT, EACCES, EROFS...),
 * leaving no temp name behind.
 */
export function createLock(lockPath: string, atime: number): void {
  if (fs.lstatSync(lockPath, { throwIfNoEntry: false })) throw errno('EEXIST', `file already exists, link '${lockPath}'`);
  const tmp = tempName(lockPath);
  fs.closeSync(fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644));
  try {
    stamp(tmp, atime);
    try {
      fs.linkSync(tmp, lockPath);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      // Our temp name swept meanwhile (by a process that could not see our pid: another pid
      // namespace on a shared volume): not taken this time, try again as a waiter does.
      if (code === 'ENOENT') throw errno('EEXIST', `temp name ${tmp} vanished before its link`);
      if (!NO_LINKS.has(code)) throw err;
      createDirectly(lockPath, atime);
    }
  } finally {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // a sweep of a later process removes it
    }
  }
}

/** What link(2) says on a filesystem that has no hard links. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** Without hard links: O_EXCL (EEXIST when held), then the stamp. */
function createDirectly(lockPath: string, atime: number): void {
  fs.closeSync(fs.openSync(lockPath, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644));
  stamp(lockPath, atime);
}

/**
 * Sets the owner stamp (atime, seconds) and mtime now. By path, not futimes: Deno's futimes
 * truncates to the millisecond below (12345.123 s reads back as 12345122 ms), which breaks
 * its millisecond stamp (lock-owner.ts); its utimes rounds as Node's does.
 */
function stamp(path: string, atime: number): void {
  fs.utimesSync(path, atime, new Date());
}

/**
 * Removes the lock at `lockPath` (a file, or the directory an older threadwal made). Throws
 * what unlink/rmdir throw (ENOENT included: the caller decides).
 */
export function removeLock(lockPath: string): void {
  try {
    fs.unlinkSync(lockPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM') throw err;
    fs.rmdirSync(lockPath);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The pattern of `lockPath`'s temp names; group 1 is the pid of the process that made it. */
export function lockTempPattern(lockPath: string): RegExp {
  return new RegExp(`^${escapeRegExp(basename(lockPath))}\\.tmp-(\\d+)-[0-9a-f]+$`);
}

/** Removes the temp names of `lockPath` whose maker `isDead(pid)`; returns how many. */
export function sweepLockTemps(lockPath: string, isDead: (pid: number) => boolean): number {
  const re = lockTempPattern(lockPath);
  let names: string[];
  try {
    names = fs.readdirSync(dirname(lockPath));
  } catch {
    return 0;
  }
  let n = 0;
  for (const name of names) {
    const m = re.exec(name);
    if (!m || !isDead(Number(m[1]))) continue;
    try {
      fs.unlinkSync(join(dirname(lockPath), name));
      n += 1;
    } catch {
      // gone already
    }
  }
  return n;
}
