// The control plane (comlink). A WalSource is what a client needs besides its data port:
// a way to (re)connect to the writer thread, stats and rotation. On the main thread it is
// the WriterHost itself; in another thread it is a comlink proxy over the MessagePort that
// `wal.port()` handed out. Only connect/stats/rotate go through comlink, never events.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { expose, wrap, transfer, releaseProxy, type Remote } from 'comlink';
import { WalError, installWalErrorTransfer, nodePort, type Connection, type WriterStats, type RotateResult } from '@threadwal/core';
import { inheritable, type ResolvedClientOptions } from '../options.js';

export interface WalSource {
  readonly path: string;
  connect(): Promise<Connection>;
  stats(): Promise<WriterStats>;
  rotate(opts?: { maxRotations?: number }): Promise<RotateResult>;
  /** One more handle keeps the writer thread running (see exportSource). */
  retain(): void;
  /** Drops a handle; the last one of every thread ends the writer thread. */
  release(): Promise<void>;
  /** Over a port only: the error to use when the thread that opened the WAL is gone, else null. */
  ownerGone?(): Promise<WalError | null>;
}

/** What crosses the port: the source plus the options the other thread's client inherits. */
interface RemoteApi {
  path(): string;
  options(): Partial<ResolvedClientOptions>;
  connect(): Promise<Connection>;
  stats(): Promise<WriterStats>;
  rotate(opts?: { maxRotations?: number }): Promise<RotateResult>;
  retain(): void;
  release(): Promise<void>;
}

type Endpoint = NonNullable<Parameters<typeof expose>[1]>;

/**
 * A MessagePort that another thread turns into a client with `connectWal(port)`. The port
 * is a handle from the moment it is made (so an owner that closes right after handing it
 * to a new worker does not end the writer under it) until its client closes or its
 * thread exits: either closes the port, and the 'close' drops what it held.
 */
export function exportSource(source: WalSource, options: ResolvedClientOptions): MessagePort {
  const { port1, port2 } = new MessageChannel();
  serveSource(source, options, port1);
  return port2;
}

/** exportSource on a port another thread made (walForThread's request): `port` is the served end. */
export function serveSource(source: WalSource, options: ResolvedClientOptions, port1: MessagePort): void {
  installWalErrorTransfer();
  let held = 0;
  const take = (): void => {
    held += 1;
    source.retain();
  };
  const drop = async (): Promise<void> => {
    if (held === 0) return;
    held -= 1;
    await source.release();
  };
  const api: RemoteApi = {
    path: () => source.path,
    options: () => inheritable(options),
    connect: async () => {
      const conn = await source.connect();
      return transfer(conn, [conn.port as unknown as Parameters<typeof transfer>[1][number]]);
    },
    stats: () => source.stats(),
    rotate: (opts) => source.rotate(opts),
    retain: take,
    release: drop,
  };
  take();
  expose(api, port1 as unknown as Endpoint);
  port1.on('close', () => {
    while (held > 0) void drop().catch(() => undefined);
  });
  port1.unref(); // a handed-out port must not keep this thread alive
}

/** The other side of `exportSource`: a WalSource whose calls travel over `port`. */
export async function importSource(given: MessagePort, timeoutMs: number): Promise<{ source: WalSource; options: Partial<ResolvedClientOptions>; dispose(): void }> {
  installWalErrorTransfer();
  let port: MessagePort;
  try {
    port = nodePort(given); // Deno: a port that came through a web 'message' event
  } catch (err) {
    throw notOurs((err as Error).message);
  }
  const remote: Remote<RemoteApi> = wrap<RemoteApi>(port as unknown as Endpoint);
  let calls = 0;
  let disposed = false;
  // comlink never settles a call whose other end is gone: every call races the port's close.
  let gone: WalError | null = null;
  let onGone: Array<(e: WalError) => void> = [];
  port.once('close', () => {
    gone = disposed
      ? new WalError('ECLOSED', 'the WAL is closed')
      : new WalError('ECLOSED', 'the thread that opened this WAL (or handed out this port) has exited; this handle cannot go on: open the WAL in this thread with openWal()');
    for (const f of onGone.splice(0)) f(gone);
  });
  // Ref the port only while a call is in flight, so an idle client never keeps its thread alive.
  const call = async <T>(fn: () => Promise<T>, path?: string): Promise<T> => {
    if (gone) throw withPath(gone, path);
    if (calls++ === 0) port.ref();
    let stop!: (e: WalError) => void;
    const closed = new Promise<never>((_, reject) => { stop = (e) => reject(withPath(e, path)); });
    onGone.push(stop);
    try {
      return await Promise.race([fn(), closed]);
    } finally {
      onGone = onGone.filter((f) => f !== stop);
      if (--calls === 0) port.unref();
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(notOurs(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  let path: unknown;
  let options: unknown;
  try {
    [path, options] = await Promise.race([call(() => Promise.all([remote.path(), remote.options()])), timeout]);
  } catch (err) {
    disposed = true;
    port.close();
    throw (err as WalError).code === 'EINVAL' ? err : notOurs((err as Error).message);
  } finally {
    clearTimeout(timer);
  }
  if (typeof path !== 'string' || typeof options !== 'object' || options === null) {
    disposed = true;
    port.close();
    throw notOurs('its answer is not a threadwal handshake');
  }
  const p = path;
  const source: WalSource = {
    path: p,
    // Deno hands a port that came through comlink's addEventListener over as a plain web port.
    connect: () => call(async () => {
      const conn = (await remote.connect()) as Connection;
      return { ...conn, port: nodePort(conn.port) };
    }, p),
    stats: () => call(() => remote.stats(), p),
    rotate: (opts) => call(() => remote.rotate(opts), p),
    retain: () => void call(() => remote.retain(), p).catch(() => undefined),
    release: () => call(() => remote.release(), p),
    ownerGone: () => call(() => remote.path(), p).then(() => null, (e: WalError) => (e.code === 'ECLOSED' ? e : null)),
  };
  return {
    source,
    options: options as Partial<ResolvedClientOptions>,
    dispose: () => {
      disposed = true;
      remote[releaseProxy]();
      port.close();
    },
  };
}

function notOurs(why: string): WalError {
  return new WalError('EINVAL', `connectWal needs a MessagePort from wal.port(): ${why}`);
}

function withPath(e: WalError, path: string | undefined): WalError {
  return path === undefined ? e : new WalError(e.code, e.message, { path });
}
