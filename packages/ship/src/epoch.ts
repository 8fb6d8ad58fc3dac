// One epoch of shipping: from a reconciled position, read the WAL's stored lines (the raw
// reader's chunks, never parsed), cut them into messages, publish them fenced, take the acks
// in order. Any failure ends the epoch: stop reading, let every outstanding publish settle,
// hand the verdict to the shipper, which reconciles and starts the next one.
//
// How many messages are in flight (docs/DESIGN.md, "Exactly once with batches"):
// - batches: one. Each message expects as the stream's last sequence the stream seq of a
//   predecessor this shipper saw acknowledged (or read back when reconciling), so wherever
//   it lands, it lands right after the lines it continues. The next batch is read and cut
//   meanwhile; it goes the moment the ack arrives, with whatever has come since (so batches
//   grow with the load, as Nagle's algorithm does).
// - one event per message: up to `window`, because a message's place is then a function of
//   its seq; but the first one after a reconcile goes alone, so that anything a dead
//   connection left in flight has landed (or failed) before the pipeline starts.
import type { NatsConnection } from '@nats-io/transport-node';
import type { PubAck } from '@nats-io/jetstream';
import { readWal } from '@threadwal/maintenance';
import { ShipError } from './errors.js';
import { AsyncPublisher } from './publisher.js';
import { Batcher, Headers, type OutMsg } from './message.js';
import { classifyPublishError, type Position, type StreamSpec } from './stream.js';
import type { ResolvedShipOptions } from './options.js';
import type { Progress } from './progress.js';

export type EpochEnd = 'done' | 'stopped' | 'reconcile' | 'transient';

const PENDING = 0;
const OK = 1;
const FAILED = 2;

interface Entry {
  m: OutMsg;
  /** The stream seq it must land at. */
  pos: number;
  state: number;
  ack: PubAck | undefined;
  err: unknown;
}

export interface EpochInput {
  nc: NatsConnection;
  walPath: string;
  walId: string;
  pos: Position;
  options: ResolvedShipOptions;
  spec: StreamSpec;
  progress: Progress;
  /** The shipper's stop signal. */
  stop: AbortSignal;
  /** The server's max_payload. */
  maxPayload: number;
}

export class Epoch {
  readonly #in: EpochInput;
  readonly #o: ResolvedShipOptions;
  readonly #single: boolean;
  readonly #ac = new AbortController();
  readonly #headers: Headers;
  readonly #batcher: Batcher;
  readonly #pub: AsyncPublisher;
  /** Body bytes a message may not exceed (the server's max_payload, the stream's max_msg_size, less headers). */
  readonly #hard: number;
  readonly #q: Array<Entry | undefined> = [];
  #head = 0;
  #ready: OutMsg[] = [];
  #readyHead = 0;
  #outstanding = 0;
  /** The stream seq the last message published is meant for. */
  #streamLast: number;
  /** An ack arrived in this epoch: the pipeline may fill (one event per message). */
  #confirmed = false;
  #failure: { err: unknown; seq: number } | undefined;
  /** An error found while reading (a gap, a line too large, a damaged WAL): raised once everything before it is shipped. */
  #endError: { err: unknown; seq: number } | undefined;
  #wake: (() => void) | undefined;

