// The control plane (comlink). A WalSource is what a client needs besides its data port:
// a way to (re)connect to the writer thread, stats and rotation. On the main thread it is
// the WriterHost itself; in another thread it is a comlink proxy over the MessagePort that
// `wal.port()` handed out. Only connect/stats/rotate go through comlink, never events.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { expose, wrap, transfer, releaseProxy, type Remote } from 'comlink';
import { installWalErrorTransfer, type Connection, type WriterStats, type RotateResult } from '@threadwal/core';
import type { ResolvedClientOptions } from './options.js';

export interface WalSource {
  readonly path: string;
  connect(): Promise<Connection>;
  stats(): Promise<WriterStats>;
  rotate(opts?: { maxRotations?: number }): Promise<RotateResult>;
}

/** What crosses the port: the source plus the options the other thread's client inherits. */
interface RemoteApi {
  path(): string;
  options(): ResolvedClientOptions;
  connect(): Promise<Connection>;
  stats(): Promise<WriterStats>;
  rotate(opts?: { maxRotations?: number }): Promise<RotateResult>;
}

type Endpoint = NonNullable<Parameters<typeof expose>[1]>;

/** A MessagePort that another thread turns into a client with `connectWal(port)`. */
export function exportSource(source: WalSource, options: ResolvedClientOptions): MessagePort {
  installWalErrorTransfer();
  const { port1, port2 } = new MessageChannel();
  const api: RemoteApi = {
    path: () => source.path,
    options: () => options,
    connect: async () => {
      const conn = await source.connect();
      return transfer(conn, [conn.port as unknown as Parameters<typeof transfer>[1][number]]);
    },
    stats: () => source.stats(),
    rotate: (opts) => source.rotate(opts),
  };
  expose(api, port1 as unknown as Endpoint);
  port1.unref(); // a handed-out port must not keep this thread alive
  return port2;
}

/** The other side of `exportSource`: a WalSource whose calls travel over `port`. */
export async function importSource(port: MessagePort): Promise<{ source: WalSource; options: ResolvedClientOptions; dispose(): void }> {
  installWalErrorTransfer();
  const remote: Remote<RemoteApi> = wrap<RemoteApi>(port as unknown as Endpoint);
  let calls = 0;
  // Ref the port only while a call is in flight, so an idle client never keeps its thread alive.
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (calls++ === 0) port.ref();
    try {
      return await fn();
    } finally {
      if (--calls === 0) port.unref();
    }
  };
  const [path, options] = await call(() => Promise.all([remote.path(), remote.options()]));
  const source: WalSource = {
    path,
    connect: () => call(() => remote.connect() as Promise<Connection>),
    stats: () => call(() => remote.stats()),
    rotate: (opts) => call(() => remote.rotate(opts)),
  };
  return { source, options, dispose: () => { remote[releaseProxy](); port.close(); } };
}
