// Temporary files beside a WAL, and the sweep that removes those a killed process left.
// Cleanup's, compress's and retention's (the writer's automatic retention uses them too) are
// named `{path}.cleanup-<pid>-<rand>.tmp`; a `.meta` update writes `{path}.meta.tmp-<pid>-<rand>`
// and taking the lock `{path}.lock.tmp-<pid>-<hex>`. Core's segment listing (`{path}.<digits>`)
// can never match any of them, so leftovers are invisible to readers and writers; every
// maintenance call (rotate, cleanup, compress, retention) removes those of dead processes
// first, which on a full disk is already space freed, and reports how many.
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A temp file left alone this long is stale even if its pid is alive again (pid reuse). */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** A fresh temp path beside `path`; the caller creates it with O_EXCL. */
export function tempPath(path: string): string {
  return `${path}.cleanup-${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether a process with this pid exists (EPERM: it does, owned by another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Patterns of the temp names beside `base` (the WAL's file name); group 1 is the pid that made it. */
function tempPatterns(base: string): RegExp[] {
  const b = escapeRegExp(base);
  return [
    new RegExp(`^${b}\\.cleanup-(\\d+)-[0-9a-f]+\\.tmp$`),
    new RegExp(`^${b}\\.meta\\.tmp-(\\d+)-[0-9a-z]+$`),
    new RegExp(`^${b}\\.lock\\.tmp-(\\d+)-[0-9a-f]+$`),
  ];
}

/** Temp files beside `path` (full paths), with their owner's pid and whether they are stale (owner gone, or older than STALE_TEMP_MS). */
export function listTemps(path: string): Array<{ path: string; stale: boolean; pid: number }> {
  const res = tempPatterns(basename(path));
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return [];
  }
  const out: Array<{ path: string; stale: boolean; pid: number }> = [];
  for (const name of names) {
    let m: RegExpExecArray | null = null;
    for (const re of res) if ((m = re.exec(name))) break;
    if (!m) continue;
    const p = join(dirname(path), name);
    const pid = Number(m[1]);
    // A live cleanup (ours in another pool thread, or another process's) keeps writing its file.
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    const stale = (pid !== process.pid && !alive(pid)) || Date.now() - st.mtimeMs > STALE_TEMP_MS;
    out.push({ path: p, stale, pid });
  }
  return out;
}

/** Removes the stale temp files (see listTemps); returns how many. */
export function sweepTemps(path: string): number {
  let n = 0;
  for (const t of listTemps(path)) {
    if (!t.stale) continue;
    try {
      unlinkSync(t.path);
      n += 1;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return n;
}
