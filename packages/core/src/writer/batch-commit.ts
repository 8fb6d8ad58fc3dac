// One write cycle's work on the batches it took: frame them (`{"seq":N,` + body), write
// them, make them durable, and ack each client once for its run of batches, handing the
// batches' buffers back to it for reuse. Called under the lock (writer-core.ts).
import type { WalError } from '../errors.js';
import type { Durability } from '../options.js';
import { Framer } from '../format/frame.js';
import type { Stamper } from '../format/checksum.js';
import { nextBatchId } from '../protocol.js';
import type { Client, Clients } from './clients.js';
import type { ActiveFile } from './log-file.js';
import { absNow, threadTrace } from './trace.js';

/** A batch the writer received: a client's line bodies, in the buffer it transferred. */
export interface Pending {
  client: Client;
  id: number;
  buf: Buffer;
  len: number;
  count: number;
  /** Someone waits for it (see BatchMsg.urgent). */
  urgent: boolean;
  /** When it arrived (absNow), THREADWAL_TRACE only. */
  t: number;
}

export interface CommitStats {
  events: number;
  bytes: number;
  batches: number;
  fsyncs: number;
  maxBatch: number;
  durableSeq: number;
}

export class BatchCommit {
  readonly #file: ActiveFile;
  readonly #clients: Clients;
  readonly #durability: Durability;
  readonly #stamper: Stamper | null;
  readonly #nack: (take: Pending[], error: WalError) => void;
  readonly #framer = new Framer();
  readonly #bufs: ArrayBuffer[] = [];
  readonly stats: CommitStats = { events: 0, bytes: 0, batches: 0, fsyncs: 0, maxBatch: 0, durableSeq: -1 };
  /** THREADWAL_TRACE only: this cycle's stamps (trace.ts), [cycle, locked, written, synced, end of the previous cycle]. */
  readonly t: number[] | null;

  constructor(file: ActiveFile, clients: Clients, durability: Durability, stamper: Stamper | null, trace: boolean, nack: (take: Pending[], error: WalError) => void) {
    this.#file = file;
    this.#clients = clients;
    this.#durability = durability;
    this.#stamper = stamper;
    this.#nack = nack;
    this.t = trace ? [0, 0, 0, 0, 0] : null;
  }

  /** Frames, writes and syncs `take` as one batch, then acks it. Throws what must fail-stop (EFSYNC, a fatal write error). */
  write(take: Pending[]): void {
    const file = this.#file;
    const first = file.nextSeq;
    const framed = this.#framer.frame(take, first);
    const { count, firsts, errors } = framed;
    let { out, len } = framed;
    // A malformed batch (only a buggy client sends one) is rejected alone.
    for (let i = 0; i < take.length; i++) if (errors[i]) this.#nack([take[i]!], errors[i]!);
    if (count === 0) return;
    if (this.#stamper) ({ out, len } = this.#stamper.stamp(out, len, count));
    try {
      file.write(out, len);
    } catch (err) {
      if ((err as { fatal?: boolean }).fatal) throw err;
      return this.#nack(take.filter((_, i) => !errors[i]), err as WalError);
    }
    const t = this.t;
    if (t) t[2] = absNow();
    file.makeDurable(this.#durability); // throws EFSYNC: fail-stop in the caller
    if (t) t[3] = absNow();
    file.nextSeq = first + count;
    const s = this.stats;
    s.events += count;
    s.bytes += len;
    s.batches += 1;
    if (this.#durability !== 'none') s.fsyncs += 1;
    if (count > s.maxBatch) s.maxBatch = count;
    s.durableSeq = file.nextSeq - 1;
    this.#ack(take, errors, firsts);
    if (t) this.#traceCycle();
  }

  /**
   * One ack per run of consecutive batches of one client (its ids are consecutive, its seqs
   * contiguous), carrying the run's buffers back: their bytes are framed into the writer's
   * own buffer by now.
   */
  #ack(take: Pending[], errors: ReadonlyArray<WalError | undefined>, firsts: readonly number[]): void {
    const bufs = this.#bufs;
    for (let i = 0; i < take.length; i++) {
      const p = take[i]!;
      if (errors[i]) continue;
      let last = i;
      while (last + 1 < take.length && !errors[last + 1] && take[last + 1]!.client === p.client && take[last + 1]!.id === nextBatchId(take[last]!.id)) last++;
      bufs.length = 0;
      for (let k = i; k <= last; k++) bufs.push(take[k]!.buf.buffer as ArrayBuffer);
      this.#clients.ack(p.client, take[last]!.id, firsts[i]!, last - i + 1, bufs, this.t ? this.#stamps(p.t) : undefined);
      i = last;
    }
    bufs.length = 0;
    for (const p of take) this.#clients.notify(p.client);
  }

  /** THREADWAL_TRACE only: the stamps an ack carries (see trace.ts T_*). */
  #stamps(recv: number): number[] {
    const t = this.t!;
    return [recv, t[0]!, t[1]!, t[2]!, t[3]!, absNow(), t[4]!];
  }

  /** THREADWAL_TRACE only: this thread's own view of the cycle just acked. */
  #traceCycle(): void {
    const t = this.t!;
    threadTrace.record('writer: lock + revalidate', t[1]! - t[0]!);
    threadTrace.record('writer: frame + write', t[2]! - t[1]!);
    threadTrace.record('writer: fdatasync', t[3]! - t[2]!);
    t[4] = absNow();
    threadTrace.record('writer: post acks', t[4] - t[3]!);
  }
}
