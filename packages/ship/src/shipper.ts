// The shipper: tails the WAL (readWal with follow, across rotation) and publishes every
// record to one JetStream subject with up to `window` acks outstanding, exactly once per seq.
//
// Exactly once: the stream holds WAL seq s at stream seq s - base + 1, and the publish of s
// carries Nats-Expected-Last-Sequence: s - base. The server stores it only if the stream's
// last sequence is exactly that, so no event can land twice, out of order or after a gap,
// whatever was lost on a reconnect and however long the outage was. Nats-Msg-Id
// (`walId:seq`) turns the common retry inside the duplicate window into a `duplicate` ack
// instead of an error. Any failure ends the epoch: stop reading, let every outstanding
// publish settle, reconcile against the stream's last message, go on from there.
import { jetstreamManager, type JetStreamManager, type PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { readWalId, lastSeqOfFile, nextSeqFor, resolveWalPath } from '@threadwal/core';
import { readWal, commitCursor, RECORD_LINE } from '@threadwal/maintenance';
import { ShipError } from './errors.js';
import { checkShipRuntime } from './runtime-check.js';
import { Backoff } from './backoff.js';
import { FileCheckpoint, type Checkpoint, type CheckpointState } from './checkpoint.js';
import { reconcile, classifyPublishError, HDR_ID, HDR_SEQ, type Position, type StreamSpec } from './stream.js';
import { connectFirst, watchConnection } from './connection.js';
import { AsyncPublisher, Disconnected, HeaderBlock } from './publisher.js';
import { resolveShipOptions, type ShipOptions, type ResolvedShipOptions } from './options.js';
import type { ShipStatus, ShipResult } from './status.js';

const TE = new TextEncoder();
const PENDING = 0;
const OK = 1;
const FAILED = 2;

interface Entry {
  seq: number;
  state: number;
  ack: PubAck | undefined;
  err: unknown;
}

type EpochEnd = 'done' | 'stopped' | 'reconcile' | 'transient';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export class Shipper {
  readonly walPath: string;
  readonly options: ResolvedShipOptions;
  /** Settles when shipping ends: resolves after stop() or (with `once`) when everything is acked; rejects with a ShipError. */
  readonly done: Promise<ShipResult>;
  #spec: StreamSpec;
  #checkpoint: Checkpoint;
  #stop = new AbortController();
  #epochAbort: AbortController | undefined;
  #nc: NatsConnection | undefined;
  #walId = '';
  #base: number | undefined;
  #acked = -1;
  #committed = -1;
  #published = -1;
  #walNext = 0;
  #shipped = 0;
  #shippedBytes = 0;
  #duplicates = 0;
  #reconciles = 0;
  #retries = 0;
  #reconnects = 0;
  #serverLost = 0;
  #state: ShipStatus['state'] = 'starting';
  #connected = false;
  #lastError: string | undefined;
  #started = Date.now();
  #committing: Promise<void> | undefined;
  #publisher: AsyncPublisher | undefined;

  constructor(walPath: string, options: ShipOptions) {
    this.options = resolveShipOptions(options);
    checkShipRuntime(walPath, this.options.servers);
    // The same name every part of threadwal uses, so .meta and the checkpoint sit beside the real file.
    this.walPath = resolveWalPath(walPath);
    const o = this.options;
    this.#spec = { stream: o.stream, subject: o.subject, createStream: o.createStream, replicas: o.replicas, duplicateWindowMs: o.duplicateWindowMs };
    this.#checkpoint = o.checkpoint ?? new FileCheckpoint(this.walPath, o.name);
    if (o.signal) {
      if (o.signal.aborted) this.#stop.abort();
      else o.signal.addEventListener('abort', () => void this.stop(), { once: true });
    }
    this.done = this.#run();
  }

  /** Stops reading, waits for the outstanding acks (at most the publish timeout), commits the checkpoint and closes. */
  stop(): Promise<ShipResult> {
    this.#stop.abort();
    this.#epochAbort?.abort();
    return this.done;
  }

  status(): ShipStatus {
    const acked = this.#acked;
    const walNext = Math.max(this.#walNext, this.#published + 1);
    const lagEvents = Math.max(0, walNext - (acked + 1));
    const avg = this.#shipped ? this.#shippedBytes / this.#shipped : 0;
    return {
      state: this.#state,
      connected: this.#connected,
      walId: this.#walId,
      stream: this.options.stream,
      subject: this.options.subject,
      base: this.#base ?? null,
      ackedSeq: acked,
      committedSeq: this.#committed,
      publishedSeq: this.#published,
      inFlight: Math.max(0, this.#published - acked),
      walNextSeq: walNext,
      lagEvents,
      lagBytes: Math.round(lagEvents * avg),
      shipped: this.#shipped,
      shippedBytes: this.#shippedBytes,
      duplicates: this.#duplicates,
      reconciles: this.#reconciles,
      retries: this.#retries,
      reconnects: this.#reconnects,
      serverLost: this.#serverLost,
      elapsedMs: Date.now() - this.#started,
      lastError: this.#lastError ?? null,
    };
  }

  #note(err: unknown): void {
    this.#lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }

  #sampleWal(): void {
    try {
      this.#walNext = Math.max(this.#walNext, nextSeqFor(this.walPath, lastSeqOfFile(this.walPath)));
    } catch {
      // the WAL is being rotated under us; the next sample will do
    }
  }

  async #commit(): Promise<void> {
    if (this.#committing) await this.#committing;
    if (this.#base === undefined || this.#acked <= this.#committed) return;
    const state: CheckpointState = { walId: this.#walId, stream: this.options.stream, subject: this.options.subject, base: this.#base, ackedSeq: this.#acked, ts: Date.now() };
    const cursor = this.options.cursor;
    this.#committing = this.#checkpoint.commit(state).then(
      // The maintenance cursor is what retention waits for: events <= it are shipped.
      () => (cursor === false ? undefined : commitCursor(this.walPath, cursor, state.ackedSeq)),
    ).then(
      () => { this.#committed = Math.max(this.#committed, state.ackedSeq); },
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
      this.#walId = id;
      const ckpt = await this.#checkpoint.load();
      if (ckpt && ckpt.walId === id && ckpt.stream === o.stream) {
        this.#acked = this.#committed = ckpt.ackedSeq;
        this.#base = ckpt.base;
      }
      this.#sampleWal();
      this.#state = 'connecting';
      nc = await connectFirst(o, this.#stop.signal, (e) => this.#note(e));
      if (nc === undefined) return this.#result();
      this.#nc = nc;
      this.#connected = true;
      watchConnection(nc, {
        onDisconnect: () => { this.#connected = false; this.#publisher?.failAll(new Disconnected()); },
        onReconnect: () => { this.#connected = true; this.#reconnects += 1; },
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
        const closed = nc.drain().catch(() => undefined);
        if ((await Promise.race([closed.then(() => true), sleep(o.timeoutMs, new AbortController().signal).then(() => false)])) === false) await nc.close().catch(() => undefined);
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
    for (;;) {
      if (this.#stop.signal.aborted) return;
      let pos: Position;
      try {
        this.#state = 'reconciling';
        pos = await reconcile(jsm, this.#spec, this.#walId, ckpt);
      } catch (err) {
        if (err instanceof ShipError) throw err;
        this.#note(err);
        this.#retries += 1;
        this.#state = 'backoff';
        await sleep(backoff.next(), this.#stop.signal);
        continue;
      }
      this.#reconciles += 1;
      if (pos.serverLost) {
        this.#serverLost += 1;
        this.options.onWarning?.(`stream ${this.options.stream} ends before WAL seq ${this.#acked}, which it had acknowledged: the server lost events; shipping them again from the WAL`);
      }
      if (pos.base !== undefined) {
        this.#base = pos.base;
        this.#sampleWal();
        if (pos.next > this.#walNext) throw new ShipError('wal-mismatch', `stream ${this.options.stream} holds WAL seqs up to ${pos.next - 1} but the WAL ends at ${this.#walNext - 1}: the WAL was replaced or restored`, { seq: pos.next - 1, path: this.walPath });
        this.#acked = pos.next - 1;
      }
      ckpt = undefined; // from now on the stream alone says where we are
      const before = this.#acked;
      const end = await this.#epoch(nc, pos);
      if (end === 'done' || end === 'stopped') return;
      if (this.#acked > before) backoff.reset();
      this.#retries += 1;
      // A wrong-last-sequence after progress is the normal end of a reconnect: go again now.
      if (end === 'reconcile' && backoff.attempt === 0) { backoff.next(); continue; }
      this.#state = 'backoff';
      await sleep(backoff.next(), this.#stop.signal);
    }
  }

  async #epoch(nc: NatsConnection, pos: Position): Promise<EpochEnd> {
    const o = this.options;
    const ac = new AbortController();
    this.#epochAbort = ac;
    if (this.#stop.signal.aborted) return 'stopped';
    this.#state = 'shipping';
    const reader = readWal(this.walPath, { fromSeq: pos.next, follow: !o.once, signal: ac.signal, pollMs: o.pollMs, keepLines: true });
    let base = pos.base;
    let expected: number | undefined = base === undefined ? undefined : pos.next;
    const walId = this.#walId;
    // The header block is written by hand (HeaderBlock): a value with CR or LF would break it.
    if (/[\r\n]/.test(walId)) throw new ShipError('wal-mismatch', `${this.walPath}: the WAL id in its .meta file is not a valid id`, { path: this.walPath });
    const hdrStream = `\r\nNats-Expected-Stream: ${o.stream}\r\nNats-Expected-Last-Sequence: `;
    const hdrId = `\r\n${HDR_ID}: ${walId}\r\n\r\n`;
    const q: Array<Entry | undefined> = [];
    let head = 0;
    let pending = 0;
    let failure: { err: unknown; seq: number } | undefined;
    let wake: (() => void) | undefined;
    const fail = (err: unknown, seq: number): void => {
      if (!failure) failure = { err, seq };
      ac.abort();
    };
    const drain = (): void => {
      while (head < q.length) {
        const e = q[head]!;
        if (e.state === PENDING) break;
        if (e.state === FAILED) { fail(e.err, e.seq); break; }
        const ack = e.ack!;
        if (ack.stream !== o.stream || ack.seq !== e.seq - base! + 1) {
          fail(new ShipError('foreign-writer', `WAL seq ${e.seq} was acknowledged as ${ack.stream} seq ${ack.seq}${ack.duplicate ? ' (duplicate)' : ''}, expected ${o.stream} seq ${e.seq - base! + 1}: something else writes to the stream`, { seq: e.seq }), e.seq);
          break;
        }
        if (ack.duplicate) this.#duplicates += 1;
        this.#acked = e.seq;
        this.#shipped += 1;
        o.onAcked?.(e.seq);
        q[head++] = undefined;
      }
      if (head > 8192 && head * 2 > q.length) { q.splice(0, head); head = 0; }
      const w = wake;
      wake = undefined;
      w?.();
    };
    const pub = new AsyncPublisher(nc, o.subject, o.timeoutMs);
    this.#publisher = pub;
    const limit = pos.maxMsgSize > 0 ? Math.min(pos.maxMsgSize, this.#maxPayload()) : this.#maxPayload();
    try {
      for await (const rec of reader) {
        if (failure || this.#stop.signal.aborted) break;
        if (expected === undefined) {
          expected = rec.seq;
          base = rec.seq;
          this.#base = base;
        }
        if (rec.seq < expected) continue;
        if (rec.seq > expected) {
          fail(new ShipError('gap', `WAL seqs ${expected}…${rec.seq - 1} are gone before they were shipped (retention deleted them); the stream ends at WAL seq ${expected - 1}`, { seq: expected, path: this.walPath }), expected);
          break;
        }
        const seq = rec.seq;
        // The stored line when it is exactly the record (no checksum field), else the record serialised.
        const data = TE.encode((rec as { [RECORD_LINE]?: string })[RECORD_LINE] ?? JSON.stringify(rec));
        const bytes = data.length;
        if (bytes + 256 > limit) {
          fail(new ShipError('too-large', `WAL seq ${seq}: the event is ${bytes} bytes, over the ${limit}-byte limit of stream ${o.stream} / the server`, { seq, path: this.walPath }), seq);
          break;
        }
        const e: Entry = { seq, state: PENDING, ack: undefined, err: undefined };
        q.push(e);
        pending += 1;
        // Nats-Msg-Id, Nats-Expected-Stream, Nats-Expected-Last-Sequence, Threadwal-Seq, Threadwal-Id, in wire form.
        const h = new HeaderBlock(`NATS/1.0\r\nNats-Msg-Id: ${walId}:${seq}${hdrStream}${seq - base!}\r\n${HDR_SEQ}: ${seq}${hdrId}`);
        pub.publish(data, h, seq, (err, ack) => {
          pending -= 1;
          if (err === undefined) { e.state = OK; e.ack = ack; } else { e.state = FAILED; e.err = err; }
          drain();
        });
        this.#published = seq;
        this.#shippedBytes += bytes;
        expected += 1;
        if (!failure && q.length - head >= o.window) {
          pub.flush();
          while (!failure && q.length - head >= o.window) await new Promise<void>((r) => { wake = r; });
        }
      }
    } catch (err) {
      fail(err, expected ?? pos.next); // the WAL could not be read (ECORRUPT, EIO)
    }
    pub.flush();
    while (pending > 0) await new Promise<void>((r) => { wake = r; });
    pub.close();
    this.#publisher = undefined;
    drain();
    this.#published = this.#acked;
    if (failure) {
      const f = failure as { err: unknown; seq: number };
      if (f.err instanceof ShipError) throw f.err;
      if ((f.err as { name?: string } | undefined)?.name === 'WalError') throw f.err;
      const verdict = classifyPublishError(f.err, f.seq, this.#spec);
      if (verdict instanceof ShipError) throw verdict;
      this.#note(f.err);
      return verdict;
    }
    if (this.#stop.signal.aborted) return 'stopped';
    return o.once ? 'done' : 'stopped';
  }

  #maxPayload(): number {
    const info = this.#nc?.info;
    return info?.max_payload && info.max_payload > 0 ? info.max_payload : 1024 * 1024;
  }
}

/** Starts shipping the WAL at `walPath` to JetStream; see ShipOptions. */
export function ship(walPath: string, options: ShipOptions): Shipper {
  return new Shipper(walPath, options);
}
