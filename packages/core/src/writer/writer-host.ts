// The main-side handle of one writer thread: spawns it, hands out data ports (one per
// client), forwards the control plane (comlink), and restarts the thread after it died.
// It never imports the worker entry.
import { Worker, MessageChannel, type MessagePort } from 'node:worker_threads';
import { wrap, releaseProxy, type Remote } from 'comlink';
import { WalError, fromWire } from '../errors.js';
import { installWalErrorTransfer } from './comlink-errors.js';
import { firstMessageOrClose } from './port-compat.js';
import { ControlCalls } from './control-calls.js';
import { hosts, live } from './host-registry.js';
import { LockBoard } from '../lock/lock-board.js';
import type { ResolvedWriterOptions } from '../options.js';
import {
  SAB_SLOTS, SAB_STATE, SAB_DURABLE_BATCH, STATE_DEAD,
  type FromWorker, type OpenInfo, type WriterControl, type WriterWorkerData, type WriterStats, type RotateResult, type ToWorker,
} from '../protocol.js';

/** What a client needs to talk to the writer thread directly. */
export interface Connection {
  port: MessagePort;
  sab: SharedArrayBuffer;
  info: OpenInfo;
}

export class WriterHost {
  readonly path: string;
  readonly options: ResolvedWriterOptions;
  #worker: Worker | null = null;
  /** The thread being spawned, before it is ready (connectNow posts to it). */
  #spawning: Worker | null = null;
  #board: LockBoard | null = null;
  #control: Remote<WriterControl> | null = null;
  #info: OpenInfo | null = null;
  #unreportedCut: OpenInfo['recovery'] = null;
  #starting: Promise<void> | null = null;
  #refs = 0;
  #closed = false;
  /** release() has asked the thread to close: its exit is the end of that, not a death. */
  #releasing = false;
  readonly #sabs = new Set<Int32Array>();
  readonly #deathListeners = new Set<(err: WalError) => void>();
  readonly #calls: ControlCalls;

  private constructor(path: string, options: ResolvedWriterOptions) {
    this.path = path;
    this.options = options;
    this.#calls = new ControlCalls(path);
    this.started = this.#ensure();
    this.started.catch(() => {
      // A failed start drops the host, so the next opener tries afresh.
      if (hosts.get(path) === this) hosts.delete(path);
    });
  }

  /** Settles when the first writer thread opened the file (rejects with why it could not). */
  readonly started: Promise<void>;

  /** A host whose writer thread is already spawning. */
  static create(path: string, options: ResolvedWriterOptions): WriterHost {
    installWalErrorTransfer();
    return new WriterHost(path, options);
  }

  retain(): void {
    this.#refs += 1;
  }

  get info(): OpenInfo {
    return this.#info!;
  }

  /** Called with EWORKER when the writer thread dies unexpectedly. Returns an unsubscribe function. */
  onDeath(fn: (err: WalError) => void): () => void {
    this.#deathListeners.add(fn);
    return () => this.#deathListeners.delete(fn);
  }

  #ensure(): Promise<void> {
    if (this.#closed) return Promise.reject(new WalError('ECLOSED', 'the WAL is closed', { path: this.path }));
    if (this.#worker) return Promise.resolve();
    this.#starting ??= this.#spawn().finally(() => { this.#starting = null; });
    return this.#starting;
  }

  async #spawn(): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const board = LockBoard.create();
    const workerData: WriterWorkerData = { path: this.path, options: this.options, control: port2, lockBoard: board.sab };
    const worker = new Worker(new URL('./writer-worker.js', import.meta.url), { workerData, transferList: [port2] });
    this.#spawning = worker;
    // Published now, not once ready: an exit before then must still release the lock the
    // thread may take meanwhile (see releaseWriterLocksAtExit).
    this.#board = board;
    live.add(this);
    const info = await new Promise<OpenInfo>((ok, fail) => {
      const onMessage = (msg: FromWorker): void => {
        if (msg?.type === 'ready') ok(msg.info);
        else if (msg?.type === 'open-failed') fail(fromWire(msg.error));
      };
      worker.on('message', onMessage);
      worker.once('error', (err) => fail(new WalError('EWORKER', `writer thread failed to start: ${err.message}`, { path: this.path, cause: err })));
      worker.once('exit', (code) => fail(new WalError('EWORKER', `writer thread exited with code ${code} while opening`, { path: this.path })));
    }).catch(async (err: WalError) => {
      this.#spawning = null;
      live.delete(this);
      this.#markDead();
      await worker.terminate();
      throw err;
    });
    this.#spawning = null;
    // The thread never keeps the process alive on its own: clients ref their ports while
    // they wait for acks, and control calls ref the worker while they run.
    worker.unref();
    worker.removeAllListeners('message');
    worker.removeAllListeners('error');
    worker.removeAllListeners('exit');
    worker.on('error', () => undefined); // reported through 'exit' below
    worker.on('exit', (code) => {
      this.#onExit(worker, code);
      this.#calls.exited(worker, code); // the one listener for every control call in flight
    });
    this.#worker = worker;
    this.#control = wrap<WriterControl>(port1 as unknown as Parameters<typeof wrap>[0]);
    port1.unref(); // after wrap: comlink's message listener refs the port
    this.#info = info;
    this.#unreportedCut = info.recovery;
  }

  /** What opening cut (once per start of the writer thread), for the opener to report; then null. */
  takeRecoveryReport(): OpenInfo['recovery'] {
    const cut = this.#unreportedCut;
    this.#unreportedCut = null;
    return cut;
  }

