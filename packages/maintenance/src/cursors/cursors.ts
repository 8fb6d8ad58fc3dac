// Durable consumer cursors: a name → the last seq that consumer committed, one small file
// per cursor in `{path}.cursors/<name>` holding `{"cursor":"<name>","seq":N,"ts":<ms>}\n`.
// A commit writes a temp file in that directory (`.<name>.tmp-<pid>-<hex>`: a dot name is
// never a cursor), fsyncs it, renames it over the cursor and fsyncs the directory, so a
// crash leaves the old value or the new one, never a torn one. A cursor only moves
// forward: a lower seq leaves it where it is. The same files back readWal's `cursor`
// option, retention's `retain.untilCommitted` and `threadwal cursors`.
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { WalError, CURSOR_NAME_RE, checkCursorName, cursorsDir, parseCursorFile, fromFsError, modeOf, walFileMode, resolveWalPath } from '@threadwal/core';
import { alive } from '@threadwal/core';

/** One cursor as stored. */
export interface CursorInfo {
  name: string;
  /** The last seq the consumer committed (it resumes after it). */
  seq: number;
  /** When it was committed, Unix ms. */
  updatedMs: number;
}

function parse(file: string, text: string, name: string): CursorInfo {
  return { name, ...parseCursorFile(file, text) };
}

/** The stored cursor, or undefined when it was never committed. */
export async function getCursor(path: string, name: string): Promise<CursorInfo | undefined> {
  checkCursorName(name);
  const file = join(cursorsDir(path), name);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromFsError(err, file, 'reading the cursor');
  }
  return parse(file, text, name);
}

/** The seq `name` last committed, -1 when never. */
export async function readCursor(path: string, name: string): Promise<number> {
  return (await getCursor(path, name))?.seq ?? -1;
}

/** Every cursor of `path`, by name. */
export async function listCursors(path: string): Promise<CursorInfo[]> {
  let names: string[];
  try {
    names = await readdir(cursorsDir(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromFsError(err, cursorsDir(path), 'listing the cursors');
  }
  const out: CursorInfo[] = [];
  for (const n of names.filter((x) => CURSOR_NAME_RE.test(x)).sort()) {
    const c = await getCursor(path, n);
    if (c) out.push(c);
  }
  return out;
}

/** Names of the cursors of `path`, blocking. */
export function listCursorNamesSync(path: string): string[] {
  try {
    return readdirSync(cursorsDir(path)).filter((x) => CURSOR_NAME_RE.test(x)).sort();
  } catch {
    return [];
  }
}

async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Commits in one process run one after another per cursor file, so none overtakes a later one. */
const chains = new Map<string, Promise<unknown>>();

/**
 * Durably records that `name` consumed everything up to `seq` (temp + fsync + rename + dir
 * fsync). Never moves backwards: resolves with the stored seq, which is `seq` or the
 * higher one already there. A cursor has one consumer; two processes committing the same
 * name race (the later rename wins).
 */
export function commitCursor(path: string, name: string, seq: number): Promise<number> {
  checkCursorName(name);
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < -1) throw new WalError('EINVAL', `seq must be an integer >= -1, got ${String(seq)}`);
  const file = join(cursorsDir(path), name);
  const prev = chains.get(file) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(() => write(path, file, name, seq));
  chains.set(file, next);
  void next.finally(() => { if (chains.get(file) === next) chains.delete(file); }).catch(() => undefined);
  return next;
}

/** Cursor files whose dead committers' temps this process already removed. */
const swept = new Set<string>();

/** Removes the temps a killed committer of `name` left (once per process and cursor). */
async function sweep(dir: string, name: string, file: string): Promise<void> {
  if (swept.has(file)) return;
  swept.add(file);
  const prefix = `.${name}.tmp-`;
  for (const n of await readdir(dir).catch(() => [] as string[])) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length).split('-')[0]);
    if (Number.isSafeInteger(pid) && pid !== process.pid && !alive(pid)) await unlink(join(dir, n)).catch(() => undefined);
  }
}

async function write(path: string, file: string, name: string, seq: number): Promise<number> {
  const current = await readCursor(path, name);
  if (current >= seq) return current;
  const dir = cursorsDir(path);
  try {
    const made = await mkdir(dir, { recursive: true });
    if (made !== undefined) await fsyncPath(dirname(dir));
    await sweep(dir, name, file);
    const tmp = join(dir, `.${basename(file)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    // The cursor keeps its mode, a new one takes the WAL's (core's file-mode.ts).
    const mode = modeOf(file) ?? walFileMode(resolveWalPath(path));
    const fh = await open(tmp, 'wx', mode ?? 0o644);
    try {
      if (mode !== undefined) await fh.chmod(mode);
      await fh.writeFile(`${JSON.stringify({ cursor: name, seq, ts: Date.now() })}\n`);
      await fh.sync();
    } catch (err) {
      await fh.close();
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    await rename(tmp, file);
    await fsyncPath(dir);
  } catch (err) {
    if (err instanceof WalError) throw err;
    throw fromFsError(err, file, `committing cursor ${name} of ${path}`);
  }
  return seq;
}

/** Removes a cursor (retention then no longer waits for it). */
export async function deleteCursor(path: string, name: string): Promise<boolean> {
  checkCursorName(name);
  try {
    await unlink(join(cursorsDir(path), name));
    await fsyncPath(cursorsDir(path));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fromFsError(err, join(cursorsDir(path), name), `deleting cursor ${name} of ${path}`);
  }
}
