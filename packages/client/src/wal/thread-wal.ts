// One client per thread per WAL, for code that runs as tasks in a worker pool (piscina, or
// any Worker): `const wal = await walForThread('jobs.wal')` inside a task returns the same
// client to every task of the thread, connected once, and kept after the task ends. The
// thread that opened the WAL serves the pool once: `wal.serveThreads(pool)`. A task that
// connected and closed a client of its own paid a thread hop, a handshake and a writer
// attach per task (~350 µs of CPU per job in issue 21's job runner).
//
// How the port gets there: the worker thread makes a MessageChannel and posts one end to
// its parent (piscina re-emits a worker's parentPort messages as the pool's 'message'
// event; a plain Worker emits them itself), and the owner serves the WAL on it as on a
// port from wal.port(). The client then lives as long as the thread: a writer restart is
// handled as for any client (the next append reconnects), and its port closes when the
// thread exits, which drops its hold on the writer.
import { isAbsolute } from 'node:path';
import { MessageChannel, isMainThread, parentPort } from 'node:worker_threads';
import { WalError, canonicalWalPath, type WalEventType } from '@threadwal/core';
import { resolveClientOptions, type ClientOptions, type WalOptions } from '../options.js';
import { connectWal, openWal, type Wal } from './wal.js';
import type { ThreadConnectRequest } from './thread-requests.js';

const clients = new Map<string, Promise<Wal<string>>>();
/**
 * The canonical path of each path string a task passed (relative ones with the cwd they were
 * resolved in): resolving it is a realpath(3) and a directory check, paid once per thread
 * rather than on every call, and a job runner calls this in every task.
 */
const keys = new Map<string, string>();

function keyOf(path: string): string {
  const asGiven = isAbsolute(path) ? path : `${process.cwd()}\0${path}`;
  let key = keys.get(asGiven);
  if (key === undefined) {
    key = canonicalWalPath(path);
    keys.set(asGiven, key);
  }
  return key;
}

/**
 * This thread's client of the WAL at `path`, shared by every task of the thread and kept
 * across them (do not close it in a task). In a worker thread the thread that opened the
 * WAL must serve its pool (`wal.serveThreads(pool)`); on the main thread this opens the WAL
 * (once). A client whose WAL was closed, or whose owner thread exited, is replaced on the
 * next call. Rejects EINVAL when nothing answers within `connectTimeoutMs`.
 */
export function walForThread<T extends string = WalEventType>(path: string, options: ClientOptions | WalOptions = {}): Promise<Wal<T>> {
  if (typeof path !== 'string' || path.length === 0) throw new WalError('EINVAL', `path must be a non-empty string, got ${String(path)}`);
  if (!isMainThread) resolveClientOptions(options as ClientOptions); // bad options throw at the call
  const key = keyOf(path);
  const cached = clients.get(key);
  if (cached) return cached.then((wal) => (wal.usable ? (wal as unknown as Wal<T>) : retry<T>(key, cached, options)));
  return connect<T>(key, options);
}

function retry<T extends string>(key: string, stale: Promise<Wal<string>>, options: ClientOptions | WalOptions): Promise<Wal<T>> {
  if (clients.get(key) === stale) clients.delete(key);
  return walForThread<T>(key, options);
}

function connect<T extends string>(key: string, options: ClientOptions | WalOptions): Promise<Wal<T>> {
  const p = isMainThread ? openWal<string>(key, options as WalOptions) : viaParent(key, options as ClientOptions);
  clients.set(key, p);
  p.catch(() => {
    if (clients.get(key) === p) clients.delete(key);
  });
  return p as unknown as Promise<Wal<T>>;
}

async function viaParent(path: string, options: ClientOptions): Promise<Wal<string>> {
  if (!parentPort) throw new WalError('EINVAL', 'walForThread needs a worker thread with a parent port (or the main thread)', { path });
  const { port1, port2 } = new MessageChannel();
  const request: ThreadConnectRequest = { threadwal: 'connect', path, port: port2 };
  parentPort.postMessage(request, [port2]);
  try {
    return await connectWal<string>(port1, options);
  } catch (err) {
    const e = err as WalError;
    if (e.code !== 'EINVAL') throw err;
    throw new WalError('EINVAL', `no thread serves ${path} to this one: call wal.serveThreads(pool) (or (worker)) where the WAL is open (${e.message})`, { path, cause: err });
  }
}
