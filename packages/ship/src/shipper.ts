// The shipper: tails the WAL (the raw reader with follow, across rotation) and publishes its
// stored lines to one JetStream subject, exactly once per seq; in batches (many lines per
// message) or one event per message.
//
// Exactly once: every publish carries Nats-Expected-Last-Sequence, the stream seq of the
// message it continues, so the server stores it only right after that one; the resume after
// any failure reads the stream's last message and goes on after the last WAL seq it holds.
// Why that holds with batch boundaries that differ between runs, and how many messages
// may be in flight for it, is in epoch.ts and docs/DESIGN.md. This file is the lifecycle:
// wait for the WAL, connect, reconcile, run epochs with backoff between failures, commit
// the checkpoint and the cursor retention waits for, stop.
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { readWalId, lastSeqOfFile, nextSeqFor, resolveWalPath } from '@threadwal/core';
import { commitCursor, readWal } from '@threadwal/maintenance';
import { ShipError } from './errors.js';
import { checkShipRuntime } from './runtime-check.js';
import { Backoff } from './backoff.js';
import { FileCheckpoint, type Checkpoint, type CheckpointState } from './checkpoint.js';
import { reconcile, type Position, type StreamSpec } from './stream.js';
import { connectFirst, watchConnection } from './connection.js';
import { Disconnected } from './publisher.js';
import { Epoch } from './epoch.js';
import { Progress } from './progress.js';
import { DurabilityClock } from './durability.js';
import { sleep } from './sleep.js';
import { resolveShipOptions, type ShipOptions, type ResolvedShipOptions } from './options.js';
import type { ShipStatus, ShipResult } from './status.js';

export class Shipper {
  readonly walPath: string;
  readonly options: ResolvedShipOptions;
  /** Settles when shipping ends: resolves after stop() or (with `once`) when everything is acked; rejects with a ShipError. */
  readonly done: Promise<ShipResult>;
  readonly #spec: StreamSpec;
  readonly #checkpoint: Checkpoint;
  readonly #stop = new AbortController();
  readonly #p = new Progress();
  #durability: DurabilityClock;
  #nc: NatsConnection | undefined;
  #walId = '';
  #state: ShipStatus['state'] = 'starting';
  #connected = false;
  #lastError: string | undefined;
  #started = Date.now();
  #committing: Promise<void> | undefined;
  #epoch: Epoch | undefined;

  constructor(walPath: string, options: ShipOptions) {
    this.options = resolveShipOptions(options);
    checkShipRuntime(walPath, this.options.servers);
    // The same name every part of threadwal uses, so .meta and the checkpoint sit beside the real file.
    this.walPath = resolveWalPath(walPath);
    const o = this.options;
    this.#spec = { stream: o.stream, subject: o.subject, createStream: o.createStream, replicas: o.replicas, duplicateWindowMs: o.duplicateWindowMs };
    this.#checkpoint = o.checkpoint ?? new FileCheckpoint(this.walPath, o.name);
    this.#durability = new DurabilityClock(o.serverSyncIntervalMs, -1);
    if (o.signal) {
      if (o.signal.aborted) this.#stop.abort();
      else o.signal.addEventListener('abort', () => void this.stop(), { once: true });
    }
    this.done = this.#run();
  }

  /** Stops reading, waits for the outstanding acks (at most the publish timeout), commits the checkpoint and closes. */
  stop(): Promise<ShipResult> {
    this.#stop.abort();
    return this.done;
  }

  status(): ShipStatus {
    const p = this.#p;
    const walNext = Math.max(p.walNext, p.published + 1);
    const lagEvents = Math.max(0, walNext - (p.acked + 1));
    const avg = p.shipped ? p.shippedBytes / p.shipped : 0;
    return {
      state: this.#state,
      connected: this.#connected,
      walId: this.#walId,
      stream: this.options.stream,
      subject: this.options.subject,
      base: p.base ?? null,
      ackedSeq: p.acked,
      committedSeq: p.committed,
      durableSeq: p.committedDurable,
      publishedSeq: p.published,
      inFlight: Math.max(0, p.published - p.acked),
      walNextSeq: walNext,
      lagEvents,
      lagBytes: Math.round(lagEvents * avg),
      shipped: p.shipped,
      messages: p.messages,
      shippedBytes: p.shippedBytes,
      duplicates: p.duplicates,
      reconciles: p.reconciles,
      retries: p.retries,
      reconnects: p.reconnects,
      serverLost: p.serverLost,
      elapsedMs: Date.now() - this.#started,
      lastError: this.#lastError ?? null,
    };
  }