  #onExit(worker: Worker, code: number): void {
    if (worker !== this.#worker) return;
    // A dead thread writes no more: its lock can go now, rather than make the restarted
    // writer (same pid, so not judged dead by the stamp) wait for it to go stale.
    if (!this.#closed) this.#board?.releaseAtExit(`${this.path}.lock`, 0, true);
    this.#worker = null;
    this.#control = null;
    this.#markDead();
    // The thread's exit can overtake close()'s reply (see release()): not a death either.
    if (this.#closed || this.#releasing) return;
    const err = new WalError('EWORKER', `the writer thread died (exit code ${code}); the next append restarts it`, { path: this.path });
    for (const fn of this.#deathListeners) fn(err);
  }

  /**
   * A new data port straight to the writer thread, restarting the thread if it died. The
   * writer answers a new port with 'hello' on a probe port sent with it; a probe that closes
   * first means the thread is dead even if its 'exit' event has not reached us yet (clients
   * see their ports close before the host sees 'exit', and reconnect at once).
   */
  async connect(): Promise<Connection> {
    for (let attempt = 0; ; attempt++) {
      await this.#ensure();
      const worker = this.#worker;
      // Its 'exit' can come in between (Deno emits it from a promise): start another.
      if (worker) {
        const conn = await this.#attach(worker);
        if (conn) return conn;
      }
      if (attempt >= 2) throw new WalError('EWORKER', 'the writer thread keeps dying on start', { path: this.path });
    }
  }

  /** A data port attached to `worker`, or null when the thread turned out to be dead. */
  async #attach(worker: Worker): Promise<Connection | null> {
    const { port1, port2 } = new MessageChannel();
    const sab = new SharedArrayBuffer(SAB_SLOTS * 4);
    // The writer answers on a probe port, not on the data port: a data port that was ever
    // listened on could not be handed on to another thread on Deno (see port-compat.ts).
    const probe = new MessageChannel();
    const msg: ToWorker = { type: 'attach', port: port2, sab, probe: probe.port2 };
    worker.postMessage(msg, [port2, probe.port2]);
    const alive = await firstMessageOrClose(probe.port1, worker);
    probe.port1.close();
    if (alive) {
      this.#sabs.add(new Int32Array(sab));
      return { port: port1, sab, info: this.#info! };
    }
    port1.close();
    if (this.#worker === worker) {
      this.#onExit(worker, -1);
      void worker.terminate();
    }
    return null;
  }

  #markDead(): void {
    for (const sab of this.#sabs) {
      Atomics.store(sab, SAB_STATE, STATE_DEAD);
      Atomics.notify(sab, SAB_DURABLE_BATCH);
    }
    this.#sabs.clear();
  }

  /**
   * A data port to the writer thread right now, without waiting for it to start or to
   * answer 'hello' (null when no thread is running or spawning). Its `info` is the host's
   * if the thread is ready, else a placeholder with nextSeq 0. If the thread dies, the
   * port closes and the SAB is marked dead, as for connect().
   */
  connectNow(): Connection | null {
    if (!this.#closed && !this.#worker && !this.#spawning) void this.#ensure().catch(() => undefined); // spawns synchronously
    const worker = this.#worker ?? this.#spawning;
    if (!worker) return null;
    const { port1, port2 } = new MessageChannel();
    const sab = new SharedArrayBuffer(SAB_SLOTS * 4);
    const msg: ToWorker = { type: 'attach', port: port2, sab };
    worker.postMessage(msg, [port2]);
    this.#sabs.add(new Int32Array(sab));
    return { port: port1, sab, info: this.#info ?? { path: this.path, nextSeq: 0, size: 0, tornBytes: 0, recovery: null, created: false } };
  }

  /** See rearmWriterLocksAtExit. */
  rearmLockAtExit(): void {
    this.#board?.rearm();
  }

  /** See releaseWriterLocksAtExit. */
  releaseLockAtExit(): void {
    this.#board?.releaseAtExit(`${this.path}.lock`);
  }

  /** Forgets a client's SAB once it has disconnected. */
  forget(sab: SharedArrayBuffer): void {
    for (const s of this.#sabs) if (s.buffer === sab) this.#sabs.delete(s);
  }

  async #call<T>(fn: (c: Remote<WriterControl>) => Promise<T>, exitIsOk = false): Promise<T> {
    await this.#ensure();
    return this.#calls.run(this.#worker!, () => fn(this.#control!), exitIsOk);
  }

  stats(): Promise<WriterStats> {
    return this.#call((c) => c.stats());
  }

  rotate(opts: { maxRotations?: number } = {}): Promise<RotateResult> {
    return this.#call((c) => c.rotate(opts));
  }

  /** Drops one reference; the last one lets the writer finish its queue, releases the lock and ends the thread. */
  async release(): Promise<void> {
    if (this.#refs === 0 || --this.#refs > 0) return;
    if (hosts.get(this.path) === this) hosts.delete(this.path);
    // A thread still spawning (openWriterNow) is closed like a running one once it is up.
    await this.#starting?.catch(() => undefined);
    live.delete(this);
    const worker = this.#worker;
    if (worker && this.#control) {
      const control = this.#control;
      const exited = new Promise<void>((r) => worker.once('exit', () => r()));
      this.#releasing = true;
      try {
        // The thread ends right after close() replies, and its 'exit' can overtake the
        // reply: either one means the writer is closed.
        await this.#call((c) => Promise.race([c.close(), exited]), true);
      } finally {
        this.#closed = true;
      }
      control[releaseProxy]();
      worker.ref();
      const timer = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timer);
    }
    this.#closed = true;
  }
}