  constructor(input: EpochInput) {
    this.#in = input;
    const o = (this.#o = input.options);
    this.#single = o.batchEvents === 1;
    this.#headers = new Headers(input.walId, o.stream, !this.#single);
    const streamMax = input.pos.maxMsgSize > 0 ? input.pos.maxMsgSize : Infinity;
    this.#hard = Math.min(input.maxPayload, streamMax) - this.#headers.maxBytes;
    this.#batcher = new Batcher(o.batchEvents, Math.max(1, Math.min(o.batchBytes, this.#hard)));
    this.#streamLast = input.pos.lastStreamSeq;
    this.#pub = new AsyncPublisher(input.nc, o.subject, o.timeoutMs);
  }

  /** Ships until the WAL ends (once), stop, or a failure; resolves with what ended it and the error behind a retry. */
  async run(): Promise<{ end: EpochEnd; err?: unknown }> {
    const { walPath, pos, stop, progress } = this.#in;
    const o = this.#o;
    if (stop.aborted) return { end: 'stopped' };
    const onStop = (): void => this.#ac.abort();
    stop.addEventListener('abort', onStop, { once: true });
    const reader = readWal(walPath, { raw: 'chunks', fromSeq: pos.next, follow: !o.once, signal: this.#ac.signal, pollMs: o.pollMs });
    let expected: number | undefined = pos.empty ? undefined : pos.next;
    try {
      for await (const c of reader) {
        if (this.#failure || stop.aborted) break;
        expected ??= c.firstSeq;
        if (c.lastSeq < expected) continue;
        if (c.firstSeq > expected) {
          this.#endError = { err: new ShipError('gap', `WAL seqs ${expected}…${c.firstSeq - 1} are gone before they were shipped (retention deleted them); the stream ends at WAL seq ${expected - 1}`, { seq: expected, path: walPath }), seq: expected };
          break;
        }
        const from = expected - c.firstSeq;
        const big = this.#oversize(c.ends, from, c.count);
        this.#batcher.add(big < 0 ? c : { ...c, count: big }, from, this.#ready);
        if (big >= 0) {
          const seq = c.firstSeq + big;
          const bytes = c.ends[big]! - (big === 0 ? 0 : c.ends[big - 1]!) - 1;
          this.#endError = { err: new ShipError('too-large', `WAL seq ${seq}: the event is ${bytes} bytes, over the ${this.#hard}-byte limit of stream ${o.stream} / the server`, { seq, path: walPath }), seq };
          break;
        }
        expected = c.lastSeq + 1;
        this.#pump();
        this.#pub.flush();
        while (!this.#failure && this.#readyCount > 0 && this.#outstanding >= this.#window()) await this.#sleep();
      }
    } catch (err) {
      this.#endError = { err, seq: expected ?? pos.next }; // the WAL could not be read (ECORRUPT, EIO)
    }
    // What was read before the end (once), a gap, a too-large line or a damaged WAL is shipped first.
    if ((o.once || this.#endError) && !stop.aborted) {
      const rest = this.#batcher.flush();
      if (rest) this.#ready.push(rest);
      this.#pump();
      while (!this.#failure && !stop.aborted && (this.#readyCount > 0 || this.#outstanding > 0)) {
        this.#pub.flush();
        await this.#sleep();
        this.#pump();
      }
    }
    this.#pub.flush();
    while (this.#outstanding > 0) await this.#sleep();
    stop.removeEventListener('abort', onStop);
    this.#pub.close();
    this.#drain();
    progress.published = progress.acked;
    const f = this.#failure ?? this.#endError;
    if (f) {
      if (f.err instanceof ShipError) throw f.err;
      if ((f.err as { name?: string } | undefined)?.name === 'WalError') throw f.err;
      const verdict = classifyPublishError(f.err, f.seq, this.#in.spec);
      if (verdict instanceof ShipError) throw verdict;
      return { end: verdict, err: f.err };
    }
    if (stop.aborted) return { end: 'stopped' };
    return { end: o.once ? 'done' : 'stopped' };
  }

  /** Index of the first line in [from, count) too large for any message, or -1. */
  #oversize(ends: Uint32Array, from: number, count: number): number {
    const max = this.#hard + 1; // a line's `\n` is part of a batch body, not of a single event's
    let prev = from === 0 ? 0 : ends[from - 1]!;
    for (let i = from; i < count; i++) {
      const end = ends[i]!;
      if (end - prev > max) return i;
      prev = end;
    }
    return -1;
  }

  get #readyCount(): number {
    return this.#ready.length - this.#readyHead;
  }

  /** Messages allowed in flight now. */
  #window(): number {
    return this.#single && this.#confirmed ? this.#o.window : 1;
  }

  #sleep(): Promise<void> {
    return new Promise<void>((r) => { this.#wake = r; });
  }

  /**
   * Ends the epoch from outside (the connection dropped): whatever is in flight may be lost,
   * and the server may come back with less than it acknowledged (a restart that lost its
   * unsynced tail), so the next epoch starts from a reconcile even when nothing was in flight.
   */
  interrupt(err: unknown): void {
    this.#fail(err, this.#in.progress.acked + 1);
    this.#pub.failAll(err);
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  #fail(err: unknown, seq: number): void {
    if (!this.#failure) this.#failure = { err, seq };
    this.#ac.abort();
  }

  /** Publishes ready messages while the window has room; a batch not full yet goes when nothing is in flight. */
  #pump(): void {
    if (this.#failure || this.#in.stop.aborted) return;
    while (this.#outstanding < this.#window()) {
      let m: OutMsg | undefined;
      if (this.#readyCount > 0) {
        m = this.#ready[this.#readyHead]!;
        this.#ready[this.#readyHead++] = undefined as never;
        if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
          this.#ready = this.#ready.slice(this.#readyHead);
          this.#readyHead = 0;
        }
      } else if (this.#outstanding === 0) {
        m = this.#batcher.flush();
      }
      if (m === undefined) break;
      this.#publish(m);
    }
    if (!this.#single) this.#pub.flush();
  }

  #publish(m: OutMsg): void {
    const pos = ++this.#streamLast;
    const e: Entry = { m, pos, state: PENDING, ack: undefined, err: undefined };
    this.#q.push(e);
    this.#outstanding += 1;
    this.#pub.publish(m.body, this.#headers.for(m, pos - 1), pos, (err, ack) => {
      this.#outstanding -= 1;
      if (err === undefined) { e.state = OK; e.ack = ack; } else { e.state = FAILED; e.err = err; }
      this.#drain();
    });
    this.#in.progress.published = m.last;
  }

  /** Takes the acks in order: the acked seq only moves over a contiguous prefix of messages. */
  #drain(): void {
    const p = this.#in.progress;
    const o = this.#o;
    const q = this.#q;
    while (this.#head < q.length) {
      const e = q[this.#head]!;
      if (e.state === PENDING) break;
      if (e.state === FAILED) { this.#fail(e.err, e.m.first); break; }
      const ack = e.ack!;
      if (ack.stream !== o.stream || ack.seq !== e.pos) {
        this.#fail(new ShipError('foreign-writer', `WAL seqs ${e.m.first}…${e.m.last} were acknowledged as ${ack.stream} seq ${ack.seq}${ack.duplicate ? ' (duplicate)' : ''}, expected ${o.stream} seq ${e.pos}: something else writes to the stream`, { seq: e.m.first }), e.m.first);
        break;
      }
      if (ack.duplicate) p.duplicates += 1;
      if (e.pos === 1) p.base ??= e.m.first;
      p.acked = e.m.last;
      p.streamSeq = e.pos;
      p.messages += 1;
      p.shipped += e.m.last - e.m.first + 1;
      p.shippedBytes += e.m.body.length;
      const onAcked = o.onAcked;
      if (onAcked) for (let s = e.m.first; s <= e.m.last; s++) onAcked(s);
      this.#confirmed = true;
      q[this.#head++] = undefined;
    }
    if (this.#head > 8192 && this.#head * 2 > q.length) { q.splice(0, this.#head); this.#head = 0; }
    this.#pump();
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }
}
