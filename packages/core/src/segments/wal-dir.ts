// Making the directory a WAL lives in, and refusing one where files cannot be made.
// Node's mkdirSync(dir, { recursive: true }) never returns for a path under /proc (mkdir
// there fails ENOENT although the parent exists, and Node retries the parent forever), and
// for a path through a file it throws EEXIST; mkdirParents makes one level at a time and
// says what is wrong. A path on a kernel pseudo-filesystem (/proc, /sys, ...) is refused
// up front: creating the lock there would fail with a misleading ENOENT or EPERM.
import { mkdirSync, statSync, statfsSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { WalError, fromFsError } from '../errors.js';

/** statfs f_type of Linux's pseudo-filesystems, where a WAL's files cannot be created. */
const PSEUDO_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'], [0x62656572, 'sysfs'], [0x27e0eb, 'cgroup'], [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'], [0x74726163, 'tracefs'], [0x73636673, 'securityfs'], [0x1cd1, 'devpts'],
  [0xcafe4a11, 'bpf'], [0x6165676c, 'pstore'], [0x62656570, 'configfs'], [0xde5e81e4, 'efivarfs'],
  [0xf97cff8c, 'selinuxfs'], [0x42494e4d, 'binfmt_misc'], [0x65735543, 'fusectl'], [0x19800202, 'mqueue'],
  [0x6e736673, 'nsfs'],
]);

/** Throws EINVAL when the existing directory `dir` is on a kernel pseudo-filesystem. */
export function checkNotPseudoFs(dir: string, path: string): void {
  if (process.platform !== 'linux') return;
  let type: number;
  try {
    type = statfsSync(dir).type;
  } catch {
    return; // whatever is wrong shows when the file is made
  }
  const name = PSEUDO_FS.get(type);
  if (name !== undefined) {
    throw new WalError('EINVAL', `${path} is on a ${name} filesystem (${dir}), where files cannot be created: put the WAL on a disk filesystem`, { path });
  }
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined; // a file higher up: found below
    throw err;
  }
}

/**
 * Creates `dir` and its missing parents, one level at a time. Returns the topmost directory
 * it created (as mkdirSync's recursive mode does), undefined when `dir` existed. Throws
 * WalError: ENOTDIR naming the file that stands where a directory must be, EINVAL for a
 * pseudo-filesystem, else the mapped errno (EACCES, EROFS, ...).
 */
export function mkdirParents(dir: string, path: string = dir): string | undefined {
  const missing: string[] = [];
  let d = dir;
  try {
    for (;;) {
      const st = statOrUndefined(d);
      if (st) {
        if (!st.isDirectory()) throw new WalError('ENOTDIR', `${d} is a file, not a directory, so ${path} cannot be created under it: fix the path`, { path });
        if (missing.length > 0) checkNotPseudoFs(d, path);
        break;
      }
      missing.push(d);
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
    for (let i = missing.length - 1; i >= 0; i--) {
      try {
        mkdirSync(missing[i]!);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statOrUndefined(missing[i]!)?.isDirectory()) continue; // made by someone else meanwhile
        throw err;
      }
    }
  } catch (err) {
    throw fromFsError(err, missing.length > 0 ? missing[missing.length - 1]! : dir, `creating the directory of ${path}`);
  }
  return missing.length > 0 ? missing[missing.length - 1] : undefined;
}