  #note(err: unknown): void {
    this.#lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }

  #sampleWal(): void {
    try {
      this.#p.walNext = Math.max(this.#p.walNext, nextSeqFor(this.walPath, lastSeqOfFile(this.walPath)));
    } catch {
      // the WAL is being rotated under us; the next sample will do
    }
  }

  /**
   * Writes the checkpoint (acked seq, and the durable one) and then the maintenance cursor
   * retention waits for, which gets only the durable seq: the server may still lose what it
   * acknowledged less than serverSyncIntervalMs ago, and the WAL is then the only copy.
   */
  async #commit(): Promise<void> {
    if (this.#committing) await this.#committing;
    const p = this.#p;
    this.#durability.acked(p.acked);
    const durable = Math.min(this.#durability.durable(), p.acked);
    if (p.acked < 0 || (p.acked <= p.committed && durable <= p.committedDurable)) return;
    const state: CheckpointState = { walId: this.#walId, stream: this.options.stream, subject: this.options.subject, base: p.base ?? -1, ackedSeq: p.acked, streamSeq: p.streamSeq, durableSeq: durable, ts: Date.now() };
    const cursor = this.options.cursor;
    this.#committing = this.#checkpoint.commit(state).then(
      () => (cursor === false || durable < 0 ? undefined : commitCursor(this.walPath, cursor, durable)),
    ).then(
      () => { p.committed = Math.max(p.committed, state.ackedSeq); p.committedDurable = Math.max(p.committedDurable, durable); },
      (err) => { this.#note(err); this.options.onWarning?.(`checkpoint not written: ${(err as Error).message}`); },
    );
    await this.#committing;
    this.#committing = undefined;
  }

  async #waitForId(): Promise<string | undefined> {
    for (;;) {
      const id = readWalId(this.walPath);
      if (id !== undefined) return id;
      if (this.options.once) throw new ShipError('wal-mismatch', `${this.walPath} has no WAL id in its .meta file (no writer has opened it since ids were introduced, or it does not exist)`, { path: this.walPath });
      this.#state = 'waiting-for-wal';
      await sleep(this.options.pollMs * 4, this.#stop.signal);
      if (this.#stop.signal.aborted) return undefined;
    }
  }

  async #run(): Promise<ShipResult> {
    const o = this.options;
    const timer = setInterval(() => {
      this.#sampleWal();
      void this.#commit();
      o.onStatus?.(this.status());
    }, o.checkpointEveryMs);
    let nc: NatsConnection | undefined;
    try {
      const id = await this.#waitForId();
      if (id === undefined) return this.#result();
      // The header block is written by hand (HeaderBlock): a value with CR or LF would break it.
      if (/[\r\n]/.test(id)) throw new ShipError('wal-mismatch', `${this.walPath}: the WAL id in its .meta file is not a valid id`, { path: this.walPath });
      this.#walId = id;
      const ckpt = await this.#checkpoint.load();
      if (ckpt && ckpt.walId === id && ckpt.stream === o.stream) {
        const p = this.#p;
        p.acked = p.committed = ckpt.ackedSeq;
        p.committedDurable = ckpt.durableSeq ?? ckpt.ackedSeq;
        p.streamSeq = ckpt.streamSeq ?? -1;
        p.base = ckpt.base >= 0 ? ckpt.base : undefined;
        this.#durability = new DurabilityClock(o.serverSyncIntervalMs, p.committedDurable);
      }
      this.#sampleWal();
      this.#state = 'connecting';
      nc = await connectFirst(o, this.#stop.signal, (e) => this.#note(e));
      if (nc === undefined) return this.#result();
      this.#nc = nc;
      this.#connected = true;
      watchConnection(nc, {
        onDisconnect: () => { this.#connected = false; this.#epoch?.interrupt(new Disconnected()); },
        onReconnect: () => { this.#connected = true; this.#p.reconnects += 1; },
      });
      const jsm = await jetstreamManager(nc, { timeout: o.timeoutMs, checkAPI: false });
      await this.#loop(nc, jsm, ckpt);
      await this.#commit();
      return this.#result();
    } catch (err) {
      await this.#commit().catch(() => undefined);
      this.#state = 'failed';
      this.#note(err);
      throw err;
    } finally {
      clearInterval(timer);
      if (nc) {
        // drain() waits for a server; when there is none (an outage) close after timeoutMs.
        // The timer is cut short once drained: left running it kept `ship --once` alive timeoutMs longer.
        const drained = new AbortController();
        const closed = nc.drain().catch(() => undefined).then(() => true);
        const ok = await Promise.race([closed, sleep(o.timeoutMs, drained.signal).then(() => false)]);
        drained.abort();
        if (!ok) await nc.close().catch(() => undefined);
      }
      if (this.#state !== 'failed') this.#state = 'stopped';
      o.onStatus?.(this.status());
    }
  }

  #result(): ShipResult {
    this.#state = 'stopped';
    return this.status();
  }

  async #loop(nc: NatsConnection, jsm: JetStreamManager, ckpt: CheckpointState | undefined): Promise<void> {
    const backoff = new Backoff(this.options.backoff);
    const p = this.#p;
    for (;;) {
      if (this.#stop.signal.aborted) return;
      let pos: Position;
      try {
        this.#state = 'reconciling';
        pos = await reconcile(jsm, this.#spec, this.#walId, ckpt);
      } catch (err) {
        if (err instanceof ShipError) throw err;
        this.#note(err);
        p.retries += 1;
        this.#state = 'backoff';
        await sleep(backoff.next(), this.#stop.signal);
        continue;
      }
      p.reconciles += 1;
      // Behind what it acknowledged (to this run, or per the checkpoint): the server lost events.
      if (pos.serverLost || (pos.empty ? p.acked >= 0 : pos.next - 1 < p.acked)) {
        p.serverLost += 1;
        this.#durability.lost(pos.next - 1);
        this.options.onWarning?.(`stream ${this.options.stream} ends before WAL seq ${p.acked}, which it had acknowledged: the server lost events; shipping them again from the WAL`);
      }
      if (pos.base !== undefined) p.base = pos.base;
      if (!pos.empty) {
        this.#sampleWal();
        if (pos.next > p.walNext) throw new ShipError('wal-mismatch', `stream ${this.options.stream} holds WAL seqs up to ${pos.next - 1} but the WAL ends at ${p.walNext - 1}: the WAL was replaced or restored`, { seq: pos.next - 1, path: this.walPath });
        p.acked = pos.next - 1;
        p.streamSeq = pos.lastStreamSeq;
        this.#durability.acked(p.acked); // acknowledged by now, when exactly is not known
        // Retention deleted what the stream needs next (it may have no event after it yet to tell).
        if (pos.next < p.walNext) {
          const first = await firstHeld(this.walPath, pos.next);
          if (first > pos.next) throw new ShipError('gap', `WAL seqs ${pos.next}…${Math.min(first, p.walNext) - 1} are gone before they were shipped (retention deleted them); the stream ends at WAL seq ${pos.next - 1}`, { seq: pos.next, path: this.walPath });
        }
      }
      ckpt = undefined; // from now on the stream alone says where we are
      const before = p.acked;
      this.#state = 'shipping';
      const epoch = new Epoch({
        nc, walPath: this.walPath, walId: this.#walId, pos, options: this.options, spec: this.#spec, progress: p,
        stop: this.#stop.signal, maxPayload: this.#maxPayload(),
      });
      this.#epoch = epoch;
      const { end, err } = await epoch.run().finally(() => { this.#epoch = undefined; });
      if (end === 'done' || end === 'stopped') return;
      if (err !== undefined) this.#note(err);
      if (p.acked > before) backoff.reset();
      p.retries += 1;
      // A wrong-last-sequence after progress is the normal end of a reconnect: go again now.
      if (end === 'reconcile' && backoff.attempt === 0) { backoff.next(); continue; }
      this.#state = 'backoff';
      await sleep(backoff.next(), this.#stop.signal);
    }
  }

  #maxPayload(): number {
    const info = this.#nc?.info;
    return info?.max_payload && info.max_payload > 0 ? info.max_payload : 1024 * 1024;
  }
}

/** The first seq at or after `from` the WAL still holds (Infinity: none); `from` when that cannot be told (a damaged WAL: the epoch reports it). */
async function firstHeld(walPath: string, from: number): Promise<number> {
  try {
    for await (const c of readWal(walPath, { raw: 'chunks', fromSeq: from })) return c.firstSeq;
    return Infinity;
  } catch {
    return from;
  }
}

/** Starts shipping the WAL at `walPath` to JetStream; see ShipOptions. */
export function ship(walPath: string, options: ShipOptions): Shipper {
  return new Shipper(walPath, options);
}
