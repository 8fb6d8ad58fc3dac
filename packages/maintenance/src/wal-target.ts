// The WAL a maintenance call names, checked on the caller's thread before any job starts:
// one path, one log (core's resolveWalPath, so the lock, `.meta` and segments are the ones
// beside the real file), missing means missing (ENOENT), and nothing that is not a regular
// file is ever opened (a FIFO would block a reader forever, a device is never a log).
import { statSync, type Stats } from 'node:fs';
import { WalError, checkRuntime, type RuntimeNeeds, metaPath, resolveWalPath, rotatedIndexes, segmentPath, walExists } from '@threadwal/core';
import { checkPath } from './options.js';

/** What a non-regular file is, for an error message. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Throws when `p`, a part of the WAL `path`, exists and is not a regular file (symlinks
 * followed): EINVAL when it is the path the caller named, EIO naming it when it is a
 * segment or `.meta` (a damaged log, not a bad argument).
 */
export function checkRegular(p: string, path: string): void {
  const st = statSync(p, { throwIfNoEntry: false });
  if (st && !st.isFile()) throw notRegular(p, path, st);
}

export function notRegular(p: string, path: string, st: Stats): WalError {
  return p === path
    ? new WalError('EINVAL', `${p} is ${fileKind(st)}, not a WAL file`, { path })
    : new WalError('EIO', `${p} is ${fileKind(st)}, not a segment file of ${path}`, { path: p });
}

/**
 * The resolved path of the WAL `path`. Throws WalError EINVAL for a bad path or a part of
 * the log that is not a regular file, and ENOENT when no part of it exists (no active
 * file, no rotated segment, no `.meta`) unless `allowMissing`; ERUNTIME when the runtime
 * cannot do the call (see core's util/runtime.ts).
 */
export function walTarget(path: unknown, opts: { allowMissing?: boolean; what?: string; needs?: RuntimeNeeds } = {}): string {
  const named = checkPath(path);
  // Deno without the permissions (or a runtime too old): ERUNTIME here, before any job starts.
  checkRuntime(named, opts.what ?? 'this call', opts.needs);
  const abs = resolveWalPath(named);
  if (!opts.allowMissing && !walExists(abs)) {
    throw new WalError('ENOENT', `no WAL at ${String(path)}: no such file, rotated segment or .meta`, { path: abs });
  }
  for (const p of [abs, metaPath(abs), ...rotatedIndexes(abs).map((i) => segmentPath(abs, i))]) checkRegular(p, abs);
  return abs;
}
