// Opening a writer: one WriterHost (writer-host.ts) per real path per thread that calls
// openWriter, shared by every opener of that path and ended by the last release().
import { fromFsError } from '../errors.js';
import { checkRuntime } from '../util/runtime.js';
import { resolveWalPath } from '../segments/wal-path.js';
import { resolveWriterOptions, type ResolvedWriterOptions, type WriterOptions } from '../options.js';
import { hosts } from './host-registry.js';
import { WriterHost } from './writer-host.js';

export { WriterHost, type Connection } from './writer-host.js';
export { releaseWriterLocksAtExit, rearmWriterLocksAtExit } from './host-registry.js';

/** The path a WAL is keyed by: resolveWalPath's (see wal-path.ts), its directory created if missing. */
export function canonicalWalPath(path: string): string {
  return resolveWalPath(path, { createDir: true });
}

/** Opens (or shares) the writer thread for `path`. Each call must be paired with `release()`. */
export async function openWriter(path: string, options: WriterOptions = {}, resolved?: ResolvedWriterOptions): Promise<WriterHost> {
  const host = openWriterNow(path, options, resolved);
  try {
    await host.started;
  } catch (err) {
    await host.release();
    throw err;
  }
  return host;
}

/**
 * openWriter without the wait: the writer thread is spawned before this returns and
 * `started` settles once it opened the file. Data ports from connectNow() work at once
 * (their messages queue until the thread attaches them), which is what lets a synchronous
 * caller log before the thread is up and still have flushSync make it durable, even inside
 * an 'exit' listener: the thread starts and writes while this thread blocks in Atomics.wait.
 * Each call must be paired with `release()`.
 */
export function openWriterNow(path: string, options: WriterOptions = {}, resolved: ResolvedWriterOptions = resolveWriterOptions(options)): WriterHost {
  checkRuntime(path, 'openWal', { write: true, threads: true });
  let key: string;
  try {
    key = canonicalWalPath(path);
  } catch (err) {
    throw fromFsError(err, path, 'creating the directory of the WAL');
  }
  let host = hosts.get(key);
  if (!host) {
    host = WriterHost.create(key, resolved);
    hosts.set(key, host);
  }
  host.retain();
  return host;
}
