// Who holds the lock, stamped in its atime, so a waiter can take over at once from
// a holder that is dead (SIGKILL, or a signal with no handler, runs no exit hook) instead
// of waiting lockStaleMs for proper-lockfile's mtime-based staleness.
//
// atime = pid + tag / 2^16 seconds, where tag is a 16-bit hash of this host's name and pid
// namespace: a pid is only judged where it means the same process. proper-lockfile never
// reads atime (staleness is mtime); its refresh writes atime too, so PathLock re-stamps it.
// A waiter takes over only when the stamp decodes to this host and namespace, the pid is
// not ours, and kill(pid, 0) says ESRCH; anything else (a stamp it cannot read, a live or
// foreign pid) leaves proper-lockfile's staleness to decide. The writer's fence (inode and
// birth time of the lock before every write) still guards against a mistake.
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { removeLock } from './lock-file.js';
import { RUNTIME } from '../util/runtime.js';

const TAG_SCALE = 2 ** 16; // steps of ~15 us: timestamps round-trip at microsecond precision
const MAX_PID = 2 ** 22;

function hostTag(): number {
  let ns = '';
  try {
    ns = fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    // not Linux: the host name alone
  }
  let h = 0x811c9dc5; // FNV-1a
  for (const c of `${hostname()}\0${ns}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return ((h >>> 0) % (TAG_SCALE - 1)) + 1; // 1 .. 2^16-1; 0 would read as "no tag"
}

const TAG = hostTag();

/**
 * Deno sets atime to the millisecond only (its utimes truncates), which would cut the tag:
 * there the stamp's fraction is a whole number of milliseconds, this 1..999 tag, a coarser
 * hash of the same host and namespace. Every runtime reads both forms.
 */
export const MS_TAG = (TAG % 999) + 1;

/**
 * The millisecond stamp of `pid`, in seconds: a quarter millisecond over the tag, so that
 * truncating it to the millisecond (as Deno does) lands on the tag, whatever the float
 * error of pid + tag/1000 (which truncated to tag - 1 for ~1 pid in 130).
 */
export function msStamp(pid: number): number {
  return pid + (MS_TAG + 0.25) / 1000;
}

/** The atime (in seconds) that says "this process holds it". */
export const OWNER_STAMP = RUNTIME === 'deno' ? msStamp(process.pid) : process.pid + TAG / TAG_SCALE;

/** The pid a stamp names, when it was written by a process of this host and pid namespace; else -1. */
export function stampedPid(atimeMs: number): number {
  const s = atimeMs / 1000;
  const pid = Math.floor(s);
  if (pid <= 0 || pid >= MAX_PID) return -1;
  if (Math.round((s - pid) * TAG_SCALE) === TAG) return pid;
  const ms = atimeMs - pid * 1000; // a millisecond stamp (Deno's): a whole number here
  return Math.abs(ms - Math.round(ms)) < 1e-3 && Math.round(ms) === MS_TAG ? pid : -1;
}

/** True only when `pid` certainly names no live process here. */
export function isDead(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes `lockDir` if it is stamped by a dead process of this host. Returns true when it
 * did (the caller then tries to take the lock as usual).
 */
export function removeIfOwnerDead(lockDir: string): boolean {
  const st = fs.statSync(lockDir, { throwIfNoEntry: false });
  if (!st) return false;
  const pid = stampedPid(st.atimeMs);
  if (pid < 0 || !isDead(pid)) return false;
  const again = fs.statSync(lockDir, { throwIfNoEntry: false });
  if (!again || again.ino !== st.ino || again.birthtimeMs !== st.birthtimeMs) return false; // replaced meanwhile
  try {
    removeLock(lockDir);
    return true;
  } catch {
    return false;
  }
}
