// Seed parity: the shape of runtimo_core::WalWriter, durable and non-blocking underneath.
import type { WalEvent, WalEventType } from '@threadwal/core';
import { openWal, type Wal } from './wal.js';
import type { WalOptions } from '../options.js';

/** `WalWriter.create(path)` / `append(event)` / `seq()` with the seed's meaning. */
export class WalWriter<T extends string = WalEventType> {
  readonly #wal: Wal<T>;

  private constructor(wal: Wal<T>) {
    this.#wal = wal;
  }

  /** Creates or opens the WAL at `path` (append mode; existing content is kept). */
  static create<T extends string = WalEventType>(path: string, options?: WalOptions): Promise<WalWriter<T>> {
    return openWal<T>(path, options).then((wal) => new WalWriter<T>(wal)); // bad arguments throw at the call, as openWal
  }

  /** Appends an event (its `seq` is assigned by the writer); resolves with the seq once durable. */
  append(event: WalEvent<T>): Promise<number> {
    return this.#wal.append(event);
  }

  /** The next sequence number, as the seed's internal counter. */
  seq(): number {
    return this.#wal.nextSeq();
  }

  /** Flushes and closes the underlying WAL handle. */
  close(): Promise<void> {
    return this.#wal.close();
  }

  /** `await using w = await WalWriter.create(path)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#wal.close();
  }
}
