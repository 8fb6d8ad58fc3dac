// A client's link to the writer thread: its data port and SharedArrayBuffer, noticing the
// port close (the writer thread died, or the thread that opened the WAL is gone) and
// getting a new port from the source after a death.
import {
  WalError, SAB_STATE, STATE_OK, STATE_DEAD,
  type Connection, type FromWriterData,
} from '@threadwal/core';

/** Where a batcher gets (and after a writer death, re-gets) its data port. */
export interface ConnectionSource {
  connect(): Promise<Connection>;
  /** In a thread that did not open the WAL: resolves with the error to use if that thread is gone, else null. */
  ownerGone?(): Promise<WalError | null>;
}

export interface LinkOwner {
  onMessage(msg: FromWriterData): void;
  /**
   * The port closed with batches possibly in flight: returns what to do once it is known
   * why (`why`: the owner thread's ECLOSED, or null for a writer death).
   */
  onLost(): (why: WalError | null) => void;
  /** A new port after a death (connect() succeeded). */
  onAttached(): void;
  /** connect() failed: `err` says why (ECLOSED: for good). */
  onConnectFailed(err: WalError): void;
}

export class Link {
  readonly #source: ConnectionSource;
  readonly #owner: LinkOwner;
  conn: Connection | null = null;
  sab: Int32Array | null = null;
  #connecting: Promise<void> | null = null;
  #closed = false;

  constructor(source: ConnectionSource, owner: LinkOwner, conn: Connection) {
    this.#source = source;
    this.#owner = owner;
    this.#attach(conn);
  }

  #attach(conn: Connection): void {
    this.conn = conn;
    this.sab = new Int32Array(conn.sab);
    conn.port.on('message', (msg: FromWriterData) => this.#owner.onMessage(msg));
    conn.port.on('close', () => this.#onClose(conn));
    conn.port.unref();
  }

  #onClose(conn: Connection): void {
    if (conn !== this.conn) return;
    this.conn = null;
    // Wake (and keep out) flushSync: the host that would mark it may have died with its thread.
    const sab = this.sab;
    if (sab && Atomics.load(sab, SAB_STATE) === STATE_OK) Atomics.store(sab, SAB_STATE, STATE_DEAD);
    if (this.#closed) return;
    const fail = this.#owner.onLost();
    const check = this.#source.ownerGone;
    if (check) void check().then(fail, () => fail(null));
    else fail(null);
  }

  /** Gets a new data port (once at a time). */
  reconnect(): void {
    this.#connecting ??= this.#source.connect().then(
      (conn) => {
        this.#connecting = null;
        this.#attach(conn);
        this.#owner.onAttached();
      },
      (err: WalError) => {
        this.#connecting = null;
        this.#owner.onConnectFailed(err);
      },
    );
  }

  /** Detaches for good. */
  close(): void {
    this.#closed = true;
    this.conn?.port.close();
    this.conn = null;
  }
}
